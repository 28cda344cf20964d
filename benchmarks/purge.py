"""Deleting stored articles: one `DeleteArticle` call each against `DeleteArticles`, on one server, in one run.

    python -m benchmarks.purge [--count 20000] [--delete 8000] [--callers 4] [--report FILE]
    python -m benchmarks.purge --data-dir /var/tmp/nd1m --count 1000000 --seed 12   # on a kept store

Spawns `neardup serve` on 127.0.0.1 (port 0, a fresh SQLite store), stores --count generated articles
(15 % republications) through IndexArticleBatches, then deletes --delete of them, picked at random (originals
among them: their groups pass to the next copy). With --data-dir, on a store benchmarks.scaling built and
kept instead (it shrinks): nothing is stored first, and the victims are picked among the first --count
generated ids (those it no longer holds are answered NOT_FOUND and left out of the rates).
The victims are dealt into four slices, deleted in turn: one `DeleteArticle` call each from --callers
threads, then `DeleteArticles` calls of 1,000 ids from one caller, then one at a time again, then batched
again, so a machine that slows down during the run slows both. Each way's rate is the articles its two
slices deleted over their seconds; the figure is the ratio of the two rates.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import corpus, outputs
from benchmarks.loadtest import SpawnedServer
from client import ArticleFailure, NeardupClient, NotFoundError
from client.cli import whole_number

REPORT = outputs.json_object("one_at_a_time", "batched", "not_stored", "ratio")  # (keys only its reports hold)
Way = Callable[[NeardupClient, list[str]], int]  # articles deleted


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.purge", description=__doc__.split("\n\n")[0])
    # (Bounded, naming the flag: --callers 0 ended in a ValueError from the thread pool.)
    p.add_argument("--count", type=whole_number(4), default=20_000, help="articles stored before the purge")
    p.add_argument("--delete", type=whole_number(4), default=8_000, help="articles deleted, half each way")
    p.add_argument("--callers", type=whole_number(1), default=4, help="threads sending DeleteArticle calls")
    p.add_argument("--seed", type=int, default=11, help="of the victims' random choice (a kept store: vary it)")
    p.add_argument("--data-dir", type=Path, help="a store benchmarks.scaling kept, instead of a fresh one")
    p.add_argument("--report", type=Path, help="also write the figures here as JSON")
    args = p.parse_args(argv)
    if not 4 <= args.delete <= args.count:
        p.error("--delete must be at least 4 and at most --count")
    outputs.guard_report(p, "--report", args.report, REPORT, "purge.json")
    report = run(args.count, args.delete, args.callers, args.data_dir, args.seed)
    print(f"one DeleteArticle call each ({args.callers} callers): {report['one_at_a_time']:,.0f} deletes/s; "
          f"DeleteArticles, 1,000 ids a call: {report['batched']:,.0f} deletes/s; "
          f"ratio {report['ratio']:.1f}x")  # fmt: skip
    if args.report:
        args.report.write_text(json.dumps(report) + "\n")
    return 0


def run(count: int, delete: int, callers: int, data_dir: Path | None = None, seed: int = 11) -> dict[str, float]:
    server = SpawnedServer([], data_dir)
    try:
        with NeardupClient(server.target, timeout=300) as client:
            victims = _victims(client, count, delete, random.Random(seed), fresh=data_dir is None)
            stored = client.stats().articles
            ways: list[Way] = [lambda c, ids: _one_at_a_time(c, ids, callers), _batched]
            deleted, seconds = [0, 0], [0.0, 0.0]
            for n in range(4):
                started = time.perf_counter()
                deleted[n % 2] += ways[n % 2](client, victims[n::4])
                seconds[n % 2] += time.perf_counter() - started
            if client.stats().articles != stored - sum(deleted):
                raise SystemExit(
                    f"{client.stats().articles} articles stored after {sum(deleted)} deletes from {stored}"
                )
    finally:
        server.close()
    if not all(deleted):
        raise SystemExit(
            f"the store held none of the ids one way was to delete ({deleted[0]} and {deleted[1]} deleted)"
        )
    one, batched = (deleted[n] / seconds[n] for n in (0, 1))
    return {"articles": stored, "deleted": sum(deleted), "not_stored": delete - sum(deleted), "callers": callers,
            "one_at_a_time": one, "batched": batched, "ratio": batched / one}  # fmt: skip


def _victims(client: NeardupClient, count: int, delete: int, rng: random.Random, fresh: bool) -> list[str]:
    """Ids to delete, in a random order: of `count` generated articles stored now (`fresh`), or of the first
    `count` generated ids, which a kept store mostly holds (not asked first: that would read their pages into
    the page cache before the deletes are timed; ids it no longer holds are answered and not counted)."""
    if not fresh:  # (benchmarks.corpus.load's ids, at its default seed, as benchmarks.scaling stores them)
        return [f"gen-7-{n}" for n in rng.sample(range(count), delete)]
    articles = corpus.load("generated", count)
    for outcome in client.index_stream(articles, batch=256):
        if isinstance(outcome, ArticleFailure):
            raise SystemExit(f"an article was not stored: {outcome.as_dict()}")
    return rng.sample([a.id for a in articles], delete)


def _one_at_a_time(client: NeardupClient, ids: list[str], callers: int) -> int:
    with ThreadPoolExecutor(callers) as pool:
        return sum(pool.map(lambda i: _deleted(client, i), ids))


def _deleted(client: NeardupClient, article_id: str) -> bool:
    try:
        client.delete(article_id)
    except NotFoundError:
        return False
    return True


def _batched(client: NeardupClient, ids: list[str]) -> int:
    return sum(d.deleted for d in client.delete_many(ids))


if __name__ == "__main__":
    raise SystemExit(main())
