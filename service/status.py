"""The one mapping from errors to gRPC status codes, `status_for`, shared by the servicer (servicer.py)
and the interceptors (interceptors.py): whoever answers a call, a domain error gets the same code. `abort` ends a
call with it, and with the trailers `trailers_for` gives the error: on RESOURCE_EXHAUSTED, gRPC's retry pushback,
which tells the two meanings of that code apart for a client that reads no English (proto: NearDuplicateService).

The interceptors answer two refusals of their own, which no domain error describes: UNAUTHENTICATED (no
bearer token, or a wrong one) and INVALID_ARGUMENT for request bytes that are not a valid message.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import grpc

from service.errors import (
    Cancelled,
    DeadlineExceeded,
    IncompatibleIndex,
    InvalidArgument,
    NeardupError,
    NotFound,
    ResourceExhausted,
    StoreDamaged,
    StoreFull,
    Unavailable,
)

log = logging.getLogger(__name__)

MAX_STATUS_CHARS = 2048

_STATUS: list[tuple[type[NeardupError], grpc.StatusCode]] = [
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (Unavailable, grpc.StatusCode.UNAVAILABLE),
    (IncompatibleIndex, grpc.StatusCode.FAILED_PRECONDITION),
    (DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (Cancelled, grpc.StatusCode.CANCELLED),
    (StoreDamaged, grpc.StatusCode.DATA_LOSS),
]


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and details for `exc`: a domain error's own code and message; anything else is a
    fault, INTERNAL, logged with its traceback (the caller hears only its type)."""
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code, _clipped(str(exc))
    log.exception("unexpected error", exc_info=exc)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}; see the server log"


# gRPC's retry pushback trailer (gRFC A6, "Pushback"), which gRPC's own retry policy (a service config's
# retryPolicy, in Go, Java, C++ and Python clients) reads: a whole number of milliseconds, at least 0, asks the
# client to retry after that long; a negative one asks it not to retry. Sent with every RESOURCE_EXHAUSTED this
# server answers: BUSY_PUSHBACK_MS when a limit of calls or streams at once is reached (a slot frees as a call
# ends), NO_RETRY when the store is full (until an operator makes room). gRPC's own RESOURCE_EXHAUSTED for a
# message over the receive limit, refused before the server reads it, has none: the same message is refused again.
RETRY_PUSHBACK = "grpc-retry-pushback-ms"
BUSY_PUSHBACK_MS = 1000
NO_RETRY = -1


def trailers_for(exc: BaseException) -> tuple[tuple[str, str], ...]:
    """The trailing metadata a call ended by `exc` carries beside its status (`abort`)."""
    if isinstance(exc, StoreFull):
        return ((RETRY_PUSHBACK, str(NO_RETRY)),)
    if isinstance(exc, ResourceExhausted):
        return ((RETRY_PUSHBACK, str(BUSY_PUSHBACK_MS)),)
    return ()


def abort(context: grpc.ServicerContext, exc: BaseException) -> NoReturn:
    """End the call with `exc`'s status (status_for) and trailers (trailers_for). Raises, as context.abort does."""
    code, message = status_for(exc)
    if trailers := trailers_for(exc):
        context.set_trailing_metadata(trailers)
    context.abort(code, message)
    raise AssertionError("unreachable: context.abort raises")


def _clipped(message: str) -> str:
    """Status details travel in HTTP/2 trailers, which clients cap at 16 KiB: a message quoting a huge
    request field would turn a precise status into the client's RESOURCE_EXHAUSTED "Stream removed"."""
    return message if len(message) <= MAX_STATUS_CHARS else message[:MAX_STATUS_CHARS] + "… (message clipped)"
