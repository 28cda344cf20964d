"""--redis-wait-replicas: a write is acknowledged only once that many Redis replicas hold it.

Real redis-server primaries and Redis replicas on loopback. A replica is made to lag by freezing its
process (SIGSTOP): it stays connected but acknowledges nothing, as a replica on a stalled machine."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import redis

from benchmarks.loopback import RedisServer, redis_cluster, redis_with_replica, role
from client import Article as ClientArticle
from client.errors import UnavailableError
from service.detector import Detector
from service.engine import Engine
from service.errors import NotFound, Unavailable
from service.model import Article
from service.redis_store import RedisStore, article_key
from service.settings import DetectionParams
from tests import support
from tests.redis_support import synthetic_articles
from tests.support import in_process_server

PARAMS = DetectionParams()
DETECTOR = Detector(PARAMS, 1 << 20)
# --redis-wait-seconds: long enough for a replica that answers to confirm a write on a loaded host (at 0.3 s one did
# not, in a CI run beside other work, and a write that had to be acknowledged was refused); a frozen replica makes
# each refused call take it all.
WAIT = 2.0


def frozen(server: RedisServer) -> AbstractContextManager[None]:
    assert server.proc is not None
    return support.frozen(server.proc.pid)


def on(server: RedisServer, article: Article) -> bool:
    with redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=2) as r:
        return bool(r.exists(article_key(article.id)))


def new_stories(count: int, seed: int) -> list[Article]:
    return [a for a in synthetic_articles(count * 3, seed=seed) if a.title][:count]


def test_acknowledged_only_once_a_redis_replica_holds_it_and_kept_when_none_confirms(tmp_path: Path) -> None:
    first, second, third = new_stories(3, seed=21)
    with redis_with_replica(tmp_path) as (primary, replica):
        waiting = Engine(DETECTOR, RedisStore(primary.url, PARAMS, wait_replicas=1, wait_seconds=WAIT))
        not_waiting = Engine(DETECTOR, RedisStore(primary.url, PARAMS))
        try:
            assert waiting.index(DETECTOR.prepare(first), timeout=30).id == first.id
            assert on(replica, first)  # at the acknowledgement, not eventually
            with frozen(replica):
                started = time.monotonic()
                with pytest.raises(Unavailable, match=r"only 0 of the 1 Redis replicas required \(--redis-wait-"):
                    waiting.index(DETECTOR.prepare(second), timeout=30)
                assert time.monotonic() - started < WAIT + 8  # the wait is bounded by --redis-wait-seconds
                assert on(primary, second)  # kept on the primary: the retry must not lose or repeat it
                # Without the setting, the same lagging replica does not hold an acknowledgement back.
                assert not_waiting.index(DETECTOR.prepare(third), timeout=30).id == third.id
            retried = waiting.index(DETECTOR.prepare(second), timeout=30)  # nothing to write: it waits all the same
            assert retried.id == second.id and retried.duplicate_of is None
            assert on(replica, second)
            assert waiting.stats().articles == 3
        finally:
            waiting.close()
            not_waiting.close()


def test_on_a_cluster_every_primary_is_waited_for(tmp_path: Path) -> None:
    stories = new_stories(2, seed=22)
    with redis_cluster(tmp_path / "cluster", nodes=3, replicas=1) as servers:
        replicas = [s for s in servers if role(s) == "slave"]
        assert len(replicas) == 3
        store = RedisStore(servers[0].url, PARAMS, wait_replicas=1, wait_seconds=WAIT)
        engine = Engine(DETECTOR, store)
        try:
            assert engine.index(DETECTOR.prepare(stories[0]), timeout=30).id == stories[0].id
            acks = [_acks(s) for s in servers if role(s) == "master"]
            assert all(len(a) == 1 for a in acks), acks  # each primary got its write and its WAIT
            for replica in replicas:  # whichever primary holds the article, each one's replica must answer
                with frozen(replica), pytest.raises(Unavailable, match="only 0 of the 1 Redis replicas"):
                    engine.index(DETECTOR.prepare(stories[1]), timeout=30)
            assert engine.index(DETECTOR.prepare(stories[1]), timeout=30).id == stories[1].id
            assert store.audit() == []
        finally:
            engine.close()


def test_waiting_for_more_redis_replicas_than_there_are_is_refused_each_time(tmp_path: Path) -> None:
    (story,) = new_stories(1, seed=23)
    with redis_with_replica(tmp_path) as (primary, _):
        engine = Engine(DETECTOR, RedisStore(primary.url, PARAMS, wait_replicas=2, wait_seconds=WAIT))
        try:
            for _ in range(2):
                with pytest.raises(Unavailable, match="only 1 of the 2 Redis replicas required"):
                    engine.index(DETECTOR.prepare(story), timeout=30)
            assert engine.get(story.id).article.body == story.body  # stored once, on the primary
            with pytest.raises(Unavailable, match="only 1 of the 2"):
                engine.delete(story.id)
            with pytest.raises(NotFound):  # deleted on the primary: a retried delete answers NOT_FOUND
                engine.get(story.id)
        finally:
            engine.close()


def test_the_server_answers_unavailable_with_what_to_do(tmp_path: Path) -> None:
    (story,) = new_stories(1, seed=24)
    with redis_with_replica(tmp_path) as (primary, replica):
        settings = {"store": "redis", "redis_url": primary.url, "redis_wait_replicas": 1, "redis_wait_seconds": WAIT}
        with in_process_server(tmp_path / "data", **settings) as (_, client):
            sent = ClientArticle(story.id, story.body, story.title)
            with frozen(replica), pytest.raises(UnavailableError, match=r"--redis-wait-replicas.*retry"):
                client.index(sent)
            assert client.index(sent).id == story.id  # the retry, once the replica answers
            assert on(replica, story)


def _acks(server: RedisServer) -> list[bytes]:
    with redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=2) as r:
        return list(r.scan_iter(match=b"nd:ack*"))
