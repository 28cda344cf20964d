"""Scaling benchmark: grow one index 10k -> 100k -> 1M generated articles and measure at each size.

    python -m benchmarks.scaling --sizes 10000,100000,1000000 --out docs/perf/scaling

At each size: streaming ingest rate (IndexArticleBatches, over the growth to that size), CheckArticle peak rate
and latency p50/p99 at half that peak, server resident memory (after ingest, and after a
restart) per stored article, store size on disk, and start time (process start to port
bound) three times: a start after SIGKILL at the end of the ingest, which loads the index snapshot last saved
beside the writes and replays what came after it; a restart after a clean close, which loads the snapshot
saved then; and a start with --index-snapshot=off, which rebuilds the whole index from SQLite, as when no
sound snapshot is there (with --cold-starts, each after emptying the page cache, as after a reboot).
Articles are generated, news-length (~650 words), ~15 % republications. Writes <out>.json, <out>.md and <out>.png
(--out is a prefix), and refuses, before any work, to write over a file there that it did not write.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import outputs, plots
from benchmarks.corpus import ArticleGenerator, GeneratorConfig
from benchmarks.loadtest import SpawnedServer, descendants, number, rss_bytes, run_articles
from benchmarks.plots import pyplot
from client import NeardupClient
from client.cli import whole_number

SEGMENT = 50_000  # articles generated and sent per step, so the client never holds 1M articles
QUERIES = 3_000  # checks per measurement: p99 is then the 30th slowest, not the 10th (less noise)
# What it writes at --out, and how it tells a file it wrote (any version of its table: their first cells).
OUTPUTS = {
    # (Its rows' keys tell its report from mixed's, which holds "machine" and "rows" too.)
    ".json": outputs.json_object("machine", "rows", row_keys=("articles", "ingest_rate", "check_peak_rate")),
    ".md": outputs.markdown_starting("| articles | ingest art/s | check peak/s |"),
    ".png": outputs.plot_of("benchmarks.scaling"),
}
OUT_EXAMPLE = "docs/perf/scaling, a prefix: it writes docs/perf/scaling.json, .md and .png"
console = Console(width=160)


def descendants_rss(pid: int) -> int:
    """RSS of a process's descendants (the fingerprint workers and their forkserver)."""
    total = 0
    for child in descendants(pid):
        try:
            total += rss_bytes(child)
        except (OSError, RuntimeError):
            continue  # it exited while we looked
    return total


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def _before_start(args: argparse.Namespace) -> None:
    """With --cold-starts, start as after a reboot: the store's file out of the page cache (Linux; root)."""
    if args.cold_starts:
        os.sync()
        DROP_CACHES.write_text("3\n")


