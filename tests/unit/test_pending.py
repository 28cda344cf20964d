"""PendingIds: the streams' articles not yet decided, by id, that an IndexArticle of the same id waits for."""

from __future__ import annotations

import threading
from concurrent.futures import Future

from service.pending import PendingIds

WAIT = 10.0


def test_an_id_is_pending_until_its_outcome_is_done() -> None:
    pending = PendingIds()
    outcome: Future[str] = Future()
    pending.add("a", outcome)
    assert len(pending) == 1
    assert pending.wait_for(["a"], timeout=0.01) is False  # not done yet
    assert pending.wait_for(["b"], timeout=0) is True  # nothing of that id
    outcome.set_result("decided")
    assert len(pending) == 0
    assert pending.wait_for(["a"], timeout=0) is True


def test_a_failed_or_cancelled_outcome_is_no_longer_pending() -> None:
    pending = PendingIds()
    failed, cancelled = Future[str](), Future[str]()
    pending.add("a", failed)
    pending.add("a", cancelled)
    failed.set_exception(RuntimeError("the store refused it"))
    assert len(pending) == 1  # the cancelled one still counts
    assert cancelled.cancel()
    assert len(pending) == 0


def test_an_outcome_already_done_is_not_kept() -> None:
    pending = PendingIds()
    done: Future[str] = Future()
    done.set_result("decided")
    pending.add("a", done)
    assert len(pending) == 0


def test_a_wait_returns_once_the_outcome_is_done_in_another_thread() -> None:
    pending = PendingIds()
    earlier: Future[str] = Future()
    pending.add("a", earlier)
    threading.Timer(0.05, earlier.set_result, args=("decided",)).start()  # (the writer, deciding it)
    assert pending.wait_for(["a"], timeout=WAIT) is True
    assert earlier.done() and len(pending) == 0
