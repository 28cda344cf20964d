"""Check the seeds: ingested in any order, they must give exactly one pair, 000 with 001.

    python -m benchmarks.seeds_check [--seeds ../shared/seeds] [--shuffles 10]

Runs the real service (in-process gRPC server on 127.0.0.1, port 0, fresh SQLite store)
for the file order, the reverse order and --shuffles random orders; exits 1 on any
other outcome. Reads ../shared by path; the project's tests use their own articles.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.accuracy import neardup_pairs
from benchmarks.corpus import SHARED
from client.cli import whole_number
from service.settings import DetectionParams

EXPECTED = {("000", "001")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.seeds_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=Path, default=SHARED / "seeds", help="the folder of the seed files")
    parser.add_argument(
        "--shuffles", type=whole_number(0), default=10, help="random orders, beside the file's and its reverse"
    )
    args = parser.parse_args(argv)
    rows = [{"id": p.name[:3], "body": p.read_text(encoding="utf-8")} for p in sorted(args.seeds.glob("*.txt"))]
    if not rows:  # (a folder missing, or empty, failed every order: "seeds check FAILED in 12 of 12 orders")
        print(f"seeds_check: no seed files found in {args.seeds} (expected the five NNN_*.txt of ../shared/seeds; "
              "give --seeds DIR)", file=sys.stderr)  # fmt: skip
        return 2
    orders = {"file order": rows, "reverse": rows[::-1]}
    for seed in range(args.shuffles):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        orders[f"shuffle {seed}"] = shuffled
    failed = 0
    for name, order in orders.items():
        pairs = neardup_pairs(order, DetectionParams())
        ok = set(pairs) == EXPECTED
        failed += not ok
        shown = ", ".join(f"{a}-{b} (containment {c:.2f})" for (a, b), c in sorted(pairs.items())) or "none"
        print(f"{'ok  ' if ok else 'FAIL'} {name:<11} [{' '.join(r['id'] for r in order)}]: {shown}")
    print("seeds check passed" if not failed else f"seeds check FAILED in {failed} of {len(orders)} orders")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