def measure(args: argparse.Namespace, save: Callable[[list[dict[str, Any]]], None]) -> list[dict[str, Any]]:
    sizes = args.sizes
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="neardup-scaling-"))
    extra = [f"--fingerprint-workers={args.workers}"]
    generator = ArticleGenerator(GeneratorConfig(republished=args.republished, seed=args.seed))
    server = SpawnedServer(extra, data_dir)
    empty_rss = args.empty_rss or rss_bytes(server.proc.pid)
    stored, n, rows = 0, 0, []
    try:
        if args.resume:  # continue growing a kept store: replay the generator up to what it holds
            with NeardupClient(server.target) as client:
                stored = n = client.stats().articles
            sizes = [s for s in sizes if s > stored]  # (one already reached measured nothing new)
            if not sizes:  # (it ended silently, exit 0, writing nothing)
                raise SystemExit(
                    f"scaling: the store in {data_dir} holds {stored:,} articles, at or past every size of --sizes "
                    f"(the largest {args.sizes[-1]:,}): nothing to measure; give a larger size"
                )
            for i in range(n):
                generator.make(i)
            console.log(f"resuming at {stored:,} stored articles")
        for size in sizes:
            ingest_seconds, ingested = 0.0, 0
            while stored < size:
                step = [generator.make(n + i) for i in range(min(SEGMENT, size - stored))]
                n += len(step)
                report = run_articles(server.target, "batch", step, args.streams)
                ingest_seconds += report["seconds"]
                ingested += report["ok"]
                stored += len(step)
                console.log(f"{stored:,} stored; last step {report['throughput']:,.0f} articles/s")
            # Fresh ids, ~15 % republishing stored ones; never stored, so no later article copies one (and the
            # ingested ids stay 0 … stored-1, as --resume counts them).
            queries = [generator.make_query(n + i) for i in range(args.queries)]
            peak = run_articles(server.target, "check", queries, args.check_concurrency)
            half = run_articles(server.target, "check", queries, args.check_concurrency, rate=peak["throughput"] / 2)
            rss_ingest = rss_bytes(server.proc.pid)
            server.kill()  # a crash: the index snapshot is the one last saved beside the writes
            _before_start(args)
            server = SpawnedServer(extra, data_dir)
            crash_restart_seconds = server.start_seconds
            server.close()  # a clean close: it saves the index snapshot
            _before_start(args)
            server = SpawnedServer(extra, data_dir)  # a restart: loads the snapshot
            rss_restart, restart_seconds = rss_bytes(server.proc.pid), server.start_seconds
            server.close()
            # A start without a sound snapshot (lost, damaged, or turned off): the whole index rebuilt from SQLite.
            _before_start(args)
            server = SpawnedServer([*extra, "--index-snapshot=off"], data_dir)
            rebuild_seconds = server.start_seconds
            server.close()
            server = SpawnedServer(extra, data_dir)  # (snapshots on again, for the next size)
            row = {
                "articles": stored, "ingest_rate": ingested / ingest_seconds,
                "check_peak_rate": peak["throughput"], "check_half_peak_rate": half["throughput"],
                "check_p50_ms": half["latency_ms"]["p50"], "check_p99_ms": half["latency_ms"]["p99"],
                # (the p99 above runs from each check's due time since 0.7.4; this one from its send, as before)
                "check_p99_from_send_ms": (half.get("latency_ms_from_send") or half["latency_ms"])["p99"],
                "check_host_cpu": half["host_cpu"],
                "rss_after_ingest": rss_ingest, "rss_after_restart": rss_restart, "rss_empty": empty_rss,
                "bytes_per_article_restart": (rss_restart - empty_rss) / stored,
                "bytes_per_article_ingest": (rss_ingest - empty_rss) / stored,
                "workers_rss": descendants_rss(server.proc.pid),
                "disk_bytes": disk_bytes(data_dir), "restart_seconds": restart_seconds,
                "crash_restart_seconds": crash_restart_seconds, "rebuild_seconds": rebuild_seconds,
                "check_errors": summed_errors(peak, half),
            }  # fmt: skip
            rows.append(row)
            console.log(row)
            save(rows)  # after every size: a long run that is stopped keeps what it measured
    finally:
        server.close()
        if not args.data_dir and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def summed_errors(*reports: dict[str, Any]) -> dict[str, int]:
    """Errors by status code over several runs' reports (merged as dicts, a code both had was counted once)."""
    return dict(sum((Counter(r["errors"]) for r in reports), Counter()))


