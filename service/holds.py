"""The articles this server's index streams hold undecided, told to the other servers sharing its store.

On one server `PendingIds` orders a correction (`IndexArticle`) or a takedown (`DeleteArticle`, `DeleteArticles`)
after the older version of its id a stream has read and the writer not yet decided. Behind a load balancer the
correction mostly reaches another replica, which knew nothing of it: it stored the correction at once, and the
replica holding the old version stored that over it (the correction lost, the deleted article back, every call
answered OK). So a replica sharing its store (Redis) tells the store which ids it holds (`Store.hold`: how many
versions of each, from the moment its reader reads them until their verdicts are done), and one asked to store
or delete an id first waits while another replica holds it (`ReplicaHolds.wait_elsewhere`).

The counts are sent by a thread of their own, batched: the stream's reader and the writer only count (a round trip
for each request read and for each article decided would slow an ingest, and a Redis that does not answer would
stall the stream on top of failing its writes). A change undone before it is sent, an article read and decided
within one round trip, costs nothing. An id's count is sent as it stands, not as an increment: a send that failed
(Redis down) is sent again whole at the next, and one Redis applied twice does no harm. While the sends fail,
this replica's articles are not protected: the writes fail then too, and a warning says so.

A hold lasts a minute in the store unless sent again (a replica killed while holding an id blocks corrections of it
on the others that long, at most): the ids held longer, by a stream whose client reads its answers slowly, are sent
again every REFRESH_SECONDS.

A store only this server writes (SQLite) needs none of it: `Holds` does nothing, at no cost to the streams.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from typing import Any

from service import waits
from service.logs import Throttle
from service.storage import Store

log = logging.getLogger(__name__)

REFRESH_SECONDS = 20.0  # ids held this long are sent again: a third of how long the store keeps a hold
RETRY_SECONDS = 1.0  # a send that failed is tried again after this (not in a loop while Redis is down)
FAILURES_LOGGED_EVERY = 60.0
# `wait_elsewhere` asks the store again after this, doubling up to the most (nothing in Redis notifies a let-go).
FIRST_POLL = 0.005
LONGEST_POLL = 0.1


class HeldRequest:
    """The articles of one request read from a stream, followed in order by the reader as it queues them (as
    `pending.ReadRequest`); here, for a store no other server writes, nothing to do."""

    def follow(self, outcome: futures.Future[Any] | Exception) -> None:
        """The next article is queued (its verdict to come), or failed before it could be (an exception)."""

    def stop_following(self) -> None:
        """The articles not followed were never queued."""


_NOTHING_HELD = HeldRequest()


class Holds:
    """For a store no other server writes: nothing to tell, nothing to wait for."""

    def read(self, article_ids: Sequence[str]) -> HeldRequest:
        """A request's articles, read: held until each is decided or left unqueued."""
        return _NOTHING_HELD

    def wait_elsewhere(self, article_ids: Iterable[str], timeout: float | None, active: Callable[[], bool]) -> bool:
        """Wait while another server holds an undecided version of one of these ids; False if `timeout` passed
        first. Waits no longer once `active()` says False (the call ended: the caller checks)."""
        return True

    def close(self) -> None:
        """Send what is left, and let go of every id still held (the server stops: it decides nothing more)."""


def holds_for(store: Store) -> Holds:
    return ReplicaHolds(store) if store.shared else Holds()


class ReplicaHolds(Holds):
    """Counts this server's undecided versions per id, and sends the counts that changed to the store."""

    def __init__(self, store: Store, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._changes = threading.Condition()
        self._held: Counter[str] = Counter()  # versions of each id held now (none: absent)
        self._changed: set[str] = set()  # ids whose count is not sent yet
        self._closed = False
        self._failures = Throttle(FAILURES_LOGGED_EVERY)
        self._sender = threading.Thread(target=self._send_changes, name="neardup-holds", daemon=True)
        self._sender.start()

    def read(self, article_ids: Sequence[str]) -> HeldRequest:
        self._count(article_ids, 1)
        return _Followed(self, article_ids)

    def _count(self, article_ids: Iterable[str], by: int) -> None:
        with self._changes:
            for article_id in article_ids:
                self._held[article_id] += by
                if self._held[article_id] <= 0:
                    del self._held[article_id]
                self._changed.add(article_id)
            self._changes.notify()

    def let_go(self, article_id: str) -> None:
        self._count((article_id,), -1)

    def _send_changes(self) -> None:
        refresh_at = time.monotonic() + self._refresh_seconds
        while True:
            with self._changes:
                while not (self._changed or self._closed or time.monotonic() >= refresh_at):
                    self._changes.wait(refresh_at - time.monotonic())
                if time.monotonic() >= refresh_at:  # (held long: sent again before the store lets them lapse)
                    self._changed |= self._held.keys()
                    refresh_at = time.monotonic() + self._refresh_seconds
                closing = self._closed
                if closing:
                    self._changed |= self._held.keys()
                    self._held.clear()
                counts = {article_id: self._held.get(article_id, 0) for article_id in self._changed}
                self._changed.clear()
            if not self._sent(counts) and not closing:
                with self._changes:
                    self._changed |= counts.keys()  # (sent again, as they stand then)
                    self._changes.wait_for(lambda: self._closed, RETRY_SECONDS)
            if closing:
                return

    def _sent(self, counts: dict[str, int]) -> bool:
        if not counts:
            return True
        try:
            self._store.hold(counts)
            return True
        except Exception as exc:  # (Unavailable mostly: the stream's writes fail too, and say so)
            unlogged = self._failures.due()
            if unlogged is not None:
                held = f" ({unlogged} more such failures since the last line)" if unlogged else ""
                log.warning(
                    "could not tell the other replicas which articles this one's streams hold (%s): until it can, a "
                    "correction or a delete of one of them sent to another replica is not ordered after it%s",
                    exc,
                    held,
                )
            return False

    def wait_elsewhere(self, article_ids: Iterable[str], timeout: float | None, active: Callable[[], bool]) -> bool:
        ends = None if timeout is None else time.monotonic() + timeout
        waiting = list(dict.fromkeys(article_ids))
        poll = FIRST_POLL
        while True:
            held = self._store.held_elsewhere(waiting)
            if not held or not active():
                return True
            # (an id let go is not waited for again: a version read elsewhere after that came after this call)
            waiting = [article_id for article_id in waiting if article_id in held]
            if ends is not None and time.monotonic() + poll > ends:
                return False
            time.sleep(poll)
            poll = min(2 * poll, LONGEST_POLL)

    def close(self) -> None:
        with self._changes:
            self._closed = True
            self._changes.notify()
        # (in slices, as every wait of a stop: service/waits.py; a join, not an event the sender sets as it ends: at
        # the interpreter's exit, a close from a `__del__`, that thread no longer runs, and the join returns at once)
        waits.returned(lambda: self._sender.join(10.0))


class _Followed(HeldRequest):
    def __init__(self, holds: ReplicaHolds, article_ids: Sequence[str]) -> None:
        self._holds = holds
        self._ids = article_ids
        self._followed = 0

    def follow(self, outcome: futures.Future[Any] | Exception) -> None:
        article_id = self._ids[self._followed]
        self._followed += 1
        if isinstance(outcome, Exception):
            self._holds.let_go(article_id)
        else:  # (in the writer's thread, as it resolves a batch: the sender sends that batch's let-gos together)
            outcome.add_done_callback(lambda _: self._holds.let_go(article_id))

    def stop_following(self) -> None:
        self._holds._count(self._ids[self._followed :], -1)
        self._followed = len(self._ids)
