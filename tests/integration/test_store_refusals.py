"""An article the server could not store just now (its store not answering) is sent again by a client told to
retry, instead of coming back as one error line among thousands for the length of the outage; one refused
because the store is full (Redis at its maxmemory) is not: the server asks for no retry until an operator makes
room, and the client's Retry obeys, raising it at once. And the server's log says such refusals once an interval,
not once a batch."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis

from benchmarks.loopback import RedisServer, redis_server
from client import (
    Article,
    ArticleFailure,
    FailedPreconditionError,
    NeardupClient,
    NeardupClientError,
    ResourceExhaustedError,
    Retry,
    Verdict,
)
from client.cli import main as cli_main
from client.cli_base import EXIT_FAILED
from client.errors import NO_RETRY_PUSHBACK
from service import engine as engine_module
from service.detector import Detector
from service.engine import Engine
from service.errors import ResourceExhausted, Unavailable
from service.logs import Throttle
from service.model import Article as ModelArticle
from service.redis_store import RedisStore
from service.settings import DetectionParams
from tests.redis_support import synthetic_articles
from tests.support import in_process_server, until

_FAST = Retry(attempts=3, first_wait=0.01, max_wait=0.05)  # (a real back-off, kept short for the test)


@pytest.fixture
def full_redis(tmp_path: Path) -> Iterator[tuple[NeardupClient, redis.Redis]]:
    """A server on a Redis that has room for about a hundred of the test's articles, then refuses writes."""
    with redis_server(tmp_path / "redis") as store:
        admin = redis.Redis(host="127.0.0.1", port=store.port)
        # (At most 16 articles a transaction: on a busy host the writer found four messages of 64 queued and took them
        # in its first transaction, over the room, and no article was answered before the refusal: CI, 2026-12-08.)
        with in_process_server(tmp_path / "data", store="redis", redis_url=store.url, max_batch=16) as (_, client):
            admin.config_set("maxmemory", int(admin.info("memory")["used_memory"]) + (1 << 20))
            yield client, admin
        admin.close()


def _articles(count: int) -> list[Article]:
    return [Article(a.id, a.body, a.title, a.source) for a in synthetic_articles(count, seed=11)[:count]]


@pytest.mark.parametrize("batch", [1, 64])
def test_a_full_store_ends_a_retrying_stream_at_once_and_its_articles_sent_again_once_there_is_room(
    full_redis: tuple[NeardupClient, redis.Redis], batch: int
) -> None:
    # (Its articles were sent again, backing off, until the retries were spent: a store an operator must make room
    # in was refused for up to 45.5 s with the default Retry, though the server asks for no retry.)
    client, admin = full_redis
    articles = _articles(1000)
    answered: list[Verdict | ArticleFailure] = []
    retries: list[NeardupClientError] = []
    with pytest.raises(ResourceExhaustedError, match="is out of memory") as full:
        answered.extend(
            client.index_stream(articles, batch=batch, retry=_FAST, on_retry=lambda error, *_: retries.append(error))
        )
    assert retries == []  # (not one retry: each would have been told it on_retry, before its wait)
    assert "(not retried: the server asked for no retry)" in full.value.details
    assert full.value.retry_pushback == NO_RETRY_PUSHBACK and full.value.retryable  # (it may pass: once there is room)
    assert answered and all(isinstance(o, Verdict) for o in answered)  # (what was stored before it filled up)
    assert [o.id for o in answered] == [a.id for a in articles[: len(answered)]]
    left = articles[len(answered) :]
    assert full.value.unanswered is not None and 0 < full.value.unanswered <= len(left)
    # (the article refused, counted in `unanswered` as one to send again, is said to be refused, its answer, and so
    # are the articles after it in its batch reply, refused with it; the articles sent after those were left
    # unanswered: it was said of all of them, the refused one too, then of its batch's)
    said = re.search(
        rf"\(not retried: the server asked for no retry\); that was the answer to article {re.escape(repr(left[0].id))}"
        r"( and to the (\d+) articles? after it in the same batch \(refused with it\))?, and (none was sent after "
        r"(it|those)|(\d+) articles? sent on the stream after (it|those) (was|were) left unanswered)",
        full.value.details,
    )
    assert said is not None, full.value.details
    with_it, after = int(said.group(2) or 0), int(said.group(5) or 0)
    assert (said.group(4) or said.group(6)) == ("those" if with_it else "it")
    assert batch > 1 or not with_it
    assert 1 + with_it + after == full.value.unanswered
    # The refused article, and its batch's, were not stored; those sent after them may be: the writer goes on with
    # what it read once the client has cancelled, and a later transaction may fit (Redis's memory moves: a CI run
    # stored 6 of them).
    assert len(answered) <= client.stats().articles <= len(answered) + after

    admin.config_set("maxmemory", 0)  # (an operator makes room: the caller sends what was left unanswered again)
    again = list(client.index_stream(left, batch=batch, retry=_FAST))
    assert [o.id for o in again] == [a.id for a in left] and all(isinstance(o, Verdict) for o in again)
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
    assert all(
        o.error.retry_pushback == NO_RETRY_PUSHBACK for o in refused
    )  # (a full store's, as a call's trailer says)
    assert client.stats().articles == len(articles) - len(refused)


