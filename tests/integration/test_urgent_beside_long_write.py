"""An IndexArticle sent while the writer decides a long transaction of a stream's articles.

IndexArticle goes ahead of what the streams keep queued, but it also waited for the writer's transaction in
progress: up to --max-batch articles, seconds when each is verified against the many copies of a story stored
(a probe: 3-4 s, and DEADLINE_EXCEEDED with a 1 s deadline). The writer now commits what it has decided once an
urgent article waits, puts the rest back at the front of the queue, and decides the urgent one first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from client import Article, NeardupClient, Verdict
from service.engine import Engine
from tests.articles import OTHER_WITH_APPEAL, WIRE
from tests.support import commit_held, in_process_server, until

WAIT = 60.0
STORED = 250  # copies of the story stored before: each queued copy is verified against many of them
QUEUED = 150  # copies a stream queues, all taken into one transaction (under --max-batch, 256)
HELD_AT = 3  # the stream's copies the writer decides before the IndexArticle is sent


def copies(prefix: str, count: int) -> list[Article]:
    return [Article(f"{prefix}-{n}", f"{WIRE} Updated at {n} past the hour.") for n in range(count)]


def record_answers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[tuple[str, bool]], threading.Event]:
    """The ids of the articles handed to the writer; (id, stored) for each article the writer answers, in the
    order it answers them, `stored` read from the store at that moment (an answer means "committed"); and an
    event set once an urgent article is queued."""
    submitted: list[str] = []
    answered: list[tuple[str, bool]] = []
    urgent_queued = threading.Event()
    submit_all = engine.submit_all

    def stored(article_id: str) -> bool:
        try:
            engine.get(article_id)
        except Exception:
            return False
        return True

    def noting(article_id: str) -> Callable[[object], None]:
        return lambda _: answered.append((article_id, stored(article_id)))

    def recording(prepared: Any, evidence: bool = False, urgent: bool = False) -> Any:
        outcomes = submit_all(prepared, evidence, urgent)
        submitted.extend(p.article.id for p in prepared)
        for p, outcome in zip(prepared, outcomes, strict=True):
            outcome.add_done_callback(noting(p.article.id))
        if urgent:
            urgent_queued.set()
        return outcomes

    monkeypatch.setattr(engine, "submit_all", recording)
    return submitted, answered, urgent_queued


def hold_decisions(engine: Engine, monkeypatch: pytest.MonkeyPatch, until_set: threading.Event) -> threading.Event:
    """Make the writer wait, before its HELD_AT-th decision of a queued copy, until `until_set` is set: the urgent
    article is then sent while a transaction of the stream's copies is in progress. The event returned is set once
    the writer waits."""
    waiting = threading.Event()
    index_one: Callable[..., Any] = engine._index_one
    decided = 0

    def held(tx: Any, job: Any) -> Any:
        nonlocal decided
        if job.prepared.article.id.startswith("queued-"):
            decided += 1
            if decided == HELD_AT:
                waiting.set()
                until_set.wait(WAIT)
        return index_one(tx, job)

    monkeypatch.setattr(engine, "_index_one", held)
    return waiting


class LongWrite(NamedTuple):
    """A long transaction in progress (`long_write_in_progress`): the threads of the first article's call and of the
    stream, the stream's copies, and its outcomes as they come."""

    first: threading.Thread
    stream: threading.Thread
    queued: list[Article]
    outcomes: list[Any]


def long_write_in_progress(
    client: NeardupClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    submitted: list[str],
    until_set: threading.Event,
) -> LongWrite:
    """A first article's commit held while a stream queues QUEUED copies behind it, then let go: the writer takes the
    copies into one transaction, and is held (`hold_decisions`) after HELD_AT of them until `until_set`."""
    release = threading.Event()
    holding = commit_held(engine, monkeypatch, release)
    first = threading.Thread(target=client.index, args=(Article("first", OTHER_WITH_APPEAL),))
    first.start()
    assert holding.wait(WAIT)
    queued = copies("queued", QUEUED)
    outcomes: list[Any] = []
    stream = threading.Thread(
        target=lambda: outcomes.extend(client.index_stream(queued, batch=QUEUED, timeout=WAIT)), daemon=True
    )
    stream.start()
    # (the stream's copies all queued behind the held commit: the writer takes them into one transaction)
    assert until(lambda: sum(i.startswith("queued-") for i in submitted) == QUEUED, WAIT)
    waiting = hold_decisions(engine, monkeypatch, until_set)
    release.set()
    assert waiting.wait(WAIT)  # the transaction of the stream's copies is in progress
    return LongWrite(first, stream, queued, outcomes)


def test_an_index_call_is_answered_before_the_transaction_in_progress_would_have_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_server(tmp_path / "data") as (running, client):
        engine = running.engine
        assert all(isinstance(v, Verdict) for v in client.index_stream(copies("stored", STORED), batch=STORED))
        submitted, answered, urgent_queued = record_answers(engine, monkeypatch)
        first, stream, queued, outcomes = long_write_in_progress(client, engine, monkeypatch, submitted, urgent_queued)
        verdicts: list[Verdict] = []
        alone = threading.Thread(target=lambda: verdicts.append(client.index(Article("alone", OTHER_WITH_APPEAL))))
        alone.start()
        alone.join(WAIT)
        stream.join(WAIT)
        first.join(WAIT)
    assert [v.id for v in verdicts] == ["alone"]
    order = [article_id for article_id, _ in answered]
    before = order[: order.index("alone")]
    queued_before = sum(article_id.startswith("queued-") for article_id in before)
    # Answered once the copies decided so far were committed, long before the transaction would have ended (before
    # the fix: after all QUEUED copies).
    assert HELD_AT <= queued_before < QUEUED // 2, queued_before
    # The stream's copies answered in their order, each once stored, and all to the stream, as duplicates.
    assert [i for i in order if i.startswith("queued-")] == [a.id for a in queued]
    assert all(stored for _, stored in answered), [i for i, stored in answered if not stored]
    assert [o.id for o in outcomes] == [a.id for a in queued]
    assert {o.duplicate_of for o in outcomes} == {"stored-0"}
