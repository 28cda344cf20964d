"""Accuracy of neardup against the plain datasketch recipe, on a labelled corpus. One command:

    python -m benchmarks.accuracy CORPUS.jsonl GOLD [--boilerplate-file F] [--plot pr.png]

GOLD is either clusters (a JSON list of lists of ids: every pair inside a list is the same
article, every other pair of the corpus is different) or labelled pairs (JSONL lines
{"a": id, "b": id, "label": "SAME" | "DIFFERENT"}: only those pairs are scored).

neardup runs for real: an in-process gRPC server on 127.0.0.1 (port 0) over a fresh SQLite
store, fed with the client's IndexArticles stream in corpus order; a reported pair is any
match in a response. The baseline is the 20-line datasketch recipe: lower-cased
whitespace-separated word 5-grams, xxhash (xxh32) hash function, 128 permutations,
MinHashLSH(threshold=0.5), each article queried then inserted; every LSH hit is reported.
A second baseline is text-dedup's MinHash (benchmarks/textdedup.py: 256 permutations, SHA-1,
threshold 0.7 by default and 0.5), whose answer is clusters, scored as groups.
Scores are given for the pairs reported directly and for the pairs inside the groups they form
("grouped", union-find: what the service's duplicate_of groups say; with cluster gold this is the
fair reading, since two excerpts of one story may share nothing with each other).
The precision-recall curve (direct pairs) sweeps neardup's containment threshold (one extra run at a low
threshold, scores kept) and the baseline's LSH threshold.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import xxhash
from datasketch import MinHash, MinHashLSH

from benchmarks import outputs, plots
from benchmarks.plots import pyplot
from benchmarks.textdedup import textdedup_pairs
from client import Article, NeardupClient
from client.jsonl import parse_time
from service.grpc_server import start_server
from service.settings import DetectionParams, Settings

Pair = tuple[str, str]
PLOT_MARK = "benchmarks.accuracy"  # (in its PNGs' metadata: the curves it writes over are its own)
THRESHOLDS = [round(0.1 + 0.05 * i, 2) for i in range(18)]  # 0.10 .. 0.95


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


# ---- input -------------------------------------------------------------------------------------


def read_corpus(path: Path) -> list[dict[str, Any]]:
    """JSONL (or .jsonl.gz) articles; those with an empty body are left out (neardup refuses them)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if r["body"].strip()]


@dataclass
class Gold:
    same: set[Pair]
    different: set[Pair] | None  # None: every pair not in `same` is different

    def judged(self, p: Pair) -> bool:
        return self.different is None or p in self.same or p in self.different


def read_gold(path: Path) -> Gold:
    text = path.read_text()
    if text.lstrip().startswith("["):
        same = {pair(a, b) for cluster in json.loads(text) for a, b in itertools.combinations(cluster, 2)}
        return Gold(same, None)
    same = set()
    different: set[Pair] = set()
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            (same if row["label"] == "SAME" else different).add(pair(row["a"], row["b"]))
    return Gold(same, different)


# ---- systems -------------------------------------------------------------------------------------


def to_article(row: dict[str, Any]) -> Article:
    # (read as `neardup ingest` reads it: a time without an offset is UTC, where Article refuses a naive one)
    return Article(
        id=row["id"], body=row["body"], title=row.get("title", ""), source=row.get("source", ""),
        published=parse_time(row.get("published")),
    )  # fmt: skip


@dataclass
class Groups:
    """The service's groups after an ingest (`neardup_pairs`): each stored article's original (`duplicate_of`, or
    itself), and the seconds spent reading them (not part of the ingest's time)."""

    roots: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def neardup_pairs(
    rows: list[dict[str, Any]], detection: DetectionParams, groups: Groups | None = None
) -> dict[Pair, float]:
    """Pairs the real service reports while ingesting `rows` in order, with their containment. `groups`, if
    given, is filled with each stored article's group as the service holds them once the ingest is over."""
    found: dict[Pair, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(host="127.0.0.1", port=0, data_dir=Path(tmp), detection=detection)
        running = start_server(settings)
        try:
            with NeardupClient(f"127.0.0.1:{running.port}", timeout=600) as client:
                stored: list[str] = []
                for outcome in client.index_stream(to_article(r) for r in rows if r["body"].strip()):
                    stored.append(outcome.id)
                    for m in getattr(outcome, "matches", ()):
                        p = pair(outcome.id, m.id)
                        found[p] = max(found.get(p, 0.0), m.containment)
                if groups is not None:
                    began = time.perf_counter()
                    for article_id in dict.fromkeys(stored):
                        groups.roots[article_id] = client.get(article_id).duplicate_of or article_id
                    groups.seconds = time.perf_counter() - began
        finally:
            running.stop(grace=5)
    return found


def datasketch_signatures(rows: list[dict[str, Any]]) -> list[tuple[str, MinHash]]:
    out = []
    for r in rows:
        words = r["body"].lower().split()
        grams = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128, hashfunc=xxhash.xxh32_intdigest)
        m.update_batch(list(grams))
        out.append((r["id"], m))
    return out


