"""`neardup ingest` end to end against the plain datasketch recipe in-process, in one run.

    python -m benchmarks.ingest_cli [--count 20000] [--articles FILE.jsonl] [--workers 2] [--batch 64] [--rounds 3]

Writes the articles as JSONL (generated, ~650 words, 15 % republications, unless a file is
given), then alternates the two sides on the same articles: the datasketch recipe (word
5-grams, xxh32, MinHashLSH threshold 0.5, 128 permutations; query then insert) in this
process, then `neardup serve` on 127.0.0.1 (port 0, fresh SQLite store, --fingerprint-workers)
with `neardup ingest FILE` timed as a separate process from start to its last output line,
then the recipe again, and so on for --rounds ingests. Each round's ratio divides its ingest
rate by the mean of the recipe runs just before and after it, so a machine that slows down or
speeds up during the run moves both sides; the median round is the figure. The server and the
client share the machine's cores; the recipe runs on one core with no transport, no
durability and no verification.
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

from benchmarks import baseline, corpus, outputs
from benchmarks.loadtest import SpawnedServer
from client.api import MAX_BATCH_ARTICLES, Article
from client.cli import whole_number
from service.proc import cpu_seconds

# Keys only its reports hold (neardup-bench's hold a server CPU too, and no recipe)
REPORT = outputs.json_object("ingest_rate", "recipe_rate", "ratio", "server_cpu_us_per_article")


def time_ingest(path: Path, workers: int, batch: int) -> tuple[float, float, int]:
    """Seconds `neardup ingest` took, server CPU seconds meanwhile, and how many lines it answered."""
    server = SpawnedServer([f"--fingerprint-workers={workers}"])
    try:
        cpu = cpu_seconds(server.proc.pid)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "client.cli", "ingest", str(path), "--server", server.target,
             "--no-progress", "--batch", str(batch)],
            capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if done.returncode != 0:  # (said: its stderr was swallowed, and the run ended in a CalledProcessError)
            raise SystemExit(_failure(done))
        return seconds, cpu_seconds(server.proc.pid) - cpu, len(done.stdout.splitlines())
    finally:
        server.close()


def _failure(done: subprocess.CompletedProcess[str]) -> str:
    """What to say when `neardup ingest` exited non-zero: its stderr, and for lines it rejected (exit 1) the first
    of their error lines (a rejected article is work the server did not do: the ratio would not be a fair one)."""
    said = done.stderr.strip() or "(nothing on stderr)"
    errors = [line for line in done.stdout.splitlines() if '"error"' in line]
    first = f"\nthe first rejected line: {errors[0]}" if errors else ""
    return f"ingest_cli: `neardup ingest` exited {done.returncode} (no figures); it said:\n{said}{first}"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ingest_cli", description=__doc__.split("\n\n")[0])
    # (Bounded, naming the flag: --count 0 ended in a ZeroDivisionError, --batch 0 in a bare CalledProcessError.)
    p.add_argument("--count", type=whole_number(1), default=20_000)
    p.add_argument("--articles", default="generated", help="'generated' or a JSONL(.gz) file")
    p.add_argument("--workers", type=whole_number(0), default=2, help="server --fingerprint-workers")
    p.add_argument("--batch", type=whole_number(1), default=64,
                   help=f"neardup ingest --batch, at most {MAX_BATCH_ARTICLES}")  # fmt: skip
    p.add_argument("--rounds", type=whole_number(1), default=3, help="ingests, each between two recipe runs")
    p.add_argument("--report", type=Path, help="also write the figures here as JSON")
    args = p.parse_args(argv)
    if args.batch > MAX_BATCH_ARTICLES:
        p.error(f"argument --batch: {args.batch} is above {MAX_BATCH_ARTICLES}, the most a message carries")
    outputs.guard_report(p, "--report", args.report, REPORT, "ingest-cli.json")
    articles = corpus.articles_or_exit("ingest_cli", args.articles, args.count)
    with tempfile.TemporaryDirectory(prefix="neardup-ingest-") as tmp:
        path = Path(tmp) / "articles.jsonl"
        corpus.write_jsonl(articles, path)
        rounds = run_rounds(articles, path, args)
    ratios = [r["ratio"] for r in rounds]
    report = {"articles": len(articles), "workers": args.workers, "batch": args.batch, **_median_round(rounds),
              "ratio_min": min(ratios), "ratio_max": max(ratios), "rounds": rounds}  # fmt: skip
    print(f"median of {len(rounds)}: ratio {report['ratio']:.2f}x "
          f"(rounds {report['ratio_min']:.2f}x to {report['ratio_max']:.2f}x)")  # fmt: skip
    if args.report:
        args.report.write_text(json.dumps(report) + "\n")
    return 0


def run_rounds(articles: list[Article], path: Path, args: argparse.Namespace) -> list[dict[str, float]]:
    """Recipe, ingest, recipe, ingest, ..., recipe: each ingest's figures against the recipe runs around it."""
    rounds: list[dict[str, float]] = []
    before = baseline.datasketch_recipe(articles).rate
    for n in range(1, args.rounds + 1):
        seconds, server_cpu, answered = time_ingest(path, args.workers, args.batch)
        if answered != len(articles):
            raise SystemExit(f"neardup ingest answered {answered} lines for {len(articles)} articles")
        after = baseline.datasketch_recipe(articles).rate
        ingest_rate, recipe_rate = len(articles) / seconds, (before + after) / 2
        rounds.append({"ingest_rate": ingest_rate, "server_cpu_us_per_article": server_cpu / len(articles) * 1e6,
                       "recipe_before": before, "recipe_after": after, "recipe_rate": recipe_rate,
                       "ratio": ingest_rate / recipe_rate})  # fmt: skip
        print(f"round {n}: neardup ingest (--batch {args.batch}, server --fingerprint-workers {args.workers}): "
              f"{ingest_rate:,.0f} articles/s end to end, server {rounds[-1]['server_cpu_us_per_article']:,.0f} µs "
              f"CPU per article; datasketch recipe in-process: {before:,.0f} and {after:,.0f}/s around it; "
              f"ratio {rounds[-1]['ratio']:.2f}x", flush=True)  # fmt: skip
        before = after
    return rounds


def _median_round(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median ratio (the lower middle one of an even number: a round that was measured)."""
    return sorted(rounds, key=lambda r: r["ratio"])[(len(rounds) - 1) // 2]


if __name__ == "__main__":
    raise SystemExit(main())
