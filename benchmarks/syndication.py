"""A story stored in many copies: ingest rate of further copies, with and without the candidate cap.

    python -m benchmarks.syndication [--copies 1000] [--step 200] [--max-candidates 32] [--store redis]

A wire story is republished by hundreds of sites, each copy with its own few lines. Every new
copy is an LSH candidate of every stored one. This indexes copies of one generated news-length
story (each with a 30-word local note) through the detection core and a store (SQLite, or a
redis-server it starts on a free loopback port), in steps, twice in the same run: with
`--max-candidates` (the index ranks 4x that many, the detector verifies those sharing the most
content) and with no cap (every candidate read and verified, as before the cap). It prints the
rate of each step and the ratio of the two, and checks that both put every copy in the first
one's group. Then it lists that group whole (ListGroupMembers, in-process), in pages of 100 and of
1,000, checks the listing, and prints the time a page took.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.corpus import ArticleGenerator
from benchmarks.loopback import RedisServer
from client.cli import whole_number
from service.detector import Detector
from service.engine import Engine
from service.model import Article
from service.redis_store import RedisStore
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from service.storage import Store

StoreOpener = Callable[[DetectionParams, Path], Store]

UNCAPPED = 1 << 30
LISTED_PAGES = (100, 1000)  # page sizes the whole group is listed in at the end (ListGroupMembers's default and most)


def copies(count: int) -> list[Article]:
    story = ArticleGenerator().make(0)  # the first article is always an original
    return [Article(f"copy{i}", f"{story.body}\n\nLocal note {i}: " + " ".join(f"n{i}w{j}" for j in range(30)))
            for i in range(count)]  # fmt: skip


def step_rates(
    articles: list[Article], step: int, max_candidates: int, open_store: StoreOpener
) -> tuple[list[float], dict[int, float]]:
    """Articles/s of each step of `step` copies, indexed one after another into a fresh store; then seconds
    per page of the group's listing, by page size."""
    params = replace(DetectionParams(), max_candidates=max_candidates)
    detector = Detector(params, 1 << 22)
    with tempfile.TemporaryDirectory(prefix="neardup-syndication-") as tmp:
        engine = Engine(detector, open_store(params, Path(tmp)))
        try:
            rates, roots = [], set()
            for start in range(0, len(articles), step):
                prepared = [detector.prepare(a) for a in articles[start : start + step]]  # (not timed)
                began = time.perf_counter()
                verdicts = [engine.submit(p).result() for p in prepared]  # one at a time, as a stream's copies
                rates.append(len(prepared) / (time.perf_counter() - began))
                roots |= {v.duplicate_of for v in verdicts if v.id != "copy0"}
            listing = {size: page_time(engine, len(articles), size) for size in LISTED_PAGES}
        finally:
            engine.close()
    if roots != {"copy0"}:
        raise SystemExit(f"max_candidates={max_candidates}: copies were not all grouped with copy0: {roots}")
    return rates, listing


def page_time(engine: Engine, copies: int, page_size: int) -> float:
    """Seconds per ListGroupMembers page (in-process) while listing the whole group; checks the listing."""
    began, pages, listed, token = time.perf_counter(), 0, [], ""
    while True:
        page = engine.group_members("copy1", page_size, token)
        pages += 1
        listed += [m.id for m in page.members]
        if (page.original, page.total) != ("copy0", copies):
            raise SystemExit(f"the group listing says {page.original!r}, {page.total} copies")
        token = page.next_page_token
        if not token:
            break
    if sorted(listed) != sorted(f"copy{i}" for i in range(copies)):
        raise SystemExit(f"the group listing holds {len(listed)} of {copies} copies")
    return (time.perf_counter() - began) / pages


@contextmanager
def store_opener(kind: str) -> Iterator[StoreOpener]:
    """Opens a fresh store of that kind for each run (Redis: one redis-server, cleared for each)."""
    if kind == "sqlite":
        yield lambda params, where: SqliteStore(where / "n.db", params)
        return
    with tempfile.TemporaryDirectory(prefix="neardup-syndication-redis-") as tmp:
        server = RedisServer(Path(tmp)).start()
        try:

            def fresh(params: DetectionParams, _where: Path) -> Store:
                store = RedisStore(server.url, params)
                store.clear()
                return store

            yield fresh
        finally:
            server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.syndication", description=__doc__.split("\n\n")[0])
    # (Bounded, naming the flag: --step 0 ended in a ValueError, --copies 0 and 1 in a NotFound traceback: the
    # group listed is copy1's.)
    p.add_argument("--copies", type=whole_number(2), default=1000, help="copies of the story, the first one included")
    p.add_argument("--step", type=whole_number(1), default=200, help="copies a rate is measured over")
    p.add_argument("--max-candidates", type=whole_number(1), default=DetectionParams().max_candidates)
    p.add_argument("--store", choices=("sqlite", "redis"), default="sqlite")
    args = p.parse_args(argv)
    articles = copies(args.copies)
    with store_opener(args.store) as open_store:
        capped, listing = step_rates(articles, args.step, args.max_candidates, open_store)
        uncapped, _ = step_rates(articles, args.step, UNCAPPED, open_store)
    table = Table(title=f"copies of one story, {args.store}: --max-candidates {args.max_candidates} vs no cap")
    for column in ("copies stored", "capped art/s", "uncapped art/s", "ratio"):
        table.add_column(column, justify="right")
    for n, (a, b) in enumerate(zip(capped, uncapped, strict=True)):
        table.add_row(f"{min((n + 1) * args.step, args.copies):,}", f"{a:,.0f}", f"{b:,.0f}", f"{a / b:.1f}x")
    Console().print(table)
    pages = ", ".join(f"{listing[size] * 1000:.1f} ms a page of {size:,}" for size in LISTED_PAGES)
    Console().print(f"listing the group of {args.copies:,} copies (ListGroupMembers, in-process): {pages}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
