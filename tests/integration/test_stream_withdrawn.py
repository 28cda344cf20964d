"""A stream that ends before its answers (its client cancels it, or its deadline passes) withdraws the articles it
queued that the writer has not taken up: they are not stored. They were decided all the same, for no one: a client
stream with a 1 s timeout and retries sent 1,500 near-copies of one story three times over, and the server went on
deciding the abandoned attempts' articles for a minute, while a one-article stream opened after them waited 59 s."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article, NotFoundError
from service.grpc_server import RunningServer
from tests.articles import OTHER_WITH_APPEAL, WIRE
from tests.support import in_process_server, scrape, until

QUEUED = 40  # articles the stream queues behind the one the held writer has taken
WITHDRAWN = "its client had sent, not yet taken up by the writer, withdrawn (not stored)"


def _queued_articles() -> list[pb.Article]:
    return [
        pb.Article(id=f"queued-{n}", body=f"{OTHER_WITH_APPEAL} Updated at {n} past the hour.") for n in range(QUEUED)
    ]


def _writer_held(running: RunningServer, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """(release, holding): the writer's first decision waits for `release`, with the jobs it took marked running (so
    not withdrawn: taken up); `holding` is set once it waits. What is queued meanwhile waits behind it."""
    release, holding = threading.Event(), threading.Event()
    decide = running.engine._commit_running

    def held_once(jobs: Any, cut_short: bool) -> Any:
        if not holding.is_set():
            holding.set()
            release.wait(timeout=60)
        return decide(jobs, cut_short)

    monkeypatch.setattr(running.engine, "_commit_running", held_once)
    return release, holding


def _counting_submits(running: RunningServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids handed to the writer's queue, as they are."""
    submitted: list[str] = []
    submit_all = running.engine.submit_all

    def counting(prepared: Any, evidence: bool = False, urgent: bool = False) -> Any:
        outcomes = submit_all(prepared, evidence, urgent)
        submitted.extend(p.article.id for p in prepared)
        return outcomes

    monkeypatch.setattr(running.engine, "submit_all", counting)
    return submitted


@pytest.mark.parametrize(
    ("method", "ended_by", "workers"),
    [("IndexArticles", "cancel", 0), ("IndexArticles", "cancel", 1), ("IndexArticles", "deadline", 0),
     ("IndexArticleBatches", "cancel", 0)],
)  # fmt: skip
def test_a_stream_ended_before_its_answers_withdraws_what_the_writer_has_not_taken_up(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    ended_by: str,
    workers: int,
) -> None:
    caplog.set_level(logging.INFO, logger="service.servicer")
    with in_process_server(tmp_path, fingerprint_workers=workers, metrics_port=0) as (running, client):
        submitted = _counting_submits(running, monkeypatch)
        release, holding = _writer_held(running, monkeypatch)
        requests: queue.Queue[Any] = queue.Queue()

        def feed() -> Iterator[Any]:
            while (request := requests.get()) is not None:
                yield request

        def send(articles: list[pb.Article]) -> None:
            if method == "IndexArticles":
                for article in articles:
                    requests.put(pb.IndexArticlesRequest(article=article))
            else:
                requests.put(pb.IndexArticleBatchesRequest(articles=articles))

        try:
            with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                stub = pb_grpc.NearDuplicateServiceStub(channel)
                call = getattr(stub, method)(feed(), timeout=3 if ended_by == "deadline" else None)
                send([pb.Article(id="first", body=WIRE)])
                assert holding.wait(timeout=60)  # (the writer took "first" and holds it)
                send(_queued_articles())
                assert until(lambda: len(submitted) == 1 + QUEUED, timeout=60)  # (all in the writer's queue)
                if ended_by == "cancel":
                    call.cancel()  # (RpcContext.cancel is unannotated in grpc-stubs)
                assert until(lambda: WITHDRAWN in caplog.text, timeout=30)  # (by the deadline, at most 3 s on)
                requests.put(None)
        finally:
            release.set()
        # A stream opened after it: its article is queued behind the withdrawn ones, so once it is answered the
        # writer has passed them.
        (after,) = client.index_stream([Article("after", f"{WIRE} A later edition.")])
        assert after.id == "after"
        assert client.get("first").article.body == WIRE  # (taken up before the end: stored, as it may be)
        for n in range(QUEUED):
            with pytest.raises(NotFoundError):
                client.get(f"queued-{n}")
        # The answers the call could no longer send were neither sent nor counted as articles' errors.
        assert running.metrics_port is not None
        errors = {k: v for k, v in scrape(running.metrics_port).items() if k[0] == "neardup_article_errors_total"}
        assert not any(v for v in errors.values()), errors


def test_a_stream_that_ends_whole_withdraws_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.servicer")
    with in_process_server(tmp_path) as (_running, client):
        articles = [Article(a.id, a.body) for a in _queued_articles()]
        assert [v.id for v in client.index_stream(articles, batch=8)] == [a.id for a in articles]
        assert [v.id for v in client.index_stream(articles[:5])] == [a.id for a in articles[:5]]  # (one a message)
        assert client.stats().articles == QUEUED
    assert "withdrawn" not in caplog.text
