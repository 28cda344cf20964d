"""The one mapping from errors to gRPC status codes, `status_for`, and the one place a call is ended with one,
`abort`, which adds the trailers `trailers_for` gives the error (for a full store, gRPC's retry pushback "-1",
which tells that RESOURCE_EXHAUSTED from the retryable ones for a client that reads no English: proto,
NearDuplicateService). The servicer (servicer.py), the interceptors (interceptors.py), the wait for the index's
load (index_load.py) and the health service (health.py) end calls through it: whoever answers a call, a domain
error gets the same code and trailers.

Two refusals of the interceptors, which no domain error describes, end the call themselves (no trailer):
UNAUTHENTICATED (no bearer token, or a wrong one) and INVALID_ARGUMENT for request bytes that are not a valid
message. gRPC itself answers a message over the receive limit (RESOURCE_EXHAUSTED) before any of this runs."""

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


def article_status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and details of one article's failure inside an index stream (its ArticleError, which carries
    no trailer): status_for's, but for RESOURCE_EXHAUSTED. An article's RESOURCE_EXHAUSTED means a full store
    (StoreFull) and nothing else: clients read it as a full store's refusal under the pushback "-1", and stop
    (proto: NearDuplicateService; client/errors.py, article_error). Any other ResourceExhausted reaching an article
    (a per-article limit, say) would silently become "do not retry" in every client: it is a bug, answered INTERNAL
    and logged. Give such a limit a code of its own, or refuse the call with it (no trailer: retried)."""
    if isinstance(exc, ResourceExhausted) and not isinstance(exc, StoreFull):
        log.error("a stream's article was refused RESOURCE_EXHAUSTED for something other than a full store, which "
                  "clients would take for one (no retry): answered INTERNAL instead: %s", exc)  # fmt: skip
        return (
            grpc.StatusCode.INTERNAL,
            "internal error: the article was refused as if the store were full; see the server log",
        )
    return status_for(exc)


# gRPC's retry pushback trailer (gRFC A6, "Pushback"), which gRPC's own retry policy (a service config's retryPolicy,
# in Go, Java, C++ and Python clients) reads, as does neardup's Python client's Retry (client/errors.py,
# retry_pushback_of): a negative value asks the client not to retry; a whole number of milliseconds, at least 0, to
# retry after exactly that long. Only the negative one is sent, NO_RETRY_PUSHBACK_MS, with every call ended
# RESOURCE_EXHAUSTED for a full store (until an operator makes room). A limit of calls or streams at once sends none,
# so that a client's retry policy retries it with its own jittered backoff (a fixed pushback would retry every refused
# caller in lockstep, and one longer than what is left of a caller's deadline turns the refusal into
# DEADLINE_EXCEEDED). gRPC's own RESOURCE_EXHAUSTED for a message over the receive limit, refused before the server
# reads it, has none either: its details say "larger than max"; never retry it as is.
RETRY_PUSHBACK = "grpc-retry-pushback-ms"
NO_RETRY_PUSHBACK_MS = -1


def trailers_for(exc: BaseException) -> tuple[tuple[str, str], ...]:
    """The trailing metadata a call ended by `exc` carries beside its status (`abort`)."""
    if isinstance(exc, StoreFull):
        return ((RETRY_PUSHBACK, str(NO_RETRY_PUSHBACK_MS)),)
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
