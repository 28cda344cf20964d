"""A delete sent while the writer decides a long transaction of a stream's articles.

A delete was made in its caller's thread, and took the store's write lock once the writer's transaction in progress
had ended: up to --max-batch articles, seconds when each is verified against the many copies of a story stored, so a
takedown could end DEADLINE_EXCEEDED while an ingest ran. `DeleteArticle`, and a `DeleteArticles` of one write's ids,
are now made by the writer, which cuts its transaction short for them as for `IndexArticle`
(tests/integration/test_urgent_beside_long_write.py, whose load and recording these tests reuse). A delete of an id
the stream still holds waits for that version to be stored, and then deletes it, as before."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from client import Article, NotFoundError, Verdict
from service import model
from service.engine import _DELETED_A_WRITE, Engine
from service.errors import NotFound
from service.pending import PendingIds
from tests.articles import OTHER_WITH_APPEAL
from tests.integration.test_urgent_beside_long_write import (
    HELD_AT,
    QUEUED,
    STORED,
    WAIT,
    copies,
    hold_decisions,
    record_answers,
)
from tests.support import commit_held, in_process_server, until

TAKEN_DOWN = "stored-7"  # a copy stored before the stream (not its group's original: the stream's answers keep it)
IN_THE_REST = f"queued-{QUEUED - 20}"  # a copy the stream queued, decided well after the writer is held


def record_deletes(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, list[int]]:
    """An event set once the servicer asks the engine for a delete (once it has waited for the streams' versions
    of its ids), and for each delete, how many of the stream's copies were stored when it was made: counted from
    the store as the delete returns (not from the answers' order: the writer answers a transaction's articles after
    it lets go of the store, and a delete made in another thread could commit and return before those answers)."""
    asked = threading.Event()
    stored_then: list[int] = []
    delete, delete_all = engine.delete, engine.delete_all

    def count() -> None:
        stored_then.append(sum(_stored(engine, f"queued-{n}") for n in range(QUEUED)))

    def deleting(article_id: str) -> None:
        asked.set()
        delete(article_id)
        count()

    def deleting_all(article_ids: Any, *args: Any) -> list[bool]:
        asked.set()
        outcome = delete_all(article_ids, *args)
        count()
        return outcome

    monkeypatch.setattr(engine, "delete", deleting)
    monkeypatch.setattr(engine, "delete_all", deleting_all)
    return asked, stored_then


def _stored(engine: Engine, article_id: str) -> bool:
    try:
        engine.get(article_id)
    except NotFound:
        return False
    return True


def waits_for(article_id: str, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a call waits for the streams' versions of `article_id` (a delete of an id they hold)."""
    waiting = threading.Event()
    wait_for = PendingIds.wait_for

    def noting(self: PendingIds, article_ids: Iterable[str], timeout: float | None) -> bool:
        article_ids = list(article_ids)
        if article_id in article_ids:
            waiting.set()
        return wait_for(self, article_ids, timeout)

    monkeypatch.setattr(PendingIds, "wait_for", noting)
    return waiting


