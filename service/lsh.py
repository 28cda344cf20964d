"""In-memory LSH band index over MinHash signatures.

`BandIndex` is the service's compact index: the same buckets as datasketch's
MinHashLSH with params=(bands, rows) (band i of a signature is its values
[i*rows, (i+1)*rows); two articles are candidates iff some band is equal), held
in numpy arrays instead of Python objects per article:

- each band of each article is one 64-bit key, a hash of (band number, band
  values), and one 32-bit slot number; the bulk of them sit in two sorted arrays
  (12 bytes per band, about 500 bytes per article at 42 bands), searched with
  one vectorised binary search per query (through a directory of key prefixes
  once they are large: `SortedBands`);
- recent inserts go to a few small sorted runs of the same two arrays (see
  `_with_run`), merged into the big sorted arrays every `merge_every` articles
  (a linear merge, no re-sort). The merge copies the arrays
  (seconds at a million articles): an owner that serves reads and inserts meanwhile
  asks for it in steps: `seal_merge` takes the runs there are, which later
  inserts leave alone; `MergeInput.made` makes the merged arrays from them in any
  thread; `apply_merge` swaps them in, alone (the embedded store makes them in a
  thread of its own, beside its writer and its reads);
- removal clears the slot; dead slots are dropped from the arrays at the next merge.

A 64-bit key stands for a 96-bit band: two different bands share a key with
probability 2^-64 per pair, which can only add a candidate that exact
verification then judges, never lose one. `DatasketchBandIndex` is the
reference implementation over datasketch, kept for the equivalence tests.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from datasketch import MinHashLSH

from service.gil import let_others_run
from service.minhash import SignatureMaker
from service.model import BoolArray, U32Array
from service.settings import DetectionParams
from service.shards import ShardedDict
from service.shingles import U64Array, fmix64

_S32 = np.uint64(32)
_IDS_STEP = 65_536  # ids copied per step of `as_it_is` (≈1 ms), the GIL let go between steps
# Merged arrays of this many band keys or more (≈200,000 articles) get a directory (SortedBands). A 16-article
# screen's search took 74 µs with it against 147 µs without at 4M keys, 77 against 474 µs at 16M; one
# article's 32 against 18 µs at 4M, 33 against 45 µs at 16M.
_DIRECTORY_FROM = 1 << 23


def _load_malloc_trim() -> ctypes._NamedFuncPointer | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


_MALLOC_TRIM = _load_malloc_trim()


def release_free_memory() -> None:
    """Give freed heap pages back to the OS. The temporaries of a bulk load or merge are
    freed but glibc keeps them in the heap; without this, RSS after a start-up rebuild
    is about twice what the index holds."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class BandKeys:
    """64-bit keys of the bands of signatures: row values and band number mixed with fmix64."""

    def __init__(self, bands: int, rows: int) -> None:
        self.bands, self.rows = bands, rows
        self._band_ids = np.arange(bands, dtype=np.uint64) << _S32
        self._last: tuple[U32Array, U64Array] | None = None  # the engine queries, then inserts, the same signature

    def of(self, signatures: U32Array) -> U64Array:
        """Keys, shape (n, bands), of an (n, num_perm) array of signatures (or one signature: shape (bands,))."""
        last = self._last
        if last is not None and last[0] is signatures:
            return last[1]
        keys = self._compute(signatures)
        if signatures.ndim == 1:
            self._last = (signatures, keys)
        return keys

    def _compute(self, signatures: U32Array) -> U64Array:
        sig = np.asarray(signatures, dtype=np.uint32)
        one = sig.ndim == 1
        sig = sig.reshape(1 if one else sig.shape[0], -1)[:, : self.bands * self.rows]
        v = sig.reshape(sig.shape[0], self.bands, self.rows).astype(np.uint64)
        h = np.zeros(v.shape[:2], dtype=np.uint64) | self._band_ids  # (band, first row) packed exactly
        for row in range(self.rows):
            h = fmix64(h ^ v[:, :, row]) if row % 2 == 0 else fmix64(h ^ (v[:, :, row] << _S32))
        out: U64Array = h[0] if one else h
        return out

    def given(self, keys: U64Array) -> GivenKeys:
        """`keys` (of `of`, or some of its rows) marked with the bands and rows they were found with, to hand to an
        index in place of those it would find (`BandIndex.hits`, `insert_batch`): it takes them only if they are
        its own."""
        return GivenKeys(keys, self.bands, self.rows)


