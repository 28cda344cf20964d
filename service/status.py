"""The one mapping from errors to gRPC status codes, `status_for`, shared by the servicer (servicer.py)
and the interceptors (interceptors.py): whoever answers a call, a domain error gets the same code.

The interceptors answer two refusals of their own, which no domain error describes: UNAUTHENTICATED (no
bearer token, or a wrong one) and INVALID_ARGUMENT for request bytes that are not a valid message.
"""

from __future__ import annotations

import logging

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


def _clipped(message: str) -> str:
    """Status details travel in HTTP/2 trailers, which clients cap at 16 KiB: a message quoting a huge
    request field would turn a precise status into the client's RESOURCE_EXHAUSTED "Stream removed"."""
    return message if len(message) <= MAX_STATUS_CHARS else message[:MAX_STATUS_CHARS] + "… (message clipped)"
