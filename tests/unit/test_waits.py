"""The main thread's waits in slices (service/waits.py): a signal the kernel hands another thread has its handler
run (in the main thread) during the wait, not once it ends; and the waits that must see their end do, whatever a
handler raises meanwhile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path
from typing import NamedTuple

import pytest

from service import waits
from tests.support import main_thread_waits_in, until


@pytest.fixture
def usr1() -> Iterator[list[Callable[[], None]]]:
    """SIGUSR1's handler runs what the test puts in the list."""
    actions: list[Callable[[], None]] = []
    before = signal.signal(signal.SIGUSR1, lambda signum, frame: [act() for act in actions])
    try:
        yield actions
    finally:
        signal.signal(signal.SIGUSR1, before)


def _main_is_waiting(main: int) -> bool:
    """Is the main thread blocked in a wait of service/waits.py (not in one of its own, a thread's start)?"""
    assert main == threading.main_thread().ident
    return main_thread_waits_in(waits)


def _signal_from_here_once_main_waits(main: int) -> None:
    """This thread (not the main one) sends itself SIGUSR1 once the main thread is blocked in a wait."""
    until(lambda: _main_is_waiting(main))  # (for at most 10 s)
    signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)


def _work_until_heard(heard: threading.Event, main: int) -> None:
    """What the main thread waits for: it ends once SIGUSR1's handler has run (or after 10 s, failing the test)."""
    _signal_from_here_once_main_waits(main)
    heard.wait(10)


def _waits() -> dict[str, Callable[[threading.Event, int], None]]:
    def all_done(heard: threading.Event, main: int) -> None:
        with futures.ThreadPoolExecutor(1) as pool:
            assert waits.all_done([pool.submit(_work_until_heard, heard, main)])

    def finished(heard: threading.Event, main: int) -> None:
        with futures.ThreadPoolExecutor(1) as pool:
            waits.finished([pool.submit(_work_until_heard, heard, main)])

    def joined(heard: threading.Event, main: int) -> None:
        thread = threading.Thread(target=_work_until_heard, args=(heard, main))
        thread.start()
        waits.joined(thread)

    def returned(heard: threading.Event, main: int) -> None:
        waits.returned(lambda: _work_until_heard(heard, main))

    def set_at_last(heard: threading.Event, main: int) -> None:
        def set_it() -> None:
            _work_until_heard(heard, main)
            heard.set()  # (at last, 10 s on, if the handler did not run: the test then fails)

        threading.Thread(target=set_it).start()
        waits.set_at_last(heard)

    def shut_down(heard: threading.Event, main: int) -> None:
        pool = futures.ThreadPoolExecutor(1)
        pool.submit(_work_until_heard, heard, main)
        waits.shut_down(pool)

    def until_set(heard: threading.Event, main: int) -> None:
        threading.Thread(target=_work_until_heard, args=(heard, main)).start()
        assert waits.until(heard, timeout=10)

    def waited_for(heard: threading.Event, main: int) -> None:
        condition = threading.Condition()  # (never notified: the handler sets `heard`, which a slice then sees)
        threading.Thread(target=_work_until_heard, args=(heard, main)).start()
        with condition:
            assert waits.waited_for(condition, heard.is_set, timeout=10)

    return {"all_done": all_done, "finished": finished, "joined": joined, "returned": returned,
            "set_at_last": set_at_last, "shut_down": shut_down, "until": until_set,
            "waited_for": waited_for}  # fmt: skip


@pytest.mark.parametrize("wait", list(_waits()))
def test_a_signal_to_another_thread_is_handled_during_the_wait(usr1: list[Callable[[], None]], wait: str) -> None:
    """Untimed (Future.result, Thread.join, shutdown(wait=True), Event.wait), the main thread's wait ran the handler
    of a signal handed to another thread only once the wait ended: here, never (the handler is what ends it)."""
    heard = threading.Event()
    usr1.append(heard.set)
    began = time.monotonic()
    _waits()[wait](heard, threading.get_ident())
    assert heard.is_set() and time.monotonic() - began < 5