@dataclass(frozen=True, eq=False)  # (an array field: no value equality or hash)
class GivenKeys:
    """Band keys a caller found (`BandKeys.given`): (n, bands) uint64, with the layout they were found with.
    Keys of another layout would file the articles in the wrong buckets, silently: an index refuses them."""

    keys: U64Array
    bands: int
    rows: int


@dataclass(frozen=True)
class SortedBands:
    """Band keys in ascending order and the slot of each (the merged arrays, or a run of recent inserts),
    with, for the merged arrays once large, a directory of where each key prefix starts. A binary search
    over tens of millions of keys misses the cache at almost every step (≈1.1 µs a key at 57M keys); the
    directory narrows each search to ~16 keys first (≈0.1 µs a key for a screen's 672), and costs 8
    bytes per ~8-16 keys. Below _DIRECTORY_FROM keys, and for runs, there is none: a binary search is
    cheaper there than the directory's few numpy steps (~25 µs a call)."""

    keys: U64Array
    slots: U32Array
    starts: npt.NDArray[np.intp] | None  # starts[p]: the first key whose top `bits` bits are p or more
    shift: np.uint64  # 64 - bits

    @classmethod
    def run(cls, keys: U64Array, slots: U32Array) -> SortedBands:
        return cls(keys, slots, None, np.uint64(64))

    @classmethod
    def sorted_run(cls, keys: U64Array, slots: U32Array) -> SortedBands:
        """A run of (band key, slot) pairs given in any order."""
        order = np.argsort(keys)  # order within a bucket does not matter: queries return sets
        return cls.run(keys[order], slots[order])

    @classmethod
    def merged(cls, keys: U64Array, slots: U32Array) -> SortedBands:
        if keys.size < _DIRECTORY_FROM:
            return cls.run(keys, slots)
        bits = min(max((keys.size >> 4).bit_length(), 1), 30)  # ~8-16 keys per prefix
        shift = np.uint64(64 - bits)
        prefixes = np.arange(1 << bits, dtype=np.uint64) << shift
        starts = np.append(np.searchsorted(keys, prefixes), keys.size)  # (searchsorted lets the GIL go)
        return cls(keys, slots, starts, shift)

    def lower_bounds(self, wanted: U64Array) -> npt.NDArray[np.intp]:
        """np.searchsorted(self.keys, wanted): a bisection of every key at once inside its prefix's span."""
        if self.starts is None:
            return np.searchsorted(self.keys, wanted)
        prefix = (wanted >> self.shift).astype(np.intp)
        lo, hi = self.starts[prefix], self.starts[prefix + 1]
        last = self.keys.size - 1
        while (open_ := lo < hi).any():
            mid = (lo + hi) >> 1
            below = self.keys.take(np.minimum(mid, last), mode="clip") < wanted
            lo = np.where(open_ & below, mid + 1, lo)
            hi = np.where(open_ & ~below, mid, hi)
        return lo


@dataclass(frozen=True)
class MergeInput:
    """What a merge is made of, taken when it was asked for (`BandIndex.seal_merge`): the sorted arrays and
    the recent runs then, which the index keeps as they are until the merge is applied or refused."""

    base: SortedBands
    runs: tuple[SortedBands, ...]
    articles: int  # the articles those runs hold
    removed: int  # removals counted then: their slots are left out of the merged arrays
    ids: list[str | None]  # the index's slot -> id list (read, not copied: removals only ever clear a slot)

    def made(self) -> PreparedMerge:
        """The merged arrays. Changes nothing, reads only what the index no longer changes, so it may run in
        any thread, beside inserts, removals and reads: its numpy steps let the GIL go."""
        keys, slots = _concatenated(self.runs)
        sorted_keys, sorted_slots = self.base.keys, self.base.slots
        if self.removed:
            alive = _alive(self.ids)  # (a removal since the seal may be seen too: that slot is dead all the same)
            keep = alive[sorted_slots]
            sorted_keys, sorted_slots = sorted_keys[keep], sorted_slots[keep]
            recent_alive = alive[slots]
            keys, slots = keys[recent_alive], slots[recent_alive]
        return PreparedMerge(SortedBands.merged(*_merged(sorted_keys, sorted_slots, keys, slots)), self)


