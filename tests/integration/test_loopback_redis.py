"""The tests' own redis-server helper: a port taken between choosing it and redis binding it (test files
run side by side under pytest-xdist) is chosen again, unless the port was already handed out."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks import loopback
from benchmarks.loopback import PortTaken, RedisServer


@contextmanager
def _a_taken_port_chosen_first(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = int(held.getsockname()[1])
        chosen = iter([taken])
        real = loopback.free_port
        monkeypatch.setattr(loopback, "free_port", lambda: next(chosen, None) or real())
        yield taken


def test_a_port_taken_before_redis_binds_it_is_chosen_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _a_taken_port_chosen_first(monkeypatch) as taken:
        server = RedisServer(tmp_path / "r")
        assert server.port == taken
        server.start()
        try:
            assert server.port != taken and server.ready()
            port = server.port
            server.restart()  # (a restart comes back on the port its clients know)
            assert server.port == port and server.ready()
        finally:
            server.stop()


def test_a_port_already_handed_out_is_kept_and_its_refusal_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _a_taken_port_chosen_first(monkeypatch) as taken:
        server = RedisServer(tmp_path / "r")
        assert server.url.endswith(f":{taken}/0")
        with pytest.raises(PortTaken, match=f"port {taken} was taken"):
            server.start()
        assert server.port == taken
