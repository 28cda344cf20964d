"""`neardup-bench`: load-test a running neardup server over gRPC, as an ingest pipeline would.

Modes: `unary` (IndexArticle), `stream` (IndexArticles), `batch` (IndexArticleBatches,
`--batch` articles per message), `check` (CheckArticle), `mix` (unary index and check
calls in a chosen share). Every run is bounded by --count or
--duration (or both), targets loopback only, and stops by itself. At the end: a table,
a JSON report, a PNG plot. `--compare` also times the calls answered OK in-process through
neardup's detection core and through the plain datasketch recipe, each as the server was asked (a check
queries and stores nothing; --preload's articles are indexed before the clock), before the load too with
--count but in mix mode (the recipe's rate is then the mean of the runs on either side), and prints ratios.

    neardup-bench --spawn --mode stream --count 20000 --concurrency 2 --compare
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import grpc
import numpy as np
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks import baseline, corpus, outputs, plots
from benchmarks.plots import pyplot
from client.api import (
    MAX_BATCH_ARTICLES,
    Article,
    article_batches,
    bearer_metadata,
    naming_a_tls_server,
    open_channel,
    read_token_file,
    with_default_port,
)
from client.cli import whole_number
from client.cli_connection import (
    CLI_REMEDIES,
    CONNECTION_VARIABLES,
    add_connection_flags,
    cannot_talk_hint,
    settle_tls,
    unpaired,
    unreadable_file,
)
from client.errors import TLS_SAID, NeardupClientError, StreamEndedEarlyError, article_error, from_rpc_error
from client.resume import Retry, Unanswered
from service.proc import cpu_seconds

MODES = ("unary", "stream", "batch", "check", "mix")
Metadata = tuple[tuple[str, str], ...]  # sent with every call: the bearer token, when there is one
# What its outputs are known by (a report by keys only its reports hold), to write over its own alone.
REPORT = outputs.json_object("latency_ms", "latency_ms_by_kind", "throughput", "target_rate")
PLOT_MARK = "benchmarks.loadtest"
DEFAULT_REPUBLISHED = 0.15  # share of republications among generated articles
GENERATED_CAP = 10_000_000  # the most articles an unpaced --duration run makes (each id once)
INTERRUPTED = 130  # the exit code of a run Ctrl-C stopped, as a shell gives a command SIGINT ended (128 + 2)
# Articles one stream may have sent and not had answered, unless --window says: enough for the server to
# have the next ones to hand, few enough that an article's latency is its time in the server, not in a
# queue. Measured on 2 cores (2 streams, 500 and 2,000 articles): 32 in stream mode and 2 batches in batch
# mode kept the throughput of an unbounded stream (gRPC then let ~1,000 articles of a stream in flight,
# and p50 grew from ~2 s to ~5.5 s with --count), at a p50 of ~0.1-0.2 s that did not grow with it.
STREAM_MODE_WINDOW = 32
NEVER_REOPEN = Retry(attempts=0)  # --retries 0: a stream that fails ends its sender
# Seconds a --duration run waits past its end for the answers to the articles in flight: then it ends, the rest
# counted UNANSWERED. Without it, a server that stalled (SIGSTOP) held the run until --timeout (600 s) or keepalive
# failed the streams, which were then opened again with the full backoff: a --duration 5 run ended after 99 s.
DURATION_GRACE = 10.0
UNANSWERED = "UNANSWERED"  # the status of an article in flight whose answer did not come within the grace


def default_window(mode: str, batch: int) -> int:
    return 2 * batch if mode == "batch" else STREAM_MODE_WINDOW


console = Console(stderr=True)
out = Console(width=160)


# ---- what to send ------------------------------------------------------------------------------


class Articles(Protocol):
    """What a run sends: a list, or GeneratedArticles made as the run goes."""

    def __len__(self) -> int: ...

    def __getitem__(self, n: int, /) -> Article: ...


class GeneratedArticles:
    """Generated articles for a --duration run, made as it goes by a thread of their own, at most LEAD ahead of
    the senders (the first LEAD before the clock starts): made up front, a 3-second run spent 34 s and 470 MB
    making 50,000 articles it never sent. Each article is handed out once (Feed), so it is let go once taken
    (--compare times those answered OK, which the run's Record keeps)."""

    LEAD = 2_000

    def __init__(self, generator: corpus.ArticleGenerator, first: int, cap: int) -> None:
        self._generator, self._first, self._cap = generator, first, cap
        self._made: dict[int, Article] = {}
        self._next = 0  # the next article to make
        self._asked = 0  # one past the furthest article asked for
        self._room = threading.Condition()
        self._stopped = False
        self.cpu_seconds = 0.0  # the maker thread's: this client's CPU for sending leaves it out
        for _ in range(min(self.LEAD, cap)):
            self._make_next()
        self._maker = threading.Thread(target=self._make, daemon=True, name="article-maker")
        self._maker.start()

    def _make_next(self) -> None:
        article = self._generator.make(self._first + self._next)  # (one thread at a time: this, then the maker)
        with self._room:
            self._made[self._next] = article
            self._next += 1
            self._room.notify_all()

    def _make(self) -> None:
        started = time.thread_time()
        while True:
            with self._room:
                self._room.wait_for(lambda: self._stopped or self._next < min(self._cap, self._asked + self.LEAD))
                if self._stopped:
                    return
            self._make_next()
            self.cpu_seconds = time.thread_time() - started

    @property
    def made(self) -> int:
        return self._next

    def __len__(self) -> int:
        return self._cap

    def __getitem__(self, n: int, /) -> Article:
        with self._room:
            self._asked = max(self._asked, n + 1)
            self._room.notify_all()
            self._room.wait_for(lambda: n in self._made or self._stopped)
            if n not in self._made:
                raise IndexError(f"article {n} was not made: the maker stopped")
            return self._made.pop(n)

    def close(self) -> None:
        with self._room:
            self._stopped = True
            self._room.notify_all()
        self._maker.join()


class Feed:
    """Hands out articles to the senders, at most `count`, until `deadline`, paced to `rate`/s; each article
    once: a run that has sent them all ends (it used to send them again under new ids, and --compare then
    timed fewer articles than the load had sent)."""

    def __init__(self, articles: Articles, count: int | None, duration: float | None, rate: float | None,
                 grace: float = DURATION_GRACE) -> None:  # fmt: skip
        self.articles = articles
        self.limit = count if count is not None else (len(articles) if duration is None else None)
        self.duration = duration
        self.rate = rate
        self.sent = 0  # articles taken from the list (the last, past --duration, is not handed out)
        self.handed_out = 0  # articles handed to a sender
        self.waited = 0.0  # seconds the senders waited for an article to be made (GeneratedArticles)
        self.ran_out = False  # a --duration run ended because every article had been sent
        self.timed_out = False  # --duration ended the run (before --count, if both were given)
        self.cut_short = False  # `stop`: a full store ended the run
        self.start = time.monotonic()
        # When --duration ends (no article is asked for after it, no stream opened again), and when the run stops
        # waiting for the answers to those in flight.
        self.ends_at = None if duration is None else self.start + duration
        self.answers_by = None if self.ends_at is None else self.ends_at + grace
        self._lock = threading.Lock()
        self.stopped = threading.Event()  # no more articles are handed out: --duration ended, Ctrl-C, a full store
        self.interrupted = threading.Event()  # Ctrl-C: a failed stream is not reopened (its backoff ends at once)

    def next(self) -> Article | None:
        due = self.next_due()
        return None if due is None else due[0]

    def next_due(self) -> tuple[Article, float | None] | None:
        """The next article and when it was due to leave (monotonic; None when not paced): start + n / rate. A
        sender held up (a call or a full window waiting on a stalled server) asks late; its latency is then timed
        from when the article was due, not from when it went (`Sent.latency`), as wrk2 does: timed from its send, a
        paced run sent the articles due during a 2 s outage in a burst after it, each timed at a few ms, and the
        outage did not show even at p99 (coordinated omission)."""
        with self._lock:
            n = self.sent
            if self.stopped.is_set() or (self.limit is not None and n >= self.limit):
                return None
            if n >= len(self.articles):  # (a paced run's last article would have left after --duration)
                self.ran_out = self.duration is not None and not (self.rate and n >= self.rate * self.duration)
                return None
            self.sent += 1
        came = time.monotonic()
        due = self.start + n / self.rate if self.rate else None
        if due is not None:  # pace: article n leaves at start + n / rate
            delay = due - came
            # (True, early, once the run is stopped: by Ctrl-C or a full store, this article is not sent; by another
            # sender past --duration, it goes if it was due before the end and asked for before it, `_past_the_end`)
            if delay > 0 and self.stopped.wait(delay) and self._called_off():
                return None
        if self._past_the_end(due, came):
            self.timed_out = True
            self.stopped.set()
            return None
        asked = time.monotonic()
        article = self.articles[n]
        with self._lock:
            self.waited += time.monotonic() - asked
            self.handed_out += 1
        return article, due

    def _called_off(self) -> bool:
        """Was the run stopped before its end, by Ctrl-C or a full store (`stop`): the rest is never to be sent?"""
        return self.cut_short or self.interrupted.is_set()

    def _past_the_end(self, due: float | None, came: float) -> bool:
        """Whether --duration has ended for an article a sender asked for at `came`, due at `due` (None: unpaced). A
        paced one goes if it was due before the end and its sender asked before the end too: one that waited for its
        due time and woke a moment late is still the run's (`due_not_sent` counts those due before the end that no
        sender took)."""
        if self.ends_at is None:
            return False
        if due is None:
            return time.monotonic() >= self.ends_at
        return due >= self.ends_at or came >= self.ends_at

    def due_not_sent(self, ended: float) -> int | None:
        """A paced --duration run's articles due before it ended (at `ended`, or when --duration did) that no sender
        took: each sender was held up until then by a call or a full window the server had not answered (a stall, or
        a pace above what it answers). They were never sent, so no latency figure holds their wait (those held up and
        sent late count it from their due time: `Sent.latency`); None for a run not both paced and bounded by
        --duration, 0 when the run was stopped (Ctrl-C, a full store: the rest was never to be sent)."""
        if not self.rate or self.ends_at is None:
            return None
        if self._called_off():
            return 0
        due = math.ceil((min(ended, self.ends_at) - self.start) * self.rate)  # (article n is due at start + n / rate)
        held = len(self.articles) if self.limit is None else min(self.limit, len(self.articles))
        return max(min(due, held) - self.handed_out, 0)

    def __iter__(self) -> Iterator[Article]:
        while (article := self.next()) is not None:
            yield article

    def paced(self) -> Iterator[tuple[Article, float | None]]:
        """The articles with when each was due (`next_due`)."""
        while (due := self.next_due()) is not None:
            yield due

    def stop(self) -> None:
        """No sender is handed another article (a full store refused one): each ends once its calls in flight are
        answered, and the rest of the run is never sent."""
        self.cut_short = True
        self.stopped.set()

    def over(self) -> bool:
        """--duration has passed (whether or not a sender has asked for an article since)."""
        return self.ends_at is not None and time.monotonic() >= self.ends_at

    def until(self, seconds: float) -> float:
        """`seconds`, cut to what is left of --duration (a backoff waits no longer than the run)."""
        return seconds if self.ends_at is None else max(min(seconds, self.ends_at - time.monotonic()), 0.0)

    def timeout(self, timeout: float) -> tuple[float, bool]:
        """The deadline of a call or stream opened now: --timeout, cut so that it ends once the grace after
        --duration is over; and whether it was cut (its DEADLINE_EXCEEDED is then the run's end: UNANSWERED)."""
        if self.answers_by is None:
            return timeout, False
        left = max(self.answers_by - time.monotonic(), 0.001)
        return (left, True) if left < timeout else (timeout, False)


# ---- what came back ----------------------------------------------------------------------------


@dataclass
class Record:
    """Completions, as (finish time since start, latency seconds, kind, status name); under --rate the latency runs
    from when the article was due to leave (`Feed.next_due`), and `from_send` holds each one's from its send."""

    done: list[tuple[float, float, str, str]] = field(default_factory=list)
    from_send: list[float] = field(default_factory=list)  # seconds from the actual send, in the order of `done`
    lock: threading.Lock = field(default_factory=threading.Lock)

    peak: int = 0  # the most articles one stream had unanswered at once (stream and batch modes)
    reopened: int = 0  # streams opened again after one failed with a retryable status (stream and batch modes)
    resent: int = 0  # articles sent again on them, each once however often (a stream refused at once takes one)
    # Articles sent again answered UNCHANGED: the failed stream's server had stored them, and its answer was lost
    # (not a re-run against a server that stored them earlier).
    unchanged_on_resend: int = 0
    matched: int = 0  # verdicts naming at least one stored article the article republishes or is republished by
    outcomes: Counter[str] = field(default_factory=Counter)  # index verdicts by IndexOutcome: NEW, UNCHANGED, …
    # The calls answered OK, as (kind, article) in the order answered, when a list is given: --compare times those
    # alone, each as the server was asked (a check's copy of a stored article too: it was left out, and a mix run's
    # "551 articles answered OK" stood beside a table of 600).
    ok_calls: list[tuple[str, Article]] | None = None
    # Checks answered OK (CheckArticle: check and mix modes), those with a match, and of them the copies of
    # articles the run had stored (mix mode): copies that find nothing would be a wrong answer under load.
    checks: Counter[str] = field(default_factory=Counter)
    # A full store: the articles it refused (RESOURCE_EXHAUSTED under the server's "no retry": `store_full`), and
    # the server's message of the first refusal, which says what is full and what to do (None: the store was not).
    full_refused: int = 0
    full_message: str | None = None
    # The first message of each error status: a run whose every article was refused said only "INVALID_ARGUMENT:
    # 20", not the server's reason (a body over its --max-body-bytes, say).
    messages: dict[str, str] = field(default_factory=dict)

    def add(self, finished: float, latency: float, kind: str, status: str, article: Article | None = None,
            from_send: float | None = None) -> None:  # fmt: skip
        """`latency`: from when the article was due (its send, unpaced); `from_send`: from its send (None: the same)."""
        with self.lock:
            self.done.append((finished, latency, kind, status))
            self.from_send.append(latency if from_send is None else from_send)
            if status == "OK" and self.ok_calls is not None and article is not None:
                self.ok_calls.append((kind, article))

    def verdict(self, verdict: pb.Verdict, resent: bool = False) -> None:
        """An index or check verdict; `resent`: of an article sent again on a reopened stream."""
        with self.lock:
            self.matched += bool(verdict.matches)
            if verdict.outcome:
                outcome = pb.IndexOutcome.Name(verdict.outcome).removeprefix("INDEX_OUTCOME_")
                self.outcomes[outcome] += 1
                self.unchanged_on_resend += resent and outcome == "UNCHANGED"

    def refused_for_a_full_store(self, error: NeardupClientError, articles: int = 1) -> None:
        """`articles` were refused with `error`, a full store's (`store_full`)."""
        with self.lock:
            self.full_refused += articles
            if self.full_message is None:
                self.full_message = error.details

    def said(self, status: str, message: str) -> None:
        """An error `status` came with `message`: kept if it is the first of that status."""
        with self.lock:
            self.messages.setdefault(status, message)

    def reopened_one(self) -> None:
        with self.lock:
            self.reopened += 1

    def resent_one(self) -> None:
        with self.lock:
            self.resent += 1

    def checked(self, verdict: pb.Verdict, copy: bool) -> None:
        """A check's verdict; `copy`: it checked a copy of an article the run had stored."""
        with self.lock:
            matched = bool(verdict.matches)
            self.checks.update({"answered": 1, "with_a_match": matched, "copies": copy,
                                "copies_with_a_match": copy and matched})  # fmt: skip

    def peak_in_flight(self, peak: int) -> None:
        with self.lock:
            self.peak = max(self.peak, peak)


def _status_name(code: int) -> str:
    for status in grpc.StatusCode:
        if status.value[0] == code:
            return status.name
    return f"CODE_{code}"


# ---- senders -----------------------------------------------------------------------------------


class Sent:
    """An article of a stream sender and when it was first sent: sent again on a reopened stream, it keeps that
    time, so its latency counts from its first send."""

    __slots__ = ("article", "at", "due", "resent")

    def __init__(self, article: Article, due: float | None = None) -> None:
        self.article = article
        self.due = due  # when a paced run was to send it (None: not paced)
        self.at: float | None = None  # None: not sent yet (read into a batch not yet full when its stream failed)
        self.resent = False

    def latency(self, now: float) -> float:
        """Seconds from when it was due (its first send, unpaced) to `now` (0 for one never sent): a paced article
        a full window held back while the server stalled counts the wait (coordinated omission)."""
        if self.at is None:
            return 0.0
        return now - (self.at if self.due is None else min(self.due, self.at))

    def from_send(self, now: float) -> float:
        """Seconds from its first send to `now` (0 for one never sent)."""
        return now - self.at if self.at is not None else 0.0


class StreamLane:
    """One stream sender's articles across the streams it opens: at most `window` read from the feed and not yet
    answered, as a pipeline keeps them (the client's index_stream: STREAM_WINDOW); unbounded, gRPC takes messages
    as fast as flow control lets it and each article's clock then runs while it waits in a queue that grows with
    --count. Built on the client's Unanswered, which keeps the articles a failed stream left unanswered, the one
    gRPC's sending thread may take from the feed as the stream fails among them, for the next stream to send
    first. A batch bigger than the window goes alone: the window is then one batch (a batch is only sent once
    full, and Unanswered reads no article while the window is full, so a smaller window never filled one)."""

    def __init__(self, feed: Feed, record: Record, window: int, batch: int | None) -> None:
        self.record, self.batch = record, batch
        self.window = max(window, batch or 1)
        self.unanswered: Unanswered[Sent] = Unanswered((Sent(a, due) for a, due in feed.paced()), self.window)
        self.peak = 0  # the most articles unanswered at once (a test holds it to the window)

    def _requests(self, attempt: Iterator[Sent]) -> Iterator[Sent]:
        for sent in attempt:
            self.peak = max(self.peak, len(self.unanswered))
            yield sent

    def _sending(self, articles: Sequence[Sent]) -> None:
        """`articles` go into a message now: stamped on their first send, counted as resent on the second (attempts
        refused at once while a server restarts sent a batch ten times over: counted so, a run's 200 unanswered
        articles were "1,000 sent again")."""
        now = time.monotonic()
        # (paced, a batch leaves once full: its articles were due to leave with its last, and the time one waited for
        # the rest of its batch is no wait for the server; timed from its own due time, a batch of 64 at 950/s read
        # ≈35 ms slower at p50 than the same run timed from its send)
        ready = max((sent.due for sent in articles if sent.due is not None), default=None)
        for sent in articles:
            if sent.at is None:
                sent.at, sent.due = now, ready
            elif not sent.resent:
                sent.resent = True
                self.record.resent_one()

    def messages(self, attempt: Iterator[Sent]) -> Iterator[pb.IndexArticlesRequest]:
        for sent in self._requests(attempt):
            self._sending((sent,))
            yield pb.IndexArticlesRequest(article=sent.article.to_pb())

    def batch_messages(self, attempt: Iterator[Sent], size: int) -> Iterator[pb.IndexArticleBatchesRequest]:
        unsent: deque[Sent] = deque()  # read, not yet in a message (the batch being filled, and one more past it)

        def articles() -> Iterator[Article]:
            for sent in self._requests(attempt):
                unsent.append(sent)
                yield sent.article

        for chunk in article_batches(articles(), size):  # (as the client sends them: capped in bytes too)
            self._sending([unsent.popleft() for _ in chunk])
            yield pb.IndexArticleBatchesRequest(articles=chunk)


class StoredCopies:
    """Mix mode's checks of republications: the articles this run has had indexed OK (the last RECENT of them),
    and copies of them for a `share` of the checks, as a pipeline checks republications of what it stored. The
    checks were all of articles never stored (generated ones, or a file's in order) and found nothing."""

    RECENT = 5_000  # (as the generator's republications copy one of its last 5,000 originals)

    def __init__(self, share: float) -> None:
        self.share = share
        self._stored: deque[Article] = deque(maxlen=self.RECENT)
        self._lock = threading.Lock()

    def stored(self, article: Article) -> None:
        with self._lock:
            self._stored.append(article)

    def copy(self, rng: random.Random, aid: str) -> Article | None:
        """A copy of a stored article under id `aid` for a `share` of the checks (None for the others, and while
        nothing is stored). `rng` draws every choice: a sender's run is the same for a seed, given the same
        articles stored before each check (always so with one sender)."""
        if rng.random() >= self.share:
            return None
        with self._lock:
            if not self._stored:
                return None
            source = self._stored[rng.randrange(len(self._stored))]
        return corpus.copy_of(source, aid, rng)


def _unary_sender(stub: pb_grpc.NearDuplicateServiceStub, feed: Feed, record: Record, check_share: float,
                  rng: random.Random, timeout: float, metadata: Metadata = (),
                  copies: StoredCopies | None = None) -> None:  # fmt: skip
    """IndexArticle and CheckArticle calls, a `check_share` of checks; with `copies` (mix mode), the articles
    indexed OK are kept, and a share of the checks are copies of them, in place of the articles fed. An index a full
    store refused (RESOURCE_EXHAUSTED under the pushback "-1": `store_full`) ends the run: `_full_store`."""
    for n, (article, due) in enumerate(feed.paced()):
        kind = "check" if rng.random() < check_share else "index"
        copy = copies.copy(rng, f"{article.id}~copy{n}") if copies and kind == "check" else None
        sent = time.monotonic()
        status = "OK"
        call_timeout, cut = feed.timeout(timeout)
        try:
            if kind == "check":
                checked = stub.CheckArticle(pb.CheckArticleRequest(article=(copy or article).to_pb()),
                                            timeout=call_timeout, metadata=metadata)  # fmt: skip
                record.verdict(checked.verdict)
                record.checked(checked.verdict, copy is not None)
            else:
                indexed = stub.IndexArticle(pb.IndexArticleRequest(article=article.to_pb()), timeout=call_timeout,
                                           metadata=metadata)  # fmt: skip
                record.verdict(indexed.verdict)
                if copies:
                    copies.stored(article)
        except grpc.RpcError as exc:
            error = from_rpc_error(exc)
            status = _failed(error.code.name, cut)
            record.said(status, error.details)
            if error.store_full:
                _full_store(record, feed, error)
        now = time.monotonic()
        since = sent if due is None else min(sent, due)  # (paced: from when it was due, a held-up sender's wait too)
        record.add(now - feed.start, now - since, kind, status, copy or article, now - sent)


def _stream_sender(stub: pb_grpc.NearDuplicateServiceStub, feed: Feed, record: Record, timeout: float,
                   lane: StreamLane, metadata: Metadata = (), retry: Retry = NEVER_REOPEN) -> None:  # fmt: skip
    """IndexArticles (one article a message), or IndexArticleBatches with `lane.batch` articles a message. A stream
    that fails with a retryable status (the server restarting, busy: --max-streams, or stopping) is opened again
    after `retry`'s backoff, as a pipeline does, and the articles it left unanswered are sent again (indexing is
    idempotent): a failed stream used to end its sender, and the rest of the run was lighter than asked. Not when
    the server's retry pushback asks for no retry (`_reopen`). Each article is
    recorded once: when answered, or with the stream's last status once it is not reopened. Once --duration has
    passed no stream is opened again, and a stream still open then ends with the grace after it.
    A full store does not end a stream: it refuses the articles one by one inside it, each answered
    RESOURCE_EXHAUSTED (an ArticleError, which the client reads under the pushback "-1": `store_full`). The first
    such answer ends the run (`_full_store`): no sender takes another article, and each ends once what it sent is
    answered (a window at most). (Until 2026-12-06 the run went on through a full store, every article refused, and
    its report said nothing of it.)"""
    failures = 0  # streams failed in a row: an answer resets it
    with closing(lane.unanswered):  # (however the sender ends, a request reader waiting for room stops)
        while True:
            stream_timeout, cut = feed.timeout(timeout)
            try:
                for results in _stream_responses(stub, lane, stream_timeout, metadata):
                    now = time.monotonic()
                    for result in results:  # (a batch's articles waited as long as it)
                        _record_answer(record, lane.unanswered.answered(), result, now - feed.start, now)
                        if result.HasField("error") and (refused := _article_error(result.error)).store_full:
                            _full_store(record, feed, refused)
                    failures = 0
                if lane.unanswered.all_answered:
                    break
                # Ended without error with articles unanswered: a server or a proxy cut it short.
                error: NeardupClientError = StreamEndedEarlyError(grpc.StatusCode.UNAVAILABLE, "the stream ended early")
            except grpc.RpcError as exc:
                error = from_rpc_error(exc)
            failures += 1
            if not _reopen(error, failures, retry, feed):
                if error.store_full:  # (the stream itself refused so: its server is not neardup's, or a newer one)
                    _full_store(record, feed, error, len(lane.unanswered))
                status = _failed(error.code.name, cut)
                record.said(status, error.details)
                _record_unanswered(lane, record, feed, status)
                break
            record.reopened_one()
    record.peak_in_flight(lane.peak)
    if lane.unanswered.source_error is not None:  # (raised in gRPC's sending thread, it would have been lost)
        raise lane.unanswered.source_error


def _stream_responses(
    stub: pb_grpc.NearDuplicateServiceStub, lane: StreamLane, timeout: float, metadata: Metadata
) -> Iterator[Sequence[pb.IndexArticlesResponse]]:
    """One stream, sending the articles the last one left unanswered, then the feed's: each response as its
    articles' results (a batch's, or the one article's)."""
    attempt = lane.unanswered.attempt()
    if lane.batch:
        batches = lane.batch_messages(attempt, lane.batch)
        return _joined(stub.IndexArticleBatches(batches, timeout=timeout, metadata=metadata))
    return ((r,) for r in stub.IndexArticles(lane.messages(attempt), timeout=timeout, metadata=metadata))


def _record_answer(record: Record, sent: Sent, result: pb.IndexArticlesResponse, finished: float, now: float) -> None:
    status = _status_name(result.error.code) if result.HasField("error") else "OK"
    if result.HasField("error"):
        record.said(status, result.error.message)
    record.add(finished, sent.latency(now), "index", status, sent.article, sent.from_send(now))
    if result.HasField("verdict"):
        record.verdict(result.verdict, resent=sent.resent)


def _article_error(error: pb.ArticleError) -> NeardupClientError:
    """An index stream's answer of an error for one article, read as the client reads it (`article_error`)."""
    code = next((status for status in grpc.StatusCode if status.value[0] == error.code), grpc.StatusCode.UNKNOWN)
    return article_error(code, error.message)


def _full_store(record: Record, feed: Feed, error: NeardupClientError, articles: int = 1) -> None:
    """A full store refused `articles` with `error` (`store_full`): recorded, and the run ends. The store refuses
    every article until an operator makes room, so a run that went on measured refusals, not ingest; the line under
    the table says so, with the server's message (what is full, what to do)."""
    record.refused_for_a_full_store(error, articles)
    feed.stop()


def _reopen(error: NeardupClientError, failures: int, retry: Retry, feed: Feed) -> bool:
    """After `failures` failed streams in a row, the last with `error`: wait out the backoff and say True (open
    another), or False: the error is not retryable (a token refused), a deadline passed (the client retries that,
    but here --timeout is the most a stream may take), the retries are spent or the server's retry pushback
    forbids one (as the client's Retry.pause says), Ctrl-C stopped the run (the wait then ends at once), or
    --duration has passed (the wait ends with it)."""
    deadline_passed = error.code == grpc.StatusCode.DEADLINE_EXCEEDED
    if not error.retryable or deadline_passed or feed.interrupted.is_set():
        return False
    wait = retry.pause(failures, error.retry_pushback)
    if wait is None or feed.over():
        return False
    return not feed.interrupted.wait(feed.until(wait)) and not feed.over()


def _failed(status: str, cut: bool) -> str:
    """The status to record for a call or stream that failed with `status`: UNANSWERED when its deadline was the
    run's end (`cut`), not --timeout."""
    return UNANSWERED if cut and status == "DEADLINE_EXCEEDED" else status


def _record_unanswered(lane: StreamLane, record: Record, feed: Feed, status: str) -> None:
    """A stream not reopened: the articles it left unanswered count as failed, with its status."""
    now = time.monotonic()
    while len(lane.unanswered):
        sent = lane.unanswered.answered()
        record.add(now - feed.start, sent.latency(now), "index", status, sent.article, sent.from_send(now))


# ---- memory sampling (soak) --------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux). OSError when it has ended: no /proc/<pid> once reaped,
    and ProcessLookupError for a zombie (ended, not yet reaped), whose status holds no VmRSS."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise ProcessLookupError(f"no VmRSS for pid {pid}: it has ended")


def host_cpu_ticks() -> list[int]:
    """The machine's CPU time so far by state: user, nice, system, idle, iowait, irq, softirq, steal
    (/proc/stat, Linux)."""
    with open("/proc/stat", encoding="ascii") as stat:
        return [int(x) for x in stat.readline().split()[1:9]]


def host_cpu_shares(before: Sequence[int], after: Sequence[int]) -> dict[str, float]:
    """Shares of the machine's CPU time between two samples that went to work, to idleness, and to other
    guests of the hypervisor ("steal": time our cores were taken away). On a shared machine steal moves
    tail latency from run to run, so each report carries it beside the figures."""
    d = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(d) or 1
    return {"busy": (d[0] + d[1] + d[2] + d[5] + d[6]) / total, "idle": (d[3] + d[4]) / total, "steal": d[7] / total}


def running_children() -> dict[int, list[int]]:
    """Every running process's children by parent pid, from /proc (Linux); zombies (dead, not yet reaped)
    are left out."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    state, ppid = stat.read().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue  # it exited while we looked
            if state != "Z":
                children.setdefault(int(ppid), []).append(int(entry))
    return children


def descendants(pid: int) -> set[int]:
    """The running processes below `pid` (a server's forkserver and fingerprint workers)."""
    children, found, todo = running_children(), set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


class RssSampler(threading.Thread):
    """Samples process `pid`'s RSS every `every` seconds until stopped, or until the process ends (`ended`): a
    --server-pid that ended during the run killed this thread with a traceback, and the run went on unsampled."""

    def __init__(self, pid: int, start: float, every: float = 1.0) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.pid, self.start_at, self.every = pid, start, every
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.ended = False

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.samples.append((time.monotonic() - self.start_at, rss_bytes(self.pid)))
            except OSError:
                self.ended = True
                return
            self.stop.wait(self.every)


# ---- a server of our own -----------------------------------------------------------------------


# The line `neardup serve` prints once bound, whatever its log level and format; at INFO the log also has
# "… neardup serving on HOST:PORT (store …)", and in JSON format the line is a JSON object.
_SERVING = re.compile(r"neardup serving on (\S+:\d+)")


class SpawnFailed(RuntimeError):
    """The spawned server exited before serving; the message ends with the last lines it wrote to stderr, which
    say why (a flag --server-arg gave that it refused, a data directory it cannot use). Without them the run said
    only "exited with 2 before serving"."""

    TAIL = 5  # lines of its stderr kept: argparse's error is its last, after the usage it prints

    def __init__(self, code: int, said: Sequence[str], extra: Sequence[str]) -> None:
        given = f" (given {shlex.join(extra)})" if extra else ""
        lines = "".join(f"\n  {line.rstrip()}" for line in said)
        wrote = f"; the last lines it wrote:{lines}" if said else ", writing nothing to stderr"
        super().__init__(f"the spawned server{given} exited with {code} before serving{wrote}")


class SpawnedServer:
    """`neardup serve` on 127.0.0.1 port 0 over a fresh data directory, for one run."""

    # Seconds `close` waits, after a Ctrl-C, for the server to stop by the same Ctrl-C: its drain's default cap
    # (--grace-seconds 10) and a little more.
    stopping_wait = 12.0

    def __init__(
        self, extra: Sequence[str], data_dir: Path | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        """`env`: the bench's environment (the process's when None); the server gets it without NEARDUP_*."""
        self.extra = list(extra)  # (--server-arg's flags, named if it fails to start)
        self.dir = None if data_dir else tempfile.TemporaryDirectory(prefix="neardup-bench-")
        self.data_dir = data_dir or Path(self.dir.name)  # type: ignore[union-attr]
        args = [sys.executable, "-m", "client.cli", "serve", "--host", "127.0.0.1", "--port", "0",
                "--data-dir", str(self.data_dir), "--log-level", "WARNING", *extra]  # fmt: skip
        env = {k: v for k, v in (os.environ if env is None else env).items() if not k.startswith("NEARDUP_")}
        started = time.monotonic()
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
        try:
            self.target = self._wait_serving()
        except BaseException as exc:  # (Ctrl-C while it starts: left running, it outlived the run, its data dir too)
            self.close(stopping=isinstance(exc, KeyboardInterrupt))
            raise
        self.start_seconds = time.monotonic() - started  # process start to port bound (includes index rebuild)

    def _wait_serving(self) -> str:
        assert self.proc.stderr is not None
        said: deque[str] = deque(maxlen=SpawnFailed.TAIL)
        for line in self.proc.stderr:  # the server prints its port once bound; it exits on failure
            if found := _SERVING.search(line):
                threading.Thread(target=self._drain, daemon=True).start()
                return found[1]
            said.append(line)
        raise SpawnFailed(self.proc.wait(), said, self.extra)

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for _ in self.proc.stderr:
            pass

    def kill(self) -> None:
        """SIGKILL, as a crash: no drain, no index snapshot saved at a close. The store stays for a restart."""
        self.proc.kill()
        self.proc.wait()

    def close(self, stopping: bool = False) -> None:
        """Stop the server: SIGTERM (it drains), then SIGKILL after 60 s. `stopping`: a Ctrl-C ended the run, and
        the terminal sent the server its SIGINT too (it shares the bench's process group): it is waited for, up to
        STOPPING_WAIT, before a SIGTERM. Sent at once, that SIGTERM was a second signal for the same stop. One that
        came 1 s or more after the SIGINT exited at once, with no drain (its calls in flight cut off); and a run
        whose Ctrl-C the server never had (a `kill -INT` of the bench alone) still has it stopped after the wait.
        A server that has exited is not signalled."""
        if stopping:
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=self.stopping_wait)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir:
            self.dir.cleanup()


class Refused(SystemExit):
    """A command line that cannot make a run, refused before any work: exit code 2, as argparse's own refusals, and
    the message under the bench's name, printed by `main` (a target off loopback and a --count above the file's
    articles exited 1, the first with no `neardup-bench:` before it)."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = f"neardup-bench: {message}"

    def __str__(self) -> str:
        return self.message


def require_loopback(target: str) -> None:
    host = target.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise Refused(
        f"--target {target}: neardup-bench only targets loopback (127.0.0.1, ::1, localhost): run it on "
        "the server's machine, or give --spawn to start a server for the run"
    )


# Seconds a run waits for its server to answer at the start, unless --wait-for-server says. Not bounded by
# --timeout, a deadline per call: a --timeout 0.001 against a live server said it could not reach it (the
# connection takes longer to set up).
READY_WAIT = 5.0
READY_PROBE = 2.0  # seconds the one call that asks why the server did not answer may take


def connect(
    target: str,
    tls: bool = False,
    ca_file: str | None = None,
    wait: float = READY_WAIT,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> grpc.Channel:
    """A channel to `target` once it is ready (waiting up to `wait` seconds), or the run ended with a one-line
    reason (not gRPC's bare FutureTimeoutError after 30 s): nothing is sent, nor timed in-process, against no
    server. TLS as the neardup client sets it up (the same code), with the client certificate `cert_file` and its
    key `key_file` (both or neither) for a server started with --tls-client-ca."""
    files = argparse.Namespace(ca_file=ca_file, cert_file=cert_file, key_file=key_file)
    if why_unpaired := unpaired(files):
        raise SystemExit(f"neardup-bench: {why_unpaired}")
    tls = tls or ca_file is not None or cert_file is not None

    def channel_now() -> grpc.Channel:
        return open_channel(target, tls=tls, ca_file=ca_file, cert_file=cert_file, key_file=key_file)

    try:
        channel = channel_now()
    except OSError as exc:
        raise SystemExit(f"neardup-bench: cannot read {unreadable_file(exc, files)}: {exc.strerror or exc}") from None
    except ValueError as exc:  # (a CA file with no certificate in it, a certificate and key that cannot go together)
        raise SystemExit(f"neardup-bench: {exc}") from None
    try:
        grpc.channel_ready_future(channel).result(timeout=wait)
    except grpc.FutureTimeoutError:
        why = _why_not_ready(channel)
        channel.close()
        if why is None:  # (it answered: the server came up just now)
            return channel_now()
        # Something answers there and these settings cannot talk to it: the neardup CLI's diagnosis (a server that
        # serves TLS only, or requires a client certificate, told by a TLS probe as the neardup CLI's errors do).
        why = naming_a_tls_server(why, target, remedies=CLI_REMEDIES, tls=tls, cert_file=cert_file, key_file=key_file)
        hint = cannot_talk_hint(why, target, cert_file is not None)
        if hint or any(words in why.details for words in TLS_SAID):
            raise SystemExit(f"neardup-bench: cannot talk to {target}: {why.details}{hint}") from None
        raise SystemExit(
            f"neardup-bench: cannot reach {target} within {wait:g} s: is `neardup serve` running there, on "
            "that port? (--target or NEARDUP_SERVER names it; --wait-for-server waits longer for one starting; "
            "--spawn starts a server for the run)"
        ) from None
    return channel


def _why_not_ready(channel: grpc.Channel) -> NeardupClientError | None:
    """The error of one call on a channel that did not become ready: the readiness wait swallows the TLS
    library's complaint, which says what to change (a certificate not trusted, TLS to a plaintext port)."""
    try:
        pb_grpc.NearDuplicateServiceStub(channel).GetStats(pb.GetStatsRequest(), timeout=READY_PROBE)
    except grpc.RpcError as exc:
        why = from_rpc_error(exc)
        # Any other code is the server's own answer (UNAUTHENTICATED: this call carries no token): it is there.
        return why if why.code in _NOT_ANSWERED else None
    return None


_NOT_ANSWERED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.DEADLINE_EXCEEDED)


# ---- the run -----------------------------------------------------------------------------------


@dataclass
class RunConfig:
    target: str
    mode: str
    concurrency: int
    count: int | None
    duration: float | None
    rate: float | None
    check_share: float
    timeout: float
    server_pid: int | None
    progress: bool = True
    batch: int = 64  # articles per message in --mode batch
    window: int | None = None  # articles one stream may have unanswered (stream, batch); None: default_window
    tls: bool = False  # (implied by ca_file and cert_file)
    ca_file: str | None = None
    cert_file: str | None = None  # the client certificate (and key_file its key) of mutual TLS (--tls-client-ca)
    key_file: str | None = None
    token: str | None = None  # sent as authorization: Bearer, as the neardup CLI's --token-file
    wait_for_server: float = READY_WAIT  # seconds to wait for the server to answer at the start
    republished: float = 0.0  # in mix mode, the share of checks that copy an article the run indexed OK
    seed: int = 7  # the senders' choices (check or index, a copy or not, of which article) are drawn from it
    retries: int = Retry.attempts  # failed streams in a row a stream sender opens again (stream, batch); 0: none
    grace: float = DURATION_GRACE  # seconds past --duration the run waits for the answers to articles in flight

    def stream_window(self) -> int | None:
        """The window each stream keeps (`window` or the mode's default); None outside stream and batch modes."""
        if self.mode not in ("stream", "batch"):
            return None
        return self.window or default_window(self.mode, self.batch)


def run_articles(
    target: str, mode: str, articles: Sequence[Article], concurrency: int, rate: float | None = None
) -> dict[str, Any]:
    """One bounded run of all `articles` in `mode`, without a progress bar (for the other benchmarks)."""
    config = RunConfig(target, mode, concurrency, len(articles), None, rate, 1.0, 3600.0, None, progress=False)
    return run_load(config, articles)


def run_load(config: RunConfig, articles: Articles, record: Record | None = None) -> dict[str, Any]:
    """One run; `record`, when given, is filled with what came back (--compare reads the ids answered OK)."""
    require_loopback(config.target)
    channel = connect(config.target, config.tls, config.ca_file, config.wait_for_server, config.cert_file,
                      config.key_file)  # fmt: skip
    stub = pb_grpc.NearDuplicateServiceStub(channel)
    feed = Feed(articles, config.count, config.duration, config.rate, config.grace)
    record = record if record is not None else Record()
    sampler = RssSampler(config.server_pid, feed.start) if config.server_pid else None
    copies = StoredCopies(config.republished) if config.mode == "mix" else None  # (the senders share what is stored)
    senders = Senders([_sender(config, stub, feed, record, i, copies) for i in range(config.concurrency)])
    server_cpu = _cpu_seconds_or_none(config.server_pid)
    client_cpu = time.process_time()
    host_before = host_cpu_ticks()
    if sampler:
        sampler.start()
    senders.start()
    interrupted = _watch(config, feed, record, senders)
    wall = time.monotonic() - feed.start
    if sampler:
        sampler.stop.set()
        sampler.join()
    channel.close()
    report = summarise(config, record, wall, sampler.samples if sampler else [])
    report["host_cpu"] = host_cpu_shares(host_before, host_cpu_ticks())
    report["interrupted"] = interrupted  # by Ctrl-C: fewer articles than asked, and exit code 130
    report["ran_out_of_articles"] = feed.ran_out  # before --duration: each article is sent once
    # Articles of the run never sent: after Ctrl-C, after a full store (it ends the run: `_full_store`), or when every
    # sender had stopped (a stream that fails with a status not retried, or past --retries, ends its sender: its
    # unanswered articles are counted failed, the rest of its share is never sent). A run
    # --duration ended sent what it could: the rest of --count is not "never sent" (nor when no sender asked for
    # an article after --duration: their streams were stalled).
    planned = feed.handed_out if feed.limit is None or feed.timed_out or feed.over() else feed.limit
    report["not_sent"] = planned - len(record.done)
    report["due_not_sent"] = feed.due_not_sent(feed.start + wall)
    # Where the CPU went, per article: the server process (its GIL is the shared limit) and this client.
    done = max(report["articles"], 1)
    making = getattr(articles, "cpu_seconds", 0.0)  # (GeneratedArticles: making them is not sending them)
    report["client_cpu_us_per_article"] = (time.process_time() - client_cpu - making) / done * 1e6
    report["waited_for_articles_s"] = feed.waited
    if config.server_pid:
        server_cpu_after = _cpu_seconds_or_none(config.server_pid)
        ended = server_cpu is None or server_cpu_after is None or (sampler is not None and sampler.ended)
        report["server_ended"] = ended  # (its RSS sampled until then; its CPU is known only if it was not reaped)
        report["server_cpu_us_per_article"] = (
            None if server_cpu is None or server_cpu_after is None else (server_cpu_after - server_cpu) / done * 1e6
        )
    return report


def _cpu_seconds_or_none(pid: int | None) -> float | None:
    """Process `pid`'s CPU seconds so far; None when no pid is given or the process has ended and been reaped (no
    /proc/<pid>: a --server-pid that ended during the run lost the run's report to a FileNotFoundError)."""
    if pid is None:
        return None
    try:
        return cpu_seconds(pid)
    except OSError:
        return None


def _sender(config: RunConfig, stub: Any, feed: Feed, record: Record, i: int,
            copies: StoredCopies | None = None) -> Callable[[], None]:  # fmt: skip
    metadata = bearer_metadata(config.token)
    if window := config.stream_window():
        batch = config.batch if config.mode == "batch" else None
        retry = Retry(attempts=config.retries)
        return lambda: _stream_sender(stub, feed, record, config.timeout, StreamLane(feed, record, window, batch),
                                      metadata, retry)  # fmt: skip
    share = {"unary": 0.0, "check": 1.0, "mix": config.check_share}[config.mode]
    rng = random.Random(f"{config.seed}/{i}")  # (each sender its own: their draws do not depend on timing)
    return lambda: _unary_sender(stub, feed, record, share, rng, config.timeout, metadata, copies)


class Senders:
    """The sender threads, waited for without Thread.join: a KeyboardInterrupt landing inside join() (CPython
    3.11) can leave a thread that still runs marked as ended, and the run then closed the channel under a
    live stream, its last batch CANCELLED. A condition's wait is safe to interrupt."""

    def __init__(self, targets: Sequence[Callable[[], None]]) -> None:
        self._left = len(targets)
        self._ended = threading.Condition()
        self.threads = [threading.Thread(target=self._counted(t), daemon=True) for t in targets]

    def _counted(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            finally:
                with self._ended:
                    self._left -= 1
                    self._ended.notify_all()

        return run

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wait(self, timeout: float) -> bool:
        """True once every sender has ended; False if `timeout` seconds passed first."""
        with self._ended:
            return self._ended.wait_for(lambda: self._left == 0, timeout)


def progress_total(feed: Feed) -> int | None:
    """The articles the run is to send, the progress bar's total: --count (or every article), and for a paced
    --duration run no more than leave before it ends (article n leaves at n / rate s: a --count 1000 --duration
    2 --rate 100 run ended at 200/1000); None for an unpaced --duration run (no total is known)."""
    paced = math.ceil(feed.rate * feed.duration) if feed.rate and feed.duration else None
    known = [n for n in (feed.limit, paced) if n is not None]
    return min(known) if known else None


def _watch(config: RunConfig, feed: Feed, record: Record, senders: Senders) -> bool:
    """Refresh the progress bar until the senders end; True if Ctrl-C stopped the run (the feed then hands
    out no more articles, and the senders finish what they sent). A run --duration ended ends its bar full:
    it sent what it could."""
    total = progress_total(feed)
    columns = [TextColumn(f"{config.mode}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn()]  # fmt: skip
    with Progress(*columns, console=console, disable=not config.progress) as bar:
        task = bar.add_task("load", total=total, rate="")
        interrupted = False
        try:
            while not senders.wait(0.5):  # wakes at least twice a second to refresh the bar
                done = len(record.done)
                elapsed = time.monotonic() - feed.start
                bar.update(task, completed=done, rate=f"{done / max(elapsed, 1e-9):,.0f} art/s")
        except KeyboardInterrupt:
            interrupted = True
            feed.interrupted.set()
            feed.stopped.set()
            senders.wait(config.timeout)  # (a second Ctrl-C here ends the run at once)
        done = len(record.done)
        ended = (feed.timed_out or feed.over()) and not interrupted
        bar.update(task, completed=done, total=done if ended else total)
    return interrupted


def summarise(config: RunConfig, record: Record, wall: float, rss: list[tuple[float, int]]) -> dict[str, Any]:
    done = record.done
    latencies = np.array([d[1] for d in done]) if done else np.zeros(1)
    ok = sum(1 for d in done if d[3] == "OK")
    errors = Counter(d[3] for d in done if d[3] != "OK")
    per_kind = {k: _latency_stats(np.array([d[1] for d in done if d[2] == k])) for k in sorted({d[2] for d in done})}
    return {
        "mode": config.mode, "concurrency": config.concurrency, "target_rate": config.rate,
        "articles": len(done), "ok": ok, "errors": dict(errors), "seconds": wall,
        # The headline: articles answered OK a second. An article refused (too long, say) costs the server
        # little, so counting it made a run of refusals look fast; every answer a second is kept beside it.
        "throughput": ok / wall if wall > 0 else 0.0,
        "answered_per_s": len(done) / wall if wall > 0 else 0.0,
        "latency_ms": _latency_stats(latencies), "latency_ms_by_kind": per_kind,
        # What latency_ms counts from: under --rate each article's due time (start + n / rate, the wait of one a
        # stalled server held back included: corrected for coordinated omission), else its send; and, paced, the
        # same figures from the send alone (the service time, without the backlog), null otherwise.
        "latency_from": "due" if config.rate else "send",
        "latency_ms_from_send": _latency_stats(np.array(record.from_send)) if config.rate and done else None,
        "window": config.stream_window(),
        # Seconds past --duration the run waited for the answers to articles in flight (those not answered then
        # are counted UNANSWERED); None without --duration.
        "duration_grace": config.grace if config.duration is not None else None,
        # The most articles one stream had in flight at once; null outside stream and batch modes (a unary sender
        # has one call in flight at a time: the 0 it said was not measured).
        "peak_in_flight": record.peak if config.stream_window() else None,
        # Streams opened again after a retryable failure, the articles sent again on them, and of those the ones
        # answered UNCHANGED (stored by the failed stream's server, their answer lost).
        "reopened": record.reopened, "resent": record.resent, "unchanged_on_resend": record.unchanged_on_resend,
        "matches_found": record.matched, "index_outcomes": dict(record.outcomes),
        "error_messages": dict(record.messages),  # the first message of each status in `errors`
        # A full store, which ended the run: the articles it refused, and the server's message (what is full, what
        # to do); None when the store was not full.
        "store_full": {"refused": record.full_refused, "message": record.full_message}
        if record.full_message is not None else None,
        # CheckArticle answered OK: how many, with a match, and the copies of articles the run stored (mix mode).
        "checks": {k: record.checks[k] for k in ("answered", "with_a_match", "copies", "copies_with_a_match")}
        if config.mode in ("check", "mix") else None,
        "timeline": [[round(d[0], 4), round(d[1] * 1000, 3), d[2], d[3]] for d in done],
        "rss": [[round(t, 2), b] for t, b in rss],
    }  # fmt: skip


def _latency_stats(seconds: np.ndarray) -> dict[str, float]:
    if seconds.size == 0:
        return {}
    ms = seconds * 1000
    return {"p50": float(np.percentile(ms, 50)), "p90": float(np.percentile(ms, 90)),
            "p99": float(np.percentile(ms, 99)), "max": float(ms.max()), "mean": float(ms.mean())}  # fmt: skip


# ---- output ------------------------------------------------------------------------------------


def print_table(report: dict[str, Any]) -> None:
    stopped = " (interrupted by Ctrl-C)" if report.get("interrupted") else ""
    table = Table(title=f"neardup-bench: {report['mode']} x{report['concurrency']}{stopped}")
    for col in ("calls", "articles", "ok", "seconds", "ok/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"):
        table.add_column(col, justify="right")
    for row in _table_rows(report):
        table.add_row(*row)
    out.print(table)
    outcomes = ", ".join(f"{k.lower()} {v:,}" for k, v in sorted(report["index_outcomes"].items()))
    if report["mode"] != "check":  # (in check mode every verdict is a check's: the checks' line says it, once)
        both = " (index and check calls)" if report["mode"] == "mix" else ""
        out.print(f"verdicts with a match{both}: {report['matches_found']:,}"
                  + (f"; indexed: {outcomes}" if outcomes else ""))  # fmt: skip
    if checks := report.get("checks"):
        copies = (f"; {checks['copies']:,} were copies of articles this run indexed, {checks['copies_with_a_match']:,} "
                  "of them matched" if report["mode"] == "mix" else "")  # fmt: skip
        out.print(f"checks with a match: {checks['with_a_match']:,} of {checks['answered']:,}{copies}")
    if report.get("ran_out_of_articles"):
        out.print(f"the run ended before --duration: all {report['articles']:,} articles had been sent "
                  "(none is sent twice, but after its stream failed)")  # fmt: skip
    if report.get("reopened"):
        out.print(f"streams reopened after a retryable failure: {report['reopened']:,}; articles sent again on them: "
                  f"{report['resent']:,} (each answer counted once; latency from its first send)")  # fmt: skip
    if full := report.get("store_full"):
        out.print(_full_store_line(full, report.get("not_sent", 0)))
    elif report.get("not_sent") and not report.get("interrupted"):
        out.print(f"{report['not_sent']:,} articles of the run were never sent: a stream that fails with a status not "
                  "retried, or past --retries, ends its sender (its unanswered articles count as failed), and the "
                  "others did not send them")  # fmt: skip
    if report.get("waited_for_articles_s", 0) > 0.01 * report["seconds"]:
        out.print(f"the senders waited {report['waited_for_articles_s']:.1f} s for generated articles to be made: "
                  "making them bounded the rate (--count or --articles FILE: made before the clock)")  # fmt: skip
    if unanswered := report["errors"].get(UNANSWERED):
        out.print(f"{unanswered:,} articles in flight were not answered within {report['duration_grace']:g} s after "
                  "--duration ended: the run stopped waiting for them (a server that stalls?); no stream was "
                  "opened again after --duration")  # fmt: skip
    if due_not_sent := report.get("due_not_sent"):
        out.print(f"{due_not_sent:,} {'article' if due_not_sent == 1 else 'articles'} fell due before --duration ended "
                  "and were never sent: every sender was held up until then (by a server that stalled, or a --rate "
                  "above what it answers), and their wait is in no latency figure")  # fmt: skip
    if "UNAUTHENTICATED" in report["errors"]:
        out.print(_token_hint(report.get("parameters", {}).get("token", False)))
    if from_send := report.get("latency_ms_from_send"):
        out.print(f"latency from each article's due time under --rate (the wait of those a stalled server held back "
                  f"counts); from its send alone: p50 {from_send['p50']:.2f}, p99 {from_send['p99']:.2f}, max "
                  f"{from_send['max']:.2f} ms")  # fmt: skip
    for status, message in report.get("error_messages", {}).items():
        out.print(f"{status}, the first said: {message}")
    if report["errors"]:
        out.print(f"ok/s counts the articles answered OK; all answers, errors included: "
                  f"{report['answered_per_s']:,.0f}/s")  # fmt: skip
    if len(report["rss"]) == 1:  # (sampled every second: a shorter run has its first sample alone)
        out.print(f"server RSS: {report['rss'][0][1] / 2**20:.0f} MiB, sampled once: the run was too short to "
                  "sample it over time (once a second)")  # fmt: skip
    elif report["rss"]:
        first, last = report["rss"][0][1], report["rss"][-1][1]
        peak = max(b for _, b in report["rss"])
        out.print(f"server RSS: start {first / 2**20:.0f} MiB, end {last / 2**20:.0f} MiB, "
                        f"peak {peak / 2**20:.0f} MiB over {report['rss'][-1][0]:.0f} s")  # fmt: skip
    host = report["host_cpu"]
    out.print(f"host CPU over the run: busy {host['busy']:.0%}, idle {host['idle']:.0%}, "
              f"stolen by the hypervisor {host['steal']:.0%}")  # fmt: skip
    if report.get("server_ended"):
        unknown = report["server_cpu_us_per_article"] is None
        out.print("the server process ended during the run: its RSS was sampled until then"
                  + (", and its CPU per article is not known" if unknown else ""))  # fmt: skip
    if report.get("server_cpu_us_per_article") is not None:
        out.print(
            f"CPU per article: server process {report['server_cpu_us_per_article']:.0f} µs "
            f"(not counting fingerprint workers), this client {report['client_cpu_us_per_article']:.0f} µs"
        )
    if report.get("compare_interrupted"):
        out.print("--compare was interrupted by Ctrl-C: no in-process figures; the load's are above")
    elif "compare" in report and report["compare"] is None:
        out.print("no article was answered OK: nothing to time in-process (--compare)")
    elif "compare" in report:
        c = report["compare"]
        # (no ratio to the recipe when the load did other work than it: the note says why)
        ratio = (
            f": no ratio to the recipe, {c['note']}"
            if c.get("note")
            else f" = {c['grpc_vs_datasketch']:.2f}x the recipe"
        )
        out.print(
            f"in-process, the {_calls(c)} answered OK: datasketch recipe {c['datasketch_rate']:,.0f}/s "
            f"({c['recipe']}; {_recipe_runs(c['datasketch_runs'])}), "
            f"neardup core {c['core_rate']:,.0f}/s, the same ({c['core_vs_datasketch']:.2f}x); "
            f"gRPC {report['mode']} {report['throughput']:,.0f} ok/s{ratio}"
        )


def _full_store_line(full: dict[str, Any], not_sent: int, during_the_preload: bool = False) -> str:
    """The line under the table of a run a full store ended (or whose --preload it ended: `during_the_preload`):
    what it refused, what was never sent, and what to do, in the server's words (a disk to free or grow, a Redis
    maxmemory to raise). Not "a fresh server (--spawn)": one spawned on the same shared Redis is as full."""
    refused = full["refused"]
    what = "the preload" if during_the_preload else "the run"
    never = f" ({not_sent:,} {'article' if not_sent == 1 else 'articles'} of {what} never sent)" if not_sent else ""
    where = load = ""
    if during_the_preload:
        where = f"during the preload ({full['indexed']:,} of its {full['preload']:,} articles indexed), "
        load = (" The load was not run: its figures would be those of a smaller index than --preload asked "
                "for.")  # fmt: skip
    return (f"{where}the store is full: {refused:,} {'article' if refused == 1 else 'articles'} refused "
            f"(RESOURCE_EXHAUSTED, the server asking for no retry), and {what} stopped at the first{never}.{load} The "
            f"server said: {full['message']}. Make room there as it says, or run against a fresh store, then run "
            "again")  # fmt: skip


def _token_hint(token_sent: bool) -> str:
    """What to change when the server asked for a bearer token (in every mode: a stream refused said nothing)."""
    if token_sent:
        return ("UNAUTHENTICATED: the server does not accept the token in --token-file "
                "(is it one its --auth-token-file lists?)")  # fmt: skip
    return "UNAUTHENTICATED: the server asks for a bearer token: --token-file names the file that holds it"


def _calls(compared: dict[str, Any]) -> str:
    """The calls --compare timed: "400 articles", "400 checks", or "600 calls (289 index, 311 check)"."""
    n, checks = compared["articles"], compared.get("checks", 0)
    if not checks:
        return f"{n:,} articles"
    if checks == n:
        return f"{n:,} checks"
    return f"{n:,} calls ({n - checks:,} index, {checks:,} check)"


def _recipe_runs(runs: Sequence[float]) -> str:
    """When the recipe was timed: a --duration run (or one some articles of were refused) times it once, after
    the load (it was said to be a mean of runs before and after)."""
    if len(runs) == 1:
        return "timed after the load"
    return f"mean of {' and '.join(f'{r:,.0f}' for r in runs)}/s: before and after the load"


def _table_rows(report: dict[str, Any]) -> list[list[str]]:
    """The run's row; in --mode mix, a row each for index and check calls too: their latencies differ
    (a check stores nothing), and one line mixing them described neither."""
    kinds = report["latency_ms_by_kind"]
    rows = [_table_row("all" if len(kinds) > 1 else next(iter(kinds), "-"), report["timeline"], report["seconds"],
                       report["latency_ms"])]  # fmt: skip
    if len(kinds) > 1:
        for kind, lat in kinds.items():
            rows.append(_table_row(kind, [r for r in report["timeline"] if r[2] == kind], report["seconds"], lat))
    return rows


def _table_row(name: str, timeline: list[list[Any]], seconds: float, lat: dict[str, float]) -> list[str]:
    ok = sum(1 for r in timeline if r[3] == "OK")
    errors = ", ".join(f"{k}: {v}" for k, v in Counter(r[3] for r in timeline if r[3] != "OK").items()) or "none"
    return [name, str(len(timeline)), str(ok), f"{seconds:.1f}", f"{ok / seconds if seconds > 0 else 0:,.0f}",
            *(f"{lat.get(k, 0):.2f}" for k in ("p50", "p90", "p99", "max")), errors]  # fmt: skip


def per_second(finished: Sequence[float] | np.ndarray, wall: float) -> tuple[np.ndarray, np.ndarray]:
    """Answers a second in each second of a `wall`-second run, from their finish times, each at the middle of its
    second (at its start, a rate read as the one of the second before). The last second is only partly run: its
    count is scaled by the part run and set at the middle of that part (it was plotted as a whole second, a false
    drop at the end), or left out if under a tenth of a second (too short to say a rate)."""
    n = max(math.ceil(wall), 1)
    edges = np.arange(n + 1, dtype=float)
    counts, _ = np.histogram(np.minimum(np.asarray(finished, dtype=float), n), bins=edges)
    rates, middles = counts.astype(float), edges[:-1] + 0.5
    last = wall - (n - 1)  # how long the last bin lasted
    if 0 < last < 1:
        if last < 0.1 and n > 1:
            return middles[:-1], rates[:-1]
        rates[-1] /= last
        middles[-1] = n - 1 + last / 2
    return middles, rates


def save_plot(report: dict[str, Any], path: Path) -> bool:
    """Whether the plot was written (not without matplotlib)."""
    plt = pyplot()
    if plt is None:
        return False
    plots.save(plt, draw(plt, report), path, PLOT_MARK, dpi=90)
    return True


def draw(plt: Any, report: dict[str, Any]) -> Any:
    """The report's figure: throughput over time, latency histogram, and the server's RSS when sampled."""
    rows = report["timeline"]
    panels = 3 if report["rss"] else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4))
    if rows:
        # (with markers: a run shorter than 2 s has a single point, which a line alone does not draw)
        ok = per_second([r[0] for r in rows if r[3] == "OK"], report["seconds"])
        axes[0].plot(*ok, marker="o", markersize=3, label="ok")
        if report["errors"]:
            errors = per_second([r[0] for r in rows if r[3] != "OK"], report["seconds"])
            axes[0].plot(*errors, marker="o", markersize=3, label="errors")
            axes[0].legend()
        kinds = sorted({r[2] for r in rows})  # (mix: index and check apart)
        axes[1].hist([[r[1] for r in rows if r[2] == k] for k in kinds], bins=60, log=True, label=kinds)
        if len(kinds) > 1:
            axes[1].legend()
    # From 0 on both axes: matplotlib fits the y-axis to the points, and a rate that moved by 5 % looked like
    # one that halved.
    axes[0].set(title="throughput", xlabel="seconds (each point: the middle of its second)", ylabel="articles/s")
    axes[0].set_xlim(0, max(report["seconds"], 1e-3))
    axes[0].set_ylim(bottom=0)
    axes[1].set(title="latency", xlabel="ms", ylabel="calls (log)")
    if report["rss"]:
        axes[2].plot([t for t, _ in report["rss"]], [b / 2**20 for _, b in report["rss"]], marker="o", markersize=3)
        axes[2].set(title="server RSS", xlabel="seconds", ylabel="MiB")
    fig.suptitle(
        f"neardup-bench {report['mode']} x{report['concurrency']}: {report['throughput']:,.0f} articles/s answered OK"
    )
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class Work:
    """What the server was asked, for the recipe and the core to do the same in-process: `articles` in order,
    the ids among them that were checks (queried, not stored), and `indexed`, the articles it held before the
    run (--preload; inserted before the clock starts)."""

    articles: Sequence[Article]
    checks: frozenset[str] = frozenset()
    indexed: Sequence[Article] = ()

    def recipe(self) -> float:
        return baseline.datasketch_recipe(self.articles, checks=self.checks, indexed=self.indexed).rate

    def described(self) -> str:
        """What the recipe did, for the line under the table."""
        if not self.checks:
            done = "query then insert"
        elif len(self.checks) == len(self.articles):
            done = "query only, as a check stores nothing"
        else:
            done = "query then insert for the index calls, query only for the checks"
        held = f", on an index of {len(self.indexed):,} articles built beforehand" if self.indexed else ""
        return done + held


def compare(work: Work, recipe_before: float | None = None) -> dict[str, Any]:
    """The recipe and the detection core in-process on `work`, after the load. The recipe's rate is
    the mean of that run and `recipe_before` (a run made before the load), when there is one: on a
    shared machine, a load set against the recipe on both sides of it is set against the same machine."""
    recipe_runs = [r for r in (recipe_before, work.recipe()) if r is not None]
    recipe = sum(recipe_runs) / len(recipe_runs)
    core = baseline.neardup_core(work.articles, checks=work.checks, indexed=work.indexed)
    return {"articles": len(work.articles), "checks": len(work.checks), "indexed_before": len(work.indexed),
            "recipe": work.described(), "datasketch_rate": recipe, "datasketch_runs": recipe_runs,
            "core_rate": core.rate, "core_vs_datasketch": core.rate / recipe}  # fmt: skip


# ---- command line ------------------------------------------------------------------------------


def answered_ok(calls: Sequence[tuple[str, Article]], indexed: Sequence[Article] = ()) -> Work:
    """The calls answered OK (each article once, in the order answered) as the work to time in-process."""
    found: dict[str, tuple[str, Article]] = {}
    for kind, article in calls:
        found.setdefault(article.id, (kind, article))
    checks = frozenset(i for i, (kind, _) in found.items() if kind == "check")
    return Work([article for _, article in found.values()], checks, indexed)


def recipe_before_the_load(mode: str, articles: Sequence[Article], preload: Sequence[Article]) -> float | None:
    """The recipe timed before the load on the articles of --count, doing what the load will ask; None in mix
    mode, where which calls are checks is drawn as the load goes (timed on them all as indexing, it was set
    beside a run that indexed half of them)."""
    if mode == "mix":
        return None
    checks = frozenset(a.id for a in articles) if mode == "check" else frozenset()
    return Work(articles, checks, preload).recipe()


def _compare_ok(report: dict[str, Any], work: Work, recipe_before: float | None, count: int | None) -> None:
    """--compare on the calls answered OK alone, as the headline rate counts them: a refused article costs
    the server little, and the recipe timed on every article set OK/s against work the server never did."""
    if not work.articles:
        report["compare"] = None
        return
    # The run before the load timed every article of --count: it stands beside the run after only when all
    # of them were answered OK.
    before = recipe_before if len(work.articles) == count else None
    report["compare"] = compare(work, before)
    note = _unlike_work(report)
    # Left out (null) when the load's ok/s was not the server's speed at the recipe's work: a ratio printed bare
    # beside a paced run read as the server at 0.12x the recipe. The note says why.
    report["compare"]["grpc_vs_datasketch"] = (
        None if note else report["throughput"] / report["compare"]["datasketch_rate"]
    )
    report["compare"]["note"] = note


def _unlike_work(report: dict[str, Any]) -> str | None:
    """Why the load's ok/s cannot be set against the recipe's rate, or None when it can: under --rate it is the pace
    asked, not the server's speed; on a run of re-sends (articles the server had stored: UNCHANGED, less those sent
    again after a stream failed) the server stored nothing, while the recipe queried and inserted each one."""
    if rate := report.get("target_rate"):
        return f"--rate {rate:g} paced the load: its ok/s is the pace asked, not the server's speed"
    resent = report["index_outcomes"].get("UNCHANGED", 0) - report.get("unchanged_on_resend", 0)
    if resent:
        indexed = sum(report["index_outcomes"].values())
        return (f"{resent:,} of the {indexed:,} articles indexed were stored on the server already (answered "
                "UNCHANGED): it stored nothing for them, while the recipe queried and inserted each")  # fmt: skip
    return None


def _joined(answers: Iterable[pb.IndexArticleBatchesResponse]) -> Iterator[list[pb.IndexArticlesResponse]]:
    """Each batch's results, joined from the parts a big batch is answered in (`more_follow`)."""
    results: list[pb.IndexArticlesResponse] = []
    for answer in answers:
        results += answer.results
        if not answer.more_follow:
            yield results
            results = []


def _target(value: str) -> str:
    try:
        return with_default_port(value)
    except ValueError as exc:  # (argparse would print only "invalid _target value")
        raise argparse.ArgumentTypeError(str(exc)) from None


def number(low: float, high: float = math.inf, low_included: bool = False) -> Callable[[str], float]:
    """An argparse type: a number above `low` (or at it, `low_included`) and at most `high`."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if math.isinf(value):  # (--duration inf ran unbounded: every run must end by itself)
            raise argparse.ArgumentTypeError(f"{text} is not a finite number (every run is bounded)")
        if not (low <= value if low_included else low < value) or not value <= high:
            lowest = f"from {low:g}" if low_included else f"above {low:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: give a number {lowest}"
                                             + (f" to {high:g}" if high < math.inf else ""))  # fmt: skip
        return value

    return parse


def _batch_size(text: str) -> int:
    """--batch: 1 to MAX_BATCH_ARTICLES, the client's cap on a message (a bigger one was cut to it, silently)."""
    try:
        return whole_number(1, MAX_BATCH_ARTICLES)(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (the most articles the client sends in one message)") from None


@dataclass(frozen=True)
class ModeFlag:
    """A flag only some modes read, and its default."""

    flag: str
    modes: tuple[str, ...]
    default: float | int | None


# Given in another mode they did nothing, and said nothing (--check-share 0.5 --mode unary, --batch 8 --mode
# unary): each is said once and left aside, as --republished is with a file's articles.
MODE_FLAGS = {
    "check_share": ModeFlag("--check-share", ("mix",), 0.5),
    "batch": ModeFlag("--batch", ("batch",), 64),
    "window": ModeFlag("--window", ("stream", "batch"), None),
    "retries": ModeFlag("--retries", ("stream", "batch"), Retry.attempts),
}


def _settle_mode_flags(args: argparse.Namespace) -> None:
    """The flags --mode does not read, given, said on stderr (one line) and left aside; every one then at its
    default unless given."""
    aside = [f for dest, f in MODE_FLAGS.items() if getattr(args, dest) is not None and args.mode not in f.modes]
    if aside:
        which = "; ".join(f"{f.flag} is read in --mode {' or '.join(f.modes)}" for f in aside)
        _said_once(f"{', '.join(f.flag for f in aside)} left aside in --mode {args.mode} ({which})")
    for dest, f in MODE_FLAGS.items():
        if getattr(args, dest) is None or f in aside:
            setattr(args, dest, f.default)


def build_parser(env: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """The flags; `env` (none by default: main passes the process's) gives the connection flags' defaults from
    NEARDUP_SERVER, NEARDUP_TLS, NEARDUP_CA_FILE, NEARDUP_CERT_FILE, NEARDUP_KEY_FILE and NEARDUP_TOKEN_FILE, read
    by the neardup CLI's own code: an
    environment set up for `neardup ingest` targets the same server the same way (the bench read none of them,
    and benchmarked the default address, in plaintext)."""
    p = argparse.ArgumentParser(prog="neardup-bench", description=__doc__.split("\n\n")[0])
    add_connection_flags(p, env or {}, prog="neardup-bench", server_names=("--target", "--server"), server_type=_target,
                         server_help="server address, loopback only (--server, as neardup names it, works too; "
                                     "--spawn leaves it and the NEARDUP_* variables aside)")  # fmt: skip
    p.add_argument("--spawn", action="store_true",
                   help="start a fresh server on 127.0.0.1 port 0 for this run (plaintext, no token, unless "
                        "--server-arg says): --target and the NEARDUP_* connection variables are left aside; "
                        "--tls, --ca-file, --cert-file, --key-file and --token-file still apply")  # fmt: skip
    p.add_argument("--server-arg", action="append", default=[], help="extra flag for the spawned server")
    p.add_argument("--mode", choices=MODES, default="stream")
    p.add_argument("--concurrency", type=whole_number(1), default=2, help="calls (or streams) in flight at once")
    p.add_argument("--count", type=whole_number(1),
                   help="articles to send (default, with no --duration: 10,000 generated articles, or every article "
                        "of an --articles file, up to 50,000)")  # fmt: skip
    p.add_argument("--duration", type=number(0),
                   help=f"seconds to run: no article is asked for after it and no failed stream opened again; the "
                        f"answers to the articles in flight are awaited {DURATION_GRACE:g} s more at most (less if "
                        f"--timeout says), then the rest count as {UNANSWERED} (a server that stalls does not hold "
                        "the run)")  # fmt: skip
    p.add_argument("--rate", type=number(0), help="target articles/s over all senders (default: as fast as possible)")
    p.add_argument(
        "--check-share",
        type=number(0, 1, low_included=True),
        help=f"share of CheckArticle calls in --mode mix (default {MODE_FLAGS['check_share'].default})",
    )
    p.add_argument("--batch", type=_batch_size,
                   help=f"articles per message in --mode batch, at most {MAX_BATCH_ARTICLES} (the client's cap on a "
                        f"message; default {MODE_FLAGS['batch'].default})")  # fmt: skip
    p.add_argument("--window", type=whole_number(1),
                   help=f"articles one stream may have sent and not had answered (default {STREAM_MODE_WINDOW} in "
                        "--mode stream, 2 batches in --mode batch; a batch bigger than it goes alone): an article's "
                        "latency runs from its first send (sent again if its stream failed) to its answer")  # fmt: skip
    p.add_argument("--retries", type=whole_number(0),
                   help="in --mode stream and batch, a stream that fails with UNAVAILABLE, RESOURCE_EXHAUSTED or "
                        "CANCELLED (the server restarting, busy: --max-streams, or stopping) is opened again and its "
                        "unanswered articles sent again, as `neardup ingest` does, up to this many times in a row, "
                        "backing off from 0.5 s to 10 s (an answer resets the count; 0: the failed stream ends its "
                        f"sender; default {Retry.attempts}). A full store is never retried, whatever this is: its "
                        "first article refused (RESOURCE_EXHAUSTED, the server asking for no retry), in any mode, "
                        "ends the run, and a line under the table says so")  # fmt: skip
    p.add_argument("--articles", default="generated", help="'generated' or a JSONL(.gz) file of articles")
    p.add_argument(
        "--republished",
        type=number(0, 1, low_included=True),
        help=f"share of republications among generated articles, and in --mode mix of the checks, copies of articles "
        f"the run has indexed, with a file's articles too (default {DEFAULT_REPUBLISHED})",
    )
    p.add_argument("--seed", type=int, default=7,
                   help="seed of the generated articles; their ids carry it (gen-SEED-N): a second run with the same "
                        "seed against one server re-sends the same articles")  # fmt: skip
    p.add_argument(
        "--preload", type=whole_number(0), default=0, help="index this many other articles before the run (in batches)"
    )
    p.add_argument("--server-pid", type=whole_number(1), help="sample this process's RSS every second (soak runs)")
    p.add_argument("--timeout", type=number(0), default=600.0, help="deadline per call or stream, seconds")
    p.add_argument("--wait-for-server", type=number(0), default=READY_WAIT, metavar="SECONDS",
                   help="how long to wait for the server to answer at the start, for a pipeline that starts it "
                        "beside the bench (default %(default)g)")  # fmt: skip
    p.add_argument("--compare", action="store_true",
                   help="also time the calls answered OK in-process, through neardup's detection core and the "
                        "datasketch recipe, each call as the server was asked (an index call queries then inserts, "
                        "a check queries only, on an index of the --preload articles built beforehand)")  # fmt: skip
    p.add_argument("--report", type=Path, default=Path("bench-report.json"),
                   help="the JSON report's path: what was asked and measured, each answer's time, latency and status "
                        "(default %(default)s; a file the bench did not write is refused)")  # fmt: skip
    p.add_argument("--plot", type=Path, default=Path("bench-report.png"),
                   help="the PNG plot's path: throughput over time, latency histogram, server RSS (default "
                        "%(default)s; needs matplotlib; a file the bench did not write is refused)")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no live progress bar on stderr")
    return p


def _said_once(line: str) -> None:
    """A line on stderr as it is: rich would wrap it, and read a quoted line's brackets as markup."""
    print(f"neardup-bench: {line}", file=sys.stderr)


def _token(path: str | None) -> str | None:
    """The bearer token in --token-file (read as the neardup CLI reads it), or the run ended saying why not."""
    if path is None:
        return None
    try:
        token = read_token_file(path)
        bearer_metadata(token)  # (a token no gRPC header can carry: said now, not as INTERNAL on every call)
    except OSError as exc:
        raise SystemExit(f"neardup-bench: cannot read the token file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SystemExit(f"neardup-bench: {exc}") from None
    return token


def _parameters(args: argparse.Namespace, target: str, window: int | None) -> dict[str, Any]:
    """What the run was asked, for the JSON report: a report is read apart from the command that made it.
    `window`: the one the streams kept (the run's config says, the default's too)."""
    return {
        "target": target, "spawned": args.spawn, "server_args": args.server_arg, "mode": args.mode,
        "concurrency": args.concurrency, "count": args.count, "duration": args.duration, "rate": args.rate,
        "check_share": args.check_share if args.mode == "mix" else None,
        "batch": args.batch if args.mode == "batch" else None,
        "window": window,  # (the default's too: a null, when --window was left out, read as no window at all)
        "retries": args.retries if args.mode in ("stream", "batch") else None,
        "articles": args.articles, "republished": args.republished,
        "seed": args.seed, "preload": args.preload,
        "timeout": args.timeout, "wait_for_server": args.wait_for_server,
        "tls": args.tls or args.ca_file is not None or args.cert_file is not None,
        "client_certificate": args.cert_file is not None, "token": args.token_file is not None,
    }  # fmt: skip


def _warn_if_resent(report: dict[str, Any], articles: str) -> None:
    """Say so when the server had the articles already: with the same --articles (and --seed, for generated ones) a
    second run sends the same ids, and measures re-sends (nothing stored), not ingest."""
    # (Less those sent again after a stream failed: its server had stored them, and their answer was lost.)
    unchanged = report["index_outcomes"].get("UNCHANGED", 0) - report.get("unchanged_on_resend", 0)
    if not unchanged:
        return
    if articles == "generated":
        why, instead = "an earlier run with the same --seed?", "give another --seed, or a fresh server (--spawn)"
    else:  # (--seed makes no id of a file's: it was advised, and the next run measured re-sends again)
        why = f"an earlier run of {articles} against it, or ids the file gives more than once?"
        instead = "run against a fresh server (--spawn), or one over another --data-dir"
    console.print(f"neardup-bench: {unchanged:,} of the articles indexed were stored on the server already ({why}): "
                  f"this run measured re-sends; {instead}")  # fmt: skip


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    """The command line, with the connection flags' defaults from `env`, but for --spawn: its server is not the one
    they name (it is started with no NEARDUP_* variable, plaintext and with no token unless --server-arg says), so
    they are left aside, saying so; flags given still apply."""
    parser = build_parser(env)
    args = parser.parse_args(argv)
    # (Before any work: a --report or --plot naming a doc wrote over it at the end of the run.)
    outputs.guard_report(parser, "--report", args.report, REPORT, "bench-report.json")
    outputs.guard_plot(parser, "--plot", args.plot, PLOT_MARK, "bench-report.png")
    if args.server_pid is not None and (why := _unsampled(args.server_pid)):
        parser.error(f"--server-pid {args.server_pid}: {why}")
    if args.spawn:
        if set_aside := [name for name in CONNECTION_VARIABLES if env.get(name)]:
            console.print(f"neardup-bench: --spawn: {', '.join(set_aside)} left aside (they name another server "
                          "than the one spawned; --tls, --ca-file, --cert-file, --key-file and --token-file apply "
                          "to it)")  # fmt: skip
        args = build_parser().parse_args(argv)
    settle_tls(args, "neardup-bench")  # (--no-tls sets aside the TLS files the variables name, as neardup's)
    _settle_mode_flags(args)
    return args


def _unsampled(pid: int) -> str | None:
    """Why process `pid` cannot be sampled, said before the run (it crashed at its first sample, with a
    FileNotFoundError traceback); None when it can."""
    try:
        cpu_seconds(pid)
    except FileNotFoundError:
        return ("no such process; nothing was run: give the pid of the running server (e.g. pgrep -f 'neardup "
                "serve'), or --spawn, which samples the server it starts")  # fmt: skip
    except (OSError, ValueError) as exc:  # (no /proc: not Linux)
        return f"cannot read /proc/{pid}/stat ({getattr(exc, 'strerror', None) or exc}); nothing was run"
    return None


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """`env`: the environment the connection flags' defaults come from (the process's when None)."""
    try:
        return _main(argv, os.environ if env is None else env)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 2  # (as argparse exits for a flag it refuses)


def _main(argv: Sequence[str] | None, env: Mapping[str, str]) -> int:
    args = parse_args(argv, env)
    if args.count is None and args.duration is None and args.articles == "generated":
        args.count = 10_000  # always bounded
    copies_checked = args.mode == "mix"  # (--republished: the share of its checks that copy a stored article)
    if args.articles != "generated" and not copies_checked and args.republished is not None:
        console.print(f"neardup-bench: --republished is left aside: {args.articles}'s articles are sent as they are "
                      "(in --mode mix it is the share of checks that copy an article the run indexed)")  # fmt: skip
        args.republished = None
    if (args.articles == "generated" or copies_checked) and args.republished is None:
        args.republished = DEFAULT_REPUBLISHED
    if not args.spawn:  # (a target refused at once, before any article is made)
        require_loopback(args.target)
    # How each run connects: the preload's and the load's.
    connection: dict[str, Any] = {"tls": args.tls, "ca_file": args.ca_file, "cert_file": args.cert_file,
                                  "key_file": args.key_file, "token": _token(args.token_file),
                                  "wait_for_server": args.wait_for_server}  # fmt: skip
    # No server there: said before generated articles are made (10,000 took 6 s), and before anything is timed
    # for --compare. A file is read first: what is wrong with it is said with no server.
    if args.articles == "generated":
        _require_server(args)
    preload, articles = _run_articles(args)
    if args.articles != "generated":
        _require_server(args)
    try:
        return _run(args, connection, preload, articles, env)
    finally:
        if isinstance(articles, GeneratedArticles):
            articles.close()


def _require_server(args: argparse.Namespace) -> None:
    """The run ended with a one-line reason if no server answers at --target (--spawn starts its own later)."""
    if not args.spawn:
        connect(args.target, args.tls, args.ca_file, args.wait_for_server, args.cert_file, args.key_file).close()


def _run_articles(args: argparse.Namespace) -> tuple[list[Article], Articles]:
    """The articles to preload, and those of the run: made as it goes for a --duration run of generated
    articles, else read or made now (up to 50,000 for a --duration run of a file's)."""
    if args.articles == "generated" and args.count is None:  # (a --duration run: no --count was given)
        generator = corpus.ArticleGenerator(corpus.GeneratorConfig(republished=args.republished, seed=args.seed))
        preload = [generator.make(n) for n in range(args.preload)]
        # A paced run sends at most rate x duration articles: make no more.
        cap = int(args.rate * args.duration) + 1 if args.rate else GENERATED_CAP
        return preload, GeneratedArticles(generator, args.preload, cap)
    pool = args.count if args.count is not None else 50_000
    if args.duration and args.rate:  # a paced run sends at most rate x duration, whatever --count says
        pool = min(pool, int(args.rate * args.duration) + 1)
    loaded = corpus.articles_or_exit(
        "neardup-bench", args.articles, pool + args.preload, args.republished or 0.0, args.seed
    )
    preload, articles = loaded[: args.preload], loaded[args.preload :]
    # Refused only when the file cannot hold what the run can send: with --duration and --rate too, the run
    # ends at whichever limit comes first (it used to set --count against the capped pool, and refuse).
    if args.count is not None and len(articles) < pool:  # (none is sent twice under a new id)
        held = f"{len(loaded):,}" + (f", {len(preload):,} of them for --preload" if preload else "")
        raise Refused(
            f"--count {args.count:,} asks for more articles than {args.articles} holds ({held}): lower --count, or "
            "name a larger file"
        )
    return preload, articles


def _run(
    args: argparse.Namespace,
    connection: dict[str, Any],
    preload: list[Article],
    articles: Articles,
    env: Mapping[str, str],
) -> int:
    """The run once its articles are to hand: the load (after --preload), --compare, the report; the exit code."""
    # With --count the load sends exactly these articles (unless it fails): time the recipe on them first too.
    recipe_before = None
    if args.compare and args.count and isinstance(articles, list):
        recipe_before = recipe_before_the_load(args.mode, articles[: args.count], preload)
    try:
        spawned = SpawnedServer(args.server_arg, env=env) if args.spawn else None
    except KeyboardInterrupt:  # (SpawnedServer stopped it; a traceback from the wait for its port said no more)
        console.print("neardup-bench: interrupted by Ctrl-C while the spawned server started (it is stopped)")
        return INTERRUPTED
    except SpawnFailed as exc:  # (printed as it is: rich would wrap its lines, and read the usage's [--flag] as markup)
        print(f"neardup-bench: {exc}", file=sys.stderr)
        return 1
    stopping = False  # (a Ctrl-C ended the run: the spawned server, in the bench's process group, had it too)
    try:
        target = spawned.target if spawned else args.target
        pid = args.server_pid or (spawned.proc.pid if spawned else None)
        preload_full = None
        if preload:
            loaded = run_load(RunConfig(target, "batch", 2, None, None, None, 0, args.timeout, None,
                                        not args.no_progress, **connection, retries=args.retries),
                                  preload)  # fmt: skip
            if loaded["interrupted"]:
                stopping = True
                console.print(f"neardup-bench: interrupted by Ctrl-C during the preload ({loaded['ok']} indexed)")
                return INTERRUPTED
            # A full store stopped the preload at its first refusal: the load is not run. Its figures would be
            # those of a smaller index than asked (a check run's queries, a mix run's), said in a line alone under
            # them; the report and the line under the header say why, and the exit code is 1, as for a full store
            # during the load. (It said nothing, exit 0, store_full null; then it ran the load on what it had.)
            if loaded["store_full"] is not None:
                preload_full = {**loaded["store_full"], "preload": len(preload), "indexed": loaded["ok"],
                                "not_sent": loaded["not_sent"]}  # fmt: skip
        config = RunConfig(target, args.mode, args.concurrency, args.count, args.duration, args.rate,
                           args.check_share, args.timeout, pid, not args.no_progress, args.batch,
                           args.window, **connection, republished=args.republished or 0.0,
                           seed=args.seed, retries=args.retries)  # fmt: skip
        if preload_full is not None:
            return _load_not_run(args, config, preload_full)
        record = Record(ok_calls=[] if args.compare else None)  # (kept for --compare only: memory)
        report = run_load(config, articles, record)
        stopping = report["interrupted"]
    except KeyboardInterrupt:
        stopping = True
        raise
    finally:
        if spawned:
            spawned.close(stopping)  # (after a Ctrl-C, the server had it too: it is waited for before a SIGTERM)
    if args.compare:
        try:
            _compare_ok(report, answered_ok(record.ok_calls or [], preload), recipe_before, args.count)
        except KeyboardInterrupt:  # (the load's report is still written: it lost the whole run's)
            report["compare"], report["compare_interrupted"] = None, True
    report["preload_store_full"] = None  # (one there ended the run before the load: _load_not_run)
    report["load_not_run"] = None
    _warn_if_resent(report, args.articles)
    _write_report(args, target, report)
    print_table(report)
    # (Only what was written is named: without matplotlib the line named a plot never made.)
    plotted = save_plot(report, args.plot)
    out.print(f"report: {args.report}" + (f"  plot: {args.plot}" if plotted else ""))
    if report["interrupted"] or report.get("compare_interrupted"):
        return INTERRUPTED
    return 0 if report["ok"] == report["articles"] else 1


def _load_not_run(args: argparse.Namespace, config: RunConfig, preload_full: dict[str, Any]) -> int:
    """A full store cut --preload short (`preload_full`): the load is not run, and the run says so under its header
    and in its report (`load_not_run` saying why, `preload_store_full` what the preload did and the server's
    message), which holds the keys of a load's report with no figure of a load: null where the load would have
    measured it (latency_ms {} as a kind with no answer's; no 0.0 ms or 0 s of a run that never was), none answered,
    and its planned --count never sent (null when --duration alone bounded it). No plot is drawn, and one an earlier
    run left at --plot (the bench's own: the guard refused any other) is removed: it was of another report. Exit code
    1, as for a full store during the load."""
    report = summarise(config, Record(), 0.0, [])
    report.update(seconds=None, throughput=None, answered_per_s=None, latency_ms={}, interrupted=False,
                  not_sent=config.count, due_not_sent=None, host_cpu=None, ran_out_of_articles=None,
                  client_cpu_us_per_article=None, waited_for_articles_s=None, preload_store_full=preload_full,
                  load_not_run="the store was full during the preload")  # fmt: skip
    if config.server_pid:
        report["server_cpu_us_per_article"] = report["server_ended"] = None
    if args.compare:  # (nothing to compare: the recipe's figures alone would be read as the load's)
        report["compare"] = None
    _write_report(args, config.target, report)
    out.print(f"neardup-bench: {report['mode']} x{report['concurrency']}: the load was not run")
    out.print(_full_store_line(preload_full, preload_full["not_sent"], during_the_preload=True))
    out.print(f"report: {args.report}  (no plot: no load was run{_removed_earlier_plot(args.plot)})")
    return 1


def _removed_earlier_plot(plot: Path) -> str:
    """Remove a plot an earlier run left at `plot` (the bench's own: the guard refused any other), and say what
    became of it. Told after the lines saying why the load was not run: a failed removal is said, not raised, so
    that they are never lost to a traceback."""
    if not (plot.is_file() and outputs.plot_of(PLOT_MARK)(plot)):
        return ""
    try:
        plot.unlink()
    except OSError as exc:
        return f"; the earlier run's plot at {plot} is left: it could not be removed ({exc.strerror or exc})"
    return f"; the earlier run's plot at {plot} was removed"


def _write_report(args: argparse.Namespace, target: str, report: dict[str, Any]) -> None:
    """The end of a run's report, whether its load ran or not (`_load_not_run`): the machine and the run's parameters,
    then the report written to --report."""
    report["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    report["parameters"] = _parameters(args, target, report["window"])
    args.report.write_text(json.dumps(report) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
