"""Prometheus metrics: one registry per server, served over HTTP when --metrics-port is set.

A registry per server (not the global one) lets tests run several servers in one process.
Store timings come from wrapping the store, so the engine and the backends need no hooks.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from typing import Any, cast

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from service import __version__
from service.lsh import GivenKeys
from service.model import PreparedArticle
from service.proc import cpu_seconds
from service.scrape_server import ScrapeServer, serve_registry
from service.settings import FINGERPRINT_SCHEME
from service.storage import Store, Transaction

log = logging.getLogger(__name__)

# Seconds: from sub-millisecond checks to multi-second commits of big batches on a slow disk.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A call's: and up to 10 minutes, for the ingest streams (at ~1,000 articles/s, a stream of 100k takes 100 s).
_CALL_BUCKETS = (*_LATENCY_BUCKETS, 30.0, 60.0, 120.0, 300.0, 600.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Metrics:
    def __init__(self) -> None:
        # No `_created` series (a counter's or a histogram's start time, as a sample of its own, for each set of
        # labels): they doubled the series scraped, and Prometheus reads restarts from the counters' resets.
        # (A switch of the whole process's, which the server is.)
        disable_created_metrics()  # type: ignore[no-untyped-call]  # (untyped in prometheus_client)
        # auto_describe: a collector with no describe() of its own (the process collector's, the GC pauses') is
        # asked for its names at registration, so /metrics?name[]=process_open_fds finds its series too.
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # The process's own (process_: CPU seconds, resident memory, open file descriptors against their limit,
        # start time) and the interpreter's (python_info): what an alert on a leak or a restart reads.
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        # neardup_build_info{version, scheme} 1: which release a server runs, as a label to join on (the scheme:
        # the fingerprint scheme it writes new stores in; a store of an earlier one is read by its own).
        build = Info("neardup_build", "The neardup release this server runs, and the fingerprint scheme it writes "
                     "new stores in", registry=r)  # fmt: skip
        build.info({"version": __version__, "scheme": FINGERPRINT_SCHEME.split(":")[0]})
        self.calls = Counter("neardup_rpc_calls", "gRPC calls finished, by method and status code",
                             ["method", "code"], registry=r)  # fmt: skip
        self.latency = Histogram("neardup_rpc_duration_seconds", "gRPC call duration, by method and status code",
                                 ["method", "code"], buckets=_CALL_BUCKETS, registry=r)  # fmt: skip
        self.in_flight = Gauge("neardup_rpc_in_flight", "gRPC calls being handled now (with those waiting for a "
                               "handler thread, compare --max-concurrent-rpcs)", registry=r)  # fmt: skip
        # Those calls count towards --max-concurrent-rpcs too: a server refusing RESOURCE_EXHAUSTED with fewer calls
        # handled than the limit has them waiting here, for a thread (--max-workers), their deadlines running.
        self.waiting_for_thread = Gauge("neardup_rpc_waiting_for_thread", "gRPC calls waiting for a handler thread "
                                        "(--max-workers)", registry=r)  # fmt: skip
        self.waiting_for_index = Gauge("neardup_rpc_waiting_for_index", "gRPC calls of the service held until the "
                                       "index is loaded, at a start", registry=r)  # fmt: skip
        self.matches = Counter("neardup_matches_reported", "Matches returned in verdicts, by method",
                               ["method"], registry=r)  # fmt: skip
        # A stream's call is OK while each article answered with an error counts here (Redis full, a commit
        # that failed, an invalid article): what an alert on refused writes must watch.
        self.article_errors = Counter("neardup_article_errors", "Articles of a stream answered with an error, by "
                                      "method and status code", ["method", "code"], registry=r)  # fmt: skip
        self.articles = Gauge("neardup_articles_stored", "Articles in the store (NaN while the index loads, or the "
                              "store cannot answer)", registry=r)  # fmt: skip
        self.commit_seconds = Histogram("neardup_store_commit_seconds",
                                        "Write transaction duration (decisions + commit + fsync)",
                                        buckets=_LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.read_seconds = Histogram("neardup_store_read_seconds",
                                      "Read transaction duration (checks, gets, group listings, stats, and the "
                                      "counts read at each scrape)", buckets=_LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.batch_articles = Histogram("neardup_store_batch_articles", "Articles stored per committed transaction",
                                        buckets=_BATCH_BUCKETS, registry=r)  # fmt: skip
        self.boilerplate_learned = Gauge(
            "neardup_boilerplate_learned",
            "Sampled shingles learned as boilerplate (seen in --boilerplate-after stories); NaN on Redis",
            registry=r,
        )
        self.store_answers = Gauge(
            "neardup_store_answers",
            "1 while the store answers, 0 while it does not (or the index loads at a start) and health reports "
            "NOT_SERVING (--store-check-seconds)",
            registry=r,
        )
        # 0 until the store is open and answers (set by the store watch once the index is loaded): readiness says
        # NOT_SERVING meanwhile, and 1 there told a dashboard the store answered while no call could be served.
        self.store_answers.set(0)
        # Not known until the store is open (the metrics port serves during the index's load): 0 there read as a
        # store emptied at every restart, to a dashboard or an alert on a drop in articles.
        self.articles.set(math.nan)
        self.boilerplate_learned.set(math.nan)
        self._gc = _GcPauses()
        r.register(self._gc)
        self._http: ScrapeServer | None = None

    def count_articles_with(self, count: Callable[[], int]) -> None:
        """Read the article count from the store at scrape time (NaN if the store cannot answer)."""
        self.articles.set_function(_at_scrape(count))

    def count_waiting_with(self, count: Callable[[], int]) -> None:
        """Read the calls waiting for a handler thread from the server's pool at scrape time."""
        self.waiting_for_thread.set_function(count)

    def count_boilerplate_with(self, count: Callable[[], int | None]) -> None:
        self.boilerplate_learned.set_function(_at_scrape(count))

    def watch_workers(self, pids: Callable[[], Iterable[int]]) -> None:
        """Serve the fingerprint workers' CPU time and resident memory, summed over the processes `pids` gives at
        a scrape: process_* describe the server's own process only, and the workers do about half the CPU work."""
        self.registry.register(_WorkerUsage(pids))

    def timed(self, store: Store) -> Store:
        return cast(Store, _TimedStore(store, self))

    def serve(self, host: str, port: int) -> int:
        """Serve /metrics on host:port (0 = any free port); returns the bound port."""
        self._http = serve_registry(host, port, self.registry)
        return int(self._http.server_port)

    def close(self) -> None:
        self._gc.close()
        if self._http is not None:
            self._http.close()
            self._http = None


