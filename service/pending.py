"""Articles the index streams have read and the writer has not yet decided, by id.

`IndexArticle` is decided ahead of what the streams keep queued (Engine.submit_all's `urgent`), so without
this a correction sent alone could be decided first and then overwritten by the older version a backfill
stream still held: the version stored would be the one sent first. An `IndexArticle` waits for the streamed
articles of its id read before it (`PendingIds.wait_for`), and only those: it jumps the rest of the queue.
A delete waits for them too: deleted at once, a takedown was undone when the writer stored the version queued.

A request's articles are pending from the moment it is read, all of them: the reader queues them one by one,
fingerprinting each or waiting for room in the stream's window, and an article of a read request not yet
queued was not waited for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent import futures
from typing import Any


class PendingIds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, list[futures.Future[None]]] = {}

    def read(self, article_ids: Sequence[str]) -> ReadRequest:
        """A request's articles, pending until each is decided (`ReadRequest.follow`) or left unqueued."""
        request = ReadRequest(len(article_ids))
        if request.done.done():
            return request
        with self._lock:
            for article_id in article_ids:
                self._pending.setdefault(article_id, []).append(request.done)
        request.done.add_done_callback(lambda done: self._remove(article_ids, done))
        return request

    def _remove(self, article_ids: Sequence[str], done: futures.Future[None]) -> None:
        with self._lock:
            for article_id in article_ids:
                pending = self._pending[article_id]
                pending.remove(done)
                if not pending:
                    del self._pending[article_id]

    def wait_for(self, article_ids: Iterable[str], timeout: float | None) -> bool:
        """Wait until the articles of these ids pending now are done; False if `timeout` passed first (those
        read after this call are not waited for: they came later)."""
        with self._lock:
            earlier = {id(f): f for article_id in article_ids for f in self._pending.get(article_id, ())}
        if not earlier:
            return True
        _, not_done = futures.wait(earlier.values(), timeout)
        return not not_done

    def __len__(self) -> int:
        """How many ids have articles pending (tests, and a check that nothing is left behind)."""
        with self._lock:
            return len(self._pending)


class ReadRequest:
    """The articles of one request read from a stream: `done` once each has its outcome, or was never queued."""

    def __init__(self, articles: int) -> None:
        self.done: futures.Future[None] = futures.Future()
        self._left = articles  # not yet decided, failed, or given up
        self._followed = 0
        self._articles = articles
        self._lock = threading.Lock()
        if not articles:
            self.done.set_result(None)

    def follow(self, outcome: futures.Future[Any] | Exception) -> None:
        """The next article's outcome: a verdict to come, or its failure before it was queued."""
        self._followed += 1
        if isinstance(outcome, Exception):
            self._one_done()
        else:
            outcome.add_done_callback(self._one_done)  # (at once if done already)

    def stop_following(self) -> None:
        """The articles not followed were never queued (the stream ended part-way): none is pending any more."""
        unfollowed, self._followed = self._articles - self._followed, self._articles
        if unfollowed:
            self._one_done(count=unfollowed)

    def _one_done(self, _outcome: object = None, count: int = 1) -> None:
        """`count` more articles have their outcome (`_outcome`: a done-callback's argument, unused)."""
        with self._lock:
            self._left -= count
            finished = self._left == 0
        if finished:
            self.done.set_result(None)
