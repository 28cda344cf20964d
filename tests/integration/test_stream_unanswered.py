"""The error that ends an index stream says how many of the articles it sent were left unanswered, and that they
may or may not be stored (gRPC's "Stream removed (Socket closed)" said neither, where StreamEndedEarlyError and
`neardup ingest` did): a real server, killed or held past the stream's deadline."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from client import Article, DeadlineExceededError, NeardupClientError, Retry, UnavailableError
from tests.articles import WIRE
from tests.support import HELD_PAST_DEADLINE, ServerProcess, in_process_server, until, writes_held

COUNT = 5  # articles sent: one batch message, sent once the last is read
LEFT = (
    f"{COUNT} articles sent on the stream were left unanswered, and may or may not be stored: sending them again is "
    "safe, none is stored twice"
)


def _articles(read_all: threading.Event) -> Iterator[Article]:
    for n in range(COUNT):
        yield Article(f"a{n}", f"{WIRE} ({n})")
    read_all.set()


@pytest.mark.parametrize(
    "retry", [None, Retry(attempts=1, first_wait=0, max_wait=0, jitter=0)], ids=["once", "retried"]
)
def test_a_stream_to_a_server_killed_before_answering_says_how_many_articles_it_left_unanswered(
    tmp_path: Path, retry: Retry | None
) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        with server.client() as client:
            client.health()  # (connected: the stream's bytes go to the server's socket while it is stopped)
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGSTOP)  # (it reads nothing, so answers nothing)
            read_all, raised = threading.Event(), list[NeardupClientError]()

            def index() -> None:
                try:
                    list(client.index_stream(_articles(read_all), batch=64, retry=retry))
                except NeardupClientError as exc:
                    raised.append(exc)

            streaming = threading.Thread(target=index)
            streaming.start()
            assert until(read_all.is_set)  # every article handed to gRPC, none answered
            server.kill9()
            streaming.join(60)
            (error,) = raised
    finally:
        server.stop()
    assert isinstance(error, UnavailableError) and error.code == grpc.StatusCode.UNAVAILABLE and error.retryable
    assert error.unanswered == COUNT
    assert error.details.endswith(f"; {LEFT}"), error.details


@pytest.mark.parametrize("workers", [0, 1])
def test_a_stream_past_its_deadline_names_its_timeout_and_says_how_many_articles_it_left_unanswered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    with in_process_server(tmp_path, fingerprint_workers=workers) as (running, client):
        # (the writer has taken the stream's articles, and their write waits)
        entered, release = writes_held(running.engine, monkeypatch, first_only=False)
        with pytest.raises(DeadlineExceededError) as caught:
            list(client.index_stream(_articles(threading.Event()), batch=64, timeout=HELD_PAST_DEADLINE))
        release.set()
        assert entered.is_set()
    assert caught.value.unanswered == COUNT
    assert caught.value.details == f"the stream's timeout of {HELD_PAST_DEADLINE:g} s (its whole length) passed; {LEFT}"
