"""Articles the index streams have taken and the writer has not yet decided, by id.

`IndexArticle` is decided ahead of what the streams keep queued (Engine.submit_all's `urgent`), so without
this a correction sent alone could be decided first and then overwritten by the older version a backfill
stream still held: the version stored would be the one sent first. An `IndexArticle` waits for the streamed
articles of its id taken before it (`PendingIds.wait_for`), and only those: it jumps the rest of the queue.
A delete waits for them too: deleted at once, a takedown was undone when the writer stored the version queued.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent import futures
from typing import Any


class PendingIds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, list[futures.Future[Any]]] = {}

    def add(self, article_id: str, outcome: futures.Future[Any]) -> None:
        """Count `outcome` as pending for `article_id` until it is done (decided, failed or cancelled)."""
        with self._lock:
            self._pending.setdefault(article_id, []).append(outcome)
        outcome.add_done_callback(lambda done: self._remove(article_id, done))  # (at once if done already)

    def _remove(self, article_id: str, outcome: futures.Future[Any]) -> None:
        with self._lock:
            pending = self._pending[article_id]
            pending.remove(outcome)
            if not pending:
                del self._pending[article_id]

    def wait_for(self, article_ids: Iterable[str], timeout: float | None) -> bool:
        """Wait until the articles of these ids pending now are done; False if `timeout` passed first (those
        taken after this call are not waited for: they came later)."""
        with self._lock:
            earlier = [outcome for article_id in article_ids for outcome in self._pending.get(article_id, ())]
        if not earlier:
            return True
        _, not_done = futures.wait(earlier, timeout)
        return not not_done

    def __len__(self) -> int:
        """How many ids have articles pending (tests, and a check that nothing is left behind)."""
        with self._lock:
            return len(self._pending)
