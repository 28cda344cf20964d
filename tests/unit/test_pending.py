"""PendingIds: the articles of the requests read from index streams and not yet decided, by id, that an
IndexArticle or a delete of the same id waits for."""

from __future__ import annotations

import threading
from concurrent.futures import Future

from service.pending import PendingIds

WAIT = 10.0


def test_a_read_requests_ids_are_pending_until_each_article_is_decided() -> None:
    pending = PendingIds()
    read = pending.read(["a", "b"])
    assert len(pending) == 2
    a, b = Future[str](), Future[str]()
    read.follow(a)
    read.follow(b)
    read.stop_following()
    assert pending.wait_for(["a"], timeout=0.01) is False  # not decided yet
    assert pending.wait_for(["c"], timeout=0) is True  # nothing of that id
    a.set_result("decided")
    assert pending.wait_for(["a"], timeout=0) is True  # (not held pending by the rest of its request)
    assert len(pending) == 1
    b.set_exception(RuntimeError("the store refused it"))  # failed: no longer pending either
    assert len(pending) == 0
    assert pending.wait_for(["a", "b"], timeout=0) is True


def test_articles_of_a_read_request_not_yet_queued_are_pending_too() -> None:
    # (the reader queues a request's articles one by one: the rest of a batch it read was not waited for)
    pending = PendingIds()
    read = pending.read(["a", "b", "c"])
    queued: Future[str] = Future()
    read.follow(queued)
    queued.set_result("decided")
    assert pending.wait_for(["c"], timeout=0.01) is False  # read, not queued yet
    read.follow(ValueError("refused before it was queued"))
    read.stop_following()  # the stream ended before "c" was queued: it never will be
    assert len(pending) == 0


def test_a_request_whose_articles_are_all_done_already_is_not_kept() -> None:
    pending = PendingIds()
    done: Future[str] = Future()
    done.set_result("decided")
    read = pending.read(["a"])
    read.follow(done)
    read.stop_following()
    assert len(pending) == 0
    pending.read([]).stop_following()  # (an empty batch)
    assert len(pending) == 0
    assert len(pending) == 0


def test_a_wait_returns_once_the_article_is_decided_in_another_thread() -> None:
    pending = PendingIds()
    earlier: Future[str] = Future()
    read = pending.read(["a"])
    read.follow(earlier)
    read.stop_following()
    threading.Timer(0.05, earlier.set_result, args=("decided",)).start()  # (the writer, deciding it)
    assert pending.wait_for(["a"], timeout=WAIT) is True
    assert earlier.done() and len(pending) == 0


def test_an_id_in_two_requests_is_pending_until_both_are_done() -> None:
    pending = PendingIds()
    first, second = pending.read(["a"]), pending.read(["a", "b"])
    outcomes = [Future[str](), Future[str](), Future[str]()]
    first.follow(outcomes[0])
    second.follow(outcomes[1])
    second.follow(outcomes[2])
    for read in (first, second):
        read.stop_following()
    outcomes[0].set_result("decided")
    assert pending.wait_for(["a"], timeout=0.01) is False  # the second request's "a" is not decided
    outcomes[1].set_result("decided")
    outcomes[2].set_result("decided")
    assert pending.wait_for(["a"], timeout=0) is True and len(pending) == 0


def test_an_article_decided_is_not_held_pending_by_the_rest_of_its_request_not_yet_queued() -> None:
    # (a client that stops reading its answers holds the rest of a batch unqueued as long as its stream lasts:
    # a delete of the batch's first article, stored long before, waited out its deadline)
    pending = PendingIds()
    read = pending.read(["first", "last"])
    stored: Future[str] = Future()
    read.follow(stored)
    stored.set_result("decided")
    assert pending.wait_for(["first"], timeout=0) is True
    assert pending.wait_for(["last"], timeout=0.01) is False  # read, still unqueued
    read.stop_following()
    assert len(pending) == 0


def test_ids_no_longer_pending_are_dropped_as_more_are_read() -> None:
    # (dropped a few at each read, the oldest first, not all at once: a sweep of thousands held the GIL for ms)
    pending = PendingIds()
    for batch in range(1000):
        read = pending.read([f"b{batch}-{n}" for n in range(64)])
        for _ in range(64):
            decided: Future[str] = Future()
            decided.set_result("decided")
            read.follow(decided)
        read.stop_following()
    assert len(pending._pending) <= 2 * 64  # (64,000 read, all decided: at most about the last batches kept)
    assert len(pending) == 0
