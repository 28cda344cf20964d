"""`neardup delete`: the ids named and those of a file (--from), checked as they are read and sent
MAX_DELETES_PER_CALL a call, and the ids the run deleted, kept out of memory (`_DeletedIds`) to tell a repeat of
one from an id that was not stored."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from client.api import MAX_DELETES_PER_CALL, require_id
from client.cli_base import (
    EXIT_ABSENT,
    EXIT_FAILED,
    EXIT_OK,
    OutputFailed,
    drop_standard_output,
    print_out,
    say,
    standard_input,
    were,
)
from client.cli_connection import connect, say_failed
from client.errors import InvalidArgumentError, NeardupClientError

if TYPE_CHECKING:
    import sqlite3


def delete(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """DeleteArticles, MAX_DELETES_PER_CALL ids a call, read and answered as they go (a purge list may be long)."""
    if not args.ids and args.from_file is None:
        say("neardup delete: name ids, or a file of them with --from")
        return EXIT_FAILED
    try:
        listed = _id_file(args.from_file)
    except OSError as exc:
        say(f"neardup delete: cannot read the ids in {args.from_file}: {exc.strerror or exc}")
        return EXIT_FAILED
    answered = absent = sent = 0
    with listed as lines, connect(args) as client, closing(_DeletedIds()) as gone:
        try:
            for chunk in _chunks(_checked_ids(args.ids, lines, args.from_file), MAX_DELETES_PER_CALL):
                try:
                    deletions = client.delete_many(chunk)
                except NeardupClientError as exc:
                    if isinstance(exc, InvalidArgumentError) or not answered:
                        raise  # (an id refused: said below; the first call failed: main says why, as before)
                    # (the server gone, or killed, mid-purge: how far it got, as ingest says; the error says what
                    # became of the call's own ids)
                    say_failed(exc, args)
                    say(f"neardup delete: stopped once {_ids(answered)} {were(answered)} answered (printed above), "
                        f"at a call of {_ids(len(chunk))}. To go on, run the same command again with --missing-ok "
                        "(deleting again is safe: an id deleted already is answered not stored)")  # fmt: skip
                    return EXIT_FAILED
                sent += len(chunk)
                for deletion in deletions:
                    answered += 1
                    if deletion.deleted:
                        gone.add(deletion.id)
                    else:  # (named again after this run deleted it, it was stored: not counted)
                        absent += deletion.id not in gone
                    print_out(json.dumps(deletion.as_dict(), ensure_ascii=False))
                gone.keep()
        except OutputFailed as exc:  # (the ids sent are deleted: their answers could not all be written)
            written = answered - 1  # (the answer being written failed: write_whole took it back out of a file)
            whole = (
                f"only the first {written:,} of their answers {were(written)}"
                if written
                else "none of their answers was"
            )
            say(f"neardup delete: {exc}; stopped there: the {_ids(sent)} sent {were(sent)} deleted (or not stored), "
                f"but {whole} written whole")  # fmt: skip
            drop_standard_output()
            return EXIT_FAILED
        except UnicodeDecodeError as exc:
            say(f"neardup delete: {args.from_file} is not UTF-8 text ({exc}); stopped there: {_sent(answered)}")
            return EXIT_FAILED
        except InvalidArgumentError as exc:
            say(f"neardup delete: {exc.details}; stopped there: {_sent(answered)}")
            return EXIT_FAILED
    if absent:  # (as ingest and check say how many lines were rejected: the exit status alone said nothing)
        ids = "id" if answered == 1 else "ids"
        say(f"neardup delete: {absent:,} of {answered:,} {ids} {were(absent)} not stored: nothing to delete for "
            f"{'it' if absent == 1 else 'them'}")  # fmt: skip
    return EXIT_ABSENT if absent and not args.missing_ok else EXIT_OK


def _ids(count: int) -> str:
    return f"{count:,} id" if count == 1 else f"{count:,} ids"


def _sent(answered: int) -> str:
    """What a delete stopped by a bad id had sent: the ids answered (printed), none if it stopped at the first."""
    if not answered:
        return "no id was sent"
    return f"only the {answered:,} {'id' if answered == 1 else 'ids'} printed above {were(answered)} sent"


class _DeletedIds:
    """The ids a `delete` run deleted, to tell a later repeat of one (answered "deleted": false, as an id never
    stored is) from an id not stored. A set held every one in memory, some 100 bytes an id: a purge list of
    millions of ids held them all. The last call's are in memory (MAX_DELETES_PER_CALL at most); those before,
    once `keep()` is called, in a SQLite database in a temporary file (_temporary_database: on disk in TMPDIR,
    else /tmp), made at the first and removed from the directory at once: its page cache (2 MiB) bounds the
    memory they take. If that database cannot be made or written (a temporary directory
    full or read-only), they are kept in memory instead, as before, said on stderr."""

    def __init__(self) -> None:
        self._new: set[str] = set()
        self._db: sqlite3.Connection | None = None
        self._memory: set[str] | None = None  # (once the database failed)

    def add(self, article_id: str) -> None:
        self._new.add(article_id)

    def __contains__(self, article_id: str) -> bool:
        if article_id in self._new or (self._memory is not None and article_id in self._memory):
            return True
        if self._db is None:
            return False
        import sqlite3

        try:
            return self._db.execute("SELECT 1 FROM gone WHERE id = ?", (article_id,)).fetchone() is not None
        except sqlite3.Error as exc:
            self._lost(exc)
            return False

    def keep(self) -> None:
        """The ids added since, out of memory: into the database, in one transaction (one a row, each written
        through to the disk, took minutes for a purge list of 100,000 ids)."""
        if self._new and self._memory is None:
            import sqlite3  # (here: the other commands start without it)

            try:
                if self._db is None:
                    self._db = _temporary_database()
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR IGNORE INTO gone VALUES (?)", ((i,) for i in self._new))
                self._db.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                self._lost(exc)
        if self._memory is not None:
            self._memory |= self._new
        self._new = set()

    def _lost(self, exc: sqlite3.Error | OSError) -> None:
        say(f"neardup delete: warning: cannot keep the deleted ids in a temporary file ({exc}); keeping them in "
            "memory from now on (a repeat of an id deleted before may be counted as not stored)")  # fmt: skip
        self.close()
        self._memory = set()

    def close(self) -> None:
        if self._db is not None:
            import sqlite3

            with suppress(sqlite3.Error):
                self._db.close()
            self._db = None


def _temporary_database() -> sqlite3.Connection:
    """A database of one table, `gone`, in a file of its own in the temporary directory (tempfile.gettempdir():
    TMPDIR, else /tmp, ...), removed from it at once: nothing is left behind, even by a run killed with SIGKILL,
    and its space is freed when the connection closes. (SQLite's own temporary database, "", is held in memory
    where SQLite was built so, SQLITE_TEMP_STORE 2 or 3.) Nothing in it needs to outlive the run: no journal, no
    writes waited for to reach the disk."""
    import sqlite3
    import tempfile

    fd, name = tempfile.mkstemp(prefix="neardup-delete-", suffix=".sqlite")
    try:
        db = sqlite3.connect(name, isolation_level=None)  # (it opens the file: removed below, it stays open)
        try:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("CREATE TABLE gone (id TEXT PRIMARY KEY) WITHOUT ROWID")
        except BaseException:
            db.close()
            raise
    finally:
        os.close(fd)
        with suppress(OSError):
            os.unlink(name)
    return db


def _checked_ids(named: Sequence[str], lines: Iterable[str], path: Path | None) -> Iterator[str]:
    """The ids named, then those of the file's non-blank lines; InvalidArgumentError, naming the argument or
    the line, at the first one the server would refuse (read as they go: earlier ones may be sent already)."""
    for number, article_id in enumerate(named, 1):
        require_id(article_id, f"id argument {number}")
        yield article_id
    source = "standard input" if str(path) == "-" else path
    for number, line in enumerate(lines, 1):
        if article_id := line.strip():
            require_id(article_id, f"line {number} of {source}")
            yield article_id


def _id_file(path: Path | None) -> AbstractContextManager[Iterable[str]]:
    """The lines of the ids file, opened ('-': standard input; None: no file, no lines). Read as UTF-8
    without a leading byte order mark, as Windows tools save it: it was read as part of the first id."""
    if path is None:
        return nullcontext(())
    if str(path) == "-":
        return nullcontext(io.TextIOWrapper(standard_input().buffer, encoding="utf-8-sig"))
    return path.open(encoding="utf-8-sig")


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk
