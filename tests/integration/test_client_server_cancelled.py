"""A call the server ends CANCELLED is made again by a client with `retry`, as UNAVAILABLE is.

gRPC ends so a call that reached a server as it began to stop, before a handler ran (the call waited in
gRPC's core for the Python server to ask for it, or came on a connection not yet told to go away:
grpc/grpc#41785): `neardup serve` stopped under 8 threads of unary calls ended a few of them so. The handler
never ran, so nothing was stored, and index and check are idempotent anyway: a client must send them again,
not give up on a status it cannot tell from its own cancel. A small real gRPC server on loopback, built on the
generated servicer base, ends its first calls CANCELLED on purpose."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article, ClientClosedError, NeardupClient, NeardupClientError, Retry, Verdict
from tests.articles import WIRE
from tests.support import serving

NO_WAIT = Retry(attempts=2, first_wait=0, max_wait=0, jitter=0)
IDS = [f"a{i}" for i in range(6)]
ANSWERED = 2  # articles the cancelled stream answers before it ends


def _verdict(article_id: str) -> pb.Verdict:
    return pb.Verdict(id=article_id, outcome=pb.INDEX_OUTCOME_NEW)


class _CancellingService(pb_grpc.NearDuplicateServiceServicer):
    """Ends its first `cancels` calls of each method CANCELLED, as gRPC ends those a stopping server never ran
    (a stream after answering ANSWERED articles); answers the others, each article as new."""

    def __init__(self, cancels: int) -> None:
        self.cancels = cancels
        self.calls: dict[str, list[list[str]]] = {}  # per method, the ids each call carried
        self._lock = threading.Lock()

    def _cancelled(self, method: str, ids: list[str]) -> bool:
        with self._lock:
            calls = self.calls.setdefault(method, [])
            calls.append(ids)
            return len(calls) <= self.cancels

    def IndexArticle(self, request: pb.IndexArticleRequest, context: Any) -> pb.IndexArticleResponse:
        if self._cancelled("IndexArticle", [request.article.id]):
            context.abort(grpc.StatusCode.CANCELLED, "CANCELLED")
        return pb.IndexArticleResponse(verdict=_verdict(request.article.id))

    def CheckArticle(self, request: pb.CheckArticleRequest, context: Any) -> pb.CheckArticleResponse:
        if self._cancelled("CheckArticle", [request.article.id]):
            context.abort(grpc.StatusCode.CANCELLED, "CANCELLED")
        return pb.CheckArticleResponse(verdict=_verdict(request.article.id))

    def IndexArticleBatches(self, request_iterator: Iterator[pb.IndexArticleBatchesRequest], context: Any) -> Any:
        received: list[str] = []
        cancel = self._cancelled("IndexArticleBatches", received)
        for request in request_iterator:
            ids = [a.id for a in request.articles]
            received += ids
            results = [pb.IndexArticlesResponse(id=i, verdict=_verdict(i)) for i in ids]
            yield pb.IndexArticleBatchesResponse(results=results[:ANSWERED] if cancel else results)
            if cancel:
                context.abort(grpc.StatusCode.CANCELLED, "CANCELLED")


@contextmanager
def _serving(cancels: int) -> Iterator[tuple[str, _CancellingService]]:
    # (The generated stubs mark the methods it leaves out abstract; at run time the base answers them UNIMPLEMENTED.)
    service = _CancellingService(cancels)  # type: ignore[abstract]
    with serving(service) as target:
        yield target, service


@pytest.mark.parametrize("method", ["IndexArticle", "CheckArticle"])
def test_a_unary_call_the_server_cancelled_is_sent_again_with_retry(method: str) -> None:
    heard: list[NeardupClientError] = []
    with _serving(cancels=1) as (target, service), NeardupClient(target, timeout=30) as client:
        call = client.index if method == "IndexArticle" else client.check
        verdict = call(Article("a1", WIRE), retry=NO_WAIT, on_retry=lambda error, _n, _wait: heard.append(error))
    assert verdict.id == "a1"
    assert service.calls[method] == [["a1"], ["a1"]]  # cancelled once, answered the second time
    assert [error.code for error in heard] == [grpc.StatusCode.CANCELLED]


def test_an_index_stream_the_server_cancelled_sends_its_unanswered_articles_again() -> None:
    with _serving(cancels=1) as (target, service), NeardupClient(target, timeout=30) as client:
        outcomes = list(client.index_stream((Article(i, WIRE) for i in IDS), batch=3, timeout=30, retry=NO_WAIT))
    assert [o.id for o in outcomes] == IDS and all(isinstance(o, Verdict) for o in outcomes)  # each once, in order
    first, second = service.calls["IndexArticleBatches"]
    assert first[:ANSWERED] == IDS[:ANSWERED]
    assert second[0] == IDS[ANSWERED]  # (the answered ones were not sent again)


def test_without_retry_a_call_the_server_cancelled_raises_a_retryable_error() -> None:
    with (
        _serving(cancels=1) as (target, _),
        NeardupClient(target, timeout=30) as client,
        pytest.raises(NeardupClientError) as raised,
    ):
        client.index(Article("a1", WIRE))
    assert raised.value.code == grpc.StatusCode.CANCELLED and raised.value.retryable
    assert not isinstance(raised.value, ClientClosedError)


def test_a_closed_client_s_cancel_is_not_retryable() -> None:
    assert not ClientClosedError(grpc.StatusCode.CANCELLED, "closed").retryable
