"""A delete sent while the writer decides a long transaction of a stream's articles.

A delete was made in its caller's thread, and took the store's write lock once the writer's transaction in progress
had ended: up to --max-batch articles, seconds when each is verified against the many copies of a story stored, so a
takedown could end DEADLINE_EXCEEDED while an ingest ran. `DeleteArticle`, and a `DeleteArticles` of one write's ids,
are now made by the writer, which cuts its transaction short for them as for `IndexArticle`
(tests/integration/test_urgent_beside_long_write.py, whose load and recording these tests reuse). A delete of an id
the stream still holds waits for that version to be stored, and then deletes it, as before."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from client import Article, DeadlineExceededError, NeardupClient, NotFoundError, Verdict
from service import engine as engine_module
from service import model
from service.detector import Detector
from service.engine import _DELETED_A_WRITE, _WRITES_CUT_AT_MOST_EVERY, Engine
from service.errors import Cancelled, DeadlineExceeded, NotFound, Unavailable
from service.pending import PendingIds
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from tests.articles import OTHER_WITH_APPEAL
from tests.integration.test_urgent_beside_long_write import (
    HELD_AT,
    QUEUED,
    STORED,
    WAIT,
    copies,
    long_write_in_progress,
    record_answers,
)
from tests.support import SERVER_ANSWERS_DEADLINE, commit_held, in_process_server, until

TAKEN_DOWN = "stored-7"  # a copy stored before the stream (not its group's original: the stream's answers keep it)
IN_THE_REST = f"queued-{QUEUED - 20}"  # a copy the stream queued, decided well after the writer is held


class WritesNoted(queue.SimpleQueue):  # type: ignore[type-arg]
    """The engine's queue of writes for the writer (`Engine._in_writer`), setting `queued` once one is put in it."""

    queued: threading.Event

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        self.queued.set()


