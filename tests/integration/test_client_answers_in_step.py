"""An index stream's answers are taken for the articles they name, in the order sent: a server or proxy that drops,
repeats or adds an answer ends the stream with an error saying so, not with every later answer taken for the article
before it. A small real gRPC server on loopback, built on the generated servicer base, misbehaves on purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article, NeardupClient, NeardupClientError, Verdict
from tests.articles import WIRE
from tests.support import serving

IDS = [f"a{i}" for i in range(12)]
Results = list[pb.IndexArticlesResponse]


def _answer(article_id: str) -> pb.IndexArticlesResponse:
    return pb.IndexArticlesResponse(id=article_id, verdict=pb.Verdict(id=article_id, outcome=pb.INDEX_OUTCOME_NEW))


def _one_too_many(results: Results) -> Results:
    return [*results, _answer("phantom")]


def _one_dropped(results: Results) -> Results:
    return results[1:]


def _repeated(results: Results) -> Results:
    return [results[0], *results]


class _OutOfStep(pb_grpc.NearDuplicateServiceServicer):
    """Answers every batch but the first through `mangle`."""

    def __init__(self, mangle: Callable[[Results], Results]) -> None:
        self.mangle = mangle

    def IndexArticleBatches(self, request_iterator: Iterator[pb.IndexArticleBatchesRequest], context: Any) -> Any:
        for number, request in enumerate(request_iterator):
            results = [_answer(a.id) for a in request.articles]
            yield pb.IndexArticleBatchesResponse(results=self.mangle(results) if number else results)


@pytest.mark.parametrize(
    ("mangle", "taken", "said"),
    [
        (_one_too_many, 8, "the server answered article 'phantom' where article 'a8' was next"),
        (_one_dropped, 4, "the server answered article 'a5' where article 'a4' was next"),
        # (a4's first answer is a4's: taken; its second was taken for a5, and so on down the stream)
        (_repeated, 5, "the server answered article 'a4' where article 'a5' was next"),
    ],
    ids=["one-too-many", "one-dropped", "repeated"],
)
def test_answers_out_of_step_with_the_articles_sent_end_the_stream_saying_so(
    mangle: Callable[[Results], Results], taken: int, said: str
) -> None:
    # (each answer was taken for the oldest article unanswered, whatever it named: a line's verdict written for the
    # next line's id, and an answer past the last raised a bare IndexError)
    service = _OutOfStep(mangle)  # type: ignore[abstract]  # (the methods left out answer UNIMPLEMENTED)
    answered: list[str] = []
    with (
        serving(service) as target,
        NeardupClient(target, timeout=30) as client,
        pytest.raises(NeardupClientError) as raised,
    ):
        for outcome in client.index_stream((Article(i, WIRE) for i in IDS), batch=4):
            assert isinstance(outcome, Verdict)
            answered.append(outcome.id)
    assert answered == IDS[:taken]  # (those answered in step, and none after taken for another)
    assert raised.value.code == grpc.StatusCode.INTERNAL and not raised.value.retryable
    assert said in raised.value.details and "its answers no longer match the articles sent" in raised.value.details
