"""Limits: in-flight calls, message and body size, deadlines, keepalive options."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from benchmarks.loopback import wait_for
from client import (
    Article,
    DeadlineExceededError,
    InvalidArgumentError,
    NeardupClient,
    NeardupClientError,
    NotFoundError,
    ResourceExhaustedError,
    Retry,
)
from service import engine as engine_module
from service.detector import MAX_FIELD_BYTES, MAX_ID_BYTES
from service.grpc_server import RunningServer, server_options
from service.servicer import DEFAULT_RECEIVE_LIMIT, largest_article_answer, receive_limit
from service.settings import Settings
from tests.articles import SAME_EVENT_A, SAME_EVENT_B, WIRE
from tests.support import (
    HELD_PAST_DEADLINE,
    SERVER_ANSWERS_DEADLINE,
    calls_settle,
    in_process_server,
    writes_held,
)


class HeldStream:
    """An IndexArticles stream that stays open (holding one server worker) until released."""

    def __init__(self, client: NeardupClient, article_id: str = "held-1") -> None:
        self.release = threading.Event()
        self._first = Article(article_id, WIRE)
        self.outcomes = client.index_stream(self._requests())
        assert next(self.outcomes).id == article_id  # answered: the stream now runs on a worker

    def _requests(self) -> Iterator[Article]:
        yield self._first
        self.release.wait(30)

    def close(self) -> None:
        self.release.set()
        assert list(self.outcomes) == []


class HeldIndex:
    """An IndexArticle call in flight (on a handler thread, its write held) until released: a call no stream cap
    counts, to fill --max-concurrent-rpcs with (streams alone cannot: settings.py refuses a cap that lets them)."""

    def __init__(self, running: RunningServer, client: NeardupClient, monkeypatch: pytest.MonkeyPatch) -> None:
        entered, self._release = writes_held(running.engine, monkeypatch)
        self._caller = futures.ThreadPoolExecutor(1)
        self._call = self._caller.submit(client.index, Article("held-index", SAME_EVENT_B))
        assert entered.wait(30)  # (its write began: the call is on a handler thread)

    def close(self) -> None:
        self._release.set()
        assert self._call.result(timeout=30).id == "held-index"
        self._caller.shutdown()


def test_calls_beyond_the_in_flight_limit_are_refused_not_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (both handler threads held, by a stream and an index call: the refusal is answered all the same, on threads
    # of its own)
    with in_process_server(tmp_path, max_concurrent_rpcs=2, max_workers=2, max_streams=1) as (running, client):
        held, index = HeldStream(client), HeldIndex(running, client, monkeypatch)
        assert running.metrics.in_flight._value.get() == 2
        with pytest.raises(ResourceExhaustedError) as refused:
            client.stats()  # timeout is 30 s: RESOURCE_EXHAUSTED at once proves it was not queued
        # (gRPC's own limit said "Concurrent RPC limit exceeded!": neither the limit nor the flag)
        said = "2 calls are already in flight (running or waiting for a handler thread), this server's limit "
        assert refused.value.details.startswith(said + "(--max-concurrent-rpcs): retry after a backoff")
        with pytest.raises(ResourceExhaustedError, match="--max-concurrent-rpcs"):
            list(client.index_stream([Article("one-too-many", WIRE + " Extra.")]))  # (a stream, refused as one)
        index.close()
        held.close()
        wait_for(lambda: _succeeds(client), what="calls to be accepted again")
        assert client.stats().articles == 2


def test_open_streams_at_the_stream_cap_leave_a_call_for_stats_and_health(tmp_path: Path) -> None:
    # With --max-concurrent-rpcs 2 beside 3 streams (¾ of --max-workers 4), two idle streams took every call:
    # GetStats, health and reflection were refused RESOURCE_EXHAUSTED. Such a start is refused now; at the
    # smallest call limit it takes, the streams at their cap leave one call.
    with pytest.raises(ValueError, match=r"--max-concurrent-rpcs \(2\) must be more than the index streams"):
        Settings(max_concurrent_rpcs=2, max_workers=4)
    with in_process_server(tmp_path, max_concurrent_rpcs=4, max_workers=4) as (running, client):
        held = [HeldStream(client, f"held-{n}") for n in range(3)]
        assert client.health() == "SERVING"
        assert calls_settle(running, 3)  # (the health check still in flight, GetStats was the fifth call: refused)
        assert client.stats().articles == 3
        for stream in held:
            stream.close()


def test_open_streams_beyond_the_default_cap_are_refused_and_checks_and_health_still_answer(tmp_path: Path) -> None:
    # The defaults: 16 handler threads, of which 12 may hold streams. Before the cap, 16 open
    # streams left no thread: health checks and CheckArticle waited until their deadline.
    with in_process_server(tmp_path, max_workers=16) as (running, client):
        held = [HeldStream(client, f"held-{n}") for n in range(12)]
        with pytest.raises(ResourceExhaustedError, match=r"12 request streams are already open.*--max-streams"):
            list(client.index_stream([Article("one-too-many", WIRE + " Extra.")]))
        quick = NeardupClient(f"127.0.0.1:{running.port}", timeout=5)  # answered at once, not after a wait
        assert quick.health() == "SERVING"
        assert quick.check(Article("probe", WIRE)).matches[0].id == "held-0"
        for stream in held:
            stream.close()
        quick.close()
        assert client.stats().articles == 12  # the refused stream stored nothing


def test_a_stream_slot_comes_back_when_its_stream_ends_or_is_cancelled(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_streams=1) as (_running, client):
        HeldStream(client, "first").close()  # ended normally
        cancelled = HeldStream(client, "second")
        cancelled.outcomes.close()  # the client gives up: gRPC cancels the call
        wait_for(lambda: _stream_accepted(client, "third"), what="the cancelled stream's slot to come back")
        assert {client.get(i).article.id for i in ("first", "second", "third")} == {"first", "second", "third"}


def test_a_refused_stream_retries_until_a_slot_frees_and_every_article_is_answered_once(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_streams=1) as (_running, client):
        held = HeldStream(client)
        refused = threading.Event()
        outcomes: list[str] = []
        articles = [Article(f"r{i}", f"{WIRE} Edition {i}.") for i in range(50)]

        def ingest() -> None:
            retry = Retry(attempts=200, first_wait=0.02, max_wait=0.1)
            stream = client.index_stream(articles, batch=8, retry=retry, on_retry=lambda *_: refused.set())
            outcomes.extend(outcome.id for outcome in stream)

        worker = threading.Thread(target=ingest)
        worker.start()
        assert refused.wait(20), "the second stream was not refused while the first held the only slot"
        with pytest.raises(ResourceExhaustedError, match=r"1 request stream is already open"):
            list(client.index_stream(articles[:1]))
        held.close()
        worker.join(30)
        assert outcomes == [a.id for a in articles]  # each answered exactly once, in order
        assert client.stats().articles == 51


def test_without_retry_a_refused_stream_fails_at_once(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_streams=1) as (_running, client):
        held = HeldStream(client)
        with pytest.raises(ResourceExhaustedError, match="--max-streams"):
            list(client.index_stream([Article("x", WIRE)], batch=8))
        held.close()


def test_long_articles_in_batches_travel_in_messages_under_the_size_limit(tmp_path: Path) -> None:
    # 64 articles of ~100 KB in one message would be 6 MB, over the 4 MiB limit: refused whole before.
    articles = [Article(f"long{i}", " ".join(f"w{i}x{j}" for j in range(12_000))) for i in range(40)]
    with in_process_server(tmp_path) as (_running, client):
        assert [o.id for o in client.index_stream(articles, batch=64)] == [a.id for a in articles]
        assert client.stats().articles == 40


def _stream_accepted(client: NeardupClient, article_id: str) -> bool:
    try:
        return [v.id for v in client.index_stream([Article(article_id, WIRE + f" {article_id}.")])] == [article_id]
    except ResourceExhaustedError:
        return False


def test_max_streams_must_leave_a_stream_and_fit_the_handler_threads() -> None:
    assert Settings(max_workers=16).stream_limit() == 12
    assert Settings(max_workers=1).stream_limit() == 1
    parse = Settings.from_args
    assert parse(["--max-streams", "4", "--max-workers", "8"], {}).stream_limit() == 4
    for bad in (["--max-streams", "0"], ["--max-streams", "17"], ["--max-streams", "-2"]):
        with pytest.raises(ValueError, match="--max-streams must be between 1 and --max-workers"):
            parse(bad, {})


def _succeeds(client: NeardupClient) -> bool:
    try:
        client.stats()
        return True
    except ResourceExhaustedError:
        return False


def test_a_call_whose_deadline_passed_while_queued_is_not_run(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_workers=1) as (running, client):
        held = HeldStream(client)
        late = NeardupClient(f"127.0.0.1:{running.port}", timeout=0.5)
        with pytest.raises(DeadlineExceededError) as caught:
            late.index(Article("late", WIRE + " Late edition."))
        # (retryable: nothing was stored, and an index sent again after its deadline passed is answered anyway)
        assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED and caught.value.retryable
        # The server said nothing (gRPC's bare "Deadline Exceeded"): the client says what it knows.
        assert caught.value.details == (
            "no answer came within the client's timeout of 0.5 s, so the article may or may not be stored: "
            "sending it again is safe, it is not stored twice"
        )
        held.close()
        client.stats()  # queued behind the late call on the single worker, so that call has been handled now
        with pytest.raises(NotFoundError):
            client.get("late")
        late.close()


def test_body_over_the_limit_is_invalid_argument_and_huge_message_resource_exhausted(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_body_bytes=10_000) as (running, client):
        client.index(Article("kept", WIRE))
        with pytest.raises(InvalidArgumentError, match="max-body-bytes"):
            client.index(Article("long", "word " * 3000))
        huge = Article("huge", "x" * (5 << 20))  # over the server's 4 MiB message limit
        with pytest.raises(InvalidArgumentError, match="not sent"):
            client.index(huge)  # the client knows the limit and does not send it
        unaware = NeardupClient(f"127.0.0.1:{running.port}", max_message_bytes=64 << 20)
        retried: list[float] = []
        with unaware, pytest.raises(ResourceExhaustedError) as refused:
            # A client that sends it anyway: gRPC refuses the message, and the same message would be refused
            # again (it had been retryable, and each retry sent 5 MiB for the same refusal).
            unaware.index(huge, retry=Retry(attempts=3), on_retry=lambda _e, _n, wait: retried.append(wait))
        assert not refused.value.retryable and retried == []
        assert client.stats().articles == 1
        assert client.get("kept").article.body == WIRE


def test_a_get_answer_is_at_most_largest_article_answer(tmp_path: Path) -> None:
    limit = 20_000
    body = ("é" + "word " * limit)[: limit - 1]  # (a 2-byte character first: the limit counts bytes)
    widest = Article("i" * MAX_ID_BYTES, body, title="t" * MAX_FIELD_BYTES, source="s" * MAX_FIELD_BYTES,
                     url="u" * MAX_FIELD_BYTES, published=datetime(9999, 12, 31, 23, 59, 59, 999999, UTC))  # fmt: skip
    assert len(body.encode()) == limit
    with in_process_server(tmp_path, max_body_bytes=limit) as (running, client):
        client.index(Article("o" * MAX_ID_BYTES, body, published=datetime(2026, 1, 1, tzinfo=UTC)))  # (the original)
        assert client.index(widest).duplicate_of == "o" * MAX_ID_BYTES
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            get = channel.unary_unary("/neardup.v1.NearDuplicateService/GetArticle",  # (the answer's bytes)
                                      pb.GetArticleRequest.SerializeToString, None)  # fmt: skip
            answer = get(pb.GetArticleRequest(id=widest.id), timeout=30)
    assert largest_article_answer(limit) - 16 <= len(answer) <= largest_article_answer(limit)  # (indexed_at: now)
    # GetStats' max_message_bytes, which the contract tells a client to receive, holds every such answer.
    assert all(receive_limit(b) >= largest_article_answer(b) for b in (1, limit, 4 << 20, 5 << 20, 1 << 28))


def test_a_body_limit_that_lets_get_answers_outgrow_4_mib_is_warned_of_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A 4.7 MB body was indexed, and a Go client's GetArticle of it failed RESOURCE_EXHAUSTED: nothing had said
    # that such a server's answers need a raised receive limit.
    fits = DEFAULT_RECEIVE_LIMIT - largest_article_answer(0)
    for max_body_bytes in (1 << 20, fits, fits + 1, 5 << 20):
        caplog.clear()
        with in_process_server(tmp_path / str(max_body_bytes), max_body_bytes=max_body_bytes):
            said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "GetArticle" in r.msg]
        assert bool(said) == (max_body_bytes > fits)
    assert said == [
        "--max-body-bytes 5242880 lets a GetArticle answer reach 5293118 bytes, over the 4 MiB (4194304 bytes) a gRPC "
        "client receives by default: clients that read articles back must raise their receive limit to GetStats' "
        "max_message_bytes (11534336) or more (Go: grpc.MaxCallRecvMsgSize; Java: maxInboundMessageSize; the "
        "Python client and the neardup CLI take up to 67108864), or their GetArticle of a long article fails "
        "RESOURCE_EXHAUSTED"
    ]


def test_keepalive_and_size_options_follow_settings() -> None:
    options = dict(server_options(Settings(keepalive_seconds=7, keepalive_timeout_seconds=3, min_client_ping_seconds=2,
                                           max_body_bytes=8 << 20)))  # fmt: skip
    assert options["grpc.keepalive_time_ms"] == 7000
    assert options["grpc.keepalive_timeout_ms"] == 3000
    assert options["grpc.http2.min_ping_interval_without_data_ms"] == 2000
    assert options["grpc.max_receive_message_length"] == (17 << 20)


def test_a_cancelled_stream_is_counted_once_and_frees_its_slot(tmp_path: Path) -> None:
    with in_process_server(tmp_path) as (running, client):
        held = HeldStream(client)
        held.outcomes.close()  # the client gives up mid-stream: gRPC cancels the call
        method = "neardup.v1.NearDuplicateService/IndexArticles"
        cancelled, ok = (running.metrics.calls.labels(method, code) for code in ("CANCELLED", "OK"))
        # Usually CANCELLED. But grpc may first show the server the cancel as the end of the requests:
        # the handler, having answered all of them, then ends normally, and the call counts as OK.
        wait_for(lambda: running.metrics.in_flight._value.get() == 0 and cancelled._value.get() + ok._value.get() == 1,
                 what="the cancelled stream to be recorded")  # fmt: skip
        held.release.set()
        assert client.get("held-1").article.body == WIRE  # acknowledged before the cancel: stays stored


def test_a_purge_begins_no_write_once_its_callers_deadline_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "_DELETED_A_WRITE", 1)
    with in_process_server(tmp_path) as (running, client):
        for n, body in enumerate([WIRE, SAME_EVENT_A, SAME_EVENT_B]):
            client.index(Article(f"a{n}", body))
        # (the purge's first write waits until its caller has given up)
        entered, release = writes_held(running.engine, monkeypatch)
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.NearDuplicateServiceStub(channel)
            with pytest.raises(grpc.RpcError) as late:
                stub.DeleteArticles(pb.DeleteArticlesRequest(ids=["a0", "a1", "a2"]), timeout=HELD_PAST_DEADLINE)
        assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED and entered.is_set()
        release.set()
        method = "neardup.v1.NearDuplicateService/DeleteArticles"
        expired = running.metrics.calls.labels(method, "DEADLINE_EXCEEDED")
        wait_for(lambda: running.metrics.in_flight._value.get() == 0 and expired._value.get() == 1,
                 what="the purge to stop at its next write")  # fmt: skip
        assert client.stats().articles == 2  # the write under way when the deadline passed, and no other
        assert client.get("a2").article.body == SAME_EVENT_B


def test_an_index_call_past_its_deadline_says_whether_the_article_may_be_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_server(tmp_path) as (running, client):
        # (the writer has taken the first article, and its write waits)
        entered, release = writes_held(running.engine, monkeypatch)
        with NeardupClient(f"127.0.0.1:{running.port}", timeout=SERVER_ANSWERS_DEADLINE) as hasty:
            with pytest.raises(DeadlineExceededError, match="while the article was being stored: it may be stored"):
                hasty.index(Article("taken", WIRE))
            assert entered.is_set()
            with pytest.raises(DeadlineExceededError, match="before the article was taken up: it was not stored"):
                hasty.index(Article("queued", SAME_EVENT_A))  # behind the held write
        release.set()
        wait_for(lambda: client.stats().articles == 1, what="the held write to end")
        assert client.get("taken").article.body == WIRE
        with pytest.raises(NotFoundError):
            client.get("queued")


def test_with_retry_an_index_past_its_deadline_is_sent_again_and_answered_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (DEADLINE_EXCEEDED was not retried: retry=Retry() raised it, though the article was stored, and a pipeline
    # that trusted the retry to resend what might not be stored dropped it)
    with in_process_server(tmp_path) as (running, client):
        # (the first attempt's article taken by the writer, its write held)
        entered, release = writes_held(running.engine, monkeypatch)
        heard: list[str] = []

        def on_retry(error: NeardupClientError, unanswered: int, wait: float) -> None:
            heard.append(error.code.name)
            release.set()  # (the first attempt's write goes on: the next attempt finds the article stored)

        with NeardupClient(f"127.0.0.1:{running.port}", timeout=HELD_PAST_DEADLINE) as hasty:
            verdict = hasty.index(Article("taken", WIRE), retry=Retry(attempts=3, first_wait=0.01), on_retry=on_retry)
        assert heard[0] == "DEADLINE_EXCEEDED" and entered.is_set()
        assert (verdict.id, verdict.outcome) == ("taken", "unchanged")  # stored once, by the first attempt
        assert client.stats().articles == 1


def test_an_index_whose_retries_are_spent_says_an_earlier_attempt_may_have_stored_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the last attempt's "it was not stored" was raised as if it said what the call did, while the first
    # attempt's write went on and stored the article)
    with in_process_server(tmp_path) as (running, client):
        # (the first attempt's article taken by the writer, its write held)
        entered, release = writes_held(running.engine, monkeypatch)
        heard: list[str] = []
        with (
            NeardupClient(f"127.0.0.1:{running.port}", timeout=SERVER_ANSWERS_DEADLINE) as hasty,
            pytest.raises(DeadlineExceededError) as caught,
        ):
            hasty.index(Article("taken", WIRE), retry=Retry(attempts=1, first_wait=0, max_wait=0, jitter=0),
                        on_retry=lambda error, _unanswered, _wait: heard.append(error.details))  # fmt: skip
        assert entered.is_set() and len(heard) == 1 and "it may be stored" in heard[0]
        assert caught.value.details == (
            "the deadline passed before the article was taken up: it was not stored (after 1 retry, 2 tries in all; "
            "an earlier try may have stored it: sending it again is safe, it is not stored twice)"
        )
        assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        release.set()
        wait_for(lambda: client.stats().articles == 1, what="the held write to end")
        assert client.get("taken").article.body == WIRE  # (stored, by the first attempt)


def test_a_delete_past_the_clients_own_deadline_says_it_may_or_may_not_be_done(tmp_path: Path) -> None:
    # gRPC's bare "Deadline Exceeded" named neither the timeout nor what became of the article.
    with in_process_server(tmp_path) as (running, client):
        client.index(Article("doomed", WIRE))
        with (
            closing(sqlite3.connect(tmp_path / "neardup.db", isolation_level=None)) as other,
            NeardupClient(f"127.0.0.1:{running.port}", timeout=HELD_PAST_DEADLINE) as hasty,
        ):
            other.execute("BEGIN IMMEDIATE")  # (SQLite's write lock, as an operator's write holds it: the delete waits)
            with pytest.raises(DeadlineExceededError) as caught:
                hasty.delete("doomed")
            other.execute("ROLLBACK")
        assert caught.value.details == (
            f"no answer came within the client's timeout of {HELD_PAST_DEADLINE:g} s, so the article may or may not "
            "be deleted: "
            "deleting it again is safe (NOT_FOUND if it was)"
        )
        wait_for(lambda: client.stats().articles == 0, what="the delete to go on once the lock is released")


def test_health_watchers_hold_no_handler_thread_and_reflection_streams_have_a_cap_of_their_own(
    tmp_path: Path,
) -> None:
    # Neither needs a token. Each Watch on the main port used to hold a handler thread for as long as it was
    # open, and reflection streams had no cap: a few idle ones left no thread for the calls that need one.
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    from service.interceptors import REFLECTION_STREAMS

    with in_process_server(tmp_path, max_workers=4, max_streams=1) as (running, _client):
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        release = threading.Event()

        def reflection_requests() -> Iterator[reflection_pb2.ServerReflectionRequest]:
            yield reflection_pb2.ServerReflectionRequest(list_services="")
            release.wait(30)

        # (deadlines: so that a server whose threads they all hold fails this test instead of hanging it)
        watch = health_pb2_grpc.HealthStub(channel).Watch
        watches = [watch(health_pb2.HealthCheckRequest(), timeout=20) for _ in range(6)]
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo
        reflecting = [reflect(reflection_requests(), timeout=20) for _ in range(REFLECTION_STREAMS + 1)]
        try:
            assert all(next(w).status == health_pb2.HealthCheckResponse.SERVING for w in watches)
            answered, refused = [], []
            for stream in reflecting:
                try:
                    answered.append(next(stream).list_services_response)
                except grpc.RpcError as exc:
                    refused.append(exc)
            assert len(answered) == REFLECTION_STREAMS
            assert [e.code() for e in refused] == [grpc.StatusCode.RESOURCE_EXHAUSTED]
            assert "reflection streams are already open" in (refused[0].details() or "")
            with NeardupClient(f"127.0.0.1:{running.port}", timeout=5) as quick:
                assert quick.stats().articles == 0  # answered at once, not after the deadline
        finally:
            release.set()
            for w in watches:
                w.cancel()
            channel.close()
