"""The embedded store's writes failing for the operating system: the message tells a file size limit (EFBIG) from
another I/O error (EIO), which SQLite's own words ("disk I/O error") did not."""

from __future__ import annotations

import resource
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
