"""Waits of the main thread in slices (SLICE_SECONDS), where serve may be when a stop signal comes: its start (the
index's load, the fingerprint workers' warm-up), an abandoned start's undoing, and the stop's closes.

Python runs a signal's handler in the main thread only, once that thread is back in the interpreter. A signal the
kernel hands another thread (it does when the main thread has one pending already, as a supervisor's two signals
ms apart leave it, or is busy: gRPC's threads, the load's) does not end a wait of the main thread, and an untimed
one (Future.result(), Thread.join(), an executor's shutdown(wait=True), Event.wait()) ran that handler only once
the wait ended: a second signal while a start was abandoned, which exits at once, was acted on only once the
index's load was done (minutes at a million articles). A wait in slices is back in the interpreter every
SLICE_SECONDS, and the handler runs then. (client/cli_serve.py's serve loop and grpc_server.serve_on wait so too:
until.)

A thread's join, an executor's shutdown(wait=True) and any other blocking call (`returned`: the metrics server's
shutdown, the held ids' timed join) are made in a thread of their own, which the main thread waits for in slices:
never Thread.join in the main thread. An exception raised inside Thread.join (a handler's) marks the thread as ended
while it still runs (bpo-45274, Python 3.11 and 3.12), and the join returns at once."""

from __future__ import annotations

import _thread
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable
from concurrent import futures
from contextlib import suppress
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

# How long the main thread waits at most before it is back in the interpreter, running any signal handler due.
SLICE_SECONDS = 0.2


def until(event: threading.Event | Any, timeout: float | None = None) -> bool:
    """event.wait(timeout) (None: no bound) in slices: is it set? What a signal's handler raises meanwhile cuts the
    wait short."""
    ends = None if timeout is None else time.monotonic() + timeout
    while True:
        left = SLICE_SECONDS if ends is None else min(ends - time.monotonic(), SLICE_SECONDS)
        if left <= 0:
            return bool(event.is_set())
        if event.wait(left):
            return True


def waited_for(condition: threading.Condition, predicate: Callable[[], bool], timeout: float) -> bool:
    """condition.wait_for(predicate, timeout), `condition` held, in slices: does `predicate` hold? What a signal's
    handler raises meanwhile cuts the wait short (serve's drain of its index streams: a second signal, up to the
    grace less 2 s, exits at once)."""
    ends = time.monotonic() + timeout
    while not (holds := predicate()):
        left = ends - time.monotonic()
        if left <= 0:
            return holds
        condition.wait(min(left, SLICE_SECONDS))
    return holds


def all_done(waited: Iterable[futures.Future[Any]], timeout: float | None = None) -> bool:
    """Wait until these are all done, or `timeout` seconds (None: no bound) have passed: are they all done? What a
    signal's handler raises meanwhile cuts the wait short."""
    ends = None if timeout is None else time.monotonic() + timeout
    pending: Collection[futures.Future[Any]] = {id(f): f for f in waited}.values()
    while pending:
        left = SLICE_SECONDS if ends is None else min(ends - time.monotonic(), SLICE_SECONDS)
        if left <= 0:
            return False
        pending = futures.wait(pending, left).not_done
    return True


def finished(waited: Iterable[futures.Future[Any]]) -> None:
    """Wait until these are all done, however long, whatever is raised meanwhile once (serve's stop signal abandoning
    the start: what they do still uses what the start's undoing then closes); that first thing raised is raised once
    they are. A second one is raised at once (a second Ctrl-C, where Python's own SIGINT handler raises)."""
    waited = list(waited)
    _holding(lambda: all_done(waited))


def joined(thread: threading.Thread | None) -> None:
    """thread.join() (a thread not started, or None: nothing to wait for), made in a thread of its own and waited
    for in slices, as `finished`. The current thread cannot be joined: RuntimeError, as from join()."""
    if thread is None or thread.ident is None:
        return
    if thread is threading.current_thread():
        raise RuntimeError("cannot join current thread")
    returned(thread.join)


def set_at_last(event: threading.Event | Any) -> None:
    """event.wait() (grpc.Server.stop's event among them), in slices, as `finished`: raised once it is set."""
    _holding(lambda: until(event))


