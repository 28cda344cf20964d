"""The health service sends watchers their updates without holding the lock a watcher's end takes.

gRPC runs a call's end callbacks on its polling thread, which also completes the sends a status update waits
for: a sender holding the lock those callbacks take froze the server (grpcio-health-checking's servicer did,
service/health.py). Plain calls here, with a send that checks what a callback run meanwhile could do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

import grpc
import pytest
from grpc_health.v1 import health_pb2

from service.health import HealthService
from tests.support import EndingCall

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


class _Context(EndingCall):
    """What Watch needs of a call's context: the end callbacks, run when `end()` is called, and abort."""

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise RuntimeError(code, details)


def _ends_meanwhile(other: _Context) -> Callable[[Any], None]:
    """A watcher's send that, on an update, has another watcher's call end on another thread (as gRPC's
    polling thread would while the send waits for it) and records whether that end could finish."""
    finished: list[bool] = []

    def send(response: Any) -> None:
        if response is not None and response.status == NOT_SERVING:
            ending = threading.Thread(target=other.end)
            ending.start()
            ending.join(timeout=5)
            finished.append(not ending.is_alive())

    send.finished = finished  # type: ignore[attr-defined]
    return send


@pytest.mark.parametrize("change", ["set", "enter_graceful_shutdown"])
def test_a_watcher_can_end_while_an_update_is_being_sent(change: str) -> None:
    health = HealthService()
    first, second = _Context(), _Context()
    send = _ends_meanwhile(second)
    health.Watch(health_pb2.HealthCheckRequest(service=""), cast(Any, first), send)
    health.Watch(health_pb2.HealthCheckRequest(service=""), cast(Any, second), lambda response: None)
    if change == "set":
        health.set("", NOT_SERVING)
    else:
        health.enter_graceful_shutdown()
    assert send.finished == [True]  # type: ignore[attr-defined]


def test_watchers_get_each_update_in_order_and_none_after_their_end() -> None:
    health = HealthService()
    seen: list[Any] = []
    context = _Context()
    health.Watch(health_pb2.HealthCheckRequest(service="svc"), cast(Any, context), seen.append)
    health.set("svc", SERVING)
    health.set("svc", NOT_SERVING)
    context.end()
    health.set("svc", SERVING)
    statuses = [r.status if r is not None else None for r in seen]
    assert statuses == [health_pb2.HealthCheckResponse.SERVICE_UNKNOWN, SERVING, NOT_SERVING, None]


def test_after_a_graceful_shutdown_every_service_stays_not_serving() -> None:
    health = HealthService()
    health.set("svc", SERVING)
    health.enter_graceful_shutdown()
    health.set("svc", SERVING)
    listed = health.List(health_pb2.HealthListRequest(), cast(Any, _Context()))
    assert {name: s.status for name, s in listed.statuses.items()} == {"": NOT_SERVING, "svc": NOT_SERVING}
