"""A version of an article sent alone (IndexArticle), or a delete, while a stream still holds an older version.

IndexArticle is decided ahead of what the index streams keep queued. Ahead of the older version of its own
id too, a correction was stored and then overwritten by the version it corrects, which a backfill stream had
sent earlier: it must wait for that one, and only that one. A delete (a takedown) made at once was undone
when the writer stored the queued version."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article, DeadlineExceededError, NeardupClient, NotFoundError
from service.engine import Engine
from service.pending import PendingIds
from service.servicer import NearDuplicateServicer
from tests.articles import OTHER_WITH_APPEAL, WIRE
from tests.support import SERVER_ANSWERS_DEADLINE, commit_held, in_process_server, until

WAIT = 30.0
OLD = WIRE
NEW = WIRE + " This story has been corrected to give the minister's title in full."


@contextmanager
def writer_held(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the writer before its first write, with the jobs it took, until the block ends: what the test
    queues meanwhile waits behind it, and the store is free for a delete. Yields the event set once it holds."""
    release = threading.Event()
    holding = commit_held(engine, monkeypatch, release)
    try:
        yield holding
        assert holding.is_set()  # (it did hold)
    finally:
        release.set()


def record_submissions(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(id, urgent) of each article handed to the writer."""
    seen: list[tuple[str, bool]] = []
    submit_all = engine.submit_all

    def recording(prepared: Any, evidence: bool = False, urgent: bool = False) -> Any:
        outcome = submit_all(prepared, evidence, urgent)
        seen.extend((p.article.id, urgent) for p in prepared)
        return outcome

    monkeypatch.setattr(engine, "submit_all", recording)
    return seen


def record_waits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids IndexArticle calls waited for earlier versions of."""
    waited: list[str] = []
    wait_for = PendingIds.wait_for

    def recording(self: PendingIds, article_ids: Iterable[str], timeout: float | None) -> bool:
        article_ids = list(article_ids)
        waited.extend(article_ids)
        return wait_for(self, article_ids, timeout)

    monkeypatch.setattr(PendingIds, "wait_for", recording)
    return waited


def stream_in_background(client: NeardupClient, articles: list[Article]) -> threading.Thread:
    thread = threading.Thread(target=lambda: list(client.index_stream(articles, timeout=WAIT)), daemon=True)
    thread.start()
    return thread


def take_down_in_background(
    client: NeardupClient, article_id: str, one_call: bool
) -> tuple[threading.Thread, list[bool]]:
    """Delete `article_id` through DeleteArticle (`one_call`) or DeleteArticles, in a thread: the thread, and once it
    ended, whether the article was deleted."""
    deleted: list[bool] = []

    def take_down() -> None:
        if one_call:
            client.delete(article_id)  # (NotFoundError if it was not stored)
            deleted.append(True)
        else:
            deleted.extend(d.deleted for d in client.delete_many([article_id]))

    thread = threading.Thread(target=take_down)
    thread.start()
    return thread, deleted


@pytest.mark.parametrize("workers", [0, 1])
def test_a_correction_sent_alone_is_stored_after_the_version_a_stream_sent_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    with in_process_server(tmp_path / "data", fingerprint_workers=workers) as (running, client):
        submitted, waited = record_submissions(running.engine, monkeypatch), record_waits(monkeypatch)
        with writer_held(running.engine, monkeypatch):
            stream = stream_in_background(client, [Article("first", OTHER_WITH_APPEAL), Article("story", OLD)])
            assert until(lambda: ("story", False) in submitted, WAIT)  # the old version queued behind the held write
            answers: list[Any] = []
            alone = threading.Thread(target=lambda: answers.append(client.index(Article("story", NEW))))
            alone.start()
            # (the correction reached the writer's urgent lane: before the fix, decided ahead of the old version;
            # or it waits for the old version)
            assert until(lambda: ("story", True) in submitted or "story" in waited, WAIT)
        alone.join(WAIT)
        stream.join(WAIT)
        assert [a.id for a in answers] == ["story"]
        assert client.get("story").article.body == NEW  # (before: OLD, decided after the correction)


def test_a_correction_whose_deadline_passes_behind_the_older_version_is_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_server(tmp_path / "data") as (running, client):
        submitted = record_submissions(running.engine, monkeypatch)
        with writer_held(running.engine, monkeypatch):
            stream = stream_in_background(client, [Article("first", OTHER_WITH_APPEAL), Article("story", OLD)])
            assert until(lambda: ("story", False) in submitted, WAIT)
            with (
                NeardupClient(f"127.0.0.1:{running.port}", timeout=SERVER_ANSWERS_DEADLINE) as hasty,
                pytest.raises(DeadlineExceededError, match="earlier version of this article") as refused,
            ):
                hasty.index(Article("story", NEW))
            assert "was not stored" in str(refused.value)
        stream.join(WAIT)
        assert client.get("story").article.body == OLD
        assert ("story", True) not in submitted


@pytest.mark.parametrize("workers", [0, 1])
def test_a_call_for_another_id_is_not_held_behind_the_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    with in_process_server(tmp_path / "data", fingerprint_workers=workers) as (running, client):
        submitted = record_submissions(running.engine, monkeypatch)
        with writer_held(running.engine, monkeypatch) as holding:
            # The writer holds "first" alone: sent on the same stream, "story" could be taken with it, decided
            # before "other" whatever the order of the queue (seen once in CI).
            first = threading.Thread(target=client.index, args=(Article("first", OTHER_WITH_APPEAL),))
            first.start()
            assert holding.wait(WAIT)
            stream = stream_in_background(client, [Article("story", OLD)])
            assert until(lambda: ("story", False) in submitted, WAIT)
            answers: list[Any] = []
            alone = threading.Thread(target=lambda: answers.append(client.index(Article("other", NEW))))
            alone.start()
            assert until(lambda: ("other", True) in submitted, WAIT)  # urgent at once: nothing of its id queued
        first.join(WAIT)
        alone.join(WAIT)
        stream.join(WAIT)
        # Decided ahead of the queued story: the first decided of the two is the original.
        assert answers[0].duplicate_of is None
        assert client.get("story").duplicate_of == "other"


@pytest.mark.parametrize("one_call", [True, False], ids=["DeleteArticle", "DeleteArticles"])
def test_a_takedown_of_an_article_a_stream_still_holds_is_not_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_call: bool
) -> None:
    with in_process_server(tmp_path / "data") as (running, client):
        submitted, waited = record_submissions(running.engine, monkeypatch), record_waits(monkeypatch)
        with writer_held(running.engine, monkeypatch):
            stream = stream_in_background(client, [Article("first", OTHER_WITH_APPEAL), Article("story", OLD)])
            assert until(lambda: ("story", False) in submitted, WAIT)
            takedown, deleted = take_down_in_background(client, "story", one_call)
            # (before the fix the delete did not wait: it found nothing stored yet and answered at once)
            assert until(lambda: "story" in waited or not takedown.is_alive(), WAIT)
        takedown.join(WAIT)
        stream.join(WAIT)
        assert deleted == [True]  # stored by then, and deleted (before: not found, so nothing deleted)
        with pytest.raises(NotFoundError):
            client.get("story")  # (before: stored after the delete)


