"""FingerprintPool: real worker processes give the in-process fingerprints, released in submission order."""

from __future__ import annotations

import dataclasses
import functools
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import grpc
import numpy as np
import pytest

from benchmarks.corpus import GeneratorConfig, generated
from service import waits
from service.detector import Detector, Prepared
from service.errors import InvalidArgument, Unavailable
from service.model import Article
from service.settings import DetectionParams
from service.status import status_for
from service.workers import (
    WORKER_NICENESS,
    FingerprintFailed,
    FingerprintPool,
    Outcomes,
    _Request,
    _resolve,
    _sent,
)
from tests.support import main_thread_waits_in, until

PARAMS = DetectionParams()
FOOTER = "Subscribe to our newsletter for the latest news from the harbour and the town council every morning."
ARTICLES = [Article(a.id, a.body) for a in generated(150)]


@pytest.fixture(scope="module")
def pool() -> Iterator[FingerprintPool]:
    p = FingerprintPool(2, PARAMS, 1 << 20, max_batch=7)
    yield p
    p.close()


def test_workers_run_at_a_lower_priority_than_the_server(pool: FingerprintPool) -> None:
    # They yield the cores to the server process's writer thread, the serial stage of an ingest.
    server = os.nice(0)
    niceness = [pool._executor.submit(os.nice, 0).result(timeout=60) for _ in range(4)]
    assert all(n == min(19, server + WORKER_NICENESS) for n in niceness), niceness
    assert WORKER_NICENESS > 0


def test_fingerprints_equal_in_process_and_arrive_in_order(pool: FingerprintPool) -> None:
    detector = Detector(PARAMS, 1 << 20)
    order: list[str] = []
    lock = threading.Lock()

    def record(f: Future[Prepared]) -> None:
        with lock:
            order.append(f.result().article.id)

    futures = [pool.prepare(a) for a in ARTICLES]
    for f in futures:
        f.add_done_callback(record)
    results = [f.result(timeout=60) for f in futures]
    assert order == [a.id for a in ARTICLES]
    for article, prepared in zip(ARTICLES, results, strict=True):
        expected = detector.fingerprint(article.body)
        assert np.array_equal(prepared.fingerprint.signature, expected.signature)
        assert np.array_equal(prepared.fingerprint.shingles, expected.shingles)
        assert prepared.fingerprint.body_digest == expected.body_digest
        assert prepared.article is article


def test_rejected_articles_inside_a_batch_leave_the_others_intact(pool: FingerprintPool) -> None:
    detector = Detector(PARAMS, 1 << 20)
    mixed = [ARTICLES[0], Article("bad", "..."), ARTICLES[1], ARTICLES[2], Article("", "x"), ARTICLES[3]]
    futures = [pool.prepare(a) for a in mixed]  # (max_batch 7: most go out as one batch)
    for article, future in zip(mixed, futures, strict=True):
        if article.id in ("bad", ""):
            with pytest.raises(InvalidArgument):
                future.result(timeout=60)
            continue
        prepared, expected = future.result(timeout=60), detector.prepare(article)
        assert isinstance(prepared, Prepared)  # (the pool's futures carry what detector.prepare made)
        assert np.array_equal(prepared.fingerprint.signature, expected.fingerprint.signature)
        assert np.array_equal(prepared.fingerprint.shingles, expected.fingerprint.shingles)
        assert np.array_equal(prepared.sequence, expected.sequence)


def test_invalid_articles_fail_with_invalid_argument_naming_the_field(pool: FingerprintPool) -> None:
    bad = pool.prepare(Article("x", "--- ..."))
    empty_id = pool.prepare(Article("", "some words here"))
    with pytest.raises(InvalidArgument, match=r"^article\.body: contains no words"):
        bad.result(timeout=60)
    with pytest.raises(InvalidArgument, match=r"^article\.id: is required"):
        empty_id.result(timeout=60)


def test_workers_that_cannot_start_are_an_os_error_the_server_reports_in_one_line() -> None:
    """A worker that failed in its start (here on passages that are no text) broke the pool while it warmed up:
    BrokenProcessPool, which `neardup serve` let through as a traceback (it handles OSError)."""
    with pytest.raises(OSError, match=r"^the fingerprint workers did not start \(BrokenProcessPool: "):
        FingerprintPool(1, PARAMS, 1 << 20, passages=[cast(str, 12345)])


