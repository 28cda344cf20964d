"""status_for: the one mapping from errors to gRPC status codes; article_status_for, an index stream article's."""

from __future__ import annotations

import errno
from concurrent import futures

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb

from service.errors import FullMidCommit, ResourceExhausted, StoreFull
from service.model import Verdict
from service.servicer import _Item, _stream_response
from service.status import article_status_for, status_for, trailers_for


def test_an_os_timeout_is_an_internal_fault_logged_not_a_passed_deadline(caplog: pytest.LogCaptureFixture) -> None:
    """A builtin TimeoutError (here a socket's ETIMEDOUT; since 3.11 futures.TimeoutError is the same class)
    was reported as "the deadline passed", with nothing logged. Deadlines are the handlers' to report, as
    DeadlineExceeded saying what was done (IndexArticle)."""
    timed_out = TimeoutError(errno.ETIMEDOUT, "Connection timed out")
    code, message = status_for(timed_out)
    assert code == grpc.StatusCode.INTERNAL
    assert "TimeoutError" in message and "server log" in message
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] == [timed_out]


# ---- an index stream's article refused RESOURCE_EXHAUSTED: a full store, and nothing else -----------------------


def _answer(outcome: Exception | futures.Future[Verdict]) -> pb.ArticleError:
    return _stream_response(_Item("a1", outcome)).error


def test_an_articles_resource_exhausted_in_a_stream_is_only_ever_a_full_store(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Clients read an article's RESOURCE_EXHAUSTED (an ArticleError: no trailer) as a full store's refusal, under the
    pushback "-1" (client/errors.py article_error), and stop. A per-article limit answered so would silently become
    "do not retry" in every client: it is answered INTERNAL, and logged, so that whoever adds one gives it a code of
    its own (or refuses the call, whose RESOURCE_EXHAUSTED without a trailer is retried)."""
    resource_exhausted = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    for full in (StoreFull("the disk holding the store is full (in this test)"), FullMidCommit("full mid-commit")):
        assert (_answer(full).code, _answer(full).message) == (resource_exhausted, str(full))
        refused: futures.Future[Verdict] = futures.Future()
        refused.set_exception(full)  # (as the engine's writer fails a queued article)
        assert _answer(refused).code == resource_exhausted
    limit = ResourceExhausted("too many articles of this source in flight (a per-article limit, in this test)")
    answered = _answer(limit)
    assert answered.code == grpc.StatusCode.INTERNAL.value[0] and "see the server log" in answered.message
    assert any("other than a full store" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    # The call-level answers are not touched: a limit's refusal of a whole call stays RESOURCE_EXHAUSTED, untrailed.
    assert status_for(limit)[0] == grpc.StatusCode.RESOURCE_EXHAUSTED and trailers_for(limit) == ()
    # And every ResourceExhausted the server defines is a full store's, or is kept off an article's answer.
    for kind in _subclasses(ResourceExhausted):
        assert issubclass(kind, StoreFull) or article_status_for(kind("x"))[0] != grpc.StatusCode.RESOURCE_EXHAUSTED


def _subclasses(kind: type[Exception]) -> list[type[Exception]]:
    return [kind, *(sub for direct in kind.__subclasses__() for sub in _subclasses(direct))]
