"""A new version or a takedown sent to one replica while another replica sharing the Redis store holds an older
version of its id, read from a stream and not yet decided (service/holds.py).

Behind a load balancer a correction mostly reaches another replica than the stream that sent the old version: it
was stored at once, and the replica holding the old version stored that over it (the correction lost, a deleted
article back, every call answered OK). Two in-process servers on one real redis-server, A's writer held."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.loopback import free_port
from client import Article, DeadlineExceededError, NeardupClient, NotFoundError
from service.engine import Engine
from service.grpc_server import RunningServer
from service.holds import ReplicaHolds
from service.redis_store import RedisStore, held_key
from service.settings import DetectionParams
from tests.articles import OTHER_WITH_APPEAL
from tests.integration.test_index_order import (
    NEW,
    OLD,
    WAIT,
    record_submissions,
    stream_in_background,
    take_down_in_background,
    writer_held,
)
from tests.redis_support import cleared_index_url
from tests.support import SERVER_ANSWERS_DEADLINE, in_process_server, until

PARAMS = DetectionParams()
Replica = tuple[RunningServer, NeardupClient]


@pytest.fixture(params=["standalone", "cluster"])
def any_url(request: pytest.FixtureRequest) -> str:
    return cleared_index_url(request, db=4)


@pytest.fixture(params=["standalone"])
def standalone_url(request: pytest.FixtureRequest) -> str:
    return cleared_index_url(request, db=4)


@pytest.fixture
def watcher(standalone_url: str) -> Iterator[RedisStore]:
    """A store of its own on the index: sees the holds of both replicas as another replica's."""
    store = RedisStore(standalone_url, PARAMS)
    yield store
    store.close()


@pytest.fixture
def replicas(tmp_path: Path, standalone_url: str) -> Iterator[tuple[Replica, Replica]]:
    with (
        in_process_server(tmp_path / "a", store="redis", redis_url=standalone_url) as a,
        in_process_server(tmp_path / "b", store="redis", redis_url=standalone_url) as b,
    ):
        yield a, b


