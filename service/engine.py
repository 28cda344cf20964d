"""The engine: one index, many callers.

An article to index is fingerprinted (CPU-heavy, parallel) before the engine is
involved, in the caller's thread or a worker process (service/workers.py); a check
is fingerprinted by the engine, in the caller's thread, once it has its turn
(check_article). Everything that reads or changes the index goes through the
store's transactions, and every index request goes through one writer thread
that takes whatever is queued (up to `max_batch` articles), decides each in
arrival order inside one write transaction, commits once, and only then
resolves the callers' futures. So an acknowledgement always means "on disk",
and a burst of N articles costs one fsync, not N.
An urgent article (IndexArticle) is decided in a transaction of its own, ahead of
the queue; one in progress is cut short for it (`_cut_short`): the decided are committed
and answered, the rest put back at the front of the queue, in order. A delete (DeleteArticle, and a
DeleteArticles of one write's ids) is such an urgent write too, made by the writer (`_in_writer`).

A check reads the store as of the last commit and waits for no write: the
stores' reads go on beside a write transaction (service/sqlite_store.py,
service/redis_store.py). On the embedded store the band index is merged in a
thread of the store's own, beside the writes and the reads.

Within a batch, the articles that are provably new stories (service/novelty.py) are
screened together and stored in runs; the others are decided one by one in full.
"""

from __future__ import annotations

import functools
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar, cast

import numpy as np

from service import novelty, paging, waits
from service.batching import drain
from service.detector import Detector
from service.errors import (
    BatchTooLong,
    Cancelled,
    CommitUnanswered,
    DeadlineExceeded,
    FullMidCommit,
    IncompatibleIndex,
    InvalidArgument,
    NeedsOperator,
    NotFound,
    ReplicasBehind,
    ResourceExhausted,
    StoreDamaged,
    StoreFull,
    Unavailable,
)
from service.gil import let_others_run
from service.holds import Holds, holds_for
from service.logs import Throttle
from service.lsh import BandKeys
from service.model import (
    Article,
    GroupMember,
    GroupPage,
    IndexOutcome,
    Match,
    PreparedArticle,
    Stats,
    StoredArticle,
    U32Array,
    Verdict,
    to_us,
)
from service.sets import difference, intersection
from service.storage import DecisionReads, Store, Transaction, order_key
from service.stories import story_roots

log = logging.getLogger(__name__)


@dataclass
class _Job:
    prepared: PreparedArticle
    evidence: bool
    future: Future[Verdict]
    urgent: bool = False  # (`submit_all`'s: decided in a transaction of the urgent jobs alone)


@dataclass
class _Write:
    """A write made by the writer, ahead of its queue (`_in_writer`): `run` makes it (its own transactions)."""

    run: Callable[[], None]
    future: Future[None]


# What the writer makes of a job: its verdict, or the refusal of that article alone (the others of its transaction
# are decided and stored as if it had not been sent).
_Outcome = Verdict | InvalidArgument

_STOP = object()
_WAKE = object()  # (wakes the writer to take an urgent job: `submit_all`)
# A page of a group listing holds at most this many bytes of its members' ids, titles, sources and urls (fewer
# members than asked for, if need be): far under gRPC's 4 MiB message limit, which a page of members with long
# titles would otherwise exceed, failing that listing for good.
PAGE_BYTES = 1 << 20
# How often a group's first page is read before it is answered as read: again while it is not whole
# (_whole_first_page), which only a store whose read is not one snapshot can give, only while the group changes.
_GROUP_READS = 10
# A transaction of queued articles is cut short once an urgent job waits (`_cut_short`), but not before it has
# decided for this long: an urgent call then waits at most this, one decision and a commit, not a whole transaction
# (up to --max-batch articles: 3-4 s when each is verified against 32 copies of a story), and a stream beside a
# steady flow of urgent calls still gets most of the writer's time (a commit and fsync: ≈0.5-5 ms).
_URGENT_WAITS_AT_MOST = 0.02
# A write (a delete: `_in_writer`) cuts a transaction short only once this long has passed since the writer last made
# writes: deletes sent one by one beside an ingest cut its transactions at most ≈10 times a second (each cut costs it a
# commit and a new prefetch and screen of its rest: 1,000 one-by-one deletes took an ingest of 1,500 copies from 5.8 s
# to 8 s, 640 commits instead of 6), and a delete waits at most this, one decision and a commit; the deletes queued
# meanwhile are all made at that cut (docs/perf.md, "One article beside a long write").
_WRITES_CUT_AT_MOST_EVERY = 0.1
# Checks come in while one ended less than this long ago (at 10 checks/s or more): _let_checks_in.
_CHECKS_FLOWING = 0.1
# Articles screened together (service/novelty.py), each chunk against the store as the chunks before it
# left it. A bigger screen would be more conservative: a sample that k earlier articles of the screen
# hold counts as k more groups, so fewer of its articles would be provably new.
_SCREENED = 64
# While checks come in (_checks_flowing), fewer at a time: a screen is the writer's longest stretch of
# Python between two chances for a check to take the GIL (≈2.4 ms for 64 articles at 1M stored, against
# ≈0.9 ms for a full decision), and a check waits for the stretch it arrives in (service/gil.py).
_SCREENED_BESIDE_CHECKS = 16
# Ids one delete_all may name, and how many of them one write deletes. A write holds the store alone, and an
# ingest waits for it: at 1.16M articles stored a delete took 1.0-2.5 ms (reading the row from disk, freeing
# its pages), so 1,000 in one write held it 1.0-2.5 s. 100 a write hold it ≈0.15 s, for a commit and fsync
# per 100 instead of one per article (docs/perf.md, "Purges").
MAX_DELETED_AT_ONCE = 1000
_DELETED_A_WRITE = 100
# A delete_all of at most this many distinct ids (one write) is made by the writer ahead of its queue, cutting its
# transaction short as an urgent article does (`_in_writer`): a takedown of a few ids waited for a whole transaction
# of an ingest (seconds). A longer purge is bulk work of seconds itself, in writes of its own beside the writer's
# (each waits for the writer's transaction in progress): made urgent, its ten writes would cut an ingest ten times.
_URGENT_DELETES_AT_MOST = _DELETED_A_WRITE
# A batch the store refuses is logged at once, then at most one a this many seconds, with the articles refused since:
# while Redis was down, one client's ingest logged 67 such lines in 10 s. Those held back are said once a write is
# accepted again, or once this long has passed (`_log_refusals_held`).
REFUSALS_LOGGED_EVERY = 10.0
# After a refusal as too long the writer's transactions are capped (`_fits`), and the cap doubles after whole
# transactions at it; a doubled cap refused again waits for twice as many before the next doubling, up to this many:
# an ingest that stays heavy throws a refused write (on Redis ≈5 s of work) away at most once in as many transactions.
_FITS_GROW_AFTER_AT_MOST = 16
_LATE_CHECK = (
    "the deadline passed while the check waited for its turn (behind other checks, or the store held alone "
    "for a merge of its index), so it was not made: retry with a longer deadline, or send checks at a lower rate"
)
# (A deadline already past as the check reached the engine waited for nothing here: told as above, a 1 ms timeout on an
# idle server read as a busy server's.)
_SPENT_CHECK = (
    "the deadline had passed when the check reached the server (too short a timeout, or spent on the way), so it was "
    "not made: retry with a longer deadline"
)