class _GcPauses(Collector):
    """How long the garbage collector stopped the server, by generation: every thread waits for a pass,
    and a full one walks every object the collector tracks, so a large index left to it shows up in
    call latency. Counted in a `gc.callbacks` hook without taking a lock (a lock there could be the
    one the interrupted thread holds), and turned into a histogram at scrape time."""

    def __init__(self) -> None:
        self._started = 0.0
        self._counts = [[0] * (len(_LATENCY_BUCKETS) + 1) for _ in range(3)]  # per bucket, the last for +Inf
        self._sums = [0.0] * 3
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
            return
        took, generation = now - self._started, info["generation"]
        self._counts[generation][bisect.bisect_left(_LATENCY_BUCKETS, took)] += 1
        self._sums[generation] += took

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily("neardup_gc_pause_seconds",
                                       "Garbage-collector passes of the server process and how long each "
                                       "stopped it, by generation (2: full passes)", labels=["generation"])  # fmt: skip
        for generation, counts in enumerate(self._counts):
            cumulative = list(itertools.accumulate(counts))
            buckets = [(str(bound), float(n)) for bound, n in zip(_LATENCY_BUCKETS, cumulative, strict=False)]
            family.add_metric([str(generation)], [*buckets, ("+Inf", float(cumulative[-1]))], self._sums[generation])
        yield family

    def close(self) -> None:
        with suppress(ValueError):  # (closed twice)
            gc.callbacks.remove(self._on_gc)


