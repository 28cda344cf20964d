import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest

from service import lsh
from service.detector import Detector
from service.engine import Engine
from service.errors import IncompatibleIndex, StoreInUse, Unavailable
from service.model import Article, to_us
from service.settings import ND4_SCHEME, DetectionParams
from service.sqlite_store import _GROUP_PAGE, _PUBLISHED_ORDER, SqliteStore
from service.storage import order_key
from tests.articles import OTHER_WITH_APPEAL, SAME_EVENT_A, SAME_EVENT_B, WIRE, WIRE_WITH_APPEAL
from tests.support import forget_index_snapshot, until

PARAMS = DetectionParams()
NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def prepared(article_id: str, body: str, published: datetime | None = None):  # type: ignore[no-untyped-def]
    return Detector(PARAMS, 1 << 20).prepare(Article(article_id, body, "T", "S", "https://x", published))


def test_round_trip_and_lsh_rebuilt_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    store = SqliteStore(path, PARAMS)
    wire = prepared("wire", WIRE, NOW)
    with store.write() as tx:
        tx.insert(wire, NOW, "wire")
    store.close()
    forget_index_snapshot(path)  # (the start from a snapshot: tests/integration/test_index_snapshot.py)

    reopened = SqliteStore(path, PARAMS)
    assert not reopened.loaded_snapshot
    with reopened.read() as tx:
        got = tx.get("wire")
        assert got is not None
        assert got.article == wire.article
        assert got.indexed_at == NOW
        assert (got.fingerprint.shingles == wire.fingerprint.shingles).all()
        assert tx.candidates(prepared("copy", WIRE_WITH_APPEAL).fingerprint.signature) == {"wire"}
    reopened.close()


def _store_holding_one_article(path: Path, params: DetectionParams = PARAMS) -> None:
    store = SqliteStore(path, params)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    store.close()


def test_store_built_with_other_parameters_is_refused(tmp_path: Path) -> None:
    _store_holding_one_article(tmp_path / "n.db")
    with pytest.raises(IncompatibleIndex, match=r"shingle_size: store has 5, settings say 4"):
        SqliteStore(tmp_path / "n.db", replace(PARAMS, shingle_size=4))
    # a decision threshold is not a stored-data parameter: reopening with another one is fine
    SqliteStore(tmp_path / "n.db", replace(PARAMS, min_containment=0.8)).close()


def test_a_store_holding_nothing_takes_the_parameters_of_the_next_start(tmp_path: Path) -> None:
    # (a start refused for a port in use recorded its parameters; the start after it, corrected, was refused)
    SqliteStore(tmp_path / "n.db", PARAMS).close()  # (its close saves an index snapshot, of the old parameters)
    other = replace(PARAMS, shingle_size=4)
    store = SqliteStore(tmp_path / "n.db", other)
    with store.write() as tx:
        tx.insert(Detector(other, 1 << 20).prepare(Article("wire", WIRE)), NOW, "wire")
    store.close()
    with pytest.raises(IncompatibleIndex, match=r"shingle_size: store has 4, settings say 5"):
        SqliteStore(tmp_path / "n.db", PARAMS)
    reopened = SqliteStore(tmp_path / "n.db", other)
    with reopened.read() as tx:
        assert tx.candidates(Detector(other, 1 << 20).prepare(Article("copy", WIRE)).fingerprint.signature) == {"wire"}
    reopened.close()


def test_a_store_whose_articles_were_all_deleted_keeps_its_parameters(tmp_path: Path) -> None:
    detector = Detector(PARAMS, 1 << 20)
    engine = Engine(detector, SqliteStore(tmp_path / "n.db", PARAMS))
    engine.index(detector.prepare(Article("wire", WIRE)))
    engine.delete("wire")
    engine.close()
    # (the learned-boilerplate counts it added stay, and they are hashes of 5-word shingles)
    with pytest.raises(IncompatibleIndex, match=r"shingle_size: store has 5, settings say 4"):
        SqliteStore(tmp_path / "n.db", replace(PARAMS, shingle_size=4))


