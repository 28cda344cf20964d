"""Resuming an index stream after a retryable failure, without losing or repeating an answer.

Indexing is idempotent (the same id with the same text is answered, not stored twice), so
the articles a failed stream had sent but not had answered (the server restarted, or it
refused the stream because it was busy) are simply sent again on a new stream (but not after a
full store's refusal: its server asks for no retry, and `Retry` obeys).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# The longest wait a server's retry pushback may impose, in `max_wait`s: 30 s with the defaults. A server knows
# better than the caller's backoff when a retry may succeed, so its pushback may lengthen a wait past `max_wait`, the
# longest wait the caller set between two tries; but only to this cap. A pushback over it (minutes) is not waited: the
# error is raised at once, saying so, rather than waited out with a thread asleep or retried sooner than asked
# (where gRPC's own retry policy waits any pushback out, within the call's deadline: this client's calls have none).
# So each wait is at most the cap, and a call's waits add up to at most `attempts` times it (240 s with the
# defaults), or to the backoff's 45.5 s when no pushback lengthens them.
PUSHBACK_CAP = 3


@dataclass(frozen=True)
class Retry:
    """Retry up to `attempts` times in a row with no answer in between (so a call is tried up to `attempts` + 1
    times: `attempts` counts the retries, as neardup's --retries does), waiting `first_wait`
    seconds and doubling the wait each time, up to `max_wait`. An answer resets the count, so a
    long backfill survives several server restarts while a server that stays down fails it.
    Each wait is cut by a random share of up to `jitter`, so that the many pipelines a restart cut
    off at one moment do not all come back at one moment, wave after wave.

    A call is made again after an error whose `retryable` is True: UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED
    by the server, and DEADLINE_EXCEEDED, unless its server's retry pushback (gRFC A6; the error's `retry_pushback`)
    says otherwise (`pause`): a full store's RESOURCE_EXHAUSTED, whose server asks for no retry, is raised at once
    (retried, it would be refused again until an operator makes room), as is an error whose pushback asks for a
    wait over `longest_pushback` (3 times `max_wait`: 30 s); a shorter pushback lengthens the wait to it. The
    client's `timeout` (index_stream's own) bounds each attempt, not the call, which has no deadline of its own:
    with the defaults (8 retries) a call that never answers takes 9 tries, 9 timeouts and up to 45.5 s of waits
    before its last error is raised, or up to 240 s of waits (8 of at most 30 s) when its server's pushbacks ask
    for waits longer than the backoff. An index whose deadline passed may or may not have stored its article, and
    sending it again is safe (answered UNCHANGED if it was), so it is sent again; without `retry`,
    DeadlineExceededError is raised at once and the caller should send it again."""

    attempts: int = 8
    first_wait: float = 0.5
    max_wait: float = 10.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.first_wait < 0 or self.max_wait < self.first_wait:
            raise ValueError(f"{self}: attempts and waits must not be negative, nor max_wait below first_wait")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"{self}: jitter is the share of a wait that may be cut, from 0 to 1")

    def wait(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        """Seconds to wait after `failures` failures in a row; `draw` gives a number in [0, 1)."""
        backoff = min(self.max_wait, self.first_wait * 2 ** (failures - 1))
        return float(backoff * (1 - self.jitter * draw()))

    @property
    def longest_pushback(self) -> float:
        """The longest wait a server's retry pushback may ask for and get: PUSHBACK_CAP times `max_wait`. A pushback
        over it is not waited, nor retried sooner: the error is raised at once (`pause`)."""
        return self.max_wait * PUSHBACK_CAP

    def pause(
        self, failures: int, pushback: float | None = None, draw: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds to wait before the next try after `failures` failed tries in a row, the last with a retryable
        error whose server's retry `pushback` (NeardupClientError.retry_pushback) was this; None: no next try.
        None once the retries are spent; None for a negative pushback, the server asking for no retry (gRFC A6;
        a full store's). A pushback of 0 or more is a wait the server asks for at least: the backoff (`wait`) if
        longer, else the pushback, without jitter (gRPC's own retry policy waits it exactly); but None for one
        over `longest_pushback`, where gRPC's policy would wait it out: a try sooner would be refused again, and a
        longer wait was not asked for by the caller. (No deadline bounds it: `timeout` bounds each try, and a call
        has none of its own.) So no wait is longer than `longest_pushback`."""
        if failures > self.attempts or (pushback is not None and pushback < 0):
            return None
        backoff = self.wait(failures, draw)
        if pushback is None:
            return backoff
        if pushback > self.longest_pushback:
            return None
        return max(backoff, pushback)