def writes_noted(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set once a write is queued for the writer (a delete: `Engine._in_writer`)."""
    assert engine._writes.empty()
    noted = WritesNoted()
    noted.queued = threading.Event()
    monkeypatch.setattr(engine, "_writes", noted)
    return noted.queued


def record_deletes(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, list[int]]:
    """An event set once a delete is queued for the writer (once the servicer has waited for the streams' versions
    of its ids), and for each delete, how many of the stream's copies were stored when it was made: counted from
    the store as the delete returns (not from the answers' order: the writer answers a transaction's articles after
    it lets go of the store, and a delete made in another thread could commit and return before those answers)."""
    asked = writes_noted(engine, monkeypatch)
    stored_then: list[int] = []
    delete, delete_all = engine.delete, engine.delete_all

    def count() -> None:
        stored_then.append(sum(_stored(engine, f"queued-{n}") for n in range(QUEUED)))

    def deleting(article_id: str, *args: Any) -> None:
        delete(article_id, *args)
        count()

    def deleting_all(article_ids: Any, *args: Any) -> list[bool]:
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
        first, stream, queued, outcomes = long_write_in_progress(client, engine, monkeypatch, submitted, sent)
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


def prepared(engine: Engine, article_id: str, n: int) -> Any:
    return engine.detector.prepare(model.Article(article_id, f"{OTHER_WITH_APPEAL} Item {n}."))


def test_deletes_sent_one_by_one_beside_a_long_write_cut_it_short_at_most_once_a_tenth_of_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (each delete cut the transaction short 20 ms after it began: a thousand one-by-one deletes beside an ingest of
    # 1,500 copies cost it 640 commits instead of 6, 5.8 s -> 8 s. Now a cut for writes comes at most once
    # _WRITES_CUT_AT_MOST_EVERY, and a delete waits at most that long and one decision.) Counted on a clock of the
    # engine's own that moves STEP a decision, a delete always waiting: no count depends on the machine's speed.
    step, ingest, deletes = 0.01, 200, 150
    params = DetectionParams()
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params), max_batch=256)
    try:
        for at in range(0, deletes, 50):
            batch = [prepared(engine, f"gone-{n}", n) for n in range(at, at + 50)]
            assert all(f.result(WAIT) for f in engine.submit_all(batch))
        clock = [0.0]
        monkeypatch.setattr(
            engine_module, "time", SimpleNamespace(monotonic=lambda: clock[0], perf_counter=time.perf_counter)
        )
        deleter_done = threading.Event()
        refused_as_new = engine._refused_as_new

        def deciding(tx: Any, article: Any) -> Any:  # (a write always waits: the deleter's next delete)
            if article.article.id.startswith("queued-"):
                assert until(lambda: not engine._writes.empty() or deleter_done.is_set(), WAIT)
                clock[0] += step
            return refused_as_new(tx, article)

        monkeypatch.setattr(engine, "_refused_as_new", deciding)
        cuts, transactions = 0, 0
        commit_running = engine._commit_running

        def counting(jobs: Any, cut_short: bool) -> Any:
            nonlocal cuts, transactions
            left = commit_running(jobs, cut_short)
            if any(j.prepared.article.id.startswith("queued-") for j in jobs):
                transactions += 1
                cuts += bool(left)
            return left

        monkeypatch.setattr(engine, "_commit_running", counting)
        release = threading.Event()
        holding = commit_held(engine, monkeypatch, release)
        first = engine.submit(prepared(engine, "first", -1))
        assert holding.wait(WAIT)
        answers = engine.submit_all(
            copies_prepared := [engine.detector.prepare(model.Article(a.id, a.body)) for a in copies("queued", ingest)]
        )
        assert len(copies_prepared) == ingest
        waited: list[tuple[float, bool]] = []  # (each delete's wait on that clock, made while the ingest ran)

        def delete_one_by_one() -> None:
            for n in range(deletes):
                sent = clock[0]
                engine.delete(f"gone-{n}")
                waited.append((clock[0] - sent, not all(a.done() for a in answers)))
            deleter_done.set()

        deleter = threading.Thread(target=delete_one_by_one)
        deleter.start()
        release.set()
        assert first.result(WAIT) and all(a.result(WAIT) for a in answers)
        deleter.join(WAIT)
        assert not deleter.is_alive() and len(waited) == deletes
    finally:
        engine.close()
    # The ingest lasted `ingest` decisions, 2 s on that clock: cut at most once a tenth of a second (before: after
    # every other decision, 100 cuts), and still cut for the deletes, each made within a tenth and a decision.
    during = [w for w, ingesting in waited if ingesting]
    limit = round(ingest * step / _WRITES_CUT_AT_MOST_EVERY) + 1
    assert 5 <= cuts <= limit, (cuts, transactions)
    assert transactions == cuts + 1
    assert len(during) >= cuts and max(during) <= _WRITES_CUT_AT_MOST_EVERY + 2 * step, max(during)


def held_writer(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The writer held at its next commit (taken with one article's job) until the event returned is set."""
    release = threading.Event()
    holding = commit_held(engine, monkeypatch, release)
    engine.submit(prepared(engine, "first", -1))
    assert holding.wait(WAIT)
    return release


@pytest.mark.parametrize("one_call", [True, False], ids=["DeleteArticle", "DeleteArticles"])
@pytest.mark.parametrize("gives_up", ["deadline", "cancel"])
def test_a_delete_whose_caller_gave_up_while_it_waited_for_the_writer_is_not_made(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, one_call: bool, gives_up: str
) -> None:
    assert engine.submit(prepared(engine, "a0", 0)).result(WAIT)
    queued = writes_noted(engine, monkeypatch)
    release = held_writer(engine, monkeypatch)
    deadline = time.monotonic() + 0.2 if gives_up == "deadline" else None
    active = [True]
    raised: list[BaseException] = []

    def delete() -> None:
        try:
            if one_call:
                engine.delete("a0", deadline, lambda: active[0])
            else:
                engine.delete_all(["a0"], deadline, lambda: active[0])
        except Exception as exc:
            raised.append(exc)

    deleting = threading.Thread(target=delete)
    deleting.start()
    assert queued.wait(WAIT)  # (queued for the writer, before its deadline)
    if deadline is None:
        active[0] = False
    else:
        assert until(lambda: time.monotonic() >= deadline, WAIT)
    release.set()
    deleting.join(WAIT)
    [exc] = raised
    assert isinstance(exc, DeadlineExceeded if deadline else Cancelled)
    assert ("the article was not deleted" if one_call else "before any id named was deleted, so none was") in str(exc)
    assert engine.get("a0").article.id == "a0"  # not deleted


def test_a_delete_queued_before_the_close_is_made_and_one_after_is_refused_unavailable_saying_not_deleted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for n in range(3):
        assert engine.submit(prepared(engine, f"a{n}", n)).result(WAIT)
    queued = writes_noted(engine, monkeypatch)
    release = held_writer(engine, monkeypatch)
    made: list[bool] = []

    def delete_first() -> None:
        engine.delete("a0")
        made.append(True)

    before = threading.Thread(target=delete_first)
    before.start()
    assert queued.wait(WAIT)
    closing = threading.Thread(target=engine.close)
    closing.start()
    assert until(lambda: engine._closed, WAIT)  # (the close has begun; the writer, held, has not stopped)
    caplog.set_level(logging.INFO, logger="service.engine")
    with pytest.raises(Unavailable) as one:
        engine.delete("a1")
    with pytest.raises(Unavailable) as some:
        engine.delete_all(["a1", "a2"])
    release.set()
    before.join(WAIT)
    closing.join(WAIT)
    assert not before.is_alive() and not closing.is_alive()
    assert made == [True]  # (made at the stop: no exception)
    with pytest.raises(Unavailable) as after:
        engine.delete("a2")  # (the close over)
    for refused in (one, after):
        assert str(refused.value).startswith("the server is shutting down")
        assert "the article was not deleted" in str(refused.value)
    assert "none of the ids named was deleted" in str(some.value)
    # A takedown refused in a normal stop is no error of the server's (INFO, not ERROR).
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert isinstance(engine.store, SqliteStore)
    reopened = SqliteStore(engine.store.path, DetectionParams())
    with reopened.read() as tx:
        assert tx.get("a0") is None and tx.get("a1") is not None and tx.get("a2") is not None
    reopened.close()


class ClosingNoted:
    """The engine's `_closing` lock, setting `contended` once a thread has to wait for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.contended = threading.Event()

    def __enter__(self) -> None:
        if not self.lock.acquire(blocking=False):
            self.contended.set()
            self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_articles_queued_as_the_close_begins_are_decided_before_the_writer_stops(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (submit_all read `_closed` and queued its jobs without the lock close() takes: a close coming between put its
    # stop first, and the jobs queued after it were never answered: an IndexArticle handler outliving gRPC's stop)
    closing = ClosingNoted()
    monkeypatch.setattr(engine, "_closing", closing)
    closer = threading.Thread(target=engine.close)

    class CloseBeforePut(queue.SimpleQueue):  # type: ignore[type-arg]
        def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
            if isinstance(item, list) and any(j.prepared.article.id == "late" for j in item):
                closer.start()  # (and let it go as far as it can before the jobs are put)
                assert until(lambda: closing.contended.is_set() or engine._closed, WAIT)
            super().put(item, block, timeout)

    before = engine._queue
    monkeypatch.setattr(engine, "_queue", CloseBeforePut())
    before.put([])  # (the writer, waiting on the queue before, takes the new one from now on)
    late = engine.submit(prepared(engine, "late", 0))
    closer.join(WAIT)
    assert not closer.is_alive()
    assert late.result(timeout=5).id == "late"  # (before the fix: never answered)


@pytest.mark.parametrize("one_call", [True, False], ids=["DeleteArticle", "DeleteArticles"])
def test_a_delete_the_writer_does_not_take_up_before_the_callers_deadline_says_it_was_not_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_call: bool
) -> None:
    """The writer's check of the deadline came only once it took the delete up: held past the caller's deadline, the
    call ended with gRPC's bare "Deadline Exceeded", which does not say whether the article was deleted. A delete
    not taken up by a margin before the deadline is withdrawn, never made, and its answer says so."""
    with in_process_server(tmp_path / "data") as (running, client):
        client.index(Article("a0", OTHER_WITH_APPEAL))
        queued = writes_noted(running.engine, monkeypatch)
        release = threading.Event()
        holding = commit_held(running.engine, monkeypatch, release)
        first = threading.Thread(target=client.index, args=(Article("first", OTHER_WITH_APPEAL + " Later."),))
        first.start()
        try:
            assert holding.wait(WAIT)
            hurried = NeardupClient(f"127.0.0.1:{running.port}", timeout=SERVER_ANSWERS_DEADLINE)
            with hurried, pytest.raises(DeadlineExceededError) as refused:
                hurried.delete("a0") if one_call else hurried.delete_many(["a0"])
            assert queued.is_set()  # (it was queued for the writer, and withdrawn)
        finally:
            release.set()
            first.join(WAIT)
        said = str(refused.value)
        assert ("the article was not deleted" if one_call else "before any id named was deleted, so none was") in said
        assert client.get("a0").article.id == "a0"  # (withdrawn: never made, the writer free again)
