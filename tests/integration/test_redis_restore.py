"""Redis given another copy of the index under running servers: an older one (a snapshot or backup restored,
a failover to a lagging replica) loses the writes acknowledged since, and every server must say so."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from benchmarks.loopback import RedisServer, wait_for
from client import Article, NeardupClient
from tests.redis_support import synthetic_articles
from tests.support import in_process_server

_CHECK_SECONDS = 0.1  # --store-check-seconds of the servers under test


def _articles(count: int, seed: int, prefix: str) -> list[Article]:
    return [Article(a.id, a.body, a.title, a.source) for a in synthetic_articles(count, seed=seed, prefix=prefix)]


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "service.redis_store" and r.levelno >= logging.ERROR]


@contextmanager
def _two_servers(
    tmp_path: Path, redis_url: str, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[NeardupClient, NeardupClient]]:
    """Two servers sharing the Redis index at `redis_url`, checking it every _CHECK_SECONDS, what they say of it
    captured for `_errors`: their clients."""
    with (
        caplog.at_level(logging.ERROR, logger="service.redis_store"),
        in_process_server(tmp_path / "a", store="redis", redis_url=redis_url,
                          store_check_seconds=_CHECK_SECONDS) as (_ra, a),
        in_process_server(tmp_path / "b", store="redis", redis_url=redis_url,
                          store_check_seconds=_CHECK_SECONDS) as (_rb, b),
    ):  # fmt: skip
        yield a, b


def test_every_server_says_when_redis_goes_back_to_an_older_copy_of_the_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis persisting by RDB snapshots only, killed after writes it had not saved: it comes back on the last
    snapshot. Before, nd:epoch was unchanged, so no server said anything: the stats just counted fewer articles."""
    server = RedisServer(tmp_path / "redis", "--appendonly", "no").start()  # (RDB: SAVE writes dump.rdb)
    saved, unsaved = _articles(4, seed=31, prefix="saved"), _articles(4, seed=32, prefix="unsaved")
    try:
        with _two_servers(tmp_path, server.url, caplog) as (a, b):
            for article in saved:
                a.index(article)
            redis.Redis(host="127.0.0.1", port=server.port).save()
            for article in unsaved[:-1]:
                a.index(article)
            b.index(unsaved[-1])  # (each server has written since the snapshot: each saw nd:seq past it)
            kept = b.stats().articles
            assert kept == a.stats().articles and kept > len(saved)
            assert _errors(caplog) == []

            server.restart()  # (killed: it loads the snapshot)
            wait_for(lambda: len(_errors(caplog)) >= 2, timeout=10, what="both servers to say the index went back")
            said = _errors(caplog)
            assert len(said) == 2, said
            assert any("went back to an older state" in m and "send them again" in m for m in said), said
            assert all("went back to an older state" in m or "was replaced" in m for m in said), said
            assert a.stats().articles == b.stats().articles < kept

            for article in unsaved:  # sent again, as the log says: stored again, and nothing more is said
                b.index(article)
            assert a.stats().articles == kept
            assert len(_errors(caplog)) == 2, _errors(caplog)
    finally:
        server.stop()


def test_an_index_put_back_under_running_servers_is_said_replaced_with_what_it_holds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis restarted on an empty data directory (the index gone: a server records it anew, under a new
    identity), then on its own again. Before, both servers said of the index put back that it "is gone (its
    identity nd:epoch changed, drawn anew by another server that found it gone …)" and that they went on with
    an empty index: no server drew that identity, and the index held every article."""
    own = RedisServer(tmp_path / "redis").start()
    empty = RedisServer(tmp_path / "empty", port=own.port)
    stored = _articles(4, seed=33, prefix="kept")
    try:
        with _two_servers(tmp_path, own.url, caplog) as (a, b):
            for article in stored:
                a.index(article)
            count = b.stats().articles
            own.stop()
            empty.start()
            wait_for(lambda: len(_errors(caplog)) >= 2, timeout=10, what="both servers to find the index gone")
            assert a.stats().articles == 0
            empty.stop()
            own.start()
            wait_for(lambda: len(_errors(caplog)) >= 4, timeout=10, what="both servers to find the index replaced")
            said = _errors(caplog)[2:]
            assert len(said) == 2 and all("was replaced" in m and f"It holds {count} articles now" in m
                                          for m in said), said  # fmt: skip
            assert not any("empty index" in m or "drawn anew" in m for m in said), said
            assert a.stats().articles == b.stats().articles == count
    finally:
        empty.stop()
        own.stop()
