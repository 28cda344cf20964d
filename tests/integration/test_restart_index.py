"""The band index at start (rebuilt from SQLite, or loaded from its snapshot) answers as before the restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from service.detector import Detector
from service.engine import Engine
from service.model import PreparedArticle, Verdict
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from tests.support import forget_index_snapshot, prepared_corpus

PARAMS = DetectionParams()
DETECTOR = Detector(PARAMS, 1 << 20)
PREPARED = prepared_corpus(DETECTOR, 90, seed=5)


def _open(path: Path) -> Engine:
    return Engine(DETECTOR, SqliteStore(path, PARAMS))


def _checks(engine: Engine, prepared: list[PreparedArticle]) -> list[Verdict]:
    return [engine.check(p) for p in prepared]


@pytest.mark.parametrize("start", ["rebuilt", "from_snapshot"])
def test_verdicts_survive_restart_including_deletes(tmp_path: Path, start: str) -> None:
    path = tmp_path / "n.db"
    engine = _open(path)
    for p in PREPARED[:80]:
        engine.index(p)
    engine.delete(PREPARED[3].article.id)
    before = _checks(engine, PREPARED)
    engine.close()
    if start == "rebuilt":
        forget_index_snapshot(path)
    engine = _open(path)
    assert isinstance(engine.store, SqliteStore) and engine.store.loaded_snapshot == (start == "from_snapshot")
    try:
        assert _checks(engine, PREPARED) == before
        assert sum(1 for v in before if v.matches) > 15
        assert engine.stats().articles == 79
    finally:
        engine.close()


def test_store_written_before_the_signatures_table_is_backfilled(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = _open(path)
    for p in PREPARED[:60]:
        engine.index(p)
    before = _checks(engine, PREPARED)
    engine.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE signatures")
    forget_index_snapshot(path)
    engine = _open(path)
    try:
        assert _checks(engine, PREPARED) == before
    finally:
        engine.close()
