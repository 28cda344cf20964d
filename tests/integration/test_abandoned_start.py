"""A start abandoned by a stop signal during the index's load: the calls the server held are told it is stopping
before its index was loaded, and the client reads that nothing sent on them was stored. They were told "the server
failed to load its index", though nothing had failed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from benchmarks.loopback import free_port, wait_for
from client import Article, NeardupClient, UnavailableError
from service import grpc_server
from service.index_load import LOAD_ABANDONED
from service.settings import Settings
from tests import support
from tests.articles import WIRE
from tests.support import scrape


class _SignalledStop(BaseException):
    """Stands in for serve's _StopRequested, which its SIGTERM handler raises during the start."""


def test_calls_held_by_a_start_abandoned_by_a_signal_are_told_so_and_not_that_the_load_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    go = threading.Event()

    def stopped_while_opening(_settings: Settings) -> None:
        go.wait(timeout=30)
        raise _SignalledStop("SIGTERM")

    monkeypatch.setattr(grpc_server, "open_store", stopped_while_opening)
    port, metrics_port = free_port(), free_port()
    settings = support.test_settings(tmp_path / "data", port=port, metrics_port=metrics_port)
    ended: dict[str, BaseException] = {}

    def run(name: str, call: object) -> threading.Thread:
        def go_on() -> None:
            try:
                call()  # type: ignore[operator]
            except BaseException as exc:  # (said below, in the test's thread)
                ended[name] = exc

        thread = threading.Thread(target=go_on, daemon=True)
        thread.start()
        return thread

    start = run("start", lambda: grpc_server.start_server(settings))
    wait_for(lambda: _answers(metrics_port), timeout=30, what="the metrics port")
    with NeardupClient(f"127.0.0.1:{port}", timeout=30) as client:
        calls = [run("index", lambda: client.index(Article("a", WIRE))),
                 run("stream", lambda: list(client.index_stream([Article("b", WIRE)])))]  # fmt: skip
        wait_for(lambda: _waiting(metrics_port) == 2, timeout=30, what="the server to hold both calls")
        go.set()
        for thread in (start, *calls):
            thread.join(timeout=30)
    assert isinstance(ended["start"], _SignalledStop)
    index, stream = ended["index"], ended["stream"]
    assert isinstance(index, UnavailableError) and index.details == LOAD_ABANDONED
    assert "nothing was stored" in LOAD_ABANDONED and "failed" not in LOAD_ABANDONED
    assert isinstance(stream, UnavailableError) and stream.may_be_stored == 0
    assert stream.details == f"{LOAD_ABANDONED}; 1 article sent on the stream was not stored"


def _answers(metrics_port: int) -> bool:
    try:
        scrape(metrics_port)
    except OSError:
        return False
    return True


def _waiting(metrics_port: int) -> float:
    return scrape(metrics_port)[("neardup_rpc_waiting_for_index", ())]
