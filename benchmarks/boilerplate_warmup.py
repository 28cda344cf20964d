"""How long does learning a publisher's boilerplate take? One command:

    python -m benchmarks.boilerplate_warmup [--stories 200] [--orders 5]

A stream of different real stories (short excerpts of the ABC articles of
../shared/corpora/lee_background.txt, read by path), every one wrapped in the same
outlet's boilerplate (benchmarks/devsets/boilerplate_texts.py), which is longer than the
story: without boilerplate handling every pair would match. Nothing is listed by the
operator, so neardup must learn it. For several random orders, prints the false pairs
reported and the arrival position of the last article that got one: the warm-up.
The datasketch recipe on the same stream is shown for scale.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.accuracy import datasketch_pairs, datasketch_signatures, neardup_pairs
from benchmarks.corpus import SHARED
from benchmarks.devsets.boilerplate_texts import OUTLETS
from client.cli import whole_number
from service.settings import DetectionParams

LEE = SHARED / "corpora" / "lee_background.txt"


def stream(stories: int, outlet: str, lee: Path = LEE) -> list[dict[str, str]]:
    page = OUTLETS[outlet]
    top = page.get("appeal") or page.get("app", "")
    bottom = "\n\n".join(p for name, p in page.items() if p != top)
    texts: list[str] = []
    seen: set[str] = set()
    for line in lee.read_text().splitlines():
        words = line.split()
        grams = {" ".join(words[i : i + 8]).lower() for i in range(max(1, len(words) - 7))}
        if len(words) >= 150 and len(grams & seen) < 0.05 * len(grams):  # the corpus has near-duplicates
            seen |= grams
            texts.append(" ".join(words[:70]))
    return [{"id": f"s{n}", "body": f"{top}\n\n{text}\n\n{bottom}"} for n, text in enumerate(texts[:stories])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.boilerplate_warmup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # (Bounded, naming the flag: --stories 0 ran, and reported "0 false pairs" of no stories.)
    parser.add_argument("--stories", type=whole_number(2), default=200, help="at most this many (the corpus gives 170)")
    parser.add_argument("--orders", type=whole_number(1), default=5)
    parser.add_argument("--outlet", default="courier", choices=sorted(OUTLETS))
    parser.add_argument("--lee", type=Path, default=LEE, help="the Lee corpus (../shared/corpora/lee_background.txt)")
    args = parser.parse_args(argv)
    if not args.lee.is_file():  # (it ended in a raw FileNotFoundError without ../shared beside the checkout)
        print(f"boilerplate_warmup: no Lee corpus at {args.lee} (expected ../shared/corpora/lee_background.txt): "
              "give --lee FILE", file=sys.stderr)  # fmt: skip
        return 2
    rows = stream(args.stories, args.outlet, args.lee)
    # (Said: --stories 5000 silently ran on the 170 the corpus gives.)
    fewer = f" (all {args.lee.name} gives; --stories asked {args.stories})" if len(rows) < args.stories else ""
    print(f"{len(rows)} different stories{fewer}, each wrapped in the {args.outlet!r} boilerplate")
    for seed in range(args.orders):
        order = rows[:]
        random.Random(seed).shuffle(order)
        position = {r["id"]: n for n, r in enumerate(order)}
        false_pairs = neardup_pairs(order, DetectionParams())
        last = max((max(position[a], position[b]) for a, b in false_pairs), default=None)
        baseline = datasketch_pairs(datasketch_signatures(order), 0.5)
        early = sorted(max(position[a], position[b]) + 1 for a, b in false_pairs)
        print(f"  arrival (1-based) of the later article of each false pair: {early}")
        print(f"order {seed}: neardup {len(false_pairs)} false pairs, last at arrival #{last} "
              f"(1-based: {None if last is None else last + 1}); datasketch {len(baseline)} false pairs")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
