"""The standard gRPC health service (grpc.health.v1: Check, Watch, List), for the main port and the health port.

Not grpcio-health-checking's HealthServicer: it sends each watcher its update while holding the lock that a
watcher's close callback takes, and gRPC runs close callbacks on its polling thread, the thread that completes
those sends. A status change (a stop, the store watch) while a watcher went away froze the whole server: the
sender waited for the polling thread, the polling thread for the lock (upstream: grpc/grpc#43403). Here updates
are sent under a lock of their own, which no callback of gRPC's takes, and statuses and watchers change under
a short lock that is never held while sending.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.errors import NotFound
from service.status import abort

Response = health_pb2.HealthCheckResponse
Send = Callable[[Any], None]  # gRPC's send_response_callback: a response, or None to end the call


class HealthService(health_pb2_grpc.HealthServicer):  # type: ignore[misc]  # (untyped module)
    """Statuses by service name ('' is the server's own), watched or asked for; frozen at NOT_SERVING by
    `enter_graceful_shutdown`. `describe` completes the NOT_FOUND answer for a name never set."""

    def __init__(self, describe: str = "") -> None:
        self._state = threading.Lock()  # statuses, watchers, frozen: never held while sending
        self._sending = threading.Lock()  # one update at a time, so a watcher sees them in order; taken first
        self._statuses: dict[str, Any] = {"": Response.SERVING}
        self._watchers: dict[str, set[Send]] = {}
        self._frozen = False
        self._describe = describe

    def set(self, service: str, status: Any) -> None:
        with self._sending:
            self._set(service, status)

    def enter_graceful_shutdown(self) -> None:
        """Every service NOT_SERVING, for good: later `set` calls are ignored."""
        with self._sending:
            with self._state:
                services = list(self._statuses)
            for service in services:
                self._set(service, Response.NOT_SERVING)
            with self._state:
                self._frozen = True

    def _set(self, service: str, status: Any) -> None:
        """(`_sending` held.)"""
        with self._state:
            if self._frozen:
                return
            self._statuses[service] = status
            watchers = list(self._watchers.get(service, ()))
        for send in watchers:
            send(Response(status=status))

    def Check(self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext) -> Any:
        with self._state:
            status = self._statuses.get(request.service)
            names = sorted(self._statuses)
        if status is None:
            # (the library's servicer sent NOT_FOUND without details, which read as a server without health)
            listed = ", ".join(repr(name) for name in names)
            wanted = request.service[:200]
            message = f"no service {wanted!r} reports its health here; ask for one of {listed}{self._describe}"
            abort(context, NotFound(message))
        return Response(status=status)

    def Watch(self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext, send: Send) -> None:
        """Answers through `send` (gRPC's non-blocking streaming: no handler thread held while watched)."""
        service = request.service
        with self._sending:
            with self._state:
                status = self._statuses.get(service, Response.SERVICE_UNKNOWN)
                self._watchers.setdefault(service, set()).add(send)
            if not context.add_callback(self._forget(service, send)):
                self._forget(service, send)()  # (already ended: nothing will call it)
                return
            send(Response(status=status))

    def _forget(self, service: str, send: Send) -> Callable[[], None]:
        def forget() -> None:  # (run by gRPC's polling thread when the call ends: must not wait for a send)
            with self._state:
                self._watchers.get(service, set()).discard(send)
            send(None)

        return forget

    def List(self, request: health_pb2.HealthListRequest, context: grpc.ServicerContext) -> Any:
        """Every service's status (grpcio-health-checking 1.85 answers List UNIMPLEMENTED, and current
        grpc_health_probe and grpcurl users call it)."""
        with self._state:
            statuses = {name: Response(status=status) for name, status in self._statuses.items()}
        return health_pb2.HealthListResponse(statuses=statuses)


HealthService.Watch.experimental_non_blocking = True  # type: ignore[attr-defined]  # (read by gRPC and interceptors)
