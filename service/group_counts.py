"""In how many groups (stories) each sampled shingle hash was seen, held compactly in memory.

Learned boilerplate (service/boilerplate.py) asks, for every article, which of its
~80 sampled shingles were seen in enough groups, and adds one group to some of them.
Kept in a database table, that was a random-access upsert per sample and most of the
writer's time; kept in a Python dict it would cost ~100 bytes per distinct sample
(tens of millions at a million articles). Here:

- a sampled hash (its low SAMPLE_SHIFT bits are zero) indexes one of 2**29 slots;
- two bit planes say "seen in at least one group" and "in at least two" (64 MiB each
  at most; pages are only touched as slots are used);
- counts of three and more are exact in a dict: only boilerplate, and the rare
  chance collision of unrelated samples, get there.

The embedded store rebuilds this at start from an append-only log of what each
article counted, so a commit only appends one row instead of updating scattered ones.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from service.model import U32Array

SAMPLE_SHIFT = 3  # sampled hashes are multiples of 2**SAMPLE_SHIFT (boilerplate.SAMPLE_MODULUS)
_SLOTS = 1 << (32 - SAMPLE_SHIFT)
_BYTES = _SLOTS // 8
U8Array = npt.NDArray[np.uint8]
I64Array = npt.NDArray[np.int64]


class GroupCounts:
    def __init__(self) -> None:
        self._once = np.zeros(_BYTES, dtype=np.uint8)
        self._twice = np.zeros(_BYTES, dtype=np.uint8)
        self._more: dict[int, int] = {}  # counts of 3 and more
        self._twice_total = 0  # slots counted at least twice (for the metric, without a popcount)

    def add(self, hashes: U32Array, times: I64Array | None = None) -> None:
        """Add `times` (default one) groups to each of `hashes` (sampled, unique)."""
        if not hashes.size:
            return
        old = self.counts(hashes)
        new = old + (times if times is not None else 1)
        self._set(self._once, hashes, (old < 1) & (new >= 1))
        self._set(self._twice, hashes, (old < 2) & (new >= 2))
        self._twice_total += int(((old < 2) & (new >= 2)).sum())
        more = new >= 3
        self._more.update(zip(hashes[more].tolist(), new[more].tolist(), strict=True))

    def remove(self, hashes: U32Array) -> None:
        """Take one group off each of `hashes` (sampled, unique): undoes an `add` of one."""
        if not hashes.size:
            return
        old = self.counts(hashes)
        self._clear(self._once, hashes, old == 1)
        self._clear(self._twice, hashes, old == 2)
        self._twice_total -= int((old == 2).sum())
        for h, count in zip(hashes[old >= 3].tolist(), old[old >= 3].tolist(), strict=True):
            if count == 3:
                del self._more[h]
            else:
                self._more[h] = count - 1

    def counts(self, hashes: U32Array) -> I64Array:
        """The group count of each of `hashes` (sampled)."""
        _check_sampled(hashes)
        byte, bit = _slot(hashes)
        counts: I64Array = ((self._once[byte] & bit) != 0).astype(np.int64)
        twice = (self._twice[byte] & bit) != 0
        counts[twice] = 2
        if self._more and twice.any():
            at = np.flatnonzero(twice)
            counts[at] = [self._more.get(h, 2) for h in hashes[at].tolist()]
        return counts

    def at_least(self, hashes: U32Array, min_groups: int) -> U32Array:
        """Those of `hashes` seen in at least `min_groups` (>= 2) groups; unsampled ones never are."""
        picked: U32Array = hashes[(hashes & np.uint32((1 << SAMPLE_SHIFT) - 1)) == 0]
        if not picked.size:
            return picked
        byte, bit = _slot(picked)
        twice = (self._twice[byte] & bit) != 0
        if min_groups <= 2:
            found: U32Array = picked[twice]
            return found
        more = self._more
        return np.fromiter((h for h in picked[twice].tolist() if more.get(h, 2) >= min_groups), dtype=np.uint32)

    def total_at_least(self, min_groups: int) -> int:
        """How many sampled hashes were seen in at least `min_groups` (>= 2) groups."""
        if min_groups <= 2:
            return self._twice_total
        return sum(1 for count in self._more.values() if count >= min_groups)

    @staticmethod
    def _set(plane: U8Array, hashes: U32Array, where: npt.NDArray[np.bool_]) -> None:
        if where.any():
            byte, bit = _slot(hashes[where])
            np.bitwise_or.at(plane, byte, bit)  # (.at: two hashes may share a byte)

    @staticmethod
    def _clear(plane: U8Array, hashes: U32Array, where: npt.NDArray[np.bool_]) -> None:
        if where.any():
            byte, bit = _slot(hashes[where])
            np.bitwise_and.at(plane, byte, ~bit)


def _slot(hashes: U32Array) -> tuple[npt.NDArray[np.intp], U8Array]:
    index = (hashes >> np.uint32(SAMPLE_SHIFT)).astype(np.intp)
    bit: U8Array = np.left_shift(np.uint8(1), (index & 7).astype(np.uint8))
    return index >> 3, bit


def _check_sampled(hashes: U32Array) -> None:
    if np.any(hashes & np.uint32((1 << SAMPLE_SHIFT) - 1)):
        raise ValueError("group counts are kept for sampled shingle hashes only")
