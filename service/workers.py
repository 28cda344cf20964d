"""Fingerprinting in worker processes, so every core works while one process owns the index.

Tokenising, hashing and MinHash signatures are CPU-bound Python and numpy code that
holds the GIL; in the server process they compete with gRPC and the writer thread.
`FingerprintPool` runs them in a process pool (start method "forkserver": never
fork a process that has gRPC threads) and keeps the server process for I/O and the index.

Articles are sent in batches: one dispatcher thread takes whatever is queued (up to
`max_batch` articles; a caller's longer request is cut over several) once a worker slot
is free, so under load batches grow and the per-task cost (pickling, pipes) is shared,
while a lone article goes out at once. Results are released strictly in submission
order, so an article's future (`prepare`), or a caller's callback for its articles
together (`prepare_all`, one per stream request), comes only after every article queued
before it: callers that submit to the engine from there keep their stream's order.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import select
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NoReturn

from service import waits
from service.detector import Detector, Prepared, operator_passages
from service.errors import InvalidArgument, Unavailable
from service.model import Article, Verdict
from service.settings import DetectionParams

log = logging.getLogger(__name__)

_STOP = object()


# ---- the worker side ---------------------------------------------------------------------------

_detector: Detector | None = None
# Fingerprinting is throughput work; every article waits on the server process's writer thread, the
# one serial stage. With as many workers as cores, equal priorities left the writer waiting for a core
# ~0.65 s of a 4 s ingest (its run-queue time); at a lower priority the workers yield to it (~0.4 s).
WORKER_NICENESS = 10


def _init_worker(params: DetectionParams, max_body_bytes: int, passages: list[str], server_pid: int) -> None:
    global _detector
    os.nice(WORKER_NICENESS)  # (relative to the server's own niceness)
    if _exit_with(server_pid):
        # A terminal's Ctrl-C signals its whole process group, the workers too (each printed a KeyboardInterrupt
        # traceback, as if the server had crashed): the server stops them once it has drained, and the watch ends them
        # if it exits at once (a second Ctrl-C). Without the watch (no pidfd), the signal is left to end them then.
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # (forked so already by a forkserver started early)
    elif (preload := sys.modules.get("service.forkserver_preload")) is not None:
        # (forked with SIGINT ignored by the forkserver started early: what that forkserver found is put back)
        signal.signal(signal.SIGINT, preload.SIGINT_BEFORE or signal.SIG_DFL)
    _detector = Detector(params, max_body_bytes, passages)


def _exit_with(server_pid: int) -> bool:
    """End this worker as soon as the server process ends, however it ends (True: it will; False: no pidfd).

    A pool worker learns that its server is gone only from EOF on its call queue, and a forkserver
    child holds that pipe's write end itself: after a SIGKILL, an OOM kill or a crash of the server,
    the workers (and the forkserver, which lives while any of them does) would wait forever, each
    holding its memory. A pidfd turns readable when its process exits, so a thread can wait on it.
    """
    try:
        pidfd = os.pidfd_open(server_pid)
    except ProcessLookupError:
        os._exit(0)  # the server died while this worker was starting
    except (OSError, AttributeError):  # (os.pidfd_open exists on Linux only)
        return False  # no pidfd (Linux < 5.3, or not Linux): the worker ends only with a clean shutdown of the server
    threading.Thread(target=_exit_when_readable, args=(pidfd,), name="neardup-server-watch", daemon=True).start()
    return True


def _exit_when_readable(pidfd: int) -> None:
    select.select([pidfd], [], [])
    os._exit(0)  # nothing to flush: a worker's results have no one left to go to


@dataclass(frozen=True)
class _Rejected:
    """An InvalidArgument raised in a worker, carried back as plain data (it does not pickle)."""

    field: str
    message: str


@dataclass(frozen=True)
class _Failed:
    """Any other exception raised for one article in a worker (a bug), carried back as plain data: not every
    exception pickles, and its traceback never does."""

    traceback: str


class _WorkersDidNotStart(OSError):
    """The warm-up's own failure (a worker broke or did not answer): it shut the executor down without waiting, and
    the constructor lets it through as it is. Any other OSError (a spawn's EMFILE) shuts the workers down there."""


class FingerprintFailed(Exception):
    """An unexpected error fingerprinting one article in a worker process; the message holds the worker's
    traceback. Like the same error in the server process it is a fault, not a reason to retry: INTERNAL."""


_NO_ARTICLE = Article(id="", body="")  # the caller has the article: do not send its text back


# An article as sent to a worker: its fields in Article's order. A tuple of strings pickles in a third of the time
# a dataclass does (2.7 -> 1.0 us an article, in the pool's feeder thread, holding the server's GIL).
_Sent = tuple[str, str, str, str, str, datetime | None]


def _sent(article: Article) -> _Sent:
    return (article.id, article.body, article.title, article.source, article.url, article.published)


def _fingerprint_batch(articles: list[_Sent]) -> list[Prepared | _Rejected | _Failed]:
    """What detector.prepare makes of each article (whatever it keeps besides the fingerprint), sans article.
    An article it fails on fails alone: the others of the batch (other callers' too) are still answered."""
    assert _detector is not None, "worker not initialised"
    out: list[Prepared | _Rejected | _Failed] = []
    for fields in articles:
        article = Article(*fields)
        try:
            out.append(replace(_detector.prepare(article), article=_NO_ARTICLE))
        except InvalidArgument as exc:
            out.append(_Rejected(exc.field, str(exc).removeprefix(f"{exc.field}: ")))
        except Exception:
            out.append(_Failed(traceback.format_exc()))
    return out


# ---- the server side ---------------------------------------------------------------------------


# What a caller is answered for each of its articles, in order: what detector.prepare made of it, or its error.
Outcomes = list[Prepared | BaseException]


@dataclass
class _Request:
    """One caller's articles, answered together (`answer`, called once, in the result thread) once all are back.
    A request longer than a batch is sent in several: `outcomes` gathers them, released in order."""

    articles: list[Article]
    answer: Callable[[Outcomes], None]
    outcomes: Outcomes = field(default_factory=list)


# A batch sent to a worker: consecutive articles [start, end) of each of one or more requests.
_Piece = tuple[_Request, int, int]


class FingerprintPool:
    def __init__(
        self,
        workers: int,
        params: DetectionParams,
        max_body_bytes: int,
        passages: Sequence[str] | None = None,
        max_batch: int = 64,
    ) -> None:
        """`passages`: the operator's boilerplate, as the server's Detector has it (None: read from
        params.boilerplate_file now). Read once: the workers started again after one died get the same."""
        self.workers = workers
        if passages is None:
            passages = operator_passages(params.boilerplate_file)
        self._init_args = (params, max_body_bytes, list(passages), os.getpid())
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Request | object] = queue.SimpleQueue()
        self._queued = 0  # articles put and not yet sent to a worker (`backlogged`)
        self._queued_lock = threading.Lock()
        self._slots = threading.Semaphore(2 * workers)  # batches in flight: keeps every worker busy
        self._order_lock = threading.Lock()
        self._next_sent = 0
        self._next_released = 0
        self._done: dict[int, tuple[list[_Piece], list[Prepared | _Rejected | _Failed] | BaseException]] = {}
        self._closed = False
        self._executor = self._new_executor()
        try:  # (only what starts the workers can fail, or be cut short by a stop signal)
            self._warm_up()
            self._dispatcher = threading.Thread(target=self._dispatch, name="neardup-fingerprint", daemon=True)
            self._dispatcher.start()
        except _WorkersDidNotStart:  # (_warm_up's own: it shut them down without waiting, as a worker may hang)
            raise
        except BaseException:
            # Whatever else ends the construction (serve's stop signal abandoning the start, during the warm-up's
            # waits; an OSError of a spawn, EMFILE, which passed through with the executor and its started workers
            # left running): the workers are shut down, and waited for, here. Left to the process's exit, a worker still
            # starting read its queue's semaphore after the exit had removed it ("SemLock._rebuild
            # FileNotFoundError" on stderr) and the executor's exit hook failed on a closed pipe ("Bad file
            # descriptor"): the caller never had the pool to close. (In slices: service/waits.py.)
            waits.shut_down(self._executor, cancel_futures=True)
            raise

    def _new_executor(self) -> ProcessPoolExecutor:
        # (the forkserver `neardup serve` started early, its code preloaded, or one started now: service/forkserver.py)
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker, initargs=self._init_args)

    def _warm_up(self) -> None:
        """Start every worker now (not on the first request), and fail here if they cannot start."""
        probe = Article(id="warm-up", body="warm up the fingerprint workers")
        try:
            # The submits start the workers, each spawned as its submit runs: made in a thread of their own, as
            # the main thread waits. A stop signal's exception (serve's, raised in the main thread) landing inside
            # a spawn left a worker half started, unknown to the executor: its shutdown did not wait for it, and
            # the worker failed on the semaphores the exit had removed. Raised in the wait, it leaves the spawns
            # whole: the thread's work is waited for however the wait ends, and the executor knows each worker it
            # shuts down. Every wait here is in slices (service/waits.py): a further signal handed to a thread
            # other than the main one is acted on at once, not once the workers have started.
            with waits.Started() as starting:  # (its thread's end, whatever is raised meanwhile)
                sent = starting.start(lambda: [self._executor.submit(_fingerprint_batch, [_sent(probe)])
                                               for _ in range(self.workers)], "neardup-fingerprint-start")  # fmt: skip
            results = sent.result()
            if not waits.all_done(results, timeout=120):
                self._did_not_start(TimeoutError("a worker did not answer its first request within 120 s"))
            for result in results:
                result.result()  # (a spawn's OSError, ETIMEDOUT among them, goes on)
        except BrokenProcessPool as exc:  # (an OSError: the server says so in one line, or serves on)
            self._did_not_start(exc)

    def _did_not_start(self, exc: BaseException) -> NoReturn:
        self._executor.shutdown(wait=False, cancel_futures=True)
        raise _WorkersDidNotStart(f"the fingerprint workers did not start ({type(exc).__name__}: {exc})") from exc

    def prepare(self, article: Article) -> Future[Prepared]:
        """Validate and fingerprint in a worker; resolves in submission order, with the shingle sequence kept
        (`Prepared`), so the writer labels boilerplate without tokenising the text again."""
        future: Future[Prepared] = Future()
        self.prepare_all([article], lambda outcomes: _settle(future, outcomes[0]))
        return future

    def prepare_all(self, articles: Sequence[Article], answer: Callable[[Outcomes], None]) -> None:
        """`prepare` for a caller's articles together: `answer` is called once with what each became (a `Prepared`,
        or the exception its future would have held), in order, in submission order with every other call's (a
        stream's batch: one call, one callback, where a future for each article cost more than its hand-off). Called
        at once, in this thread, once the pool is closed (each article UNAVAILABLE) or for no articles."""
        if self._closed or not articles:
            answer([Unavailable("the server is shutting down; retry on another replica") for _ in articles])
            return
        with self._queued_lock:
            self._queued += len(articles)
        self._queue.put(_Request(list(articles), answer))

    def worker_pids(self) -> list[int]:
        """The process ids of the pool's workers now (none once it is closed): the metrics read their CPU time and
        memory from /proc at a scrape. A new pool's, after a worker died. (ProcessPoolExecutor keeps its workers
        by pid, in `_processes`, with no public way to them; its own thread adds and removes them: copied whole.)"""
        with suppress(AttributeError, TypeError, RuntimeError):  # (None once shut down; changed while copied)
            return list(self._executor._processes)  # (private to the executor)
        return []

    def backlogged(self) -> bool:
        """Are more articles queued for the workers than one batch (an ingest's streams keep up to a window
        each queued: an article submitted now waits for all of them, released in order)?"""
        return self._queued > self._max_batch

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            waits.joined(self._dispatcher)  # (in slices, as the shutdown: service/waits.py)
            waits.shut_down(self._executor, cancel_futures=False)

    def _dispatch(self) -> None:
        carry: tuple[_Request, int] | None = None  # a request not yet sent whole, from this article on
        while True:
            if carry is None:
                first = self._queue.get()
                if first is _STOP:
                    return
                assert isinstance(first, _Request)
                carry = (first, 0)
            self._slots.acquire()  # while we wait, more articles queue up and join this batch
            pieces, carry, stop = self._batch(carry)
            self._send(pieces)
            if stop:
                return

    def _batch(self, carry: tuple[_Request, int]) -> tuple[list[_Piece], tuple[_Request, int] | None, bool]:
        """Up to max_batch articles, from `carry` on and then whatever is queued (a request longer than that is cut,
        the rest carried to the next batch); the rest carried, and whether _STOP was taken."""
        pieces: list[_Piece] = []
        size = 0
        while True:
            request, start = carry
            end = min(len(request.articles), start + self._max_batch - size)
            pieces.append((request, start, end))
            size += end - start
            if end < len(request.articles):
                return self._taken(pieces, size, (request, end), False)
            if size >= self._max_batch:
                return self._taken(pieces, size, None, False)
            try:
                following = self._queue.get_nowait()
            except queue.Empty:
                return self._taken(pieces, size, None, False)
            if following is _STOP:
                return self._taken(pieces, size, None, True)
            assert isinstance(following, _Request)
            carry = (following, 0)

    def _taken(
        self, pieces: list[_Piece], size: int, carry: tuple[_Request, int] | None, stop: bool
    ) -> tuple[list[_Piece], tuple[_Request, int] | None, bool]:
        with self._queued_lock:
            self._queued -= size
        return pieces, carry, stop

    def _send(self, pieces: list[_Piece]) -> None:
        number = self._next_sent
        self._next_sent += 1
        try:
            result = self._submit_to_workers(
                [_sent(a) for request, start, end in pieces for a in request.articles[start:end]]
            )
        except Exception as exc:  # (the batch fails, not the dispatcher: every later article would wait forever)
            result = Future()
            result.set_exception(exc)
        result.add_done_callback(lambda f: self._finished(number, pieces, f))

    def _submit_to_workers(self, articles: list[_Sent]) -> Future[list[Prepared | _Rejected | _Failed]]:
        try:
            return self._executor.submit(_fingerprint_batch, articles)
        except BrokenProcessPool:
            log.error("a fingerprint worker died; starting a new pool")
        self._executor = self._new_executor()
        try:
            return self._executor.submit(_fingerprint_batch, articles)
        except OSError as exc:  # (no process could start: to its callers, the pool is still broken)
            raise BrokenProcessPool(f"could not start new fingerprint workers ({exc})") from exc

    def _finished(
        self, number: int, pieces: list[_Piece], result: Future[list[Prepared | _Rejected | _Failed]]
    ) -> None:
        self._slots.release()
        exc = result.exception()
        outcome: list[Prepared | _Rejected | _Failed] | BaseException = exc if exc is not None else result.result()
        with self._order_lock:  # release batches in the order they were sent
            self._done[number] = (pieces, outcome)
            while self._next_released in self._done:
                done_pieces, done_outcome = self._done.pop(self._next_released)
                self._next_released += 1
                _resolve(done_pieces, done_outcome)


