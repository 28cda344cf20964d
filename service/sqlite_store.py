"""Embedded durable store: SQLite (WAL, synchronous=FULL) plus an in-memory LSH.

SQLite is the source of truth. The LSH band index and the learned-boilerplate counts are
held in memory, and saved to a snapshot file (service/snapshot.py) at a clean close and
beside the writes once enough were written since the last save. A start loads the snapshot
and replays what SQLite logged after it (after a crash too); only without a sound snapshot
is the index rebuilt from SQLite whole.

A write transaction commits with one fsync for however many articles it holds,
which is how the engine groups commits. If a commit fails, SQLite rolls back
and the in-memory index is restored from an undo log, so memory never claims
what disk does not hold once the write is over. Reads do not wait for writes:
each is one SQLite read transaction, which sees the last commit (`write`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import resource
import secrets
import shlex
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from service import snapshot as snapshots
from service import sqlite_pages, waits
from service.errors import (
    FullMidCommit,
    NeardupError,
    StoreDamaged,
    StoreFileGone,
    StoreInUse,
    StoreRewritten,
    Unavailable,
)
from service.group_counts import CountState, GroupCounts
from service.lsh import BandIndex, BandState, GivenKeys, MergeInput, release_free_memory
from service.model import (
    Article,
    BoolArray,
    Fingerprint,
    GroupMember,
    PreparedArticle,
    StoredArticle,
    U32Array,
    from_us,
    to_us,
)
from service.rwlock import SharedLock
from service.settings import INDEX_SNAPSHOT_EVERY, DetectionParams
from service.storage import OrderKey, OwnedByOneServer, chunks, refuse_other_parameters, scheme_of_store

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    published_us INTEGER,
    indexed_at_us INTEGER NOT NULL,
    body_digest BLOB NOT NULL,
    signature BLOB NOT NULL,
    shingles BLOB NOT NULL,
    group_root TEXT NOT NULL,
    arrival INTEGER
);
-- Learned boilerplate: the sampled shingle hashes each stored article added one group to,
-- appended (never updated); the counts are rebuilt in memory from it at start.
CREATE TABLE IF NOT EXISTS group_samples (seq INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
-- Ids removed from the index (deleted, or replaced by a new version) since the last index snapshot:
-- a start that loads the snapshot removes them again. Rows the snapshot holds go when it is saved.
CREATE TABLE IF NOT EXISTS removals (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL);
"""
# Signatures again, in a narrow table of their own: rebuilding the band index at start
# reads ~0.5 KB per article here instead of scanning every body's pages in `articles`.
_SIGNATURES = """
CREATE TABLE IF NOT EXISTS signatures (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, signature BLOB NOT NULL);
"""
# An article's arrival (StoredArticle.arrival): NULL for an id's first version, and in the rows of a store written
# before the column (2026-12), where every version was placed as a new arrival: its seq. A new version of an id
# holds the arrival of the version it replaced, so that it keeps its place in its group.
_ARRIVAL = "COALESCE(arrival, seq)"
# A group's members in listing order (`order_key`: by publication time, unknown times last, then by arrival),
# so a page of a group is read from where the last one ended instead of sorting the whole group at every page.
# No timestamp reaches the stand-in for an unknown time (protobuf's end of year 9999 is 2.5e17 µs); a query
# repeats the expressions word for word to use the index.
_UNKNOWN_LAST = 2**63 - 1
_PUBLISHED_ORDER = f"COALESCE(published_us, {_UNKNOWN_LAST})"
_GROUP_ORDER = "articles_group_arrival_order"
_GROUP_ORDER_INDEX = f"CREATE INDEX {_GROUP_ORDER} ON articles (group_root, {_PUBLISHED_ORDER}, {_ARRIVAL})"
# The group-order indexes of older stores, which the one above replaces: on group_root alone, then ordered by
# publication time and seq (a new version of an id placed as a new arrival).
_OLDER_GROUP_INDEXES = ("articles_group_root", "articles_group_order")
# The second condition repeats part of the third for the planner: with it, the index is entered at the page's
# first member, not at the group's (the row value alone only filters the group's entries).
_GROUP_PAGE = (
    f"SELECT id, title, source, url, published_us, indexed_at_us, {_ARRIVAL} FROM articles "
    f"WHERE group_root = ? AND {_PUBLISHED_ORDER} >= ? AND ({_PUBLISHED_ORDER}, {_ARRIVAL}) > (?, ?) "
    f"ORDER BY {_PUBLISHED_ORDER}, {_ARRIVAL} LIMIT ?"
)
_LOAD_ROWS = 65_536  # signatures per vectorised step of the start-up rebuild
_INSERT_ARTICLE = (
    "INSERT INTO articles (id, body, title, source, url, published_us, indexed_at_us, body_digest, "
    "signature, shingles, group_root, arrival) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_COLUMNS = (
    "seq, id, body, title, source, url, published_us, indexed_at_us, body_digest, signature, shingles, group_root, "
    f"{_ARRIVAL}"
)


