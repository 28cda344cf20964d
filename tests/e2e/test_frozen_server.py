"""A server that hangs (its process stopped: connected, answering nothing) fails a client's call UNAVAILABLE
through keepalive, instead of leaving it waiting for ever."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from client import Article, NeardupClient, UnavailableError
from tests.articles import SAME_EVENT_A, WIRE
from tests.support import ServerProcess, frozen


def test_a_stream_to_a_frozen_server_fails_unavailable_within_two_keepalives(tmp_path: Path) -> None:
    # (a client may ping this often only if the server allows it: it would end the connection otherwise)
    server = ServerProcess(tmp_path / "data", "--fingerprint-workers", "0", "--min-client-ping-seconds", "1").start()
    is_frozen = threading.Event()

    def articles() -> Iterator[Article]:
        yield Article("before", WIRE)
        is_frozen.wait(30)
        yield Article("during", SAME_EVENT_A)  # (sent to a server that reads nothing)

    try:
        assert server.proc is not None
        with (
            NeardupClient(server.target, timeout=None, keepalive_seconds=1, min_keepalive_seconds=1) as client,
            ThreadPoolExecutor(1) as pool,
        ):
            outcomes = client.index_stream(articles())
            assert next(outcomes).id == "before"
            with frozen(server.proc.pid):
                is_frozen.set()
                waiting = pool.submit(next, outcomes)
                # Without keepalive this waited for as long as the server stayed stopped (minutes, in a probe).
                with pytest.raises(UnavailableError):
                    waiting.result(timeout=30)
    finally:
        server.stop()
