"""The compact BandIndex finds exactly the candidates datasketch's MinHashLSH finds."""

from __future__ import annotations

import itertools
import sys
import threading
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generated
from service import lsh
from service.detector import Detector
from service.lsh import BandIndex, DatasketchBandIndex, SortedBands
from service.settings import DetectionParams

PARAMS = DetectionParams()


def _related_signatures(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random signatures where many share some bands with an earlier one (as republications do)."""
    sigs = rng.integers(0, 2**32, size=(n, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
    for i in range(1, n):
        if rng.random() < 0.5:
            j = int(rng.integers(0, i))
            keep = rng.random(PARAMS.num_perm) < rng.uniform(0.05, 0.9)
            sigs[i, keep] = sigs[j, keep]
    return sigs


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), merge_every=st.sampled_from([1, 3, 50, 4096]))
def test_same_candidates_as_datasketch_with_inserts_and_removals(seed: int, merge_every: int) -> None:
    rng = np.random.default_rng(seed)
    sigs = _related_signatures(rng, 120)
    fast, reference = BandIndex(PARAMS, merge_every=merge_every), DatasketchBandIndex(PARAMS)
    for i, sig in enumerate(sigs):
        assert fast.query(sig) == reference.query(sig)
        fast.insert(f"a{i}", sig)
        reference.insert(f"a{i}", sig)
        if rng.random() < 0.1:  # remove a random earlier article from both
            victim = f"a{int(rng.integers(0, i + 1))}"
            fast.remove(victim)
            reference.remove(victim)
    for sig in sigs:
        assert fast.query(sig) == reference.query(sig)
    assert len(fast) == len(reference)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), merge_every=st.sampled_from([1, 3, 10]))
def test_merges_made_beside_inserts_and_removals_find_what_datasketch_finds(seed: int, merge_every: int) -> None:
    """The embedded store's way: inserts never merge (until four times due); the owner seals a merge, which
    is made and applied later while inserts and removals go on, and refused only after a bulk load."""
    rng = np.random.default_rng(seed)
    sigs = _related_signatures(rng, 120)
    fast, reference = BandIndex(PARAMS, merge_every=merge_every, merge_inline=False), DatasketchBandIndex(PARAMS)
    sealed: lsh.MergeInput | None = None
    made: lsh.PreparedMerge | None = None
    applied = refused = 0
    for i, sig in enumerate(sigs):
        assert fast.query(sig) == reference.query(sig)
        if sealed is None and made is None and fast.merge_due():
            sealed = fast.seal_merge()
            assert fast.query(sig) == reference.query(sig)  # sealing changed nothing
        if sealed is not None and rng.random() < 0.5:
            made, sealed = sealed.made(), None
            assert fast.query(sig) == reference.query(sig)  # nor did making it
        if made is not None and rng.random() < 0.5:
            ok = fast.apply_merge(made)
            applied, refused, made = applied + ok, refused + (not ok), None
        if rng.random() < 0.3:
            fast.insert(f"a{i}", sig)
            reference.insert(f"a{i}", sig)
        if rng.random() < 0.15:
            victim = f"a{int(rng.integers(0, i + 1))}"
            fast.remove(victim)
            reference.remove(victim)
        if rng.random() < 0.03:  # a bulk load replaces the sorted arrays: a merge sealed before is refused
            fast.load([f"l{i}"], sig[None, :])
            reference.insert(f"l{i}", sig)
    for sig in sigs:
        assert fast.query(sig) == reference.query(sig)
    assert applied > 0


def test_a_merge_sealed_before_an_insert_leaves_it_recent_and_one_before_a_removal_drops_it_later() -> None:
    rng = np.random.default_rng(3)
    a, b, c, d = rng.integers(0, 2**32, size=(4, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
    index = BandIndex(PARAMS, merge_every=1, merge_inline=False)
    index.insert("a", a)
    index.insert("b", b)
    assert index.merge_due()
    sealed = index.seal_merge()
    assert not index.merge_due()  # (what waits is being merged)
    index.insert("c", c)  # (the run of one article is not merged into the sealed runs)
    assert all(x is y for x, y in zip(index._recent, sealed.runs, strict=False)) and index.merge_due()
    assert index.apply_merge(sealed.made())
    assert index._recent != () and index._recent_articles == 1  # c waits for the next merge, and is found
    assert {index.query(s).pop() for s in (a, b, c)} == {"a", "b", "c"}
    fresh = index.prepare_merge()
    index.remove("a")
    assert index.apply_merge(fresh)
    assert index.query(a) == set() and index.query(c) == {"c"}
    assert index.merge_due()  # (a's removal, after the seal, waits for the next merge: one is due at one)
    assert index.state().keys.size == 2 * PARAMS.lsh_bands  # a's bands, dropped at the next merge
    index.insert("d", d)
    stale = index.seal_merge()
    index.load(["e"], a[None, :])  # the sorted arrays it was sealed on are gone
    assert not index.apply_merge(stale.made())
    assert {index.query(s).pop() for s in (a, b, c, d)} == {"e", "b", "c", "d"}


def test_removals_alone_make_a_merge_due_which_drops_their_keys() -> None:
    rng = np.random.default_rng(7)
    sigs = rng.integers(0, 2**32, size=(10, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
    index = BandIndex(PARAMS, merge_every=4, merge_inline=False)
    index.load([f"a{i}" for i in range(10)], sigs)  # (merged: nothing recent)
    for i in range(3):
        index.remove(f"a{i}")
    assert not index.merge_due() and index.removals == 3
    index.remove("a3")
    assert index.merge_due()  # four removals, no insert
    sealed = index.seal_merge()
    assert not index.merge_due()  # (those four are being merged)
    index.remove("a4")
    assert index.apply_merge(sealed.made())
    assert index.state().keys.size == 5 * PARAMS.lsh_bands  # (state merges a4's removal too)
    assert index.removals == 5 and not index.merge_due()
    assert [bool(index.query(s)) for s in sigs] == [False] * 5 + [True] * 5


def test_new_runs_are_not_merged_into_the_runs_a_merge_is_being_made_of() -> None:
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 2**32, size=(200, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
    index = BandIndex(PARAMS, merge_every=100, merge_inline=False)
    for i in range(100):
        index.insert(f"a{i}", sigs[i])
    sealed = index.seal_merge()
    for i in range(100, 200):  # small runs, each of which would be merged into the sealed ones' last
        index.insert(f"a{i}", sigs[i])
    assert all(x is y for x, y in zip(index._recent, sealed.runs, strict=False))
    assert len(index._recent) > len(sealed.runs)
    assert index.apply_merge(sealed.made())
    assert index._recent_articles == 100 and sum(r.keys.size for r in index._recent) == 100 * PARAMS.lsh_bands
    assert all(index.query(s) == {f"a{i}"} for i, s in enumerate(sigs))


def test_bulk_load_equals_one_by_one_and_datasketch_on_real_fingerprints() -> None:
    detector = Detector(PARAMS, 1 << 20)
    articles = generated(400)
    sigs = np.stack([detector.fingerprint(a.body).signature for a in articles])
    ids = [a.id for a in articles]
    loaded, reference = BandIndex(PARAMS), DatasketchBandIndex(PARAMS)
    loaded.load(ids[:300], sigs[:300])
    reference.insert_many(zip(ids[:300], sigs[:300], strict=True))
    for key, sig in zip(ids[300:], sigs[300:], strict=True):
        loaded.insert(key, sig)
        reference.insert(key, sig)
    found = 0
    for sig in sigs:
        candidates = loaded.query(sig)
        assert candidates == reference.query(sig)
        found += len(candidates) > 1
    assert found > 20  # the corpus has republications, so some queries find more than themselves


def test_bulk_load_in_chunks_sorts_and_answers_as_inserts_one_by_one() -> None:
    """The start-up load sorts each chunk and merges the runs at the end: the arrays are one sorted run,
    and an id that comes again, in a later chunk or after an
    insert before the load, keeps only its last signature, as inserting one by one does."""
    rng = np.random.default_rng(11)
    sigs = rng.integers(0, 2**32, size=(3000, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
    sigs[1000:1100] = sigs[:100]  # (copies: keys shared between chunks)
    ids = [f"a{i}" for i in range(3000)]
    ids[2500] = "a150"  # a later chunk's signature replaces chunk 0's
    loaded, reference = BandIndex(PARAMS, merge_inline=False), BandIndex(PARAMS)
    for index in (loaded, reference):
        index.insert("a2999", sigs[0])  # here before the load, which replaces it
    loaded.bulk_load((ids[i : i + 700], sigs[i : i + 700]) for i in range(0, 3000, 700))
    for key, sig in zip(ids, sigs, strict=True):
        reference.insert(key, sig)
    keys = loaded._sorted.keys
    assert keys.size == 2999 * PARAMS.lsh_bands and np.all(keys[:-1] <= keys[1:])
    assert not any(run.keys.size for run in loaded._recent)  # (the insert before the load is gone)
    assert len(loaded) == len(reference) == 2999
    assert loaded.query(sigs[150]) == reference.query(sigs[150]) == set()
    for i in [0, 1, 99, 1000, 1099, 2500, 2999, *rng.integers(0, 3000, 40).tolist()]:
        assert loaded.query(sigs[i]) == reference.query(sigs[i]) and ids[i] in loaded.query(sigs[i])


def test_reinserting_a_key_replaces_its_bands() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 2**32, size=(2, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
    index = BandIndex(PARAMS)
    index.insert("x", a)
    index.insert("x", b)
    assert index.query(a) == set()
    assert index.query(b) == {"x"}
    assert len(index) == 1


def test_copies_waiting_for_a_merge_are_found_in_sorted_runs_that_hold_no_python_object_per_band() -> None:
    """Copies of a story share its bands: until the next merge, their slots wait in sorted runs of numpy
    arrays. They are found there. No dict, list or int per band: a dict of the recent bands grew by
    reallocating itself whole while holding the GIL (20-30 ms at 1M articles), and lists per band made
    full GC passes long (docs/perf.md)."""
    rng = np.random.default_rng(5)
    story = rng.integers(0, 2**32, size=PARAMS.num_perm, dtype=np.uint64).astype(np.uint32)
    edited = story.copy()
    edited[: PARAMS.num_perm // 2] += 1  # (a copy sharing only some bands)
    index = BandIndex(PARAMS, merge_every=4096)
    for i in range(30):
        index.insert(f"copy{i}", story)
    index.insert_batch(["batch0", "batch1", "edited"], np.stack([story, story, edited]))
    runs = index._recent
    assert 1 <= len(runs) <= 3 and all(isinstance(a, np.ndarray) for run in runs for a in (run.keys, run.slots))
    assert sum(run.keys.size for run in runs) == 33 * PARAMS.lsh_bands
    assert all(np.all(run.keys[:-1] <= run.keys[1:]) for run in runs)
    everyone = {f"copy{i}" for i in range(30)} | {"batch0", "batch1", "edited"}
    assert index.query(story) == everyone
    assert index.query(story, limit=5) == {"copy0", "copy1", "copy2", "copy3", "copy4"}  # all bands; earliest
    index.remove("copy3")
    index.state()  # (merges the recent inserts into the sorted arrays)
    assert index._recent == () and index.query(story) == everyone - {"copy3"}


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.integers(0, 2**64 - 1), max_size=400),
    wanted=st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=60),
    reuse=st.integers(0, 30),
)
def test_the_merged_arrays_directory_finds_what_a_binary_search_finds(keys: list[int], wanted: list[int],
                                                                       reuse: int) -> None:  # fmt: skip
    """SortedBands.lower_bounds (a prefix directory, then a bisection inside the prefix's span) answers as
    np.searchsorted does: for keys sought and not, repeated keys, the extremes, and prefixes left empty."""
    stored = np.array(sorted(keys + keys[:reuse] + [0, 2**64 - 1]), dtype=np.uint64)
    sought = np.array(wanted + keys[:reuse] + [0, 2**64 - 1, 1, 2**63], dtype=np.uint64)
    with patch.object(lsh, "_DIRECTORY_FROM", 0):
        merged = SortedBands.merged(stored, np.arange(stored.size, dtype=np.uint32))
    assert merged.starts is not None and merged.starts.size == (1 << (64 - int(merged.shift))) + 1
    assert merged.lower_bounds(sought).tolist() == np.searchsorted(stored, sought).tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_the_directory_from_the_first_key_the_index_finds_what_datasketch_finds(seed: int) -> None:
    """The directory is built only for large indexes (_DIRECTORY_FROM keys); forced on, queries and
    screens through it, across merges and removals, answer as datasketch and as one another."""
    rng = np.random.default_rng(seed)
    sigs = _related_signatures(rng, 150)
    with patch.object(lsh, "_DIRECTORY_FROM", 0):
        fast, reference = BandIndex(PARAMS, merge_every=7), DatasketchBandIndex(PARAMS)
        for i, sig in enumerate(sigs):
            fast.insert(f"a{i}", sig)
            reference.insert(f"a{i}", sig)
            if i % 11 == 10:
                fast.remove(f"a{i - 5}")
                reference.remove(f"a{i - 5}")
        assert fast._sorted.starts is not None
        assert [fast.query(s) for s in sigs] == [reference.query(s) for s in sigs]
        assert fast.hits(sigs).tolist() == [bool(fast.query(s)) for s in sigs]


def test_recent_inserts_wait_in_a_few_runs_each_much_larger_than_the_next() -> None:
    """Each insert adds a sorted run and merges it into the newest runs while they are at most _RUN_RATIO
    times its size: the runs a query searches stay few (logarithmic) however many inserts wait."""
    rng = np.random.default_rng(8)
    index = BandIndex(PARAMS, merge_every=1 << 30)  # (no merge into the sorted arrays)
    most = 0
    for i in range(0, 3000, 3):
        sigs = rng.integers(0, 2**32, size=(1 + i % 7, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
        index.insert_batch([f"a{i}-{k}" for k in range(len(sigs))], sigs)
        sizes = [run.keys.size for run in index._recent]
        assert all(older > lsh._RUN_RATIO * newer for older, newer in itertools.pairwise(sizes))
        most = max(most, len(sizes))
    assert sum(sizes) == len(index) * PARAMS.lsh_bands and 2 <= most <= 6
    probe = rng.integers(0, 2**32, size=PARAMS.num_perm, dtype=np.uint64).astype(np.uint32)
    index.insert("probe", probe)
    assert index.query(probe) == {"probe"}


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), merge_every=st.sampled_from([1, 7, 4096]), limit=st.integers(1, 6))
def test_a_limited_query_keeps_the_live_candidates_sharing_the_most_bands(seed: int, merge_every: int,
                                                                           limit: int) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    query = rng.integers(0, 2**32, size=PARAMS.num_perm, dtype=np.uint64).astype(np.uint32)
    index = BandIndex(PARAMS, merge_every=merge_every)
    shared_bands = {}
    for i in range(20):  # each stored signature copies a random number of the query's bands
        sig = rng.integers(0, 2**32, size=PARAMS.num_perm, dtype=np.uint64).astype(np.uint32)
        bands = rng.choice(PARAMS.lsh_bands, size=int(rng.integers(0, PARAMS.lsh_bands + 1)), replace=False)
        for b in bands.tolist():
            rows = slice(b * PARAMS.lsh_rows, (b + 1) * PARAMS.lsh_rows)
            sig[rows] = query[rows]
        index.insert(f"a{i}", sig)
        shared_bands[f"a{i}"] = len(bands)
    for victim in ("a3", "a11"):
        index.remove(victim)
        del shared_bands[victim]
    found = index.query(query, limit)
    live = {k: v for k, v in shared_bands.items() if v}
    assert found <= set(live) and len(found) == min(limit, len(live))
    weakest_kept = min((live[k] for k in found), default=PARAMS.lsh_bands)
    assert all(live[k] <= weakest_kept for k in set(live) - found)  # none left out shares more bands
    assert index.query(query) == set(live)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), merge_every=st.sampled_from([1, 7, 4096]))
def test_batch_hits_and_inserts_agree_with_one_by_one_queries(seed: int, merge_every: int) -> None:
    """`hits` says whether `query` would find a candidate (over both the sorted arrays and the recent
    dict), and `insert_batch` indexes exactly what `insert` one by one does: blocks whose bands are
    all new buckets (unrelated signatures) and blocks sharing buckets among themselves or with the index."""
    rng = np.random.default_rng(seed)
    related = _related_signatures(rng, 90)
    unrelated = rng.integers(0, 2**32, size=(40, PARAMS.num_perm), dtype=np.uint64).astype(np.uint32)
    sigs = np.concatenate((related, unrelated))
    blocks = [(0, 20), (90, 110), (20, 40), (110, 130), (40, 60)]
    batched, single = BandIndex(PARAMS, merge_every=merge_every), BandIndex(PARAMS, merge_every=merge_every)
    for start, end in blocks:
        block = sigs[start:end]
        ids = [f"a{i}" for i in range(start, end)]
        assert batched.hits(sigs).tolist() == [bool(batched.query(s)) for s in sigs]
        batched.insert_batch(ids, block)
        for key, sig in zip(ids, block, strict=True):
            single.insert(key, sig)
    assert any(batched.hits(sigs[60:90])) and not all(batched.hits(sigs[60:90]))  # both answers occur
    assert batched.hits(sigs[:0]).tolist() == []
    for sig in sigs:
        assert batched.query(sig) == single.query(sig)


def test_queries_beside_inserts_and_merges_find_every_article_stored_before_them() -> None:
    """The embedded store's checks read the index while its writer inserts (and, at most, merges): a
    query must find whatever a query made before the first of those inserts found, whenever it runs.
    The writer here merges at every insert, and the interpreter switches threads as often as it can."""
    rng = np.random.default_rng(11)
    sigs = _related_signatures(rng, 600)
    index = BandIndex(PARAMS, merge_every=1)  # (a merge, a swap of the arrays, at every insert)
    for i in range(200):
        index.insert(f"a{i}", sigs[i])
    queries = sigs[:200:10]
    before = [index.query(sig) for sig in queries]
    assert all(before)  # (each finds itself at least)
    done = threading.Event()

    def write() -> None:
        try:
            for i in range(200, len(sigs)):
                index.insert(f"a{i}", sigs[i])
        finally:
            done.set()

    missed: list[set[str]] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        writer = threading.Thread(target=write)
        writer.start()
        rounds = 0
        while not done.is_set() or not rounds:
            missed += [old - index.query(sig) for sig, old in zip(queries, before, strict=True)]
            rounds += 1
        writer.join(10)
    finally:
        sys.setswitchinterval(interval)
    assert not writer.is_alive() and rounds > 1
    assert not any(missed)


def test_band_keys_given_to_hits_and_insert_batch_answer_as_keys_found_there() -> None:
    """The writer's screen hands the band keys it found on (service/novelty.py): the same hits, the same index; keys
    of another shape are refused, not indexed."""
    rng = np.random.default_rng(5)
    sigs = _related_signatures(rng, 60)
    band_keys = lsh.BandKeys(PARAMS.lsh_bands, PARAMS.lsh_rows)
    keys = band_keys.of(sigs)
    given, found = BandIndex(PARAMS), BandIndex(PARAMS)
    for start in range(0, 60, 15):
        block, ids = sigs[start : start + 15], [f"a{i}" for i in range(start, start + 15)]
        assert given.hits(sigs, band_keys.given(keys)).tolist() == found.hits(sigs).tolist()
        given.insert_batch(ids, block, band_keys.given(keys[start : start + 15]))
        found.insert_batch(ids, block)
    for sig in sigs:
        assert given.query(sig) == found.query(sig)
    with pytest.raises(ValueError, match="band keys of shape"):
        given.insert_batch(["b"], sigs[:1], band_keys.given(keys[:2]))
    with pytest.raises(ValueError, match="band keys of shape"):
        given.hits(sigs[:3], band_keys.given(keys[:3, :5]))


@pytest.mark.parametrize("other", ["rows", "bands", "uint32", "int64", "float64"])
def test_band_keys_of_another_layout_or_type_are_refused_not_indexed(other: str) -> None:
    """Keys found with other rows (the same bands: the same shape) or of another type file the articles in the wrong
    buckets: the index refuses them, and is left as it was."""
    rng = np.random.default_rng(6)
    sigs = _related_signatures(rng, 30)
    bands, rows = PARAMS.lsh_bands, PARAMS.lsh_rows
    layout = {"rows": (bands, rows - 1), "bands": (bands - 1, rows)}.get(other, (bands, rows))
    keys = lsh.BandKeys(*layout).of(sigs)
    if other in ("uint32", "int64", "float64"):
        keys = keys.astype(other)
    given = lsh.GivenKeys(keys, *layout)
    index = BandIndex(PARAMS)
    index.insert_batch(["first"], sigs[:1])
    with pytest.raises(ValueError, match="band keys of"):
        index.insert_batch([f"a{i}" for i in range(30)], sigs, given)
    with pytest.raises(ValueError, match="band keys of"):
        index.hits(sigs, given)
    assert len(index) == 1 and index.query(sigs[0]) == {"first"}


def test_the_reference_index_takes_given_band_keys_and_answers_as_without_them() -> None:
    """The reference index ignores given keys, so this holds its signatures to the store's (a server may hand it
    keys); the screened writer over it is tested in test_same_answers.py."""
    rng = np.random.default_rng(7)
    sigs = _related_signatures(rng, 20)
    band_keys = lsh.BandKeys(PARAMS.lsh_bands, PARAMS.lsh_rows)
    with_keys, without = DatasketchBandIndex(PARAMS), DatasketchBandIndex(PARAMS)
    with_keys.insert_batch([f"a{i}" for i in range(10)], sigs[:10], band_keys.given(band_keys.of(sigs[:10])))
    without.insert_batch([f"a{i}" for i in range(10)], sigs[:10])
    assert with_keys.hits(sigs, band_keys.given(band_keys.of(sigs))).tolist() == without.hits(sigs).tolist()
