"""The cost of --redis-wait-replicas: the same ingest on a Redis with one Redis replica, acknowledged once
the primary holds each batch, or once the replica holds it too, in alternating rounds of one run.

    python -m benchmarks.redis_wait [--articles 3000] [--batch 64] [--rounds 3] [--out benchmarks/results/redis_wait.md]

Store level, in process, like the store rows of benchmarks.redis_scaling: generated news-length
articles fingerprinted beforehand, then queued --batch at a time, each batch answered before the
next is queued (what a client sending one IndexArticleBatches message at a time gives the writer),
so every batch is one commit and, when waiting, one WAIT. Each round runs both sides on a cleared
index, not waiting first. The primary's own count of WAIT commands is in the report, so a run that
did not wait shows. Starts its own redis-servers (AOF, appendfsync always) on free loopback ports.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
from rich.console import Console

from benchmarks import corpus, outputs
from benchmarks.loopback import RedisServer, redis_with_replica
from service.detector import Detector
from service.engine import Engine
from service.model import PreparedArticle
from service.redis_store import RedisStore
from service.settings import DetectionParams

PARAMS = DetectionParams()
REPORT = outputs.json_object("batches", "rounds", "ratio")  # (keys only its reports hold)
WAIT_SECONDS = 5.0  # a generous bound: this measures the cost of waiting, not a replica that lags


def ingest(primary: RedisServer, prepared: list[PreparedArticle], batch: int, wait: bool) -> dict[str, Any]:
    """Articles/s of one ingest on a cleared index, and how many WAITs the primary answered meanwhile."""
    store = RedisStore(primary.url, PARAMS, wait_replicas=1 if wait else 0, wait_seconds=WAIT_SECONDS)
    store.clear()
    engine = Engine(Detector(PARAMS, 1 << 20), store, max_batch=batch)
    try:
        with redis.Redis(host="127.0.0.1", port=primary.port) as admin:
            admin.config_resetstat()
            started = time.perf_counter()
            for start in range(0, len(prepared), batch):
                for future in engine.submit_all(prepared[start : start + batch]):
                    future.result(timeout=60)
            seconds = time.perf_counter() - started
            waits = int(admin.info("commandstats").get("cmdstat_wait", {}).get("calls", 0))
    finally:
        engine.close()
    return {"articles_per_s": len(prepared) / seconds, "seconds": seconds, "waits": waits}


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    detector = Detector(PARAMS, 1 << 20)
    prepared: list[PreparedArticle] = [
        detector.prepare(corpus.core_article(a)) for a in corpus.load("generated", args.articles)
    ]
    with redis_with_replica(tmp) as (primary, _):
        rounds = []
        for _ in range(args.rounds):
            alone = ingest(primary, prepared, args.batch, wait=False)
            waiting = ingest(primary, prepared, args.batch, wait=True)
            rounds.append({"not_waiting": alone, "waiting": waiting,
                           "ratio": waiting["articles_per_s"] / alone["articles_per_s"]})  # fmt: skip
    batches = -(-args.articles // args.batch)
    return {"articles": args.articles, "batch": args.batch, "batches": batches, "rounds": rounds,
            "ratio": statistics.median(r["ratio"] for r in rounds)}  # fmt: skip


def render(report: dict[str, Any], command: str) -> str:
    lines = [f"Command: `{command}`", "",
             f"{report['articles']} generated articles, {report['batches']} batches of {report['batch']}, "
             "one Redis (AOF fsync always) with one Redis replica on loopback.", "",
             "| round | not waiting art/s | --redis-wait-replicas 1 art/s | ratio | WAITs (not waiting / waiting) |",
             "|---:|---:|---:|---:|---:|"]  # fmt: skip
    for n, r in enumerate(report["rounds"], 1):
        off, on = r["not_waiting"], r["waiting"]
        lines.append(f"| {n} | {off['articles_per_s']:,.0f} | {on['articles_per_s']:,.0f} | {r['ratio']:.2f}× "
                     f"| {off['waits']} / {on['waits']} |")  # fmt: skip
    lines += ["", f"Median ratio: {report['ratio']:.2f}×"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.redis_wait", description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=3000)
    p.add_argument("--batch", type=int, default=64, help="articles queued at once: one commit each")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", type=Path, default=Path("benchmarks/out/redis_wait.md"))
    p.add_argument("--report", type=Path, help="also write the figures here as JSON")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.batch < 1 or args.articles < 1:
        p.error("--articles, --batch and --rounds must be at least 1")
    ours = {args.out: outputs.markdown_starting("Command: `python -m benchmarks.redis_wait")}
    outputs.guard(p, "--out", args.out, ours, "benchmarks/results/redis_wait.md")
    outputs.guard_report(p, "--report", args.report, REPORT, "redis-wait.json")
    with tempfile.TemporaryDirectory(prefix="neardup-redis-wait-") as tmp:
        report = measure(args, Path(tmp))
    command = "python -m benchmarks.redis_wait " + " ".join(argv if argv is not None else sys.argv[1:])
    markdown = render(report, command.strip())
    Console().print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown)
    if args.report:
        args.report.write_text(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
