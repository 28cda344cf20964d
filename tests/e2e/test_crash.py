"""Durability under SIGKILL and clean shutdown under SIGTERM, with real processes."""

from __future__ import annotations

import ctypes
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks import corpus
from benchmarks.corpus import write_jsonl
from benchmarks.loadtest import descendants, running_children
from benchmarks.loopback import free_port, wait_for
from client import Article, NeardupClient, NeardupClientError, NotFoundError, UnavailableError, Verdict
from tests.articles import SAME_EVENT_A, SAME_EVENT_B, WIRE
from tests.support import ServerProcess, index_snapshot_token, until

TOTAL = 3000


def body(i: int) -> str:
    # distinct articles that still share a long passage, so the index has real matches to do
    return f"{WIRE if i % 2 else SAME_EVENT_A}\n\nUpdate {i}: " + " ".join(f"t{i}w{j}" for j in range(60))


def test_every_acknowledged_article_survives_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data).start()
    acked: list[str] = []
    enough = threading.Event()

    def stream() -> None:
        with NeardupClient(server.target, timeout=None) as client:
            try:
                for outcome in client.index_stream(Article(f"a{i}", body(i)) for i in range(TOTAL)):
                    if isinstance(outcome, Verdict):
                        acked.append(outcome.id)
                    if len(acked) >= 300:
                        enough.set()
            except NeardupClientError:
                pass  # the server was killed under us: expected
            finally:
                enough.set()

    streamer = threading.Thread(target=stream)
    streamer.start()
    assert enough.wait(timeout=120), "stream made no progress"
    server.kill9()
    streamer.join(timeout=60)
    assert 300 <= len(acked) < TOTAL, f"kill came too late to test anything: {len(acked)} acked"

    restarted = ServerProcess(data).start()
    try:
        with restarted.client() as client:
            stored = client.stats().articles
            assert stored >= len(acked)
            for aid in [*acked[:: max(1, len(acked) // 100)], acked[-1]]:
                assert client.get(aid).article.body == body(int(aid[1:]))
            last = int(acked[-1][1:])
            probe = client.check(Article("probe", body(last)))  # findable through the rebuilt index
            assert acked[-1] in {m.id for m in probe.matches}
        assert restarted.terminate() == 0
    finally:
        restarted.stop()
    db = sqlite3.connect(data / "neardup.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == stored
    db.close()


def _started_holding_the_first(data: Path, count: int) -> None:
    """A server started on `data` serves the articles a0 … a<count-1>, and only those, as body() wrote them."""
    server = ServerProcess(data).start()
    try:
        with server.client() as client:
            assert client.stats().articles == count
            assert client.get(f"a{count - 1}").article.body == body(count - 1)
    finally:
        server.stop()


def test_a_process_that_reads_the_store_beside_the_server_costs_no_acknowledged_article(tmp_path: Path) -> None:
    """Another process opening the store and closing it again (an operator's `sqlite3`, a backup) must not
    take itself for the last connection and delete the write-ahead log the server still commits to. It did
    while the server had closed a descriptor of the file of its own, which drops all of the process's POSIX
    locks on it, SQLite's included: the articles acknowledged after that look were gone after a SIGKILL."""
    data = tmp_path / "data"
    server = ServerProcess(data).start()
    try:
        with server.client() as client:
            for i in range(20):
                client.index(Article(f"a{i}", body(i)))
        with closing(sqlite3.connect(data / "neardup.db")) as db:
            assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 20
        with server.client() as client:
            for i in range(20, 40):
                client.index(Article(f"a{i}", body(i)))
        assert (data / "neardup.db-wal").exists()
    finally:
        server.kill9()
    _started_holding_the_first(data, 40)


def test_sigterm_drains_and_closes_the_store_cleanly(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    with server.client() as client:
        client.index(Article("wire", WIRE))
        assert client.health() == "SERVING"
    assert server.terminate() == 0
    wal = tmp_path / "data" / "neardup.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed on close
    again = ServerProcess(tmp_path / "data").start()
    try:
        with again.client() as client:
            wait_for(lambda: client.health() == "SERVING", what="restarted server")
            assert client.get("wire").article.body == WIRE
    finally:
        again.stop()


def test_sigterm_ends_an_open_index_stream_saying_so_and_keeps_what_it_answered(tmp_path: Path) -> None:
    """A continuous ingest (a stream that stays open, waiting for articles) held a stop for the whole grace and
    then ended with gRPC's bare "Cancelling all calls". The stream is now drained: what it took is answered,
    and it ends UNAVAILABLE saying the server is shutting down and what to send again."""
    server = ServerProcess(tmp_path / "data", "--grace-seconds", "30").start()
    feed: queue.Queue[Article | None] = queue.Queue()
    answered: list[str] = []
    try:
        with server.client() as client:
            outcomes = client.index_stream(iter(feed.get, None))
            for i in range(3):
                feed.put(Article(f"live{i}", body(i)))
                answered.append(next(outcomes).id)  # (the stream stays open, waiting for the next article)
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            with pytest.raises(UnavailableError, match="shutting down"):
                next(outcomes)
            assert server.exits(timeout=20) == 0  # (well within the 30 s grace: the stream did not hold it)
    finally:
        feed.put(None)  # (gRPC's sending thread waits on the feed)
        server.stop()
    again = ServerProcess(tmp_path / "data").start()
    try:
        with again.client() as client:
            assert [client.get(i).article.id for i in answered] == ["live0", "live1", "live2"]
    finally:
        again.stop()


def test_sigterm_delivered_to_any_thread_stops_the_server(tmp_path: Path) -> None:
    """The kernel may hand a process's SIGTERM (docker stop, kill) to any of its threads; the server
    must stop however it is delivered. Sent here to one thread that is not the main one."""
    libc = ctypes.CDLL(None, use_errno=True)
    server = ServerProcess(tmp_path / "data").start()
    assert server.proc is not None
    pid = server.proc.pid
    others = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid)
    assert others
    try:
        assert libc.tgkill(pid, others[-1], signal.SIGTERM) == 0, ctypes.get_errno()
        assert server.exits(timeout=30) == 0
    finally:
        server.stop()


def test_a_clean_stop_saves_the_index_and_a_kill9_after_a_write_replays_onto_it(tmp_path: Path) -> None:
    data, logged = tmp_path / "data", ("--log-level", "INFO")
    server = ServerProcess(data, *logged).start()
    with server.client() as client:
        for i in range(40):
            client.index(Article(f"a{i}", body(i)))
    assert server.terminate() == 0
    server = ServerProcess(data, *logged).start()
    assert any("index of 40 articles loaded from its snapshot (and 0 indexed since" in line for line in server.log)
    with server.client() as client:
        client.index(Article("late", SAME_EVENT_B))
        client.delete("a3")
    server.kill9()  # after writes: the snapshot of the 40 comes back with what was written since
    server = ServerProcess(data, *logged).start()
    try:
        assert any("index of 40 articles loaded from its snapshot (and 1 indexed since" in line
                   for line in server.log), server.log  # fmt: skip
        with server.client() as client:
            probe = client.check(Article("probe", SAME_EVENT_B + "\n\nThis article was corrected."))
            assert "late" in {m.id for m in probe.matches}
            assert "a3" not in {m.id for m in client.check(Article("probe", body(3))).matches}
    finally:
        server.stop()


def test_a_kill9_during_an_ingest_replays_only_what_came_after_the_last_save(tmp_path: Path) -> None:
    """The index is saved beside the writes (here every 50 articles): a start after SIGKILL loads that save
    and replays the rest, instead of rebuilding from every row."""
    data, logged = tmp_path / "data", ("--log-level", "INFO", "--index-snapshot-every", "50")
    server = ServerProcess(data, *logged).start()
    with server.client() as client:
        for i in range(60):
            client.index(Article(f"a{i}", body(i)))
        wait_for(lambda: index_snapshot_token(data / "neardup.db"), timeout=30, what="a save beside the writes")
        for i in range(60, 70):
            client.index(Article(f"a{i}", body(i)))
    server.kill9()
    server = ServerProcess(data, *logged).start()
    try:
        started = [line for line in server.log if "index of 70 articles loaded from its snapshot" in line]
        assert started, server.log
        replayed = int(started[0].split("(and ", 1)[1].split(" ", 1)[0])
        assert 10 <= replayed <= 20  # (saved at the 50th to 60th write)
        with server.client() as client:
            for i in (0, 55, 69):
                assert f"a{i}" in {m.id for m in client.check(Article("probe", body(i))).matches}
    finally:
        server.stop()


def test_neardup_ingest_resends_what_a_killed_server_had_not_answered(tmp_path: Path) -> None:
    # A backfill outlives a crash: the server is killed mid-stream and restarted on its port;
    # `neardup ingest` reopens the stream, resends the unanswered articles, and ends with one
    # answer per line, in order, every article stored once.
    count = 4000
    articles = tmp_path / "in.jsonl"
    # (distinct stories: body() makes every article a copy of half the others, whose cost grows with the index)
    write_jsonl([Article(f"a{i}", " ".join(f"s{i}w{j}" for j in range(150))) for i in range(count)], articles)
    data, port = tmp_path / "data", free_port()
    server = ServerProcess(data, port=port).start()
    ingest = subprocess.Popen(
        [sys.executable, "-m", "client.cli", "ingest", str(articles), "--server", f"127.0.0.1:{port}",
         "--no-progress", "--batch", "16", "--output", str(tmp_path / "out.jsonl")],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with server.client() as client:
            wait_for(lambda: client.stats().articles >= 300, timeout=120, what="300 articles stored")
        server.kill9()
        server = ServerProcess(data, port=port).start()
        _, stderr = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, stderr
        assert "resending" in stderr  # it did lose its stream
        lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
        assert [line["id"] for line in lines] == [f"a{i}" for i in range(count)]
        assert all("error" not in line for line in lines), [line for line in lines if "error" in line][:3]
        with server.client() as client:
            assert client.stats().articles == count
    finally:
        ingest.kill()
        server.stop()


def test_neardup_check_sends_again_the_checks_a_killed_server_did_not_answer(tmp_path: Path) -> None:
    # The server is killed mid-file and restarted on its port; `neardup check` sends each failed check again
    # (backing off) and ends with one answer per line, in order, none of them an error.
    stored = [Article(f"s{i}", " ".join(f"s{i}w{j}" for j in range(150))) for i in range(50)]
    queries = [replace(stored[i % 50], id=f"q{i}") for i in range(3000)]  # each a copy of a stored article
    data, port = tmp_path / "data", free_port()
    server = ServerProcess(data, port=port).start()
    with server.client() as client:
        assert all(isinstance(o, Verdict) for o in client.index_stream(stored, batch=50))
    write_jsonl(queries, tmp_path / "q.jsonl")
    out = tmp_path / "out.jsonl"
    check = subprocess.Popen(
        [sys.executable, "-m", "client.cli", "check", str(tmp_path / "q.jsonl"), "--server", f"127.0.0.1:{port}",
         "--no-progress", "--output", str(out)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: out.exists() and out.stat().st_size > 40_000, timeout=120, what="some checks answered")
        server.kill9()
        server = ServerProcess(data, port=port).start()
        _, stderr = check.communicate(timeout=300)
        assert check.returncode == 0, stderr
        # It did lose its server, and said so once a round of retries, whole lines each naming a line (each of
        # the 8 checks in flight said each of its retries, some 40 lines, some run together on one line).
        retries = [line for line in stderr.splitlines() if "retry" in line]
        said = [re.fullmatch(r"neardup check: line [\d,]+ \(id 'q\d+'\): UNAVAILABLE: .*; sending it, and each "
                             r"check in flight that fails with it, again in \d+\.\ds \(retry (\d) of 8\)", line)
                for line in retries]  # fmt: skip
        assert retries and all(said), stderr
        assert [int(m.group(1)) for m in said if m] == list(range(1, len(retries) + 1)), stderr
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert [line["id"] for line in lines] == [q.id for q in queries]
        assert all(line["duplicate_of"] == f"s{i % 50}" for i, line in enumerate(lines)), stderr[-2000:]
    finally:
        check.kill()
        server.stop()


def _running(pids: set[int]) -> set[int]:
    return pids & {p for kids in running_children().values() for p in kids}


def test_sigkill_of_the_server_ends_its_fingerprint_workers(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", "--fingerprint-workers", "2").start()
    assert server.proc is not None
    helpers = descendants(server.proc.pid)  # the forkserver and the workers it forked
    assert len(helpers) >= 3, f"expected a forkserver and 2 workers under the server, found {helpers}"
    server.kill9()
    wait_for(lambda: not _running(helpers), timeout=30, what="the killed server's forkserver and workers to exit")


def test_serve_started_beside_another_service_package_forks_workers_with_its_own_code(tmp_path: Path) -> None:
    """The forkserver preloads the workers' code, and runs as `python -c`, its start directory first on its
    import path: started in the caller's, a `service` package there was imported in place of neardup's, and
    every worker failed (the start ended in a traceback, BrokenProcessPool)."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "service").mkdir(parents=True)
    (elsewhere / "service" / "__init__.py").write_text('raise RuntimeError("not neardup\'s service package")\n')
    server = ServerProcess(tmp_path / "data", "--fingerprint-workers", "2", cwd=elsewhere).start()
    try:
        assert server.proc is not None
        # The forkserver imported the fingerprinting code for the workers it forks (which keep its command line).
        lines = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                 for pid in descendants(server.proc.pid)]  # fmt: skip
        forked = [line for line in lines if "multiprocessing.forkserver" in line]  # (not the resource tracker)
        assert len(forked) >= 3 and all("'service.workers'" in line for line in forked), lines
        with server.client() as client:
            outcomes = list(client.index_stream([Article("a", WIRE), Article("b", SAME_EVENT_A)]))
        assert [(o.id, isinstance(o, Verdict) and o.outcome) for o in outcomes] == [("a", "new"), ("b", "new")]
    finally:
        server.stop()


def test_a_kill9_during_a_purge_leaves_each_article_whole_or_gone(tmp_path: Path) -> None:
    """DeleteArticles commits 100 ids a write: a SIGKILL between two writes keeps the writes before it whole,
    in SQLite and in the index rebuilt from the snapshot saved beside the writes and the removals since.
    (`delete_many` sends 1,000 ids a call: 30 writes in 3 calls, so the kill lands within the purge.)"""
    data = tmp_path / "data"
    articles = corpus.load("generated", 3000, republished=0.0)  # each a story of its own; 3 calls to delete
    ids = [a.id for a in articles]
    server = ServerProcess(data, "--index-snapshot-every", "1000").start()
    with server.client() as client:
        assert all(isinstance(v, Verdict) for v in client.index_stream(articles, batch=100))
        wait_for(lambda: index_snapshot_token(data / "neardup.db"), timeout=30, what="a save beside the writes")
    failed: list[NeardupClientError] = []

    def purge() -> None:
        with NeardupClient(server.target, timeout=None) as purger:
            try:
                purger.delete_many(ids)
            except NeardupClientError as exc:
                failed.append(exc)  # the server was killed under it: expected

    purger = threading.Thread(target=purge)
    purger.start()
    with server.client() as client:
        assert until(lambda: client.stats().articles < len(ids), timeout=60), "the purge deleted nothing"
    server.kill9()
    purger.join(timeout=60)
    assert failed, "the purge ended before the kill: nothing tested"
    restarted = ServerProcess(data).start()
    try:
        with restarted.client() as client:
            kept = [i for i in ids if _held(client, i)]
            gone = len(ids) - len(kept)
            # Whole writes of 100, in the call's order: the first `gone` ids, and no others.
            assert 100 <= gone < len(ids) and gone % 100 == 0 and kept == ids[gone:]
            assert client.stats().articles == len(kept)
            for n in (0, gone - 1, gone, len(ids) - 1):  # the index agrees with SQLite
                found = [m.id for m in client.check(replace(articles[n], id="probe")).matches]
                assert found == ([ids[n]] if n >= gone else []), (n, gone)
    finally:
        restarted.stop()


def _held(client: NeardupClient, article_id: str) -> bool:
    try:
        client.get(article_id)
    except NotFoundError:
        return False
    return True


def _killed_after_a_backup(tmp_path: Path, then: Callable[[NeardupClient], None]) -> tuple[Path, Path]:
    """A server that indexed a0 to a19, had its store copied by SQLite's online backup (as `sqlite3 neardup.db
    ".backup FILE"`) while it ran, then wrote what `then` sends, killed: its data directory and the backup."""
    data = tmp_path / "data"
    server = ServerProcess(data).start()
    backup = tmp_path / "backup.db"
    try:
        with server.client() as client:
            for i in range(20):
                client.index(Article(f"a{i}", body(i)))
            store = sqlite3.connect(f"file:{data / 'neardup.db'}?mode=ro", uri=True)
            with closing(store) as db, closing(sqlite3.connect(backup)) as copy:
                db.backup(copy)
            then(client)
    finally:
        server.kill9()
    return data, backup


def test_a_backup_restored_over_a_killed_servers_wal_is_refused_naming_the_wal_and_serves_once_it_is_removed(
    tmp_path: Path,
) -> None:
    """docs/ops.md, "Backup and restore". A server killed leaves neardup.db-wal and -shm; a backup put in place of
    neardup.db beside them has SQLite apply that log's pages, written after the backup, to the backup's file, and
    the start found the file damaged, its message saying to restore it from a backup: the step just done."""

    def many_writes(client: NeardupClient) -> None:
        # Enough for SQLite's automatic checkpoints (every 1,000 pages) to move the file past the backup and
        # start the log over: the pages left in it then belong to a later file than the backup's.
        outcomes = list(client.index_stream(Article(f"b{i}", body(i)) for i in range(1500)))
        assert all(isinstance(outcome, Verdict) for outcome in outcomes)

    data, backup = _killed_after_a_backup(tmp_path, many_writes)
    wal, shm = data / "neardup.db-wal", data / "neardup.db-shm"
    assert wal.exists() and shm.exists()
    (data / "neardup.db").write_bytes(backup.read_bytes())
    refused = subprocess.run([sys.executable, "-m", "client.cli", "serve", "--port", "0", "--data-dir", str(data)],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    assert (data / "neardup.db").read_bytes() == backup.read_bytes()  # (the refused start wrote nothing there)
    said = refused.stderr.splitlines()[-1]
    assert "if it was just restored from a backup, remove neardup.db-wal and neardup.db-shm beside it" in said
    wal.unlink()
    shm.unlink()
    _started_holding_the_first(data, 20)


def test_a_backup_restored_over_a_killed_servers_wal_of_few_writes_is_not_detected_and_undone(tmp_path: Path) -> None:
    """docs/ops.md, "Backup and restore", step 2: the server cannot always tell a removal of neardup.db-wal skipped.
    With few writes after the backup, the log still continues the backup's file: SQLite replays it onto the restored
    file, the start succeeds, and serves the articles written after the backup, the restore undone without a word
    (the docs said such a start always stopped with exit status 2). If this ever fails, the server tells: say so in
    the docs."""

    def few_writes(client: NeardupClient) -> None:
        for i in range(5):
            client.index(Article(f"b{i}", body(100 + i)))

    data, backup = _killed_after_a_backup(tmp_path, few_writes)
    assert (data / "neardup.db-wal").exists()
    (data / "neardup.db").write_bytes(backup.read_bytes())  # (step 2 skipped)
    restarted = ServerProcess(data).start()
    try:
        with restarted.client() as client:
            assert client.stats().articles == 25  # not the backup's 20
    finally:
        restarted.stop()


@pytest.mark.parametrize("lost", ["missing", "empty"])
def test_a_store_file_lost_beside_the_write_ahead_log_of_a_killed_server_is_refused_and_the_log_kept(
    tmp_path: Path, lost: str
) -> None:
    """A young store killed before SQLite copied its log into the file (no snapshot yet) has every article in
    neardup.db-wal alone. With neardup.db then deleted or emptied, a start made an empty store there, dropped the log
    and said only "index of 0 articles rebuilt": 200 acknowledged articles lost without a word (red team 9)."""
    data = tmp_path / "data"
    server = ServerProcess(data).start()
    try:
        with server.client() as client:
            assert all(
                isinstance(o, Verdict) for o in client.index_stream(Article(f"a{i}", body(i)) for i in range(40))
            )
    finally:
        server.kill9()
    store, wal = data / "neardup.db", data / "neardup.db-wal"
    assert not list(data.glob("index-snapshot-*.npz")), "a snapshot was saved: not the case tested"
    kept = store.read_bytes()
    logged = wal.read_bytes()
    assert len(logged) > len(kept)  # (the articles are in the log, not yet in the file)
    if lost == "missing":
        store.unlink()
    else:
        store.write_bytes(b"")
    refused = subprocess.run([sys.executable, "-m", "client.cli", "serve", "--port", "0", "--data-dir", str(data)],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    said = refused.stderr.splitlines()[-1]
    assert (
        f"the database file neardup.db was missing or empty, beside its write-ahead log neardup.db-wal of "
        f"{len(logged):,} bytes"
        in said
        and "remove neardup.db-wal and neardup.db-shm first" in said
    )
    assert wal.read_bytes() == logged  # (the log, the articles' one copy, as it was)
    assert store.exists() == (lost == "empty") and (not store.exists() or store.stat().st_size == 0)
    store.write_bytes(kept)  # put back, as the message says
    _started_holding_the_first(data, 40)
