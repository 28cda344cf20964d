"""A stream's hand-off from its reader to its answers holds at most STREAM_WINDOW_BYTES of article text."""

from __future__ import annotations

import threading
from concurrent import futures

import pytest

from service import servicer
from service.errors import Unavailable
from service.model import Verdict
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
    pending = _Pending(EndingCall())  # type: ignore[arg-type]  # (only add_callback is asked for)
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
    pending = _Pending(EndingCall())  # type: ignore[arg-type]
    pending.put(_answered("big", 5000))  # (would wait for ever if it had to fit)
    pending.close()
    assert [item.id for item in pending if isinstance(item, _Item)] == ["big"]


def test_a_stream_whose_last_request_was_being_taken_when_the_drain_began_ends_ok() -> None:
    # The drain recorded "shutting down" as the request being taken ended, so a stream that had sent its last
    # request ended UNAVAILABLE "not read" with every article answered, and was sent again whole.
    pending = _Pending(EndingCall())  # type: ignore[arg-type]  # (only add_callback is asked for)
    assert pending.begin_request()
    pending.put(_answered("last", 10))
    pending.drain()
    pending.end_request()
    pending.close()  # (the client's requests ended)
    assert [item.id for item in pending if isinstance(item, _Item)] == ["last"]
    pending.raise_failure()  # (ends OK: raises nothing)


def test_a_request_read_after_the_drain_began_is_not_taken_and_the_call_ends_unavailable() -> None:
    pending = _Pending(EndingCall())  # type: ignore[arg-type]
    assert pending.begin_request()
    pending.put(_answered("taken", 10))
    pending.drain()
    pending.end_request()
    assert not pending.begin_request()  # (the client sent more)
    pending.close()
    assert [item.id for item in pending if isinstance(item, _Item)] == ["taken"]
    with pytest.raises(Unavailable, match="shutting down"):
        pending.raise_failure()