def shut_down(executor: futures.Executor, cancel_futures: bool = False) -> None:
    """executor.shutdown(wait=True, cancel_futures=...) (its work, whatever was submitted, and its threads, or
    processes, waited for), made in a thread of its own and waited for in slices, as `finished`."""
    returned(lambda: executor.shutdown(wait=True, cancel_futures=cancel_futures))


class Started:
    """Work started in threads of its own (`start`), all of it waited for as the `with` block ends, in slices, as
    `finished`, whatever was raised in it; work whose thread a raise kept from beginning it is cancelled then.

    A ThreadPoolExecutor lost such work: its submit starts a thread (Thread.start waits for it to run) and only then
    notes it among those its shutdown waits for, so a stop signal's raise landing in that wait left the thread
    running, unknown to the shutdown. A start abandoned so closed the store under an index load's thread, and the
    process's exit then waited for that thread with the stop signals ignored: a second signal did not end it. Here
    each future is held before its thread starts."""

    def __init__(self) -> None:
        self._futures: list[futures.Future[Any]] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Started:
        return self

    def start(self, work: Callable[[], T], name: str) -> futures.Future[T]:
        """`work()` in a thread named `name`: its outcome in the future returned."""
        future: futures.Future[T] = futures.Future()
        self._futures.append(future)  # (before its thread starts: wherever a raise lands, it is waited for)

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return  # (cancelled: the block ended by a raise before this thread began)
            try:
                result = work()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        thread = threading.Thread(target=run, name=name, daemon=True)  # (waited for in `__exit__`, not at the exit)
        self._threads.append(thread)
        thread.start()
        return future

    def __exit__(
        self, kind: type[BaseException] | None, raised: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if raised is not None:
            for future in self._futures:
                future.cancel()  # (only work not begun: what runs is waited for)
        # (not the cancelled: their threads, if they run at all, only see so, and a wait never counts one done)
        finished([future for future in self._futures if not future.cancelled()])
        for thread in self._threads:
            joined(thread)  # (its end too: a caller sees no thread of the block left)


def returned(blocking: Callable[[], object]) -> None:
    """blocking() (a blocking call: socketserver's shutdown, a timed join), made in a thread of its own and waited
    for in slices, as `finished`; what it raises is raised here.

    The thread is started by _thread.start_new_thread, which has no Python code of its own, waiting for the thread's
    start (Thread.start does): a raise lands before it, and the thread is started again, or after, when the thread
    runs. A raise between its return and `started` being noted starts a second one: only the first to run calls
    `blocking`."""
    done: futures.Future[None] = futures.Future()
    first = threading.Lock()

    def run() -> None:
        if not first.acquire(blocking=False):
            return  # (a second thread, started again: the first does it)
        try:
            blocking()
        except BaseException as exc:  # (raised in the waiting thread)
            with suppress(futures.InvalidStateError):
                done.set_exception(exc)
        else:
            with suppress(futures.InvalidStateError):
                done.set_result(None)

    if sys.is_finalizing():  # (no new thread runs at the interpreter's exit: 3.11's never ran, and the wait hung)
        blocking()
        return
    started = False

    def start_and_wait() -> None:
        nonlocal started
        if not started:
            try:
                _thread.start_new_thread(run, ())
            except RuntimeError:  # ("can't create new thread at interpreter shutdown": an atexit callback's, 3.12)
                run()
            started = True
        all_done([done])

    _holding(start_and_wait)
    done.result()


def _holding(wait: Callable[[], object]) -> None:
    """Run `wait` to its end, again if something is raised in it (a signal's handler's); that first thing raised is
    raised once it has ended. A second thing raised is raised at once, the first as its context: a second signal
    of a caller whose handler raises each time (Python's SIGINT handler), and a wait that fails by itself."""
    raised: BaseException | None = None
    while True:
        try:
            wait()
            break
        except BaseException as exc:  # (raised again below, once the wait is over)
            if raised is not None:
                if exc is not raised and exc.__context__ is None:
                    exc.__context__ = raised
                raise
            raised = exc
    if raised is not None:
        raise raised