@dataclass(frozen=True)
class PreparedMerge:
    """Sorted arrays with a merge's runs merged in, and what they were made of."""

    arrays: SortedBands
    input: MergeInput


@dataclass(frozen=True)
class BandState:
    """What a band index holds (for a snapshot): sorted band keys, the slot of each, each slot's id."""

    keys: U64Array
    slots: U32Array
    ids: list[str | None]


class BandIndex:
    """Finds articles whose signatures agree with a query on at least one whole band."""

    def __init__(self, params: DetectionParams, merge_every: int = 4096, merge_inline: bool = True) -> None:
        """`merge_inline=False`: the owner merges with prepare_merge/apply_merge when `merge_due`; inserts
        then merge by themselves only once four times as many are due (if the owner does not)."""
        self._keys = BandKeys(params.lsh_bands, params.lsh_rows)
        self._merge_every = merge_every
        self._merge_inline = merge_inline
        self._ids: list[str | None] = []  # slot -> article id (None once removed)
        # article id -> its live slot. Sharded: a dict of 1.4M ids grows in one 41 ms step holding the GIL.
        self._slot: ShardedDict[str, int] = ShardedDict()
        # The sorted arrays (band keys, and the slot of each) as one attribute, and the recent inserts as
        # another, each swapped whole: reads go on beside inserts and merges (the embedded store's writer
        # holds a reservation, service/rwlock.py). A read takes the recent runs first and the arrays
        # second; a merge swaps in the arrays first and the recent runs second. So a read sees an article
        # in one or both, never in neither.
        self._sorted = SortedBands.merged(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint32))
        # The articles not merged yet: sorted runs of (band key, slot) pairs, newest last, each run under an
        # eighth of the one before it (_with_run). Not a dict: growing a dict of ~350,000 band keys
        # reallocates it whole in one step that holds the GIL, and its first touch of the new memory made
        # that step 20-30 ms at 1M articles, as long for every thread of the server (docs/perf.md).
        self._recent: tuple[SortedBands, ...] = ()
        self._recent_articles = 0
        # The oldest `_sealed` runs (holding `_sealed_articles`, and `_sealed_removed` removals) are a merge's input,
        # being made elsewhere: new runs are not merged into them (`_with_run`), so the merge can take them out
        # when it is applied.
        self._unseal()
        self._removed_since_merge = 0
        self.removals = 0  # articles removed so far (`changes`)

    # ---- changes -------------------------------------------------------------------------------

    def insert(self, key: str, signature: U32Array) -> None:
        if key in self._slot:
            self.remove(key)
        slot = self._new_slot(key)
        band_slots = np.full(self._keys.bands, slot, np.uint32)
        self._recent = _with_run(self._recent, self._keys.of(signature), band_slots, self._sealed)
        self._inserted(1)

    def insert_batch(self, keys: list[str], signatures: U32Array, band_keys: GivenKeys | None = None) -> None:
        """Insert several articles from an (n, num_perm) signature array, their band keys found in one step
        (`band_keys`: those keys, if the caller has them, found with this index's bands and rows)."""
        keys_of = self._keys_for(signatures, band_keys)  # (first: keys refused leave the index as it was)
        for key in keys:
            if key in self._slot:
                self.remove(key)
        slots = np.array([self._new_slot(key) for key in keys], dtype=np.uint32)
        band_slots = np.repeat(slots, self._keys.bands)
        self._recent = _with_run(self._recent, keys_of.ravel(), band_slots, self._sealed)
        self._inserted(len(keys))

    def _keys_for(self, signatures: U32Array, band_keys: GivenKeys | None) -> U64Array:
        """The band keys of `signatures`, one row an article: those the caller gave, refused unless found with this
        index's bands and rows, as uint64; else found here."""
        if band_keys is None:
            return self._keys.of(signatures)
        articles = len(signatures)
        bands, rows, keys = self._keys.bands, self._keys.rows, band_keys.keys
        if (band_keys.bands, band_keys.rows) != (bands, rows):
            raise ValueError(f"band keys of {band_keys.bands} bands of {band_keys.rows} rows for an index of {bands} "
                             f"bands of {rows} rows")  # fmt: skip
        if keys.dtype != np.uint64 or keys.shape != (articles, bands):
            raise ValueError(f"band keys of shape {keys.shape} and type {keys.dtype} for {articles} articles of "
                             f"{bands} bands (uint64)")  # fmt: skip
        return keys

    def _inserted(self, count: int) -> None:
        self._recent_articles += count
        if self._recent_articles >= self._merge_threshold() * (1 if self._merge_inline else 4):
            self._merge()

    def _merge_threshold(self) -> int:
        # Each merge copies the sorted arrays, so merge less often as they grow (a 64th of the index).
        return max(self._merge_every, len(self._slot) >> 6)

    def merge_due(self) -> bool:
        """Are enough recent inserts, or removals, waiting, besides those of a merge being made, for another
        merge? (Removals too: a merge drops the keys of removed articles, which a purge with no inserts
        beside it would otherwise keep, in memory and in every search, until inserts came.)"""
        threshold = self._merge_threshold()
        inserted = self._recent_articles - self._sealed_articles
        return inserted >= threshold or self._removed_since_merge - self._sealed_removed >= threshold

    def seal_merge(self) -> MergeInput:
        """A merge of the recent runs there are now, to be made (`MergeInput.made`) and applied later. Inserts
        may go on meanwhile: theirs start runs of their own, which stay recent when the merge is applied."""
        self._sealed, self._sealed_articles = len(self._recent), self._recent_articles
        self._sealed_removed = removed = self._removed_since_merge  # (read once: a delete may go on beside this)
        return MergeInput(self._sorted, self._recent, self._recent_articles, removed, self._ids)

    def prepare_merge(self) -> PreparedMerge:
        """`seal_merge`, made at once in this thread."""
        return self.seal_merge().made()

    def apply_merge(self, merged: PreparedMerge) -> bool:
        """Hold `merged` from now on (quick: no copy), with the runs inserted since it was sealed still
        recent; refused if the index was rebuilt or merged another way meanwhile (a load, a restore).
        Not beside an insert: the owner holds the index alone for this."""
        made_of = merged.input
        runs = len(made_of.runs)
        sealed = self._recent[:runs]
        self._unseal()  # (applied or refused, no merge is being made any more)
        if self._sorted is not made_of.base or len(sealed) < runs:
            return False
        if not all(now is then for now, then in zip(sealed, made_of.runs, strict=True)):
            return False
        self._sorted = merged.arrays  # (first: see __init__)
        self._recent = self._recent[runs:]
        self._recent_articles -= made_of.articles
        self._removed_since_merge -= made_of.removed  # (removals since it was sealed are still to drop)
        return True

    def abandon_merge(self) -> None:
        """The merge sealed last will not be applied (making it failed): its runs are recent runs again."""
        self._unseal()

    def _unseal(self) -> None:
        """No merge is being made (any more): every run and removal waits for the next one."""
        self._sealed = self._sealed_articles = self._sealed_removed = 0

    def load(self, ids: list[str], signatures: U32Array) -> None:
        """Insert many articles at once from an (n, num_perm) signature array."""
        for key in ids:
            if key in self._slot:
                self.remove(key)
        first = len(self._ids)
        slots = np.arange(first, first + len(ids), dtype=np.uint32)
        for key in ids:
            self._new_slot(key)
        keys = self._keys.of(signatures) if len(ids) else np.empty((0, self._keys.bands), dtype=np.uint64)
        self._merge_arrays(keys.ravel(), np.repeat(slots, self._keys.bands))

    def bulk_load(self, chunks: Iterable[tuple[list[str], U32Array]]) -> None:
        """Start-up load: each chunk's keys sorted as it arrives, the sorted runs merged once at the end.

        Why not one sort at the end: at a cold start the chunks arrive as fast as the disk delivers the
        store's pages, and sorting each one then (numpy lets the GIL go) keeps the CPU busy while it
        waits; the final merge of the runs is a stable sort, which finds them already in order. At 46M
        band keys: 8.8 s of chunk sorts plus a 2.3 s merge, against 12.6 s for one sort at the end."""
        runs: list[SortedBands] = []
        for ids, signatures in chunks:
            first = len(self._ids)
            for key in ids:
                if key in self._slot:
                    self.remove(key)
                self._new_slot(key)
            keys = self._keys.of(signatures).ravel()
            slots = np.repeat(np.arange(first, first + len(ids), dtype=np.uint32), self._keys.bands)
            runs.append(SortedBands.sorted_run(keys, slots))
        if self._removed_since_merge:  # (an id that came twice, or was here before: its older slot's keys go)
            runs = list(self._drop_dead(*runs))
        merged = _merged_runs(self._sorted, *runs)
        del runs
        self._sorted = SortedBands.merged(merged.keys, merged.slots)
        del merged
        release_free_memory()

    def state(self) -> BandState:
        """Everything the index holds, recent inserts merged in: what `restore` takes back."""
        if self._recent or self._removed_since_merge:
            self._merge()
        return BandState(self._sorted.keys, self._sorted.slots, list(self._ids))

    def as_it_is(self) -> MergeInput:
        """What the index holds now, for a snapshot made elsewhere (`MergeInput.made`) while inserts, merges
        and removals go on: the arrays and runs as they are (never changed in place) and a copy of the ids.
        Unlike `seal_merge`, it changes nothing here. Not beside an insert or a merge's swap."""
        ids: list[str | None] = []
        for at in range(0, len(self._ids), _IDS_STEP):  # (a copy of 1.9M in one stretch holds the GIL ≈20 ms)
            ids += self._ids[at : at + _IDS_STEP]
            let_others_run()  # (beside the checks: service/gil.py)
        return MergeInput(self._sorted, self._recent, self._recent_articles, self._removed_since_merge, ids)

    def restore(self, state: BandState) -> None:
        """Hold what `state` describes (an index saved by `state`), instead of what this one holds."""
        if state.keys.dtype != np.uint64 or state.slots.dtype != np.uint32 or state.keys.shape != state.slots.shape:
            raise ValueError("band arrays of the wrong types or lengths")
        if state.slots.size and int(state.slots.max()) >= len(state.ids):
            raise ValueError("band slots beyond the ids")
        self._ids = state.ids
        self._slot = ShardedDict((key, slot) for slot, key in enumerate(state.ids) if key is not None)
        self._sorted = SortedBands.merged(state.keys, state.slots)
        self._recent, self._recent_articles, self._removed_since_merge = (), 0, 0
        self._unseal()

    def remove(self, key: str) -> None:
        slot = self._slot.pop(key, None)
        if slot is not None:
            self._ids[slot] = None
            self._removed_since_merge += 1
            self.removals += 1

    # ---- queries -------------------------------------------------------------------------------

    def query(self, signature: U32Array, limit: int | None = None) -> set[str]:
        """Ids sharing a band with `signature`; with `limit`, at most that many: those sharing the
        most bands (ties: the earliest stored). A story stored in thousands of copies then costs
        one count here, not a fetch and a comparison per copy."""
        slots = self._slots_sharing(self._keys.of(signature))
        ids = self._ids
        if limit is not None and slots.size > limit:
            distinct, shared = np.unique(slots, return_counts=True)
            live = np.fromiter((ids[s] is not None for s in distinct.tolist()), dtype=np.bool_, count=distinct.size)
            distinct, shared = distinct[live], shared[live]  # (removed articles keep their slots until a merge)
            if distinct.size > limit:
                slots = distinct[np.argsort(-shared, kind="stable")[:limit]]
        return {aid for aid in (ids[s] for s in set(slots.tolist())) if aid is not None}

    def hits(self, signatures: U32Array, band_keys: GivenKeys | None = None) -> BoolArray:
        """For each row of an (n, num_perm) array: does a stored article share one of its bands?
        (`band_keys`: their keys, if the caller has them, as for `insert_batch`.)

        One vectorised search for the whole array. It may also answer yes for an article removed
        since the last merge: a screen that only sends the article down the full path."""
        if not len(signatures):
            return np.zeros(0, dtype=np.bool_)
        keys = self._keys_for(signatures, band_keys).ravel()
        found: BoolArray = np.empty(keys.size, dtype=np.bool_)
        order = np.argsort(keys)  # searching in ascending order is ~6x faster: each search starts near the last
        wanted = keys[order]
        found_sorted: BoolArray = np.zeros(keys.size, dtype=np.bool_)
        for part in (*self._recent, self._sorted):  # (the recent runs before the arrays: see __init__)
            if part.keys.size:
                found_sorted |= part.keys.take(part.lower_bounds(wanted), mode="clip") == wanted
        found[order] = found_sorted
        hit: BoolArray = np.logical_or.reduce(found.reshape(len(signatures), self._keys.bands), axis=1)
        return hit

    def _slots_sharing(self, band_keys: U64Array) -> U32Array:
        """The slot of every (article, band) pair whose bucket `band_keys` hits; an article once per band."""
        parts: list[U32Array] = []
        for part in (*self._recent, self._sorted):  # (the recent runs before the arrays: see __init__)
            if part.keys.size:
                parts += _spans(part, band_keys)
        if not parts:
            return np.empty(0, dtype=np.uint32)
        return np.concatenate(parts)

    @property
    def slots(self) -> int:
        """Slots given out so far: one per article inserted, removed ones included."""
        return len(self._ids)

    @property
    def changes(self) -> int:
        """Inserts and removals so far (an owner's schedule of saves counts them)."""
        return len(self._ids) + self.removals

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: str) -> bool:
        return key in self._slot

    # ---- internals -----------------------------------------------------------------------------

    def _new_slot(self, key: str) -> int:
        slot = len(self._ids)
        if slot >= 2**32 - 1:  # slots are uint32; 4 billion inserts since start
            raise OverflowError("band index slot numbers exhausted; restart the server to rebuild the index")
        self._ids.append(key)
        self._slot[key] = slot
        return slot

    def _merge(self) -> None:
        """Move the recent runs into the sorted arrays."""
        self.apply_merge(self.prepare_merge())
        release_free_memory()

    def _merge_arrays(self, keys: U64Array, slots: U32Array) -> None:
        if self._removed_since_merge:
            self._drop_dead()
        self._sorted = SortedBands.merged(*_merged(self._sorted.keys, self._sorted.slots, keys, slots))

    def _drop_dead(self, *runs: SortedBands) -> tuple[SortedBands, ...]:
        """Drop removed articles' keys from the arrays and the recent runs; returns `runs` without them too."""
        alive = _alive(self._ids)
        sorted_keys, sorted_slots = self._sorted.keys, self._sorted.slots
        keep = alive[sorted_slots]
        self._sorted = SortedBands.merged(sorted_keys[keep], sorted_slots[keep])
        self._recent = tuple(_live(run, alive) for run in self._recent)
        self._removed_since_merge = 0
        self._unseal()  # (new runs: a merge sealed before is refused when applied)
        return tuple(_live(run, alive) for run in runs)


