"""The index saved (at a clean close, beside the writes) and brought up to date at a start answers as the index
rebuilt from SQLite, and is never used stale."""

from __future__ import annotations

import logging
import os
import re
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
from tests.support import forget_index_snapshot, index_snapshot_file, index_snapshot_token, prepared_corpus, until

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


def _crashed_copy(engine: Engine, to: Path) -> Path:
    """What a crash of `engine` would leave now (the committed database and the snapshot file on disk),
    copied to `to` while it runs on; the path of the copy's database. Taken once no save is being made."""
    store = engine.store
    assert isinstance(store, SqliteStore)
    assert until(lambda: store._merging is None or store._merging.done())
    shutil.copytree(store.path.parent, to)
    return to / store.path.name


def _rebuilt_answers(path: Path, copy_to: Path) -> tuple[list[object], list[set[str]], _Learned]:
    """The answers of the index rebuilt from SQLite, from a copy of the store at `path`."""
    shutil.copytree(path.parent, copy_to)
    forget_index_snapshot(copy_to / path.name)
    rebuilt = _open(copy_to / path.name)
    try:
        assert isinstance(rebuilt.store, SqliteStore) and not rebuilt.store.loaded_snapshot
        return _answers(rebuilt)
    finally:
        rebuilt.close()


def _started_after_crash(crashed: Path, tmp_path: Path) -> tuple[int, list[set[str]], int]:
    """Start the store a crash left at `crashed`: it must load its snapshot and answer as the index rebuilt
    from SQLite (verdicts, raw candidates, learned counts). How many articles it replayed onto the
    snapshot, its raw candidates, how many articles it stores."""
    engine = _open(crashed)
    try:
        assert isinstance(engine.store, SqliteStore) and engine.store.loaded_snapshot
        replayed, answers, stored = engine.store.replayed, _answers(engine), engine.stats().articles
    finally:
        engine.close()
    rebuilt = _rebuilt_answers(crashed, tmp_path / "rebuilt")
    assert answers[:2] == rebuilt[:2] and _same_learned(answers[2], rebuilt[2])
    return replayed, answers[1], stored


def test_a_start_after_a_crash_replays_onto_the_snapshot_what_was_written_since(tmp_path: Path) -> None:
    """Articles indexed after the snapshot (matches among them), one of the snapshot's deleted and another
    replaced by a new version, one of the new ones deleted and another replaced: the index loaded and
    brought up to date answers as the index rebuilt from SQLite, learned counts included."""
    path = tmp_path / "d" / "n.db"
    _written(path)
    engine = _open(path)
    assert isinstance(engine.store, SqliteStore) and engine.store.loaded_snapshot
    for p in PREPARED[60:68]:
        engine.index(p)
    engine.delete(PREPARED[7].article.id)  # (in the snapshot)
    engine.delete(PREPARED[61].article.id)  # (indexed after it)
    for old, text in ((PREPARED[8], PREPARED[30]), (PREPARED[62], PREPARED[20])):
        engine.index(DETECTOR.prepare(Article(old.article.id, text.article.body + "\n\nUpdated.", "T")))
    crashed = _crashed_copy(engine, tmp_path / "crashed")
    engine.close()
    replayed, candidates, stored = _started_after_crash(crashed, tmp_path)
    assert replayed == 8  # (the rows after the mark: 8 indexed, less 2 deleted or replaced, 2 new versions)
    assert PREPARED[7].article.id not in candidates[7] and PREPARED[61].article.id not in candidates[61]
    assert PREPARED[65].article.id in candidates[65]
    assert stored == 59 + 8 - 2


