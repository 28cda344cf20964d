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
from tests.articles import OTHER_WITH_APPEAL, WIRE
from tests.support import in_process_server, until

QUEUED = 40  # articles the stream queues behind the one the held writer has taken


@pytest.mark.parametrize("workers", [0, 1])
def test_a_stream_cancelled_before_its_answers_withdraws_what_the_writer_has_not_taken_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, workers: int
) -> None:
    caplog.set_level(logging.INFO, logger="service.servicer")
    with in_process_server(tmp_path, fingerprint_workers=workers) as (running, client):
        submitted: list[str] = []
        submit_all = running.engine.submit_all

        def counting(prepared: Any, evidence: bool = False, urgent: bool = False) -> Any:
            outcomes = submit_all(prepared, evidence, urgent)
            submitted.extend(p.article.id for p in prepared)
            return outcomes

        monkeypatch.setattr(running.engine, "submit_all", counting)
        release, holding = threading.Event(), threading.Event()
        decide = running.engine._commit_running

        def held_once(jobs: Any, cut_short: bool) -> Any:  # (the jobs taken up, marked running: not withdrawn)
            if not holding.is_set():
                holding.set()
                release.wait(timeout=60)
            return decide(jobs, cut_short)

        monkeypatch.setattr(running.engine, "_commit_running", held_once)
        requests: queue.Queue[pb.IndexArticlesRequest | None] = queue.Queue()

        def feed() -> Iterator[pb.IndexArticlesRequest]:
            while (request := requests.get()) is not None:
                yield request

        try:
            with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                call = pb_grpc.NearDuplicateServiceStub(channel).IndexArticles(feed())
                requests.put(pb.IndexArticlesRequest(article=pb.Article(id="first", body=WIRE)))
                assert holding.wait(timeout=60)  # (the writer took "first" and holds its commit)
                for n in range(QUEUED):
                    body = f"{OTHER_WITH_APPEAL} Updated at {n} past the hour."
                    requests.put(pb.IndexArticlesRequest(article=pb.Article(id=f"queued-{n}", body=body)))
                assert until(lambda: len(submitted) == 1 + QUEUED, timeout=60)  # (all in the writer's queue)
                call.cancel()  # type: ignore[no-untyped-call]  # (RpcContext.cancel is unannotated in grpc-stubs)
                assert until(lambda: "withdrawn" in caplog.text, timeout=30)
                requests.put(None)
        finally:
            release.set()
        # A stream opened after it: its article is queued behind the withdrawn ones, so once it is answered the
        # writer has passed them.
        (after,) = client.index_stream([Article("after", f"{WIRE} A later edition.")])
        assert after.id == "after"
        assert client.get("first").article.body == WIRE  # (taken up before the cancel: stored, as it may be)
        for n in range(QUEUED):
            with pytest.raises(NotFoundError):
                client.get(f"queued-{n}")
        assert f"{QUEUED} articles its client had sent, not yet taken up by the writer, withdrawn" in caplog.text
