"""Ingest throughput on Redis: neardup replicas on one Redis and on a 3-node cluster, beside the
embedded store and beside datasketch's own Redis storage, all in one run.

    .venv/bin/python -m benchmarks.redis_scaling --articles 3000 --out benchmarks/results/redis_scaling.md

Two levels, each a ratio measured in this run (the machine is shared and noisy):
- store level, in process, fingerprints computed beforehand: what one replica's writer thread
  sustains (detect + insert, group commits) against datasketch MinHashLSH on Redis inserting the
  same signatures (insert only, no detection);
- end to end: `neardup serve` processes fed by gRPC streams (one per replica, all at once), so
  fingerprinting, gRPC and the store are all in the figure.

It starts its own redis-servers (AOF, appendfsync always) on free loopback ports.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from datasketch import MinHashLSH
from rich.console import Console
from rich.table import Table

from benchmarks import outputs
from benchmarks.corpus import SHARED
from benchmarks.loadtest import SpawnedServer
from benchmarks.loopback import RedisServer, redis_cluster
from client import Article as ClientArticle
from client import NeardupClient
from client.api import Verdict as ClientVerdict
from service.detector import Detector
from service.engine import Engine
from service.model import Article, PreparedArticle, Verdict
from service.redis_store import RedisStore
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from service.storage import Store

CORPUS = SHARED / "corpora" / "reuters21578.jsonl.gz"
PARAMS = DetectionParams()
ALWAYS = "AOF fsync always"
NO_AOF = "no AOF"


@dataclass
class Row:
    level: str
    setup: str
    replicas: int
    articles: int
    seconds: float
    redis: str = ""  # durability of the Redis it ran on: ratios compare rows on the same kind of Redis

    @property
    def rate(self) -> float:
        return self.articles / self.seconds

    @property
    def per_replica(self) -> float:
        return self.rate / self.replicas


def load_articles(limit: int) -> list[Article]:
    out = []
    with gzip.open(CORPUS, "rt") as lines:
        for line in lines:
            item = json.loads(line)
            if len(item["body"].split()) >= 20:
                out.append(Article(item["id"], item["body"], item.get("title", "")))
            if len(out) == limit:
                break
    return out


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# ---- store level ------------------------------------------------------------------------------


def engine_ingest(store: Store, prepared: list[PreparedArticle]) -> float:
    engine = Engine(Detector(PARAMS, 1 << 20), store)
    try:
        futures: list[Future[Verdict]] = [engine.submit(p) for p in prepared]
        return timed(lambda: [f.result(timeout=600) for f in futures])
    finally:
        engine.close()


def datasketch_ingest(port: int, prepared: list[PreparedArticle], session: bool) -> float:
    maker = Detector(PARAMS, 1 << 20).signatures
    config = {"type": "redis", "basename": b"dsbench" + bytes([session]), "redis": {"host": "127.0.0.1", "port": port}}
    lsh = MinHashLSH(num_perm=PARAMS.num_perm, params=(PARAMS.lsh_bands, PARAMS.lsh_rows), storage_config=config)
    items = [(p.article.id, maker.lean(p.fingerprint.signature)) for p in prepared]

    def run() -> None:
        if session:
            with lsh.insertion_session(buffer_size=50_000) as s:
                for key, sig in items:
                    s.insert(key, sig, check_duplication=False)
        else:
            for key, sig in items:
                lsh.insert(key, sig, check_duplication=False)

    return timed(run)


def store_level(
    prepared: list[PreparedArticle], redises: dict[str, RedisServer], cluster_url: str, tmp: Path
) -> list[Row]:
    small = prepared[:300]  # datasketch insert() makes a round trip (and an fsync) per command: slow
    rows = [Row("store", "embedded (SQLite + in-memory LSH)", 1, len(prepared),
                engine_ingest(SqliteStore(tmp / "bench.db", PARAMS), prepared))]  # fmt: skip
    for durability, server in redises.items():
        rows += [
            Row("store", "datasketch MinHashLSH redis storage, insert()", 1, len(small),
                datasketch_ingest(server.port, small, session=False), durability),
            Row("store", "datasketch MinHashLSH redis storage, insertion_session", 1, len(prepared),
                datasketch_ingest(server.port, prepared, session=True), durability),
            Row("store", "neardup RedisStore, one Redis", 1, len(prepared),
                engine_ingest(cleared(server.url), prepared), durability),
        ]  # fmt: skip
    rows.append(Row("store", "neardup RedisStore, 3-node cluster", 1, len(prepared),
                    engine_ingest(cleared(cluster_url), prepared), ALWAYS))  # fmt: skip
    return rows


def cleared(url: str) -> RedisStore:
    store = RedisStore(url, PARAMS)
    store.clear()
    return store


# ---- end to end -------------------------------------------------------------------------------


def replicas_ingest(args: list[str], count: int, articles: list[ClientArticle], tmp: Path) -> float:
    with ExitStack() as stack:
        procs = []
        for i in range(count):
            proc = SpawnedServer(args, data_dir=tmp / f"r{count}-{i}")
            stack.callback(proc.close)
            procs.append(proc)
        slices = [articles[i::count] for i in range(count)]

        def feed(proc: SpawnedServer, items: list[ClientArticle]) -> int:
            with NeardupClient(proc.target, timeout=None) as client:
                outcomes = list(client.index_stream(items))
            failed = [o for o in outcomes if not isinstance(o, ClientVerdict)]
            if failed:
                raise RuntimeError(f"{len(failed)} articles failed, e.g. {failed[0]}")
            return len(outcomes)

        with ThreadPoolExecutor(count) as pool:
            return timed(
                lambda: [f.result() for f in [pool.submit(feed, *job) for job in zip(procs, slices, strict=True)]]
            )


def end_to_end(articles: list[Article], single: RedisServer, cluster_url: str, tmp: Path) -> list[Row]:
    sent = [ClientArticle(a.id, a.body, a.title) for a in articles]
    rows = [Row("end to end", "embedded (SQLite)", 1, len(sent), replicas_ingest([], 1, sent, tmp))]
    for name, url in (("one Redis", single.url), ("3-node cluster", cluster_url)):
        for count in (1, 2, 3):
            cleared(url).close()
            seconds = replicas_ingest(["--store", "redis", "--redis-url", url], count, sent, tmp)
            rows.append(Row("end to end", f"neardup on {name}", count, len(sent), seconds, ALWAYS))
    return rows


def render(rows: list[Row], command: str) -> tuple[Table, str]:
    baselines = {r.redis: r.rate for r in rows if r.setup.endswith("insert()")}
    columns = ("level", "setup", "Redis", "replicas", "articles", "seconds", "articles/s", "per replica",
               "per replica ÷ datasketch insert() on the same Redis")  # fmt: skip
    table = Table(title="Ingest throughput (articles/s)")
    for col in columns:
        table.add_column(col, justify="left" if col in ("level", "setup", "Redis") else "right")
    lines = [f"Command: `{command}`", "", "| " + " | ".join(columns) + " |",
             "|---|---|---|" + "---:|" * (len(columns) - 3)]  # fmt: skip
    for r in rows:
        ratio = f"{r.per_replica / baselines[r.redis]:.1f}×" if r.redis in baselines else ""
        cells = [r.level, r.setup, r.redis or "-", str(r.replicas), str(r.articles), f"{r.seconds:.2f}",
                 f"{r.rate:,.0f}", f"{r.per_replica:,.0f}", ratio]  # fmt: skip
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    return table, "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000, help="Reuters articles to ingest (default 3000)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/redis_scaling.md"))
    args = parser.parse_args(argv)
    ours = {args.out: outputs.markdown_starting("Command: `python -m benchmarks.redis_scaling")}
    outputs.guard(parser, "--out", args.out, ours, "benchmarks/results/redis_scaling.md")
    console = Console()
    articles = load_articles(args.articles)
    detector = Detector(PARAMS, 1 << 20)
    prepared: list[PreparedArticle] = [detector.prepare(a) for a in articles]
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        single = RedisServer(tmp / "redis").start()  # appendonly yes, appendfsync always
        stack.callback(single.stop)
        volatile = RedisServer(tmp / "redis-volatile", "--appendonly", "no").start()
        stack.callback(volatile.stop)
        cluster_url = stack.enter_context(redis_cluster(tmp / "cluster"))[0].url
        console.print(f"{len(articles)} articles; Redis {single.url}, cluster {cluster_url}")
        rows = store_level(prepared, {ALWAYS: single, NO_AOF: volatile}, cluster_url, tmp)
        rows += end_to_end(articles, single, cluster_url, tmp)
    command = "python -m benchmarks.redis_scaling " + " ".join(argv if argv is not None else sys.argv[1:])
    table, markdown = render(rows, command.strip())
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown)
    console.print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