def test_a_rebuild_keeps_the_removals_while_the_token_of_the_snapshot_it_dropped_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start that drops its snapshot on a full disk leaves the token's delete undone (`_tidy`), and on a file
    system that cannot unlink when full, the file too: the rebuild still cleared the removals, and a later start
    loaded that snapshot with nothing left to take out of it the articles deleted after it (back as candidates)."""
    path = tmp_path / "d" / "n.db"
    _written(path)
    engine = _open(path)
    gone = PREPARED[7]
    engine.delete(gone.article.id)  # (in the snapshot: a removal row since)
    crashed = _crashed_copy(engine, tmp_path / "crashed")
    engine.close()
    tidy = SqliteStore._tidy

    def full_for_the_token(store: SqliteStore, sql: str) -> None:
        if "FROM meta WHERE key = 'snapshot'" not in sql:  # (the token's delete is the one the full disk refuses)
            tidy(store, sql)

    def unlink_fails(directory: Path, keep: Path | None) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(SqliteStore, "_tidy", full_for_the_token)
        patched.setattr(snapshot, "drop_all_but", unlink_fails)
        SqliteStore(crashed, PARAMS, snapshot=False).close()  # (a start with --index-snapshot off: dropped)
    assert index_snapshot_token(crashed) is not None and index_snapshot_file(crashed).exists()
    _, candidates, stored = _started_after_crash(crashed, tmp_path)  # (loads it: as rebuilt, the deletion kept)
    assert gone.article.id not in candidates[7]
    assert stored == 59 - 1


def _open_saving_every(path: Path, every: int) -> Engine:
    return Engine(DETECTOR, SqliteStore(path, PARAMS, snapshot_every=every))


def test_the_index_is_saved_beside_the_writes_once_enough_were_indexed(tmp_path: Path) -> None:
    path = tmp_path / "d" / "n.db"
    engine = _open_saving_every(path, 20)
    for p in PREPARED[:15]:
        engine.index(p)
    engine.delete(PREPARED[2].article.id)
    assert index_snapshot_token(path) is None  # (15 indexed: not due yet)
    for p in PREPARED[15:25]:
        engine.index(p)
    assert until(lambda: index_snapshot_token(path) is not None)  # 25 indexed: due, saved in the merge thread
    with closing(sqlite3.connect(path)) as db:  # the removal the snapshot holds went with its commit
        assert db.execute("SELECT COUNT(*) FROM removals").fetchone()[0] == 0
    for p in PREPARED[25:30]:
        engine.index(p)
    crashed = _crashed_copy(engine, tmp_path / "crashed")
    engine.close()
    replayed, _, _ = _started_after_crash(crashed, tmp_path)
    assert 5 <= replayed < 15  # (saved after the 20th to 25th: what came after it replayed)


def test_a_purge_alone_is_followed_by_a_merge_that_drops_its_keys_and_by_a_save(tmp_path: Path) -> None:
    """Deletes with no insert beside them: the store's maintenance still runs (in the writer's thread)."""
    path = tmp_path / "d" / "n.db"
    engine = _open_saving_every(path, 10)
    store = engine.store
    assert isinstance(store, SqliteStore)
    # A merge due at the twelfth removal, and not before: with merges due sooner, those the removals made due
    # while a merge ran could leave fewer than the threshold unmerged, by timing alone.
    store._bands._merge_every = 12
    try:
        for p in PREPARED[:20]:
            engine.index(p)
        assert until(lambda: index_snapshot_token(path) is not None and not store._maintenance_running)
        saved, keys = index_snapshot_token(path), store._bands._sorted.keys.size
        # Twelve removals, no insert: a save is due at ten (a quarter of 8 is less). One purge, one write: deleted one
        # by one, each followed by the maintenance in the writer's thread, the save came at the tenth and the last
        # two removals stayed for the next save (before deletes were made by the writer, the caller's deletes could
        # outrun the maintenance they asked for, and the save come after all twelve).
        assert engine.delete_all([p.article.id for p in PREPARED[:12]]) == [True] * 12
        assert until(lambda: index_snapshot_token(path) != saved and store._bands._removed_since_merge == 0)
        assert store._bands._sorted.keys.size < keys and store._bands._recent == ()
        with closing(sqlite3.connect(path)) as db:  # the removals the new snapshot holds went with its commit
            assert db.execute("SELECT COUNT(*) FROM removals").fetchone()[0] == 0
        assert all(p.article.id not in {m.id for m in engine.check(p).matches} for p in PREPARED[:20])
    finally:
        engine.close()
    reopened = _open(path)
    try:
        assert isinstance(reopened.store, SqliteStore) and reopened.store.loaded_snapshot
        assert reopened.stats().articles == 8
    finally:
        reopened.close()


def test_writes_and_reads_go_on_while_the_index_is_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save at 1M articles merges and writes ≈0.6 GB: the writer and the checks must not wait for it."""
    path = tmp_path / "d" / "n.db"
    saving, release = threading.Event(), threading.Event()
    real_save = snapshot.save

    def slow_save(*args: object, **kwargs: object) -> None:
        saving.set()
        release.wait(20)
        real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot, "save", slow_save)
    engine = _open_saving_every(path, 10)
    try:
        for p in PREPARED[:12]:
            engine.index(p)
        assert saving.wait(10)
        for p in PREPARED[12:16]:  # acknowledged while the save is stuck (6 since it was asked for: none due)
            engine.index(p)
        with engine.store.read() as tx:  # and read
            assert PREPARED[15].article.id in tx.candidates(PREPARED[15].fingerprint.signature)
        assert engine.get(PREPARED[15].article.id).article.body == PREPARED[15].article.body
        assert index_snapshot_token(path) is None
    finally:
        release.set()
    assert until(lambda: index_snapshot_token(path) is not None)
    # It holds what the index held when it was asked for (after the 10th write), not what came during the save.
    crashed = _crashed_copy(engine, tmp_path / "crashed")
    engine.close()
    assert _started_after_crash(crashed, tmp_path)[0] == 6
    reopened = _open(path)
    try:
        assert isinstance(reopened.store, SqliteStore) and reopened.store.loaded_snapshot
        assert reopened.store.replayed == 0 and reopened.stats().articles == 16  # (the close saved again)
    finally:
        reopened.close()


