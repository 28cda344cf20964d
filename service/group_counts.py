"""In how many groups (stories) each sampled shingle hash was seen, held compactly in memory.

Learned boilerplate (service/boilerplate.py) asks, for every article, which of its
~80 sampled shingles were seen in enough groups, and adds one group to some of them.
Kept in a database table, that was a random-access upsert per sample and most of the
writer's time; kept in a Python dict it would cost ~100 bytes per distinct sample
(tens of millions at a million articles). Here:

- a sampled hash (its low SAMPLE_SHIFT bits are zero) indexes one of 2**29 slots;
- two bit planes say "seen in at least one group" and "in at least two" (64 MiB each
  at most: a fixed cost, whatever the number of articles);
- counts of three and more are exact in a dict: only boilerplate, and the rare
  chance collision of unrelated samples, get there.

The embedded store rebuilds this at start from an append-only log of what each
article counted, so a commit only appends one row instead of updating scattered ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.gil import let_others_run
from service.model import BoolArray, U32Array
from service.shards import ShardedDict

SAMPLE_SHIFT = 3  # sampled hashes are multiples of 2**SAMPLE_SHIFT (boilerplate.SAMPLE_MODULUS)
_UNSAMPLED_BITS = np.uint32((1 << SAMPLE_SHIFT) - 1)  # a sampled hash has none of these set
_SLOTS = 1 << (32 - SAMPLE_SHIFT)
_BYTES = _SLOTS // 8
U8Array = npt.NDArray[np.uint8]
I64Array = npt.NDArray[np.int64]


def is_sampled(hashes: U32Array) -> BoolArray:
    """Which of `hashes` belong to the sample whose group counts are kept (low SAMPLE_SHIFT bits zero)."""
    found: BoolArray = (hashes & _UNSAMPLED_BITS) == 0
    return found


@dataclass(frozen=True)
class CountState:
    """What the counts hold (for a snapshot): the two bit planes, and the exact counts of three and more."""

    once: U8Array
    twice: U8Array
    more_hashes: U32Array
    more_counts: I64Array
    twice_total: int


class GroupCounts:
    def __init__(self, state: CountState | None = None) -> None:
        """Empty counts, or those `state` (from `state()`) describes."""
        if state is None:
            self._once, self._twice = touched_plane(), touched_plane()
            # Counts of 3 and more. Sharded: a dict of a million counts grows in one 40 ms step holding the GIL.
            self._more: ShardedDict[int, int] = ShardedDict()
            self._twice_total = 0  # slots counted at least twice (for the metric, without a popcount)
            return
        if state.once.shape != (_BYTES,) or state.twice.shape != (_BYTES,):
            raise ValueError(f"bit planes of {state.once.shape} bytes, not ({_BYTES},)")
        self._once, self._twice = state.once, state.twice
        self._more = ShardedDict(zip(state.more_hashes.tolist(), state.more_counts.tolist(), strict=True))
        self._twice_total = state.twice_total

    def state(self, copy: bool = False) -> CountState:
        """What the counts hold; `copy`: the bit planes copied (they change in place), to be saved elsewhere
        while counting goes on."""
        hashes, counts = [np.zeros(0, dtype=np.uint32)], [np.zeros(0, dtype=np.int64)]
        for keys, values in self._more.parts():  # (≈1.8M counts at 1.9M articles: ≈0.1 s in one stretch)
            hashes.append(np.array(keys, dtype=np.uint32))
            counts.append(np.array(values, dtype=np.int64))
            let_others_run()  # (a save takes them beside the checks: service/gil.py)
        once, twice = (self._once.copy(), self._twice.copy()) if copy else (self._once, self._twice)
        return CountState(once, twice, np.concatenate(hashes), np.concatenate(counts), self._twice_total)

    def add(self, hashes: U32Array, times: I64Array | None = None) -> None:
        """Add `times` (default one) groups to each of `hashes` (sampled, sorted unique)."""
        if not hashes.size:
            return
        slots = _Slots(hashes)
        once = slots.test(self._once)
        if times is None and not once.any():  # most samples of a new story: one masked write
            slots.set(self._once)
            return
        old = self._counts(hashes, slots, once)
        new = old + (times if times is not None else 1)
        reached_two = (old < 2) & (new >= 2)
        slots.set(self._once, (old < 1) & (new >= 1))
        slots.set(self._twice, reached_two)
        self._twice_total += int(reached_two.sum())
        more = new >= 3
        self._more.update(zip(hashes[more].tolist(), new[more].tolist(), strict=True))

    def remove(self, hashes: U32Array) -> None:
        """Take one group off each of `hashes` (sampled, sorted unique): undoes an `add` of one."""
        if not hashes.size:
            return
        slots = _Slots(hashes)
        old = self._counts(hashes, slots, slots.test(self._once))
        slots.clear(self._once, old == 1)
        slots.clear(self._twice, old == 2)
        self._twice_total -= int((old == 2).sum())
        for h, count in zip(hashes[old >= 3].tolist(), old[old >= 3].tolist(), strict=True):
            if count == 3:
                del self._more[h]
            else:
                self._more[h] = count - 1

    def counts(self, hashes: U32Array) -> I64Array:
        """The group count of each of `hashes` (sampled, sorted)."""
        slots = _Slots(hashes)
        return self._counts(hashes, slots, slots.test(self._once))

    def _counts(self, hashes: U32Array, slots: _Slots, once: BoolArray) -> I64Array:
        counts: I64Array = once.astype(np.int64)
        twice = slots.test(self._twice)
        counts[twice] = 2
        if self._more and twice.any():
            at = np.flatnonzero(twice)
            counts[at] = self._more.get_many(hashes[at].tolist(), 2)
        return counts

    def at_least(self, hashes: U32Array, min_groups: int) -> U32Array:
        """Those of `hashes` seen in at least `min_groups` (>= 2) groups; unsampled ones never are."""
        picked: U32Array = hashes[is_sampled(hashes)]
        if not picked.size:
            return picked
        twice = _Slots(picked, checked=True).test(self._twice)
        if min_groups <= 2:
            found: U32Array = picked[twice]
            return found
        candidates = picked[twice]
        counts = np.array(self._more.get_many(candidates.tolist(), 2), dtype=np.int64)
        found_many: U32Array = candidates[counts >= min_groups]
        return found_many

    def total_at_least(self, min_groups: int) -> int:
        """How many sampled hashes were seen in at least `min_groups` (>= 2) groups."""
        if min_groups <= 2:
            return self._twice_total
        if min_groups == 3:  # (the default: every count kept in _more is 3 or more)
            return len(self._more)  # a pass over the values held the GIL 24 ms at 742,880 of them, each scrape
        counts = self._more.values()  # (a copy, a C-level step per shard: the writer may add counts beside this)
        return sum(1 for count in counts if count >= min_groups)


def touched_plane(size: int = _BYTES) -> U8Array:
    """A zeroed bit plane with every page touched now (~0.1 s). Left to the writer, the first touches
    of a plane's 16k pages, scattered over the first ~10k articles, cost it ~30 µs an article on
    average and milliseconds for the first ones (page faults are dear in a VM)."""
    plane = np.empty(size, dtype=np.uint8)
    plane.fill(0)
    return plane


class _Slots:
    """Where sorted sampled hashes sit in a bit plane: byte and bit of each."""

    def __init__(self, hashes: U32Array, checked: bool = False) -> None:
        if not checked and np.any(hashes & _UNSAMPLED_BITS):
            raise ValueError("group counts are kept for sampled shingle hashes only")
        if not checked and np.any(hashes[1:] <= hashes[:-1]):
            raise ValueError("group counts take sorted unique hashes")
        index = (hashes >> np.uint32(SAMPLE_SHIFT)).astype(np.intp)
        self.byte = index >> 3
        self.bit: U8Array = np.left_shift(np.uint8(1), (index & 7).astype(np.uint8))

    def test(self, plane: U8Array) -> BoolArray:
        found: BoolArray = (plane[self.byte] & self.bit) != 0
        return found

    def set(self, plane: U8Array, where: BoolArray | None = None) -> None:
        byte, bits = self._by_byte(where)
        plane[byte] |= bits

    def clear(self, plane: U8Array, where: BoolArray) -> None:
        byte, bits = self._by_byte(where)
        plane[byte] &= ~bits

    def _by_byte(self, where: BoolArray | None) -> tuple[npt.NDArray[np.intp], U8Array]:
        """The distinct bytes among the chosen slots, each with all its chosen bits.

        (Two hashes may share a byte: one masked write per byte, much faster than ufunc.at.)"""
        byte, bit = (self.byte, self.bit) if where is None else (self.byte[where], self.bit[where])
        if byte.size < 2 or bool((byte[1:] != byte[:-1]).all()):
            return byte, bit
        first = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        return byte[first], np.bitwise_or.reduceat(bit, first)
