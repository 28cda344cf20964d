"""`neardup delete` tells a repeat of an id it deleted from an id never stored without holding every id it deleted
in memory: a set of them, for a purge list of millions of ids, held them all."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from client import Deletion, cli, cli_base, cli_delete
from client.api import MAX_DELETES_PER_CALL

IDS = 100_000


class _Store:
    """A client whose delete_many answers as a server does: deleted once, not found after, or if never stored."""

    def __init__(self, stored: set[str]) -> None:
        self.stored = stored

    def __enter__(self) -> _Store:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def delete_many(self, ids: Sequence[str]) -> list[Deletion]:
        answers = []
        for article_id in ids:
            answers.append(Deletion(article_id, article_id in self.stored))
            self.stored.discard(article_id)
        return answers


@pytest.fixture
def purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A purge list of IDS stored ids, then the first named again, then one never stored."""
    listed = tmp_path / "purge.txt"
    listed.write_text("".join(f"cms-{n:08d}\n" for n in range(IDS)) + "cms-00000000\nnever-stored\n")
    stored = {f"cms-{n:08d}" for n in range(IDS)}
    monkeypatch.setattr(cli_delete, "connect", lambda *args, **kwargs: _Store(stored))
    return listed


def _delete(purge: Path) -> int:
    """`neardup delete --from purge`, its output dropped (capsys would hold it)."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        return cli.main(["delete", "--from", str(purge)], env={})


def test_a_long_purge_list_is_answered_in_memory_that_does_not_grow_with_it(
    purge: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracemalloc.start()
    try:
        status = _delete(purge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == cli_base.EXIT_ABSENT
    # (the repeat of cms-00000000, 100,001 ids after it was deleted, is not counted: the id never stored is)
    assert capsys.readouterr().err == "neardup delete: 1 of 100,002 ids was not stored: nothing to delete for it\n"
    assert peak < 2 << 20, peak


def test_if_no_temporary_file_can_be_made_the_ids_are_kept_in_memory_said_so(
    purge: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", refused)
    assert _delete(purge) == cli_base.EXIT_ABSENT
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("neardup delete: warning: cannot keep the deleted ids in a temporary file (unable to")
    assert err[1:] == ["neardup delete: 1 of 100,002 ids was not stored: nothing to delete for it"]


def _open_deleted_files_in(directory: Path) -> list[int]:
    """The sizes of the files this process has open in `directory` that no path names any more."""
    sizes = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            name = os.readlink(f"/proc/self/fd/{fd}")
            if name.startswith(f"{directory}/") and name.endswith(" (deleted)"):
                sizes.append(os.fstat(int(fd)).st_size)
    return sizes


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc/self/fd")
def test_the_ids_deleted_are_kept_in_a_file_on_disk_in_tmpdir_that_no_run_leaves_behind(
    purge: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (SQLite's own temporary database, "", which tracemalloc does not see, is in memory where SQLite was built
    # with SQLITE_TEMP_STORE 2 or 3, or run with PRAGMA temp_store = MEMORY, as here)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # (as TMPDIR does)
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db: sqlite3.Connection = real_connect(*args, **kwargs)
        db.execute("PRAGMA temp_store = MEMORY")
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    seen: list[list[int]] = []
    real_delete_many = _Store.delete_many

    def delete_many(self: _Store, ids: Sequence[str]) -> list[Deletion]:
        seen.append(_open_deleted_files_in(temporary))
        return real_delete_many(self, ids)

    monkeypatch.setattr(_Store, "delete_many", delete_many)
    assert _delete(purge) == cli_base.EXIT_ABSENT
    assert len(seen[-1]) == 1 and seen[-1][0] > 1 << 20, seen[-1]  # (one file, holding 100,000 ids: on disk)
    assert list(temporary.iterdir()) == [] and _open_deleted_files_in(temporary) == []


def test_each_call_s_ids_are_kept_in_one_transaction(purge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (one transaction a row, each written through to the disk: minutes for 100,000 ids)
    statements: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db: sqlite3.Connection = real_connect(*args, **kwargs)
        db.set_trace_callback(lambda sql: statements.append(sql.split()[0].upper()))
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    assert _delete(purge) == cli_base.EXIT_ABSENT
    kept = "".join(s[0] for s in statements if s in ("BEGIN", "INSERT", "COMMIT"))
    full_calls, rest = divmod(IDS, MAX_DELETES_PER_CALL)  # (the last call, the repeat and one never stored,
    assert rest == 0  # deletes none: nothing to keep)
    assert kept == f"B{'I' * MAX_DELETES_PER_CALL}C" * full_calls
