"""The waits of a server's stop made in slices (service/waits.py): a signal the kernel hands another thread has its
handler run in the main thread during each of them, not once it ends. serve's second signal during a stop exits at
once (128 + n) from that handler: the store watch's close, a Redis store's held ids' close, the metrics server's
shutdown and the drain of the index streams each waited untimed (or up to 10 s) before it ran."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry

from service import holds, scrape_server, servicer, store_watch
from service.holds import ReplicaHolds
from service.scrape_server import ScrapeServer, serve_registry
from service.servicer import OpenStreams
from service.storage import Store
from service.store_watch import StoreWatch
from tests.support import EndingCall, main_thread_waits_in, until


@pytest.fixture
def heard() -> Iterator[threading.Event]:
    """Set by SIGUSR1's handler, which Python runs in the main thread."""
    heard = threading.Event()
    before = signal.signal(signal.SIGUSR1, lambda signum, frame: heard.set())
    try:
        yield heard
    finally:
        signal.signal(signal.SIGUSR1, before)


def _held_until_heard(heard: threading.Event, module: ModuleType) -> None:
    """What the close waits for, in a thread of its own: once the main thread waits in `module`'s close, this thread
    sends itself SIGUSR1, and goes on once the handler has run in the main thread (or after 10 s: the test fails)."""
    if heard.is_set():
        return
    until(lambda: main_thread_waits_in(module))  # (for at most 10 s)
    signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)
    heard.wait(10)


def _heard_during(close: Callable[[], object], heard: threading.Event) -> None:
    began = time.monotonic()
    close()
    assert heard.is_set() and time.monotonic() - began < 5


def test_the_store_watchs_close(heard: threading.Event) -> None:
    """Its thread may be inside a probe of a store that hangs (a Redis that does not answer until its socket
    timeout): the close joined it untimed."""
    probes = 0

    def probe() -> None:
        nonlocal probes
        probes += 1
        if probes > 1:  # (the first is the start's, in this thread)
            _held_until_heard(heard, store_watch)

    watch = StoreWatch(probe, lambda answers: None, every=0.01)
    assert until(lambda: probes > 1)
    _heard_during(watch.close, heard)


class _HangingStore:
    """A Redis store whose holds are sent until the handler has run."""

    def __init__(self, heard: threading.Event) -> None:
        self._heard = heard

    def hold(self, counts: Any) -> None:
        _held_until_heard(self._heard, holds)


def test_a_redis_stores_held_ids_close(heard: threading.Event) -> None:
    """The close joined the sender, sending the last let-gos, for up to 10 s."""
    replica = ReplicaHolds(cast(Store, _HangingStore(heard)))
    replica.read(["held-1"])
    _heard_during(replica.close, heard)


def test_the_metrics_servers_shutdown(heard: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    """socketserver's shutdown waits untimed for its serve loop: up to its 0.5 s poll and a second's wait for a
    connection's slot; here the loop is held until the handler has run."""
    looped = threading.Event()

    def held(server: ScrapeServer) -> None:  # (called by the serve loop after each poll)
        looped.set()
        _held_until_heard(heard, scrape_server)

    monkeypatch.setattr(ScrapeServer, "service_actions", held)
    server = serve_registry("127.0.0.1", 0, CollectorRegistry())
    assert looped.wait(10)
    _heard_during(server.close, heard)


def test_the_drain_of_the_index_streams(heard: threading.Event) -> None:
    streams, call = OpenStreams(), EndingCall()

    def ended_once_heard() -> None:
        _held_until_heard(heard, servicer)
        call.end()

    drained: list[bool] = []
    with streams.opened(call):  # type: ignore[arg-type]  # (only add_callback is asked for)
        threading.Thread(target=ended_once_heard, daemon=True).start()
        _heard_during(lambda: drained.append(streams.drain(timeout=30)), heard)
    assert drained == [True]


_CLOSED_AT_EXIT = """
import sys
from prometheus_client import CollectorRegistry
from service.holds import ReplicaHolds
from service.scrape_server import serve_registry

class Store:
    def hold(self, counts): pass

closed = serve_registry("127.0.0.1", 0, CollectorRegistry()) if sys.argv[1] == "scrape" else ReplicaHolds(Store())

class ClosedWhenCollected:
    def __del__(self):
        closed.close()
        print("closed at the interpreter's exit", flush=True)

kept = ClosedWhenCollected()
kept.itself = kept  # (a cycle: collected as the interpreter finalizes, after the last atexit callback)
del kept
"""


@pytest.mark.parametrize("closed", ["holds", "scrape"])
def test_a_close_from_a_del_at_the_interpreters_exit_returns_at_once(closed: str) -> None:
    """No other thread runs then: the held ids' close, waiting for an event its sender set as it ended, took its whole
    10 s, and the metrics server's shutdown waited for its serve loop for ever."""
    root = str(Path(holds.__file__).resolve().parent.parent)
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _CLOSED_AT_EXIT, closed], cwd=root, capture_output=True, text=True,
                          timeout=30, env={"PYTHONPATH": root, "PATH": os.environ.get("PATH", "")})  # fmt: skip
    assert (done.returncode, done.stdout.splitlines()) == (0, ["closed at the interpreter's exit"]), done.stderr
    assert time.monotonic() - began < 8  # (the interpreter's start and imports: ~1 s; the old close took 10)