@pytest.mark.parametrize("batch", [1, 64])
def test_articles_refused_while_the_store_is_down_are_sent_again_once_it_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    # (The full store was this test's outage until the client obeyed its "no retry": a store that does not answer
    # asks for none, and its articles are sent again, backing off, instead of coming back as error lines.)
    articles = _articles(200)
    # (At most 16 articles a transaction: the writer takes all it finds queued, so on a busy host one transaction
    # could hold the whole stream and the store was never asked a second time.)
    with in_process_server(tmp_path / "data", max_batch=16) as (running, client):
        write = running.engine.store.write
        writes: list[int] = []
        refused: list[int] = []

        def down_twice(*args: Any, **kwargs: Any) -> Any:
            writes.append(1)
            if len(writes) in (2, 3):  # (after a first write: in the stream's middle)
                refused.append(1)
                raise Unavailable("the store is not answering (in this test)")
            return write(*args, **kwargs)

        monkeypatch.setattr(running.engine.store, "write", down_twice)
        retries: list[tuple[grpc.StatusCode, int]] = []
        on_retry = lambda error, unanswered, _wait: retries.append((error.code, unanswered))  # noqa: E731
        outcomes = list(client.index_stream(articles, batch=batch, retry=_FAST, on_retry=on_retry))
        # (one retry or two: the second refused write may answer articles of the attempt the first one failed)
        assert len(refused) == 2 and {code for code, _ in retries} == {grpc.StatusCode.UNAVAILABLE}
        assert 1 <= len(retries) <= 2
        assert all(unanswered > 0 for _, unanswered in retries)
        assert [o.id for o in outcomes] == [a.id for a in articles]  # each once, in order
        assert [o for o in outcomes if not isinstance(o, Verdict)] == []
        assert client.stats().articles == len(articles)


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
    assert said[0].startswith("batch of 1 article not acknowledged: the shared Redis store at")  # (was "1 articles")
    # (the first line said "(0 more articles refused since the last such line; ...)": none is held back yet)
    assert "more articles refused" not in said[0] and said[0].endswith("(at most one such line a 10 s)")


def _refused(engine: Engine, articles: list[Article]) -> None:
    for article in articles:
        with pytest.raises(ResourceExhausted, match="is out of memory"):
            engine.index(engine.detector.prepare(ModelArticle(article.id, article.body)), timeout=30)


def _refusal_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "service.engine"]


@pytest.fixture
def redis_full_engine(tmp_path: Path) -> Iterator[tuple[Engine, redis.Redis]]:
    """An engine on a Redis that refuses every write (out of memory) until its maxmemory is raised."""
    with redis_server(tmp_path / "redis") as store:
        admin = redis.Redis(host="127.0.0.1", port=store.port)
        params = DetectionParams()
        engine = Engine(Detector(params, 1 << 20), RedisStore(store.url, params), max_batch=64)
        admin.config_set("maxmemory", 1)
        try:
            yield engine, admin
        finally:
            admin.config_set("maxmemory", 0)
            engine.close()
            admin.close()


def test_refusals_held_back_are_said_at_once_when_the_store_accepts_writes_again(
    redis_full_engine: tuple[Engine, redis.Redis], caplog: pytest.LogCaptureFixture
) -> None:
    """A short outage: its refusals after the first were said only in the line of a refusal 10 s after that one
    (another outage's, 30 s later: "4329 more articles refused"), or never."""
    engine, admin = redis_full_engine
    caplog.set_level(logging.WARNING, logger="service.engine")
    *refused, accepted = _articles(4)
    _refused(engine, refused)
    admin.config_set("maxmemory", 0)
    assert engine.index(engine.detector.prepare(ModelArticle(accepted.id, accepted.body)), timeout=30)
    said = _refusal_lines(caplog)
    assert [level for level, _ in said] == ["ERROR", "WARNING"], said
    assert said[0][1].startswith("batch of 1 article not acknowledged:")
    assert said[1][1] == (
        "batches not acknowledged: 2 more articles refused since the last such line; the store accepts writes again"
    )


