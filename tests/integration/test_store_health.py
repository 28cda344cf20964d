"""The service's health (readiness) follows the store: NOT_SERVING while it does not answer, SERVING again
once it does, so that a load balancer or a readiness probe sends callers to a replica that can serve them.
The server's own health (liveness) stays SERVING: a restart would not bring the store back. The embedded
store's file removed or replaced under the server is NOT_SERVING too, and its writes are refused."""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.corpus import GeneratorConfig, generated
from benchmarks.loopback import RedisServer, wait_for
from client import Article, DataLossError, NeardupClient, NeardupClientError, UnavailableError
from service.grpc_server import SERVICE_NAME
from service.redis_store import RedisStore
from service.settings import DetectionParams
from tests.articles import SAME_EVENT_A, WIRE
from tests.support import in_process_server, scrape

_ANSWERS = ("neardup_store_answers", ())
_UNDER = r"\(is --data-dir .*\) under the running server"


def test_health_says_not_serving_while_redis_is_down_and_serving_once_it_is_back(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    try:
        overrides = {"store": "redis", "redis_url": redis.url, "store_check_seconds": 0.1}
        with in_process_server(tmp_path / "data", health_port=0, metrics_port=0, **overrides) as (running, client):
            probe = NeardupClient(f"127.0.0.1:{running.health_port}", timeout=5)
            assert running.metrics_port is not None
            assert client.index(Article("kept", WIRE)).id == "kept"
            assert probe.health(SERVICE_NAME) == "SERVING" and scrape(running.metrics_port)[_ANSWERS] == 1

            redis.stop()
            wait_for(lambda: probe.health(SERVICE_NAME) == "NOT_SERVING", what="readiness to say NOT_SERVING")
            assert client.health(SERVICE_NAME) == "NOT_SERVING"  # the main port says the same
            assert probe.health() == "SERVING"  # the server's own (liveness): restarting it would not help
            assert scrape(running.metrics_port)[_ANSWERS] == 0
            with pytest.raises(UnavailableError, match="redis-server is running"):
                client.get("kept")

            redis.start()  # same append-only file: what was acknowledged is there
            wait_for(lambda: probe.health(SERVICE_NAME) == "SERVING", what="readiness to say SERVING again")
            assert scrape(running.metrics_port)[_ANSWERS] == 1
            assert client.get("kept").article.body == WIRE
            probe.close()
    finally:
        redis.stop()


def test_a_server_started_while_redis_is_down_says_not_serving_from_the_start(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis")  # (a free port, nothing listening yet)
    overrides = {"store": "redis", "redis_url": redis.url, "store_check_seconds": 0.1}
    with in_process_server(tmp_path / "data", **overrides) as (_running, client):
        assert client.health(SERVICE_NAME) == "NOT_SERVING" and client.health() == "SERVING"
        redis.start()
        try:
            wait_for(lambda: client.health(SERVICE_NAME) == "SERVING", what="readiness once Redis answers")
            assert client.index(Article("first", WIRE)).id == "first"
        finally:
            redis.stop()


def test_the_embedded_store_serves_and_a_store_check_of_zero_never_asks(tmp_path: Path) -> None:
    with in_process_server(tmp_path / "a", metrics_port=0) as (running, client):
        assert running.store_watch is not None and running.metrics_port is not None
        assert client.health(SERVICE_NAME) == "SERVING" and scrape(running.metrics_port)[_ANSWERS] == 1
    with in_process_server(tmp_path / "b", store_check_seconds=0) as (running, client):
        assert running.store_watch is None
        assert client.health(SERVICE_NAME) == client.health() == "SERVING"


def test_a_store_file_moved_away_is_not_serving_and_refuses_calls_until_it_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    db, away = data / "neardup.db", tmp_path / "away.db"
    with in_process_server(data, store_check_seconds=0.05) as (_running, client):
        assert client.index(Article("kept", WIRE)).id == "kept"
        db.rename(away)
        wait_for(lambda: client.health(SERVICE_NAME) == "NOT_SERVING", what="readiness once the file went")
        with pytest.raises(UnavailableError, match=f"the store file {re.escape(str(db))} was removed " + _UNDER):
            client.index(Article("refused", SAME_EVENT_A))
        with pytest.raises(UnavailableError, match=_UNDER):
            client.get("kept")  # (SQLite failed some such reads "disk I/O error", answered INTERNAL)

        other = tmp_path / "other.db"
        sqlite3.connect(other).close()
        other.rename(db)  # another file where the store was
        with pytest.raises(
            UnavailableError,
            match=f"the store file {re.escape(str(db))} was replaced by another file under the running server",
        ):
            client.index(Article("refused", SAME_EVENT_A))
        wait_for(lambda: "was replaced by another file" in _said(caplog, "service.store_watch")[-1],
                 what="the watch to say the new reason")  # fmt: skip
        assert client.health(SERVICE_NAME) == "NOT_SERVING"

        away.rename(db)  # the file back: the server writes into a file a start finds again
        wait_for(lambda: client.health(SERVICE_NAME) == "SERVING", what="readiness once the file is back")
        assert client.index(Article("after", SAME_EVENT_A)).id == "after"
    said = _said(caplog, "service.store_watch", "ERROR")
    assert len(said) == 2 and said[0].startswith("health reports NOT_SERVING until the store answers: the store file")
    assert re.search(_UNDER, said[0]) and "for another reason now: the store file" in said[1]
    assert "was replaced by another file" in said[1]
    with in_process_server(data) as (_running, client):  # what was acknowledged is in the store's file
        assert client.stats().articles == 2 and client.get("after").article.body == SAME_EVENT_A


def test_a_data_dir_deleted_under_the_server_is_said_and_not_written_again_at_close(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    with in_process_server(data, store_check_seconds=0.05) as (_running, client):
        assert client.index(Article("kept", WIRE)).id == "kept"
        shutil.rmtree(data)
        wait_for(lambda: client.health(SERVICE_NAME) == "NOT_SERVING", what="readiness once the directory went")
        writes: list[tuple[Callable[[], object], str]] = [
            (lambda: client.index(Article("refused", SAME_EVENT_A)), "nothing of the batch was stored"),
            (lambda: client.delete("kept"), "the article was not deleted"),
            (lambda: client.delete_many(["kept"]), "none of the ids named was deleted"),
        ]
        for write, not_done in writes:
            with pytest.raises(UnavailableError, match=_UNDER) as refused:
                write()
            # Each says what it did not do, after the store's own steps, and not "send … again": sent again before
            # an operator acts, it is refused again.
            assert refused.value.details.endswith(f"send again what was written since that backup: {not_done}")
    assert not data.exists()  # (the close saved no snapshot where no start would find it)
    closing = [r.getMessage() for r in caplog.records if r.name == "service.sqlite_store"]
    assert any(m.startswith("the store closed without saving its index: the store file") for m in closing)
    assert not any("the next start replays more or rebuilds" in m for m in closing)  # (there is no next start)


def _backup_by_another_process(db: Path, to: Path) -> None:
    """SQLite's online backup, taken by another process beside the server as docs/ops.md's `sqlite3 … ".backup …"`."""
    script = "import sqlite3, sys; a, b = map(sqlite3.connect, sys.argv[1:]); a.backup(b); b.close(); a.close()"
    subprocess.run([sys.executable, "-c", script, str(db), str(to)], check=True, timeout=60)


def test_a_backup_copied_over_the_running_servers_file_is_noticed_by_the_next_write_and_nothing_is_acknowledged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`cp backup neardup.db` rewrites the file in place (the same inode): the check of the file's identity passes,
    and the server went on acknowledging writes into a file a start then refused as damaged."""
    data, backup = tmp_path / "data", tmp_path / "backup.db"
    db = data / "neardup.db"
    corpus = [Article(a.id, a.body) for a in generated(1500, GeneratorConfig(words=300, republished=0.2, seed=5))]
    with in_process_server(data, store_check_seconds=0) as (_running, client):  # (no watch: the write notices)
        assert len(list(client.index_stream(corpus[:500], batch=100))) == 500
        _backup_by_another_process(db, backup)
        size = db.stat().st_size
        # Neither the backup nor the server's own checkpoints (which write the file) are taken for a rewrite.
        assert len(list(client.index_stream(corpus[500:], batch=100))) == 1000
        assert db.stat().st_size > size, "no checkpoint wrote the store's file"
        inode = db.stat().st_ino
        shutil.copyfile(backup, db)  # (as cp does: the same file, truncated and written again)
        assert db.stat().st_ino == inode
        with pytest.raises(DataLossError, match=f"the store file {re.escape(str(db))} was rewritten in place") as no:
            client.index(Article("after", SAME_EVENT_A))
        assert not no.value.retryable and "Stop the server" in no.value.details
        assert "remove neardup.db-wal and neardup.db-shm, copy the backup in place again" in no.value.details
        with pytest.raises(DataLossError, match="was rewritten in place"):  # (what memory holds is not in the file)
            client.get(corpus[0].id)
        with pytest.raises(DataLossError, match="was rewritten in place"):
            client.delete(corpus[0].id)
    said = _said(caplog, "service.sqlite_store", "ERROR")
    assert len([m for m in said if "was rewritten in place" in m]) == 2  # (once found, once at the close)
    assert said[-1].startswith("the store closed without saving its index: the store file")


def test_a_backup_copied_over_the_running_servers_file_is_not_serving_at_the_next_store_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data, backup = tmp_path / "data", tmp_path / "backup.db"
    db = data / "neardup.db"
    with in_process_server(data, store_check_seconds=0.05) as (_running, client):
        assert client.index(Article("kept", WIRE)).id == "kept"
        _backup_by_another_process(db, backup)
        assert client.index(Article("later", SAME_EVENT_A)).id == "later"
        shutil.copyfile(backup, db)
        wait_for(lambda: client.health(SERVICE_NAME) == "NOT_SERVING", what="readiness once the file was rewritten")
        assert client.health() == "SERVING"  # (liveness)
        for call in (lambda: client.get("kept"), client.stats):
            with pytest.raises(DataLossError, match="was rewritten in place under the running server"):
                call()
    watched = _said(caplog, "service.store_watch")
    assert len(watched) == 1 and "was rewritten in place" in watched[0]


def test_a_server_started_while_redis_is_down_says_why_it_stays_not_serving_once_redis_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    try:
        RedisStore(redis.url, DetectionParams()).close()  # an index of seed 1, kept in the append-only file
        redis.stop()
        caplog.set_level(logging.INFO)
        overrides = {"store": "redis", "redis_url": redis.url, "store_check_seconds": 0.1}
        with in_process_server(tmp_path / "data", detection=DetectionParams(seed=9), **overrides) as (_r, client):
            at_start = [r.getMessage() for r in caplog.records if r.name == "service.redis_store"]
            assert len(at_start) == 1 and "could not be used at start (ConnectionError" in at_start[0]
            assert "by this call" not in at_start[0] and "first request" not in at_start[0]
            assert client.health(SERVICE_NAME) == "NOT_SERVING"

            redis.start()
            wait_for(lambda: "for another reason now" in caplog.text, what="the watch to say the new reason")
            said = [r.getMessage() for r in caplog.records if r.name == "service.store_watch"]
            assert said[0].startswith("health reports NOT_SERVING until the store answers: the shared Redis store")
            assert "is not answering" in said[0]
            assert said[1].startswith("health still reports NOT_SERVING, for another reason now: the Redis index")
            assert "seed: Redis index has 1, settings say 9" in said[1]
            assert client.health(SERVICE_NAME) == "NOT_SERVING"
            with pytest.raises(NeardupClientError, match="FAILED_PRECONDITION"):
                client.get("any")
            assert len([r for r in caplog.records if r.name == "service.store_watch"]) == 2  # (said once each)
    finally:
        redis.stop()


def _said(caplog: pytest.LogCaptureFixture, logger: str, level: str = "DEBUG") -> list[str]:
    """What `logger` logged at `level` or above, in order."""
    least = logging.getLevelName(level)
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno >= least]
