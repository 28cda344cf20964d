"""Calls of the service that reach the main port while the index loads wait for it, on a server that speaks gRPC
meanwhile.

The main port once took connections during the load (bound, not started) and began no HTTP/2 handshake: a
client could not tell a neardup server loading its index from any silent listener (a wrong port, a hung
process). Started before the load, the server completes the handshake at once and holds each call of
NearDuplicateService here until the index is loaded, or the call's deadline passes, or the start fails. Its
health service is not held: it answers during the load as the health port does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc
from prometheus_client import Gauge

from service.errors import Cancelled, DeadlineExceeded, Unavailable
from service.servicer import deadline_passed
from service.status import abort

# How often a waiting call looks whether its caller has gone (cancelled, disconnected), to free its thread.
_CALLER_CHECK_SECONDS = 1.0


# Why held calls end when the load does not finish, as the service tells them (UNAVAILABLE). The client reads
# these words (client/errors.py SERVER_LOAD_FAILED, SERVER_LOAD_ABANDONED): nothing sent on the call is stored.
LOAD_FAILED = "the server failed to load its index and is stopping: the call was held for the load, not carried out"
LOAD_ABANDONED = (
    "the server is stopping before its index was loaded: nothing was stored (the call was held for the load, not "
    "carried out)"
)


class IndexLoad:
    """The index's load at a start: finished (calls go on), failed or abandoned (a stop asked for during the start:
    calls end UNAVAILABLE, each saying which), or under way. `waiting` counts the calls held meanwhile."""

    def __init__(self, waiting: Gauge) -> None:
        self._over = threading.Event()
        self._ended: str | None = None  # (why the held calls end, unless the load finished)
        self._waiting = waiting

    def finished(self) -> None:
        self._over.set()

    def failed(self) -> None:
        self._end(LOAD_FAILED)

    def abandoned(self) -> None:
        """The start was abandoned (a stop signal), nothing having failed: held calls are told so, not that the
        load failed."""
        self._end(LOAD_ABANDONED)

    def _end(self, why: str) -> None:
        if not self._over.is_set():
            self._ended = why
            self._over.set()

    def wait(self, context: grpc.ServicerContext) -> None:
        """Return once the index is loaded; abort the call if the start failed or was abandoned, or its deadline
        passes first."""
        if not self._over.is_set():
            with self._waiting.track_inprogress():
                self._held(context)
        if self._ended is not None:
            abort(context, Unavailable(self._ended))

    def _held(self, context: grpc.ServicerContext) -> None:
        """Until the load is over, or the caller has left, or its deadline has passed (the call aborted)."""
        while not self._over.wait(_slice(context.time_remaining())):
            if not context.is_active():  # (the caller gave up: its answer goes nowhere)
                abort(context, Cancelled("the caller left while the server loaded its index"))
            if deadline_passed(context):
                abort(context, DeadlineExceeded("the server is still loading its index"))


def _slice(remaining: float | None) -> float:
    return _CALLER_CHECK_SECONDS if remaining is None else max(0.0, min(remaining, _CALLER_CHECK_SECONDS))


class AfterLoad:
    """Stands in for the main servicer, registered before the server starts: each method waits for the load, then
    calls `target`'s (set by then: the servicer is made only once the store is open). Not for the health service:
    it answers during the load (liveness SERVING, readiness NOT_SERVING), as probes expect."""

    def __init__(self, load: IndexLoad, target: object | None = None) -> None:
        self._load = load
        self.target = target

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            self._load.wait(context)
            return getattr(self.target, method)(request, context)

        return call
