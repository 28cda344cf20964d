"""Reading ahead a table's pages: the leaf pages found from the b-tree's interior pages are SQLite's own
(as its dbstat table lists them), and a file that cannot be read that way costs only the hint."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from service.detector import Detector
from service.engine import Engine
from service.settings import DetectionParams
from service.sqlite_pages import _File, _root_page, read_ahead, root_pages
from service.sqlite_store import SqliteStore
from tests.support import prepared_corpus


@contextmanager
def _opened(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


def _leaves_by_dbstat(db: sqlite3.Connection, table: str) -> set[int]:
    rows = db.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,))
    return {int(row[0]) for row in rows}


def _interleaved(path: Path, rows: int) -> sqlite3.Connection:
    """A narrow table written beside a wide one, a few rows of each per transaction (as the store does),
    with small pages so the narrow table's b-tree has three levels or more."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA page_size = 512")
    db.execute("CREATE TABLE wide (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    db.execute("CREATE TABLE narrow (seq INTEGER PRIMARY KEY, value BLOB NOT NULL)")
    for start in range(0, rows, 50):
        db.execute("BEGIN")
        for n in range(start, start + 50):
            db.execute("INSERT INTO wide (body) VALUES (?)", (f"body {n} " * 40,))
            db.execute("INSERT INTO narrow (value) VALUES (?)", (n.to_bytes(8, "big") * 4,))
        db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint")  # (a no-op in rollback mode; the pages are in the main file)
    return db


def test_leaf_pages_are_those_sqlite_lists(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = _interleaved(path, 6000)
    with _opened(path) as fd:
        file = _File(fd)
        for table in ("narrow", "wide"):
            found = list(file.leaves(_root_page(db, table)))
            assert len(found) == len(set(found))
            assert set(found) == _leaves_by_dbstat(db, table)
    interior = db.execute("SELECT COUNT(*) FROM dbstat WHERE name = 'narrow' AND pagetype = 'internal'").fetchone()[0]
    assert interior > 1  # (the root and a level of interior pages under it: the walk goes down two levels)
    with _opened(path) as fd:
        assert read_ahead(fd, root_pages(db, ["narrow", "missing"])) == len(_leaves_by_dbstat(db, "narrow"))


def _last_rowid(file: _File, leaf: int) -> int:
    """The highest rowid on a table leaf page, read from its last cell (a varint of the payload's size, then
    the rowid's), independently of the module's own decoding."""
    data = file._read(leaf)
    at = 100 if leaf == 1 else 0
    cells = int.from_bytes(data[at + 3 : at + 5], "big")
    offset = int.from_bytes(data[at + 8 + 2 * (cells - 1) : at + 10 + 2 * (cells - 1)], "big")
    values: list[int] = []
    while len(values) < 2:  # (payload size, rowid: both small here, under 9 bytes)
        value = 0
        while data[offset] & 0x80:
            value = (value << 7) | (data[offset] & 0x7F)
            offset += 1
        values.append((value << 7) | data[offset])
        offset += 1
    return values[1]


def test_the_leaves_after_a_rowid_are_those_holding_a_higher_one(tmp_path: Path) -> None:
    """A start from a snapshot reads ahead only the pages of the rows written after it."""
    path = tmp_path / "t.db"
    db = _interleaved(path, 6000)
    root = _root_page(db, "narrow")
    with _opened(path) as fd:
        file = _File(fd)
        every = list(file.leaves(root))
        last = {leaf: _last_rowid(file, leaf) for leaf in every}
        assert max(last.values()) == 6000
        boundary = last[every[len(every) // 2]]  # (a leaf's last rowid: that leaf holds none above it)
        for after in (0, 1, 777, boundary - 1, boundary, 5999, 6000):
            found = set(file.leaves(root, after))
            # (the rightmost leaf always: the table's newest rows, or where the next ones go)
            assert found == {leaf for leaf in every if last[leaf] > after} | {every[-1]}
        assert 0 < len(list(file.leaves(root, 4500))) < len(every) // 3
        wanted = len(list(file.leaves(root, 3000))) + len(list(file.leaves(_root_page(db, "wide"), 5000)))
        assert read_ahead(fd, root_pages(db, ["narrow", "wide"]), [3000, 5000]) == wanted


def test_the_store_reads_ahead_its_index_tables(tmp_path: Path) -> None:
    params = DetectionParams()
    detector = Detector(params, 1 << 20)
    path = tmp_path / "n.db"
    engine = Engine(detector, SqliteStore(path, params))
    try:
        for prepared in prepared_corpus(detector, 60, seed=3):
            engine.index(prepared)
    finally:
        engine.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        wanted = _leaves_by_dbstat(db, "signatures") | _leaves_by_dbstat(db, "group_samples")
        with _opened(path) as fd:
            assert read_ahead(fd, root_pages(db, ["signatures", "group_samples"])) == len(wanted) > 2


def test_a_page_that_is_not_a_table_page_costs_only_the_hint(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "t.db"
    db = _interleaved(path, 2000)
    root = _root_page(db, "narrow")
    with path.open("r+b") as file:  # the root page's type byte: not a b-tree page any more
        file.seek((root - 1) * 512)
        file.write(b"\x00")
    with caplog.at_level(logging.WARNING, logger="service.sqlite_pages"), _opened(path) as fd:
        assert read_ahead(fd, root_pages(db, ["narrow"])) == 0
    assert "reading ahead the index tables failed" in caplog.text


def test_a_new_store_whose_pages_are_in_the_log_is_not_read_ahead_nor_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "n.db"
    with caplog.at_level(logging.DEBUG, logger="service.sqlite_pages"):
        store = SqliteStore(path, DetectionParams())  # (a new store is rebuilt: there is no snapshot)
        store.close()
    assert "not read ahead" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_damaged_tree_or_header_ends_the_walk_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.db"
    db = _interleaved(path, 6000)
    root = _root_page(db, "narrow")
    with path.open("r+b") as file:  # the root's first child: the root itself, a cycle
        file.seek((root - 1) * 512 + 12)
        first_cell = int.from_bytes(file.read(2), "big")
        file.seek((root - 1) * 512 + first_cell)
        file.write(root.to_bytes(4, "big"))
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(bytes(1024))  # a page size of 0 in the header
    with caplog.at_level(logging.WARNING, logger="service.sqlite_pages"), _opened(path) as fd, _opened(garbage) as bad:
        assert read_ahead(fd, root_pages(db, ["narrow"])) == 0
        assert "deeper than 20 levels" in caplog.text
        assert read_ahead(bad, root_pages(db, ["narrow"])) == 0
        assert "a page size of 0 bytes" in caplog.text


def test_pages_past_the_file_end_are_the_logs_and_not_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A checkpoint cut short on a full disk leaves interior pages in the file whose children are in the WAL only,
    past the file's end. Each start warned "reading ahead the index tables failed (ValueError: page 9 points beyond
    the file)", which reads as damage; the leaves within the file are still asked for."""
    path = tmp_path / "t.db"
    db = _interleaved(path, 6000)
    root = _root_page(db, "narrow")
    with _opened(path) as fd:
        every = list(_File(fd).leaves(root))
    cut = sorted(every)[len(every) // 2]
    os.truncate(path, cut * 512)  # (the pages from `cut` on: not in the file)
    with caplog.at_level(logging.WARNING, logger="service.sqlite_pages"), _opened(path) as fd:
        assert 0 < read_ahead(fd, [root]) < len(every)
    assert not caplog.records
