"""The index saved at a clean close answers as the index rebuilt from SQLite, and is never used stale."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import TypedDict

import numpy as np
import pytest

from service import snapshot
from service.detector import Detector
from service.engine import Engine
from service.group_counts import CountState, GroupCounts, U8Array
from service.lsh import BandState
from service.model import Article
from service.settings import DetectionParams, Settings
from service.sqlite_store import SqliteStore
from service.storage import open_store
from tests.support import forget_index_snapshot, prepared_corpus, until

PARAMS = DetectionParams()
DETECTOR = Detector(PARAMS, 1 << 20)
PREPARED = prepared_corpus(DETECTOR, 70, seed=11)


def _open(path: Path) -> Engine:
    return Engine(DETECTOR, SqliteStore(path, PARAMS))


def _written(path: Path) -> None:
    """A store with matches, learned counts, a deleted article and a new version of another, closed cleanly."""
    engine = _open(path)
    for p in PREPARED[:60]:
        engine.index(p)
    engine.delete(PREPARED[3].article.id)
    new_version = Article(PREPARED[5].article.id, PREPARED[40].article.body + "\n\nCorrected.", "T")
    engine.index(DETECTOR.prepare(new_version))
    engine.close()


class _Learned(TypedDict):
    """The learned counts: the two bit planes, the total counted twice, the counts of three and more."""

    once: U8Array
    twice: U8Array
    total: int
    more: dict[int, int]


def _answers(engine: Engine) -> tuple[list[object], list[set[str]], _Learned]:
    """Verdicts, raw band candidates and learned counts: what the index decides with."""
    store = engine.store
    assert isinstance(store, SqliteStore)
    with store.read() as tx:
        candidates = [tx.candidates(p.fingerprint.signature) for p in PREPARED]
    counts = store._groups.state()  # (compared whole: a plane bit set on one path only would show)
    more = dict(zip(counts.more_hashes.tolist(), counts.more_counts.tolist(), strict=True))
    learned: _Learned = {"once": counts.once, "twice": counts.twice, "total": counts.twice_total, "more": more}
    return [engine.check(p) for p in PREPARED], candidates, learned


def _same_learned(a: _Learned, b: _Learned) -> bool:
    planes = np.array_equal(a["once"], b["once"]) and np.array_equal(a["twice"], b["twice"])
    return planes and a["total"] == b["total"] and a["more"] == b["more"]


def test_the_loaded_snapshot_answers_as_the_rebuilt_index(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    _written(path)
    loaded = _open(path)
    assert isinstance(loaded.store, SqliteStore) and loaded.store.loaded_snapshot
    verdicts, candidates, learned = _answers(loaded)
    loaded.close()
    forget_index_snapshot(path)
    rebuilt = _open(path)
    try:
        assert isinstance(rebuilt.store, SqliteStore) and not rebuilt.store.loaded_snapshot
        again_verdicts, again_candidates, again_learned = _answers(rebuilt)
        assert verdicts == again_verdicts and candidates == again_candidates
        assert _same_learned(learned, again_learned)
        assert sum(1 for v in verdicts if getattr(v, "matches", ())) > 10  # (a corpus with real matches)
        assert learned["total"] > 0 or learned["more"] or np.count_nonzero(learned["once"])
    finally:
        rebuilt.close()


def test_a_write_after_loading_makes_the_snapshot_stale_within_its_own_commit(tmp_path: Path) -> None:
    path = tmp_path / "d" / "n.db"
    _written(path)
    engine = _open(path)
    assert isinstance(engine.store, SqliteStore) and engine.store.loaded_snapshot
    snapshot_copy = tmp_path / "kept.npz"
    shutil.copy(path.with_name(snapshot.FILE_NAME), snapshot_copy)
    added = PREPARED[65]
    engine.index(added)
    # What a crash now leaves: the committed database, and (put back, as if its removal had not
    # reached the disk) the snapshot file of the state before the write.
    crashed = tmp_path / "crashed"
    shutil.copytree(path.parent, crashed)
    shutil.copy(snapshot_copy, crashed / snapshot.FILE_NAME)
    engine.close()
    with closing(sqlite3.connect(crashed / "n.db")) as db:  # the token went in the write's own commit
        assert db.execute("SELECT value FROM meta WHERE key = 'snapshot'").fetchone() is None
    after_crash = _open(crashed / "n.db")
    try:
        assert isinstance(after_crash.store, SqliteStore) and not after_crash.store.loaded_snapshot
        with after_crash.store.read() as tx:  # in the index (the stale snapshot's index lacks it)
            assert added.article.id in tx.candidates(added.fingerprint.signature)
        assert not (crashed / snapshot.FILE_NAME).exists()
    finally:
        after_crash.close()


def _loaded_with_a_stuck_removal(path: Path) -> tuple[Engine, threading.Event, threading.Event]:
    """A written store opened from its snapshot, whose stale snapshot's removal, once begun (`removing`
    is set), is stuck on the disk until `release` is set."""
    _written(path)
    engine = _open(path)
    store = engine.store
    assert isinstance(store, SqliteStore) and store.loaded_snapshot
    removing, release = threading.Event(), threading.Event()

    class SlowToRemove(type(path)):  # type: ignore[misc]
        def unlink(self, missing_ok: bool = False) -> None:
            removing.set()
            release.wait(10)
            super().unlink(missing_ok)

    store._snapshot = SlowToRemove(store._snapshot)
    return engine, removing, release


def test_the_stale_snapshot_is_removed_beside_the_reads(tmp_path: Path) -> None:
    """Freeing a 1M store's snapshot (0.6 GB) took ≈0.2 s: the first write after a start must not hold
    the checks for that."""
    path = tmp_path / "n.db"
    engine, removing, read_done = _loaded_with_a_stuck_removal(path)
    writer = threading.Thread(target=engine.index, args=(PREPARED[65],))
    writer.start()
    assert removing.wait(10)
    with engine.store.read() as tx:  # (before: waited for the removal, which waited 10 s for this read)
        assert path.with_name(snapshot.FILE_NAME).exists()  # the removal is still under way
        assert tx.get(PREPARED[65].article.id) is not None
    read_done.set()
    writer.join(10)
    assert until(lambda: not path.with_name(snapshot.FILE_NAME).exists())
    engine.close()


def test_the_write_is_acknowledged_before_its_stale_snapshot_is_removed_and_a_close_saves_after_that(
    tmp_path: Path,
) -> None:
    """Freeing a 1M store's snapshot (0.75 GB) took ≈140 ms in the writer after the commit: the first
    batch after a start was acknowledged that much later. The store's merge thread removes it, and a
    close waits for that thread before it saves the new snapshot, which the removal must not take."""
    path = tmp_path / "n.db"
    engine, removing, release = _loaded_with_a_stuck_removal(path)
    added = PREPARED[65]
    indexed = threading.Event()

    def index_it() -> None:
        engine.index(added)
        indexed.set()

    writer = threading.Thread(target=index_it)
    writer.start()
    assert removing.wait(10)
    assert indexed.wait(5)  # acknowledged while the removal is stuck (before: not until it was done)
    assert path.with_name(snapshot.FILE_NAME).exists()
    release.set()
    engine.close()
    reopened = _open(path)
    try:
        assert isinstance(reopened.store, SqliteStore) and reopened.store.loaded_snapshot  # saved after the removal
        with reopened.store.read() as tx:
            assert added.article.id in tx.candidates(added.fingerprint.signature)
    finally:
        reopened.close()


def test_a_damaged_snapshot_is_dropped_and_the_index_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "n.db"
    _written(path)
    sound = _open(path)  # (from the snapshot; closing it without a write keeps that snapshot)
    expected = _answers(sound)[0]
    sound.close()
    file = path.with_name(snapshot.FILE_NAME)
    kept = file.read_bytes()
    damaged = bytearray(kept)
    damaged[len(damaged) // 2] ^= 0xFF  # a byte in the middle of the file (in a bit plane)
    file.write_bytes(bytes(damaged))
    with caplog.at_level(logging.WARNING, logger="service.sqlite_store"):
        engine = _open(path)
    try:
        assert isinstance(engine.store, SqliteStore) and not engine.store.loaded_snapshot
        assert "index snapshot" in caplog.text and "rebuilding the index from the store" in caplog.text
        assert _answers(engine)[0] == expected
    finally:
        assert isinstance(engine.store, SqliteStore)
        engine.store._db.close()  # (no clean close: that would save a fresh snapshot; what a crash leaves,
        os.close(engine.store._owner)  # where the kernel lets go of the store's claim too)
    file.write_bytes(kept)  # the sound file back: its token was dropped with it, so it is not trusted
    engine = _open(path)
    try:
        assert isinstance(engine.store, SqliteStore) and not engine.store.loaded_snapshot
    finally:
        engine.close()


def test_a_snapshot_that_cannot_be_saved_leaves_the_store_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "n.db"
    engine = _open(path)
    for p in PREPARED[:20]:
        engine.index(p)
    path.with_name(snapshot.FILE_NAME).mkdir()  # a directory where the file should go: the rename fails
    with caplog.at_level(logging.WARNING, logger="service.sqlite_store"):
        engine.close()
    assert "index snapshot not saved" in caplog.text
    path.with_name(snapshot.FILE_NAME).rmdir()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'snapshot'").fetchone() is None
    reopened = _open(path)
    try:
        assert isinstance(reopened.store, SqliteStore) and not reopened.store.loaded_snapshot
        assert reopened.stats().articles == 20
    finally:
        reopened.close()


def test_snapshot_files_round_trip_and_refuse_another_state(tmp_path: Path) -> None:
    ids: list[str | None] = ["a", None, "ünï-côdé", "", "x\ny", None]
    bands = BandState(np.array([1, 5, 5, 9], dtype=np.uint64), np.array([0, 2, 3, 2], dtype=np.uint32), ids)
    counts = _counts()
    stamp = {"token": "t1", "params": PARAMS.recorded(), "articles_seq": 9, "samples_seq": 4}
    file = tmp_path / "s.npz"
    snapshot.save(file, stamp, bands, counts)
    got_bands, got_counts = snapshot.load(file, stamp)
    assert got_bands.ids == ids
    assert np.array_equal(got_bands.keys, bands.keys) and np.array_equal(got_bands.slots, bands.slots)
    assert np.array_equal(got_counts.once, counts.once) and got_counts.twice_total == counts.twice_total
    assert got_counts.more_hashes.tolist() == [8, 16] and got_counts.more_counts.tolist() == [3, 5]
    other_params = {**PARAMS.recorded(), "seed": 2}
    for other in ({"token": "t2"}, {"articles_seq": 10}, {"samples_seq": 5}, {"params": other_params}):
        with pytest.raises(snapshot.StaleSnapshot):
            snapshot.load(file, {**stamp, **other})
    assert not list(tmp_path.glob("*.tmp"))


def _counts() -> CountState:
    groups = GroupCounts()
    groups.add(np.array([8, 16, 24], dtype=np.uint32), np.array([3, 5, 1], dtype=np.int64))
    return groups.state()


def test_with_snapshots_off_none_is_saved_and_an_older_one_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "neardup.db"  # (the file open_store opens in --data-dir)
    _written(path)  # closed with snapshots on: one is saved
    file = path.with_name(snapshot.FILE_NAME)
    assert file.exists()
    settings = Settings.from_args(["--data-dir", str(tmp_path), "--index-snapshot", "off"], {})
    store = open_store(settings)
    assert isinstance(store, SqliteStore) and store.path == path
    engine = Engine(DETECTOR, store)
    assert not store.loaded_snapshot and not file.exists()
    engine.delete(PREPARED[10].article.id)  # (a delete alone leaves the stamp's last rows as they were)
    engine.close()
    assert not file.exists()
    on = _open(path)
    try:
        assert isinstance(on.store, SqliteStore) and not on.store.loaded_snapshot
        with on.store.read() as tx:
            assert PREPARED[10].article.id not in tx.candidates(PREPARED[10].fingerprint.signature)
    finally:
        on.close()


@pytest.mark.parametrize(("nonzero", "member"), [(3, "once_at"), (900, "once")])
def test_bit_planes_are_saved_whole_or_as_their_nonzero_bytes(tmp_path: Path, nonzero: int, member: str) -> None:
    rng = np.random.default_rng(nonzero)
    once = np.zeros(1000, dtype=np.uint8)
    once[rng.choice(1000, nonzero, replace=False)] = rng.integers(1, 256, nonzero)
    twice = np.zeros(1000, dtype=np.uint8)
    counts = CountState(once, twice, np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64), 0)
    bands = BandState(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32), [])
    file, stamp = tmp_path / "s.npz", {"token": "t"}
    snapshot.save(file, stamp, bands, counts)
    with np.load(file) as saved:
        assert member in saved.files  # (sparse below a fifth of the bytes set: 5 bytes saved per set byte)
    _, got = snapshot.load(file, stamp)
    assert np.array_equal(got.once, once) and np.array_equal(got.twice, twice)


def test_what_a_save_killed_halfway_left_is_removed_at_the_next_start(tmp_path: Path) -> None:
    """A close killed while it wrote the snapshot leaves its temporary file (~0.6 GB at 1M); the next
    start removes it, and still loads the snapshot the last finished save made."""
    path = tmp_path / "n.db"
    _written(path)
    unfinished = path.with_name(snapshot.FILE_NAME + ".tmp")
    unfinished.write_bytes(b"half a snapshot")
    engine = _open(path)
    try:
        assert not unfinished.exists()
        store = engine.store
        assert isinstance(store, SqliteStore) and store.loaded_snapshot
        assert engine.stats().articles == 59
    finally:
        engine.close()