class _Raised(Exception):
    pass


class _HeldRaise(NamedTuple):
    work: Callable[[], None]  # what the main thread waits for (run in another thread)
    waited_on: list[bool]  # what `work` saw: [True] once the main thread, the raise held, waited again


@pytest.fixture
def held_raise(usr1: list[Callable[[], None]]) -> _HeldRaise:
    """SIGUSR1's handler raises _Raised, once. `work` signals once the main thread waits, then notes whether the main
    thread, the handler's raise held, is back in the wait (within 5 s)."""
    raised = threading.Event()

    def raise_once() -> None:
        usr1.clear()
        raised.set()
        raise _Raised

    usr1.append(raise_once)
    main = threading.get_ident()  # (a fixture runs in the test's thread: the main one)
    waited_on: list[bool] = []

    def work() -> None:
        _signal_from_here_once_main_waits(main)
        assert raised.wait(10)
        waited_on.append(_once_main_waits_again(main))

    return _HeldRaise(work, waited_on)


def test_finished_waits_to_the_end_whatever_a_handler_raises_then_raises_it(held_raise: _HeldRaise) -> None:
    """serve's stop signal raises in the main thread to abandon the start: the load's threads, which use the store
    the start's undoing closes, are still waited for."""
    with futures.ThreadPoolExecutor(1) as pool:
        job: futures.Future[None] = pool.submit(held_raise.work)
        with pytest.raises(_Raised):
            waits.finished([job])
        assert job.done() and job.exception() is None and held_raise.waited_on == [True]


def _once_main_waits_again(main: int) -> bool:
    """The main thread back in the wait, the handler's raise held (within 5 s)?"""
    return until(lambda: _main_is_waiting(main), timeout=5)


@pytest.mark.parametrize("wait", ["joined", "shut_down"])
def test_a_raise_inside_the_wait_for_a_thread_still_waits_for_it(held_raise: _HeldRaise, wait: str) -> None:
    """The main thread joined in slices, Thread.join(0.2): an exception raised inside the join (a handler's) marked
    the thread, still running, as ended (bpo-45274, Python 3.11 and 3.12), and the wait raised at once. serve's stop
    then left the fingerprint workers' starting thread spawning as their executor shut down."""
    if wait == "joined":
        thread = threading.Thread(target=held_raise.work, name="waited-for")
        thread.start()
        with pytest.raises(_Raised):
            waits.joined(thread)
    else:
        pool = futures.ThreadPoolExecutor(1, thread_name_prefix="waited-for")
        job = pool.submit(held_raise.work)
        with pytest.raises(_Raised):
            waits.shut_down(pool)
        assert job.done() and job.exception() is None
    still_running = [t.name for t in threading.enumerate() if t.name.startswith("waited-for")]
    assert still_running == [] and held_raise.waited_on == [True]


class _Again(BaseException):
    pass


def test_a_second_raise_during_a_wait_is_raised_at_once(usr1: list[Callable[[], None]]) -> None:
    """A caller whose handler raises at each signal (Python's own SIGINT handler: a benchmark's Engine or store, a
    second Ctrl-C) had the second dropped: the wait went on to its end."""
    raising = [_Raised, _Again]
    raised = threading.Event()
    release = threading.Event()

    def raise_each() -> None:
        raised.set()
        raise raising.pop(0)

    usr1.append(raise_each)
    main = threading.get_ident()

    def work() -> None:
        _signal_from_here_once_main_waits(main)
        assert raised.wait(10) and _once_main_waits_again(main)
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)
        release.wait(10)  # (until the test has seen the second raised: its end, after 10 s, fails it)

    with futures.ThreadPoolExecutor(1) as pool:
        job = pool.submit(work)
        try:
            with pytest.raises(_Again) as again:
                waits.finished([job])
            assert isinstance(again.value.__context__, _Raised) and not job.done()
        finally:
            release.set()


