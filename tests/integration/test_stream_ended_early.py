"""An index stream that a server (or a proxy on the way) ends with status OK before every article is answered:
the client must say so, retryably, not end its outcomes short as if every article had been answered. A small
real gRPC server on loopback, built on the generated servicer base, cuts its streams short on purpose."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from benchmarks.loopback import wait_for
from client import (
    Article,
    ArticleFailure,
    NeardupClient,
    NeardupClientError,
    Retry,
    StreamEndedEarlyError,
    UnavailableError,
    Verdict,
    api,
)
from client.cli import main
from client.cli_base import EXIT_FAILED, EXIT_OK
from client.errors import SERVER_LOAD_FAILED
from client.resume import Unanswered
from tests.articles import WIRE
from tests.support import serving

IDS = [f"a{i}" for i in range(5)]
ANSWERED = 2  # articles a cut stream answers before it ends
NO_WAIT = Retry(attempts=2, first_wait=0, max_wait=0, jitter=0)


def _answer(article_id: str) -> pb.IndexArticlesResponse:
    return pb.IndexArticlesResponse(id=article_id, verdict=pb.Verdict(id=article_id, outcome=pb.INDEX_OUTCOME_NEW))


class _CuttingService(pb_grpc.NearDuplicateServiceServicer):
    """Answers each article it is sent as new, but ends its first `cuts` streams (status OK) after answering
    ANSWERED articles. `read_more`: it reads one request more than it answers before ending (so the client
    surely has an article unanswered), else exactly the ones it answers."""

    def __init__(self, cuts: int, read_more: bool = True) -> None:
        self.cuts = cuts
        self.read_more = read_more
        self.streams: list[list[str]] = []  # the ids each stream received, in order
        self._lock = threading.Lock()

    def _open(self) -> tuple[list[str], bool]:
        with self._lock:
            received: list[str] = []
            self.streams.append(received)
            return received, len(self.streams) <= self.cuts

    def IndexArticles(self, request_iterator: Iterator[pb.IndexArticlesRequest], context: Any) -> Any:
        received, cut = self._open()
        for request in request_iterator:
            received.append(request.article.id)
            if cut and len(received) > ANSWERED:
                return
            yield _answer(request.article.id)
            if cut and not self.read_more and len(received) == ANSWERED:
                return

    def IndexArticleBatches(self, request_iterator: Iterator[pb.IndexArticleBatchesRequest], context: Any) -> Any:
        received, cut = self._open()
        for request in request_iterator:
            ids = [a.id for a in request.articles]
            received += ids
            yield pb.IndexArticleBatchesResponse(results=[_answer(i) for i in (ids[:ANSWERED] if cut else ids)])
            if cut:
                return


@contextmanager
def _serving(cuts: int, read_more: bool = True) -> Iterator[tuple[str, _CuttingService]]:
    """A _CuttingService on a loopback port: its address, and it."""
    # (The generated stubs mark the methods it leaves out abstract; at run time the base answers them UNIMPLEMENTED.)
    service = _CuttingService(cuts, read_more)  # type: ignore[abstract]
    with serving(service) as target:
        yield target, service


@pytest.fixture
def cut_always() -> Iterator[tuple[str, _CuttingService]]:
    with _serving(cuts=1000) as served:
        yield served


@pytest.fixture
def cut_once() -> Iterator[tuple[str, _CuttingService]]:
    with _serving(cuts=1) as served:
        yield served


def _articles() -> list[Article]:
    return [Article(i, WIRE) for i in IDS]


def _taken_until_error(outcomes: Iterator[Verdict | ArticleFailure]) -> tuple[list[str], NeardupClientError | None]:
    taken: list[str] = []
    try:
        for outcome in outcomes:
            taken.append(outcome.id)
    except NeardupClientError as exc:
        return taken, exc
    return taken, None


@pytest.mark.parametrize("batch", [1, 4])
def test_a_stream_ended_ok_with_articles_unanswered_raises_a_retryable_error(
    cut_always: tuple[str, _CuttingService], batch: int
) -> None:
    target, _ = cut_always
    with NeardupClient(target, timeout=30) as client:
        taken, error = _taken_until_error(client.index_stream(_articles(), batch=batch, timeout=30))
    assert taken == IDS[:ANSWERED]  # (the answers that came are still the caller's, in order)
    assert isinstance(error, StreamEndedEarlyError) and isinstance(error, UnavailableError)
    assert error.retryable and error.code == grpc.StatusCode.UNAVAILABLE
    # (how many were unanswered is how far gRPC's sending thread got before the cut: one is "1 article")
    assert re.search(r"the server ended the stream with [\d,]+ articles? unanswered", str(error)), str(error)


@pytest.mark.parametrize("batch", [1, 4])
def test_with_retry_the_articles_a_cut_stream_left_are_sent_again_and_each_answered_once(
    cut_once: tuple[str, _CuttingService], batch: int
) -> None:
    target, service = cut_once
    heard: list[tuple[NeardupClientError, int]] = []
    with NeardupClient(target, timeout=30) as client:
        outcomes = client.index_stream(
            _articles(), batch=batch, timeout=30, retry=NO_WAIT, on_retry=lambda e, n, _: heard.append((e, n))
        )
        assert [o.id for o in outcomes] == IDS
    ((error, unanswered),) = heard
    assert isinstance(error, StreamEndedEarlyError) and unanswered >= 1
    assert len(service.streams) == 2 and service.streams[1][0] == IDS[ANSWERED]  # (resent from the first left)


def test_a_stream_ended_ok_before_the_client_finished_sending_raises_too() -> None:
    """Every article sent is answered, but the server ended the stream while the client had more to send."""
    more = threading.Event()

    def articles() -> Iterator[Article]:
        yield from _articles()[:ANSWERED]
        more.wait(30)  # (the rest come only once the stream has ended: none of them was sent on it)
        yield from _articles()[ANSWERED:]

    with _serving(cuts=1000, read_more=False) as (target, _):
        try:
            with NeardupClient(target, timeout=30) as client:
                taken, error = _taken_until_error(client.index_stream(articles(), timeout=30))
        finally:
            more.set()
    assert taken == IDS[:ANSWERED]
    assert isinstance(error, StreamEndedEarlyError) and error.retryable
    assert "before the client had finished sending" in str(error)


def test_with_retry_a_stream_ended_before_the_client_finished_sending_goes_on_in_a_new_one() -> None:
    more = threading.Event()

    def articles() -> Iterator[Article]:
        yield from _articles()[:ANSWERED]
        more.wait(30)
        yield from _articles()[ANSWERED:]

    def on_retry(error: NeardupClientError, unanswered: int, wait: float) -> None:
        assert isinstance(error, StreamEndedEarlyError) and unanswered == 0
        more.set()  # (the caller's source goes on: the new stream sends the rest)

    with _serving(cuts=1, read_more=False) as (target, service):
        try:
            with NeardupClient(target, timeout=30) as client:
                outcomes = client.index_stream(articles(), timeout=30, retry=NO_WAIT, on_retry=on_retry)
                assert [o.id for o in outcomes] == IDS
        finally:
            more.set()
    assert service.streams[0] == IDS[:ANSWERED] and service.streams[1] == IDS[ANSWERED:]


def _write_input(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": i, "body": WIRE}) + "\n" for i in IDS), encoding="utf-8")
    return path


def test_ingest_fails_saying_how_far_it_got_when_the_server_cuts_its_stream_short(
    cut_always: tuple[str, _CuttingService], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target, _ = cut_always
    out = tmp_path / "out.jsonl"
    argv = ["ingest", str(_write_input(tmp_path)), "--server", target, "--retries", "0", "--no-progress"]
    assert main([*argv, "--output", str(out)], env={}) == EXIT_FAILED
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == IDS[:ANSWERED]
    err = capsys.readouterr().err
    assert "the server ended the stream with" in err and f"stopped once {ANSWERED} lines were answered" in err


def test_ingest_resends_what_a_stream_cut_short_left_and_answers_every_line(
    cut_once: tuple[str, _CuttingService], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target, _ = cut_once
    out = tmp_path / "out.jsonl"
    argv = ["ingest", str(_write_input(tmp_path)), "--server", target, "--retries", "1", "--no-progress"]
    assert main([*argv, "--output", str(out)], env={}) == EXIT_OK
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == IDS
    err = capsys.readouterr().err
    assert "the server ended the stream with" in err and "resending" in err and "5 lines answered" in err


class _GoneThenLoadFailed(pb_grpc.NearDuplicateServiceServicer):
    """Its first stream reads `first_reads` articles and fails as a server gone away does (it may have stored
    them); every later one reads all and fails as a restarted server whose index load failed (none stored)."""

    def __init__(self, first_reads: int) -> None:
        self.first_reads = first_reads
        self.streams = 0

    def IndexArticles(self, request_iterator: Iterator[pb.IndexArticlesRequest], context: Any) -> Any:
        self.streams += 1
        for read, _ in enumerate(request_iterator, 1):
            if self.streams == 1 and read == self.first_reads:
                context.abort(grpc.StatusCode.UNAVAILABLE, "Socket closed")
        context.abort(grpc.StatusCode.UNAVAILABLE, f"{SERVER_LOAD_FAILED} and is stopping: the call was held")


def test_a_load_failed_after_a_retry_does_not_say_not_stored_of_articles_an_earlier_attempt_sent() -> None:
    # (The first attempt's server read them and may have stored them, then went away: "were not stored" of all
    # of them, as the last attempt's load failure alone said, was wrong.)
    service = _GoneThenLoadFailed(first_reads=len(IDS))  # type: ignore[abstract]
    with (
        serving(service) as target,
        NeardupClient(target, timeout=30) as client,
        pytest.raises(UnavailableError) as failed,
    ):
        list(client.index_stream(_articles(), batch=1, timeout=30, retry=NO_WAIT))
    assert failed.value.unanswered == failed.value.may_be_stored == len(IDS)
    said = f"{len(IDS)} articles sent on the stream were left unanswered, and may or may not be stored"
    assert said in str(failed.value) and " not stored" not in str(failed.value), str(failed.value)


class _AnsweredThenGoneThenLoadFailed(pb_grpc.NearDuplicateServiceServicer):
    """Its first stream answers its first article and fails as a server gone away does, nothing left unanswered;
    every later one reads all and fails as a restarted server whose index load failed (none stored). The first
    stream fails only once `asked` is set: the client's gRPC thread is then waiting in the feed for the next
    article. (gRPC's thread reads the next request only if the call has not ended by the time its send is done:
    failed sooner, under load, the stale attempt never read on, and a test waiting for it to did so in vain.)"""

    def __init__(self, asked: threading.Event) -> None:
        self.streams = 0
        self.asked = asked

    def IndexArticles(self, request_iterator: Iterator[pb.IndexArticlesRequest], context: Any) -> Any:
        self.streams += 1
        for request in request_iterator:
            if self.streams == 1:
                if not self.asked.wait(timeout=30):  # (an assert here would reach the test as a bare UNKNOWN)
                    context.abort(grpc.StatusCode.INTERNAL, "the client's gRPC thread never asked for a second article")
                yield _answer(request.article.id)
                context.abort(grpc.StatusCode.UNAVAILABLE, "the server went away")
        context.abort(grpc.StatusCode.UNAVAILABLE, f"{SERVER_LOAD_FAILED} and is stopping: the call was held")


class _Recorded(Unanswered[Article]):
    """Unanswered, each one made kept in `made`: a test sees what a stream has read."""

    made: ClassVar[list[Unanswered[Article]]] = []

    def __init__(self, source: Iterable[Article], window: int) -> None:
        super().__init__(source, window)
        self.made.append(self)


def test_an_article_a_failed_attempt_read_during_the_back_off_is_not_said_to_be_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow feed's stream failed between two articles (all sent answered); during the back-off its stale gRPC
    thread read the next one, which it never sent. Counted after the wait, that article was said to be sent by an
    earlier attempt ("may or may not be stored"), though every attempt that sent it reached no store."""
    monkeypatch.setattr(api, "Unanswered", _Recorded)
    _Recorded.made = []
    asked, second = threading.Event(), threading.Event()

    def feed() -> Iterator[Article]:
        yield Article("a0", WIRE)
        asked.set()
        second.wait(timeout=30)  # (a slow feed: the gRPC thread waits here for the next line)
        yield Article("a1", WIRE)

    unanswered_said: list[int] = []

    def on_retry(_error: NeardupClientError, unanswered: int, _wait: float) -> None:
        unanswered_said.append(unanswered)
        if not second.is_set():  # (the first failure: the next line comes during the back-off, read by the stale)
            second.set()
            wait_for(lambda: len(_Recorded.made[0]) == 1, timeout=10, what="the stale attempt to read a1")

    service = _AnsweredThenGoneThenLoadFailed(asked)  # type: ignore[abstract]
    with serving(service) as target, NeardupClient(target, timeout=30) as client:
        outcomes = client.index_stream(feed(), batch=1, timeout=30, retry=NO_WAIT, on_retry=on_retry)
        taken, failed = _taken_until_error(outcomes)
    assert taken == ["a0"] and unanswered_said == [0, 1], failed
    assert isinstance(failed, UnavailableError) and failed.unanswered == 1 and failed.may_be_stored == 0
    assert failed.details.endswith(" (after 2 retries, 3 tries in all); 1 article sent on the stream was not stored")