def record_waits_elsewhere(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids calls to this replica began to wait for in other replicas."""
    waited: list[str] = []
    wait = engine.holds.wait_elsewhere

    def recording(article_ids: Iterable[str], timeout: float | None, active: Any) -> bool:
        article_ids = list(article_ids)
        waited.extend(article_ids)
        return wait(article_ids, timeout, active)

    monkeypatch.setattr(engine.holds, "wait_elsewhere", recording)
    return waited


def hold_the_old_version(a: Replica, watcher: RedisStore, monkeypatch: pytest.MonkeyPatch) -> threading.Thread:
    """(Inside `writer_held(A)`) a stream to A with the story's old version, queued behind the held write, and A's
    hold of it told to the store."""
    running, client = a
    submitted = record_submissions(running.engine, monkeypatch)
    stream = stream_in_background(client, [Article("first", OTHER_WITH_APPEAL), Article("story", OLD)])
    assert until(lambda: ("story", False) in submitted and watcher.held_elsewhere(["story"]) == {"story"}, WAIT)
    return stream


# ---- two replicas -----------------------------------------------------------------------------------


def test_a_correction_sent_to_another_replica_is_stored_after_the_version_a_stream_holds(
    replicas: tuple[Replica, Replica], watcher: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, (b, client_b) = replicas
    waited = record_waits_elsewhere(b.engine, monkeypatch)
    with writer_held(a[0].engine, monkeypatch):
        stream = hold_the_old_version(a, watcher, monkeypatch)
        answers: list[Any] = []
        alone = threading.Thread(target=lambda: answers.append(client_b.index(Article("story", NEW))))
        alone.start()
        assert until(lambda: "story" in waited or not alone.is_alive(), WAIT)
    alone.join(WAIT)
    stream.join(WAIT)
    assert [answer.id for answer in answers] == ["story"]
    # (before: OLD on both, A's writer storing the old version over the correction B had stored at once)
    assert a[1].get("story").article.body == NEW
    assert client_b.get("story").article.body == NEW
    assert until(lambda: not watcher.held_elsewhere(["first", "story"]), WAIT)  # A let go once it decided them


@pytest.mark.parametrize("one_call", [True, False], ids=["DeleteArticle", "DeleteArticles"])
def test_a_takedown_sent_to_another_replica_is_not_undone_by_the_version_a_stream_holds(
    replicas: tuple[Replica, Replica], watcher: RedisStore, monkeypatch: pytest.MonkeyPatch, one_call: bool
) -> None:
    a, (b, client_b) = replicas
    waited = record_waits_elsewhere(b.engine, monkeypatch)
    with writer_held(a[0].engine, monkeypatch):
        stream = hold_the_old_version(a, watcher, monkeypatch)
        takedown, deleted = take_down_in_background(client_b, "story", one_call)
        assert until(lambda: "story" in waited or not takedown.is_alive(), WAIT)
    takedown.join(WAIT)
    stream.join(WAIT)
    assert deleted == [True]  # stored by A by then, and deleted (before: not found, nothing deleted)
    for client in (a[1], client_b):
        with pytest.raises(NotFoundError):
            client.get("story")  # (before: stored by A after the delete)


def test_a_correction_to_another_replica_whose_deadline_passes_while_a_stream_holds_the_old_version_stores_nothing(
    replicas: tuple[Replica, Replica], watcher: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, (b, client_b) = replicas
    submitted_b = record_submissions(b.engine, monkeypatch)
    with writer_held(a[0].engine, monkeypatch):
        stream = hold_the_old_version(a, watcher, monkeypatch)
        with (
            NeardupClient(f"127.0.0.1:{b.port}", timeout=SERVER_ANSWERS_DEADLINE) as hasty,
            pytest.raises(DeadlineExceededError, match="earlier version of this article") as refused,
        ):
            hasty.index(Article("story", NEW))
        assert "another replica" in str(refused.value) and "was not stored" in str(refused.value)
    stream.join(WAIT)
    assert client_b.get("story").article.body == OLD  # (before: answered OK at once, then overwritten: OLD too)
    assert ("story", True) not in submitted_b  # never handed to B's writer


def test_a_call_to_another_replica_for_another_id_does_not_wait(
    replicas: tuple[Replica, Replica], watcher: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, (_b, client_b) = replicas
    with writer_held(a[0].engine, monkeypatch):
        stream = hold_the_old_version(a, watcher, monkeypatch)
        assert client_b.index(Article("other", NEW)).id == "other"  # answered while A still holds the story
        client_b.delete("other")
        assert watcher.held_elsewhere(["story", "other"]) == {"story"}
    stream.join(WAIT)
    assert client_b.get("story").article.body == OLD


# ---- the holds in the store -----------------------------------------------------------------------------


def test_each_replica_counts_its_own_holds_and_sees_only_the_others(any_url: str) -> None:
    a, b = RedisStore(any_url, PARAMS), RedisStore(any_url, PARAMS)
    try:
        a.hold({"x": 2, "y": 1})
        assert a.held_elsewhere(["x", "y", "z"]) == set()  # (its own)
        assert b.held_elsewhere(["x", "y", "z"]) == {"x", "y"}
        b.hold({"x": 1})
        a.hold({"x": 0})  # let go of x: b still holds it, y is still a's
        assert a.held_elsewhere(["x", "y"]) == {"x"}
        assert b.held_elsewhere(["x", "y"]) == {"y"}
        a.hold({"y": 0})
        b.hold({"x": 0})
        assert a.held_elsewhere(["x", "y"]) == b.held_elsewhere(["x", "y"]) == set()
        assert a.run([("EXISTS", held_key("x")), ("EXISTS", held_key("y"))]) == [0, 0]  # (no key left behind)
    finally:
        a.close()
        b.close()


def test_a_hold_not_told_again_lapses(standalone_url: str) -> None:
    # (a replica killed while holding an id must not block corrections of it for ever)
    dying, other = RedisStore(standalone_url, PARAMS, hold_ms=300), RedisStore(standalone_url, PARAMS)
    try:
        dying.hold({"x": 1})
        assert other.held_elsewhere(["x"]) == {"x"}
        assert until(lambda: not other.held_elsewhere(["x"]), WAIT)
    finally:
        dying.close()
        other.close()


def test_a_replica_lets_go_of_what_it_still_holds_when_it_closes(watcher: RedisStore, standalone_url: str) -> None:
    store = RedisStore(standalone_url, PARAMS)
    holds = ReplicaHolds(store)
    try:
        holds.read(["x", "y"])  # (read, never decided)
        assert until(lambda: watcher.held_elsewhere(["x", "y"]) == {"x", "y"}, WAIT)
        holds.close()
        assert watcher.held_elsewhere(["x", "y"]) == set()
    finally:
        holds.close()
        store.close()


def test_a_hold_redis_refuses_fails_no_stream_and_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", PARAMS)  # (nothing listens: the store starts anyway)
    holds = ReplicaHolds(store)
    try:
        with caplog.at_level(logging.WARNING, logger="service.holds"):
            request = holds.read(["x"])  # (the reader does not wait for Redis)
            request.stop_following()
            holds.read(["y"])
            assert until(lambda: "could not tell the other replicas" in caplog.text, WAIT)
        assert caplog.text.count("could not tell the other replicas") == 1
        assert "more such failures" not in caplog.text  # (the first line: it said "0 more such failures")
    finally:
        holds.close()
        store.close()