class SqliteStore(OwnedByOneServer):
    kind = "sqlite"

    def __init__(
        self,
        path: Path,
        params: DetectionParams,
        snapshot: bool = True,
        snapshot_every: int = INDEX_SNAPSHOT_EVERY,
        own_directory: bool = False,
    ) -> None:
        """`snapshot`: save the index and load it at a start (off: always rebuilt, no file kept).
        `snapshot_every`: save it beside the writes once that many articles were indexed since (service/settings.py).
        `own_directory`: the directory is the store's alone, as --data-dir is (open_store), so index snapshots found
        there beside a new store are of a store that was there: the start is refused (`_refuse_a_lost_store`).
        Off, as where tests keep several stores in one directory, they are dropped as any a start does not use."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise OSError(f"--data-dir {path.parent}: a file stands where a directory should be") from None
        except OSError as exc:  # (a read-only file system, a directory the server's user may not write)
            raise OSError(f"--data-dir {path.parent}: cannot make the directory ({exc.strerror or exc})") from None
        self.path = path
        self.damage: StoreDamaged | None = None  # (once a call found the file damaged: `check` raises it)
        self._writes_refused: StoreDamaged | None = None  # (from then on: what every write is answered)
        self._damage_seen: set[str] = set()  # SQLite's messages of it, each logged once
        # (once the file was found rewritten in place under the server: every read and write is answered this)
        self._rewritten: StoreRewritten | None = None
        self._damage_lock = threading.Lock()
        if own_directory:  # (before anything is made there: a refused start left a new store, lock and WAL behind)
            _refuse_a_lost_file(path)
        self._owner = _claim(path)
        self._pages = -1  # (the page reader's descriptor, once open)
        stale = _stale_logs(path)  # (looked at before opening, which may make them)
        try:
            self._open(params, snapshot, snapshot_every, own_directory)
        except sqlite3.DatabaseError as exc:
            self._let_go()
            raise OSError(_unusable(path, exc, stale)) from None
        except BaseException:
            self._let_go()  # (a store that failed to open is not held)
            raise

    @property
    def params(self) -> DetectionParams:
        """The detection parameters the store is read with (storage.Store.params)."""
        return self._params

    def _let_go(self) -> None:
        """Close the connections, then the page reader's descriptor, then the claim (in that order: `_open`)."""
        if hasattr(self, "_db"):
            with self._log_left_as_it_is() if self._writes_refused is not None else nullcontext():
                self._db.close()
        if self._pages >= 0:
            os.close(self._pages)
        os.close(self._owner)

    @contextmanager
    def _log_left_as_it_is(self) -> Iterator[None]:
        """Keep the last connection's close from checkpointing the WAL into the file (SQLite does so at the close
        of the last connection to a database, and Python 3.11 cannot set SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): a
        read-only connection held open meanwhile makes the writer's close not the last, and its own close
        cannot write. For a file found damaged, which takes no writes, a close's neither."""
        reader = None
        try:
            reader = sqlite3.connect(f"{Path(self.path).absolute().as_uri()}?mode=ro", uri=True)
            reader.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # (SQLite opens the file lazily)
        except sqlite3.Error as exc:
            log.warning("the damaged store may be checkpointed at close: %s", exc)
        try:
            yield
        finally:
            if reader is not None:
                reader.close()

    def _open(self, params: DetectionParams, snapshot: bool, snapshot_every: int, own_directory: bool) -> None:
        path = self.path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged article survives power loss.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        _require_writable(self._db)
        # The file once more, for reading index pages ahead (service/sqlite_pages.py). Held open until every
        # connection is closed: closing a descriptor of the file drops all of this process's POSIX locks on it,
        # SQLite's included, and then another process's connection closing deletes the write-ahead log that
        # this one still commits to (acknowledged articles were lost at the next SIGKILL).
        self._pages = os.open(path, os.O_RDONLY)
        self._file = _identity(os.fstat(self._pages))  # the database file opened, whatever its path names later
        # Reads share the lock, each on a connection of its own from `_idle_readers`: a check waiting
        # for a disk read holds up the writer, but no other check (service/rwlock.py).
        self._lock = SharedLock()
        self._idle_readers: list[sqlite3.Connection] = []
        self._closed = False
        self.commits = 0  # durable commits so far: shows group commit at work (read by tests only)
        # Band index merges and index snapshots are made here, beside the writer and the reads (`maintain`).
        self._merger = ThreadPoolExecutor(1, thread_name_prefix="neardup-merge")
        self._merging: Future[None] | None = None  # the merge thread's latest run of merges and saves
        # Whether that run is going on, and whether the writer asked for maintenance meanwhile (`maintain`).
        self._maintaining = threading.Lock()
        self._maintenance_running = self._maintenance_asked = False
        self._stop_merging = False
        if own_directory:
            _refuse_a_lost_store(self._db, path)  # (before the parameters are recorded: a start then is not new)
        params = _check_params(self._db, params)
        _add_signatures_table(self._db)
        _convert_group_table(self._db)
        _add_arrival_column(self._db)
        _index_group_order(self._db, path)
        self._params = params
        self._full_at_start = False  # (a start's tidying write found the disk full: `_tidy`)
        self._snapshots = snapshot  # (off: always rebuilt, and no file kept that a later start could trust)
        self._snapshot_file: Path | None = None  # the file of the snapshot the store trusts (None: none)
        self._snapshot_every = snapshot_every
        self._snapshot_marks: snapshots.Marks | None = None  # what the snapshot file holds (None: no sound file)
        self._snapshot_changes = 0  # the band index's changes when the last snapshot was taken (or asked for)
        started = time.perf_counter()
        self.replayed = 0  # articles indexed after the loaded snapshot, replayed onto it at this start
        self.loaded_snapshot = self._load_snapshot()
        if not self.loaded_snapshot:
            self._rebuild()
        # Stored articles as of the last commit: the index holds each of them once. SQLite's COUNT(*) reads a
        # whole index of the table (13 ms at a million articles, more cold), at every GetStats and scrape.
        self._articles = len(self._bands)
        how = f"loaded from its snapshot (and {self.replayed} indexed since, replayed)" if self.loaded_snapshot else (
            "rebuilt from the store")  # fmt: skip
        log.info("index of %d articles %s in %.1f s", len(self._bands), how, time.perf_counter() - started)
        self._written = self._file_state()  # (as its own last change left the file: `_require_unchanged`)

    def _rebuild(self) -> None:
        self._bands, self._groups = BandIndex(self._params, merge_inline=False), GroupCounts()
        self._load_rows_after(snapshots.Marks(0, 0, 0))
        # What a snapshot, now dropped, would have needed; kept while its token is still recorded (its delete was
        # left undone on a full disk): a later start may load that snapshot, if its file is still there (a file
        # system that cannot unlink when full), and these rows are what keeps the deleted articles out of it.
        if self._db.execute("SELECT 1 FROM meta WHERE key = 'snapshot'").fetchone() is None:
            self._tidy("DELETE FROM removals")
        release_free_memory()  # (the replay's temporaries: RSS after start-up stays near what is held)

    def _load_rows_after(self, marks: snapshots.Marks) -> None:
        """Add to the index the signatures and learned-boilerplate samples logged after `marks`: all of them
        for a rebuild, those written since the snapshot for a start from it.

        The two loads are independent and each mostly numpy sorts and SQLite reads, which release the GIL:
        side by side they take the longer of the two instead of the sum. Their tables' pages lie scattered
        among the bodies' (a snapshot's tail too: each write appends some of all three tables) and are asked
        for all at once (service/sqlite_pages.py), beside the two: each works on the pages that have come
        while the disk reads the rest.

        The two threads' work is waited for, whatever ends the load (serve's stop signal abandoning the start among
        it, a load whose start it cut too: they use the store the start's undoing then closes), in slices
        (service/waits.py): a further signal that the kernel handed a thread other than the main one was acted on
        only once they were done, not at once."""
        roots = sqlite_pages.root_pages(self._db, ["signatures", "group_samples"])
        after = [marks.articles_seq, marks.samples_seq]
        with waits.Started() as threads:  # (their work waited for, a load whose start a stop's raise cut among it)
            ahead = threads.start(lambda: sqlite_pages.read_ahead(self._pages, roots, after), "neardup-load-ahead")
            groups = threads.start(
                lambda: _replayed_group_counts(self.path, self._groups, marks.samples_seq), "neardup-load-groups"
            )
            self._bands.bulk_load(_signature_chunks(self._db, self._params.num_perm, after=marks.articles_seq))
        groups.result()
        ahead.result()  # (it logs what it expects to fail; anything else fails the start, as when it ran first)

    def _load_snapshot(self) -> bool:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'snapshot'").fetchone()
        self._say_snapshots_of_further_states()  # (before they are dropped: the last word of what they held)
        if row is None or not self._snapshots:
            self._drop_snapshot()  # (without a token: one a later write or a crash made stale)
            return False
        file = snapshots.file_of(self.path.parent, row[0])
        self._drop_snapshot_files(keep=file)  # (any other: one saved but never recorded, a save's leftovers)
        if not file.exists():  # (a restored backup's: a later save of the store replaced it)
            log.warning("the index snapshot this store recorded, %s, is not in %s (a later save replaced it, it was "
                        "removed, or it lies beside the store's file in another directory); rebuilding the index from "
                        "the store", file.name, self.path.parent)  # fmt: skip
            self._drop_snapshot()
            return False
        try:
            bands, counts, marks = snapshots.load(file, self._stamp(row[0]))
            if not marks.within(self._marks()):
                raise snapshots.StaleSnapshot(f"it holds rows the store does not ({marks})")
            self._bands = BandIndex(self._params, merge_inline=False)
            self._bands.restore(bands)
            self._groups = GroupCounts(counts)
            self._snapshot_changes = self._bands.changes
            self._replay_since(marks)
        except Exception as exc:  # whatever went wrong reading a copy, the source of truth is at hand
            log.warning("index snapshot %s not used (%s: %s); rebuilding the index from the store",
                        file, type(exc).__name__, exc)  # fmt: skip
            self._drop_snapshot()  # never trust that file again
            return False
        self._snapshot_file, self._snapshot_marks = file, marks
        return True

    def _say_snapshots_of_further_states(self) -> None:
        """Log at WARNING each index snapshot beside the store saved from a state of the store this one never
        reached: a newer copy of it, or another store, was here, and the articles only that one held are not in
        this one. A start drops such a file (restoring a backup is one way to get here, and a documented one); this
        is what says so. Snapshots of this store's own states (the one it recorded, a save whose token was never
        recorded) and unreadable ones tell of no loss, and go unsaid."""
        mine, stored = self._marks(), None
        for file in snapshots.files_in(self.path.parent):
            try:
                marks = snapshots.marks_of(file)
                if marks.within(mine):
                    continue
                held = snapshots.articles_in(file)
            except Exception:  # (damaged, cut short, of a format without marks: whatever np.load raises)
                continue
            if stored is None:
                stored = int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
            log.warning("%s", _of_a_further_state(self.path, file, stored, held, marks, mine))

    def _replay_since(self, marks: snapshots.Marks) -> None:
        """Bring the loaded index up to the store: what was written after the snapshot's marks, in order.
        Removals first: an id removed and then indexed again is removed from the snapshot's slots, and its
        new version comes with the articles after the mark."""
        removed = self._db.execute("SELECT id FROM removals WHERE seq > ?", (marks.removals_seq,)).fetchall()
        for (article_id,) in removed:
            self._bands.remove(article_id)
        slots = self._bands.slots
        self._load_rows_after(marks)
        self.replayed = self._bands.slots - slots

    def _drop_snapshot(self) -> None:
        self._tidy("DELETE FROM meta WHERE key = 'snapshot'")  # (left: the next start finds no file, and rebuilds)
        self._drop_snapshot_files(keep=None)

    def _tidy(self, sql: str) -> None:
        """A start's tidying write, left undone if the disk is full: the store is whole without it (a later save
        or start makes it). A restart on a full disk was refused ("cannot use the store ... (database or disk is
        full): the server's user needs to read and write ..."), where the running server had served reads: it
        serves them now, and refuses writes RESOURCE_EXHAUSTED as the running server did."""
        try:
            self._db.execute(sql)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_FULL:
                raise
            if not self._full_at_start:
                log.warning("the disk holding the store (%s) is full (%s): the server starts and answers reads, and "
                            "refuses writes until there is room there", self.path.parent, exc)  # fmt: skip
            self._full_at_start = True

    def _drop_snapshot_files(self, keep: Path | None) -> None:
        with suppress(OSError):  # (best effort: a file without its token is never loaded, and a start drops it)
            snapshots.drop_all_but(self.path.parent, keep)

    def _save_snapshot(self) -> None:
        """At a clean close (nothing else runs): save the index as it is, unless the snapshot holds it already."""
        marks = self._marks()
        if not self._snapshots or marks == self._snapshot_marks:
            return
        started = time.perf_counter()
        if self._saved(marks, lambda: (self._bands.state(), self._groups.state()), at_close=True):
            log.info("index snapshot of %d articles saved at close in %.1f s", len(self._bands),
                     time.perf_counter() - started)  # fmt: skip

    def _saved(self, marks: snapshots.Marks, index: Callable[[], tuple[BandState, CountState]], at_close: bool) -> bool:
        """Save the snapshot `index()` makes, holding `marks`, to a file of its own, then record its token (and
        drop the removals it holds) in one commit, then remove the file before; False if the save or the record
        failed. A save that fails, or is killed, leaves the store whole and the snapshot before in use."""
        token = secrets.token_hex(16)
        file = snapshots.file_for(self.path.parent, token)
        try:
            snapshots.save(file, self._stamp(token), marks, *index())
            with nullcontext() if at_close else self._lock.reserved():  # (at a close, held alone already)
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('snapshot', ?)", (token,))
                    self._db.execute("DELETE FROM removals WHERE seq <= ?", (marks.removals_seq,))
                    self._require_unchanged()
                    self._db.execute("COMMIT")
                except BaseException:
                    _roll_back(self._db)
                    raise
                self._written = self._file_state()
        except Exception as exc:  # a copy that could not be made must not stop the store: the database is whole
            log.warning("index snapshot not saved (%s: %s); the next start replays more or rebuilds the index",
                        type(exc).__name__, exc)  # fmt: skip
            with suppress(OSError):
                file.unlink(missing_ok=True)  # (never recorded: never loaded)
            return False
        before, self._snapshot_file, self._snapshot_marks = self._snapshot_file, file, marks
        if before is not None:
            with suppress(OSError):  # (left behind, a later start drops it)
                before.unlink(missing_ok=True)
        return True

    def _stamp(self, token: str) -> dict[str, Any]:
        """What a snapshot must have been saved with: this token, these parameters."""
        return {"token": token, "params": self._params.recorded()}

    def _marks(self) -> snapshots.Marks:
        """The last rows of the store's logs, as committed (no write in progress: the writer's connection)."""
        seqs = dict(self._db.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        samples = self._db.execute("SELECT MAX(seq) FROM group_samples").fetchone()[0]
        return snapshots.Marks(int(seqs.get("articles", 0)), int(samples or 0), int(seqs.get("removals", 0)))

    @contextmanager
    def read(self) -> Iterator[_Tx]:
        if self._lock.writing():  # (inside this thread's write: read what it wrote so far)
            yield _Tx(self._db, self._bands, self._groups, undo=None)
            return
        # (Refused once the store's file went, whichever connection it would get: one opened then makes a new, empty
        # database where the file was, and one that had not read before fails "disk I/O error" at its first read.)
        self._require_in_place()
        with self._naming_damage(), self._lock.shared(), self._reader() as db:
            # One read transaction: its statements all see one committed state, also when a commit
            # lands beside it (`write`); its count is the one taken as it begins.
            articles = self._articles
            db.execute("BEGIN")
            try:
                yield _Tx(db, self._bands, self._groups, undo=None, articles=articles)
            finally:
                if db.in_transaction:  # (an error inside may have ended it already)
                    db.execute("COMMIT")

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection no other thread is using."""
        if self._closed:
            raise Unavailable("the store is closed: the server is shutting down; retry on another replica")
        try:
            db = self._idle_readers.pop()  # (list.pop and append are atomic: no lock needed)
        except IndexError:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA query_only=ON")
        try:
            yield db
        finally:
            self._idle_readers.append(db)

    @contextmanager
    def write(self) -> Iterator[_Tx]:
        """One write transaction, with the reads going on beside it (a reservation of the store's lock).

        A read's statements see SQLite as of the last commit, whatever the write has done so far, while
        memory (band index, learned counts) already holds what it has done: a read beside a write may
        find its articles as candidates, cannot read them, and answers as before the write, except that
        the learned-boilerplate counts may already include some of it. An acknowledged article is seen
        by every read that starts after the acknowledgement (the ack follows the commit). If the write
        fails, memory is rolled back with no read inside."""
        with self._lock.reserved():
            self._require_unchanged()  # (first: a rewritten file's pages, read by the write, look damaged)
            self._refuse_writes()
            undo: list[Callable[[], None]] = []
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(self._db, self._bands, self._groups, undo)
                # (last, before the commit: no write is acknowledged into a file gone, rewritten or found damaged)
                self._require_in_place()
                self._require_unchanged()
                self._refuse_writes()
                self._db.execute("COMMIT")
                self._written = self._file_state()  # (SQLite's checkpoint in the commit may have written the file)
                self._articles = len(self._bands)  # (no other write beside this one: memory is what it committed)
                self.commits += 1
            except BaseException as exc:
                self._lock.upgrade()  # (the readers inside leave first: none sees memory half rolled back)
                self._rollback(undo)
                if isinstance(exc, sqlite3.Error):
                    raise self._commit_failure(exc) from exc
                raise

    def _commit_failure(self, exc: sqlite3.Error) -> NeardupError:
        """What a caller is told when SQLite refused a write (it was rolled back whole)."""
        if isinstance(exc, sqlite3.DatabaseError) and _is_damage(exc):
            return self._damaged(exc)
        if exc.sqlite_errorcode == sqlite3.SQLITE_FULL:
            # (Not "nothing was stored": SQLite can report the failure of a commit its WAL holds whole, which the
            # next start finds: docs/ops.md, "A full disk". A resend is answered either way. A statement refused
            # before the COMMIT leaves nothing, but is not told apart here. What it means for the call, the engine
            # adds: `_told`.)
            return FullMidCommit(
                f"the disk holding the store ({self.path.parent}) is full, so the write was not acknowledged. Free "
                "space there, or move --data-dir to a larger disk"
            )
        return Unavailable(
            f"the embedded store failed to commit ({_io_failure(exc, self.path)}), and rolled the write back"
        )

    @contextmanager
    def _naming_damage(self) -> Iterator[None]:
        """A read that finds damaged pages fails StoreDamaged (DATA_LOSS), not as a bug (INTERNAL, "see the
        server log", where only a traceback said "database disk image is malformed")."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                raise self._damaged(exc) from exc
            raise

    def _damaged(self, exc: sqlite3.DatabaseError) -> StoreDamaged:
        """The error for damage SQLite reported; logged at ERROR once for each thing SQLite says of it, and
        remembered: health reports NOT_SERVING from the next store check on (`check`), and every write is refused
        from now on (`_refuse_writes`). A write into a damaged file could be acknowledged (one that reads no damaged
        page commits), and then lost with the file: a start refuses it."""
        check = f"sqlite3 {shlex.quote(str(self.path))} 'PRAGMA integrity_check'"  # (pasted into a shell as it is)
        damage = StoreDamaged(
            f"the store {self.path} is damaged ({exc}): stop the server, restore the file from a backup, and "
            f"run `PRAGMA integrity_check` on it ({check}) before serving it"
        )
        refused = StoreDamaged(
            f"the store {self.path} was found damaged ({exc}), so the server takes no writes from then on: nothing of "
            f"this one was written. Stop the server, run `{check}` (it prints ok for a sound file), restore the file "
            'from a backup if it is not ok (docs/ops.md, "Backup and restore"), and send again what was written '
            "since that backup"
        )
        with self._damage_lock:
            if self.damage is None:
                self.damage, self._writes_refused = damage, refused
            first = str(exc) not in self._damage_seen
            self._damage_seen.add(str(exc))
        if first:
            log.error("%s; health reports NOT_SERVING, and writes are refused, from now on", damage)
        return damage

    def _writes_barred(self) -> bool:
        return self._rewritten is not None or self._writes_refused is not None

    def _refuse_writes(self) -> None:
        """Raise what a write is answered once the file was found damaged or rewritten under the server."""
        if self._rewritten is not None:
            raise self._rewritten
        if self._writes_refused is not None:
            raise self._writes_refused

    def maintain(self) -> None:
        """Start merging the band index's recent inserts into its sorted arrays, or saving the index, when
        due (the writer's thread, between its writes). The merge (0.5-2.5 s at a million articles) and the
        save are made in a thread of their own, beside the writes and the reads: a merge's swap holds the
        store alone, and a save takes what the index holds between two writes."""
        with self._maintaining:
            if self._maintenance_running:  # (it looks again once done: a merge due now is not left for later)
                self._maintenance_asked = True
                return
            job = self._maintenance_due()
            if job is None:
                return
            self._maintenance_running = True
        self._merging = self._merger.submit(self._maintenance, job)

    def _maintenance_due(self) -> Callable[[], bool] | None:
        """A merge or a save to make now, or None. Not beside an insert (a merge is sealed here)."""
        return self._merge_due() or self._save_due()

    def _merge_due(self) -> Callable[[], bool] | None:
        if self._stop_merging or not self._bands.merge_due():
            return None
        return partial(self._merge, self._bands.seal_merge())

    def _save_due(self) -> Callable[[], bool] | None:
        if self._stop_merging or not self._snapshot_due() or self._gone() is not None or self._writes_barred():
            return None  # (a save where the store's file is gone would be saved where no start finds it)
        return partial(self._save_beside_writes, *self._taken())  # (between two writes: `_taken`)

    def _maintenance(self, job: Callable[[], bool] | None) -> None:
        """The merge thread: `job`, then whatever became due meanwhile, until nothing is. A job that fails
        (returns False) is tried again at the next `maintain`, not at once."""
        while job is not None:
            try:
                done = job()
            except Exception:  # (each job logs what it expects; the index stays whole without it)
                log.exception("store maintenance failed; the next write tries again")
                done = False
            job = self._next_job(look=done)

    def _next_job(self, look: bool) -> Callable[[], bool] | None:
        """The next merge or save due, or None once none is: then the run ends. A `maintain` call while it
        ran is not lost: a last look is taken after the last such call."""
        while True:
            with self._maintaining:
                if not look and not self._maintenance_asked:
                    self._maintenance_running = False
                    return None
                self._maintenance_asked = False
            job = None
            if self._bands.merge_due():  # (read without the lock: a write that makes one due asks again)
                with self._lock.exclusive():  # (no insert beside a seal; a write in progress ends first)
                    job = self._merge_due()
            job = job or self._save_due()
            if job is not None:
                return job
            look = False

    def _snapshot_due(self) -> bool:
        """Have enough articles been indexed or removed since the last save? (Removals too: after a purge the
        snapshot would hold every removed article, and each start would remove them all again.)"""
        changed = self._bands.changes - self._snapshot_changes
        return self._snapshots and changed >= max(self._snapshot_every, len(self._bands) // 4)

    def _taken(self) -> tuple[snapshots.Marks, MergeInput, CountState, int]:
        """What the index holds now, with the marks of the rows it holds, taken between two writes: the band
        arrays as they are (never changed in place), a copy of the slots' ids and of the learned counts; and
        how many articles that is."""
        with self._lock.reserved():
            self._snapshot_changes = self._bands.changes  # (next due that many later, whether this save works or not)
            return self._marks(), self._bands.as_it_is(), self._groups.state(copy=True), len(self._bands)

    def _save_beside_writes(self, marks: snapshots.Marks, bands: MergeInput, counts: CountState, articles: int) -> bool:
        started = time.perf_counter()
        saved = self._saved(marks, partial(_made, bands, counts), at_close=False)  # (failed: tried again later)
        del bands, counts
        release_free_memory()
        if not saved:
            return False
        log.info("index snapshot of %d articles saved beside the writes in %.1f s", articles,
                 time.perf_counter() - started)  # fmt: skip
        return True

    def _merge(self, sealed: MergeInput) -> bool:
        try:
            merged = sealed.made()
        except Exception:  # (e.g. MemoryError: the index stays whole without it, only slower to query)
            log.exception("band index merge failed; the next write tries again")
            with self._lock.exclusive():
                self._bands.abandon_merge()
            return False
        with self._lock.exclusive():  # (after the write in progress, if any: no insert beside the swap)
            self._bands.apply_merge(merged)  # (refused if the index was rebuilt meanwhile: merged later)
        del merged  # (it holds the arrays merged into: freed before the next merge is made)
        release_free_memory()
        return True

    def _rollback(self, undo: list[Callable[[], None]]) -> None:
        _roll_back(self._db)
        for step in reversed(undo):
            step()

    def check(self) -> None:
        if self.damage is not None:  # (the store answers, but some of what it holds cannot be read)
            raise self.damage
        if self._file_state() != self._written:  # (a commit of ours may be changing it now: looked at beside none)
            with self._lock.reserved():
                self._require_unchanged()
        with self.read() as tx:
            tx.count()

    def _file_state(self) -> tuple[int, int]:
        """The size and modification time of the database file this server has open."""
        stat = os.fstat(self._pages)
        return stat.st_size, stat.st_mtime_ns

    def _require_unchanged(self) -> None:
        """Raise StoreRewritten if the file this server has open was written by anything but its own commits since
        the last of them (a `cp` of a backup over it rewrites it in place: the same file, which `_gone` cannot tell).
        Called with the store reserved (no commit of this server's beside it), or held alone."""
        if self._rewritten is None and self._file_state() != self._written:
            self._rewritten = StoreRewritten(
                f"the store file {self.path} was rewritten in place under the running server (its size or "
                "modification time changed, and no commit of this server's did that: a backup copied over it while "
                "the server ran?): what the server acknowledged is no longer what the file holds, so it refuses "
                "reads and writes from now on, and writes nothing more there. Stop the server, then restore with it "
                f'stopped, as docs/ops.md\'s "Backup and restore" says: remove {self.path.name}-wal and '
                f"{self.path.name}-shm, copy the backup in place again (the stop may have written over it), start the "
                "server, and send again what was written since that backup"
            )
            log.error("%s; health reports NOT_SERVING from now on", self._rewritten)
        if self._rewritten is not None:
            raise self._rewritten

    def _require_in_place(self) -> None:
        """Raise StoreFileGone if the file at the store's path is no longer the database this server has open, and
        StoreRewritten if it was found rewritten under the server (`_require_unchanged`)."""
        if self._rewritten is not None:
            raise self._rewritten
        gone = self._gone()
        if gone is not None:
            raise StoreFileGone(gone)

    def _gone(self) -> str | None:
        """Why the file at the store's path is not the database this server has open (--data-dir deleted, the
        file moved away or another put in its place), or None if it is. SQLite writes on into the file it has
        open, unlinked or not, and acknowledges: those writes would be lost when the server stops."""
        try:
            what = "replaced by another file" if _identity(os.stat(self.path)) != self._file else None
        except (FileNotFoundError, NotADirectoryError):
            what = f"removed (is --data-dir {self.path.parent} still there?)"
        except OSError:  # (cannot tell, e.g. a directory made unreadable: SQLite says what it cannot do)
            what = None
        if what is None:
            return None
        return (f"the store file {self.path} was {what} under the running server: the database the server has open "
                "is no longer the file at that path, so it refuses reads and writes until that file is back. What it "
                f"stored is not in {self.path} (if the file was deleted, it is lost when the server stops). Stop the "
                f"server, restore {self.path} (move the file back, or from a backup), start it again, and send again "
                "what was written since that backup")  # fmt: skip

    def close(self) -> None:
        """Save the index and let go of the store; a close after the first does nothing (a start abandoned once
        its engine was made closes the store twice: the engine's close, then the start's own undoing)."""
        self._stop_merging = True
        # (A merge being made is applied first, so the snapshot holds it; a save being made is recorded first,
        # so the one below is not needed if nothing was written since.)
        waits.shut_down(self._merger)  # (in slices: service/waits.py)
        with self._lock.exclusive():  # (no read in progress: every reader connection is idle)
            if self._closed:
                return
            self._closed = True
            while self._idle_readers:
                self._idle_readers.pop().close()
            try:
                if (gone := self._gone()) is not None:  # (a checkpoint or a save there would write where no one reads)
                    log.error("the store closed without saving its index: %s", gone)
                    return
                with suppress(StoreRewritten):
                    self._require_unchanged()  # (a checkpoint or a save would mix this server's log into the copy)
                if self._rewritten is not None:
                    log.error("the store closed without saving its index: %s", self._rewritten)
                    return
                if self._writes_refused is not None:  # (a damaged file takes no writes, a close's neither)
                    log.error("the store closed without saving its index: %s", self.damage)
                    return
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._written = self._file_state()  # (the checkpoint wrote the file)
                self._save_snapshot()
            except sqlite3.Error as exc:  # (a full disk, mostly: the database and its WAL stay whole)
                log.warning("the store was not tidied at close (%s); the next start reads its WAL as it is%s", exc,
                            self._snapshot_skipped())  # fmt: skip
            finally:
                self._let_go()  # (lets go of the claim: another server may open the store now)

    def _snapshot_skipped(self) -> str:
        """What a close that could not checkpoint (and so saved no index snapshot) leaves the next start to do."""
        with suppress(sqlite3.Error):
            if not self._snapshots or self._marks() == self._snapshot_marks:
                return ""  # (none kept, or the one saved holds the index already)
        if self._snapshot_marks is None:
            return (f"; the index snapshot was not saved either, so the next start rebuilds the index of "
                    f"{len(self._bands)} articles from the store")  # fmt: skip
        logged = self._snapshot_marks.articles_seq
        return (f"; the index snapshot was not saved either, so the next start loads the one saved before ({logged} "
                "articles logged) and replays what was written since")  # fmt: skip


def _made(bands: MergeInput, counts: CountState) -> tuple[BandState, CountState]:
    """The snapshot of an index taken as it was (`BandIndex.as_it_is`): its band arrays merged, made beside
    the writes and the reads (numpy lets the GIL go)."""
    made = bands.made().arrays
    return BandState(made.keys, made.slots, bands.ids), counts


_ACCESS_HINT = ": the server's user needs to read and write the directory and the store's files in it"


# SQLite's extended codes of a failed read or write of its files, in words (its own message for each is "disk I/O
# error"): the system call that failed, which SQLite keeps to itself with its errno.
_IO_FAILED = {
    "SQLITE_IOERR_WRITE": "a write to the store's files failed",
    "SQLITE_IOERR_FSYNC": "an fsync of the store's files failed",
    "SQLITE_IOERR_DIR_FSYNC": "an fsync of the store's directory failed",
    "SQLITE_IOERR_READ": "a read of the store's files failed",
    "SQLITE_IOERR_SHORT_READ": "a read of the store's files came short",
    "SQLITE_IOERR_TRUNCATE": "a truncation of the store's files failed",
}
# The operations a file size limit fails (EFBIG): those that write past a file's end.
_SIZE_LIMITED = ("SQLITE_IOERR_WRITE", "SQLITE_IOERR_TRUNCATE")
# How near the process's file size limit a file of the store must be for a failed write to be put down to it: SQLite
# writes a page (a WAL frame) at a time, and the kernel writes up to the limit before it refuses the rest (EFBIG).
_AT_SIZE_LIMIT_BYTES = 64 * 1024


def _io_failure(exc: sqlite3.Error, path: Path) -> str:
    """Why SQLite failed a write of the store at `path`, told apart for an operator: its message and extended code
    ("disk I/O error, SQLITE_IOERR_WRITE" was all a file size limit and a failing disk both said), in words, and
    "file too large (EFBIG)" when a file of the store has reached the process's file size limit (ulimit -f)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    said = f"{exc}, {name}" if name else str(exc)
    if (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF != sqlite3.SQLITE_IOERR:
        return said
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    # Only a write or a truncation (which may extend a file) meets the limit: a failed read or fsync beside a
    # file near it is the disk's. The WAL first: the commit's pages go there, and the database file grows only at
    # a checkpoint, so when both are near the limit the WAL is the one a commit met.
    if name in _SIZE_LIMITED and limit != resource.RLIM_INFINITY:
        for file in (path.with_name(f"{path.name}-wal"), path):
            with suppress(OSError):
                size = file.stat().st_size
                if size + _AT_SIZE_LIMIT_BYTES >= limit:
                    return (
                        f"file too large (EFBIG): {file} is {size:,} bytes, at the server's file size limit of "
                        f"{limit:,} bytes (ulimit -f, RLIMIT_FSIZE; LimitFSIZE= in a systemd unit): raise or remove "
                        f"it where the server is started; {said}"
                    )
    failed = _IO_FAILED.get(name, "SQLite could not read or write the store")
    return f"I/O error: {failed} ({said}): check the disk, and the kernel's log (dmesg)"


def _require_writable(db: sqlite3.Connection) -> None:
    """Raise SQLITE_READONLY now if the file cannot be written (SQLite opens it read-only then, and says so
    only at the first write): else the server would start, say SERVING, and fail every write UNAVAILABLE."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('write-check', '')")
    finally:
        _roll_back(db)


def _roll_back(db: sqlite3.Connection) -> None:
    """Roll back the transaction in progress, if any: SQLite rolls one back itself on some failures (a full disk
    among them), and a ROLLBACK then fails, "no transaction is active", its error raised in place of the failure's
    (a snapshot save on a full disk logged that, naming no disk)."""
    if db.in_transaction:
        db.execute("ROLLBACK")


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLite's word that the file does not hold what it wrote: SQLITE_CORRUPT or SQLITE_NOTADB (or one of
    their extended codes), or a "malformed" database image."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in str(exc)


def _unusable(path: Path, exc: sqlite3.DatabaseError, stale: str) -> str:
    """Why the store at `path` cannot be opened, and what to do, naming --data-dir; `stale`: the write-ahead log's
    files that were beside it before the open (_stale_logs)."""
    kind = getattr(exc, "sqlite_errorname", "")
    if kind in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        damaged = f"--data-dir {path.parent}: {path} is not a neardup store, or is damaged ({exc})"
        if stale:
            return (
                f"{damaged}: if it was just restored from a backup, remove {stale} beside it, left by the server "
                "before (SQLite applies that log to whatever file is there, the backup too), and start again; if not, "
                "restore it from a backup, removing those too, or start with another --data-dir"
            )
        return f"{damaged}: restore it from a backup, or start with another --data-dir"
    if (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF == sqlite3.SQLITE_FULL:
        return (f"--data-dir {path.parent}: cannot use the store {path} ({exc}): the disk holding it is full; free "
                "space there, or move --data-dir to a larger disk")  # fmt: skip
    return f"--data-dir {path.parent}: cannot use the store {path} ({exc}){_ACCESS_HINT}"


def _stale_logs(path: Path) -> str:
    """ "neardup.db-wal and neardup.db-shm", those of them beside `path`, if its write-ahead log is there; else "".
    A server killed (kill -9, OOM, power loss) leaves them, and a backup then put in place of the file was read
    through that log: the later file's pages, applied to the backup's, which SQLite then finds damaged."""
    logs = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    if not logs[0].exists():
        return ""
    return " and ".join(log.name for log in logs if log.exists())


def _refuse_a_lost_file(path: Path) -> None:
    """OSError if the database file at `path` is missing or empty while index snapshots of articles lie beside it
    (`_refuse_a_lost_store`), found before SQLite makes the file: a refused start that made it left a new store
    there (32 KiB, its tables and write-ahead log), which the next start's refusal then called missing or empty."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    except OSError:  # (the directory cannot be read: the claim or the open says so, with what to do)
        return
    if size == 0:
        _refuse_beside_a_log(path)
        _refuse_beside_snapshots(path, "was missing or empty")


def _refuse_beside_a_log(path: Path) -> None:
    """OSError if the database file at `path` is missing or empty while its write-ahead log beside it holds writes:
    those not yet copied into the file (a young store's, all of them, and no snapshot of it yet). Opened, SQLite
    made an empty store there and dropped the log, its only copy of them, with only "index of 0 articles rebuilt"
    said (red team 9: 200 articles so lost, the file deleted or emptied after a kill -9)."""
    wal = path.with_name(path.name + "-wal")
    try:
        logged = wal.stat().st_size
    except OSError:  # (none: nothing of the store's is in a log)
        return
    if logged == 0:
        return
    logs = _stale_logs(path)
    raise OSError(f"--data-dir {path.parent}: the database file {path.name} was missing or empty, beside its "
                  f"write-ahead log {wal.name} of {logged:,} bytes, which holds writes not yet copied into it (in a "
                  "young store, all of them): probably a lost file, or the wrong volume or directory mounted there. "
                  f"Put {path.name} back beside it (the log is applied to it at the start), or point --data-dir at "
                  f"the directory that holds the store; to start an empty store there on purpose, remove {logs} "
                  "first")  # fmt: skip


def _refuse_a_lost_store(db: sqlite3.Connection, path: Path) -> None:
    """OSError if the store at `path` is new (no start recorded its parameters yet: a file a start made, or one
    stopped before it recorded them) while index snapshots of articles lie beside it (`_refuse_beside_snapshots`).
    A file missing or empty is refused before it is opened (`_refuse_a_lost_file`)."""
    if not db.execute("SELECT 1 FROM meta WHERE key = 'params'").fetchone():
        _refuse_beside_snapshots(path, "holds no store (no start recorded its parameters)")


def _refuse_beside_snapshots(path: Path, state: str) -> None:
    """OSError saying the database file is in `state` while index snapshots of articles lie beside it: the store
    they were saved from is not here, most likely a wrong mount or a lost file. Starting would begin an empty
    store and drop the snapshots, its last trace."""
    files = snapshots.files_in(path.parent)
    held = [_articles_in(file) for file in files]
    if not files or all(articles == 0 for articles in held):
        return  # (nothing lost: a start drops them)
    known = max((articles for articles in held if articles is not None), default=None)
    what = "an index snapshot it cannot read" if known is None else (
        f"an index snapshot of {known:,} article{'' if known == 1 else 's'}")  # fmt: skip
    names = ", ".join(file.name for file in files)
    raise OSError(f"--data-dir {path.parent}: the database file {path.name} {state}, beside {what} "
                  f"({names}): probably the wrong volume or directory mounted there, or a lost file. Point --data-dir "
                  f"at the directory that holds the store, or restore {path.name} from a backup; to start an empty "
                  f"store there on purpose, remove {names} first")  # fmt: skip


def _articles_in(file: Path) -> int | None:
    """How many articles the snapshot file holds, or None if it cannot be read."""
    try:
        return snapshots.articles_in(file)
    except Exception:  # (damaged, cut short: whatever np.load raises)
        return None


def _of_a_further_state(
    path: Path, file: Path, stored: int, held: int, marks: snapshots.Marks, mine: snapshots.Marks
) -> str:
    """What a snapshot of a state the store at `path` never reached (`_say_snapshots_of_further_states`) says."""
    if marks.articles_seq > mine.articles_seq:
        further = (f"with articles added after this store's last (up to article number {marks.articles_seq:,}, this "
                   f"store's last is {mine.articles_seq:,})")  # fmt: skip
    else:
        further = "after changes this store does not hold (deletes, new versions)"
    # (At least: the snapshot's articles less all of the store's, whichever those are.)
    lost = f"at least {held - stored:,} of the articles it held are" if held > stored else "articles it held may be"
    return (f"the store {path} holds {stored:,} articles, but the index snapshot {file.name} beside it was saved "
            f"from a store of {held:,} articles, {further}: another or a newer copy of this store was here (a restore "
            f"from a backup, or the wrong volume?), and {lost} not in this store. If that is not intended, stop the "
            f"server and put the newer {path.name} back; the snapshot is dropped now, and the index rebuilt from "
            "this store")  # fmt: skip


def _identity(stat: os.stat_result) -> tuple[int, int]:
    """Which file `stat` is of: its device and inode."""
    return stat.st_dev, stat.st_ino


def _claim(path: Path) -> int:
    """Hold `<store>.lock` for as long as the store is open, or refuse to open it: a second server on the
    same file would keep an in-memory index of its own that misses the first one's writes, and each would
    answer and save its snapshot from an index the other has made stale. The kernel lets go of the lock
    when the holder dies, kill -9 included, so a crash leaves nothing behind to clean up."""
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OSError(f"--data-dir {path.parent}: cannot open {lock} ({exc.strerror}){_ACCESS_HINT}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StoreInUse(
            f"{path} is in use by another neardup server (pid {holder}): a store serves one server at a "
            "time. Stop that server first, or start this one with another --data-dir."
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _add_signatures_table(db: sqlite3.Connection) -> None:
    """Create the signatures table; a store written before it existed gets it filled once."""
    if _in_schema(db, "signatures"):
        return
    db.execute("BEGIN IMMEDIATE")
    db.execute(_SIGNATURES)
    db.execute("INSERT INTO signatures (seq, id, signature) SELECT seq, id, signature FROM articles")
    db.execute("COMMIT")


def _add_arrival_column(db: sqlite3.Connection) -> None:
    """A store written before the arrival column gets it, NULL in every row (its seq: `_ARRIVAL`). SQLite only
    changes the schema for that: no row is rewritten."""
    if any(row[1] == "arrival" for row in db.execute("PRAGMA table_info(articles)")):
        return
    db.execute("ALTER TABLE articles ADD COLUMN arrival INTEGER")


def _index_group_order(db: sqlite3.Connection, path: Path) -> None:
    """Create the group-order index; an older store's group index (`_OLDER_GROUP_INDEXES`) it replaces."""
    if _in_schema(db, _GROUP_ORDER):
        return
    if any(_in_schema(db, name) for name in _OLDER_GROUP_INDEXES):
        log.info("indexing the groups of %s by publication time and arrival, once (reads every article's row)", path)
    db.execute("BEGIN IMMEDIATE")
    db.execute(_GROUP_ORDER_INDEX)
    for name in _OLDER_GROUP_INDEXES:  # (the new one serves their lookups: it leads with group_root)
        db.execute(f"DROP INDEX IF EXISTS {name}")
    db.execute("COMMIT")


def _replayed_group_counts(path: Path, groups: GroupCounts, after: int = 0) -> GroupCounts:
    """`groups` with the learned-boilerplate log's rows after `after` added, a block of rows at a time (one
    vectorised count each), on a connection of its own: a rebuild runs this beside the band-index load."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        cursor = db.execute("SELECT hashes FROM group_samples WHERE seq > ? ORDER BY seq", (after,))
        while rows := cursor.fetchmany(_LOAD_ROWS):
            block = np.frombuffer(b"".join(row[0] for row in rows), dtype=np.uint32)
            values, times = np.unique(block, return_counts=True)
            groups.add(values, times.astype(np.int64))
    finally:
        db.close()
    return groups


def _convert_group_table(db: sqlite3.Connection) -> None:
    """A store written before the log kept a table of counts: turn it into log rows, once."""
    if not _in_schema(db, "shingle_groups"):
        return
    db.execute("BEGIN IMMEDIATE")
    cursor = db.execute("SELECT hash, groups FROM shingle_groups")
    while rows := cursor.fetchmany(_LOAD_ROWS):
        hashes, groups = np.array(rows, dtype=np.int64).T
        blob = np.repeat(hashes, groups).astype(np.uint32).tobytes()
        db.execute("INSERT INTO group_samples (hashes) VALUES (?)", (blob,))
    db.execute("DROP TABLE shingle_groups")
    db.execute("COMMIT")


def _signature_chunks(db: sqlite3.Connection, num_perm: int, after: int = 0) -> Iterator[tuple[list[str], U32Array]]:
    """The stored (ids, signatures) indexed after seq `after`, in order, in blocks: one query, one numpy
    array per block."""
    cursor = db.execute("SELECT id, signature FROM signatures WHERE seq > ? ORDER BY seq", (after,))
    while rows := cursor.fetchmany(_LOAD_ROWS):
        ids = [row[0] for row in rows]
        signatures = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.uint32).reshape(len(rows), num_perm)
        yield ids, signatures


def _check_params(db: sqlite3.Connection, params: DetectionParams) -> DetectionParams:
    """Record the parameters of a new store; refuse a store holding data built with others. A store holding
    nothing takes this start's: a start refused for another reason (a port in use) recorded them, and nothing
    was built with them (one server per store: no other process is using them). The parameters to read the store
    by: `params`, or for a store of an earlier scheme this version reads, `params` reading text as that one."""
    wanted = params.recorded()
    row = db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()
    if row is not None and json.loads(row[0]) != wanted and _holds_nothing(db):
        log.info("the store holds no articles: its detection parameters are now this start's (was %s)", row[0])
        db.execute("DELETE FROM meta WHERE key IN ('params', 'snapshot')")  # (an empty snapshot of the others)
        row = None
    if row is None:
        db.execute("INSERT INTO meta (key, value) VALUES ('params', ?)", (json.dumps(wanted, sort_keys=True),))
        return params
    stored = json.loads(row[0])
    params = scheme_of_store(stored, params)
    refuse_other_parameters(stored, params.recorded(), "store", "--data-dir")
    return params


def _in_schema(db: sqlite3.Connection, name: str) -> bool:
    """Does the store have a table or index of this name (one an older version made, or did not)?"""
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def _holds_nothing(db: sqlite3.Connection) -> bool:
    """No article, and no learned-boilerplate count left by deleted ones (their hashes are the parameters'),
    in the log or in the table of counts a store written before the log kept (converted after this check)."""
    query = "SELECT NOT EXISTS (SELECT 1 FROM articles) AND NOT EXISTS (SELECT 1 FROM group_samples)"
    if _in_schema(db, "shingle_groups"):
        query += " AND NOT EXISTS (SELECT 1 FROM shingle_groups)"
    return bool(db.execute(query).fetchone()[0])


class _Tx:
    def __init__(
        self,
        db: sqlite3.Connection,
        bands: BandIndex,
        groups: GroupCounts,
        undo: list[Callable[[], None]] | None,
        articles: int | None = None,
    ) -> None:
        """`articles`: how many a read's committed state holds (None: a write's, read from the index)."""
        self._db = db
        self._articles = articles
        self._bands = bands
        self._groups = groups
        self._undo = undo

    def prefetch(self, articles: Sequence[PreparedArticle]) -> None:
        pass  # local reads are cheap: nothing to read ahead

    def count(self) -> int:
        return len(self._bands) if self._articles is None else self._articles

    def get(self, article_id: str) -> StoredArticle | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _stored(row) if row else None

    def stored_ids(self, article_ids: Sequence[str]) -> set[str]:
        # (One statement for a screen's articles: a `get` each read the whole row, body and shingles, ≈10 µs.)
        return {article_id for article_id, _ in self._select("id", article_ids)}

    def candidates(self, signature: U32Array, limit: int | None = None) -> set[str]:
        return self._bands.query(signature, limit)

    def band_hits(self, signatures: U32Array, band_keys: GivenKeys | None = None) -> BoolArray:
        return self._bands.hits(signatures, band_keys)

    def shingles(self, ids: Iterable[str]) -> dict[str, U32Array]:
        return {k: np.frombuffer(v, dtype=np.uint32) for k, v in self._select("shingles", ids)}

    def _select(self, column: str, ids: Iterable[str]) -> list[tuple[str, Any]]:
        rows: list[tuple[str, Any]] = []
        for part in chunks(list(ids)):
            marks = ",".join("?" * len(part))
            rows += self._db.execute(f"SELECT id, {column} FROM articles WHERE id IN ({marks})", part).fetchall()
        return rows

    def earliest_member(self, group_root: str, excluding: str) -> str | None:
        row = self._db.execute(
            f"SELECT id FROM articles WHERE group_root = ? AND id != ? ORDER BY {_PUBLISHED_ORDER}, {_ARRIVAL} LIMIT 1",
            (group_root, excluding),
        ).fetchone()
        return str(row[0]) if row else None

    def group_page(self, group_root: str, after: OrderKey | None, limit: int) -> tuple[int, list[GroupMember]]:
        total = self._db.execute("SELECT COUNT(*) FROM articles WHERE group_root = ?", (group_root,)).fetchone()[0]
        unknown, published_us, arrival = after if after is not None else (False, -_UNKNOWN_LAST - 1, 0)
        published = _UNKNOWN_LAST if unknown else published_us
        rows = self._db.execute(_GROUP_PAGE, (group_root, published, published, arrival, limit)).fetchall()
        return int(total), [_member(row) for row in rows]

    def insert(
        self, prepared: PreparedArticle, indexed_at: datetime, group_root: str, arrival: int | None = None
    ) -> None:
        self._db.execute(_INSERT_ARTICLE, _article_row(prepared, to_us(indexed_at), group_root, arrival))
        signature = prepared.fingerprint.signature
        self._db.execute(
            "INSERT INTO signatures (seq, id, signature) VALUES (last_insert_rowid(), ?, ?)",
            (prepared.article.id, signature.tobytes()),
        )
        aid = prepared.article.id
        self._bands.insert(aid, signature)
        self._log(lambda: self._bands.remove(aid))

    def insert_new(
        self, articles: Sequence[PreparedArticle], indexed_at: datetime, band_keys: GivenKeys | None = None
    ) -> None:
        if not articles:
            return
        # With AUTOINCREMENT every new seq is above the highest present: those above it now are this call's.
        before = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0]
        at = to_us(indexed_at)
        self._db.executemany(_INSERT_ARTICLE, [_article_row(p, at, p.article.id) for p in articles])
        self._db.execute("INSERT INTO signatures (seq, id, signature) SELECT seq, id, signature FROM articles "
                         "WHERE seq > ?", (before,))  # fmt: skip
        ids = [p.article.id for p in articles]
        self._bands.insert_batch(ids, np.stack([p.fingerprint.signature for p in articles]), band_keys)

        def undo() -> None:
            for aid in ids:
                self._bands.remove(aid)

        self._log(undo)

    def delete(self, article_id: str) -> None:
        row = self._db.execute("SELECT signature FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            return
        self._db.execute("DELETE FROM signatures WHERE seq = (SELECT seq FROM articles WHERE id = ?)", (article_id,))
        self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        self._db.execute("INSERT INTO removals (id) VALUES (?)", (article_id,))  # (for a start from the snapshot)
        self._bands.remove(article_id)
        signature = np.frombuffer(row[0], dtype=np.uint32)
        self._log(lambda: self._bands.insert(article_id, signature))

    def regroup(self, old_roots: Iterable[str], new_root: str) -> None:
        roots = [r for r in old_roots if r != new_root]
        for part in chunks(roots):
            marks = ",".join("?" * len(part))
            self._db.execute(f"UPDATE articles SET group_root = ? WHERE group_root IN ({marks})", [new_root, *part])

    def count_groups(self, hashes: U32Array) -> None:
        self.count_groups_each([hashes])

    def count_groups_each(self, per_article: Sequence[U32Array]) -> None:
        parts = [h for h in per_article if h.size]
        if not parts:
            return
        block = np.concatenate(parts).astype(np.uint32)
        # One log row for all of them: the start-up replay only sums what the rows hold.
        self._db.execute("INSERT INTO group_samples (hashes) VALUES (?)", (block.tobytes(),))
        if len(parts) == 1:
            self._groups.add(parts[0])
        else:
            values, times = np.unique(block, return_counts=True)
            self._groups.add(values, times.astype(np.int64) if times.max() > 1 else None)

        def undo() -> None:
            for hashes in parts:
                self._groups.remove(hashes)

        self._log(undo)

    def learned_boilerplate(self, min_groups: int) -> int:
        return self._groups.total_at_least(min_groups)

    def common_shingles(self, hashes: U32Array, min_groups: int) -> U32Array:
        return self._groups.at_least(hashes, min_groups)

    def _log(self, step: Callable[[], None]) -> None:
        if self._undo is None:
            raise RuntimeError("write attempted in a read transaction")
        self._undo.append(step)


def _article_row(
    prepared: PreparedArticle, indexed_at_us: int, group_root: str, arrival: int | None = None
) -> tuple[object, ...]:
    """The row's values; `arrival` None (an id's first version: `insert_new`'s too) stores NULL, its own seq."""
    a, fp = prepared.article, prepared.fingerprint
    published = to_us(a.published) if a.published else None
    return (a.id, a.body, a.title, a.source, a.url, published, indexed_at_us,
            fp.body_digest, fp.signature.tobytes(), fp.shingles.tobytes(), group_root, arrival)  # fmt: skip


def _member(row: tuple[Any, ...]) -> GroupMember:
    aid, title, source, url, published_us, indexed_at_us, arrival = row
    published = from_us(published_us) if published_us is not None else None
    return GroupMember(aid, title, source, url, published, from_us(indexed_at_us), arrival)


def _stored(row: tuple[object, ...]) -> StoredArticle:
    seq, aid, body, title, source, url, pub_us, idx_us, digest, sig, shingles, root, arrival = row
    article = Article(
        id=str(aid), body=str(body), title=str(title), source=str(source), url=str(url),
        published=from_us(int(pub_us)) if pub_us is not None else None,  # type: ignore[call-overload]
    )  # fmt: skip
    fingerprint = Fingerprint(
        np.frombuffer(shingles, dtype=np.uint32),  # type: ignore[call-overload]
        np.frombuffer(sig, dtype=np.uint32),  # type: ignore[call-overload]
        bytes(digest),  # type: ignore[call-overload]
    )
    return StoredArticle(article, fingerprint, from_us(int(idx_us)), int(seq), str(root), int(arrival))  # type: ignore[call-overload]