def test_a_correction_waits_for_the_older_version_in_a_batch_the_server_read_but_has_not_queued_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the reader queues a batch's articles one by one, fingerprinting each: those after the one it works on
    # were read but not pending, and a correction of one of them jumped ahead of it). No workers: it holds the
    # reader in the in-process detector's prepare, which a server with workers does not call.
    with in_process_server(tmp_path / "data") as (running, client):
        submitted, waited = record_submissions(running.engine, monkeypatch), record_waits(monkeypatch)
        at_filler, go_on = threading.Event(), threading.Event()
        prepare = running.engine.detector.prepare

        def slow_at_filler(article: Any) -> Any:
            if article.id == "filler":
                at_filler.set()
                go_on.wait(WAIT)  # (the reader, fingerprinting the batch's second article)
            return prepare(article)

        monkeypatch.setattr(running.engine.detector, "prepare", slow_at_filler)
        try:
            batch = [Article("first", OTHER_WITH_APPEAL), Article("filler", WIRE + " filler"), Article("story", OLD)]
            stream = threading.Thread(
                target=lambda: list(client.index_stream(batch, batch=3, timeout=WAIT)), daemon=True
            )
            stream.start()
            assert at_filler.wait(WAIT)  # the batch is read; "story" is not queued yet
            answers: list[Any] = []
            alone = threading.Thread(target=lambda: answers.append(client.index(Article("story", NEW))))
            alone.start()
            assert until(lambda: ("story", True) in submitted or "story" in waited, WAIT)
        finally:
            go_on.set()
        alone.join(WAIT)
        stream.join(WAIT)
        assert [a.id for a in answers] == ["story"]
        assert client.get("story").article.body == NEW  # (before: OLD, queued after the correction was decided)


def test_a_delete_whose_call_ended_while_it_waited_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the server's grace over, or the caller gone: told the call was cut, the caller cannot know it was done;
    # a delete carried out after that, and sent again, was answered NOT_FOUND)
    contexts: list[grpc.ServicerContext] = []
    wait = NearDuplicateServicer._after_earlier_versions

    def recording(self: NearDuplicateServicer, ids: Any, context: grpc.ServicerContext, otherwise: str) -> None:
        contexts.append(context)
        wait(self, ids, context, otherwise)

    monkeypatch.setattr(NearDuplicateServicer, "_after_earlier_versions", recording)
    with in_process_server(tmp_path / "data") as (running, client):
        submitted, waited = record_submissions(running.engine, monkeypatch), record_waits(monkeypatch)
        with writer_held(running.engine, monkeypatch):
            stream = stream_in_background(client, [Article("first", OTHER_WITH_APPEAL), Article("story", OLD)])
            assert until(lambda: ("story", False) in submitted, WAIT)
            with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                stub = pb_grpc.NearDuplicateServiceStub(channel)
                call = stub.DeleteArticle.future(pb.DeleteArticleRequest(id="story"))
                assert until(lambda: "story" in waited, WAIT)  # the delete waits for the queued version
                call.cancel()  # type: ignore[no-untyped-call]
                assert until(lambda: not contexts[0].is_active(), WAIT)  # the server knows the call ended
        stream.join(WAIT)
        assert client.get("story").article.body == OLD  # not deleted (before: deleted once the wait was over)
