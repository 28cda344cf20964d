"""A stream never ends OK with articles unanswered: an unexpected error (a bug) fails the one article it hit with
INTERNAL, or, where it stops the reading of the stream, the call, after the articles read before it are answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from service.detector import Detector, Prepared
from service.model import Article
from service.servicer import NearDuplicateServicer
from tests.support import in_process_server

POISON = "POISON"
BODIES = [f"story number {i} about the harbour board meeting on tuesday afternoon in the town" for i in range(5)]
BODIES[2] = f"{POISON} {BODIES[2]}"
ARTICLES = [pb.Article(id=f"a{i}", body=body) for i, body in enumerate(BODIES)]


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[pb_grpc.NearDuplicateServiceStub]:
    with (
        in_process_server(tmp_path / "data") as (running, _client),
        grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel,
    ):
        yield pb_grpc.NearDuplicateServiceStub(channel)


def _stream(stub: pb_grpc.NearDuplicateServiceStub, batches: bool, answers: list[pb.IndexArticlesResponse]) -> Any:
    """Send ARTICLES in one stream (as one batch message, or one message each), put each answer in `answers`
    as it comes, and return the call once it ended (grpc.RpcError if it ended with a status other than OK)."""
    call: Any
    if batches:
        call = stub.IndexArticleBatches(iter([pb.IndexArticleBatchesRequest(articles=ARTICLES)]), timeout=30)
        for message in call:
            answers.extend(message.results)
    else:
        call = stub.IndexArticles(iter([pb.IndexArticlesRequest(article=a) for a in ARTICLES]), timeout=30)
        answers.extend(call)
    return call


@pytest.mark.parametrize("batches", [False, True])
def test_an_article_that_fails_unexpectedly_is_answered_internal_and_the_stream_goes_on(
    stub: pb_grpc.NearDuplicateServiceStub,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    batches: bool,
) -> None:
    real = Detector.prepare

    def faulty(self: Detector, article: Article) -> Prepared:
        if POISON in article.body:
            raise RuntimeError("a bug in preparing this article")
        return real(self, article)

    monkeypatch.setattr(Detector, "prepare", faulty)
    answers: list[pb.IndexArticlesResponse] = []
    call = _stream(stub, batches, answers)
    assert [a.id for a in answers] == [a.id for a in ARTICLES]
    assert call.code() == grpc.StatusCode.OK
    failed = answers[2]
    assert failed.HasField("error") and failed.error.code == grpc.StatusCode.INTERNAL.value[0]
    assert "RuntimeError" in failed.error.message
    assert all(a.HasField("verdict") for n, a in enumerate(answers) if n != 2)
    assert any(r.exc_info and "a bug in preparing" in str(r.exc_info[1]) for r in caplog.records)  # (traceback)


@pytest.mark.parametrize("batches", [False, True])
def test_a_reader_that_fails_unexpectedly_ends_the_call_internal_after_answering_what_it_read(
    stub: pb_grpc.NearDuplicateServiceStub, monkeypatch: pytest.MonkeyPatch, batches: bool
) -> None:
    real = NearDuplicateServicer._item

    def faulty(self: NearDuplicateServicer, article: pb.Article, evidence: bool, *rest: Any) -> Any:
        if POISON in article.body:  # (raised in the reader's loop itself, not in one article's handling)
            raise RuntimeError("a bug in reading the stream")
        return real(self, article, evidence, *rest)

    monkeypatch.setattr(NearDuplicateServicer, "_item", faulty)
    answers: list[pb.IndexArticlesResponse] = []
    with pytest.raises(grpc.RpcError) as raised:
        _stream(stub, batches, answers)
    # (the two read before are answered, also from a batch message not read whole: they may be stored)
    assert [a.id for a in answers] == ["a0", "a1"]
    assert all(a.HasField("verdict") for a in answers)
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert "RuntimeError" in (raised.value.details() or "")
