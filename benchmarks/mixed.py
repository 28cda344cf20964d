"""Checks during an ingest: CheckArticle latency while an ingest runs, against checks alone, in one run.

    python -m benchmarks.scaling --sizes 100000 --data-dir /var/tmp/nd100k      # once: a store to test on
    python -m benchmarks.mixed --data-dir /var/tmp/nd100k --ingest-rate 450 --check-rate 50 --rounds 3

Each round restarts `neardup serve` on the kept store and measures, at the same check rate and with
the same queries, first checks alone, then checks while one IndexArticleBatches stream (64 a message)
ingests new generated articles at --ingest-rate. The ingest runs in a process of its own, as an
ingest pipeline would: in this process its stream would share the checks' GIL and slow the load
client, not the server. The queries continue the generator that built the store (same seed, so ~15 %
republish stored stories): replaying it costs ~0.3 ms an article, ~5 min for a 1M store, once with
--queries-cache. Each round adds --ingest-count articles to the store; with --keep-size it deletes them
again after the round, so that every round meets the store at the size it was built to (the targets'
1M). Writes <out>.json and <out>.md (--out is a prefix), and refuses, before any work, to write over a file there
that it did not write.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import outputs
from benchmarks.corpus import ArticleGenerator, GeneratorConfig
from benchmarks.loadtest import SpawnedServer, run_articles
from client import NeardupClient
from client.api import Article
from client.errors import NotFoundError

console = Console(width=160)
# What it writes at --out, and how it tells a file it wrote (its table, whose first cells it has always had).
# (Its rows' keys tell its report from scaling's, which holds "machine" and "rows" too.)
OUTPUTS = {
    ".json": outputs.json_object("machine", "rows", row_keys=("alone", "during", "stored")),
    ".md": outputs.markdown_starting("| round | stored |"),
}
OUT_EXAMPLE = "docs/perf/mixed-DATE, a prefix: it writes docs/perf/mixed-DATE.json and .md"


def generated_stored(client: NeardupClient, seed: int, upper: int) -> int:
    """How many of the generator's articles (ids gen-<seed>-0, -1, ...) the store holds: a store built by
    benchmarks.scaling holds a prefix of them, and the ingests of earlier rounds hold others."""
    low, high = 0, upper  # gen-<seed>-<low - 1> is stored, gen-<seed>-<high> is not
    while low < high:
        middle = (low + high) // 2
        try:
            client.get(f"gen-{seed}-{middle}")
            low = middle + 1
        except NotFoundError:
            high = middle
    return low


def queries_after(stored: int, count: int, seed: int, republished: float) -> list[Article]:
    """The `count` articles the store's generator makes after its first `stored`."""
    generator = ArticleGenerator(GeneratorConfig(republished=republished, seed=seed))
    for n in range(stored):
        generator.make(n)
    return [generator.make(stored + n) for n in range(count)]


def _cached_queries(cache: str | None, key: tuple[int, int, int, float]) -> list[Article]:
    """`queries_after(*key)`, kept in `cache` (a pickle) for the next run on the same store and settings."""
    path = Path(cache) if cache else None
    if path and path.exists():
        saved = pickle.loads(path.read_bytes())
        if saved["key"] == key:
            return list(saved["queries"])
    console.log(f"the store holds the first {key[0]:,} articles of generator seed {key[2]}; replaying it")
    queries = queries_after(*key)
    if path:
        path.write_bytes(pickle.dumps({"key": key, "queries": queries}))
    return queries


def _ingest(target: str, count: int, rate: float, seed: int, republished: float, out: Any) -> None:
    """The ingest pipeline, in a process of its own: new stories (another seed: ids and texts unlike
    the store's) with their own republications."""
    generator = ArticleGenerator(GeneratorConfig(republished=republished, seed=seed))
    out.send(run_articles(target, "batch", [generator.make(n) for n in range(count)], 1, rate))


def measure_round(args: argparse.Namespace, queries: list[Article]) -> dict[str, Any]:
    server = SpawnedServer([f"--fingerprint-workers={args.workers}", *args.server_arg], Path(args.data_dir))
    try:
        with NeardupClient(server.target) as client:
            stored = client.stats().articles
        seed = _ingest_seed(stored, args.keep_size)
        alone = run_articles(server.target, "check", queries, args.check_concurrency, args.check_rate)
        spawn = multiprocessing.get_context("spawn")
        receive, send = spawn.Pipe(duplex=False)
        ingest = spawn.Process(
            target=_ingest, args=(server.target, args.ingest_count, args.ingest_rate, seed, args.republished, send)
        )
        ingest.start()
        send.close()  # (the child's end only: if it dies without a report, receiving ends at once)
        try:
            # The checks start once the ingest has (the child's start-up and article making take a while)
            # and stop before it does, so every check meets the ingest.
            _wait_for_growth(server.target, timeout=120)
            during_count = int(args.check_rate * args.ingest_count / args.ingest_rate * 0.8)
            during = run_articles(
                server.target, "check", queries[:during_count], args.check_concurrency, args.check_rate
            )
            ingested = _report_of(receive)
        finally:
            ingest.join(timeout=60)
            if ingest.is_alive():
                ingest.terminate()
        deleted = _delete_ingested(server.target, seed, args.ingest_count) if args.keep_size else 0
    finally:
        server.close()
    return {
        "stored": stored,
        "alone": _figures(alone),
        "during": _figures(during),
        "ingest": {
            "rate": ingested.get("throughput", 0.0),
            "ok": ingested.get("ok", 0),
            "errors": ingested.get("errors", {}),
            "seed": seed,  # (its articles' ids: gen-<seed>-0, -1, ...)
        },
        "deleted": deleted,
    }