def test_a_store_of_an_earlier_fingerprint_scheme_is_refused_saying_to_ingest_again(tmp_path: Path) -> None:
    _store_holding_one_article(tmp_path / "n.db")
    with sqlite3.connect(tmp_path / "n.db") as db:  # as a version of scheme nd3 wrote it
        stored = json.loads(db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()[0])
        stored["scheme"] = "nd3:nfkc-casefold-words-unspaced-letters:header-fields-blanked:xxh3-poly64:affine32"
        db.execute("UPDATE meta SET value = ? WHERE key = 'params'", (json.dumps(stored),))
    with pytest.raises(IncompatibleIndex) as refused:
        SqliteStore(tmp_path / "n.db", PARAMS)
    message = str(refused.value)
    assert "scheme: store has 'nd3:" in message and "This version reads text as fingerprint scheme nd5" in message
    assert "point --data-dir at a new one and ingest again" in message and "Start with" not in message


def test_a_store_of_scheme_nd4_is_read_as_it_was_written_not_refused(tmp_path: Path) -> None:
    nd4 = replace(PARAMS, scheme=ND4_SCHEME)
    _store_holding_one_article(tmp_path / "n.db", nd4)
    store = SqliteStore(tmp_path / "n.db", PARAMS)  # (this version's settings: nd5)
    assert store.params == nd4  # (what the detector and its workers read text by)
    store.close()
    with sqlite3.connect(tmp_path / "n.db") as db:  # still stamped nd4: a store is never restamped under its data
        assert json.loads(db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()[0])["scheme"] == (
            ND4_SCHEME
        )
    with pytest.raises(IncompatibleIndex, match=r"shingle_size: store has 5, settings say 4"):  # (its others checked)
        SqliteStore(tmp_path / "n.db", replace(PARAMS, shingle_size=4))


def test_an_empty_store_of_scheme_nd4_takes_this_versions_scheme(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "n.db", replace(PARAMS, scheme=ND4_SCHEME)).close()
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    assert store.params == PARAMS
    store.close()