def _alive(ids: list[str | None]) -> BoolArray:
    n = len(ids)  # (the list may grow meanwhile: the slots there were then)
    return np.fromiter((i is not None for i in ids), dtype=bool, count=n)


def _live(run: SortedBands, alive: BoolArray) -> SortedBands:
    """`run` without the keys of slots no longer alive."""
    live = alive[run.slots]
    return SortedBands.run(run.keys[live], run.slots[live])


def _concatenated(runs: tuple[SortedBands, ...]) -> tuple[U64Array, U32Array]:
    """The (band key, slot) pairs of `runs` as two arrays."""
    if not runs:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint32)
    return np.concatenate([r.keys for r in runs]), np.concatenate([r.slots for r in runs])


def _spans(part: SortedBands, band_keys: U64Array) -> list[U32Array]:
    """The slots of the buckets `band_keys` hit in `part`."""
    lo = part.lower_bounds(band_keys)
    hit = np.flatnonzero(part.keys.take(lo, mode="clip") == band_keys)
    if not hit.size:  # (most runs hold none of a query's buckets: one search tells)
        return []
    hi = np.searchsorted(part.keys, band_keys[hit], side="right")
    return [part.slots[start:end] for start, end in zip(lo[hit].tolist(), hi.tolist(), strict=True)]


