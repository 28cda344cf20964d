"""How soon the client tries again to reach a server that went away: a restarted server is found within
seconds, not after gRPC's default backoff of up to 120 s (a real listening socket over loopback)."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.loopback import wait_for
from client import NeardupClient, UnavailableError
from client.api import RECONNECT_MAX_MS
from tests.support import closing_port


def test_a_server_that_went_away_is_tried_again_every_few_seconds_at_most() -> None:
    """With gRPC's defaults the gaps grow 1, 1.6, 2.6, 4.1, 6.6 s … up to 120 s: a server back from a 45 s restart
    was refused for 20 s more, past a Retry's attempts, while every call failed at once "Connection refused"."""
    with closing_port() as (port, came), NeardupClient(f"127.0.0.1:{port}") as client:
        with pytest.raises(UnavailableError):
            client.health()  # (the first attempt; gRPC goes on trying by itself)
        wait_for(lambda: len(came) >= 7, timeout=20, what="seven attempts to reach the server")
    gaps = [later - earlier for earlier, later in itertools.pairwise(came)]
    assert max(gaps) < 1.75 * RECONNECT_MAX_MS / 1000, gaps  # (the cap, its ±20% jitter, and slack for a busy machine)