def test_a_store_open_in_one_server_is_refused_to_another_until_closed(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    store = SqliteStore(path, PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    with pytest.raises(StoreInUse, match=rf"n\.db is in use by another neardup server \(pid {os.getpid()}\)"):
        SqliteStore(path, PARAMS)
    with store.read() as tx:  # the refused open changed nothing
        assert tx.get("wire") is not None
    store.close()
    reopened = SqliteStore(path, PARAMS)
    with reopened.read() as tx:
        assert tx.count() == 1
    reopened.close()


def test_failed_transaction_leaves_disk_and_memory_unchanged(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    with pytest.raises(Unavailable, match="rolled the write back"), store.write() as tx:
        tx.insert(prepared("a", SAME_EVENT_A), NOW, "a")
        tx.delete("wire")
        tx.insert(prepared("a", SAME_EVENT_A), NOW, "a")  # duplicate id: the commit cannot happen
    with store.read() as tx:
        assert tx.count() == 1
        assert tx.get("wire") is not None
        assert tx.candidates(prepared("q", WIRE).fingerprint.signature) == {"wire"}
        assert tx.candidates(prepared("q", SAME_EVENT_A).fingerprint.signature) == set()
    store.close()


def test_the_article_count_is_what_sqlite_holds_as_committed_and_is_read_without_asking_it(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    store = SqliteStore(path, PARAMS)
    with store.write() as tx:
        for aid, body in [("wire", WIRE), ("a", SAME_EVENT_A), ("b", SAME_EVENT_B)]:
            tx.insert(prepared(aid, body), NOW, aid)
    with store.write() as tx:
        tx.delete("b")
        tx.delete("a")
        tx.insert(prepared("a", WIRE_WITH_APPEAL), NOW, "a")  # a new version: still one article
        tx.insert(prepared("c", OTHER_WITH_APPEAL), NOW, "c")
        assert tx.count() == 3  # (the write reads what it wrote so far)
    with pytest.raises(Unavailable), store.write() as tx:
        tx.insert(prepared("d", SAME_EVENT_B), NOW, "d")
        tx.insert(prepared("d", SAME_EVENT_B), NOW, "d")  # duplicate id: the commit cannot happen
    with closing(sqlite3.connect(path)) as db:
        in_sqlite = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert in_sqlite == 3
    with store.read() as tx:
        statements: list[str] = []
        tx._db.set_trace_callback(statements.append)
        assert tx.count() == in_sqlite
        tx._db.set_trace_callback(None)
        assert statements == []  # (a whole index of the table read at every GetStats, before)
    store.close()
    for forget in (False, True):  # started from the snapshot the close saved, then rebuilt from SQLite
        if forget:
            forget_index_snapshot(path)
        reopened = SqliteStore(path, PARAMS)
        assert reopened.loaded_snapshot is not forget
        with reopened.read() as tx:
            assert tx.count() == in_sqlite
        reopened.close()


def test_database_is_wal_with_full_sync(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "n.db", PARAMS).close()
    db = sqlite3.connect(tmp_path / "n.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_a_store_with_the_older_table_of_group_counts_keeps_its_counts(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    SqliteStore(path, PARAMS).close()
    with sqlite3.connect(path) as db:  # what an older version kept: one row of counts per hash
        db.execute("CREATE TABLE shingle_groups (hash INTEGER PRIMARY KEY, groups INTEGER NOT NULL)")
        db.executemany("INSERT INTO shingle_groups VALUES (?, ?)", [(8, 3), (16, 1), (4_294_967_288, 2)])
    hashes = np.array([8, 16, 4_294_967_288], dtype=np.uint32)
    for _ in range(2):  # converted once, then read from the log like any store
        store = SqliteStore(path, PARAMS)
        with store.read() as tx:
            assert tx.common_shingles(hashes, 2).tolist() == [8, 4_294_967_288]
            assert tx.common_shingles(hashes, 3).tolist() == [8]
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'shingle_groups'").fetchone() is None


def test_a_store_holding_only_the_older_table_of_counts_keeps_its_parameters(tmp_path: Path) -> None:
    # (it looked empty to the check that lets an empty store take new parameters, and its counts, hashes of the
    # old parameters' shingles, were then converted under the new ones)
    path = tmp_path / "n.db"
    SqliteStore(path, PARAMS).close()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE shingle_groups (hash INTEGER PRIMARY KEY, groups INTEGER NOT NULL)")
        db.execute("INSERT INTO shingle_groups VALUES (8, 3)")
    with pytest.raises(IncompatibleIndex, match=r"seed: store has 1, settings say 12345"):
        SqliteStore(path, replace(PARAMS, seed=12345))


def test_a_page_of_a_group_is_read_from_the_group_order_index_where_the_last_page_ended(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    db = sqlite3.connect(tmp_path / "n.db")
    plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {_GROUP_PAGE}", ("g", 0, 0, 0, 10)))
    db.close()
    store.close()
    # Entered at the page's place in the group (a range on the order), in order (no sort of the group's rows).
    assert plan == "SEARCH articles USING INDEX articles_group_arrival_order (group_root=? AND <expr>>?)"


# The group indexes of older versions: on group_root alone (before 2026-12-03), then by publication time and seq
# (before the arrival column). Neither had that column.
_OLDER_GROUP_INDEXES = {
    "group-root": "CREATE INDEX articles_group_root ON articles (group_root)",
    "publication-order": f"CREATE INDEX articles_group_order ON articles (group_root, {_PUBLISHED_ORDER})",
}


def _as_an_older_version_left_it(path: Path, group_index: str) -> None:
    """Make the store at `path` (closed) one an older version wrote: no arrival column, its group index."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP INDEX articles_group_arrival_order")
        db.execute("ALTER TABLE articles DROP COLUMN arrival")
        db.execute(_OLDER_GROUP_INDEXES[group_index])


@pytest.mark.parametrize("group_index", sorted(_OLDER_GROUP_INDEXES))
def test_a_store_of_an_older_version_gets_the_group_order_index_and_lists_the_same(
    tmp_path: Path, group_index: str
) -> None:
    path = tmp_path / "n.db"
    store = SqliteStore(path, PARAMS)
    dated = [None, NOW, None, datetime(1969, 7, 20, tzinfo=UTC), NOW]
    with store.write() as tx:
        for n, published in enumerate(dated):
            tx.insert(prepared(f"c{n}", WIRE + f"\n\nCopy {n}.", published), NOW, "g")
        tx.insert(prepared("other", SAME_EVENT_A, NOW), NOW, "other")
    store.close()
    _as_an_older_version_left_it(path, group_index)
    expected = ["c3", "c1", "c4", "c0", "c2"]  # 1969, then NOW by arrival, then the undated by arrival
    store = SqliteStore(path, PARAMS)
    with store.read() as tx:
        total, first = tx.group_page("g", None, 2)
        last = first[-1]
        after = order_key(None if last.published is None else to_us(last.published), last.arrival)
        _, rest = tx.group_page("g", after, 10)
        assert (total, [m.id for m in first + rest]) == (5, expected)
        assert tx.earliest_member("g", excluding="c3") == "c1"
        assert [a.arrival for a in map(tx.get, ("c0", "c4")) if a is not None] == [1, 5]  # (their seqs)
    store.close()
    with closing(sqlite3.connect(path)) as db:
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'articles'")}
        assert (
            db.execute("SELECT COUNT(*) FROM articles WHERE arrival IS NOT NULL").fetchone()[0] == 0
        )  # (none rewritten)
    assert "articles_group_arrival_order" in indexes and not indexes & {"articles_group_order", "articles_group_root"}


def test_a_correction_in_a_store_of_the_version_before_the_arrival_column_keeps_its_original(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    detector = Detector(PARAMS, 1 << 20)
    engine = Engine(detector, SqliteStore(path, PARAMS))
    for article_id, body in (("wire", WIRE), ("copy", WIRE_WITH_APPEAL)):
        engine.index(detector.prepare(Article(article_id, body)))
    engine.close()
    _as_an_older_version_left_it(path, "publication-order")
    engine = Engine(detector, SqliteStore(path, PARAMS))
    try:
        assert engine.index(detector.prepare(Article("wire", WIRE + " Corrected."))).duplicate_of is None
        page = engine.group_members("copy")
        assert (page.original, [m.id for m in page.members]) == ("wire", ["wire", "copy"])
    finally:
        engine.close()


def _samples(article: object) -> np.ndarray:
    from service.boilerplate import sampled

    return sampled(article.fingerprint.shingles)  # type: ignore[attr-defined]


def test_a_run_of_new_articles_is_stored_as_one_by_one_inserts_would_be(tmp_path: Path) -> None:
    """insert_new + count_groups_each: rows, signatures table, band index and group counts, also after a reopen."""
    path = tmp_path / "n.db"
    store = SqliteStore(path, PARAMS)
    wire, other = prepared("wire", WIRE, NOW), prepared("other", SAME_EVENT_A)
    with store.write() as tx:
        tx.insert(prepared("first", WIRE_WITH_APPEAL), NOW, "first")
        tx.delete("first")  # a gap in seq: the run's signatures must still pair with their rows
        tx.insert_new([wire, other], NOW)
        tx.count_groups_each([_samples(wire), _samples(other), _samples(wire)])
    store.close()
    reopened = SqliteStore(path, PARAMS)
    with reopened.read() as tx:
        assert tx.count() == 2
        for p in (wire, other):
            got = tx.get(p.article.id)
            assert got is not None and got.group_root == p.article.id and got.article == p.article
            assert tx.candidates(p.fingerprint.signature) == {p.article.id}
        # wire's samples were counted twice, other's once: seen in two "groups" means common at 2
        assert set(tx.common_shingles(_samples(wire), 2).tolist()) == set(_samples(wire).tolist())
        assert tx.common_shingles(np.setdiff1d(_samples(other), _samples(wire)), 2).size == 0
    db = sqlite3.connect(path)
    pairs = db.execute("SELECT a.id FROM articles a JOIN signatures s ON s.seq = a.seq AND s.id = a.id").fetchall()
    assert sorted(pairs) == [("other",), ("wire",)]
    db.close()
    reopened.close()


def test_stored_ids_are_those_get_finds_in_the_write_and_after_its_commit(tmp_path: Path) -> None:
    """stored_ids (the writer's screen asks it instead of a get each): what `get` answers, beyond one statement's
    500 ids too (a stored id in the first 500 asked and one in the last, an id asked twice), with the write's own
    inserts and deletes, and after the commit in a read."""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    absent = [f"absent{i}" for i in range(600)]
    asked = ["wire", *absent[:300], "gone", *absent[300:], "other", "gone", "other"]  # ("wire" only in the first)
    with store.write() as tx:
        tx.insert_new([prepared("wire", WIRE), prepared("gone", SAME_EVENT_A)], NOW)
        tx.delete("gone")
        tx.insert(prepared("other", SAME_EVENT_B), NOW, "other")
        assert tx.stored_ids(asked) == {i for i in asked if tx.get(i) is not None} == {"wire", "other"}
        assert tx.stored_ids([]) == set()
    with store.read() as tx:
        assert tx.stored_ids(asked) == {"wire", "other"}
    store.close()


def test_a_failed_run_of_new_articles_leaves_disk_and_memory_unchanged(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    wire = prepared("wire", WIRE)
    with pytest.raises(Unavailable, match="rolled the write back"), store.write() as tx:
        tx.insert_new([wire, prepared("a", SAME_EVENT_A)], NOW)
        tx.count_groups_each([_samples(wire)])
        tx.insert(prepared("a", SAME_EVENT_A), NOW, "a")  # duplicate id: the commit cannot happen
    with store.read() as tx:
        assert tx.count() == 0
        assert tx.candidates(wire.fingerprint.signature) == set()
        assert tx.common_shingles(_samples(wire), 2).size == 0
    with store.write() as tx:  # and the same articles can be stored afterwards
        tx.insert_new([wire], NOW)
        tx.count_groups_each([_samples(wire)])
    with store.read() as tx:
        assert tx.band_hits(np.stack([wire.fingerprint.signature])).tolist() == [True]
    store.close()


def test_reads_run_side_by_side_on_connections_of_their_own(tmp_path: Path) -> None:
    """Two checks are inside a read at once (one waiting on disk no longer holds up the other),
    each on its own connection, and the connections are reused, not opened per read."""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    both_inside = threading.Barrier(2, timeout=10)
    connections: list[object] = []
    found: list[bool] = []

    def read() -> None:
        with store.read() as tx:
            connections.append(tx._db)
            both_inside.wait()  # passes only while the other read is inside too (else raises)
            found.append(tx.get("wire") is not None)

    for _ in range(2):  # the second round reuses the first round's connections
        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert found == [True] * 4
    assert len(set(map(id, connections[:2]))) == 2
    assert set(map(id, connections[2:])) == set(map(id, connections[:2]))
    store.close()


def test_a_read_beside_a_write_gets_in_at_once_and_reads_the_last_commit_throughout(tmp_path: Path) -> None:
    """A check waits for no write. Its SQLite reads see the last commit, also when the write commits while
    the read goes on; memory's index already lists what the write has done so far."""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    writing, commit = threading.Event(), threading.Event()
    released_by_the_read: list[bool] = []

    def write() -> None:
        with store.write() as tx:
            tx.insert(prepared("copy", WIRE_WITH_APPEAL), NOW, "copy")
            writing.set()
            released_by_the_read.append(commit.wait(10))

    writer = threading.Thread(target=write)
    writer.start()
    assert writing.wait(10)
    with store.read() as tx:  # (before: waited for the write, which waits 10 s for this read)
        assert tx.candidates(prepared("q", WIRE).fingerprint.signature) == {"wire", "copy"}  # memory: the index
        assert tx.get("copy") is None and tx.shingles(["wire", "copy"]).keys() == {"wire"}  # not committed
        assert tx.count() == 1
        commit.set()
        writer.join(10)
        assert released_by_the_read == [True] and store.commits == 2  # committed while this read goes on,
        assert tx.count() == 1 and tx.get("copy") is None  # which still reads the state it began with
    with store.read() as tx:
        assert tx.count() == 2 and tx.get("copy") is not None
    store.close()


def test_a_read_beside_a_write_reads_what_the_write_deletes_or_replaces_as_last_committed(tmp_path: Path) -> None:
    """The writer reads its own changes; a read beside it reads the last commit: an article the write
    has deleted or replaced as it was, and none the write has added."""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
        tx.insert(prepared("old", SAME_EVENT_A), NOW, "old")
    writing, done = threading.Event(), threading.Event()
    seen_by_the_writer: list[object] = []

    def write() -> None:
        with store.write() as tx:
            tx.delete("wire")
            tx.delete("old")
            tx.insert(prepared("old", WIRE_WITH_APPEAL), NOW, "old")  # a new version of "old"
            tx.insert(prepared("copy", WIRE_WITH_APPEAL), NOW, "copy")
            got = tx.get("old")
            seen_by_the_writer.extend([tx.get("wire"), got and got.article.body, tx.get("copy") is not None])
            writing.set()
            done.wait(10)

    writer = threading.Thread(target=write)
    writer.start()
    assert writing.wait(10)
    assert seen_by_the_writer == [None, WIRE_WITH_APPEAL, True]
    with store.read() as tx:
        old = tx.get("old")
        assert tx.get("wire") is not None and old is not None and old.article.body == SAME_EVENT_A
        assert tx.get("copy") is None
    done.set()
    writer.join(10)
    with store.read() as tx:
        assert tx.get("wire") is None and tx.get("copy") is not None
    store.close()


def test_reads_go_on_while_a_commit_waits_for_the_disk_and_see_the_state_before_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    committing, read_done = threading.Event(), threading.Event()

    def slow_commit(statement: str) -> None:  # (runs in the writer, as SQLite starts the statement)
        if statement == "COMMIT":
            committing.set()
            read_done.wait(10)  # a commit stuck on the disk, until the read is done

    def write() -> None:
        with store.write() as tx:
            tx.insert(prepared("copy", WIRE_WITH_APPEAL), NOW, "copy")

    store._db.set_trace_callback(slow_commit)
    writer = threading.Thread(target=write)
    writer.start()
    assert committing.wait(10)
    with store.read() as tx:  # (before: waited for the commit, which waited 10 s for this read)
        assert tx.candidates(prepared("q", WIRE).fingerprint.signature) == {"wire", "copy"}  # memory: the index
        assert tx.get("copy") is None and tx.shingles(["wire", "copy"]).keys() == {"wire"}  # not durable yet
        assert tx.count() == 1
    read_done.set()
    writer.join(10)
    store._db.set_trace_callback(None)
    with store.read() as tx:
        assert tx.count() == 2 and tx.get("copy") is not None
    store.close()


def test_a_commit_that_fails_after_letting_reads_in_leaves_disk_and_memory_unchanged(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    fail = threading.Event()

    def interrupt() -> int:  # (a non-zero answer interrupts the statement running: once, so that the rollback is not)
        if fail.is_set():
            fail.clear()
            return 1
        return 0

    store._db.set_progress_handler(interrupt, 1)
    with pytest.raises(Unavailable, match="rolled the write back"), store.write() as tx:
        tx.insert(prepared("a", SAME_EVENT_A), NOW, "a")
        tx.delete("wire")
        fail.set()  # the next statement, the COMMIT, fails
    store._db.set_progress_handler(None, 1)
    with store.read() as tx:
        assert tx.count() == 1 and tx.get("wire") is not None and tx.get("a") is None
        assert tx.candidates(prepared("q", WIRE).fingerprint.signature) == {"wire"}
        assert tx.candidates(prepared("q", SAME_EVENT_A).fingerprint.signature) == set()
    with store.write() as tx:  # and the store takes writes again
        tx.insert(prepared("a", SAME_EVENT_A), NOW, "a")
    store.close()


def test_a_write_that_fails_beside_a_read_rolls_memory_back_once_the_read_has_left(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
    read_in, fail, leave = threading.Event(), threading.Event(), threading.Event()
    failed: list[BaseException] = []
    inside: list[set[str]] = []

    def write() -> None:
        try:
            with store.write() as tx:
                tx.insert(prepared("a", SAME_EVENT_A), NOW, "a")
                fail.wait(10)
                raise RuntimeError("a decision failed")
        except RuntimeError as exc:
            failed.append(exc)

    def read() -> None:
        with store.read() as tx:
            read_in.set()
            leave.wait(10)
            inside.append(tx.candidates(prepared("q", SAME_EVENT_A).fingerprint.signature))

    writer, reader = threading.Thread(target=write), threading.Thread(target=read)
    writer.start()
    reader.start()
    assert read_in.wait(10)
    fail.set()
    assert until(lambda: store._lock._writers_waiting == 1)  # the rollback waits for the read to leave
    assert writer.is_alive() and not failed
    late: list[set[str]] = []

    def late_read() -> None:
        with store.read() as tx:
            late.append(tx.candidates(prepared("q", SAME_EVENT_A).fingerprint.signature))

    late_reader = threading.Thread(target=late_read)
    late_reader.start()
    assert until(lambda: store._lock._readers_waiting == 1)  # and a read arriving now waits for the rollback,
    leave.set()
    for thread in (reader, writer, late_reader):
        thread.join(10)
    assert inside == [{"a"}]  # (not rolled back under the read inside)
    assert len(failed) == 1 and late == [set()]  # the late read sees the rollback whole
    with store.read() as tx:
        assert tx.count() == 1 and tx.candidates(prepared("q", WIRE).fingerprint.signature) == {"wire"}
    store.close()


def test_a_read_after_close_is_refused_as_unavailable(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.read() as tx:
        reader = tx._db
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):  # the reader connection was closed with the store
        reader.execute("SELECT 1")
    with pytest.raises(Unavailable, match="shutting down"), store.read():
        pass


def test_a_read_inside_the_same_threads_write_sees_what_it_wrote_so_far(tmp_path: Path) -> None:
    """(It must neither wait for its own write nor read the last commit from another connection.)"""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    with store.write() as tx:
        tx.insert(prepared("wire", WIRE), NOW, "wire")
        with store.read() as inner:
            assert inner.get("wire") is not None
    store.close()


@contextmanager
def merges_held() -> Iterator[tuple[threading.Event, threading.Event]]:
    """Inside, a band index merge being made waits once started (`making` is set) until `release` is set."""
    making, release = threading.Event(), threading.Event()
    make = lsh.MergeInput.made

    def held_make(sealed: lsh.MergeInput) -> lsh.PreparedMerge:
        making.set()
        assert release.wait(10)
        return make(sealed)

    with patch.object(lsh.MergeInput, "made", held_make):
        yield making, release


def test_the_band_index_merge_is_made_beside_the_writes_and_reads_and_only_swapped_in_alone(tmp_path: Path) -> None:
    """A merge copies the band arrays (seconds at a million articles): neither a write nor a check may
    wait for that. Only the swap holds the store alone, after the read in progress."""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    store._bands._merge_every = 2  # (a merge due after two articles instead of 4,096)
    for aid, body in [("wire", WIRE), ("a", SAME_EVENT_A)]:
        with store.write() as tx:
            tx.insert(prepared(aid, body), NOW, aid)
    assert store._bands.merge_due()
    copy = prepared("copy", WIRE_WITH_APPEAL).fingerprint.signature
    with merges_held() as (making, release):
        store.maintain()  # (returns at once: the merge is made in the store's merge thread)
        assert making.wait(10)
        for aid, body in [("b", SAME_EVENT_B), ("o", OTHER_WITH_APPEAL)]:  # writes while the merge is being made
            with store.write() as tx:
                tx.insert(prepared(aid, body), NOW, aid)
            store.maintain()  # (one merge at a time: this starts none)
        with store.read() as tx:  # a check in progress when the merge is ready
            release.set()
            assert until(lambda: store._lock._writers_waiting == 1)  # the swap waits for the read to end
            assert tx.candidates(copy) == {"wire"}
        assert until(lambda: store._merging is not None and store._merging.done())
    # b and o, written beside the merge, were due when it was swapped in: merged next, with no write after.
    assert store._bands._recent == () and len(store._bands) == 4
    with store.read() as tx:
        assert tx.candidates(copy) == {"wire"}
        assert tx.candidates(prepared("b2", SAME_EVENT_B).fingerprint.signature) == {"b"}
    store.close()


def test_a_check_beside_a_write_does_not_wait_for_it_behind_a_merge_waiting_to_swap(tmp_path: Path) -> None:
    """The swap waits for the write in progress (its decisions and fsync); the checks need not wait too:
    at 1.4M articles they had waited 54 ms so, behind a swap waiting for the lock."""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    store._bands._merge_every = 2
    for aid, body in [("wire", WIRE), ("a", SAME_EVENT_A)]:
        with store.write() as tx:
            tx.insert(prepared(aid, body), NOW, aid)
    copy = prepared("copy", WIRE_WITH_APPEAL).fingerprint.signature
    found: list[set[str]] = []

    def check() -> None:
        with store.read() as tx:
            found.append(tx.candidates(copy))

    with merges_held() as (making, release):
        store.maintain()
        assert making.wait(10)
        with store.write() as tx:  # a write in progress when the merge is ready to be swapped in
            tx.insert(prepared("b", SAME_EVENT_B), NOW, "b")
            release.set()
            assert until(lambda: store._lock._writers_waiting == 1)  # the swap waits for this write
            checking = threading.Thread(target=check)
            checking.start()
            checking.join(10)
            assert found == [{"wire"}], "a check waited for the write behind the waiting swap"
            assert store._merging is not None and not store._merging.done()
        assert until(lambda: store._merging is not None and store._merging.done())  # swapped in after the write
    with store.read() as tx:
        assert tx.candidates(copy) == {"wire"} and len(store._bands) == 3
    store.close()


def test_a_merge_asked_for_while_one_ends_is_made_after_it_without_another_write(tmp_path: Path) -> None:
    """The writer asks for maintenance after each write and, while a merge is being made, is not given
    another. What became due meanwhile must be merged when that one ends, even if no write follows. The
    merge thread used to look for it before freeing the merged arrays' memory (a malloc_trim, slow under
    load): writes landing then were left unmerged until the next write (a test saw it under load)."""
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    store._bands._merge_every = 2
    for aid, body in [("wire", WIRE), ("a", SAME_EVENT_A)]:
        with store.write() as tx:
            tx.insert(prepared(aid, body), NOW, aid)
    freeing, freed = threading.Event(), threading.Event()

    def slow_to_free() -> None:  # (the first merge's, held; any later one at once)
        if not freeing.is_set():
            freeing.set()
            assert freed.wait(10)

    with patch("service.sqlite_store.release_free_memory", slow_to_free):
        store.maintain()
        assert freeing.wait(10)  # the merge is swapped in, its memory being freed
        for aid, body in [("b", SAME_EVENT_B), ("c", OTHER_WITH_APPEAL)]:
            with store.write() as tx:
                tx.insert(prepared(aid, body), NOW, aid)
            store.maintain()  # (while the merge thread is busy: asked for again)
        assert store._bands.merge_due()
        freed.set()
        assert until(lambda: store._bands._recent == ())  # merged, with no write after
    assert not store._bands.merge_due() and len(store._bands) == 4
    store.close()


def test_a_failed_merge_leaves_the_index_whole_and_the_next_write_merges(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", PARAMS)
    store._bands._merge_every = 2
    for aid, body in [("wire", WIRE), ("a", SAME_EVENT_A)]:
        with store.write() as tx:
            tx.insert(prepared(aid, body), NOW, aid)
    with patch.object(lsh.MergeInput, "made", side_effect=MemoryError("no room for the merged arrays")):
        store.maintain()
        assert until(lambda: store._merging is not None and store._merging.done())
    assert store._bands.merge_due() and store._bands._recent_articles == 2  # (not merged, still found)
    with store.read() as tx:
        assert tx.candidates(prepared("copy", WIRE_WITH_APPEAL).fingerprint.signature) == {"wire"}
    store.maintain()
    assert until(lambda: store._bands._recent == ())  # merged
    assert not store._bands.merge_due()
    store.close()


def test_a_close_beside_a_merge_being_made_waits_for_it_and_the_reopened_store_finds_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "n.db"
    store = SqliteStore(path, PARAMS)
    store._bands._merge_every = 2
    for aid, body in [("wire", WIRE), ("a", SAME_EVENT_A), ("b", SAME_EVENT_B)]:
        with store.write() as tx:
            tx.insert(prepared(aid, body), NOW, aid)
    with merges_held() as (making, release):
        store.maintain()
        assert making.wait(10)
        closing = threading.Thread(target=store.close)
        closing.start()
        closing.join(0.2)
        assert closing.is_alive()  # waiting for the merge to be made and applied
        release.set()
        closing.join(10)
        assert not closing.is_alive()
    reopened = SqliteStore(path, PARAMS)
    assert reopened.loaded_snapshot
    with reopened.read() as tx:
        assert tx.candidates(prepared("copy", WIRE_WITH_APPEAL).fingerprint.signature) == {"wire"}
        assert tx.candidates(prepared("b2", SAME_EVENT_B).fingerprint.signature) == {"b"}
    reopened.close()
