"""Waits of the main thread in slices (SLICE_SECONDS), where serve may be when a stop signal comes: its start (the
index's load, the fingerprint workers' warm-up), an abandoned start's undoing, and the stop's closes.

Python runs a signal's handler in the main thread only, once that thread is back in the interpreter. A signal the
kernel hands another thread (it does when the main thread has one pending already, as a supervisor's two signals
ms apart leave it, or is busy: gRPC's threads, the load's) does not end a wait of the main thread, and an untimed
one (Future.result(), Thread.join(), an executor's shutdown(wait=True), Event.wait()) ran that handler only once
the wait ended: a second signal while a start was abandoned, which exits at once, was acted on only once the
index's load was done (minutes at a million articles). A wait in slices is back in the interpreter every
SLICE_SECONDS, and the handler runs then. (client/cli.py's serve loop and grpc_server.serve_on wait so too.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable
from concurrent import futures
from typing import Any

# How long the main thread waits at most before it is back in the interpreter, running any signal handler due.
SLICE_SECONDS = 0.2


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
    """Wait until these are all done, however long, whatever is raised meanwhile (serve's stop signal abandoning the
    start: what they do still uses what the start's undoing then closes); the first thing raised is raised once
    they are."""
    waited = list(waited)
    _holding(lambda: all_done(waited))


def joined(thread: threading.Thread | None) -> None:
    """thread.join() (a thread not started, or None: nothing to wait for), in slices, whatever is raised meanwhile:
    raised once the thread has ended."""
    _holding(lambda: _join(thread))


def set_at_last(event: threading.Event | Any) -> None:
    """event.wait() (grpc.Server.stop's event among them), in slices, whatever is raised meanwhile: raised once it
    is set."""
    _holding(lambda: _set(event))


def shut_down(executor: futures.Executor, cancel_futures: bool = False) -> None:
    """executor.shutdown(wait=True, cancel_futures=...), its threads waited for in slices, whatever is raised
    meanwhile: raised once they have ended. (A thread pool's threads and a process pool's managing thread, which
    joins its workers, are the executors' own attributes: what shutdown(wait=True) joins.)"""
    threads: list[threading.Thread] = []
    if isinstance(executor, futures.ThreadPoolExecutor):
        threads = list(executor._threads)  # (private to the executor)
    elif isinstance(executor, futures.ProcessPoolExecutor):
        manager: threading.Thread | None = getattr(executor, "_executor_manager_thread", None)  # (private to it)
        threads = [manager] if manager is not None else []
    executor.shutdown(wait=False, cancel_futures=cancel_futures)
    _holding(lambda: all(_join(thread) for thread in threads))


def _join(thread: threading.Thread | None) -> bool:
    while thread is not None and thread.ident is not None and thread.is_alive():
        thread.join(SLICE_SECONDS)
    return True


def _set(event: threading.Event | Any) -> None:
    while not event.wait(SLICE_SECONDS):
        pass


def _holding(wait: Callable[[], object]) -> None:
    """Run `wait` to its end, again whenever something is raised in it (a signal's handler's); the first thing
    raised is raised once it has ended."""
    raised: BaseException | None = None
    while True:
        try:
            wait()
            break
        except BaseException as exc:  # (raised again below, once the wait is over)
            raised = raised or exc
    if raised is not None:
        raise raised