def _resolve(pieces: list[_Piece], outcome: list[Prepared | _Rejected | _Failed] | BaseException) -> None:
    """Gather a batch's outcomes into its requests, and answer each request that is whole."""
    if isinstance(outcome, BaseException):
        # A worker that died (a crash, the OOM killer) broke the pool, and the next batch starts a new one:
        # retrying is right. Anything else failed the whole batch (a bug), and goes on as it is (INTERNAL).
        error = outcome
        if isinstance(outcome, BrokenProcessPool):
            error = Unavailable(f"fingerprinting failed ({type(outcome).__name__}: {outcome}); retry")
        for request, start, end in pieces:
            request.outcomes += [error] * (end - start)
            _answer_if_whole(request)
        return
    taken = 0
    for request, start, end in pieces:
        gathered, results = request.outcomes, outcome[taken : taken + end - start]
        taken += end - start
        for article, prepared in zip(request.articles[start:end], results, strict=True):
            if isinstance(prepared, _Rejected):
                gathered.append(InvalidArgument(prepared.field, prepared.message))
            elif isinstance(prepared, _Failed):
                gathered.append(FingerprintFailed(f"article {article.id!r}, in a worker:\n{prepared.traceback}"))
            else:
                gathered.append(replace(prepared, article=article))
        _answer_if_whole(request)


def _answer_if_whole(request: _Request) -> None:
    if len(request.outcomes) < len(request.articles):
        return  # (the rest come with the next batch)
    try:
        request.answer(request.outcomes)
    except Exception:  # (a caller's bug: logged, and the requests after it are still answered)
        log.exception("answering a request's fingerprints failed")


def _settle(future: Future[Prepared], outcome: Prepared | BaseException) -> None:
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def copy_outcome(source: Future[Verdict], target: Future[Verdict]) -> None:
    if source.cancelled():  # (withdrawn before the writer took it up: its stream's call had ended)
        target.cancel()
        return
    exc = source.exception()
    if exc is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())
