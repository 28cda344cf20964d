"""Asking the kernel to read a table's pages ahead, all at once, while SQLite scans the table.

The start-up rebuild scans two narrow tables (`signatures`, `group_samples`) whose pages lie
scattered through a file mostly made of article bodies: each write transaction appends some of
each. SQLite reads a scan's pages one at a time, each waiting for the disk, so with the file out of
the page cache (after a reboot, or once other files pushed it out) a 1M-article store took 93 s
to scan `signatures` alone on the benchmark host (≈1,300 reads a second), against 0.6 GB of its
pages that the disk delivers in a few seconds when asked for all at once.

So the rebuild finds where those tables' leaf pages are, from their b-tree interior pages (a few
hundred reads for a million rows), and hands them to `posix_fadvise(WILLNEED)`, which queues the
reads, in a thread beside SQLite's own scans; they find the pages in the page cache, or wait for a
read already on its way. (A start from the index snapshot asks only for the leaves of the rows
written after it, whose pages are as scattered among the bodies'.) The page numbers are read from
the main database file, not through SQLite: a page the write-ahead log holds a newer copy of may be
missed, or read for nothing. Either way this only changes how soon pages are in memory, never what
SQLite reads (the file format: https://sqlite.org/fileformat2.html).
Only leaf pages are asked for: the overflow pages of `group_samples`' longer rows (about a fifth of
its pages) are still read as the scan reaches them, beside the `signatures` scan.

The caller opens the database file and keeps the descriptor open for as long as any SQLite connection
of its process is open on the file. POSIX advisory locks belong to the process, and closing *any*
descriptor of a file drops all of them, SQLite's own included (https://sqlite.org/howtocorrupt.html,
2.2). With its locks gone, another process that opened the store and closed it again (an operator's
`sqlite3`, a backup script) took itself for the last connection, checkpointed the write-ahead log and
deleted it while the server still appended its commits to it: acknowledged articles were lost at the
next SIGKILL.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
from collections.abc import Iterable, Iterator, Sequence

log = logging.getLogger(__name__)

_TABLE_INTERIOR, _TABLE_LEAF = 5, 13
_PAGE_SIZE_AT = 16  # offset of the page size in the file header
_FILE_HEADER = 100  # page 1 starts with the file header before its b-tree header
_MAX_DEPTH = 20  # SQLite's own limit on a b-tree's depth (BTCURSOR_MAX_DEPTH)


def root_pages(db: sqlite3.Connection, tables: Iterable[str]) -> list[int]:
    """The b-tree root page of each of `tables` (0 for a table that does not exist)."""
    return [_root_page(db, table) for table in tables]


def read_ahead(fd: int, roots: Sequence[int], after: Sequence[int] | None = None) -> int:
    """Queue reads of the leaf pages of the rowid tables whose b-trees start at `roots` (`root_pages` of the
    database open as `fd`, which stays open: see above), those that may hold rows after rowid `after[i]`
    for `roots[i]` (all of them without); returns how many pages were asked for. Never raises: a hint that
    fails is no hint.
    It blocks while the disk's queue is full (36 s for 190,000 scattered pages of a cold 1.2M-article store
    on 2026-12-03): a rebuild runs it beside the scans that use the pages."""
    try:
        file = _File(fd)
        firsts = [0] * len(roots) if after is None else after
        leaves = sorted(
            page for root, first in zip(roots, firsts, strict=True) if root for page in file.leaves(root, first)
        )
        file.will_need(leaves)
        return len(leaves)
    except _NotInFile as exc:  # (a new store's pages: too few to matter)
        log.debug("index tables not read ahead: %s", exc)
        return 0
    except (OSError, ValueError, struct.error, AttributeError) as exc:  # (no posix_fadvise: macOS)
        log.warning("reading ahead the index tables failed (%s: %s); the rebuild reads them as it goes",
                    type(exc).__name__, exc)  # fmt: skip
        return 0


def _root_page(db: sqlite3.Connection, table: str) -> int:
    row = db.execute("SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return int(row[0]) if row else 0


def _varint(data: bytes, at: int) -> int:
    """SQLite's variable-length integer at `at`: 7 bits a byte, high bit set on all but the last; a ninth
    byte, if reached, gives all its 8 bits."""
    value = 0
    for n in range(8):
        byte = data[at + n]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value
    return (value << 8) | data[at + 8]


class _NotInFile(ValueError):
    """A page not in the main file yet (only in the write-ahead log)."""


class _File:
    """The database file's b-tree pages, read through a descriptor it does not close (see above)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        header = os.pread(self._fd, 2, _PAGE_SIZE_AT)
        if len(header) < 2:
            raise _NotInFile("the file has no header yet")
        size = struct.unpack(">H", header)[0]
        self.page_size = 65_536 if size == 1 else size
        if self.page_size < 512 or self.page_size & (self.page_size - 1):
            raise ValueError(f"a page size of {self.page_size} bytes in the header")
        self.pages = os.fstat(self._fd).st_size // self.page_size

    def leaves(self, root: int, after: int = 0) -> Iterator[int]:
        """The leaf pages under `root` that may hold rowids above `after`, found level by level. All leaves of
        a b-tree are at one depth, so the children of the last interior level are leaves without being read."""
        level = [root]
        for _ in range(_MAX_DEPTH):
            if not level:
                return
            self.will_need(level)  # (a level's pages asked for together, then read)
            children: list[int] = []
            for page in level:
                kind, pointers = self._children(page, after)
                if kind == _TABLE_LEAF:
                    yield page
                else:
                    children += pointers
            if children and self._kind(children[0]) == _TABLE_LEAF:
                yield from children
                return
            level = children
        raise ValueError(f"the b-tree under page {root} is deeper than {_MAX_DEPTH} levels (a damaged file)")

    def will_need(self, pages: list[int]) -> None:
        """Ask for `pages` (ascending), one call per run of consecutive pages."""
        start = previous = -1
        for page in [*pages, -1]:
            if page != previous + 1 or page == -1:
                if start > 0:
                    length = (previous - start + 1) * self.page_size
                    os.posix_fadvise(self._fd, (start - 1) * self.page_size, length, os.POSIX_FADV_WILLNEED)
                start = page
            previous = page

    def _kind(self, page: int) -> int:
        return self._read(page)[self._header_at(page)]

    def _children(self, page: int, after: int = 0) -> tuple[int, list[int]]:
        """The page's kind and, for an interior page, its children that may hold rowids above `after`: a
        cell's child holds the rowids up to the cell's key, the rightmost child those above the last key."""
        data, at = self._read(page), self._header_at(page)
        kind = data[at]
        if kind == _TABLE_LEAF:
            return kind, []
        if kind != _TABLE_INTERIOR:
            raise ValueError(f"page {page} is not a table b-tree page (type {kind})")
        cells, rightmost = struct.unpack_from(">H", data, at + 3)[0], struct.unpack_from(">I", data, at + 8)[0]
        offsets = struct.unpack_from(f">{cells}H", data, at + 12)
        wanted = (offset for offset in offsets if _varint(data, offset + 4) > after)  # (a cell: child, then key)
        children = [struct.unpack_from(">I", data, offset)[0] for offset in wanted] + [rightmost]
        if not all(children):
            raise ValueError(f"page {page} points to page 0")
        # (Pages past the file's end are in the write-ahead log only: a checkpoint cut short, on a full disk, wrote
        # some of its pages into the file and not the rest. Not damage: SQLite reads them from the log. It was
        # said as "reading ahead ... failed (ValueError: page 9 points beyond the file)" at every start.)
        return kind, [child for child in children if child <= self.pages]

    def _read(self, page: int) -> bytes:
        data = os.pread(self._fd, self.page_size, (page - 1) * self.page_size)
        if len(data) < self.page_size:  # (a new store's pages may all be in the write-ahead log still)
            raise _NotInFile(f"page {page} is beyond the end of the file")
        return data

    @staticmethod
    def _header_at(page: int) -> int:
        return _FILE_HEADER if page == 1 else 0
