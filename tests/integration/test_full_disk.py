"""The embedded store on a disk that fills up: a real tmpfs of a few MiB, a real server over gRPC.

Writes are refused with RESOURCE_EXHAUSTED saying what to do, nothing acknowledged is lost, the
server takes writes again once there is room, and a clean close on the full disk does not fail.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from client import Article, ArticleFailure, NotFoundError, ResourceExhaustedError, Verdict
from tests.support import ServerProcess, in_process_server

# ~6 KB of distinct words each: a 3 MiB disk holds a few hundred of them, with their shingles and signatures.
ARTICLES = [Article(f"n{n}", f"story {n} " + " ".join(f"w{n}x{j}" for j in range(600))) for n in range(1500)]


def _mount(disk: Path, size: str, *options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join((*options, f"size={size}")), "tmpfs", str(disk)],
                   check=True, capture_output=True, text=True)  # fmt: skip


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        _mount(disk, "3m")
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {exc}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _grow(disk: Path, size: str) -> None:
    _mount(disk, size, "remount")


def _used_kib(disk: Path) -> int:
    st = os.statvfs(disk)
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def test_a_full_disk_refuses_writes_saying_so_and_loses_nothing(small_disk: Path) -> None:
    data = small_disk / "data"
    with in_process_server(data) as (_, client):
        outcomes = list(client.index_stream(ARTICLES, batch=16))
        stored = [o.id for o in outcomes if isinstance(o, Verdict)]
        refused = [o for o in outcomes if isinstance(o, ArticleFailure)]
        assert stored and refused, "the disk was expected to fill up part way"
        assert isinstance(refused[0].error, ResourceExhaustedError)
        message = refused[0].error.details
        assert f"the disk holding the store ({data}) is full, so the write was not acknowledged" in message
        assert "move --data-dir to a larger disk: the articles may or may not be stored; send them again" in message
        assert client.stats().articles == len(stored)  # what was acknowledged is stored; nothing else
        bodies = {a.id: a.body for a in ARTICLES}
        assert all(client.get(aid).article.body == bodies[aid] for aid in (stored[0], stored[-1]))

        _grow(small_disk, "40m")
        again = list(client.index_stream([a for a in ARTICLES if a.id in {f.id for f in refused}], batch=16))
        assert all(isinstance(o, Verdict) and not o.matches for o in again)
        assert client.stats().articles == len(ARTICLES)

        # Full again, then a clean close: the WAL checkpoint and the snapshot save find no room. The close
        # must still finish (and let go of the store), and nothing may be lost.
        _grow(small_disk, f"{_used_kib(small_disk) + 512}k")
        more = [Article(f"m{n}", f"later {n} " + " ".join(f"v{n}x{j}" for j in range(600))) for n in range(400)]
        answered = list(client.index_stream(more, batch=16))
        taken = [o.id for o in answered if isinstance(o, Verdict)]
        assert len(taken) < len(more) and client.stats().articles == len(ARTICLES) + len(taken)
    _grow(small_disk, "80m")
    with in_process_server(data) as (_, client):
        # Every acknowledged article is there. A refused write was not acknowledged, which is not "not stored":
        # SQLite can report the failure of a commit its WAL holds whole (a CI run found 6 refused articles after
        # the start). So a start may find some refused ones too, and a resend is answered as a re-send.
        found = client.stats().articles
        assert len(ARTICLES) + len(taken) <= found <= len(ARTICLES) + len(more)
        assert client.get("n0").article.body == ARTICLES[0].body
        assert all(client.get(aid).article.id == aid for aid in taken)
        resent = list(client.index_stream(more, batch=16))
        assert all(isinstance(o, Verdict) and not o.matches for o in resent)
        assert client.stats().articles == len(ARTICLES) + len(more)


def _fill(disk: Path) -> Path:
    """A file that takes the room left on `disk`, to its last block."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, bytes(65536))
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def test_a_delete_on_a_full_disk_says_what_became_of_the_delete_not_to_send_articles(small_disk: Path) -> None:
    """The store's refusal said "then send the articles again", to a DeleteArticle and a DeleteArticles too."""
    data = small_disk / "data"
    with in_process_server(data) as (_, client):
        assert all(isinstance(o, Verdict) for o in client.index_stream(ARTICLES[:20], batch=20))
        filler = _fill(small_disk)
        with pytest.raises(ResourceExhaustedError) as one:
            client.delete("n0")
        with pytest.raises(ResourceExhaustedError) as several:
            client.delete_many(["n1", "n2"])
        full = f"the disk holding the store ({data}) is full, so the write was not acknowledged"
        assert one.value.details.startswith(full)
        assert one.value.details.endswith("move --data-dir to a larger disk: the article may or may not be deleted: "
                                          "sent again, the delete answers NOT_FOUND if it was")  # fmt: skip
        assert (
            "it was the call's first write; its own ids (up to 100) may or may not be deleted" in several.value.details
        )
        assert "send the articles" not in one.value.details + several.value.details

        filler.unlink()
        with contextlib.suppress(NotFoundError):  # (if the refused delete was stored after all)
            client.delete("n0")
        assert not client.delete_many(["n0", "n1", "n2"])[0].deleted  # (n1 and n2: as n0 was, either way)
        assert client.stats().articles == 17