def test_a_wait_that_fails_by_itself_raises() -> None:
    """Held as a handler's raise, a join's own RuntimeError (the current thread) was tried again and again, for
    ever, at half a core."""
    outcome: futures.Future[None] = futures.Future()

    def join_itself() -> None:
        try:
            waits.joined(threading.current_thread())
        except BaseException as exc:
            outcome.set_exception(exc)
        else:
            outcome.set_result(None)

    threading.Thread(target=join_itself, daemon=True).start()  # (a daemon: before the fix, it never ends)
    with pytest.raises(RuntimeError, match="cannot join current thread"):
        outcome.result(timeout=5)


def test_what_a_shutdown_raises_is_raised() -> None:
    class Failing(futures.ThreadPoolExecutor):
        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            super().shutdown(wait, cancel_futures=cancel_futures)
            raise ValueError("failed")

    with pytest.raises(ValueError, match="failed"):
        waits.shut_down(Failing(1))


def test_until_waits_at_most_its_timeout() -> None:
    began = time.monotonic()
    assert not waits.until(threading.Event(), timeout=0.3)
    assert 0.3 <= time.monotonic() - began < 3
    done = threading.Event()
    done.set()
    assert waits.until(done, timeout=0)


_CLOSED_AT_EXIT = """
import atexit
from concurrent import futures
from service import waits

closed_in_atexit, closed_in_del = futures.ThreadPoolExecutor(1), futures.ThreadPoolExecutor(1)
closed_in_atexit.submit(int), closed_in_del.submit(int)


class ClosedWhenCollected:
    def __del__(self):
        waits.shut_down(closed_in_del)
        print("closed at the interpreter's exit", flush=True)


kept = ClosedWhenCollected()  # (collected as the interpreter finalizes: no new thread runs then)
atexit.register(lambda: (waits.shut_down(closed_in_atexit), print("closed in atexit", flush=True)))
"""


def test_an_executor_is_shut_down_by_an_atexit_callback_and_at_the_interpreters_exit() -> None:
    """A join or shutdown made in a thread of its own cannot be at the interpreter's exit: 3.11 never ran the thread
    (the wait hung for ever), 3.12 refused to start it. A library user closing an Engine or a pool from atexit or a
    __del__ gets the call made in place."""
    root = str(Path(waits.__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", _CLOSED_AT_EXIT], cwd=root, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": root, "PATH": os.environ.get("PATH", "")})  # fmt: skip
    assert (done.returncode, done.stdout.splitlines()) == (0, ["closed in atexit", "closed at the interpreter's exit"])


class _CutStart(threading.Thread):
    """A thread whose start a stop signal's raise cuts, before or after the thread runs (Thread.start waits for it)."""

    cut_before = False

    def start(self) -> None:
        if self.name != "cut-start":
            return super().start()
        if not self.cut_before:
            super().start()
        raise KeyboardInterrupt


@pytest.mark.parametrize("cut_before", [False, True], ids=["after-it-runs", "before-it-runs"])
def test_work_whose_thread_start_a_raise_cut_is_waited_for_or_cancelled(
    cut_before: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ThreadPoolExecutor's submit noted its thread only once started: a raise in that start left the work running
    past the block's end (an index load beside the store the start's undoing closed). Started: the work that runs is
    waited for, and the work whose thread never ran is cancelled (waiting for it would wait for ever)."""
    monkeypatch.setattr(_CutStart, "cut_before", cut_before)
    monkeypatch.setattr(threading, "Thread", _CutStart)
    ended = threading.Event()

    def slow_work() -> None:  # (a load: it takes a while, and nothing waits for it but the block)
        ended.wait(0.5)
        ended.set()

    with pytest.raises(KeyboardInterrupt), waits.Started() as threads:
        threads.start(slow_work, "cut-start")
    assert ended.is_set() is not cut_before  # (ran to its end before the block ended, or never ran)
    assert not [t.name for t in threading.enumerate() if t.name == "cut-start"]
