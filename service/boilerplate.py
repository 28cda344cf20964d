"""Publisher boilerplate: text that a publisher attaches to many unrelated stories.

Three sources, all applied the same way at verification time:

- scraper header fields such as ` date 2025-03-17` are blanked before tokenising
  (same length, so character offsets stay valid);
- an operator-supplied list of passages (`--boilerplate-file`), shingled exactly
  like articles;
- passages learned from the stream. The store counts, for a 1-in-SAMPLE_MODULUS
  sample of shingle hashes, in how many *groups* (distinct stories, not articles)
  each was seen. A wire story republished twenty times is one group, so its text
  never becomes boilerplate; a donation appeal pasted on twenty different stories
  is in twenty groups. A sampled shingle seen in at least `common_after` groups is
  "common"; the positions of a text lying between two consecutive common samples
  are boilerplate too (the samples are anchors of the passage).

Sampling keeps the counts to 1/SAMPLE_MODULUS of the distinct shingles; the
embedded store holds them in compact bit planes (service/group_counts.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.group_counts import SAMPLE_SHIFT, is_sampled
from service.model import BoolArray, U32Array
from service.sets import difference, members, unique
from service.shingles import shingle_sequence, to_u32, utf8_word_hashes
from service.text import ND5_READING, Reading, utf8_tokens

SAMPLE_MODULUS = 1 << SAMPLE_SHIFT  # 8: a hash is sampled (group_counts.is_sampled) if it is a multiple of this
# Two common samples further apart than this are taken as two passages. The real guard against
# filling content is that any content between them would hold samples of its own (a stretch of
# 64 shingles holds none with probability (7/8)^64 = 0.02 %).
MAX_ANCHOR_GAP = 8 * SAMPLE_MODULUS
CommonLookup = Callable[[U32Array], U32Array]  # sampled hashes -> the subset seen in enough groups

_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
# A header field at the start of a line: "date 2025-03-17", "Published: 17/03/2025 10:32".
_HEADER = re.compile(rf"(?im)^[ \t]*(?:date|published|updated|posted|last modified|scraped)[ \t]*[:\-]?[ \t]*{_DATE}")


HEADER_ZONE = 400  # header fields are looked for in the first and last characters of a body only


def mask_headers(body: str) -> str:
    """`body` with scraper header fields (at its top or bottom) replaced by spaces of the same length."""
    if len(body) <= 2 * HEADER_ZONE:
        return _HEADER.sub(_blank, body)
    return (
        _HEADER.sub(_blank, body[:HEADER_ZONE])
        + body[HEADER_ZONE:-HEADER_ZONE]
        + _HEADER.sub(_blank, body[-HEADER_ZONE:])
    )


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


def sampled(hashes: U32Array) -> U32Array:
    """The 1-in-SAMPLE_MODULUS sample of `hashes` whose group counts the store keeps."""
    picked: U32Array = hashes[is_sampled(hashes)]
    return picked


def shingle_hashes(text: str, shingle_size: int, reading: Reading = ND5_READING) -> U32Array:
    """Sequence of shingle hashes of `text`, in text order, exactly as articles are shingled (`reading`: as
    DetectionParams says)."""
    words = utf8_tokens(mask_headers(text), reading)
    if not words:
        return np.empty(0, dtype=np.uint32)
    return to_u32(shingle_sequence(utf8_word_hashes(words), shingle_size))


def read_passages(path: Path) -> list[str]:
    """Operator boilerplate file: passages separated by blank lines (a line is a passage too)."""
    text = path.read_text(encoding="utf-8")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def operator_shingles(passages: Iterable[str], shingle_size: int, reading: Reading = ND5_READING) -> U32Array:
    parts = [shingle_hashes(p, shingle_size, reading) for p in passages]
    return unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint32)


@dataclass(frozen=True)
class Labelled:
    """A text's shingle set split into boilerplate and content."""

    shingles: U32Array  # sorted unique
    boilerplate: U32Array  # sorted unique subset of shingles
    positions: BoolArray  # per position of the shingle sequence: is it boilerplate?
    sequence: U32Array  # the shingle sequence itself
    anchors: BoolArray  # per position: a sampled shingle (its group count is known)
    common: BoolArray  # per position: a sampled shingle seen in enough groups