def delete_beside_a_long_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, article_id: str, one_call: bool, in_the_rest: bool
) -> tuple[int, list[Any], list[bool]]:
    """Store STORED copies of a story; queue QUEUED more in one stream, taken into one transaction; once the writer
    has decided HELD_AT of them, delete `article_id` (DeleteArticle if `one_call`, else DeleteArticles), the writer
    held until the delete is asked of the engine or (`in_the_rest`: an id the stream holds) waits for the stream's
    version. How many of the stream's copies were stored when the delete was made, the stream's verdicts, and the
    delete's outcome (True: deleted)."""
    with in_process_server(tmp_path / "data") as (running, client):
        engine = running.engine
        assert all(isinstance(v, Verdict) for v in client.index_stream(copies("stored", STORED), batch=STORED))
        submitted, answered, _ = record_answers(engine, monkeypatch)
        asked, stored_then = record_deletes(engine, monkeypatch)
        sent = waits_for(article_id, monkeypatch) if in_the_rest else asked
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
        waiting = hold_decisions(engine, monkeypatch, sent)
        release.set()
        assert waiting.wait(WAIT)  # the transaction of the stream's copies is in progress
        deleted: list[bool] = []

        def take_down() -> None:
            if one_call:
                client.delete(article_id)  # (NotFoundError if nothing was stored under it)
                deleted.append(True)
            else:
                deleted.extend(d.deleted for d in client.delete_many([article_id]))

        takedown = threading.Thread(target=take_down)
        takedown.start()
        takedown.join(WAIT)
        stream.join(WAIT)
        first.join(WAIT)
        assert not takedown.is_alive() and not stream.is_alive()
        with pytest.raises(NotFoundError):
            client.get(article_id)  # deleted, and not stored again after
        assert [o.id for o in outcomes] == [a.id for a in queued]
        order = [i for i, _ in answered]
        # Each of the stream's copies answered in its order, once stored.
        assert [i for i in order if i.startswith("queued-")] == [a.id for a in queued]
        assert all(stored for _, stored in answered)
    assert len(stored_then) == 1
    return stored_then[0], outcomes, deleted


@pytest.mark.parametrize("one_call", [True, False], ids=["DeleteArticle", "DeleteArticles"])
def test_a_delete_is_answered_before_the_transaction_in_progress_would_have_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_call: bool
) -> None:
    stored_before, outcomes, deleted = delete_beside_a_long_write(tmp_path, monkeypatch, TAKEN_DOWN, one_call, False)
    assert deleted == [True]
    # Made once the copies decided so far were committed, long before the transaction would have ended (before the
    # fix: after all QUEUED copies, the delete waiting for the store's lock).
    assert HELD_AT <= stored_before < QUEUED // 2, stored_before
    # The rest decided after it, as duplicates of the same original still.
    assert {o.duplicate_of for o in outcomes} == {"stored-0"}


@pytest.mark.parametrize("one_call", [True, False], ids=["DeleteArticle", "DeleteArticles"])
def test_a_delete_of_an_id_the_stream_holds_deletes_its_version_once_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_call: bool
) -> None:
    # (the copy is in the transaction's undecided part: the delete waits for it to be decided and committed, and
    # then deletes it; made at once, it found nothing, and the takedown was undone when the copy was stored)
    stored_before, outcomes, deleted = delete_beside_a_long_write(tmp_path, monkeypatch, IN_THE_REST, one_call, True)
    assert deleted == [True]  # found stored (answered to the stream as stored), and deleted: not NOT_FOUND
    assert stored_before >= QUEUED - 20  # (the copies before it too: it had to wait for their transaction)
    assert outcomes[QUEUED - 20].id == IN_THE_REST and outcomes[QUEUED - 20].duplicate_of == "stored-0"


def test_a_delete_of_one_writes_ids_is_made_by_the_writer_and_a_longer_purge_in_its_callers_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a purge over one write, 100 ids, is bulk work of its own: made urgent, each of its writes would cut an
    # ingest's transaction short; it goes on beside the writer's transactions, as before)
    wrote_in: list[str] = []
    write = engine.store.write

    def noting() -> Any:
        wrote_in.append(threading.current_thread().name)
        return write()

    monkeypatch.setattr(engine.store, "write", noting)
    for n in range(3):
        engine.submit(engine.detector.prepare(model.Article(f"a{n}", f"{OTHER_WITH_APPEAL} Item {n}."))).result(WAIT)
    wrote_in.clear()
    with pytest.raises(NotFound):
        engine.delete("absent")
    engine.delete("a0")
    assert engine.delete_all(["a1", *(f"absent-{n}" for n in range(_DELETED_A_WRITE - 1))]) == [True] + [False] * (
        _DELETED_A_WRITE - 1
    )
    assert wrote_in == ["neardup-writer"] * 3
    wrote_in.clear()
    assert engine.delete_all(["a2", *(f"absent-{n}" for n in range(_DELETED_A_WRITE))]) == [True] + [False] * (
        _DELETED_A_WRITE
    )
    assert wrote_in == [threading.current_thread().name] * 2
