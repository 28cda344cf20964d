"""Deleting stored articles: one `DeleteArticle` call each against `DeleteArticles`, on one server, in one run.

    python -m benchmarks.purge [--count 20000] [--delete 8000] [--callers 4] [--report FILE]
    python -m benchmarks.purge --data-dir /var/tmp/nd1m --count 1000000 --delete 8000   # on a kept store

Spawns `neardup serve` on 127.0.0.1 (port 0, a fresh SQLite store), stores --count generated articles
(15 % republications) through IndexArticleBatches, then deletes --delete of them, picked at random (originals
among them: their groups pass to the next copy). With --data-dir, on a store benchmarks.scaling built and
kept instead (it shrinks): nothing is stored first, and the victims are picked among the first --count
generated ids that it still holds. The victims are dealt into four slices, deleted in turn:
one `DeleteArticle` call each from --callers threads, then `DeleteArticles` calls of 1,000 ids from one
caller, then one at a time again, then batched again, so a machine that slows down during the run slows
both. Each way's rate is its two slices' articles over their seconds; the figure is their ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import corpus
from benchmarks.loadtest import SpawnedServer
from client import ArticleFailure, NeardupClient, NotFoundError

Way = Callable[[NeardupClient, list[str]], None]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.purge", description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=20_000, help="articles stored before the purge")
    p.add_argument("--delete", type=int, default=8_000, help="articles deleted, half each way")
    p.add_argument("--callers", type=int, default=4, help="threads sending DeleteArticle calls")
    p.add_argument("--data-dir", type=Path, help="a store benchmarks.scaling kept, instead of a fresh one")
    p.add_argument("--report", type=Path, help="also write the figures here as JSON")
    args = p.parse_args(argv)
    if not 4 <= args.delete <= args.count:
        p.error("--delete must be at least 4 and at most --count")
    report = run(args.count, args.delete, args.callers, args.data_dir)
    print(f"one DeleteArticle call each ({args.callers} callers): {report['one_at_a_time']:,.0f} deletes/s; "
          f"DeleteArticles, 1,000 ids a call: {report['batched']:,.0f} deletes/s; "
          f"ratio {report['ratio']:.1f}x")  # fmt: skip
    if args.report:
        args.report.write_text(json.dumps(report) + "\n")
    return 0


def run(count: int, delete: int, callers: int, data_dir: Path | None = None) -> dict[str, float]:
    server = SpawnedServer([], data_dir)
    try:
        with NeardupClient(server.target, timeout=300) as client:
            victims = _victims(client, count, delete, fresh=data_dir is None)
            stored = client.stats().articles
            slices = [victims[n::4] for n in range(4)]
            ways: list[Way] = [lambda c, ids: _one_at_a_time(c, ids, callers), _batched]
            seconds = [0.0, 0.0]
            for n, ids in enumerate(slices):
                started = time.perf_counter()
                ways[n % 2](client, ids)
                seconds[n % 2] += time.perf_counter() - started
            if client.stats().articles != stored - delete:
                raise SystemExit(f"{client.stats().articles} articles stored after the purge, not {stored - delete}")
    finally:
        server.close()
    one, batched = (sum(len(s) for s in slices[n::2]) / seconds[n] for n in (0, 1))
    return {"articles": stored, "deleted": delete, "callers": callers, "one_at_a_time": one, "batched": batched,
            "ratio": batched / one}  # fmt: skip


def _victims(client: NeardupClient, count: int, delete: int, fresh: bool) -> list[str]:
    """Ids to delete, in a random order: of `count` generated articles stored now (`fresh`), or of those a
    kept store still holds."""
    rng = random.Random(11)
    if fresh:
        articles = corpus.load("generated", count)
        for outcome in client.index_stream(articles, batch=256):
            if isinstance(outcome, ArticleFailure):
                raise SystemExit(f"an article was not stored: {outcome.as_dict()}")
        return rng.sample([a.id for a in articles], delete)
    # (benchmarks.corpus.load's ids, at its default seed, as benchmarks.scaling stores them)
    candidates = [f"gen-7-{n}" for n in rng.sample(range(count), min(count, 2 * delete))]
    held = [i for i in candidates if _stored(client, i)][:delete]
    if len(held) < delete:
        raise SystemExit(f"the store holds only {len(held)} of {len(candidates)} generated ids tried")
    return held


def _stored(client: NeardupClient, article_id: str) -> bool:
    try:
        client.get(article_id)
    except NotFoundError:
        return False
    return True


def _one_at_a_time(client: NeardupClient, ids: list[str], callers: int) -> None:
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(client.delete, ids))


def _batched(client: NeardupClient, ids: list[str]) -> None:
    if not all(d.deleted for d in client.delete_many(ids)):
        raise SystemExit("DeleteArticles found an article of the purge already gone")


if __name__ == "__main__":
    raise SystemExit(main())
