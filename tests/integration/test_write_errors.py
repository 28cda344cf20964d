"""The embedded store's writes failing for the operating system: the message tells a file size limit (EFBIG) from
another I/O error (EIO), which SQLite's own words ("disk I/O error") did not."""

from __future__ import annotations

import resource
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from client import Article, ArticleFailure, UnavailableError, Verdict
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from tests.support import in_process_server

# ~6 KB of distinct words each, as tests/integration/test_full_disk.py's.
ARTICLES = [Article(f"f{n}", f"filing {n} " + " ".join(f"q{n}z{j}" for j in range(600))) for n in range(200)]


@contextmanager
def _file_size_limit(limit: int) -> Iterator[None]:
    """RLIMIT_FSIZE (`ulimit -f`) lowered for this process, the server in it included, then given back. (Python
    ignores SIGXFSZ: a write past the limit fails EFBIG instead of killing the process.)"""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if hard != resource.RLIM_INFINITY and hard < limit:  # (only a privileged process may raise its hard limit)
        pytest.skip(f"the hard file size limit ({hard:,} bytes) is below the {limit:,} this test needs")
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_a_write_past_the_file_size_limit_is_refused_as_file_too_large_naming_the_limit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with in_process_server(data) as (_, client):
        client.index(Article("first", "a first filing, before the limit"))
        wal = data / "neardup.db-wal"
        limit = wal.stat().st_size + 400_000  # (a few dozen articles more)
        with _file_size_limit(limit):
            outcomes = list(client.index_stream(ARTICLES, batch=8))
        refused = [o for o in outcomes if isinstance(o, ArticleFailure)]
        assert [o for o in outcomes if isinstance(o, Verdict)] and refused, "the limit was expected part way"
        assert isinstance(refused[0].error, UnavailableError)
        message = refused[0].error.details
        assert "failed to commit (file too large (EFBIG): " in message
        assert f"{wal} is {limit:,} bytes, at the server's file size limit of {limit:,} bytes (ulimit -f" in message
        assert "SQLITE_IOERR_WRITE" in message and "nothing of the batch was stored" in message
        # The limit gone, the same articles are taken.
        again = list(client.index_stream([a for a in ARTICLES if a.id in {f.id for f in refused}], batch=8))
        assert all(isinstance(o, Verdict) for o in again)
        assert client.stats().articles == len(ARTICLES) + 1


def test_an_io_error_under_no_file_size_limit_says_which_operation_failed_and_its_code(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "n.db", DetectionParams())
    try:
        for name, code, said in [
            ("SQLITE_IOERR_WRITE", 778, "I/O error: a write to the store's files failed (disk I/O error, SQLITE_IOER"),
            ("SQLITE_IOERR_FSYNC", 1034, "I/O error: an fsync of the store's files failed (disk I/O error, SQLITE_I"),
        ]:
            failed = sqlite3.OperationalError("disk I/O error")
            failed.sqlite_errorcode, failed.sqlite_errorname = code, name
            message = str(store._commit_failure(failed))
            assert f"the embedded store failed to commit ({said}" in message
            assert "EFBIG" not in message and "check the disk" in message
    finally:
        store.close()


def _io_error(name: str, code: int) -> sqlite3.OperationalError:
    failed = sqlite3.OperationalError("disk I/O error")
    failed.sqlite_errorcode, failed.sqlite_errorname = code, name
    return failed


def test_only_a_failed_write_or_truncation_near_the_limit_is_put_down_to_it_and_the_wal_is_named_first(
    tmp_path: Path,
) -> None:
    # A read or an fsync cannot meet a file size limit: one that failed while a file of the store was near it was
    # told "file too large (EFBIG)", sending an operator to raise a limit rather than check a failing disk.
    path = tmp_path / "n.db"
    store = SqliteStore(path, DetectionParams())
    try:
        wal = path.with_name("n.db-wal")
        # Both files "at" the limit (within the 64 KiB a failed write may leave below it; the WAL past it).
        limit = path.stat().st_size + 32 * 1024
        assert wal.stat().st_size > limit
        with _file_size_limit(limit):
            said = {
                name: str(store._commit_failure(_io_error(name, code)))
                for name, code in [
                    ("SQLITE_IOERR_READ", 266),
                    ("SQLITE_IOERR_FSYNC", 1034),
                    ("SQLITE_IOERR_WRITE", 778),
                    ("SQLITE_IOERR_TRUNCATE", 1546),
                ]
            }
    finally:
        store.close()
    for name in ("SQLITE_IOERR_READ", "SQLITE_IOERR_FSYNC"):
        assert "EFBIG" not in said[name] and "check the disk" in said[name] and name in said[name]
    for name in ("SQLITE_IOERR_WRITE", "SQLITE_IOERR_TRUNCATE"):
        # The WAL, where a commit writes, though the database file is near the limit too.
        assert f"file too large (EFBIG): {wal} is " in said[name] and name in said[name]