def print_table(rows: list[dict[str, Any]]) -> str:
    head = ["articles", "ingest art/s", "check peak/s", "check p50 ms", "check p99 ms", "steal %", "RSS MiB",
            "B/article", "disk GiB", "after kill -9 s", "restart s", "rebuild s"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    table = Table(title="neardup scaling")
    for h in head:
        table.add_column(h, justify="right")
    for r in rows:
        cells = [f"{r['articles']:,}", f"{r['ingest_rate']:,.0f}", f"{r['check_peak_rate']:,.0f}",
                 f"{r['check_p50_ms']:.1f}", f"{r['check_p99_ms']:.1f}", _steal(r.get("check_host_cpu")),
                 f"{r['rss_after_restart'] / 2**20:,.0f}",
                 f"{r['bytes_per_article_restart']:,.0f}", f"{r['disk_bytes'] / 2**30:.2f}",
                 _seconds(r.get("crash_restart_seconds")), f"{r['restart_seconds']:.1f}",
                 f"{r['rebuild_seconds']:.1f}"]  # fmt: skip
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    return "\n".join(lines) + "\n"


def _seconds(value: float | None) -> str:
    """A start time ("" for rows saved before it was measured)."""
    return "" if value is None else f"{value:.1f}"


def _steal(host_cpu: dict[str, float] | None) -> str:
    """The hypervisor's steal during the latency run, in percent ("" for rows saved before it was measured)."""
    return f"{host_cpu['steal'] * 100:.1f}" if host_cpu else ""


def save_plot(rows: list[dict[str, Any]], path: Path) -> None:
    """The plot of `rows` at `path`, marked as scaling's (nothing without matplotlib)."""
    plt = pyplot()
    if plt is None:
        return

    x = [r["articles"] for r in rows]
    panels = [("ingest articles/s", [r["ingest_rate"] for r in rows]),
              ("check latency ms (p50, p99) at half peak", None),
              ("resident bytes per article", [r["bytes_per_article_restart"] for r in rows]),
              ("start seconds", None)]  # fmt: skip
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    for ax, (title, ys) in zip(axes, panels, strict=True):
        if ys is None:
            pairs = (
                [("check_p50_ms", "p50"), ("check_p99_ms", "p99")]
                if title.startswith("check")
                else [
                    ("crash_restart_seconds", "after kill -9"),
                    ("restart_seconds", "after a clean close"),
                    ("rebuild_seconds", "rebuilt whole from SQLite"),
                ]
            )
            for key, label in pairs:
                ax.plot(x, [r.get(key, float("nan")) for r in rows], marker="o", label=label)
            ax.legend()
        else:
            ax.plot(x, ys, marker="o")
        ax.set(title=title, xlabel="stored articles", xscale="log")
    fig.tight_layout()
    plots.save(plt, fig, path, "benchmarks.scaling", dpi=90)


def growing_sizes(text: str) -> list[int]:
    """--sizes: whole numbers above 0, each larger than the one before (a size that does not grow measured
    nothing new, and its rate divided by no ingest time)."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers") from None
    if not sizes or sizes[0] < 1 or any(b <= a for a, b in itertools.pairwise(sizes)):
        raise argparse.ArgumentTypeError(f"{text!r}: give sizes above 0, each larger than the one before")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=growing_sizes, default="10000,100000,1000000",
                   help="comma-separated index sizes, each larger than the one before")  # fmt: skip
    # (Bounded, naming the flag: --queries 0 ran, and reported the checks it never made as 0/s and 0 ms.)
    p.add_argument("--workers", type=whole_number(0), default=2, help="server --fingerprint-workers")
    p.add_argument(
        "--streams", type=whole_number(1), default=2, help="concurrent IndexArticleBatches streams (64 a message)"
    )
    p.add_argument("--check-concurrency", type=whole_number(1), default=4)
    p.add_argument("--queries", type=whole_number(1), default=QUERIES, help="checks per latency measurement")
    p.add_argument("--republished", type=number(0, 1, low_included=True), default=0.15)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--data-dir", help="keep the store here (default: a temporary directory, removed)")
    p.add_argument("--keep", action="store_true", help="keep the temporary store")
    p.add_argument("--resume", action="store_true", help="continue growing the store in --data-dir")
    p.add_argument(
        "--empty-rss", type=whole_number(0), default=0, help="RSS of the empty server, when resuming (bytes)"
    )
    p.add_argument("--cold-starts", action="store_true",
                   help="empty the page cache before each restart, as after a reboot (Linux, as root)")  # fmt: skip
    p.add_argument("--out", default="scaling", help="output prefix: <out>.json, <out>.md, <out>.png")
    args = p.parse_args(argv)
    if args.cold_starts and not os.access(DROP_CACHES, os.W_OK):
        p.error(
            f"--cold-starts empties the page cache through {DROP_CACHES}, which this user cannot write (run as root)"
        )
    out = Path(args.out)
    outputs.guard(p, "--out", args.out, outputs.prefixed(out, OUTPUTS), OUT_EXAMPLE)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = outputs.prefix_paths(out, OUTPUTS)
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    machine = {"cpus": os.cpu_count(), "mem_gib": round(memory / 2**30), "args": vars(args)}

    def save(rows: list[dict[str, Any]]) -> None:
        paths[".json"].write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
        paths[".md"].write_text(print_table(rows))
        save_plot(rows, paths[".png"])

    measure(args, save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