def test_a_damaged_snapshot_is_dropped_and_the_index_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "n.db"
    _written(path)
    sound = _open(path)  # (from the snapshot; closing it without a write keeps that snapshot)
    expected = _answers(sound)[0]
    sound.close()
    file = index_snapshot_file(path)
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
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "n.db"
    engine = _open(path)
    for p in PREPARED[:20]:
        engine.index(p)
    monkeypatch.setattr("service.sqlite_store.secrets.token_hex", lambda _: "a" * 32)  # (the next save's name)
    blocked = snapshot.file_for(tmp_path, "a" * 32)
    blocked.mkdir()  # a directory where the file should go: the rename fails
    with caplog.at_level(logging.WARNING, logger="service.sqlite_store"):
        engine.close()
    assert "index snapshot not saved" in caplog.text
    blocked.rmdir()
    assert index_snapshot_token(path) is None
    reopened = _open(path)
    try:
        assert isinstance(reopened.store, SqliteStore) and not reopened.store.loaded_snapshot
        assert reopened.stats().articles == 20
    finally:
        reopened.close()


def test_a_save_whose_commit_sqlite_rolled_back_itself_logs_why_not_a_failed_rollback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On a full disk SQLite can roll the token's transaction back itself; the save's own ROLLBACK then failed, and
    its "cannot rollback - no transaction is active" was the warning logged, in place of the disk's error (red team
    9). A trigger that rolls the transaction back (RAISE(ROLLBACK)) does here what the full disk did there."""
    path = tmp_path / "n.db"
    engine = _open(path)
    for p in PREPARED[:20]:
        engine.index(p)
    assert isinstance(engine.store, SqliteStore)
    engine.store._db.execute("CREATE TEMP TRIGGER full BEFORE INSERT ON meta WHEN NEW.key = 'snapshot' "
                             "BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END")  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="service.sqlite_store"):
        engine.close()
    assert "index snapshot not saved (IntegrityError: database or disk is full)" in caplog.text
    assert "cannot rollback" not in caplog.text
    reopened = _open(path)
    try:
        assert isinstance(reopened.store, SqliteStore) and not reopened.store.loaded_snapshot
        assert reopened.stats().articles == 20
    finally:
        reopened.close()


def test_a_snapshot_whose_token_was_not_recorded_leaves_the_one_before_in_use(tmp_path: Path) -> None:
    """What a process killed between a save's rename and the commit of its token leaves: the store trusts the
    file before, and the next start loads it (and replays what came after), and drops the unrecorded one."""
    path = tmp_path / "a" / "n.db"
    _written(path)
    shutil.copytree(path.parent, tmp_path / "b")
    crashed = tmp_path / "b" / path.name
    before = index_snapshot_file(path)
    engine = _open(path)  # the same store, written on, and closed: a later save, in a file of its own
    for p in PREPARED[60:64]:
        engine.index(p)
    engine.close()
    later = index_snapshot_file(path)
    assert later.name != before.name and not before.exists()  # (once the later one recorded, the file went)
    shutil.copy(later, crashed.parent)  # the later save, renamed into place, its token not recorded
    engine = _open(crashed)
    try:
        assert isinstance(engine.store, SqliteStore) and engine.store.loaded_snapshot
        assert engine.store.replayed == 0 and engine.stats().articles == 59
        assert [f.name for f in crashed.parent.glob("index-snapshot*")] == [before.name]
    finally:
        engine.close()


def test_a_save_whose_token_cannot_be_recorded_leaves_the_snapshot_before_in_use(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file is written, but another connection holds SQLite's write lock, so the commit of its token
    fails (after the 5 s busy timeout): the new file goes, the one before stays trusted."""
    path = tmp_path / "n.db"
    _written(path)
    before = index_snapshot_file(path)
    engine = _open(path)
    for p in PREPARED[60:64]:
        engine.index(p)
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # (an operator's write, say)
        with caplog.at_level(logging.WARNING, logger="service.sqlite_store"):
            engine.close()
        other.execute("ROLLBACK")
    assert "index snapshot not saved" in caplog.text and "locked" in caplog.text
    assert index_snapshot_file(path) == before
    assert [f.name for f in tmp_path.glob("index-snapshot*")] == [before.name]
    reopened = _open(path)
    try:
        assert isinstance(reopened.store, SqliteStore) and reopened.store.loaded_snapshot
        assert reopened.store.replayed == 4 and reopened.stats().articles == 63
    finally:
        reopened.close()