def datasketch_pairs(signed: list[tuple[str, MinHash]], threshold: float) -> set[Pair]:
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    found: set[Pair] = set()
    for key, m in signed:
        found.update(pair(key, other) for other in lsh.query(m))
        lsh.insert(key, m)
    return found


# ---- scoring -------------------------------------------------------------------------------------


@dataclass
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self, name: str) -> str:
        return (f"{name:<28} P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f} "
                f"(tp={self.tp} fp={self.fp} fn={self.fn})")  # fmt: skip


def score(predicted: Iterable[Pair], gold: Gold) -> Score:
    judged = {p for p in predicted if gold.judged(p)}
    tp = len(judged & gold.same)
    return Score(tp, len(judged) - tp, len(gold.same) - tp)


def grouped(predicted: Iterable[Pair]) -> set[Pair]:
    """All pairs inside the groups that the predicted pairs form (union-find), as the service's
    duplicate_of groups do: two partial copies of one story are one article even if they share little."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in predicted:
        parent[find(a)] = find(b)
    members: dict[str, list[str]] = {}
    for x in list(parent):
        members.setdefault(find(x), []).append(x)
    return {pair(a, b) for group in members.values() for a, b in itertools.combinations(group, 2)}


def service_groups(groups: Groups) -> set[Pair]:
    """All pairs inside the service's own groups (`neardup_pairs`' `groups`): where `grouped` joins every
    reported pair, the service merges groups only through an article whose matches are one story
    (docs/quality.md, "Groups")."""
    members: dict[str, list[str]] = {}
    for article_id, root in groups.roots.items():
        members.setdefault(root, []).append(article_id)
    return {pair(a, b) for group in members.values() for a, b in itertools.combinations(group, 2)}


def errors(predicted: set[Pair], gold: Gold, limit: int = 10) -> Iterator[str]:
    judged = {p for p in predicted if gold.judged(p)}
    for p in sorted(judged - gold.same)[:limit]:
        yield f"  false match: {p[0]} ~ {p[1]}"
    for p in sorted(gold.same - judged)[:limit]:
        yield f"  missed:      {p[0]} ~ {p[1]}"


def order_agreement(
    rows: list[dict[str, Any]], detection: DetectionParams, gold: Gold, orders: int, first: dict[Pair, float]
) -> None:
    """The answer should not depend on arrival order: compare the pairs reported in shuffled orders."""
    runs = [set(first)]
    for seed in range(orders):
        shuffled = rows[:]
        random.Random(1000 + seed).shuffle(shuffled)
        found = neardup_pairs(shuffled, detection)
        runs.append(set(found))
        print(score(found, gold).row(f"neardup, order {seed + 1}"))
    everywhere, anywhere = set.intersection(*runs), set.union(*runs)
    print(f"order agreement over {len(runs)} orders: {len(everywhere)} pairs in every run, {len(anywhere)} in any "
          f"(agreement {len(everywhere) / max(1, len(anywhere)):.4f})")  # fmt: skip


def plot(curves: dict[str, list[tuple[float, Score]]], path: Path, title: str) -> bool:
    """Whether the curve was written (not without matplotlib)."""
    plt = pyplot()
    if plt is None:
        return False

    fig, ax = plt.subplots(figsize=(6, 5))
    for name, points in curves.items():
        ax.plot([s.recall for _, s in points], [s.precision for _, s in points], marker="o", ms=3, label=name)
        for t, s in points[::3]:
            ax.annotate(f"{t:.2f}", (s.recall, s.precision), fontsize=6)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    plots.save(plt, fig, path, PLOT_MARK, dpi=120)
    return True


# ---- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Score]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--boilerplate-file", default="", help="operator boilerplate passages for neardup")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a neardup detection parameter, e.g. lsh_bands=64 (repeatable)",
    )
    parser.add_argument("--plot", type=Path, help="save the precision-recall curve here (PNG)")
    parser.add_argument("--no-curve", action="store_true", help="skip the threshold sweep")
    parser.add_argument("--shuffle", type=int, default=None, help="ingest in a random order with this seed")
    parser.add_argument(
        "--also-pairs-with",
        default=None,
        help="also score direct pairs with one id matching this regex (e.g. '^o\\d+$': original-copy)",
    )
    parser.add_argument(
        "--orders", type=int, default=0, help="also ingest in this many random orders and report agreement between them"
    )
    parser.add_argument("--show-errors", type=int, default=0, help="print this many errors of each kind")
    args = parser.parse_args(argv)
    # (Before any work: a --plot naming another benchmark's plot was written over at the end.)
    outputs.guard_plot(parser, "--plot", args.plot, PLOT_MARK, "quality-pr.png")

    rows = read_corpus(args.corpus)
    if args.shuffle is not None:
        random.Random(args.shuffle).shuffle(rows)
    gold = read_gold(args.gold)
    overrides = {k: type(getattr(DetectionParams(), k))(v) for k, v in (p.split("=", 1) for p in args.param)}
    detection = DetectionParams(boilerplate_file=args.boilerplate_file, **overrides)
    print(f"corpus {args.corpus} ({len(rows)} articles), gold {args.gold} ({len(gold.same)} same pairs)")

    started = time.perf_counter()
    groups = Groups()
    ours = neardup_pairs(rows, detection, groups)
    took = time.perf_counter() - started - groups.seconds
    signed = datasketch_signatures(rows)
    baseline = datasketch_pairs(signed, 0.5)
    clusters = {t: grouped(textdedup_pairs(rows, t)) for t in (0.7, 0.5)}  # its default, and the recipe's
    results = {
        "neardup": score(ours, gold),
        "datasketch (threshold 0.5)": score(baseline, gold),
        "neardup, grouped": score(grouped(ours), gold),
        "neardup, service groups": score(service_groups(groups), gold),
        "datasketch, grouped": score(grouped(baseline), gold),
        "text-dedup MinHash, clusters (0.7)": score(clusters[0.7], gold),
        "text-dedup MinHash, clusters (0.5)": score(clusters[0.5], gold),
    }
    if args.also_pairs_with:
        keep = re.compile(args.also_pairs_with)

        def restricted(pairs: Iterable[Pair]) -> set[Pair]:
            return {p for p in pairs if keep.search(p[0]) or keep.search(p[1])}

        sub = Gold(restricted(gold.same), None if gold.different is None else restricted(gold.different))
        results["neardup, pairs with " + args.also_pairs_with] = score(restricted(ours), sub)
        results["neardup, service groups, pairs with " + args.also_pairs_with] = score(
            restricted(service_groups(groups)), sub
        )
        results["datasketch, pairs with " + args.also_pairs_with] = score(restricted(baseline), sub)
        for t, pairs in clusters.items():
            results[f"text-dedup ({t}), pairs with " + args.also_pairs_with] = score(restricted(pairs), sub)
    print(f"neardup ingest: {took:.1f}s ({len(rows) / took:.0f} articles/s, reported {len(ours)} pairs)")
    for name, s in results.items():
        print(s.row(name))
    if args.orders:
        order_agreement(rows, detection, gold, args.orders, ours)
    if args.show_errors:
        print("neardup errors:")
        print("\n".join(errors(set(ours), gold, args.show_errors)))
        print("datasketch errors:")
        print("\n".join(errors(baseline, gold, args.show_errors)))
    if not args.no_curve:
        low = neardup_pairs(rows, replace(detection, min_containment=min(THRESHOLDS)))
        curves = {
            "neardup (containment threshold)": [(t, score({p for p, c in low.items() if c >= t}, gold))
                                                for t in THRESHOLDS],
            "datasketch (LSH threshold)": [(t, score(datasketch_pairs(signed, t), gold)) for t in THRESHOLDS],
        }  # fmt: skip
        print(f"{'threshold':>9} | neardup P / R / F1     | datasketch P / R / F1")
        for (t, a), (_, b) in zip(curves["neardup (containment threshold)"], curves["datasketch (LSH threshold)"],
                                  strict=True):  # fmt: skip
            print(f"{t:>9.2f} | {a.precision:.3f} / {a.recall:.3f} / {a.f1:.3f} | "
                  f"{b.precision:.3f} / {b.recall:.3f} / {b.f1:.3f}")  # fmt: skip
        if args.plot and plot(curves, args.plot, f"{args.corpus.name}: precision-recall"):
            print(f"curve saved to {args.plot}")
    return results


if __name__ == "__main__":
    main()
