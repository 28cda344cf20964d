"""Exact verification of LSH candidates: similarity, relation, shared passages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.model import Passage, Relation, U32Array
from service.shingles import shingle_sequence, to_u32, word_hashes
from service.text import token_spans

IDENTICAL_JACCARD = 0.9  # above this, differences are formatting or a few words
CONTAINED = 0.8  # share of one side's shingles found in the other to call it contained


@dataclass(frozen=True)
class Overlap:
    """Exact set overlap of two shingle sets: a = request article, b = stored one."""

    size_a: int
    size_b: int
    shared: int

    @property
    def jaccard(self) -> float:
        union = self.size_a + self.size_b - self.shared
        return self.shared / union if union else 0.0

    @property
    def containment(self) -> float:
        smaller = min(self.size_a, self.size_b)
        return self.shared / smaller if smaller else 0.0

    def relation(self) -> Relation:
        if self.jaccard >= IDENTICAL_JACCARD:
            return Relation.IDENTICAL
        a_inside_b = self.shared / self.size_a >= CONTAINED if self.size_a else False
        b_inside_a = self.shared / self.size_b >= CONTAINED if self.size_b else False
        if b_inside_a and not a_inside_b:
            return Relation.ADDITIONS
        if a_inside_b and not b_inside_a:
            return Relation.TRUNCATED
        return Relation.REVISED


def overlap(a: U32Array, b: U32Array) -> Overlap:
    """Exact overlap of two sorted unique arrays."""
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    return Overlap(int(a.size), int(b.size), shared)


def shared_passages(body_a: str, body_b: str, shingle_size: int) -> tuple[Passage, ...]:
    """Maximal runs of consecutive shingles that appear in the same order in both texts."""
    spans_a, seq_a = _spans_and_shingles(body_a, shingle_size)
    spans_b, seq_b = _spans_and_shingles(body_b, shingle_size)
    first_in_b: dict[int, int] = {}
    for j, h in enumerate(seq_b.tolist()):
        first_in_b.setdefault(h, j)
    runs: list[tuple[int, int, int, int]] = []  # (i0, i1, j0, j1) inclusive shingle indices
    for i, h in enumerate(seq_a.tolist()):
        if h not in first_in_b:
            continue
        j = first_in_b[h]
        if runs and runs[-1][1] == i - 1 and runs[-1][3] == j - 1:
            i0, _, j0, _ = runs[-1]
            runs[-1] = (i0, i, j0, j)
        else:
            runs.append((i, i, j, j))
    k_a = min(shingle_size, len(spans_a))
    k_b = min(shingle_size, len(spans_b))
    return tuple(
        Passage(spans_a[i0][1], spans_a[i1 + k_a - 1][2], spans_b[j0][1], spans_b[j1 + k_b - 1][2])
        for i0, i1, j0, j1 in runs
    )


def _spans_and_shingles(body: str, size: int) -> tuple[list[tuple[str, int, int]], U32Array]:
    spans = token_spans(body)
    seq = to_u32(shingle_sequence(word_hashes([t for t, _, _ in spans]), size))
    return spans, seq
