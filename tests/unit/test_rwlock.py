"""The store's readers-writer lock: shared reads, exclusive writes, writers not starved, re-entry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from service.rwlock import SharedLock
from tests.support import until

WAIT = 10.0  # seconds: an upper bound for things that must happen; never reached when they do
BRIEF = 0.2  # seconds: how long something that must NOT happen is given to happen anyway


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, threading.Event]:
    """Run `work` in a thread; the event is set once it returned."""
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def hold(lock: SharedLock, exclusive: bool = False, reserved: bool = False) -> tuple[threading.Event, threading.Event]:
    """Take the lock in a thread and keep it: (set once it is held, set this to release it)."""
    held, release = threading.Event(), threading.Event()

    def run() -> None:
        with lock.reserved() if reserved else lock.exclusive() if exclusive else lock.shared():
            held.set()
            release.wait(WAIT)

    threading.Thread(target=run, daemon=True).start()
    return held, release


def test_readers_hold_the_lock_at_the_same_time() -> None:
    lock = SharedLock()
    both_inside = threading.Barrier(2, timeout=WAIT)

    def read() -> None:
        with lock.shared():
            both_inside.wait()  # only passes if the other reader is inside too

    threads = [in_thread(read) for _ in range(2)]
    for thread, done in threads:
        assert done.wait(WAIT)
        thread.join(WAIT)


def test_a_writer_waits_for_readers_and_readers_for_a_writer() -> None:
    lock = SharedLock()
    reader_in, release_reader = hold(lock, exclusive=False)
    assert reader_in.wait(WAIT)
    wrote, release_writer = hold(lock, exclusive=True)
    assert not wrote.wait(BRIEF), "a writer got in while a reader held the lock"
    release_reader.set()
    assert wrote.wait(WAIT)
    read_again, _ = hold(lock, exclusive=False)
    assert not read_again.wait(BRIEF), "a reader got in while a writer held the lock"
    release_writer.set()
    assert read_again.wait(WAIT)


def test_a_waiting_writer_holds_back_new_readers() -> None:
    """Writer preference: a steady stream of reads cannot keep the writer out."""
    lock = SharedLock()
    release_first = threading.Event()
    first_in = threading.Event()
    order: list[str] = []

    def first_reader() -> None:
        with lock.shared():
            first_in.set()
            release_first.wait(WAIT)

    def writer() -> None:
        with lock.exclusive():
            order.append("writer")

    def late_reader() -> None:
        with lock.shared():
            order.append("late reader")

    in_thread(first_reader)
    assert first_in.wait(WAIT)
    _, wrote = in_thread(writer)
    assert _waits_for_writer(lock)
    _, late_done = in_thread(late_reader)
    assert not late_done.wait(BRIEF), "a new reader overtook a waiting writer"
    release_first.set()
    assert wrote.wait(WAIT) and late_done.wait(WAIT)
    assert order == ["writer", "late reader"]


def test_readers_that_waited_through_a_write_go_before_the_next_writer() -> None:
    """The hand-over the engine's writer relies on when it ends a transaction early for a waiting check:
    the readers waiting when a writer lets go get in even though another writer waits, and readers
    arriving after that still wait behind the writer."""
    lock = SharedLock()
    order: list[str] = []
    writer_in, release_writer = hold(lock, exclusive=True)
    assert writer_in.wait(WAIT)
    reader_in, release_reader = threading.Event(), threading.Event()

    def waiting_reader() -> None:
        with lock.shared():
            order.append("waiting reader")
            reader_in.set()
            release_reader.wait(WAIT)

    def next_writer() -> None:
        with lock.exclusive():
            order.append("next writer")

    def late_reader() -> None:
        with lock.shared():
            order.append("late reader")

    in_thread(waiting_reader)
    assert until(lambda: lock._readers_waiting == 1)
    _, next_wrote = in_thread(next_writer)
    assert _waits_for_writer(lock)
    release_writer.set()
    assert reader_in.wait(WAIT), "the waiting reader did not get in before the next writer"
    _, late_done = in_thread(late_reader)
    assert not late_done.wait(BRIEF), "a reader arriving after the hand-over overtook a waiting writer"
    release_reader.set()
    assert next_wrote.wait(WAIT) and late_done.wait(WAIT)
    assert order == ["waiting reader", "next writer", "late reader"]
    assert not lock._readers_waiting


def _waits_for_writer(lock: SharedLock) -> bool:
    """Wait (bounded) until the lock has a writer waiting. Nothing notifies the lock's condition when
    a writer starts to wait, so look again every 10 ms (a single wait_for would sleep out its timeout)."""
    deadline = time.monotonic() + WAIT
    with lock._cond:
        while not lock._writers_waiting:
            if time.monotonic() > deadline:
                return False
            lock._cond.wait(0.01)
    return True


def test_a_reader_re_enters_while_a_writer_waits() -> None:
    """Without re-entry this deadlocks: the reader waits for the writer, which waits for the reader."""
    lock = SharedLock()
    outer_in = threading.Event()
    go_on = threading.Event()

    def nested_read() -> None:
        with lock.shared():
            outer_in.set()
            go_on.wait(WAIT)
            with lock.shared():
                pass

    _, read_done = in_thread(nested_read)
    assert outer_in.wait(WAIT)
    wrote, _ = hold(lock, exclusive=True)
    assert _waits_for_writer(lock)
    go_on.set()
    assert read_done.wait(WAIT), "a re-entering reader deadlocked behind a waiting writer"
    assert wrote.wait(WAIT)


def held_alone(lock: SharedLock) -> bool:
    """Does the calling thread hold the lock exclusively?"""
    return lock._writer == threading.get_ident()


def test_the_writer_re_enters_and_reads_inside_its_own_write() -> None:
    lock = SharedLock()
    with lock.exclusive():
        assert held_alone(lock)
        with lock.exclusive(), lock.shared():
            assert held_alone(lock)
        assert held_alone(lock)
    assert not held_alone(lock) and not lock.writing()
    other, _ = hold(lock, exclusive=True)
    assert other.wait(WAIT), "the lock stayed taken after the writer's last release"


def test_asking_to_write_while_reading_is_refused_not_deadlocked() -> None:
    lock = SharedLock()
    with lock.shared(), pytest.raises(RuntimeError, match="shared asked for it exclusively"), lock.exclusive():
        pass
    with lock.exclusive():  # and the refused attempt left nothing behind
        pass


def test_a_reservation_lets_readers_in_beside_it_and_no_other_writer_and_lets_go_without_waiting() -> None:
    lock = SharedLock()
    reader_in, release_reader = hold(lock)
    assert reader_in.wait(WAIT)
    reserved, release_reservation = hold(lock, reserved=True)
    assert reserved.wait(WAIT)  # beside the reader already inside: no wait for it
    new_reader_in, release_new = hold(lock)
    assert new_reader_in.wait(WAIT)  # and a reader arriving during the reservation gets in too
    other_reservation, release_other = hold(lock, reserved=True)
    writer_in, release_writer = hold(lock, exclusive=True)
    assert not other_reservation.wait(BRIEF) and not writer_in.wait(BRIEF)  # but no other writer of either kind
    release_reservation.set()
    assert until(lambda: lock._sharing is None)  # let go, with both readers still inside
    assert lock._readers == 2
    assert not writer_in.wait(BRIEF)  # the exclusive writer waits for the readers,
    assert not other_reservation.is_set()  # and the other reservation behind that writer
    release_reader.set()
    release_new.set()
    assert writer_in.wait(WAIT) and not other_reservation.wait(BRIEF)
    release_writer.set()
    assert other_reservation.wait(WAIT)
    release_other.set()


def test_a_reservation_waits_behind_a_waiting_exclusive_writer() -> None:
    """(Reservations one after the other, the store's writer's, must not keep a merge's swap out for ever.)"""
    lock = SharedLock()
    reader_in, release_reader = hold(lock)
    assert reader_in.wait(WAIT)
    writer_in, release_writer = hold(lock, exclusive=True)
    assert until(lambda: lock._writers_waiting == 1)
    reserved, release_reservation = hold(lock, reserved=True)
    assert not reserved.wait(BRIEF)
    release_reader.set()
    assert writer_in.wait(WAIT) and not reserved.is_set()
    release_writer.set()
    assert reserved.wait(WAIT)
    release_reservation.set()


def test_readers_go_on_beside_a_write_that_a_waiting_writer_waits_for_and_wait_once_it_ends() -> None:
    """A merge's swap waiting for the write in progress must not make the checks wait for that write too."""
    lock = SharedLock()
    reserved, release_reservation = hold(lock, reserved=True)
    assert reserved.wait(WAIT)
    writer_in, release_writer = hold(lock, exclusive=True)
    assert until(lambda: lock._writers_waiting == 1)
    reader_in, release_reader = hold(lock)
    assert reader_in.wait(WAIT), "a reader waited for a write in progress behind a waiting writer"
    assert not writer_in.is_set()
    release_reservation.set()
    assert until(lambda: lock._sharing is None)
    late_reader_in, release_late = hold(lock)
    assert not late_reader_in.wait(BRIEF), "a new reader overtook the writer once the write ended"
    assert not writer_in.is_set()  # (the reader that came in beside the write is still inside)
    release_reader.set()
    assert writer_in.wait(WAIT) and not late_reader_in.wait(BRIEF)
    release_writer.set()
    assert late_reader_in.wait(WAIT)
    release_late.set()


def test_an_upgrade_waits_for_the_readers_inside_and_holds_the_lock_alone_until_the_reservation_ends() -> None:
    lock = SharedLock()
    reader_in, release_reader = threading.Event(), threading.Event()
    upgraded = threading.Event()
    inside_again: list[bool] = []

    def write() -> None:
        with lock.reserved():
            in_thread(read)
            assert reader_in.wait(WAIT)
            lock.upgrade()  # (a write that failed: the rollback needs the lock alone)
            upgraded.set()
            inside_again.append(held_alone(lock))
            with lock.exclusive():  # (re-entered as any exclusive hold is)
                pass
            inside_again.append(held_alone(lock))

    def read() -> None:
        with lock.shared():
            reader_in.set()
            release_reader.wait(WAIT)

    writer, writer_done = in_thread(write)
    assert reader_in.wait(WAIT)
    assert not upgraded.wait(BRIEF)  # the reader is still inside
    late_reader_in, release_late = hold(lock)
    assert not late_reader_in.wait(BRIEF)  # and a reader arriving now waits for the rollback
    release_reader.set()
    assert upgraded.wait(WAIT) and writer_done.wait(WAIT)
    assert inside_again == [True, True]
    assert late_reader_in.wait(WAIT)  # let in once the reservation ended
    release_late.set()
    held, release = hold(lock, exclusive=True)  # and the lock was let go whole
    assert held.wait(WAIT)
    release.set()
    writer.join(WAIT)


def test_a_reservation_is_not_re_entered_and_only_its_holder_upgrades() -> None:
    lock = SharedLock()
    with pytest.raises(RuntimeError, match="only the thread holding the reservation"):
        lock.upgrade()
    for outer in (lock.shared, lock.exclusive, lock.reserved):
        with outer(), pytest.raises(RuntimeError, match="asked for a reservation"), lock.reserved():
            pass
    with lock.reserved():
        assert lock.writing() and not held_alone(lock)
        with pytest.raises(RuntimeError, match="asked for it exclusively"), lock.exclusive():
            pass  # (it would wait for its own reservation for ever)
        writer_in, release_writer = hold(lock, exclusive=True)
        assert until(lambda: lock._writers_waiting == 1)
        with lock.shared():  # the holder reads at once, though a writer waits (which waits for it)
            pass
    assert writer_in.wait(WAIT)
    release_writer.set()
    held, release = hold(lock)  # and the lock was left as it was
    assert held.wait(WAIT)
    release.set()
    assert not lock.writing()