def _ingest_seed(stored: int, keep_size: bool) -> int:
    """The generator seed of a round's ingest: ids and texts unlike the store's and every earlier round's.
    A growing store gives a new one at every round; one kept at its size, a new one from the clock. (Not
    the same articles again: their learned-boilerplate counts stay after a delete, and would grow.)"""
    if keep_size:
        return 2_000_000_000 + time.time_ns() // 1_000_000 % 1_000_000_000
    return 1_000_000_000 + stored


def _delete_ingested(target: str, seed: int, count: int) -> int:
    """Delete what a round's ingest stored (ids gen-<seed>-0 .. count-1), so the next round meets the store
    at the size it had: the targets are set at a size (1M), and each round would otherwise add to it."""
    with NeardupClient(target, timeout=120) as client:
        return sum(d.deleted for d in client.delete_many([f"gen-{seed}-{n}" for n in range(count)]))


def _report_of(receive: Connection) -> dict[str, Any]:
    """The ingest's report, or {} if it ended without one (its errors are then on stderr)."""
    try:
        return dict(receive.recv()) if receive.poll(timeout=3600) else {}
    except EOFError:
        return {}


def _wait_for_growth(target: str, timeout: float) -> None:
    """Return once the store holds more articles than it did on the first look (the ingest is under way)."""
    with NeardupClient(target) as client:
        first = client.stats().articles
        deadline = time.monotonic() + timeout
        while client.stats().articles == first:
            if time.monotonic() > deadline:
                raise RuntimeError("the ingest did not start within its timeout")
            time.sleep(0.05)  # (polling the server's own count: there is nothing to wait on)


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    """A phase's checks: their latency from each one's due time (paced: a check a stalled server held back counts its
    wait, since 0.7.4), and its p99 from the send alone, as the figures of earlier versions were timed."""
    lat, sent = report["latency_ms"], report.get("latency_ms_from_send") or report["latency_ms"]
    return {"checks": report["articles"], "rate": report["throughput"], "p50_ms": lat["p50"],
            "p90_ms": lat["p90"], "p99_ms": lat["p99"], "max_ms": lat["max"], "p99_from_send_ms": sent["p99"],
            "errors": report["errors"], "steal": report["host_cpu"]["steal"]}  # fmt: skip


def print_table(rows: list[dict[str, Any]]) -> str:
    head = ["round", "stored", "ingest art/s", "checks/s", "alone p50", "alone p99", "during p50", "during p99",
            "during max", "p99 ratio", "during p99 from send", "steal % alone / during", "errors"]  # fmt: skip
    table = Table(title="CheckArticle latency (ms) alone and during an ingest")
    for h in head:
        table.add_column(h, justify="right")
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for n, r in enumerate(rows, 1):
        a, d = r["alone"], r["during"]
        errors = {**a["errors"], **d["errors"], **r["ingest"]["errors"]}
        cells = [str(n), f"{r['stored']:,}", f"{r['ingest']['rate']:,.0f}", f"{d['rate']:,.0f}", f"{a['p50_ms']:.1f}",
                 f"{a['p99_ms']:.1f}", f"{d['p50_ms']:.1f}", f"{d['p99_ms']:.1f}", f"{d['max_ms']:.1f}",
                 f"{d['p99_ms'] / max(a['p99_ms'], 1e-9):.1f}x", f"{d['p99_from_send_ms']:.1f}",
                 f"{a['steal'] * 100:.1f} / {d['steal'] * 100:.1f}",
                 ", ".join(f"{k}: {v}" for k, v in errors.items()) or "none"]  # fmt: skip
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.mixed", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--data-dir",
        required=True,
        help="a store built by benchmarks.scaling (kept; each round adds to it unless --keep-size)",
    )
    p.add_argument("--ingest-rate", type=float, default=450.0, help="articles/s of the ingest stream")
    p.add_argument("--ingest-count", type=int, default=8000, help="articles ingested per round")
    p.add_argument("--check-rate", type=float, default=50.0, help="checks/s over all callers")
    p.add_argument("--check-concurrency", type=int, default=4)
    p.add_argument("--workers", type=int, default=2, help="server --fingerprint-workers")
    p.add_argument("--server-arg", action="append", default=[], help="extra flag for the spawned server")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument(
        "--keep-size",
        action="store_true",
        help="delete each round's ingested articles after it: every round meets the store at its size",
    )
    p.add_argument("--seed", type=int, default=7, help="the generator seed the store was built with")
    p.add_argument("--republished", type=float, default=0.15)
    p.add_argument("--queries-cache", help="keep the queries in this file for the next run (saves the replay)")
    p.add_argument("--out", default="mixed", help="output prefix: <out>.json, <out>.md")
    args = p.parse_args(argv)
    out = Path(args.out)
    outputs.guard(p, "--out", args.out, outputs.prefixed(out, OUTPUTS), OUT_EXAMPLE)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = outputs.prefix_paths(out, OUTPUTS)
    server = SpawnedServer([f"--fingerprint-workers={args.workers}", *args.server_arg], Path(args.data_dir))
    with NeardupClient(server.target) as client:
        stored = generated_stored(client, args.seed, client.stats().articles)
    server.close()
    count = int(args.check_rate * args.ingest_count / args.ingest_rate) + 1
    queries = _cached_queries(args.queries_cache, (stored, count, args.seed, args.republished))
    rows: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        row = measure_round(args, queries)
        rows.append(row)
        console.log(row)
        machine = {"cpus": os.cpu_count(), "args": vars(args)}
        paths[".json"].write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
        paths[".md"].write_text(print_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
