"""The writer thread's CPU an article, in-process: no gRPC, no fingerprint workers, no client.

    python -m benchmarks.writer_cpu [--count 10000] [--repeat 3] [--articles generated]

Prepares the articles first (fingerprints, not timed), then, `--repeat` times, has a fresh engine over a fresh
SQLite store in a temporary directory decide them all, queued in groups of 64 (as a 0.7.2 server with fingerprint
workers queues a `neardup ingest --batch 64` stream's requests; 0.7.1 queued each article alone), and sums the
writer thread's CPU (`time.thread_time`) inside its transactions (`Engine._commit`: the screen, the full
decisions, the inserts, the commit). CPU time of one thread is less disturbed than a rate by other work on the
host; compare two trees by running this from each in turn, alternating, on the same articles (`PYTHONPATH=<tree>`),
and take the lowest of each run's repeats.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import corpus
from client.cli import whole_number
from service import engine as engine_module
from service.detector import Detector
from service.model import PreparedArticle
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore

GROUP = 64  # articles queued together, as a stream's message of `neardup ingest --batch 64` is


def writer_seconds(prepared: Sequence[PreparedArticle], params: DetectionParams) -> tuple[float, int]:
    """The writer thread's CPU seconds deciding `prepared` into a fresh store, and how many the screen found new."""
    spent = [0.0]
    commit = engine_module.Engine._commit

    def timed(self: engine_module.Engine, jobs: list[engine_module._Job]) -> None:
        began = time.thread_time()
        try:
            commit(self, jobs)
        finally:
            spent[0] += time.thread_time() - began

    with tempfile.TemporaryDirectory(prefix="neardup-writer-cpu-") as tmp:
        engine_module.Engine._commit = timed  # type: ignore[method-assign]
        try:
            engine = engine_module.Engine(Detector(params, 1 << 22), SqliteStore(Path(tmp) / "neardup.db", params))
            try:
                futures = []
                for start in range(0, len(prepared), GROUP):
                    futures += engine.submit_all(prepared[start : start + GROUP])
                for future in futures:
                    future.result()
            finally:
                engine.close()
        finally:
            engine_module.Engine._commit = commit  # type: ignore[method-assign]
    return spent[0], engine.stored_as_new


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.writer_cpu", description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=whole_number(1), default=10_000)
    p.add_argument("--articles", default="generated", help="'generated' or a JSONL(.gz) file")
    p.add_argument(
        "--repeat", type=whole_number(1), default=3, help="runs of the writer over the same prepared articles"
    )
    args = p.parse_args(argv)
    params = DetectionParams()
    detector = Detector(params, 1 << 22)
    prepared = [
        detector.prepare(corpus.core_article(a))
        for a in corpus.articles_or_exit("writer_cpu", args.articles, args.count)
    ]
    gc.collect()
    gc.freeze()  # (as a server does after its start)
    runs = []
    for n in range(1, args.repeat + 1):
        seconds, new = writer_seconds(prepared, params)
        runs.append(seconds / len(prepared) * 1e6)
        print(f"run {n}: writer {runs[-1]:,.0f} µs CPU an article ({len(prepared):,} articles, {new:,} found new "
              "by the screen)", flush=True)  # fmt: skip
    gc.unfreeze()
    print(json.dumps({"articles": len(prepared), "writer_us_per_article": runs, "lowest": min(runs)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