# A new run is merged into the newest one while that is at most this many times its size: at most ~5
# runs while ~700,000 recent pairs wait for a merge, each pair copied ~19 times (numpy copies and sorts
# without the GIL: a check waits for none of it).
_RUN_RATIO = 8


def _with_run(
    runs: tuple[SortedBands, ...], keys: U64Array, slots: U32Array, sealed: int = 0
) -> tuple[SortedBands, ...]:
    """`runs` with these (band key, slot) pairs added as a new sorted run, merged with the newest runs
    (_RUN_RATIO) but not the first `sealed` (a merge's input). A new tuple: a read goes on with the one it took."""
    run = SortedBands.sorted_run(keys, slots)
    kept = list(runs)
    while len(kept) > sealed and kept[-1].keys.size <= _RUN_RATIO * run.keys.size:
        run = _merged_runs(kept.pop(), run)
    return (*kept, run)


def _merged(
    sorted_keys: U64Array, sorted_slots: U32Array, keys: U64Array, slots: U32Array
) -> tuple[U64Array, U32Array]:
    """New sorted arrays: the sorted ones with (keys, slots) put in place (a linear merge, no re-sort).
    Not _merged_runs' stable sort end to end: over 42M merged keys that took 7.5 s against np.insert's 1.6 s."""
    order = np.argsort(keys)  # order within a bucket does not matter: queries return sets
    keys, slots = keys[order], slots[order]
    if not len(sorted_keys):
        return keys, slots
    at = np.searchsorted(sorted_keys, keys, side="right")
    return np.insert(sorted_keys, at, keys), np.insert(sorted_slots, at, slots)


