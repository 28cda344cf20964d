"""How soon the client tries again to reach a server that went away: a restarted server is found within
seconds, not after gRPC's default backoff of up to 120 s (a real listening socket over loopback)."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from benchmarks.loopback import wait_for
from client import NeardupClient, UnavailableError
from client.api import RECONNECT_MAX_MS


@pytest.fixture
def refusing_port() -> Iterator[tuple[int, list[float]]]:
    """A port whose every connection is closed at once, as a server going down does; and when each came."""
    listener = socket.create_server(("127.0.0.1", 0))
    came: list[float] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # (closed: the test is over)
            came.append(time.monotonic())
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], came
    listener.close()


def test_a_server_that_went_away_is_tried_again_every_few_seconds_at_most(
    refusing_port: tuple[int, list[float]],
) -> None:
    """With gRPC's defaults the gaps grow 1, 1.6, 2.6, 4.1, 6.6 s … up to 120 s: a server back from a 45 s restart
    was refused for 20 s more, past a Retry's attempts, while every call failed at once "Connection refused"."""
    port, came = refusing_port
    with NeardupClient(f"127.0.0.1:{port}") as client:
        with pytest.raises(UnavailableError):
            client.health()  # (the first attempt; gRPC goes on trying by itself)
        wait_for(lambda: len(came) >= 7, timeout=20, what="seven attempts to reach the server")
    gaps = [later - earlier for earlier, later in itertools.pairwise(came)]
    assert max(gaps) < 1.75 * RECONNECT_MAX_MS / 1000, gaps  # (the cap, its ±20% jitter, and slack for a busy machine)