def label(
    sequence: U32Array, operator: U32Array, common: CommonLookup | None, shingles: U32Array | None = None
) -> Labelled:
    """Mark the boilerplate positions of a shingle sequence (operator list + learned passages).

    `shingles`, when the caller has it, is the sequence's sorted unique set."""
    is_bp = members(sequence, operator)
    is_anchor = is_sampled(sequence)
    is_common = np.zeros(sequence.size, dtype=np.bool_)
    if common is not None and sequence.size:
        _mark_learned(sequence, is_bp, is_anchor, is_common, common)
    distinct = shingles if shingles is not None else unique(sequence)
    boilerplate = unique(sequence[is_bp]) if is_bp.any() else np.empty(0, dtype=np.uint32)
    return Labelled(distinct, boilerplate, is_bp, sequence, is_anchor, is_common)


def _mark_learned(
    sequence: U32Array, is_bp: BoolArray, is_anchor: BoolArray, is_common: BoolArray, common: CommonLookup
) -> None:
    anchors = np.flatnonzero(is_anchor)
    if not anchors.size:
        return
    values = sequence[anchors]
    known = common(unique(values))  # sorted: a subset of sorted values
    if not known.size:
        return
    hit = members(values, known)
    is_common[anchors[hit]] = True
    is_bp[anchors[hit]] = True
    # Boilerplate at the very top or bottom: extend the outermost common sample to the edge.
    if hit[0] and anchors[0] <= MAX_ANCHOR_GAP:
        is_bp[: anchors[0]] = True
    if hit[-1] and sequence.size - anchors[-1] <= MAX_ANCHOR_GAP:
        is_bp[anchors[-1] :] = True
    # Fill between consecutive common anchors: the passage they belong to.
    joined = hit[:-1] & hit[1:] & (np.diff(anchors) <= MAX_ANCHOR_GAP)
    if joined.any():
        delta = np.zeros(sequence.size + 1, dtype=np.int32)
        delta[anchors[:-1][joined]] += 1  # starts are distinct, and so are ends: no np.add.at needed
        delta[anchors[1:][joined]] -= 1
        is_bp |= np.cumsum(delta[:-1]) > 0


def shared_boilerplate(query: Labelled, other: U32Array) -> BoolArray:
    """Positions of the query that are boilerplate for this pair.

    Beyond the query's own labels: a stretch the two texts share whose samples are all
    common (at least one) is one boilerplate passage as a whole, edges included; the pair
    itself shows where the passage starts and ends.
    """
    in_other = members(query.sequence, other)
    marked = query.positions.copy()
    if not query.common.any() or not in_other.any():
        return marked
    edges = np.diff(np.concatenate(([0], in_other.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    anchors = np.concatenate(([0], np.cumsum(query.anchors)))
    common = np.concatenate(([0], np.cumsum(query.common)))
    n_anchor, n_common = anchors[ends] - anchors[starts], common[ends] - common[starts]
    for s, e in zip(
        starts[(n_common > 0) & (n_common == n_anchor)], ends[(n_common > 0) & (n_common == n_anchor)], strict=True
    ):
        marked[s:e] = True
    return marked


def estimated_boilerplate(other: U32Array, query: Labelled, operator: U32Array, common: CommonLookup | None) -> int:
    """How many of a stored article's shingles are boilerplate, without its text.

    Exact for what it shares with the query or the operator list; for the rest, the
    common samples scaled up by the sampling rate.
    """
    known = int(members(other, query.boilerplate).sum()) if query.boilerplate.size else 0
    if operator.size:
        rest = difference(other, query.shingles)
        in_list = members(rest, operator)
        known += int(in_list.sum())
        samples = sampled(rest[~in_list])
    else:  # sampling first is cheaper than the difference of the full sets
        samples = difference(sampled(other), query.shingles)
    if common is not None and samples.size:
        known += SAMPLE_MODULUS * int(common(samples).size)
    return min(known, int(other.size))


def new_group_samples(shingles: U32Array, matched: Iterable[U32Array]) -> U32Array:
    """Sampled shingles of an incoming article that its group has not counted yet.

    The article joins the groups of the articles it matched; what those already hold
    was counted for the group when it arrived, so only the rest is counted now.
    """
    samples = sampled(shingles)
    for other in matched:
        if not samples.size:
            break
        samples = difference(samples, other)
    return samples
