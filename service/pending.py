"""Articles the index streams have read and the writer has not yet decided, by id.

`IndexArticle` is decided ahead of what the streams keep queued (Engine.submit_all's `urgent`), so without
this a correction sent alone could be decided first and then overwritten by the older version a backfill
stream still held: the version stored would be the one sent first. An `IndexArticle` waits for the streamed
articles of its id read before it (`PendingIds.wait_for`), and only those: it jumps the rest of the queue.
A delete waits for them too: deleted at once, a takedown was undone when the writer stored the version queued.

A request's articles are pending from the moment it is read: the reader queues them one by one, fingerprinting
each or waiting for room in the stream's window, and an article of a read request not yet queued was not waited
for. Each is pending until its own verdict is done (or it failed before it was queued, or never was), not until
its request's are: a client that stops reading its answers can hold the rest of a batch unqueued for as long as
its stream lasts, and an article of it decided long before was held pending with them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent import futures
from typing import Any

# An article's outcome once it can no longer be pending: it failed before it was queued, or never was.
_SETTLED: futures.Future[Any] = futures.Future()
_SETTLED.set_result(None)
# Ids are looked at again, the oldest first, this many for each article read, and those no longer pending dropped
# (not one by one as their verdicts come: a done-callback an article cost ≈5 µs of the server process's CPU on a
# busy host; nor all at once: a sweep of thousands held the GIL for milliseconds, which a check then waits for).
_LOOKED_AT_A_READ = 2


class PendingIds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, list[tuple[ReadRequest, int]]] = {}  # (a request read, the article's place in it)

    def read(self, article_ids: Sequence[str]) -> ReadRequest:
        """A request's articles, each pending until it is decided (`ReadRequest.follow`) or left unqueued."""
        request = ReadRequest(article_ids, self._lock)
        with self._lock:
            self._drop_done(_LOOKED_AT_A_READ * len(article_ids))
            for n, article_id in enumerate(article_ids):
                self._pending.setdefault(article_id, []).append((request, n))
        return request

    def _drop_done(self, looked_at: int) -> None:
        """Drop the articles no longer pending among the `looked_at` ids read longest ago; an id with one still
        pending goes to the back (with the lock held)."""
        for article_id in list(itertools.islice(self._pending, looked_at)):
            places = self._pending.pop(article_id)
            if left := [(request, n) for request, n in places if request.pending(n)]:
                self._pending[article_id] = left

    def wait_for(self, article_ids: Iterable[str], timeout: float | None) -> bool:
        """Wait until the articles of these ids pending now are done; False if `timeout` passed first (those
        read after this call are not waited for: they came later). An article not queued yet is waited for in
        two steps: until its request is queued, then for its verdict."""
        ends = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            places = [place for article_id in article_ids for place in self._pending.get(article_id, ())]
            unqueued = [request.through() for request, n in places if request.outcomes[n] is None]
        if not _all_done(unqueued, ends):
            return False
        return _all_done([o for request, n in places if (o := request.outcomes[n]) is not None], ends)

    def __len__(self) -> int:
        """How many ids have articles pending (tests, and a check that nothing is left behind)."""
        with self._lock:
            self._drop_done(len(self._pending))
            return len(self._pending)


def _all_done(waited: list[futures.Future[Any]], ends: float | None) -> bool:
    """Wait for these until `ends` (a `time.monotonic()` value; None: no bound): are they all done?"""
    waited = [f for f in waited if not f.done()]
    if not waited:
        return True
    timeout = None if ends is None else max(ends - time.monotonic(), 0.0)
    return not futures.wait({id(f): f for f in waited}.values(), timeout).not_done


class ReadRequest:
    """The articles of one request read from a stream, followed in order by the reader as it queues them."""

    def __init__(self, article_ids: Sequence[str], lock: threading.Lock) -> None:
        self.outcomes: list[futures.Future[Any] | None] = [None] * len(article_ids)  # (None: not queued yet)
        self._followed = 0
        self._lock = lock  # (PendingIds')
        self._is_through = False  # the reader is through with the request
        self._through: futures.Future[None] | None = (
            None  # made for a call that waits for it: one a request cost too much
        )

    def through(self) -> futures.Future[None]:
        """Done once the reader is through with the request (with the lock held)."""
        if self._through is None:
            self._through = futures.Future()
            if self._is_through:
                self._through.set_result(None)
        return self._through

    def pending(self, n: int) -> bool:
        """Is the request's nth article still to be decided?"""
        outcome = self.outcomes[n]
        return outcome is None or not outcome.done()

    def follow(self, outcome: futures.Future[Any] | Exception) -> None:
        """The next article is queued (its verdict to come), or failed before it could be (an exception)."""
        # (set before the request is through: a call that waited for that then waits for this)
        self.outcomes[self._followed] = _SETTLED if isinstance(outcome, Exception) else outcome
        self._followed += 1

    def stop_following(self) -> None:
        """The articles not followed were never queued (the stream ended part-way): none is pending any more."""
        for n in range(self._followed, len(self.outcomes)):
            self.outcomes[n] = _SETTLED
        self._followed = len(self.outcomes)
        with self._lock:
            self._is_through = True
            waited = self._through
        if waited is not None:
            waited.set_result(None)
