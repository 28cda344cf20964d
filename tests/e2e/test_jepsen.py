"""Jepsen-style: clients ingest and query while the server is SIGKILLed and restarted at random moments.

Afterwards every acknowledged article is stored with its body; every unacknowledged one (the call
failed or was cut off by the kill) is either fully stored or absent; the SQLite file passes
`PRAGMA integrity_check` (with the Redis store: its audit finds no dangling bucket entry).
Bounded: 3 kills at seeded random moments, 3 writers, 1 stream writer, 1 reader; per store.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from benchmarks.loopback import free_port, redis_server, wait_for
from client import Article, NeardupClient, NotFoundError
from client.errors import NeardupClientError
from service.redis_store import RedisStore
from service.settings import DetectionParams
from tests.support import ServerProcess

SEED = 20261122
KILLS = 3
SYLLABLES = ["ka", "lo", "mi", "ner", "tas", "vo", "ri", "den", "sul", "pa", "gri", "mon", "te", "bal", "us", "fen"]


def _body(rng: random.Random, article_id: str) -> str:
    words = ["".join(rng.choices(SYLLABLES, k=rng.randint(1, 3))) for _ in range(rng.randint(40, 120))]
    return f"{article_id} " + " ".join(words) + "."


@dataclass
class History:
    """What each client saw: acknowledged (the server said stored) or unacknowledged (no answer)."""

    acked: dict[str, str] = field(default_factory=dict)
    unacked: dict[str, str] = field(default_factory=dict)
    read_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, article_id: str, body: str, ok: bool) -> None:
        with self.lock:
            (self.acked if ok else self.unacked)[article_id] = body

    def acked_ids(self) -> list[str]:
        with self.lock:
            return list(self.acked)


def _writer(target: str, name: str, history: History, stop: threading.Event) -> None:
    rng = random.Random(f"{SEED}-{name}")
    with NeardupClient(target, timeout=5) as client:
        for n in range(100_000):
            if stop.is_set():
                return
            article_id = f"{name}-{n}"
            body = _body(rng, article_id)
            try:
                client.index(Article(article_id, body))
                history.record(article_id, body, ok=True)
            except NeardupClientError:
                history.record(article_id, body, ok=False)
                stop.wait(0.05)  # back off while the server restarts


def _stream_writer(target: str, history: History, stop: threading.Event) -> None:
    rng = random.Random(f"{SEED}-stream")
    with NeardupClient(target, timeout=5) as client:
        for batch in range(100_000):
            if stop.is_set():
                return
            sent = {f"s-{batch}-{i}": "" for i in range(5)}
            for article_id in sent:
                sent[article_id] = _body(rng, article_id)
            try:
                for outcome in client.index_stream([Article(i, b) for i, b in sent.items()], timeout=10):
                    history.record(outcome.id, sent.pop(outcome.id), ok=not hasattr(outcome, "error"))
            except NeardupClientError:
                stop.wait(0.05)
            for article_id, body in sent.items():  # cut off before their answer came
                history.record(article_id, body, ok=False)


def _reader(target: str, history: History, stop: threading.Event) -> None:
    """Reads of acknowledged articles must never miss, whenever the server is up to answer."""
    rng = random.Random(f"{SEED}-reader")
    with NeardupClient(target, timeout=5) as client:
        while not stop.is_set():
            ids = history.acked_ids()
            if not ids:
                stop.wait(0.02)
                continue
            article_id = rng.choice(ids)
            try:
                stored = client.get(article_id)
                if stored.article.body != history.acked[article_id]:
                    history.read_errors.append(f"{article_id}: wrong body")
                client.check(Article("probe", history.acked[article_id]))
            except NotFoundError:
                history.read_errors.append(f"{article_id}: acknowledged but not found")
            except NeardupClientError:
                stop.wait(0.05)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_acknowledged_articles_survive_random_kill9s(tmp_path: Path, store: str) -> None:
    with ExitStack() as stack:
        extra: tuple[str, ...] = ()
        if store == "redis":
            redis = stack.enter_context(redis_server(tmp_path / "redis"))
            extra = ("--store", "redis", "--redis-url", redis.url)
        _run_with_kills(tmp_path / "data", extra)
        if store == "sqlite":
            with sqlite3.connect(tmp_path / "data" / "neardup.db") as db:
                assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        else:
            audited = RedisStore(redis.url, DetectionParams())
            assert audited.audit() == []  # every LSH bucket entry has its article and vice versa
            audited.close()


def _run_with_kills(data: Path, extra: tuple[str, ...]) -> None:
    port = free_port()
    target = f"127.0.0.1:{port}"
    server = ServerProcess(data, *extra, port=port).start()
    history, stop = History(), threading.Event()
    workers: list[Callable[..., None]] = [_writer, _writer, _writer]
    threads = [threading.Thread(target=w, args=(target, f"w{i}", history, stop)) for i, w in enumerate(workers)]
    threads += [threading.Thread(target=_stream_writer, args=(target, history, stop)),
                threading.Thread(target=_reader, args=(target, history, stop))]  # fmt: skip
    rng = random.Random(SEED)
    try:
        for t in threads:
            t.start()
        for _ in range(KILLS):
            _wait_for_progress(history, rng.randint(5, 60))
            server.kill9()
            server = ServerProcess(data, *extra, port=port).start()
        _wait_for_progress(history, 20)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    try:
        _check_history(server, history)
        assert server.terminate() == 0
    finally:
        server.stop()


def _wait_for_progress(history: History, more: int) -> None:
    start = len(history.acked_ids())
    wait_for(lambda: len(history.acked_ids()) >= start + more, timeout=60, what=f"{more} more acknowledged articles")


def _check_history(server: ServerProcess, history: History) -> None:
    assert not history.read_errors, history.read_errors[:5]
    assert len(history.acked) > 100 and history.unacked, "the test must see both outcomes to mean anything"
    present = 0
    with server.client() as client:
        for article_id, body in history.acked.items():
            assert client.get(article_id).article.body == body, article_id
        for article_id, body in history.unacked.items():
            try:
                assert client.get(article_id).article.body == body, f"{article_id} stored with another body"
                present += 1
            except NotFoundError:
                pass
        assert client.stats().articles == len(history.acked) + present
    print(f"jepsen: {len(history.acked)} acknowledged, {len(history.unacked)} unacknowledged ({present} present)")