class _WorkerUsage(Collector):
    """The fingerprint workers' CPU seconds and resident memory, summed over those alive at a scrape, read from
    /proc/<pid>/stat (service.proc) and /proc/<pid>/statm as prometheus_client's process collector reads the server's
    own. A worker gone between the listing and the read is skipped; a worker replaced (after one died) takes its CPU
    seconds with it, so the sum drops: a counter's reset to Prometheus, which rate() and increase() allow for. Nothing
    where there is no /proc (not Linux)."""

    def __init__(self, pids: Callable[[], Iterable[int]]) -> None:
        self._pids = pids
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def describe(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        cpu, memory = self._families()
        if not os.path.isdir("/proc/self"):
            return
        seconds, resident = 0.0, 0.0
        for pid in self._pids():
            try:
                worker_seconds = cpu_seconds(pid)
                with open(f"/proc/{pid}/statm", "rb") as statm:
                    pages = int(statm.read().split()[1])  # (its second field: the resident pages)
            except (OSError, ValueError, IndexError):  # (it ended meanwhile)
                continue
            seconds += worker_seconds
            resident += pages * self._page
        cpu.add_metric([], seconds)
        memory.add_metric([], resident)
        yield cpu
        yield memory

    @staticmethod
    def _families() -> tuple[CounterMetricFamily, GaugeMetricFamily]:
        cpu = CounterMetricFamily("neardup_fingerprint_workers_cpu_seconds",
                                  "User and system CPU time of the fingerprint worker processes running now, summed "
                                  "(drops when a worker is replaced: a counter reset)")  # fmt: skip
        memory = GaugeMetricFamily("neardup_fingerprint_workers_resident_memory_bytes",
                                   "Resident memory of the fingerprint worker processes running now, summed (pages "
                                   "shared with the forkserver counted in each)")  # fmt: skip
        return cpu, memory


def _at_scrape(read: Callable[[], int | None]) -> Callable[[], float]:
    def value() -> float:
        try:
            number = read()
        except Exception:  # a scrape during shutdown must not fail the whole /metrics page
            return math.nan
        return math.nan if number is None else float(number)

    return value


class _TimedStore:
    """A Store that records how long transactions take and how many articles each write stores."""

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self._store = store
        self._metrics = metrics
        self.kind = store.kind
        self.shared = store.shared
        self.params = store.params

    def read(self) -> AbstractContextManager[Transaction]:
        return self._timed(self._store.read(), self._metrics.read_seconds, None)

    def write(self) -> AbstractContextManager[Transaction]:
        return self._timed(self._store.write(), self._metrics.commit_seconds, self._metrics.batch_articles)

    def maintain(self) -> None:
        self._store.maintain()

    def check(self) -> None:
        self._store.check()

    def close(self) -> None:
        self._store.close()

    def hold(self, counts: Mapping[str, int]) -> None:
        self._store.hold(counts)

    def held_elsewhere(self, article_ids: Iterable[str]) -> set[str]:
        return self._store.held_elsewhere(article_ids)

    @staticmethod
    @contextmanager
    def _timed(
        inner: AbstractContextManager[Transaction], seconds: Histogram, batch: Histogram | None
    ) -> Iterator[Transaction]:
        started = time.perf_counter()
        with inner as tx:
            counting = _CountingTransaction(tx)
            yield cast(Transaction, counting)
        # Reached only when the block committed: failed transactions are counted by the callers' status codes.
        seconds.observe(time.perf_counter() - started)
        if batch is not None and counting.inserted:
            batch.observe(counting.inserted)


class _CountingTransaction:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self.inserted = 0

    def insert(
        self, prepared: PreparedArticle, indexed_at: datetime, group_root: str, arrival: int | None = None
    ) -> None:
        self._tx.insert(prepared, indexed_at, group_root, arrival)
        self.inserted += 1

    def insert_new(
        self, articles: Sequence[PreparedArticle], indexed_at: datetime, band_keys: GivenKeys | None = None
    ) -> None:
        self._tx.insert_new(articles, indexed_at, band_keys)
        self.inserted += len(articles)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)