def test_a_snapshot_saved_under_the_single_name_of_earlier_versions_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    _written(path)
    legacy = tmp_path / "index-snapshot.npz"  # (its token inside it, and in the store)
    index_snapshot_file(path).rename(legacy)
    engine = _open(path)
    try:
        assert isinstance(engine.store, SqliteStore) and engine.store.loaded_snapshot
        assert engine.stats().articles == 59
        engine.index(PREPARED[64])
    finally:
        engine.close()
    assert sorted(tmp_path.glob("index-snapshot*")) == [index_snapshot_file(path)]  # (the next save replaced it)


def test_snapshot_files_round_trip_and_refuse_another_state(tmp_path: Path) -> None:
    ids: list[str | None] = ["a", None, "ünï-côdé", "", "x\ny", None]
    bands = BandState(np.array([1, 5, 5, 9], dtype=np.uint64), np.array([0, 2, 3, 2], dtype=np.uint32), ids)
    counts = _counts()
    stamp = {"token": "t1", "params": PARAMS.recorded()}
    marks = snapshot.Marks(articles_seq=9, samples_seq=4, removals_seq=2)
    file = tmp_path / "s.npz"
    snapshot.save(file, stamp, marks, bands, counts)
    got_bands, got_counts, got_marks = snapshot.load(file, stamp)
    assert got_marks == marks
    assert got_bands.ids == ids
    assert np.array_equal(got_bands.keys, bands.keys) and np.array_equal(got_bands.slots, bands.slots)
    assert np.array_equal(got_counts.once, counts.once) and got_counts.twice_total == counts.twice_total
    assert got_counts.more_hashes.tolist() == [8, 16] and got_counts.more_counts.tolist() == [3, 5]
    other_params = {**PARAMS.recorded(), "seed": 2}
    for other in ({"token": "t2"}, {"params": other_params}):
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
    file = index_snapshot_file(path)
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
    snapshot.save(file, stamp, snapshot.Marks(0, 0, 0), bands, counts)
    with np.load(file) as saved:
        assert member in saved.files  # (sparse below a fifth of the bytes set: 5 bytes saved per set byte)
    _, got, _ = snapshot.load(file, stamp)
    assert np.array_equal(got.once, once) and np.array_equal(got.twice, twice)


