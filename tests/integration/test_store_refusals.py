"""An article the server could not store just now (its Redis store full) is sent again by a client told to
retry, instead of coming back as one error line among thousands for the length of the outage; and the
server's log says such refusals once an interval, not once a batch."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
import redis

from benchmarks.loopback import RedisServer, redis_server
from client import (
    Article,
    ArticleFailure,
    FailedPreconditionError,
    NeardupClient,
    ResourceExhaustedError,
    Retry,
    Verdict,
)
from service.detector import Detector
from service.engine import Engine
from service.errors import Unavailable
from service.model import Article as ModelArticle
from service.redis_store import RedisStore
from service.settings import DetectionParams
from tests.redis_support import synthetic_articles
from tests.support import in_process_server

_FAST = Retry(attempts=3, first_wait=0.01, max_wait=0.05)  # (a real back-off, kept short for the test)


@pytest.fixture
def full_redis(tmp_path: Path) -> Iterator[tuple[NeardupClient, redis.Redis]]:
    """A server on a Redis that has room for about a hundred of the test's articles, then refuses writes."""
    with redis_server(tmp_path / "redis") as store:
        admin = redis.Redis(host="127.0.0.1", port=store.port)
        with in_process_server(tmp_path / "data", store="redis", redis_url=store.url) as (_running, client):
            admin.config_set("maxmemory", int(admin.info("memory")["used_memory"]) + (1 << 20))
            yield client, admin
        admin.close()


def _articles(count: int) -> list[Article]:
    return [Article(a.id, a.body, a.title, a.source) for a in synthetic_articles(count, seed=11)[:count]]


@pytest.mark.parametrize("batch", [1, 64])
def test_articles_refused_while_the_store_is_full_are_sent_again_once_it_has_room(
    full_redis: tuple[NeardupClient, redis.Redis], batch: int
) -> None:
    client, admin = full_redis
    articles = _articles(1000)
    retries: list[tuple[grpc.StatusCode, int]] = []

    def make_room(error: Exception, unanswered: int, _wait: float) -> None:
        assert isinstance(error, ResourceExhaustedError)
        retries.append((error.code, unanswered))
        admin.config_set("maxmemory", 0)

    outcomes = list(client.index_stream(articles, batch=batch, retry=_FAST, on_retry=make_room))
    assert retries and retries[0][0] == grpc.StatusCode.RESOURCE_EXHAUSTED, "Redis was expected to fill up"
    assert 0 < retries[0][1] < len(articles)  # (some were stored before it filled up, and were not resent)
    assert [o.id for o in outcomes] == [a.id for a in articles]  # each once, in order
    assert [o for o in outcomes if not isinstance(o, Verdict)] == []
    assert client.stats().articles == len(articles)


def test_without_retry_each_refusal_is_that_article_answer_and_the_stream_goes_on(
    full_redis: tuple[NeardupClient, redis.Redis],
) -> None:
    client, _admin = full_redis
    articles = _articles(1000)
    outcomes = list(client.index_stream(articles, batch=64))
    refused = [o for o in outcomes if isinstance(o, ArticleFailure)]
    assert [o.id for o in outcomes] == [a.id for a in articles]
    assert refused and all(isinstance(o.error, ResourceExhaustedError) for o in refused)
    assert client.stats().articles == len(articles) - len(refused)


def test_a_store_that_stays_full_ends_the_stream_with_its_error_after_the_retries(
    full_redis: tuple[NeardupClient, redis.Redis],
) -> None:
    client, _admin = full_redis
    articles = _articles(1000)
    answered: list[Verdict | ArticleFailure] = []
    retries: list[int] = []
    with pytest.raises(ResourceExhaustedError, match="is out of memory"):
        answered.extend(client.index_stream(articles, batch=64, retry=_FAST, on_retry=lambda *_: retries.append(1)))
    assert len(retries) == _FAST.attempts
    assert answered and all(isinstance(o, Verdict) for o in answered)  # (what was stored before it filled up)
    assert [o.id for o in answered] == [a.id for a in articles[: len(answered)]]
    assert client.stats().articles == len(answered)


def test_an_index_a_server_must_not_write_to_is_failed_precondition_and_not_retried(tmp_path: Path) -> None:
    """Redis emptied under a running server, then a server of other parameters records its own index there:
    the first server refuses writes FAILED_PRECONDITION (docs/redis.md), which had no client class: callers
    caught it as a bare NeardupClientError."""
    other = replace(DetectionParams(), num_perm=64, lsh_bands=16, lsh_rows=4)
    with (
        redis_server(tmp_path / "redis") as store,
        in_process_server(tmp_path / "data", store="redis", redis_url=store.url) as (_running, client),
    ):
        first, late = _articles(2)
        client.index(first)
        redis.Redis(host="127.0.0.1", port=store.port).flushall()
        RedisStore(store.url, other).close()  # (the first to record its parameters now)
        with pytest.raises(FailedPreconditionError, match="num_perm: Redis index has 64") as refused:
            client.index(late)
    assert refused.value.code == grpc.StatusCode.FAILED_PRECONDITION and not refused.value.retryable


def test_batches_refused_while_the_store_is_down_are_logged_once_an_interval_not_once_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = RedisServer(tmp_path / "redis")  # (a free port, nothing listening)
    params = DetectionParams()
    engine = Engine(Detector(params, 1 << 20), RedisStore(down.url, params), max_batch=64)
    try:
        caplog.set_level(logging.ERROR, logger="service.engine")
        said: list[str] = []
        for article in _articles(6):
            prepared = engine.detector.prepare(ModelArticle(article.id, article.body))
            with pytest.raises(Unavailable, match="is not answering"):
                engine.index(prepared, timeout=30)
            said = [r.getMessage() for r in caplog.records if r.name == "service.engine"]
            assert said  # (the first refusal is said at once)
    finally:
        engine.close()
    assert len(said) == 1, said  # six refused batches within REFUSALS_LOGGED_EVERY: one line
    assert said[0].startswith("batch of 1 articles not acknowledged: the shared Redis store at")
    assert "(0 more articles refused since the last such line" in said[0]