class Engine:
    def __init__(
        self,
        detector: Detector,
        store: Store,
        max_batch: int = 256,
        screen_novel: bool = True,
        check_lanes: int | None = None,
    ) -> None:
        """`screen_novel=False` decides every article in full: the reference the fast path is tested against.
        `check_lanes`: how many `check_article` calls fingerprint and check at once (None: no limit)."""
        self.detector = detector
        self.store = store
        self.max_batch = max_batch
        self._check_lanes: AbstractContextManager[object] = (
            threading.BoundedSemaphore(check_lanes) if check_lanes else nullcontext()
        )
        self._screen_novel = screen_novel
        self._checks = 0  # check_article calls in progress (the writer lets them in: _let_checks_in)
        self._checks_lock = threading.Lock()
        self._last_check_ended = -1e9  # (time.monotonic())
        self.stored_as_new = 0  # acknowledged articles the screen found provably new (tests, benchmarks)
        self._new_in_batch = 0  # those of the batch being decided: counted once it commits
        self._band_keys = BandKeys(detector.params.lsh_bands, detector.params.lsh_rows)
        # The screen's band keys handed on to the store (`band_hits`, `insert_new`), not found there again, when the
        # store's parameters key bands as the detector's do (a server's always: its detector takes the store's). The
        # keys carry their bands and rows (`BandKeys.given`): a store refuses keys of another layout.
        layout = (detector.params.lsh_bands, detector.params.lsh_rows)
        self._keys_fit_store = (store.params.lsh_bands, store.params.lsh_rows) == layout
        self.started = time.monotonic()
        self._queue: queue.SimpleQueue[list[_Job] | object] = queue.SimpleQueue()
        self._urgent: queue.SimpleQueue[list[_Job]] = queue.SimpleQueue()  # taken first: `submit_all`
        self._writes: queue.SimpleQueue[_Write] = queue.SimpleQueue()  # made first of all: `_in_writer`
        # (a write or a job is queued before the stop, or refused: `_in_writer`, `submit_all`, `close`)
        self._closing = threading.Lock()
        self._writes_made = -1e9  # when the writer last made writes (`time.monotonic()`; writer only): `_cut_short`
        # Jobs taken and left undecided, by a transaction cut short, or beyond --max-batch (or `_fits`) articles, a
        # group split (`_split`): taken again first (writer only); no more is taken from the queue while as many as
        # a transaction holds wait here (`_next_item`).
        self._put_back: list[_Job] = []
        # Once the store refused a transaction as too long (BatchTooLong), the most jobs the writer's transactions
        # hold, set by halving it (writer only). Without it the jobs put back by a half cut short went back whole
        # into the next transaction, with more of the queue: refused again (on Redis ≈5 s of work thrown away each
        # time), and halved again, for every cut. It grows back (`_fit_more`): doubled after `_fits_grow_after`
        # transactions committed whole at it, up to max_batch, and cleared once the writer catches up
        # (`_caught_up`). Cleared only then, a burst of heavy articles early in a backfill capped the rest of it, down
        # to transactions of one article (a back-pressured stream always keeps the queue fed).
        self._fits: int | None = None
        # Whole transactions at `_fits` before it doubles: doubled when a doubled length is refused (to at most
        # _FITS_GROW_AFTER_AT_MOST), so a stream that stays heavy tries a longer transaction ever more rarely.
        self._fits_grow_after = 1
        self._whole_at_fits = 0  # such transactions since `_fits` last changed
        self._fits_doubled = False  # `_fits` comes from a doubling no transaction has committed whole at yet
        self._committed_whole = False  # did the writer's last `_commit_running` commit all its jobs?
        self._refusals = Throttle(REFUSALS_LOGGED_EVERY)
        self._recoveries = Throttle(REFUSALS_LOGGED_EVERY)  # (lines saying the store accepts writes again)
        # The articles the streams hold undecided, told to the other servers of a shared store (none for SQLite).
        self.holds: Holds = holds_for(store)
        self._closed = False
        self._writer = threading.Thread(target=self._write_loop, name="neardup-writer", daemon=True)
        self._writer.start()

    # ---- index ---------------------------------------------------------------------------------

    def submit(self, prepared: PreparedArticle, evidence: bool = False, urgent: bool = False) -> Future[Verdict]:
        """Queue an article for check-and-insert; the future resolves once it is durable."""
        return self.submit_all([prepared], evidence, urgent)[0]

    def submit_all(
        self, prepared: Sequence[PreparedArticle], evidence: bool = False, urgent: bool = False
    ) -> list[Future[Verdict]]:
        """Queue articles to be decided in this order, in the writer's transactions of at most max_batch articles
        with those queued beside them: a call's articles may be split between two or more (`_split`), and more if the
        store finds one too long to hold, or an urgent job cuts one short (`_commit_running`).
        `urgent`: decided in a transaction of urgent jobs alone, before articles queued earlier, and once the
        transaction in progress has been cut short (`_cut_short`): a caller waiting for one answer, as
        `IndexArticle`'s, waited seconds behind the thousands of articles an ingest's streams keep queued, then
        seconds for the writer's transaction in progress. No order between concurrent calls is promised, and a
        stream's own articles keep theirs."""
        jobs = [_Job(p, evidence, Future(), urgent) for p in prepared]
        with self._closing:  # (queued before the stop, and decided at it, or refused: put after it, never answered)
            if self._closed:
                for job in jobs:
                    job.future.set_exception(_ShuttingDown(_SHUTTING_DOWN))
            elif urgent:
                self._urgent.put(jobs)
                self._queue.put(_WAKE)  # (a writer waiting for work wakes; a busy one finds the job at its next batch)
            else:
                self._queue.put(jobs)
        return [job.future for job in jobs]

    def index(
        self, prepared: PreparedArticle, evidence: bool = False, timeout: float | None = None, urgent: bool = False
    ) -> Verdict:
        return self.submit(prepared, evidence, urgent).result(timeout)

    def _write_loop(self) -> None:
        stop = False
        while not stop:
            jobs, stop = self._take(self._next_item())
            self._commit(jobs)
        while self._put_back:  # (a transaction cut short at the stop: the rest of what was taken is decided too)
            self._commit(self._take([])[0])

    def _next_item(self) -> list[_Job] | object:
        """The queue's next item; while jobs are put back (`_cut_short`, `_split`), no wait for one: an empty group.
        Nor is one taken while a transaction's worth of jobs are put back: each take pulled another group into
        `_put_back`, scanned again whole at the next (the writer's cost of a take grew with the queue). Urgent jobs
        and writes have queues of their own, taken at each `_take`/`_commit`."""
        if not self._put_back:
            return self._queue.get()
        if len(self._put_back) >= self._most():
            return []
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return []

    def _most(self) -> int:
        """The most articles besides the urgent jobs a transaction holds now: max_batch, or `_fits` under it."""
        return self.max_batch if self._fits is None else min(self.max_batch, self._fits)

    def _take(self, item: list[_Job] | object) -> tuple[list[_Job], bool]:
        """The urgent jobs queued now, then those put back (queued before anything still queued), then the others
        from `item` on, up to `_most` articles besides the urgent jobs (`_split`); and whether the writer stops
        after them."""
        most = self._most()
        jobs, stop = self._gather(item, most)
        return self._split(jobs, most), stop

    def _gather(self, item: list[_Job] | object, most: int) -> tuple[list[_Job], bool]:
        """`_take`'s jobs before `_split` cuts them at `most`: the urgent jobs, those put back, then queued groups,
        whole, from `item` on until there are `most` or the queue is empty."""
        jobs = self._urgent_jobs() + self._put_back
        self._put_back = []
        stop = False
        while True:
            if item is _WAKE or item is _STOP:
                # An urgent job is queued before its wake-up (`submit_all`): taking the urgent jobs after each
                # wake-up taken leaves none behind with no wake-up to come (nor at a stop).
                jobs[:0] = self._urgent_jobs()
                stop = item is _STOP
            else:
                jobs += cast(list[_Job], item)
            if stop or len(jobs) >= most:
                return jobs, stop
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return jobs, stop

    def _urgent_jobs(self) -> list[_Job]:
        return [job for urgent in drain(self._urgent, [], sys.maxsize) for job in urgent]

    def _split(self, jobs: list[_Job], most: int) -> list[_Job]:
        """The urgent jobs (always first: `_gather`; jobs put back are never urgent) and the first `most` others, in
        order; the others put back (`_gather` took those put back before), decided in the next transactions, one
        after another, as `_commit_running`'s halves are. A stream's request of 1,000 articles is one group: taken
        whole, it held a write transaction that long, whatever --max-batch said."""
        urgent = next((n for n, job in enumerate(jobs) if not job.urgent), len(jobs))
        if len(jobs) - urgent <= most:
            return jobs
        self._put_back = jobs[urgent + most :]
        return jobs[: urgent + most]

    def _commit(self, jobs: list[_Job]) -> None:
        """Make the writes waiting (`_in_writer`), then decide the jobs in order, commit, resolve their futures: the
        urgent ones in a transaction of their own (answered without waiting for the others' decisions), then the
        others in one transaction, or in a first part of one and those left undecided put back, if an urgent job or
        write cut it short (`_cut_short`)."""
        self._make_writes()
        jobs = [j for j in jobs if _still_wanted(j)]
        urgent = [j for j in jobs if j.urgent]
        if urgent:
            self._commit_running(urgent, cut_short=False)
        if others := [j for j in jobs if not j.urgent]:
            fits = self._fits
            self._put_back = self._commit_running(others, cut_short=True) + self._put_back
            if fits is not None and self._fits == fits and self._committed_whole and len(others) >= fits:
                self._fit_more()
        if self._caught_up():
            self._clear_fits()  # (the next burst may fit whole: a transaction as long as the queue is tried again)
        self._maintain()  # (also for no jobs: a purge asks for it so, `_ask_for_maintenance`)

    def _fit_more(self) -> None:
        """After a transaction committed whole at `_fits`: `_fits` doubled once `_fits_grow_after` such transactions
        came (up to max_batch, where it caps nothing but is kept, with its backoff, until the writer catches up:
        cleared there, the backoff was forgotten, and a store refusing 17 of 32 had a transaction refused every
        fourth, for ever). The heavy articles that were refused may be behind."""
        assert self._fits is not None
        self._fits_doubled = False
        self._whole_at_fits += 1
        if self._whole_at_fits >= self._fits_grow_after:
            self._fits, self._whole_at_fits, self._fits_doubled = min(self._fits * 2, self.max_batch), 0, True

    def _fit_less(self, refused: int) -> None:
        """After the store refused a transaction of `refused` jobs as too long: `_fits` at most half of it; a
        doubled `_fits` refused waits for twice as many whole transactions before doubling again."""
        if self._fits_doubled:
            self._fits_grow_after = min(self._fits_grow_after * 2, _FITS_GROW_AFTER_AT_MOST)
        half = refused // 2
        self._fits = half if self._fits is None else min(self._fits, half)
        self._whole_at_fits, self._fits_doubled = 0, False

    def _clear_fits(self) -> None:
        self._fits, self._fits_grow_after, self._whole_at_fits, self._fits_doubled = None, 1, 0, False

    def _caught_up(self) -> bool:
        """Has the writer decided all it was given: nothing put back, nothing queued?"""
        return not self._put_back and self._urgent.empty() and self._writes.empty() and self._queue.empty()

    def _in_writer(self, run: Callable[[], None], deadline: float | None = None, too_late: str = "") -> None:
        """Have the writer make a write (`run`, which opens its own transactions), ahead of its queue, and wait for
        it: the transaction in progress is cut short for it as for an urgent article (`_cut_short`). Raises what
        `run` raised. (Made in the caller's thread, a delete waited for the writer's transaction in progress to end
        for the store's lock: up to --max-batch articles, seconds. And for the next, and the next: the writer takes
        the lock again at once.) Not taken up by the writer by `deadline` (a `time.monotonic()` value), it is
        withdrawn and never made: DeadlineExceeded(`too_late`), told before the caller's own gRPC ends the call with
        a bare "Deadline Exceeded" (the servicer's deadline is the caller's less a margin). Taken up, it is waited
        for: a write of its own, ms."""
        write = _Write(run, Future())
        with self._closing:
            if self._closed:
                raise _ShuttingDown(_SHUTTING_DOWN)
            self._writes.put(write)
            self._queue.put(_WAKE)  # (a writer waiting for work wakes; a busy one makes it at its next batch)
        try:
            write.future.result(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        except FutureTimeout:
            if write.future.cancel():  # (not taken up: the writer passes it over, `_make_writes`)
                raise DeadlineExceeded(too_late) from None
            write.future.result()

    def _make_writes(self) -> None:
        """Make the writes queued (`_in_writer`), in order, each answered once made (or with what it raised)."""
        writes = drain(self._writes, [], sys.maxsize)
        for write in writes:
            if not write.future.set_running_or_notify_cancel():
                continue  # (withdrawn: its caller's deadline came first, `_in_writer`)
            try:
                write.run()
            except Exception as exc:  # (the caller's to hear: the writer goes on)
                write.future.set_exception(exc)
            else:
                write.future.set_result(None)
        if writes:
            self._writes_made = time.monotonic()

    def _commit_running(self, jobs: list[_Job], cut_short: bool) -> list[_Job]:
        """`_commit` for jobs already marked running, in one transaction; the jobs left undecided, in order, when
        `cut_short` and an urgent job waits (`_cut_short`: those decided are committed and answered).

        A batch the store refuses as too long to decide in one write (on Redis, over half the writer lease:
        a burst of copies of a story stored in thousands of copies) is decided again in halves, in the same
        order, each half in a write of its own: the answers are those the writer would have given had
        fewer articles been queued. Resending it whole would be refused again, and so would the next transactions,
        as long: they hold at most the half last tried (`_fits`), until whole transactions let it grow back."""
        self._new_in_batch = 0
        self._committed_whole = False
        try:
            with self.store.write() as tx:
                tx.prefetch([job.prepared for job in jobs])  # a remote store reads ahead
                outcomes = self._decide(tx, jobs, time.monotonic() if cut_short else None)
        except BatchTooLong as exc:
            if len(jobs) == 1:
                self._fail(jobs, _told(exc, _INDEX_MEANINGS))
                return []
            log.warning("a batch of %d articles was too long to decide in one write (%s): deciding it in halves",
                        len(jobs), exc)  # fmt: skip
            half = len(jobs) // 2
            self._fit_less(len(jobs))
            left = self._commit_running(jobs[:half], cut_short)
            return left + jobs[half:] if left else self._commit_running(jobs[half:], cut_short)
        except StoreDamaged as exc:  # (the store logged it, once)
            self._fail(jobs, exc)
            return []
        except (Unavailable, ResourceExhausted, IncompatibleIndex) as exc:  # the store said why, for the callers
            # (Mostly nothing of the batch is stored either. Redis waiting for its replicas fails after the
            # commit: the retry finds those articles stored and answers for them.)
            told = _told(exc, _INDEX_MEANINGS) if isinstance(exc, Unavailable | StoreFull) else exc
            self._log_refusal(len(jobs), told)
            self._fail(jobs, told)
            return []
        except Exception as exc:  # nothing of the batch is acknowledged: fail it, retryably
            log.exception("batch of %d articles not acknowledged", len(jobs))
            self._fail(jobs, Unavailable(f"the store failed to commit: {exc}"))
            return []
        self.stored_as_new += self._new_in_batch
        self._committed_whole = len(outcomes) == len(jobs)
        self._log_refusals_over()
        for job, outcome in zip(jobs, outcomes, strict=False):  # (committed: answered, and only these)
            if isinstance(outcome, Verdict):
                job.future.set_result(outcome)
            else:
                job.future.set_exception(outcome)
        return jobs[len(outcomes) :]

    def _log_refusal(self, articles: int, error: Exception) -> None:
        """A batch the store refused, said at ERROR unless one was said less than REFUSALS_LOGGED_EVERY ago (then
        counted, and said with the next line: `_log_refusals_over`, `_log_refusals_held`)."""
        unlogged = self._refusals.due(articles)
        if unlogged is not None:
            held = f"{unlogged} more articles refused since the last such line; " if unlogged else ""
            batch = "1 article" if articles == 1 else f"{articles} articles"
            log.error("batch of %s not acknowledged: %s (%sat most one such line a %.0f s)", batch, error, held,
                      REFUSALS_LOGGED_EVERY)  # fmt: skip

    def _log_refusals_over(self) -> None:
        """After a write the store accepted: the refusals held back since the last line said at once (at most one
        such line an interval, for a store that refuses and accepts by turns; else at the next). They were said
        only in the line of a refusal come 10 s after the last, another outage's, or never: a Redis out of memory
        for 8 s logged one batch of 256 articles, of 553 refused."""
        if self._refusals.unlogged and self._recoveries.due() is not None:
            unlogged = self._refusals.held(at_once=True)
            if unlogged:
                log.warning("batches not acknowledged: %d more articles refused since the last such line; the store "
                            "accepts writes again", unlogged)  # fmt: skip

    def _log_refusals_held(self, at_once: bool = False) -> None:
        """The refusals held back since the last line, said once the interval since it has passed (the store
        watch asks, every --store-check-seconds), or `at_once` (at the close): no write came after them to say
        them with, nor a refusal."""
        unlogged = self._refusals.held(at_once)
        if unlogged:
            log.error("batches not acknowledged: %d more articles refused since the last such line (at most one a "
                      "%.0f s)", unlogged, REFUSALS_LOGGED_EVERY)  # fmt: skip

    @staticmethod
    def _fail(jobs: list[_Job], error: Exception) -> None:
        for job in jobs:
            job.future.set_exception(error)

    def _maintain(self) -> None:
        try:
            self.store.maintain()
        except Exception:  # (the index stays correct without it, only slower to query: keep writing)
            log.exception("store maintenance failed")

    def _decide(self, tx: Transaction, jobs: list[_Job], began: float | None) -> list[_Outcome]:
        """Outcomes of the jobs, in order: new stories stored in runs, the rest decided in full, an article
        under an id refused as new (`_refused_as_new`) refused. Fewer, those of the first jobs, if an urgent job
        cuts the transaction short (`_cut_short`; `began`: when the transaction did, or None if it is not to be
        cut)."""
        if not self._screen_novel:
            verdicts: list[_Outcome] = []
            for job in jobs:
                if verdicts and self._cut_short(began):
                    break
                verdicts.append(self._refused_as_new(tx, job.prepared) or self._index_one(tx, job)[0])
            return verdicts
        size = _SCREENED_BESIDE_CHECKS if self._checks_flowing() else _SCREENED
        verdicts = []
        for at in range(0, len(jobs), size):
            if at and self._cut_short(began):
                break
            verdicts += self._decide_screened(tx, jobs[at : at + size], began)
            if len(verdicts) < min(at + size, len(jobs)):
                break  # (cut short inside the chunk)
        return verdicts

    def _cut_short(self, began: float | None) -> bool:
        """Does an urgent job or write wait, and has the transaction that `began` then decided long enough to end it
        after the decisions made (committing them, the undecided rest put back: `_commit_running`)? For a write, also
        only once _WRITES_CUT_AT_MOST_EVERY has passed since the writer last made writes."""
        if began is None:
            return False
        now = time.monotonic()
        if now - began < _URGENT_WAITS_AT_MOST:
            return False
        if not self._urgent.empty():
            return True
        return not self._writes.empty() and now - self._writes_made >= _WRITES_CUT_AT_MOST_EVERY

    def _decide_screened(self, tx: Transaction, jobs: list[_Job], began: float | None) -> list[_Outcome]:
        """`_decide` for one chunk, screened together: the outcomes of its first jobs if it is cut short (at
        least the first's). (An article refused there was screened too: the articles after it are only less
        likely to be found new, and are then decided in full, as an article matching it would be.)"""
        self._let_checks_in()
        prepared = [job.prepared for job in jobs]
        screen = novelty.screen(prepared, tx, self.detector, self._band_keys, self._keys_fit_store)
        verdicts: list[_Outcome] = []
        run: list[int] = []
        for n, job in enumerate(jobs):
            if n and self._cut_short(began):  # (the chunk's rest is screened again in the next transaction)
                break
            if refusal := self._refused_as_new(tx, job.prepared):
                verdicts += self._store_new(tx, screen, run)  # (answered in order: the run before it first)
                run = []
                verdicts.append(refusal)
                continue
            if screen.novel[n]:
                run.append(n)
                continue
            verdicts += self._store_new(tx, screen, run)
            run = []
            verdict, indexed = self._index_one(tx, job)
            verdicts.append(verdict)
            signature = indexed.fingerprint.signature
            if not np.array_equal(signature, screen.indexed[n].fingerprint.signature):
                screen.exclude(n, self._band_keys.of(signature))  # indexed under other bands than screened
        verdicts += self._store_new(tx, screen, run)
        return verdicts

    def _store_new(self, tx: Transaction, screen: novelty.Screen, run: list[int]) -> list[Verdict]:
        """Store a run of new stories: what `_index_one` does for articles that match nothing."""
        if not run:
            return []
        self._let_checks_in()
        articles = [screen.indexed[n] for n in run]
        tx.insert_new(articles, datetime.now(UTC), screen.store_keys(run))
        for prepared in articles:
            self.detector.remember(prepared)
        # An article that matched nothing adds a group to all its samples (Detector.group_samples).
        tx.count_groups_each([screen.samples[n] for n in run])
        self._new_in_batch += len(run)
        return [Verdict(p.article.id, outcome=IndexOutcome.NEW) for p in articles]

    def refusal_of_new_id(self, prepared: PreparedArticle) -> InvalidArgument | None:
        """`_refused_as_new`, read before the article is queued (a read, beside the writes), for a caller waiting for
        its one answer: queued, a refused id waited for the writer, urgent, and cut its transaction short, only to
        be answered UNAVAILABLE or DEADLINE_EXCEEDED (retried) instead if the store refused the write, the server
        stopped or the deadline was short. (The writer checks again: the id may be deleted meanwhile.)"""
        if prepared.new_id_refusal is None:
            return None
        with self.store.read() as tx:
            return self._refused_as_new(tx, prepared)

    @staticmethod
    def _refused_as_new(tx: Transaction, prepared: PreparedArticle) -> InvalidArgument | None:
        """The refusal of an article whose id may not name a new article (PreparedArticle.new_id_refusal) when
        no article has that id; None when it may be stored: its id is accepted, or already stored (an article
        stored before the rule that refuses it: its re-send answers UNCHANGED, its correction REPLACED, as
        before the rule)."""
        refusal = prepared.new_id_refusal
        if refusal is None or tx.get(prepared.article.id) is not None:
            return None
        return InvalidArgument("article.id", refusal)

    def _index_one(self, tx: Transaction, job: _Job) -> tuple[Verdict, PreparedArticle]:
        """The verdict, and the article as stored (its signature without learned boilerplate)."""
        self._let_checks_in()
        article = job.prepared.article
        existing = tx.get(article.id)
        if existing and _same_version(existing, job.prepared):
            # Same id, same text and description: a retry or a re-send. Store nothing; answer as a check would.
            matches, _, _, _ = self._matches(tx, job.prepared, job.evidence)
            return Verdict(article.id, tuple(matches), existing.duplicate_of, IndexOutcome.UNCHANGED), job.prepared
        story = _story_of(tx, existing) if existing else None  # (read before the old version goes)
        if existing:  # same id, new text or description (a corrected title, date): the new version replaces the old
            self._remove(tx, existing, story)
        reads = _ReadOnce(tx)  # (the decision's reads: nothing is written until the regroup)
        matches, indexed, candidates, boilerplate = self._matches(reads, job.prepared, job.evidence)
        roots = self._roots_of(reads, job.prepared, matches, candidates, boilerplate)
        arrival = _kept_arrival(existing, story, roots)
        root = self._root_for(reads, job.prepared, roots, arrival)
        tx.regroup(roots, root)
        tx.insert(indexed, datetime.now(UTC), root, arrival)
        self.detector.remember(indexed)
        if not existing:
            self._count_groups(tx, indexed, matches, candidates)
        outcome = IndexOutcome.REPLACED if existing else IndexOutcome.NEW
        return Verdict(article.id, tuple(matches), None if root == article.id else root, outcome), indexed

    def _count_groups(
        self, tx: Transaction, indexed: PreparedArticle, matches: list[Match], candidates: dict[str, U32Array]
    ) -> None:
        """Learned boilerplate counts groups: count what the article's group did not hold yet.

        Only an id's first version counts. Versions that replace it (a revision, a correction, or another
        story under a reused id) count nothing: what a version adds cannot be told from what an earlier one,
        replaced since, counted already. Counting what each version added to the one it replaced counted a
        story's revisions again every time a file holding two versions of it was sent again, and after
        three such runs its own text was boilerplate and its copies matched nothing."""
        weak = self._stored_articles(tx, self.detector.weak_matches(matches)) if indexed.article.source else None
        tx.count_groups(self.detector.group_samples(indexed, matches, candidates, weak))

    # ---- queries -------------------------------------------------------------------------------

    def check_article(
        self,
        article: Article,
        evidence: bool = False,
        deadline: float | None = None,
        wanted: Callable[[], bool] | None = None,
    ) -> Verdict:
        """Fingerprint `article` and check it, with at most `check_lanes` such calls at once. A check that
        reaches its lane after `deadline` (a `time.monotonic()` value), or when `wanted()` answers False
        (its caller cancelled it: a hedged request whose twin was answered first, a pipeline shutting
        down), is not made: its caller has given up, and making it would only delay the checks queued
        behind it.

        Why a limit: four checks side by side in one process spent about twice the CPU each that they
        spent one at a time, and took longer in all (docs/perf.md, "Checks one at a time"). The likely
        cause is the GIL: a check is many short numpy and SQLite calls, each letting it go and taking it
        back, so checks side by side hand it to and fro.

        The lane is taken inside the read, not before it: checks kept out while the store is held alone
        (a band-index merge's swap) then all get in when it is let go, and take turns there. Queued
        before the read, they would reach the store one by one."""
        arrived = time.monotonic()
        with self._checking(), self.store.read() as tx, self._check_lanes:
            if deadline is not None and time.monotonic() >= deadline:
                raise DeadlineExceeded(_LATE_CHECK if arrived < deadline else _SPENT_CHECK)
            if wanted is not None and not wanted():
                raise Cancelled("the call was cancelled while the check waited for its turn, so it was not made")
            return self._check_in(tx, self.detector.prepare(article), evidence)

    @contextmanager
    def _checking(self) -> Iterator[None]:
        with self._checks_lock:
            self._checks += 1
        try:
            yield
        finally:
            with self._checks_lock:
                self._checks -= 1
                self._last_check_ended = time.monotonic()

    def _checks_flowing(self) -> bool:
        """Is a check in progress, or did one end less than _CHECKS_FLOWING ago? A check also waits for
        the GIL before check_article and after it (gRPC handing it in and out), where the writer cannot
        see it."""
        # (read without the lock: a stale answer costs or saves one step's chance)
        return bool(self._checks) or time.monotonic() - self._last_check_ended < _CHECKS_FLOWING

    def _let_checks_in(self) -> None:
        """Before each of the writer's steps: let go of the GIL while checks come in (service/gil.py).
        Not otherwise: an ingest alone would slow by ≈10 %, the other threads of the ingest taking the
        GIL in turn there and the writer, its serial stage, waiting for them."""
        if self._checks_flowing():
            let_others_run()

    def check(self, prepared: PreparedArticle, evidence: bool = False) -> Verdict:
        """The verdict the article would get if indexed now; stores nothing."""
        with self.store.read() as tx:
            return self._check_in(tx, prepared, evidence)

    def _check_in(self, tx: Transaction, prepared: PreparedArticle, evidence: bool) -> Verdict:
        matches, _, candidates, boilerplate = self._matches(tx, prepared, evidence)
        existing = tx.get(prepared.article.id)
        if existing and _same_version(existing, prepared):  # (indexed, it would be UNCHANGED)
            return Verdict(prepared.article.id, tuple(matches), existing.duplicate_of)
        story = None
        if existing:  # a new version: indexed, its old one is removed first, handing on a group it was the original of
            story = _story_of(tx, existing)
        handed_on = (existing.article.id, story) if existing else None
        roots = self._roots_of(tx, prepared, matches, candidates, boilerplate, handed_on)
        root = self._root_for(tx, prepared, roots, _kept_arrival(existing, story, roots))
        return Verdict(prepared.article.id, tuple(matches), None if root == prepared.article.id else root)

    def get(self, article_id: str) -> StoredArticle:
        with self.store.read() as tx:
            return _stored(tx, article_id)

    def group_members(self, article_id: str, page_size: int = 0, page_token: str = "") -> GroupPage:
        """A page of the group `article_id` belongs to, in the group's order: the original first.
        `page_token`: the previous page's `next_page_token` (service/paging.py)."""
        size = paging.page_size(page_size)
        after = paging.key_from(page_token, article_id)
        for _ in range(_GROUP_READS):
            with self.store.read() as tx:
                stored = _stored(tx, article_id)
                total, members = tx.group_page(stored.group_root, after, size + 1)  # (one more: a next page?)
            if after is not None or _whole_first_page(article_id, size, total, members):
                break
        shown = _fitting(members[:size], PAGE_BYTES)
        token = ""
        if len(members) > len(shown):  # (so this page is full)
            last = shown[-1]
            token = paging.token_after(article_id, order_key(_us(last.published), last.arrival))
        return GroupPage(stored.group_root, total, shown, token)

    def delete(self, article_id: str, deadline: float | None = None, wanted: Callable[[], bool] | None = None) -> None:
        """Delete a stored article (NotFound if there is none), in a write of its own made by the writer ahead of
        what it has queued (`_in_writer`): it waits for at most ≈20-100 ms of the transaction in progress
        (`_cut_short`). Past `deadline` (a `time.monotonic()` value), or once `wanted()` answers False, when the
        writer takes it up, it is not made (DeadlineExceeded, Cancelled), as `delete_all`'s writes are not."""

        def write() -> None:
            if deadline is not None and time.monotonic() >= deadline:
                raise DeadlineExceeded(too_late)
            if wanted is not None and not wanted():
                raise Cancelled("the call was cancelled while the delete waited for the writer: the article was not "
                                "deleted")  # fmt: skip
            self._delete_one(article_id)

        too_late = ("the deadline passed while the delete waited for the writer, so the article was not deleted: send "
                    "the delete again with a longer deadline")  # fmt: skip
        try:
            self._in_writer(write, deadline, too_late)
        except _ShuttingDown as exc:
            raise _told(exc, _DELETE_MEANINGS) from exc

    def _delete_one(self, article_id: str) -> None:
        """`delete`'s write (the writer's thread; its maintenance follows, as after every batch: `_commit`)."""
        try:
            with self.store.write() as tx:
                stored = _stored(tx, article_id)
                self._remove(tx, stored, _story_of(tx, stored))
        except (Unavailable, StoreFull) as exc:
            raise _told(exc, _DELETE_MEANINGS) from exc

    def delete_all(
        self, article_ids: Sequence[str], deadline: float | None = None, wanted: Callable[[], bool] | None = None
    ) -> list[bool]:
        """Delete those of the articles that are stored, _DELETED_A_WRITE a write (a commit each, where
        `delete` commits each article); for each id in order, whether this call removed it: an id named again
        is False after its first naming, as it was no longer stored when the repeat came (True twice read as
        two articles deleted). If a write fails, those before it have deleted their articles.
        Past `deadline` (a `time.monotonic()` value), or once `wanted()` answers False, no further write is
        begun: no one is left to read the answer. At most _URGENT_DELETES_AT_MOST distinct ids, one write, are
        deleted by the writer ahead of its queue, as `delete` is; more, in writes of the caller's thread."""
        if len(article_ids) > MAX_DELETED_AT_ONCE:
            raise InvalidArgument("ids", f"names {len(article_ids):,} articles, over the {MAX_DELETED_AT_ONCE:,} one "
                                  "call may delete: send them in several calls")  # fmt: skip
        distinct = list(dict.fromkeys(article_ids))
        deleted: set[str] = set()
        dealt: list[str] = []  # the ids whose writes committed
        urgent = len(distinct) <= _URGENT_DELETES_AT_MOST

        def write(at: int) -> None:
            _require_wanted(at, len(distinct), deadline, wanted)  # (urgent: once the writer takes it up)
            self._delete_stored(distinct[at : at + _DELETED_A_WRITE], deleted, dealt)

        try:
            for at in range(0, len(distinct), _DELETED_A_WRITE):
                if urgent:  # (withdrawn, a write deletes none: those before it have deleted theirs)
                    too_late = _given_up_before(len(dealt), len(distinct))
                    self._in_writer(functools.partial(write, at), deadline, too_late)
                else:
                    write(at)
        except (Unavailable, StoreFull) as exc:
            told = _told(exc, _purge_cut(len(dealt), len(distinct)))
            # (Said as a failed index batch is: a purge cut short leaves the index part purged. Not a takedown
            # refused before its write as the server stops: a normal stop, said once by `close`.)
            if isinstance(exc, _ShuttingDown) and not dealt:
                log.info("a delete of %d articles was refused: %s", len(distinct), told)
            else:
                log.error("a delete of %d articles was cut short after %d: %s", len(distinct), len(dealt), told)
            raise told from exc
        finally:
            if not urgent:  # (the writer's own writes are followed by it: `_commit`)
                self._ask_for_maintenance()
        return _first_namings_of(article_ids, deleted)

    def _delete_stored(self, article_ids: list[str], deleted: set[str], dealt: list[str]) -> None:
        """`delete_all`'s write of distinct ids: once committed, those that were stored are added to `deleted`, and
        all to `dealt`. If one write is too long for the store (`_commit_running`), in halves, each a write of its
        own."""
        found: set[str] = set()
        try:
            with self.store.write() as tx:
                orphaned: list[str] = []  # groups whose original went, given their new one after all the deletes
                for article_id in article_ids:
                    stored = tx.get(article_id)
                    if stored is not None:
                        tx.delete(article_id)
                        found.add(article_id)
                        if stored.group_root == article_id:
                            orphaned.append(article_id)
                # Once per group, not once per original deleted: handing a group on rewrites every member, and a
                # purge of a story's copies in publication order handed a group of thousands on at each id.
                for root in orphaned:
                    _hand_on(tx, root)
        except BatchTooLong as exc:
            if len(article_ids) == 1:
                raise
            log.warning("a delete of %d articles was too long for one write (%s): deleting them in halves",
                        len(article_ids), exc)  # fmt: skip
            half = len(article_ids) // 2
            self._delete_stored(article_ids[:half], deleted, dealt)
            self._delete_stored(article_ids[half:], deleted, dealt)
            return
        deleted |= found
        dealt += article_ids

    def _ask_for_maintenance(self) -> None:
        """The store's maintenance (a merge that drops removed articles, a save) runs in the writer's thread,
        between its writes: an empty batch asks for it there, so that a purge alone is followed by it too."""
        self._queue.put([])

    def stats(self) -> Stats:
        with self.store.read() as tx:
            count = tx.count()
        p = self.detector.params
        params: dict[str, float | int | str] = {**p.recorded(), **p.decisions()}
        return Stats(count, self.store.kind, params)

    def check_store(self) -> None:
        """Raise Unavailable if the store does not answer (health asks this again and again)."""
        try:
            self.store.check()
        finally:
            self._log_refusals_held()  # (asked again and again: a count held back is said within an interval)

    def learned_boilerplate(self) -> int | None:
        """Sampled shingles that currently count as boilerplate (None: the store cannot tell cheaply)."""
        with self.store.read() as tx:
            return tx.learned_boilerplate(self.detector.params.boilerplate_after)

    def uptime(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        """Finish queued work, stop the writer, close the store; say so (the last line of a clean stop)."""
        if not self._closed:
            started = time.perf_counter()
            with self._closing:  # (a write queued before this is made at the stop: `_in_writer`)
                self._closed = True
                self._queue.put(_STOP)
            waits.joined(self._writer)  # (in slices: service/waits.py)
            self._log_refusals_held(at_once=True)
            self.holds.close()  # (let go before the store closes: held, the ids would block the others a minute)
            self.store.close()
            log.info("stopped: the writes queued were finished and the store closed in %.1f s",
                     time.perf_counter() - started)  # fmt: skip

    # ---- decisions -----------------------------------------------------------------------------

    def _matches(
        self, tx: DecisionReads, prepared: PreparedArticle, evidence: bool
    ) -> tuple[list[Match], PreparedArticle, dict[str, U32Array], U32Array]:
        """Verified matches; the article as it should be indexed; the candidates' shingle sets; the article's
        operator and learned boilerplate (its shingles)."""
        min_groups = self.detector.params.boilerplate_after

        def common(hashes: U32Array) -> U32Array:
            return tx.common_shingles(hashes, min_groups)

        labelled = self.detector.labels(prepared, common)
        indexed = self.detector.indexed_form(prepared, labelled)
        # A few times more than are verified, ranked by the index; the shortlist ranks these by content.
        ids = tx.candidates(indexed.fingerprint.signature, self.detector.params.candidate_limit())
        ids.discard(prepared.article.id)
        if not ids:
            return [], indexed, {}, labelled.boilerplate
        candidates = tx.shingles(ids)

        def articles(wanted: list[str]) -> dict[str, Article]:
            return {i: s.article for i in wanted if (s := tx.get(i)) is not None}

        matches = self.detector.judge(
            prepared, candidates, articles, common=common, evidence=evidence, labelled=labelled
        )
        return matches, indexed, candidates, labelled.boilerplate

    @staticmethod
    def _stored_articles(tx: Transaction, ids: list[str]) -> dict[str, Article]:
        """Stored articles as sent (read for weak matches only: rare, and a row each)."""
        stored = (tx.get(i) for i in ids)
        return {s.article.id: s.article for s in stored if s is not None}

    def _roots_of(
        self,
        tx: DecisionReads,
        prepared: PreparedArticle,
        matches: list[Match],
        candidates: dict[str, U32Array],
        boilerplate: U32Array,
        handed_on: tuple[str, str | None] | None = None,
    ) -> set[str]:
        """The groups an article with these matches joins (service/stories.py): its strongest match's, and those
        that are one story with it, judged by the content shingles the article shares (without its `boilerplate`,
        `_matches`') with each match (its shingles: `candidates`) and with the match's group's original, and by
        the originals' publication times. (Every group matched, merged, made one story for good of two that a
        roundup or a long report held both of.)
        `handed_on`: a check's (`_check_in`) article removed first and the member its group goes to (`_remove`),
        as the index would see it."""
        matched: list[tuple[Match, str]] = []
        for m in matches:
            stored = tx.get(m.id)
            if stored is None:
                continue
            root = stored.group_root
            if handed_on is not None and root == handed_on[0]:
                if handed_on[1] is None:
                    continue
                root = handed_on[1]
            matched.append((m, root))
        roots = {root for _, root in matched}
        if len(roots) <= 1:
            return roots
        # (only now: most articles match one group at most, and the difference costs ~30 µs)
        shingles = prepared.fingerprint.shingles
        content = difference(shingles, boilerplate) if boilerplate.size else shingles
        content = content if content.size else shingles
        originals = {root: tx.get(root) for root in roots}
        shared = []
        for m, root in matched:
            original = originals[root]
            if original is None or m.id not in candidates:  # (neither can be: read in this transaction)
                shared.append((root, content[:0]))
                continue
            shared.append((root, intersection(intersection(content, candidates[m.id]), original.fingerprint.shingles)))
        earlier_than = {root for root, o in originals.items() if _published_before(prepared, o)}
        return story_roots(shared, earlier_than, self.detector.params.min_shared_shingles)

    def _root_for(self, tx: DecisionReads, prepared: PreparedArticle, roots: set[str], arrival: int | None) -> str:
        """The earliest-published article among the new one and the groups it joins. `arrival`: a new version's,
        its id's first (`Transaction.insert`): it keeps that place among equal publication times, so a wire
        service's correction of its own story stays the original of its copies; None for a new id, which
        arrives last among equals."""
        a = prepared.article
        best_id, best_key = a.id, order_key(_us(a.published), 1 << 62 if arrival is None else arrival)
        for root in roots:
            stored = tx.get(root)
            if stored is None:
                continue
            key = order_key(_us(stored.article.published), stored.arrival)
            if key < best_key:
                best_id, best_key = root, key
        return best_id

    def _remove(self, tx: Transaction, stored: StoredArticle, story: str | None) -> None:
        """Delete an article; if it was its group's original, the next earliest takes over (`story`: `_story_of`
        the article, read before)."""
        aid = stored.article.id
        tx.delete(aid)
        if stored.group_root == aid and story is not None:
            tx.regroup([aid], story)


class _ReadOnce:
    """A transaction's reads (`storage.DecisionReads`) whose `get` reads each id once: for a decision's reads, between
    two of its writes. The candidates whose text is judged (`_matches`), then the matches' groups (`_roots_of`), then
    the groups' originals (`_root_for`) are mostly the same few articles, each read whole (body, shingles) by `get`.
    It has no write methods: a write through it would leave its rows stale, so it is an AttributeError."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._read: dict[str, StoredArticle | None] = {}

    def get(self, article_id: str) -> StoredArticle | None:
        try:
            return self._read[article_id]
        except KeyError:
            stored = self._read[article_id] = self._tx.get(article_id)
            return stored

    def candidates(self, signature: U32Array, limit: int | None = None) -> set[str]:
        return self._tx.candidates(signature, limit)

    def shingles(self, ids: Iterable[str]) -> dict[str, U32Array]:
        return self._tx.shingles(ids)

    def common_shingles(self, hashes: U32Array, min_groups: int) -> U32Array:
        return self._tx.common_shingles(hashes, min_groups)


@dataclass(frozen=True)
class _Meanings:
    """What a write the store refused means for the call, by what the store says of the write (`_told`): it
    changed nothing (`unchanged`, and `again`: what sending the call again does, unless only an operator can
    mend the refusal); its commit went unanswered, or the store ran out of room during it (`unsure`); it is on
    the Redis primary, not confirmed by Redis replicas (`unconfirmed`)."""

    unchanged: str
    again: str
    unsure: str
    unconfirmed: str


_INDEX_MEANINGS = _Meanings(
    "nothing of the batch was stored",
    "send the articles again",
    "the articles may or may not be stored; send them again (an identical article sent again is not stored twice)",
    "the articles are stored there: retry, to wait for the replicas again (nothing is stored twice)",
)
_DELETE_MEANINGS = _Meanings(
    "the article was not deleted",
    "send the delete again",
    "the article may or may not be deleted: sent again, the delete answers NOT_FOUND if it was",
    "the article is deleted there: retried, the delete answers NOT_FOUND",
)


_SHUTTING_DOWN = "the server is shutting down; retry on another replica"


class _ShuttingDown(Unavailable):
    """A write or job refused because the engine is closing (`_closing`): nothing of it was done."""


_Refusal = TypeVar("_Refusal", bound=Unavailable | StoreFull)


def _told(exc: _Refusal, meanings: _Meanings) -> _Refusal:
    """The store's refusal of a write, with what it means for the call (the store cannot tell what the write was
    for): the store's message, then the meaning of what it said of the write. A refusal only an operator can
    mend (NeedsOperator) says what was not done, and not to send the call again: its message says what to do.
    A full store (StoreFull) says what is full and what an operator does; then what the call sent again does
    (once there is room), as after a refusal a retry may mend. One that may have done part of the write, and only
    an operator can mend (an ACL refusal inside a Redis script: AclCutScript), says the call may or may not be
    done, and to send it again only once that is mended."""
    if isinstance(exc, CommitUnanswered) and isinstance(exc, NeedsOperator):
        meaning = (
            f"{meanings.unsure}, but only once the operator has done as this says (sent before, it is refused again)"
        )
    elif isinstance(exc, CommitUnanswered | FullMidCommit):
        meaning = meanings.unsure
    elif isinstance(exc, ReplicasBehind):
        meaning = meanings.unconfirmed
    elif isinstance(exc, NeedsOperator):
        meaning = meanings.unchanged
    else:
        meaning = f"{meanings.unchanged}: {meanings.again}"
    return type(exc)(f"{exc}: {meaning}")


def _still_wanted(job: _Job) -> bool:
    """Is the job to be decided: marked running now, or already (put back by a transaction cut short)? A job whose
    caller withdrew it before the writer took it is not (`IndexArticle` past its deadline)."""
    return job.future.running() or job.future.set_running_or_notify_cancel()


def _purge_cut(done: int, named: int) -> _Meanings:
    """`_told`'s meanings for a `delete_all` whose write failed after `done` of its `named` distinct ids were dealt
    with: each says which ids may be deleted, and what the call sent again answers."""
    if done:
        before = f"{done:,} of the {named:,} distinct ids named were dealt with before it (those stored are deleted)"
    else:
        before = "it was the call's first write"
    again = "the call answers NOT_FOUND for every id deleted and deletes the rest"
    return _Meanings(
        f"{before}; the rest were not deleted" if done else "none of the ids named was deleted",
        f"sent again, {again}" if done else "send the call again",
        f"{before}; its own ids (up to {_DELETED_A_WRITE}) may or may not be deleted, the rest were not: sent again, "
        f"{again}",
        f"{before}; its own ids (up to {_DELETED_A_WRITE}) are deleted there, the rest were not: retried, {again}",
    )


def _first_namings_of(article_ids: Sequence[str], deleted: set[str]) -> list[bool]:
    """For each of `article_ids` in order, whether it is the first naming of a deleted id."""
    answered: set[str] = set()
    out = []
    for article_id in article_ids:
        out.append(article_id in deleted and article_id not in answered)
        answered.add(article_id)
    return out


def _require_wanted(done: int, named: int, deadline: float | None, wanted: Callable[[], bool] | None) -> None:
    """Before a write of `delete_all`: DeadlineExceeded or Cancelled if its caller has given up. Each says
    whether earlier writes deleted some ids (then sent again, those are answered DELETE_OUTCOME_NOT_FOUND)."""
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded(_given_up_before(done, named))
    if wanted is not None and not wanted():
        raise Cancelled(f"the call was cancelled {_where_it_stopped(done, named)}")


def _given_up_before(done: int, named: int) -> str:
    """A purge's DeadlineExceeded message, its deadline passed after `done` of the `named` distinct ids."""
    again = " (the articles it deleted are then answered NOT_FOUND)" if done else ""
    return f"the deadline passed {_where_it_stopped(done, named)}: send the call again with a longer deadline{again}"


def _where_it_stopped(done: int, named: int) -> str:
    if done:
        return f"after {done:,} of the {named:,} distinct ids named were dealt with; the rest were not deleted"
    return "before any id named was deleted, so none was"


def _hand_on(tx: Transaction, root: str) -> None:
    """The group of `root`, a deleted original, to its next earliest member, if it has one left."""
    successor = tx.earliest_member(root, excluding=root)
    if successor:
        tx.regroup([root], successor)


def _story_of(tx: Transaction, stored: StoredArticle) -> str | None:
    """The group `stored` is in, as it will be once `stored` is removed: its original, or the member taking the
    group on from it (`_hand_on`); None if it is alone."""
    if stored.group_root != stored.article.id:
        return stored.group_root
    return tx.earliest_member(stored.article.id, excluding=stored.article.id)


def _kept_arrival(existing: StoredArticle | None, story: str | None, roots: set[str]) -> int | None:
    """A new version's place among equal publication times (`_root_for`): its id's first arrival when it stays in
    the story its old version was in (`story`, among the groups it joins: a correction, an update), so a wire
    service's correction of its own story stays the original; None, a new arrival, when it is another story (a
    stub updated with a wire story, a reused id), which must not take the place of that story's earlier members."""
    if existing is None or story is None or story not in roots:
        return None
    return existing.arrival


def _published_before(prepared: PreparedArticle, root: StoredArticle | None) -> bool:
    """Is the article published before the original `root` of a group it matches (both times known)?"""
    published = prepared.article.published
    if root is None or published is None or root.article.published is None:
        return False
    return published < root.article.published


def _same_version(stored: StoredArticle, prepared: PreparedArticle) -> bool:
    """Is `prepared` what is stored under its id: the same text, title, source, url and publication time?"""
    a, b = stored.article, prepared.article
    return stored.fingerprint.body_digest == prepared.fingerprint.body_digest and (
        (a.title, a.source, a.url, _us(a.published)) == (b.title, b.source, b.url, _us(b.published))
    )


def _whole_first_page(article_id: str, size: int, total: int, members: list[GroupMember]) -> bool:
    """Does a group's first page hold what its size says, and (when the group fits) the article asked for?
    A store whose read is not one snapshot (Redis: the record, the group's size and its members are read
    in turns) can read a group as it changes (an earlier copy indexed, then deleted, moves it away and
    back) and see it empty, short, or without that article."""
    if len(members) != min(total, size + 1):
        return False
    return total > size or any(m.id == article_id for m in members)


def _stored(tx: Transaction, article_id: str) -> StoredArticle:
    """The stored article, or NotFound."""
    stored = tx.get(article_id)
    if stored is None:
        raise NotFound(f"no article with id {article_id!r} is stored")
    return stored


def _us(moment: datetime | None) -> int | None:
    return None if moment is None else to_us(moment)


def _fitting(members: Sequence[GroupMember], budget: int) -> tuple[GroupMember, ...]:
    """The members, from the first, whose ids, titles, sources and urls fit `budget` bytes (the first always)."""
    used = 0
    for n, member in enumerate(members):
        used += sum(len(text.encode()) for text in (member.id, member.title, member.source, member.url))
        if used > budget and n > 0:
            return tuple(members[:n])
    return tuple(members)