def test_what_a_save_killed_halfway_left_is_removed_at_the_next_start(tmp_path: Path) -> None:
    """A close killed while it wrote the snapshot leaves its temporary file (~0.6 GB at 1M); the next
    start removes it, and still loads the snapshot the last finished save made."""
    path = tmp_path / "n.db"
    _written(path)
    unfinished = tmp_path / f"{snapshot.file_for(tmp_path, 'b' * 32).name}.tmp"
    unfinished.write_bytes(b"half a snapshot")
    engine = _open(path)
    try:
        assert not unfinished.exists()
        store = engine.store
        assert isinstance(store, SqliteStore) and store.loaded_snapshot
        assert engine.stats().articles == 59
    finally:
        engine.close()


def test_a_new_store_file_beside_a_snapshot_is_refused_as_holding_no_store(tmp_path: Path) -> None:
    """A database file a start made but never recorded parameters in (as a refused start of an earlier version
    left one): refused as what it is, not as missing or empty."""
    path = tmp_path / "neardup.db"
    _written(path)
    index_snapshot_file(path)
    path.unlink()
    with closing(sqlite3.connect(path)) as made:  # (a file with tables, and no store's parameters)
        made.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        made.commit()
    with pytest.raises(
        OSError, match=re.escape("neardup.db holds no store (no start recorded its parameters), beside an index")
    ):
        SqliteStore(path, PARAMS, own_directory=True)


@pytest.mark.parametrize("lost", ["missing", "empty"])
def test_a_store_file_missing_or_empty_beside_a_snapshot_is_refused_and_the_snapshot_kept(
    tmp_path: Path, lost: str
) -> None:
    path = tmp_path / "neardup.db"
    _written(path)  # 59 articles: 60 indexed, one deleted (another replaced by a new version of itself)
    saved = index_snapshot_file(path)
    if lost == "missing":
        path.unlink()
    else:
        path.write_bytes(b"")
    beside = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OSError, match="was missing or empty, beside an index snapshot of 59 articles") as refused:
        SqliteStore(path, PARAMS, own_directory=True)
    assert f"remove {saved.name} first" in str(refused.value) and "wrong volume" in str(refused.value)
    assert saved.exists()  # (the one trace of the store: kept)
    # Nothing made: the refused start had left a new store of 32 KiB (tables, write-ahead log) and its lock, and the
    # next start called that file "missing or empty" too.
    assert sorted(p.name for p in tmp_path.iterdir()) == beside
    assert path.exists() == (lost == "empty") and (not path.exists() or path.stat().st_size == 0)
    with pytest.raises(OSError, match="was missing or empty"):  # (the refusal recorded nothing: refused again)
        SqliteStore(path, PARAMS, own_directory=True)
    saved.unlink()  # an empty store there on purpose
    store = SqliteStore(path, PARAMS, own_directory=True)
    with store.read() as tx:
        assert tx.count() == 0
    store.close()