def test_a_restart_on_the_full_disk_serves_reads_and_refuses_writes(small_disk: Path) -> None:
    """A server stopped on a full disk (a rollout, an OOM kill) must come back as it was: checks and reads served,
    writes refused RESOURCE_EXHAUSTED. The restart was refused, exit 2, "cannot use the store ... (database or
    disk is full): the server's user needs to read and write ..." (the start's tidying writes found no room),
    after a warning of damage, "page 9 points beyond the file" (pages in the WAL only); and the close before it did
    not say that no index snapshot was saved."""
    _grow(small_disk, "6m")  # (as the SRE probe's: on 3 MiB the start's tidying write happened to find room)
    data = small_disk / "data"
    first = ServerProcess(data, "--log-level", "INFO").start()
    try:
        with first.client() as client:
            assert all(isinstance(o, Verdict) for o in client.index_stream(ARTICLES[:40], batch=16))
            client.delete_many([a.id for a in ARTICLES[:10]])  # (rows the restart's rebuild clears: a write)
            outcomes = list(client.index_stream(ARTICLES[40:1500], batch=16))
        stored = [a.id for a in ARTICLES[10:40]] + [o.id for o in outcomes if isinstance(o, Verdict)]
        assert stored and len(stored) < 1500, "the disk was expected to fill up part way"
        _fill_to_the_last_byte(small_disk)
        assert first.terminate() == 0
        closing = first.read_rest()
    finally:
        first.stop()
    assert "the store was not tidied at close (database or disk is full)" in closing
    assert f"the index snapshot was not saved either, so the next start rebuilds the index of {len(stored)}" in closing

    again = ServerProcess(data, "--log-level", "INFO").launch()
    try:
        again.serving()
        with again.client() as client:
            assert client.stats().articles == len(stored)
            assert client.get(stored[-1]).article.id == stored[-1]
            assert client.check(Article("copy-of-n10", ARTICLES[10].body)).matches
            # (a write is taken where the WAL has room for it, refused RESOURCE_EXHAUSTED where not: as before the stop)
            with contextlib.suppress(ResourceExhaustedError):
                client.index(Article("new", "a new story " + " ".join(f"z{j}" for j in range(600))))
        assert again.terminate() == 0
    finally:
        again.stop()
    said = "".join(again.log)
    assert "is full (database or disk is full): the server starts and answers reads" in said
    assert "reading ahead" not in said and "cannot use the store" not in said


def _fill_to_the_last_byte(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, bytes(size))
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
