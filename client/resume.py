"""Resuming an index stream after a retryable failure, without losing or repeating an answer.

Indexing is idempotent (the same id with the same text is answered, not stored twice), so
the articles a failed stream had sent but not had answered (the server restarted, or it
refused the stream because it was full) are simply sent again on a new stream.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """Retry up to `attempts` times in a row with no answer in between, waiting `first_wait`
    seconds and doubling the wait each time, up to `max_wait`. An answer resets the count, so a
    long backfill survives several server restarts while a server that stays down fails it."""

    attempts: int = 8
    first_wait: float = 0.5
    max_wait: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.first_wait < 0 or self.max_wait < self.first_wait:
            raise ValueError(f"{self}: attempts and waits must not be negative, nor max_wait below first_wait")

    def wait(self, failures: int) -> float:
        return float(min(self.max_wait, self.first_wait * 2 ** (failures - 1)))


class Unanswered(Generic[T]):
    """What one logical stream has handed to gRPC and not yet had answered, across attempts.

    Each attempt sends those items again, then reads on from the source. A failed attempt's
    gRPC thread may read one more item before it notices its call has ended: reading the
    source, recording the item and starting an attempt all hold one lock, so that item is
    recorded before the next attempt copies the list, and a stale attempt reads nothing more.
    (With a source that blocks, a new attempt waits for the item the stale one is reading.)

    If reading the source fails, the requests end there, as if the source had ended, and the
    error is kept (`source_error`) for the caller to raise once the items read before it are
    answered: raised in gRPC's thread, it would end the call with UNKNOWN and be lost.
    """

    def __init__(self, source: Iterable[T]) -> None:
        self._source = iter(source)
        self._lock = threading.Lock()
        self._items: deque[T] = deque()
        self._attempt = 0
        self.source_error: Exception | None = None

    def __len__(self) -> int:
        return len(self._items)

    def attempt(self) -> Iterator[T]:
        """The requests of a new attempt; earlier attempts' iterators stop reading the source."""
        with self._lock:
            self._attempt += 1
            return self._requests(self._attempt, list(self._items))

    def answered(self) -> None:
        """The oldest unanswered item has its answer (answers come in request order)."""
        self._items.popleft()

    def _requests(self, attempt: int, resend: list[T]) -> Iterator[T]:
        yield from resend
        while True:
            with self._lock:
                if attempt != self._attempt:
                    return
                try:
                    item = next(self._source, _END)
                except Exception as exc:
                    self.source_error = exc
                    item = _END
                if item is _END:
                    return
                self._items.append(item)  # type: ignore[arg-type]  # (not _END)
            yield item  # type: ignore[misc]


_END = object()
