"""A store file with damaged pages (a disk fault, a copy taken mid-write) starts, since a start from the index
snapshot reads few pages; a call that reads a damaged page fails DATA_LOSS naming the file and what to do (not
INTERNAL "see the server log"), the damage is logged once at ERROR, readiness goes NOT_SERVING, and no write is
taken from then on."""

from __future__ import annotations

import logging
import random
import shlex
import sqlite3
from pathlib import Path

import grpc
import pytest

from benchmarks.corpus import GeneratorConfig, generated
from client import Article, DataLossError
from service.grpc_server import SERVICE_NAME
from tests.articles import SAME_EVENT_A
from tests.support import in_process_server, until

ARTICLES = 3000
PAGE = 4096  # SQLite's default page size, which the store keeps
DAMAGED_PAGES = 40


def _damage_middle(db: Path) -> None:
    """Overwrite pages in the middle of the file with bytes SQLite cannot read as pages."""
    pages = db.stat().st_size // PAGE
    assert pages > 4 * DAMAGED_PAGES, f"{db} has only {pages} pages"
    with db.open("r+b") as file:
        file.seek((pages // 2) * PAGE)
        file.write(random.Random(5).randbytes(DAMAGED_PAGES * PAGE))  # (seeded: the same damage every run)


def test_damaged_pages_fail_data_loss_and_readiness_goes_not_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = list(generated(ARTICLES, GeneratorConfig(words=300, republished=0.2, seed=5)))
    data = tmp_path / "the data"  # (a space: the command the message suggests quotes the path)
    with in_process_server(data) as (_, client):
        outcomes = list(client.index_stream((Article(id=a.id, body=a.body) for a in corpus), batch=200))
        assert len(outcomes) == ARTICLES
    db = data / "neardup.db"
    _damage_middle(db)  # (stopped cleanly: the file holds every commit, and an index snapshot beside it)

    caplog.set_level(logging.INFO)
    with in_process_server(data, store_check_seconds=0.1) as (_, client):
        assert client.health(SERVICE_NAME) == "SERVING"
        lost: dict[str, DataLossError] = {}  # by the id whose get failed
        for article in corpus:
            try:
                client.get(article.id)
            except DataLossError as exc:
                lost[article.id] = exc
        assert lost, "no get read a damaged page"
        error = next(iter(lost.values()))
        assert error.code == grpc.StatusCode.DATA_LOSS and not error.retryable
        assert f"the store {db} is damaged" in error.details
        assert "restore the file from a backup" in error.details
        assert f"(sqlite3 {shlex.quote(str(db))} 'PRAGMA integrity_check')" in error.details

        # A write that reads no damaged page would commit, into a file a start refuses: none is taken now.
        writes = (lambda: client.index(Article(id="after", body=SAME_EVENT_A)), lambda: client.delete(corpus[0].id))
        for write in writes:
            with pytest.raises(DataLossError, match="so the server takes no writes from then on") as refused:
                write()
            assert "nothing of this one was written" in refused.value.details and not refused.value.retryable
        assert client.stats().articles == ARTICLES

        damaged = next(a for a in corpus if a.id in lost)
        with pytest.raises(DataLossError, match="is damaged"):  # a check of it reads its damaged row too
            client.check(Article(id="again", body=damaged.body))

        assert until(lambda: client.health(SERVICE_NAME) == "NOT_SERVING", timeout=10)
        assert client.health() == "SERVING"  # (liveness: a restart would not mend the file)

    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in records if "unexpected error" in r.getMessage()]
    damage_logs = [r.getMessage() for r in records if "is damaged" in r.getMessage()]
    assert damage_logs, "the damage was not logged"
    assert len(damage_logs) == len(set(damage_logs)) < len(lost)  # each of SQLite's messages once, not per call


def test_a_store_found_damaged_is_not_written_at_close_either(tmp_path: Path) -> None:
    # (Damage found refuses every write from then on; the clean close still checkpointed the WAL into the
    # damaged file and recorded an index snapshot in it.)
    db = tmp_path / "data" / "neardup.db"
    with in_process_server(tmp_path / "data") as (running, client):
        client.index(Article("kept", SAME_EVENT_A))
        store = running.engine.store._store  # type: ignore[attr-defined]
        store._damaged(sqlite3.DatabaseError("database disk image is malformed"))  # (as a read of a bad page does)
        with pytest.raises(DataLossError):
            client.index(Article("after", SAME_EVENT_A))
        before = db.read_bytes()
    assert db.read_bytes() == before
    assert db.with_name("neardup.db-wal").stat().st_size > 0  # (the write stays in the log, not checkpointed)
