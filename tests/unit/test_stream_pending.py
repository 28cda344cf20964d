"""A stream's hand-off from its reader to its answers holds at most STREAM_WINDOW_BYTES of article text."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from typing import Any

import pytest
from neardup.v1 import neardup_pb2 as pb

from service import servicer
from service.errors import Unavailable
from service.holds import Holds
from service.logs import Throttle
from service.model import Article, Verdict
from service.pending import PendingIds
from service.servicer import _Item, _Pending
from tests.support import EndingCall, until


def _answered(article_id: str, size: int) -> _Item:
    outcome: futures.Future[Verdict] = futures.Future()
    outcome.set_result(Verdict(article_id))
    return _Item(article_id, outcome, size)


def test_the_reader_waits_while_the_window_holds_its_bytes_and_goes_on_as_answers_are_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The window counted articles only: 1,024 articles of 1 MiB each were held for one stream.
    monkeypatch.setattr(servicer, "STREAM_WINDOW_BYTES", 1000)
    pending = _Pending(EndingCall(), Throttle(10.0))  # type: ignore[arg-type]  # (only add_callback is asked for)
    put: list[str] = []

    def read() -> None:
        for n in range(6):
            pending.put(_answered(f"a{n}", 400))
            put.append(f"a{n}")
        pending.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert until(lambda: len(put) == 2)
    assert not until(lambda: len(put) > 2, timeout=0.3)  # a third would hold 1,200 bytes
    answers = (item.id for item in pending if isinstance(item, _Item))
    assert next(answers) == "a0"
    assert until(lambda: len(put) == 3)
    assert list(answers) == ["a1", "a2", "a3", "a4", "a5"]
    reader.join(10)
    assert not reader.is_alive()


def test_an_article_bigger_than_the_window_still_gets_in_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servicer, "STREAM_WINDOW_BYTES", 1000)
    pending = _Pending(EndingCall(), Throttle(10.0))  # type: ignore[arg-type]
    pending.put(_answered("big", 5000))  # (would wait for ever if it had to fit)
    pending.close()
    assert [item.id for item in pending if isinstance(item, _Item)] == ["big"]


def test_a_stream_whose_last_request_was_being_taken_when_the_drain_began_ends_ok() -> None:
    # The drain recorded "shutting down" as the request being taken ended, so a stream that had sent its last
    # request ended UNAVAILABLE "not read" with every article answered, and was sent again whole.
    pending = _Pending(EndingCall(), Throttle(10.0))  # type: ignore[arg-type]  # (only add_callback is asked for)
    assert pending.begin_request()
    pending.put(_answered("last", 10))
    pending.drain()
    pending.end_request()
    pending.close()  # (the client's requests ended)
    assert [item.id for item in pending if isinstance(item, _Item)] == ["last"]
    pending.raise_failure()  # (ends OK: raises nothing)


def test_a_request_read_after_the_drain_began_is_not_taken_and_the_call_ends_unavailable() -> None:
    pending = _Pending(EndingCall(), Throttle(10.0))  # type: ignore[arg-type]
    assert pending.begin_request()
    pending.put(_answered("taken", 10))
    pending.drain()
    pending.end_request()
    assert not pending.begin_request()  # (the client sent more)
    pending.close()
    assert [item.id for item in pending if isinstance(item, _Item)] == ["taken"]
    with pytest.raises(Unavailable, match="shutting down"):
        pending.raise_failure()


class _Pool:
    """The fingerprint workers: each request's articles answered together in another thread, as the pool's result
    thread does (the article itself stands for what it became)."""

    def prepare_all(self, articles: Sequence[Article], answer: Callable[[list[Any]], None]) -> None:
        threading.Thread(target=answer, args=([_Prepared(article) for article in articles],), daemon=True).start()


class _Prepared:
    def __init__(self, article: Article) -> None:
        self.article = article


class _Engine:
    holds = Holds()

    def submit_all(self, prepared: Sequence[_Prepared], evidence: bool = False) -> list[futures.Future[Verdict]]:
        decided = []
        for each in prepared:
            verdict: futures.Future[Verdict] = futures.Future()
            verdict.set_result(Verdict(each.article.id))
            decided.append(verdict)
        return decided


def test_with_workers_a_request_that_fills_the_window_by_bytes_first_is_sent_to_them_and_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # has_room repeated the byte test of put: had it counted only the articles, the reader would wait for room
    # in a window full of bytes before sending its articles to the workers, and the stream stall to its deadline.
    monkeypatch.setattr(servicer, "STREAM_WINDOW_BYTES", 2000)
    streams = object.__new__(servicer.NearDuplicateServicer)
    streams.pool, streams.engine, streams.pending = _Pool(), _Engine(), PendingIds()  # type: ignore[assignment]
    call = EndingCall()
    pending = _Pending(call, Throttle(10.0))  # type: ignore[arg-type]
    articles = [pb.Article(id=f"a{n}", body="x" * 400) for n in range(20)]  # ~410 bytes each: 5 fill the window
    assert len(articles) < servicer.STREAM_WINDOW  # (the count never fills it)

    def read() -> None:
        streams._queue(articles, False, pending)
        pending.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    answered = []
    try:
        for item in pending:
            if isinstance(item, _Item):
                assert isinstance(item.outcome, futures.Future)
                answered.append(item.outcome.result(timeout=5).id)  # (stalled: TimeoutError)
    finally:
        call.end()  # (a failure: the reader stops waiting for room)
    assert answered == [article.id for article in articles]
    reader.join(10)
    assert not reader.is_alive()
