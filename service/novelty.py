"""Which articles of a write batch are provably new stories: the writer's fast path.

Most of what an ingest pipeline sends is new. For a new story the full decision (label
its boilerplate, look up candidates, verify them, regroup) finds nothing, one article at a
time, at about 170 µs each in the writer thread, the one serial stage of the service. The
engine instead screens a whole batch in a few vectorised steps and stores the new stories
of a run together.

The screen is conservative: an article is *novel* only if deciding the batch one article at
a time, in arrival order, could not have found it a candidate, and would have labelled its
boilerplate as the screen did. That holds when

- no stored article, and no earlier article of the batch, has its id;
- none of its sampled shingles can have become common (seen in enough groups) during the
  batch: a sample that k earlier articles of the batch hold has gained at most k groups;
- none of the LSH bands it would be indexed under holds a stored article now, and none
  equals a band of an earlier article of the batch.

The engine sends everything else down the full path, so the answers are the same
(tests/integration/test_same_answers.py). An earlier article that takes the full path may
end up indexed under other bands than screened; the engine re-checks the later articles
against those (`Screen.exclude`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.detector import Detector
from service.group_counts import is_sampled
from service.lsh import BandKeys, GivenKeys
from service.model import BoolArray, PreparedArticle, U32Array
from service.sets import members, unique
from service.shingles import U64Array
from service.storage import Transaction

IntArray = npt.NDArray[np.intp]


@dataclass
class Screen:
    novel: BoolArray  # per article: provably a new story
    indexed: list[PreparedArticle]  # each article as the screen would index it
    band_keys: U64Array  # (n, bands): the band keys of those signatures
    samples: list[U32Array]  # each article's sampled shingles (what a new story adds to the group counts)
    keys_for_store: BandKeys | None  # what found `band_keys`, if the store files articles under the same bands and rows

    def store_keys(self, rows: list[int] | BoolArray) -> GivenKeys | None:
        """The band keys of these articles, to hand to the store in place of those it would find again; None (it
        finds its own) where its layout is another."""
        return None if self.keys_for_store is None else self.keys_for_store.given(self.band_keys[rows])

    def exclude(self, after: int, band_keys: U64Array) -> None:
        """Articles after position `after` sharing one of `band_keys` are not provably new any more."""
        later = self.novel[after + 1 :]
        if later.any():
            later &= ~np.isin(self.band_keys[after + 1 :], band_keys).any(axis=1)


def screen(
    batch: Sequence[PreparedArticle], tx: Transaction, detector: Detector, keys: BandKeys, keys_fit_store: bool = False
) -> Screen:
    """Screen a batch against the store as it is before the batch (see the module's docstring). `keys_fit_store`:
    `keys` are the store's band keys too (the same bands and rows): the store is given those found here."""
    n = len(batch)
    values, owners = _flatten([p.fingerprint.shingles for p in batch])
    sampled = is_sampled(values)
    values, owners = values[sampled], owners[sampled]
    risky = _may_turn_common(values, owners, tx, detector)
    novel = ~(repeated([p.article.id for p in batch]) | _owned(owners[risky], n))

    indexed = list(batch)
    min_groups = detector.params.boilerplate_after
    common = tx.common_shingles(unique(values), min_groups)
    for i in np.flatnonzero(novel & _owned(owners[members(values, common)], n)).tolist():
        labelled = detector.labels(batch[i], lambda hashes: tx.common_shingles(hashes, min_groups))
        indexed[i] = detector.indexed_form(batch[i], labelled)

    signatures = np.stack([p.fingerprint.signature for p in indexed])
    band_keys = keys.of(signatures)
    band_owners = np.repeat(np.arange(n), band_keys.shape[1])
    novel &= ~_owned(band_owners[earlier_holders(band_keys.ravel(), band_owners) > 0], n)
    if novel.any():
        at = np.flatnonzero(novel).tolist()
        stored = tx.stored_ids([batch[i].article.id for i in at])
        novel[at] = [batch[i].article.id not in stored for i in at]
    samples = np.split(values, np.searchsorted(owners, np.arange(1, n)))
    found = Screen(novel, indexed, band_keys, samples, keys if keys_fit_store else None)
    if found.novel.any():
        found.novel[found.novel] = ~tx.band_hits(signatures[found.novel], found.store_keys(found.novel))
    return found


def _may_turn_common(values: U32Array, owners: IntArray, tx: Transaction, detector: Detector) -> BoolArray:
    """Per sample: could earlier articles of the batch have made it common by the time its own article
    is decided? k of them raise its group count by at most k."""
    min_groups = detector.params.boilerplate_after
    held = earlier_holders(values, owners)
    risky: BoolArray = held >= min_groups - 1  # (a count of 0 cannot be told from 1 by common_shingles)
    # Only the counts of earlier holders the batch has (at most its size): a loop over 1..min_groups made
    # every write cost O(--boilerplate-after), 0.24 s an article at 100,000.
    for k in np.unique(held[(held >= 1) & (held < min_groups - 1)]).tolist():
        at = np.flatnonzero(held == k)
        risky[at] = members(values[at], tx.common_shingles(unique(values[at]), min_groups - k))
    return risky


def earlier_holders(values: npt.NDArray[np.generic], owners: IntArray) -> IntArray:
    """Per value: how many earlier owners hold it too (owners ascending; a value an owner holds twice
    counts its first copy as an earlier holder of the second)."""
    order = np.argsort(values, kind="stable")  # equal values keep their owners' order
    ordered = values[order]
    starts = np.concatenate(([True], ordered[1:] != ordered[:-1])) if ordered.size else np.empty(0, dtype=np.bool_)
    position = np.arange(ordered.size)
    run_start = np.maximum.accumulate(np.where(starts, position, 0)) if ordered.size else position
    held = np.empty(ordered.size, dtype=np.intp)
    held[order] = position - run_start
    return held


def repeated(ids: Sequence[str]) -> BoolArray:
    """For each id: did an earlier position of the list hold it?"""
    seen: set[str] = set()
    out = np.zeros(len(ids), dtype=np.bool_)
    for n, article_id in enumerate(ids):
        out[n] = article_id in seen
        seen.add(article_id)
    return out


def _flatten(parts: Sequence[U32Array]) -> tuple[U32Array, IntArray]:
    values: U32Array = np.concatenate(parts)
    owners = np.repeat(np.arange(len(parts)), [p.size for p in parts])
    return values, owners


def _owned(owners: IntArray, n: int) -> BoolArray:
    out = np.zeros(n, dtype=np.bool_)
    out[owners] = True
    return out
