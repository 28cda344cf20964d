"""A readers-writer lock for the embedded store: checks share it, the writer takes it alone.

With one plain lock, concurrent checks queued behind each other, also while the one holding it
only waited for SQLite to read a page from disk (which releases the GIL) or for a core. Shared, the
checks overlap; they still never overlap a write, so none sees half a batch (docs/perf.md,
"CheckArticle latency").

- Writer-preferring: once a writer waits, new readers wait behind it, so a steady stream of
  checks cannot hold off the write batches (and the acknowledgements of an ingest) for ever.
- Readers that waited through a write go first: when a writer lets go, the readers waiting at that
  moment get in before the next writer, even one that was waiting too. The engine's writer ends a
  transaction early when it sees a reader waiting (`readers_waiting`) and asks again at once; without
  this hand-over it would simply win again.
- A writer may turn its hold into a reservation (`downgrade`): readers come in beside it, no other
  writer does, and letting go does not wait for those readers. The store's writer does so while its
  commit waits for the disk, when memory and the statements are done and only the fsync is left; if
  the commit fails it takes the lock alone again (`upgrade`) to roll back.
- Re-entrant per thread: a thread already holding the lock, either way, is let in again at once.
  Without that, a thread holding a shared hold and asking for another while a writer waits would
  wait for the writer, which waits for it. A thread holding a shared hold must not ask for the
  exclusive one (that upgrade could deadlock two such threads): it raises instead.
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
        self._sharing: int | None = None  # thread ident of a writer whose hold is downgraded (`downgrade`)

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

    def downgrade(self) -> None:
        """Turn the calling thread's exclusive hold (held once) into a reservation: readers come in, no
        writer does. Leaving the `exclusive()` block then lets go without waiting for those readers."""
        me = threading.get_ident()
        with self._cond:
            if self._writer != me or self._writer_depth != 1:
                raise RuntimeError("only a thread holding the lock exclusively, once, may downgrade it")
            self._writer, self._sharing = None, me
            self._let_readers_in()

    def upgrade(self) -> None:
        """After `downgrade`: wait for the readers let in to leave and hold the lock alone again (no
        other writer can have come between)."""
        me = threading.get_ident()
        with self._cond:
            if self._sharing != me:
                raise RuntimeError("only the thread that downgraded the lock may upgrade it")
            self._wait_as_writer(lambda: not self._readers and not self._passes)
            self._writer, self._sharing = me, None

    def readers_waiting(self) -> bool:
        """Is a thread waiting to take the lock shared? (No lock taken: a hint, read between steps.)"""
        return self._readers_waiting > 0

    def held_exclusively(self) -> bool:
        """Does the calling thread hold the lock exclusively?"""
        return self._writer == threading.get_ident()

    def _held_shared(self) -> int:
        return int(getattr(self._mine, "holds", 0))

    def _acquire_shared(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._writer != me and not self._held_shared() and not self._may_read(None):
                self._wait_to_read()
            self._readers += 1
        self._mine.holds = self._held_shared() + 1

    def _may_read(self, arrived: int | None) -> bool:
        """May a new reader (`arrived` None), or one waiting since release number `arrived`, come in now?"""
        if self._writer is not None:
            return False
        waited_through_a_write = arrived is not None and arrived < self._release_number  # (it holds a pass)
        return not self._writers_waiting or waited_through_a_write

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

    def _release_exclusive(self) -> None:
        with self._cond:
            if self._sharing == threading.get_ident():  # (downgraded: the readers inside may stay)
                self._sharing, self._writer_depth = None, 0
                self._let_readers_in()
                return
            self._writer_depth -= 1
            if not self._writer_depth:
                self._writer = None
                self._let_readers_in()

    def _let_readers_in(self) -> None:
        """The writer let go (or shares): the readers waiting now hold a pass and go before the next writer."""
        self._release_number += 1
        self._passes = self._readers_waiting
        self._cond.notify_all()