class Unanswered(Generic[T]):
    """What one logical stream has handed to gRPC and not yet had answered, across attempts.

    Each attempt sends those items again, then reads on from the source, but only while fewer than `window`
    are unanswered: gRPC's sending thread reads the requests as fast as it can, so with no bound a caller that
    stops taking answers would have the whole source read into memory. An answer taken makes room for one
    more; a new attempt and close() wake a reader waiting for room (the stale one then stops), so waiting
    never outlives its stream. `window` must be at least the items one request message carries (a batch),
    or a batch could never fill. A failed attempt's
    gRPC thread may read one more item before it notices its call has ended: reading the
    source, recording the item and starting an attempt all hold one lock, so that item is
    recorded before the next attempt copies the list, and a stale attempt reads nothing more.
    (With a source that blocks, a new attempt waits for the item the stale one is reading.)

    If reading the source fails, the requests end there, as if the source had ended, and the
    error is kept (`source_error`) for the caller to raise once the items read before it are
    answered: raised in gRPC's thread, it would end the call with UNKNOWN and be lost.

    A stream's answers may end, without error, before every item is answered: a server or a proxy on the
    way ended it too early. `all_answered` tells the caller whether that happened.
    """

    def __init__(self, source: Iterable[T], window: int) -> None:
        self._source = iter(source)
        self._lock = threading.Lock()  # reading the source, recording the item, starting an attempt
        # Waiting for room has a lock of its own: the reading lock is held while the source blocks, and
        # answered() must not wait for the source (it may be waiting for the caller's next answer).
        self._room = threading.Condition()
        self._window = window
        self._items: deque[T] = deque()
        self._attempt = 0
        self._closed = False
        self._waiting = False
        self._source_ended = False
        self.source_error: BaseException | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def all_answered(self) -> bool:
        """Was the source read to its end (or its error) and every item read answered? Once an attempt's
        answers end, False means the stream was ended early: items read were left unanswered, or the requests
        had not ended (a well-behaved server ends a stream only after its requests end, which is after the
        source's end was read, so no lock is needed: nothing is read after that end)."""
        return self._source_ended and not self._items

    @property
    def waiting_for_room(self) -> bool:
        """Is a reader waiting, the window full? It reads nothing more until an answer is taken."""
        return self._waiting and len(self._items) >= self._window

    def attempt(self) -> Iterator[T]:
        """The requests of a new attempt; earlier attempts' iterators stop reading the source."""
        with self._lock:
            self._attempt += 1
            requests = self._requests(self._attempt, list(self._items))
        self._wake()  # (a stale reader waiting for room stops)
        return requests

    def oldest(self) -> T | None:
        """The oldest unanswered item, the one the next answer is for; None if none is unanswered."""
        return self._items[0] if self._items else None

    def answered(self) -> T:
        """The oldest unanswered item has its answer (answers come in request order): room for one more. Returns
        that item, for a caller that keeps something of each item to read with its answer."""
        item = self._items.popleft()
        self._wake()
        return item

    def close(self) -> None:
        """The stream is over (ended, failed, or left by its caller): every attempt's requests end."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        with self._room:
            self._room.notify_all()

    def _room_for_one_more(self, attempt: int) -> bool:
        """Wait until fewer than `window` items are unanswered: True; or until this attempt is stale or the
        stream closed: False."""

        def stop_waiting() -> bool:
            return self._closed or attempt != self._attempt or len(self._items) < self._window

        with self._room:
            self._waiting = True
            self._room.wait_for(stop_waiting)
            self._waiting = False
            return not self._closed and attempt == self._attempt

    def _requests(self, attempt: int, resend: list[T]) -> Iterator[T]:
        yield from resend
        while self._room_for_one_more(attempt):
            with self._lock:
                if attempt != self._attempt:
                    return
                try:
                    item = next(self._source, _END)
                except BaseException as exc:  # (SystemExit too: gRPC's sending thread, left by it, hung the call)
                    self.source_error = exc
                    item = _END
                if item is _END:
                    self._source_ended = True
                    return
                self._items.append(item)  # type: ignore[arg-type]  # (not _END)
            yield item  # type: ignore[misc]


_END = object()
