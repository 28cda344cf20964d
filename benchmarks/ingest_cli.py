"""`neardup ingest` end to end against the plain datasketch recipe in-process, in one run.

    python -m benchmarks.ingest_cli [--count 20000] [--articles FILE.jsonl] [--workers 2] [--batch 64]

Writes the articles as JSONL (generated, ~650 words, 15 % republications, unless a file is
given), starts `neardup serve` on 127.0.0.1 (port 0, fresh SQLite store, --fingerprint-workers),
times `neardup ingest FILE` as a separate process from start to its last output line, then
times the datasketch recipe (word 5-grams, xxh32, MinHashLSH threshold 0.5, 128 permutations;
query then insert) on the same articles in this process, and prints both rates and the ratio.
The server and the client share the machine's cores; the recipe runs on one core with no
transport, no durability and no verification. Compare the ratio: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import baseline, corpus
from benchmarks.loadtest import SpawnedServer, cpu_seconds


def time_ingest(path: Path, workers: int, batch: int) -> tuple[float, float, int]:
    """Seconds `neardup ingest` took, server CPU seconds meanwhile, and how many lines it answered."""
    server = SpawnedServer([f"--fingerprint-workers={workers}"])
    try:
        cpu = cpu_seconds(server.proc.pid)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "client.cli", "ingest", str(path), "--server", server.target,
             "--no-progress", "--batch", str(batch)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        return seconds, cpu_seconds(server.proc.pid) - cpu, len(done.stdout.splitlines())
    finally:
        server.close()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ingest_cli", description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=20_000)
    p.add_argument("--articles", default="generated", help="'generated' or a JSONL(.gz) file")
    p.add_argument("--workers", type=int, default=2, help="server --fingerprint-workers")
    p.add_argument("--batch", type=int, default=64, help="neardup ingest --batch")
    p.add_argument("--report", type=Path, help="also write the figures here as JSON")
    args = p.parse_args(argv)
    articles = corpus.load(args.articles, args.count)
    with tempfile.TemporaryDirectory(prefix="neardup-ingest-") as tmp:
        path = Path(tmp) / "articles.jsonl"
        corpus.write_jsonl(articles, path)
        seconds, server_cpu, answered = time_ingest(path, args.workers, args.batch)
    if answered != len(articles):
        raise SystemExit(f"neardup ingest answered {answered} lines for {len(articles)} articles")
    recipe = baseline.datasketch_recipe(articles)
    ingest_rate = len(articles) / seconds
    report = {
        "articles": len(articles), "workers": args.workers, "batch": args.batch,
        "ingest_rate": ingest_rate, "server_cpu_us_per_article": server_cpu / len(articles) * 1e6,
        "recipe_rate": recipe.rate, "ratio": ingest_rate / recipe.rate,
    }  # fmt: skip
    print(f"neardup ingest (--batch {args.batch}, server --fingerprint-workers {args.workers}): "
          f"{ingest_rate:,.0f} articles/s end to end, server {report['server_cpu_us_per_article']:,.0f} µs CPU "
          f"per article; datasketch recipe in-process: {recipe.rate:,.0f}/s; ratio {report['ratio']:.2f}x")  # fmt: skip
    if args.report:
        args.report.write_text(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
