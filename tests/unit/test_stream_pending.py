"""A stream's hand-off from its reader to its answers holds at most STREAM_WINDOW_BYTES of article text."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures

import pytest

from service import grpc_server
from service.grpc_server import _Item, _Pending
from service.model import Verdict
from tests.support import until


class _Call:
    """What _Pending asks of a call: to be told when it ends (this one does not)."""

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return True


def _answered(article_id: str, size: int) -> _Item:
    outcome: futures.Future[Verdict] = futures.Future()
    outcome.set_result(Verdict(article_id))
    return _Item(article_id, outcome, size)


def test_the_reader_waits_while_the_window_holds_its_bytes_and_goes_on_as_answers_are_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The window counted articles only: 1,024 articles of 1 MiB each were held for one stream.
    monkeypatch.setattr(grpc_server, "STREAM_WINDOW_BYTES", 1000)
    pending = _Pending(_Call())  # type: ignore[arg-type]  # (only add_callback is asked for)
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
    monkeypatch.setattr(grpc_server, "STREAM_WINDOW_BYTES", 1000)
    pending = _Pending(_Call())  # type: ignore[arg-type]
    pending.put(_answered("big", 5000))  # (would wait for ever if it had to fit)
    pending.close()
    assert [item.id for item in pending if isinstance(item, _Item)] == ["big"]