def test_a_store_whose_snapshot_record_is_gone_is_still_rebuilt_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "neardup.db"
    _written(path)
    saved = index_snapshot_file(path)
    forget_index_snapshot(path)  # (the store is there: its snapshot is only not trusted)
    store = SqliteStore(path, PARAMS, own_directory=True)
    assert not store.loaded_snapshot and not saved.exists()
    with store.read() as tx:
        assert tx.count() == 59
    store.close()


def _restored(path: Path, backup: Path) -> None:
    """Put `backup` in place of the store at `path`, closed, as docs/ops.md's restore does."""
    for log in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        log.unlink(missing_ok=True)
    shutil.copyfile(backup, path)


def _further_state_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "beside it was saved" in
            r.getMessage()]  # fmt: skip


def test_a_backup_restored_beside_a_later_snapshot_says_how_many_articles_the_snapshot_held_that_it_does_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The backup recorded the token of a snapshot a later save replaced: the start named only that missing file
    ("not used (FileNotFoundError …)") and dropped the later snapshot, of 10 more articles, unnamed."""
    path, backup = tmp_path / "neardup.db", tmp_path / "backup.db"
    _written(path)  # 59 articles, its snapshot saved at the close
    shutil.copyfile(path, backup)  # (closed cleanly: the file alone is the store)
    recorded = index_snapshot_file(backup)
    engine = _open(path)
    for p in PREPARED[60:70]:
        engine.index(p)
    engine.close()
    later = index_snapshot_file(path)
    _restored(path, backup)
    caplog.set_level(logging.INFO, logger="service.sqlite_store")
    store = SqliteStore(path, PARAMS, own_directory=True)  # (restoring a backup is allowed)
    try:
        with store.read() as tx:
            assert tx.count() == 59
    finally:
        store.close()
    said = _further_state_warnings(caplog)
    assert len(said) == 1 and said[0].startswith(
        f"the store {path} holds 59 articles, but the index snapshot {later.name} beside it was saved from a store "
        "of 69 articles, with articles added after this store's last (up to article number 71, this store's last "
        "is 61)"
    )  # (61: 60 indexed and a new version, each a row; one deleted)
    assert "and at least 10 of the articles it held are not in this store" in said[0]
    assert f"stop the server and put the newer {path.name} back" in said[0]
    assert f"the index snapshot this store recorded, {recorded.name}, is not in {tmp_path} (a later save" in caplog.text
    assert "FileNotFoundError" not in caplog.text and not later.exists()


def test_a_backup_taken_before_any_save_says_what_the_snapshot_beside_it_held_and_an_own_one_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, backup = tmp_path / "neardup.db", tmp_path / "backup.db"
    engine = _open(path)
    for p in PREPARED[:20]:
        engine.index(p)
    with closing(sqlite3.connect(path)) as db, closing(sqlite3.connect(backup)) as copy:
        db.backup(copy)  # (online, beside the writes: no snapshot saved yet, so none recorded)
    for p in PREPARED[20:50]:
        engine.index(p)
    engine.close()
    assert index_snapshot_token(backup) is None
    caplog.set_level(logging.INFO, logger="service.sqlite_store")
    SqliteStore(path, PARAMS, own_directory=True).close()  # (its own snapshot, loaded: nothing said)
    assert not _further_state_warnings(caplog)
    _restored(path, backup)
    store = SqliteStore(path, PARAMS, own_directory=True)
    store.close()
    said = _further_state_warnings(caplog)
    assert len(said) == 1 and said[0].startswith(f"the store {path} holds 20 articles, but the index snapshot")
    assert "saved from a store of 50 articles" in said[0] and "at least 30 of the articles it held" in said[0]


def test_a_clean_close_says_the_snapshot_it_saved_and_ends_with_stopped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    engine = _open(tmp_path / "neardup.db")
    for p in PREPARED[:5]:
        engine.index(p)
    caplog.clear()
    engine.close()
    said = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(r"index snapshot of 5 articles saved at close in \d+\.\d s", said[0]), said
    assert re.fullmatch(r"stopped: the writes queued were finished and the store closed in \d+\.\d s", said[-1])