class _Stop(BaseException):
    """As serve's stop signal raises to abandon its start (client/cli_serve.py _StopRequested): no Exception."""


def test_a_stop_raised_while_the_workers_start_shuts_them_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop signal raised in the warm-up's wait left the executor running (the pool was never made, so nobody
    could close it): at serve's exit a worker still starting failed on the semaphores the exit had removed
    ("SemLock._rebuild FileNotFoundError")."""
    made: list[ProcessPoolExecutor] = []
    new_executor, all_done = FingerprintPool._new_executor, waits.all_done

    def recorded(self: FingerprintPool) -> ProcessPoolExecutor:
        made.append(new_executor(self))
        return made[-1]

    def then_stop(waited: Iterable[Future[Any]], timeout: float | None = None) -> bool:
        done = all_done(waited, timeout)
        if timeout is not None and threading.current_thread() is threading.main_thread():  # (the warm-up's wait)
            raise _Stop
        return done

    monkeypatch.setattr(FingerprintPool, "_new_executor", recorded)
    monkeypatch.setattr(waits, "all_done", then_stop)
    try:
        with pytest.raises(_Stop):
            FingerprintPool(2, PARAMS, 1 << 20)
        monkeypatch.undo()
        (executor,) = made
        assert not executor._processes  # (every worker ended and waited for: none left to the process's exit)
        with pytest.raises(RuntimeError, match="after shutdown"):
            executor.submit(os.getpid)
    finally:
        for executor in made:
            executor.shutdown(wait=True, cancel_futures=True)


def _main_waits() -> bool:
    """Is the main thread blocked in a wait of service/waits.py?"""
    return main_thread_waits_in(waits)


def test_a_stop_raised_as_the_workers_are_spawned_waits_for_the_spawns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The main thread waited for the warm-up's starting thread in Thread.join(0.2) slices: a stop raised inside the
    join marked that thread, still spawning workers, as ended (bpo-45274), and the executor was shut down beside the
    spawns (a worker half started: "SemLock._rebuild FileNotFoundError" at the exit)."""
    made: list[ProcessPoolExecutor] = []
    new_executor, submit = FingerprintPool._new_executor, ProcessPoolExecutor.submit
    raised, looked = threading.Event(), threading.Event()
    spawned: list[Any] = []

    def recorded(self: FingerprintPool) -> ProcessPoolExecutor:
        made.append(new_executor(self))
        return made[-1]

    def stopped_first(self: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> Future[Any]:
        if not raised.is_set():  # (the first spawn, in the starting thread: a stop comes as it is under way)
            assert until(_main_waits, timeout=10)
            signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)  # (its handler runs in the main thread)
            assert raised.wait(10)
            # Spawned once the main thread waits for this one again; before the fix it went on without it (and the
            # test looked at the threads, then let this one go on).
            assert until(lambda: looked.is_set() or _main_waits(), timeout=10)
        future = submit(self, *args, **kwargs)
        spawned.extend((self._processes or {}).values())  # (shutdown clears the executor's own list, waited or not)
        return future

    def stop(signum: int, frame: object) -> None:
        if not raised.is_set():
            raised.set()
            raise _Stop

    monkeypatch.setattr(FingerprintPool, "_new_executor", recorded)
    monkeypatch.setattr(ProcessPoolExecutor, "submit", stopped_first)
    before = signal.signal(signal.SIGUSR1, stop)
    try:
        with pytest.raises(_Stop):
            FingerprintPool(2, PARAMS, 1 << 20)
        assert [t.name for t in threading.enumerate() if "fingerprint-start" in t.name] == []
        monkeypatch.undo()
        assert len(made) == 1 and spawned
        assert [p.exitcode is None for p in spawned] == [False] * len(spawned)  # (each spawned, ended and waited for)
    finally:
        looked.set()
        signal.signal(signal.SIGUSR1, before)
        for executor in made:
            executor.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize(
    "error",
    [OSError(24, "Too many open files"), TimeoutError(110, "Connection timed out")],
    ids=["EMFILE", "ETIMEDOUT"],
)
def test_an_oserror_of_a_spawn_while_the_workers_start_shuts_them_down(
    monkeypatch: pytest.MonkeyPatch, error: OSError
) -> None:
    """An OSError from a spawn (EMFILE: too many open files) passed through the constructor's `except OSError:
    raise`, meant for the warm-up's own: the executor was not shut down, its first worker left running. A spawn's
    TimeoutError (an OSError, ETIMEDOUT) was taken for the warm-up's wait running out: the workers were let go
    without being waited for."""
    made: list[ProcessPoolExecutor] = []
    new_executor, submit = FingerprintPool._new_executor, ProcessPoolExecutor.submit
    submits = [0]

    def recorded(self: FingerprintPool) -> ProcessPoolExecutor:
        made.append(new_executor(self))
        return made[-1]

    def second_fails(self: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> Any:
        submits[0] += 1
        if submits[0] == 2:  # (as the second worker's spawn failing on EMFILE)
            raise error
        return submit(self, *args, **kwargs)

    monkeypatch.setattr(FingerprintPool, "_new_executor", recorded)
    monkeypatch.setattr(ProcessPoolExecutor, "submit", second_fails)
    try:
        with pytest.raises(OSError, match=error.strerror) as raised:
            FingerprintPool(2, PARAMS, 1 << 20)
        assert type(raised.value) is type(error)  # (as it was, not the warm-up's own "did not start")
        monkeypatch.undo()
        (executor,) = made
        assert not executor._processes  # (the worker started ended and waited for)
        with pytest.raises(RuntimeError, match="after shutdown"):
            executor.submit(os.getpid)
    finally:
        for executor in made:
            executor.shutdown(wait=True, cancel_futures=True)


def test_closed_pool_answers_unavailable() -> None:
    p = FingerprintPool(1, PARAMS, 1 << 20)
    p.close()
    with pytest.raises(Unavailable):
        p.prepare(ARTICLES[0]).result(timeout=5)


def test_an_article_a_worker_fails_on_unexpectedly_fails_alone_as_a_fault_not_a_retry(
    pool: FingerprintPool, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug met on one article (here a body that is no text: AttributeError in detector.prepare) failed its
    whole batch, other callers' articles too, with a retryable UNAVAILABLE: clients retried a poison article.
    Without workers the same bug answers INTERNAL for that article alone; with them now too."""
    odd = Article("odd", cast(str, 12345))
    mixed = [ARTICLES[0], odd, ARTICLES[1]]
    futures = [pool.prepare(a) for a in mixed]  # (max_batch 7: one batch)
    assert futures[0].result(timeout=60).article is ARTICLES[0]
    assert futures[2].result(timeout=60).article is ARTICLES[1]
    error = futures[1].exception(timeout=60)
    assert isinstance(error, FingerprintFailed) and not isinstance(error, Unavailable)
    assert "AttributeError" in str(error) and "'odd'" in str(error)  # (the worker's traceback, for the log)
    assert status_for(error)[0] == grpc.StatusCode.INTERNAL
    assert any(r.exc_info and "detector.py" in str(r.exc_info[1]) for r in caplog.records)


def test_a_batch_that_fails_whole_is_retryable_only_when_a_worker_died() -> None:
    answered: dict[str, Outcomes] = {}
    broken = _Request(ARTICLES[:2], functools.partial(answered.__setitem__, "broken"))
    bug = _Request(ARTICLES[:2], functools.partial(answered.__setitem__, "bug"))
    _resolve([(broken, 0, 2)], BrokenProcessPool("a worker was killed"))
    _resolve([(bug, 0, 2)], TypeError("a result that does not pickle"))
    assert len(answered["broken"]) == len(answered["bug"]) == 2
    assert all(isinstance(outcome, Unavailable) for outcome in answered["broken"])
    assert all(isinstance(outcome, TypeError) for outcome in answered["bug"])


def test_a_callers_articles_are_answered_together_in_order_however_the_batches_cut_them(
    pool: FingerprintPool,
) -> None:
    """prepare_all: one answer for a caller's articles, in submission order with the others', a request longer than
    a batch (max_batch 7) cut over several and one shorter joined with the next; each as detector.prepare makes it,
    and a refused article refused alone."""
    detector = Detector(PARAMS, 1 << 20)
    requests = [ARTICLES[:20], [ARTICLES[20], Article("bad", "..."), ARTICLES[21]], ARTICLES[22:25], ARTICLES[25:40]]
    answered: list[tuple[int, Outcomes]] = []
    lock, done = threading.Lock(), threading.Event()

    def answer(n: int, outcomes: Outcomes) -> None:
        with lock:
            answered.append((n, outcomes))
            if len(answered) == len(requests):
                done.set()

    for n, articles in enumerate(requests):
        pool.prepare_all(articles, functools.partial(answer, n))
    single = pool.prepare(ARTICLES[40])
    assert done.wait(60)
    assert [n for n, _ in answered] == list(range(len(requests)))
    for (_, outcomes), articles in zip(answered, requests, strict=True):
        assert len(outcomes) == len(articles)
        for article, outcome in zip(articles, outcomes, strict=True):
            if article.id == "bad":
                assert isinstance(outcome, InvalidArgument)
                continue
            assert isinstance(outcome, Prepared) and outcome.article is article
            expected = detector.prepare(article)
            assert np.array_equal(outcome.fingerprint.signature, expected.fingerprint.signature)
            assert np.array_equal(outcome.sequence, expected.sequence)
    assert single.result(timeout=60).article is ARTICLES[40]
    assert not pool.backlogged()


def test_a_batch_that_cannot_be_sent_fails_and_the_next_is_still_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error sending a batch (here injected) ended the dispatcher thread: that batch's articles, and every
    one after, waited forever."""
    p = FingerprintPool(1, PARAMS, 1 << 20)
    try:
        submit, calls = p._executor.submit, []

        def first_fails(*args: Any) -> Future[Any]:
            calls.append(args)
            if len(calls) == 1:
                raise OSError("no memory for the pipe")
            return submit(*args)

        monkeypatch.setattr(p._executor, "submit", first_fails)
        with pytest.raises(OSError, match="no memory"):
            p.prepare(ARTICLES[0]).result(timeout=30)
        assert p.prepare(ARTICLES[1]).result(timeout=30).article is ARTICLES[1]
    finally:
        p.close()


@pytest.mark.parametrize("change", ["removed", "edited"])
def test_workers_started_again_after_one_died_sign_with_the_boilerplate_read_at_start(
    tmp_path: Path, change: str
) -> None:
    """A new pool's workers read --boilerplate-file again: removed since the start, every article then failed
    UNAVAILABLE; edited, they signed otherwise than the server process."""
    listed = tmp_path / "boilerplate.txt"
    listed.write_text(FOOTER)
    params = DetectionParams(boilerplate_file=str(listed))
    detector = Detector(params, 1 << 20)
    article = Article("a", f"{ARTICLES[0].body}\n\n{FOOTER}")
    p = FingerprintPool(1, params, 1 << 20)
    try:
        assert np.array_equal(
            p.prepare(article).result(timeout=60).fingerprint.signature, detector.prepare(article).fingerprint.signature
        )
        if change == "removed":
            listed.unlink()
        else:
            listed.write_text("A passage of some other publisher that this article does not hold at all.\n")
            edited = Detector(params, 1 << 20).prepare(article).fingerprint.signature
            assert not np.array_equal(edited, detector.prepare(article).fingerprint.signature), "premise"
        executor = p._executor
        for pid in list(executor._processes):
            os.kill(pid, signal.SIGKILL)
        assert until(lambda: bool(executor._broken), timeout=30)  # (the next batch starts a new pool)
        again = p.prepare(article).result(timeout=60)
        assert p._executor is not executor
        assert np.array_equal(again.fingerprint.signature, detector.prepare(article).fingerprint.signature)
    finally:
        p.close()


def test_the_fingerprint_pool_says_when_more_than_a_batch_waits_for_its_workers() -> None:
    pool = FingerprintPool(1, DetectionParams(), 1 << 20, passages=[], max_batch=16)
    try:
        assert not pool.backlogged()
        bodies = [a.body for a in generated(600, GeneratorConfig(words=300, seed=21))]
        futures = [pool.prepare(Article(f"a{i}", body)) for i, body in enumerate(bodies)]
        assert pool.backlogged()  # (600 queued at once: the one worker takes 2 batches of 16 at a time)
        assert [f.result(30).article.id for f in futures] == [f"a{i}" for i in range(600)]
        assert not pool.backlogged()
    finally:
        pool.close()


def test_an_article_sent_to_a_worker_keeps_every_field() -> None:
    """Articles go to the workers as tuples of their fields (cheaper to pickle): a field added to Article and not
    sent would be lost in the worker (its validation) without a word."""
    article = Article("i", "b", "t", "s", "u", datetime(2026, 12, 6, tzinfo=UTC))
    assert len(_sent(article)) == len(dataclasses.fields(Article))
    assert Article(*_sent(article)) == article
