"""A readers-writer lock for the embedded store: checks share it, the writer reserves it.

With one plain lock, concurrent checks queued behind each other, also while the one holding it
only waited for SQLite to read a page from disk (which releases the GIL) or for a core. Shared, the
checks overlap (docs/perf.md, "CheckArticle latency"). A write transaction holds a reservation,
beside the checks; the lock is held alone only for what must not overlap a read: the swap of a band
index merge, a rollback, the close.

- Writer-preferring: once a writer waits to hold it alone, new readers wait behind it, so a steady
  stream of checks cannot hold off a merge or a close for ever. Except while a reservation (a write
  in progress) keeps that writer out anyway: readers then go on beside the write rather than wait for
  its decisions and its fsync as well (a merge's swap waited up to 54 ms for one at 1.4M articles,
  and every check arriving meanwhile with it). Once the write ends, new readers wait behind the writer.
- Readers that waited through an exclusive hold go first: when it ends, the readers waiting at that
  moment get in before the next writer, even one that was waiting too.
- A writer may instead hold a reservation (`reserved`): readers come and go beside it, no other
  writer comes in, and letting go does not wait for the readers inside. The store's writer holds one
  for its whole write transaction: its statements are invisible to the readers' own SQLite
  transactions until it commits, so a check waits neither for a write's decisions nor for its fsync.
  If the write fails, the writer takes the lock alone (`upgrade`) to roll memory back.
- Re-entrant per thread: a thread already holding the lock (shared, exclusive or reserved) that asks
  for a shared or exclusive hold the way it holds it, or for a shared one, is let in at once. Without
  that, a thread holding a shared hold and asking for another while a writer waits would wait for
  the writer, which waits for it. A thread holding a shared hold or a reservation must not ask for
  the exclusive one (that could deadlock), nor anyone holding the lock for a reservation: it raises.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SharedLock:
    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0  # shared holds, counting re-entries
        self._writer: int | None = None  # thread ident of the exclusive holder
        self._writer_depth = 0
        self._writers_waiting = 0
        self._readers_waiting = 0
        self._release_number = 0  # exclusive holds ended so far: a waiting reader's turn is after its arrival's
        self._passes = 0  # readers that were waiting when the last writer let go and still wait: they go first
        self._mine = threading.local()  # this thread's shared holds
        self._sharing: int | None = None  # thread ident of the writer holding a reservation (`reserved`)
        self._upgrading = False  # the reservation's holder waits to hold the lock alone (`upgrade`)

    @contextmanager
    def shared(self) -> Iterator[None]:
        self._acquire_shared()
        try:
            yield
        finally:
            self._release_shared()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        self._acquire_exclusive()
        try:
            yield
        finally:
            self._release_exclusive()

    @contextmanager
    def reserved(self) -> Iterator[None]:
        """Hold the lock as its one writer, with readers beside: they come and go, no writer comes in.
        Letting go does not wait for the readers inside. Not re-entrant."""
        self._acquire_reserved()
        try:
            yield
        finally:
            self._release_reserved()

    def upgrade(self) -> None:
        """Inside `reserved`: wait for the readers inside to leave and hold the lock alone (no other
        writer can have come between). Leaving `reserved` then lets go of that."""
        me = threading.get_ident()
        with self._cond:
            if self._sharing != me:
                raise RuntimeError("only the thread holding the reservation may upgrade it")
            self._upgrading = True  # (new readers wait: the reservation no longer keeps this writer out)
            try:
                self._wait_as_writer(lambda: not self._readers and not self._passes)
            finally:
                self._upgrading = False
            self._writer, self._sharing, self._writer_depth = me, None, 1

    def writing(self) -> bool:
        """Does the calling thread hold the lock to write: exclusively, or reserved?"""
        me = threading.get_ident()
        return self._writer == me or self._sharing == me

    def _held_shared(self) -> int:
        return int(getattr(self._mine, "holds", 0))

    def _acquire_shared(self) -> None:
        with self._cond:
            if not self.writing() and not self._held_shared() and not self._may_read(None):
                self._wait_to_read()
            self._readers += 1
        self._mine.holds = self._held_shared() + 1

    def _may_read(self, arrived: int | None) -> bool:
        """May a new reader (`arrived` None), or one waiting since release number `arrived`, come in now?"""
        if self._writer is not None:
            return False
        waited_through_a_write = arrived is not None and arrived < self._release_number  # (it holds a pass)
        beside_a_write = self._sharing is not None and not self._upgrading  # (the waiting writer waits for it too)
        return not self._writers_waiting or waited_through_a_write or beside_a_write

    def _wait_to_read(self) -> None:
        arrived = self._release_number
        self._readers_waiting += 1
        try:
            self._cond.wait_for(lambda: self._may_read(arrived))
        finally:
            self._readers_waiting -= 1
            if arrived < self._release_number:
                self._passes -= 1  # its pass, used (or dropped, if the wait was interrupted)

    def _release_shared(self) -> None:
        self._mine.holds = self._held_shared() - 1
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    def _acquire_exclusive(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._writer != me:
                if self._held_shared() or self._sharing == me:
                    raise RuntimeError("a thread holding the store's lock shared asked for it exclusively")
                self._wait_as_writer(self._may_write)
                self._writer = me
            self._writer_depth += 1

    def _wait_as_writer(self, ready: Callable[[], bool]) -> None:
        """Wait (holding `_cond`) until `ready`, counted as a waiting writer: new readers wait behind it."""
        self._writers_waiting += 1
        try:
            self._cond.wait_for(ready)
        finally:
            self._writers_waiting -= 1
            self._cond.notify_all()  # (readers held back for this writer, if its wait was interrupted)

    def _may_write(self) -> bool:
        return self._writer is None and self._sharing is None and not self._readers and not self._passes

    def _acquire_reserved(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self.writing() or self._held_shared():
                raise RuntimeError("a thread holding the store's lock asked for a reservation")
            # (Behind a waiting exclusive writer too: reservations one after the other must not starve it.)
            self._cond.wait_for(lambda: self._writer is None and self._sharing is None and not self._writers_waiting)
            self._sharing = me

    def _release_reserved(self) -> None:
        with self._cond:
            if self._writer == threading.get_ident():  # (upgraded: let go as an exclusive hold)
                self._writer, self._writer_depth = None, 0
                self._let_readers_in()
                return
            self._sharing = None
            self._cond.notify_all()  # (writers waiting for the reservation to end)

    def _release_exclusive(self) -> None:
        with self._cond:
            self._writer_depth -= 1
            if not self._writer_depth:
                self._writer = None
                self._let_readers_in()

    def _let_readers_in(self) -> None:
        """The writer let go (or shares): the readers waiting now hold a pass and go before the next writer."""
        self._release_number += 1
        self._passes = self._readers_waiting
        self._cond.notify_all()
