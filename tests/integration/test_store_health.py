"""The service's health (readiness) follows the store: NOT_SERVING while it does not answer, SERVING again
once it does, so that a load balancer or a readiness probe sends callers to a replica that can serve them.
The server's own health (liveness) stays SERVING: a restart would not bring the store back."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.loopback import RedisServer, wait_for
from client import Article, NeardupClient, UnavailableError
from service.grpc_server import SERVICE_NAME
from tests.articles import WIRE
from tests.support import in_process_server, scrape

_ANSWERS = ("neardup_store_answers", ())


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