def test_refusals_held_back_are_said_once_the_interval_passes_with_no_write_after_them(
    redis_full_engine: tuple[Engine, redis.Redis], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _admin = redis_full_engine
    monkeypatch.setattr(engine_module, "REFUSALS_LOGGED_EVERY", 2.0)  # (for the test's throttle: a short interval)
    monkeypatch.setattr(engine, "_refusals", Throttle(2.0))
    caplog.set_level(logging.WARNING, logger="service.engine")
    _refused(engine, _articles(3))
    assert len(_refusal_lines(caplog)) == 1  # (within the interval: the first said, two held back)

    # The server's store watch asks whether the store answers every --store-check-seconds.
    def asked() -> bool:
        engine.check_store()
        return len(_refusal_lines(caplog)) == 2

    assert until(asked, timeout=30)
    assert _refusal_lines(caplog)[1] == (
        "ERROR",
        "batches not acknowledged: 2 more articles refused since the last such line (at most one a 2 s)",
    )


def test_refusals_held_back_are_said_at_the_close(
    redis_full_engine: tuple[Engine, redis.Redis], caplog: pytest.LogCaptureFixture
) -> None:
    engine, _admin = redis_full_engine
    caplog.set_level(logging.WARNING, logger="service.engine")
    _refused(engine, _articles(5))
    engine.close()
    said = [message for _, message in _refusal_lines(caplog)]
    assert said[1:] == [
        "batches not acknowledged: 4 more articles refused since the last such line (at most one a 10 s)"
    ]


def _article_file(path: Path, count: int) -> Path:
    """A JSONL file of `count` articles for `neardup ingest`: ids a0, a1, ..., each body "report <n>" and 60 words
    of its own."""
    rows = ({"id": f"a{n}", "body": f"report {n} " + " ".join(f"t{n}w{j}" for j in range(60))} for n in range(count))
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_ingest_in_batches_counts_the_refused_batchs_other_articles_as_refused_not_unanswered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (`neardup ingest --batch 8` on a full store said "29 articles sent on the stream after it were left
    # unanswered, and may or may not be stored", though 7 of them were in the refused article's own batch reply,
    # each answered with the same refusal: "nothing of the batch was stored")
    source = _article_file(tmp_path / "in.jsonl", 30)
    with redis_server(tmp_path / "redis") as store:
        admin = redis.Redis(host="127.0.0.1", port=store.port)
        with in_process_server(tmp_path / "data", store="redis", redis_url=store.url) as (running, _client):
            admin.config_set("maxmemory", 1)  # (every write refused: out of memory)
            try:
                argv = ["ingest", str(source), "--server", f"127.0.0.1:{running.port}", "--batch", "8",
                        "--no-progress", "--output", str(tmp_path / "out.jsonl")]  # fmt: skip
                assert cli_main(argv, env={}) == EXIT_FAILED
            finally:
                admin.config_set("maxmemory", 0)
        admin.close()
    err = " ".join(capsys.readouterr().err.split())
    assert "is out of memory (its maxmemory is reached)" in err and "nothing of the batch was stored" in err
    said = re.search(r"that was the answer to article 'a0' and to the 7 articles after it in the same batch "
                     r"\(refused with it\), and (none was sent after those|(\d+) articles? sent on the stream after "
                     r"those (was|were) left unanswered, and may or may not be stored)", err)  # fmt: skip
    assert said is not None, err
    assert said.group(2) is None or int(said.group(2)) <= 30 - 8
    assert "29 articles sent on the stream after it" not in err


@pytest.mark.parametrize("batch", ["1", "8"])
def test_ingest_resending_after_a_store_down_names_the_refused_article_apart_from_those_unanswered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], batch: str
) -> None:
    # (A store down, not full, refuses an article UNAVAILABLE: the article was answered, and ingest sends it again
    # with those after it. Its line said "resending 1 unanswered article" of the one refused alone, counting it
    # among the unanswered.)
    source = _article_file(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    with in_process_server(tmp_path / "data", max_batch=8) as (running, _client):  # (a second write, as above)
        write = running.engine.store.write
        writes: list[int] = []

        def down_once(*args: Any, **kwargs: Any) -> Any:
            writes.append(1)
            if len(writes) == 2:  # (after a first write: in the stream's middle)
                raise Unavailable("the store is not answering (in this test)")
            return write(*args, **kwargs)

        monkeypatch.setattr(running.engine.store, "write", down_once)
        argv = ["ingest", str(source), "--server", f"127.0.0.1:{running.port}", "--batch", batch, "--no-progress",
                "--output", str(out)]  # fmt: skip
        assert cli_main(argv, env={}) == 0
    answered = [json.loads(line) for line in out.read_text().splitlines()]
    assert [a["id"] for a in answered] == [f"a{n}" for n in range(40)] and all("error" not in a for a in answered)
    err = " ".join(capsys.readouterr().err.split())
    said = re.search(r"neardup ingest: UNAVAILABLE: the store is not answering \(in this test\)[^;]*; that was the "
                     r"answer to article 'a(\d+)'; resending it(?:(, | and )the (\d+) articles? after it in its batch)?"
                     r"(?: and the (\d+) unanswered articles? sent after (it|them))? in \d+\.\ds \(retry 1 of 8\)",
                     err)  # fmt: skip
    assert said is not None, err
    first, rest, after = int(said.group(1)), int(said.group(3) or 0), int(said.group(4) or 0)
    assert first + 1 + rest + after <= 40 and rest <= int(batch) - 1
    if rest:  # (three listed: "it, the 3 articles after it in its batch and the 5 unanswered ..."; two: "it and")
        assert said.group(2) == (", " if after else " and ")
    if after:
        assert said.group(5) == ("them" if rest else "it")
    assert not re.search(r"resending \d+ unanswered", err)
