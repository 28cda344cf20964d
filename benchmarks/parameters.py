"""Measure the index parameters on real news: shingle size and LSH band layout.

    python -m benchmarks.parameters [--reuters PATH] [--lee PATH] [--sample 3000]

Shingle size: for each k, how well containment separates true copies (an excerpt of 50-90 % of a real
article under an unrelated opening, as publishers paste appeals on top) from the closest
*different* story (Lee corpus: 300 distinct ABC stories, several on the same events). Band layout: for
each (bands, rows) with bands*rows <= 128, the share of copies that become LSH candidates, and how many
candidates per query turn out not to be copies (wasted verifications) over a Reuters index.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.corpus import SHARED
from service.minhash import SignatureMaker
from service.shingles import shingle_set
from service.similarity import overlap
from service.text import tokens

SIZES = (2, 3, 4, 5, 6, 8)
LAYOUTS = ((16, 8), (21, 6), (25, 5), (32, 4), (42, 3), (64, 2))


def load_reuters(path: Path, sample: int, rng: random.Random) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        bodies = [json.loads(line)["body"] for line in f]
    docs = [t for t in (tokens(b) for b in bodies) if len(t) >= 80]
    return rng.sample(docs, min(sample, len(docs)))


def load_lee(path: Path) -> list[list[str]]:
    return [t for t in (tokens(line) for line in path.read_text(encoding="utf-8").splitlines()) if len(t) >= 80]


def make_copy(doc: list[str], donor: list[str], rng: random.Random) -> list[str]:
    """An edited excerpt of 50-90 % of `doc` under another text's opening (10-25 % of doc's length)."""
    keep = doc[: max(20, int(len(doc) * rng.uniform(0.5, 0.9)))]
    for i in rng.sample(range(len(keep)), len(keep) // 30):  # light copy-editing: about 1 word in 30 changed
        keep[i] = rng.choice(donor)
    return donor[: int(len(doc) * rng.uniform(0.10, 0.25))] + keep


def shingle_size_table(lee: list[list[str]], rng: random.Random) -> Table:
    table = Table(title="Shingle size: containment of copies vs. closest different story (Lee corpus)")
    for col in ("k", "copies: 1st pct", "copies ≥ 0.5", "different: max", "different ≥ 0.5", "margin"):
        table.add_column(col, justify="right")
    copies = [(doc, make_copy(doc, rng.choice(lee), rng)) for doc in lee]
    republished = corpus_republications(lee)
    for k in SIZES:
        sets = [shingle_set(d, k) for d in lee]
        pos = np.array([overlap(shingle_set(c, k), shingle_set(d, k)).containment for d, c in copies])
        neg = np.array([max(overlap(sets[i], sets[j]).containment for j in range(len(sets))
                            if j != i and (i, j) not in republished) for i in range(len(sets))])  # fmt: skip
        table.add_row(str(k), f"{np.percentile(pos, 1):.2f}", f"{(pos >= 0.5).mean():.3f}", f"{neg.max():.2f}",
                      f"{(neg >= 0.5).mean():.3f}", f"{np.percentile(pos, 1) - neg.max():+.2f}")  # fmt: skip
    return table


def corpus_republications(docs: list[list[str]]) -> set[tuple[int, int]]:
    """Pairs the Lee corpus itself holds twice (10 pairs, read by eye: the same ABC story filed twice,
    once truncated). They are copies, not different stories, so they are left out of the negatives."""
    sets = [shingle_set(d, 5) for d in docs]
    pairs = set()
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            if overlap(sets[i], sets[j]).containment >= 0.85:
                pairs |= {(i, j), (j, i)}
    return pairs


def layout_table(docs: list[list[str]], rng: random.Random, k: int = 5) -> Table:
    maker = SignatureMaker(128, 1)
    sets = [shingle_set(d, k) for d in docs]
    sigs = np.stack([maker.signature(s) for s in sets])
    queries = rng.sample(range(len(docs)), min(300, len(docs)))
    copies = [shingle_set(make_copy(docs[i], docs[rng.randrange(len(docs))], rng), k) for i in queries]
    copy_sigs = np.stack([maker.signature(c) for c in copies])
    table = Table(title=f"LSH layout (k={k}, {len(docs)} Reuters articles indexed, {len(queries)} copies queried)")
    for col in ("bands x rows", "P(cand) at J=0.4", "copies found", "wasted verifications / query"):
        table.add_column(col, justify="right")
    for bands, rows in LAYOUTS:
        found, wasted = 0, 0
        for q, (i, c) in enumerate(zip(queries, copies, strict=True)):
            cands = _band_hits(copy_sigs[q], sigs, bands, rows)
            found += int(i in cands)
            wasted += sum(1 for j in cands if j != i and overlap(c, sets[j]).containment < 0.5)
        theory = 1 - (1 - 0.4**rows) ** bands
        table.add_row(f"{bands} x {rows}", f"{theory:.3f}", f"{found / len(queries):.3f}",
                      f"{wasted / len(queries):.2f}")  # fmt: skip
    return table


def _band_hits(query: np.ndarray, sigs: np.ndarray, bands: int, rows: int) -> set[int]:
    eq = sigs[:, : bands * rows] == query[: bands * rows]
    return set(np.flatnonzero(eq.reshape(len(sigs), bands, rows).all(axis=2).any(axis=1)).tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reuters", type=Path, default=SHARED / "corpora" / "reuters21578.jsonl.gz")
    parser.add_argument("--lee", type=Path, default=SHARED / "corpora" / "lee_background.txt")
    parser.add_argument("--sample", type=int, default=3000, help="Reuters articles to index for the layout table")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    console = Console()
    console.print(shingle_size_table(load_lee(args.lee), rng))
    console.print(layout_table(load_reuters(args.reuters, args.sample, rng), rng))


if __name__ == "__main__":
    main()