def _merged_runs(*runs: SortedBands) -> SortedBands:
    """Sorted runs as one. A stable sort of them end to end is a merge (timsort finds the runs): for two,
    ~3x faster than np.insert, which builds an index of where every element goes."""
    runs = tuple(run for run in runs if run.keys.size) or runs[-1:]
    if len(runs) == 1:
        return runs[0]
    joined = np.concatenate([run.keys for run in runs])
    order = np.argsort(joined, kind="stable")
    return SortedBands.run(joined[order], np.concatenate([run.slots for run in runs])[order])


class DatasketchBandIndex:
    """Reference implementation over datasketch's MinHashLSH (about 9 KB per article)."""

    def __init__(self, params: DetectionParams) -> None:
        self._maker = SignatureMaker(params.num_perm, params.seed)
        self._lsh = MinHashLSH(num_perm=params.num_perm, params=(params.lsh_bands, params.lsh_rows))

    def insert(self, key: str, signature: U32Array) -> None:
        self._lsh.insert(key, self._maker.lean(signature), check_duplication=False)

    def insert_many(self, items: Iterable[tuple[str, U32Array]]) -> None:
        with self._lsh.insertion_session() as session:
            for key, signature in items:
                session.insert(key, self._maker.lean(signature), check_duplication=False)

    def insert_batch(self, keys: list[str], signatures: U32Array, band_keys: GivenKeys | None = None) -> None:
        for key, signature in zip(keys, signatures, strict=True):  # (`band_keys` are not used: datasketch's own)
            self.insert(key, signature)

    def hits(self, signatures: U32Array, band_keys: GivenKeys | None = None) -> BoolArray:
        return np.array([bool(self.query(signature)) for signature in signatures], dtype=np.bool_)

    def remove(self, key: str) -> None:
        if key in self._lsh:
            self._lsh.remove(key)

    def query(self, signature: U32Array, limit: int | None = None) -> set[str]:
        """All ids sharing a band (`limit` is not applied: this is the reference the test compares with)."""
        return set(self._lsh.query(self._maker.lean(signature)))

    def __len__(self) -> int:
        return len(self._lsh.keys)
