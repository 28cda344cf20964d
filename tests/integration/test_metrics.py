"""Prometheus metrics scraped over real HTTP from a server with --metrics-port 0 (a free port)."""

from __future__ import annotations

import gc
import http.client
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import grpc._server as grpc_server_module
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc
from prometheus_client import Gauge

from client import Article, ArticleFailure, InvalidArgumentError, NeardupClient, NeardupClientError, UnavailableError
from client.cli import main
from service import __version__
from service.engine import Engine
from service.grpc_server import RunningServer
from service.interceptors import Arrival, CallPool
from service.model import Article as ModelArticle
from service.model import Verdict
from service.scrape_server import CONNECTION_THREAD, IDLE_SECONDS, MOST_CONNECTIONS
from service.servicer import NearDuplicateServicer
from service.settings import FINGERPRINT_SCHEME
from tests.articles import APPEAL, OTHER_WITH_APPEAL, SAME_EVENT_A, SAME_EVENT_B, WIRE, WIRE_WITH_APPEAL
from tests.support import HELD_PAST_DEADLINE, calls_settle, in_process_server, scrape, until

INDEX = "neardup.v1.NearDuplicateService/IndexArticle"
CHECK = "neardup.v1.NearDuplicateService/CheckArticle"
STATS = "neardup.v1.NearDuplicateService/GetStats"
STREAM = "neardup.v1.NearDuplicateService/IndexArticles"


def test_calls_latency_articles_matches_and_store_timings(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, client):
        assert running.metrics_port
        client.index(Article("original", WIRE))
        client.index(Article("copy", WIRE_WITH_APPEAL))
        with pytest.raises(InvalidArgumentError):
            client.index(Article("", WIRE))
        assert client.check(Article("probe", WIRE)).matches
        gc.collect()  # (the server runs in this process: one full pass it must have counted)
        m = scrape(running.metrics_port)

    ok, bad = (("code", "OK"), ("method", INDEX)), (("code", "INVALID_ARGUMENT"), ("method", INDEX))
    full = (("generation", "2"),)
    full_passes = m[("neardup_gc_pause_seconds_count", full)]
    assert full_passes >= 1  # the one made just before the scrape
    assert m[("neardup_gc_pause_seconds_sum", full)] > 0
    assert m[("neardup_gc_pause_seconds_bucket", (*full, ("le", "+Inf")))] == full_passes
    assert m[("neardup_rpc_calls_total", ok)] == 2
    assert m[("neardup_rpc_calls_total", bad)] == 1
    assert m[("neardup_rpc_duration_seconds_count", ok)] == 2
    assert m[("neardup_rpc_duration_seconds_sum", ok)] > 0
    assert m[("neardup_articles_stored", ())] == 2
    assert m[("neardup_matches_reported_total", (("method", INDEX),))] == 1  # the copy matched the original
    assert m[("neardup_matches_reported_total", (("method", INDEX.replace("Index", "Check")),))] == 2
    assert m[("neardup_store_commit_seconds_count", ())] == 2
    assert m[("neardup_store_batch_articles_sum", ())] == 2
    assert m[("neardup_rpc_in_flight", ())] == 0
    assert m[("neardup_boilerplate_learned", ())] == 0  # one story and its copy: nothing is boilerplate yet


def test_call_buckets_reach_ten_minutes_no_created_series_and_store_reads_are_what_help_says(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, client):
        assert running.metrics_port
        client.index(Article("original", WIRE))
        reads = scrape(running.metrics_port)[("neardup_store_read_seconds_count", ())]
        client.index(Article("copy", WIRE_WITH_APPEAL))  # (a write batch: no read of its own)
        client.get("copy")
        page = client.group_page("copy")
        assert client.stats().articles == 2 and page.total_size == 2
        m = scrape(running.metrics_port)
        with urllib.request.urlopen(f"http://127.0.0.1:{running.metrics_port}/metrics", timeout=10) as response:
            page_text = response.read().decode()

    # A get, a group listing, a GetStats, and the scrape's two counts (articles stored, learned boilerplate):
    assert m[("neardup_store_read_seconds_count", ())] == reads + 3 + 2
    assert "# HELP neardup_store_read_seconds Read transaction duration (checks, gets, group listings, stats," in (
        page_text
    )
    assert not [name for name, _labels in m if name.endswith("_created")]  # (one more series per labelled series)
    at_most_10_min = (("code", "OK"), ("le", "600.0"), ("method", INDEX))
    assert m[("neardup_rpc_duration_seconds_bucket", at_most_10_min)] == 2  # (a stream of minutes falls under +Inf)


def test_a_check_held_past_its_deadline_is_not_made_and_is_counted_as_deadline_exceeded(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, client):
        assert running.metrics_port
        port = running.metrics_port
        client.index(Article("original", WIRE))
        asked = _noting_checks(running.engine)
        hasty = NeardupClient(f"127.0.0.1:{running.port}", timeout=HELD_PAST_DEADLINE)
        hasty.wait_ready(timeout=10)  # (connecting is not part of the check's time)
        # The store held alone (as for a band-index merge's swap): the check waits past its deadline.
        store_lock = running.engine.store._store._lock  # type: ignore[attr-defined]  # (inside the timing wrapper)
        with hasty, store_lock.exclusive(), futures.ThreadPoolExecutor(1) as caller:
            call = caller.submit(hasty.check, Article("probe", WIRE))
            assert until(lambda: len(asked) == 1)  # the check waits for the store, held alone
            refused = call.exception(timeout=30)
            assert isinstance(refused, NeardupClientError) and refused.code == grpc.StatusCode.DEADLINE_EXCEEDED
            # The server's deadline too, before the store is let go (it comes after the caller's: gRPC rounds the
            # timeout it sends up).
            deadline = asked[0][2]
            assert deadline is not None
            assert until(lambda: time.monotonic() >= deadline)
        _assert_given_up(port, "DEADLINE_EXCEEDED", client)


def test_a_check_cancelled_while_held_is_not_made_and_is_counted_as_cancelled(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, client):
        assert running.metrics_port
        port = running.metrics_port
        client.index(Article("original", WIRE))
        engine = running.engine
        asked = _noting_checks(engine)
        store_lock = engine.store._store._lock  # type: ignore[attr-defined]  # (inside the timing wrapper)
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel, store_lock.exclusive():
            request = pb.CheckArticleRequest(article=pb.Article(id="probe", body=WIRE))
            stub = pb_grpc.NearDuplicateServiceStub(channel)
            # (seen as a grpc.Future: in grpc-stubs a call's cancel is RpcContext's, which is unannotated)
            call: grpc.Future[pb.CheckArticleResponse] = stub.CheckArticle.future(request)
            assert until(lambda: len(asked) == 1)  # the check waits for the store, held alone
            call.cancel()
            wanted = asked[0][3]
            assert wanted is not None
            assert until(lambda: not wanted())  # the server has seen the caller cancel
        _assert_given_up(port, "CANCELLED", client)


@pytest.fixture
def get_stats_calls(monkeypatch: pytest.MonkeyPatch) -> list[grpc.ServicerContext]:
    """The context of each GetStats call the server takes up, noted as its handler begins."""
    contexts: list[grpc.ServicerContext] = []
    get_stats = NearDuplicateServicer.GetStats

    def noting(self: NearDuplicateServicer, request: pb.GetStatsRequest, context: grpc.ServicerContext) -> Any:
        contexts.append(context)
        return get_stats(self, request, context)

    monkeypatch.setattr(NearDuplicateServicer, "GetStats", noting)
    return contexts


@pytest.mark.parametrize("ending", ["deadline", "cancel"])
def test_a_call_answered_after_its_caller_gave_up_is_counted_and_logged_as_the_caller_ended_it(
    tmp_path: Path, get_stats_calls: list[grpc.ServicerContext], caplog: pytest.LogCaptureFixture, ending: str
) -> None:
    # GetStats does not watch its deadline: held (the store held alone, as for a band-index merge's swap), it
    # answers once let in, after the caller's gRPC ended the call. Past its deadline the caller heard
    # DEADLINE_EXCEEDED, which the server counted CANCELLED, as it does a call its caller cancels.
    caplog.set_level(logging.DEBUG, logger="neardup.rpc")  # (the per-call line)
    code, other = ("DEADLINE_EXCEEDED", "CANCELLED") if ending == "deadline" else ("CANCELLED", "DEADLINE_EXCEEDED")
    with in_process_server(tmp_path, metrics_port=0) as (running, _client):
        port = running.metrics_port
        assert port
        store_lock = running.engine.store._store._lock  # type: ignore[attr-defined]  # (inside the timing wrapper)
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel, store_lock.exclusive():
            stub = pb_grpc.NearDuplicateServiceStub(channel)
            timeout = 1.0 if ending == "deadline" else 60.0
            # (seen as a grpc.Future: in grpc-stubs a call's cancel is RpcContext's, which is unannotated)
            call: grpc.Future[pb.GetStatsResponse] = stub.GetStats.future(pb.GetStatsRequest(), timeout=timeout)
            assert until(lambda: len(get_stats_calls) == 1)  # the handler runs, and waits for the store
            (context,) = get_stats_calls
            if ending == "deadline":
                with pytest.raises(grpc.RpcError) as refused:
                    call.result(timeout=30)
                assert refused.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                # The server sees the call end, most often before its own deadline (gRPC rounds the timeout it
                # sends up, by ≈10 ms of 1 s); counted CANCELLED before, whenever it was answered.
                assert until(lambda: not context.is_active())
            else:
                call.cancel()
                assert until(lambda: not context.is_active())  # the server has seen the caller cancel
                assert context.time_remaining() > timeout / 2  # (with its deadline still far)
        assert until(lambda: scrape(port).get(("neardup_rpc_calls_total", (("code", code), ("method", STATS)))) == 1)
        assert ("neardup_rpc_calls_total", (("code", other), ("method", STATS))) not in scrape(port)
    assert [r.__dict__["code"] for r in caplog.records if r.__dict__.get("method") == STATS] == [code]


def test_a_stream_that_waited_for_a_worker_past_its_deadline_is_counted_deadline_exceeded(
    tmp_path: Path, get_stats_calls: list[grpc.ServicerContext]
) -> None:
    # At 10 s the server's deadline trails the caller's by ~100 ms (gRPC rounds the timeout it sends up). A stream
    # that waited that long for the one worker had a few ms left as it started, and the allowance for the rounding
    # was reckoned from those, not from the 10 s it had as it arrived: it was counted CANCELLED.
    with in_process_server(tmp_path, metrics_port=0, max_workers=1) as (running, _client):
        port = running.metrics_port
        assert port
        with _handler_threads_held(running, get_stats_calls, 1) as stub:  # (the one worker)
            requests = iter([pb.IndexArticlesRequest(article=pb.Article(id="a0", body=WIRE))])
            with pytest.raises(grpc.RpcError) as refused:
                list(stub.IndexArticles(requests, timeout=10))
            assert refused.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

        assert until(lambda: bool(_calls_by_code(port, STREAM)), timeout=30)
        assert _calls_by_code(port, STREAM) == {"DEADLINE_EXCEEDED": 1}


@contextmanager
def _handler_threads_held(
    running: RunningServer, get_stats_calls: list[grpc.ServicerContext], threads: int
) -> Iterator[pb_grpc.NearDuplicateServiceStub]:
    """A stub to the server while `threads` GetStats calls hold as many of its handler threads (the store held
    alone, as for a band-index merge's swap: each waits for it); they are answered once the block ends."""
    store_lock = running.engine.store._store._lock  # type: ignore[attr-defined]  # (inside the timing wrapper)
    assert calls_settle(running, 0)  # (a call just made, a test's checks before this, would take a holder's place)
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = pb_grpc.NearDuplicateServiceStub(channel)
        with store_lock.exclusive():
            holders = [stub.GetStats.future(pb.GetStatsRequest(), timeout=120) for _ in range(threads)]
            assert until(lambda: len(get_stats_calls) == threads)
            yield stub
        for holder in holders:
            holder.result(timeout=30)
    assert calls_settle(running, 0)  # (the holders answered: the call the test makes next takes one's place)


@pytest.fixture
def handed_to_workers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The arguments with which gRPC hands each call to the server's handler threads (CallPool.submit)."""
    handed: list[tuple[Any, ...]] = []
    submit = CallPool.submit

    def noting(self: CallPool, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        future = submit(self, fn, *args, **kwargs)
        handed.append(args)  # (once handed: counted by the pool)
        return future

    monkeypatch.setattr(CallPool, "submit", noting)
    return handed


def _ended_on_server(handed: tuple[Any, ...]) -> bool:
    """Has the server's gRPC seen this call end (its caller cancelled, or its deadline passed)? Read from gRPC's
    private state of the call, which it hands the pool with it (grpc._server's _RPCState, grpcio 1.85): nothing
    public says so before a handler runs, and a handler let in before then runs the call."""
    state = next(arg for arg in handed if hasattr(arg, "statused"))
    return not grpc_server_module._is_rpc_state_active(state)


@pytest.mark.parametrize("ending", ["deadline", "cancel"])
def test_a_unary_call_ended_while_it_waited_for_a_worker_is_counted(
    tmp_path: Path,
    get_stats_calls: list[grpc.ServicerContext],
    handed_to_workers: list[tuple[Any, ...]],
    caplog: pytest.LogCaptureFixture,
    ending: str,
) -> None:
    # gRPC runs no handler for a unary call that ended while it waited for a handler thread, so no call count saw
    # it: a server too busy for its callers' deadlines showed none of them expiring.
    caplog.set_level(logging.DEBUG, logger="neardup.rpc")  # (the per-call line)
    code = "DEADLINE_EXCEEDED" if ending == "deadline" else "CANCELLED"
    with in_process_server(tmp_path, metrics_port=0, max_workers=1) as (running, _client):
        port = running.metrics_port
        assert port
        with _handler_threads_held(running, get_stats_calls, 1) as stub:  # (the one worker)
            request = pb.CheckArticleRequest(article=pb.Article(id="late", body=WIRE))
            call: grpc.Future[pb.CheckArticleResponse] = stub.CheckArticle.future(
                request, timeout=HELD_PAST_DEADLINE if ending == "deadline" else 120
            )
            assert until(lambda: len(handed_to_workers) == 2)  # (the check waits for the worker)
            assert _gauged(running.metrics.waiting_for_thread) == 1
            assert _gauged(running.metrics.in_flight) == 1  # (the held GetStats)
            if ending == "cancel":
                call.cancel()
            else:
                with pytest.raises(grpc.RpcError) as expired:
                    call.result(timeout=30)
                assert expired.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert until(lambda: _ended_on_server(handed_to_workers[1]))

        def logged() -> list[tuple[str, str | None]]:  # the checks' call lines (after the counts: the last)
            return [
                (r.__dict__["code"], r.__dict__["peer"]) for r in caplog.records if r.__dict__.get("method") == CHECK
            ]

        assert until(lambda: bool(logged()), timeout=30)
        (line,) = logged()
        assert line[0] == code and (line[1] or "").startswith("ipv4:127.0.0.1:")  # (the caller, as gRPC names it)
        assert _calls_by_code(port, CHECK) == {code: 1}
        assert scrape(port)[("neardup_rpc_duration_seconds_count", (("code", code), ("method", CHECK)))] == 1
        assert scrape(port)[("neardup_rpc_in_flight", ())] == 0
        assert scrape(port)[("neardup_rpc_waiting_for_thread", ())] == 0
        assert _calls_by_code(port, STATS) == {"OK": 1}  # (the held one, counted once: by its handler)


def test_calls_refused_over_the_in_flight_limit_are_counted_resource_exhausted(
    tmp_path: Path, get_stats_calls: list[grpc.ServicerContext]
) -> None:
    # Refused before Observe's handler runs, they were counted nowhere: a server refusing calls for being full
    # showed no sign of it in its metrics.
    settings = {"metrics_port": 0, "max_concurrent_rpcs": 2, "max_workers": 2, "max_streams": 1}
    with in_process_server(tmp_path, **settings) as (running, client):
        port = running.metrics_port
        assert port
        with _handler_threads_held(running, get_stats_calls, 2) as stub:  # (both)
            assert _gauged(running.metrics.in_flight) == 2
            assert _gauged(running.metrics.waiting_for_thread) == 0
            for _ in range(3):
                with pytest.raises(grpc.RpcError) as refused:
                    stub.CheckArticle(pb.CheckArticleRequest(article=pb.Article(id="one", body=WIRE)), timeout=30)
                assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        timed = ("neardup_rpc_duration_seconds_count", (("code", "RESOURCE_EXHAUSTED"), ("method", CHECK)))
        assert until(lambda: scrape(port).get(timed) == 3)  # (timed after it is counted)
        assert _calls_by_code(port, CHECK) == {"RESOURCE_EXHAUSTED": 3}
        assert _calls_by_code(port, STATS) == {"OK": 2}
        assert client.check(Article("after", WIRE)).duplicate_of is None  # (served again once the calls ended)
        assert until(lambda: _calls_by_code(port, CHECK) == {"RESOURCE_EXHAUSTED": 3, "OK": 1})


@pytest.mark.parametrize(
    "asked", ["/neardup.v1.NearDuplicateService/IndexArticlez", "/neardup.v2.NearDuplicateService/CheckArticle"]
)
def test_a_call_of_a_method_the_server_lacks_is_counted_unimplemented_under_one_label(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, asked: str
) -> None:
    # gRPC answers these itself, with no handler of the server's: a client built for another version of the API (or
    # a typo) got UNIMPLEMENTED for every call and the metrics showed nothing of it.
    caplog.set_level(logging.DEBUG, logger="neardup.rpc")  # (the per-call line names the method asked for)
    with in_process_server(tmp_path, metrics_port=0) as (running, client):
        port = running.metrics_port
        assert port
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            call = channel.unary_unary(asked, request_serializer=None, response_deserializer=None)
            for _ in range(2):
                with pytest.raises(grpc.RpcError) as unknown:
                    call(b"", timeout=30)
                assert unknown.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert client.stats().articles == 0  # (served as before)
        assert _calls_by_code(port, "unknown") == {"UNIMPLEMENTED": 2}
        assert (
            scrape(port)[("neardup_rpc_duration_seconds_count", (("code", "UNIMPLEMENTED"), ("method", "unknown")))]
            == 2
        )
        assert _calls_by_code(port, STATS) == {"OK": 1}
    lines = [r.__dict__["code"] for r in caplog.records if r.__dict__.get("method") == asked.lstrip("/")]
    assert lines == ["UNIMPLEMENTED", "UNIMPLEMENTED"]


def test_a_fault_in_counting_a_call_of_a_method_the_server_lacks_still_answers_it_unimplemented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with in_process_server(tmp_path) as (running, client):
        counted = running.metrics.calls.labels

        def labels(*values: str) -> Any:
            if values[0] == "unknown":
                raise RuntimeError("broken")
            return counted(*values)

        monkeypatch.setattr(running.metrics.calls, "labels", labels)
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            call = channel.unary_unary(
                "/neardup.v1.NearDuplicateService/Nope", request_serializer=None, response_deserializer=None
            )
            with pytest.raises(grpc.RpcError) as unknown:
                call(b"", timeout=30)
        assert unknown.value.code() == grpc.StatusCode.UNIMPLEMENTED  # (raised, gRPC answers UNKNOWN)
        assert client.stats().articles == 0
    said = [r.getMessage() for r in caplog.records if r.name == "neardup.rpc" and r.exc_info]
    assert said == ["a call of a method this server does not have could not be counted"]


def test_a_fault_in_counting_calls_unrun_leaves_calls_served_and_refusals_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    get_stats_calls: list[grpc.ServicerContext],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The pool notes each call's arrival on gRPC's polling thread, outside what gRPC catches: a fault there would end
    # that thread, and the server would take no call after it. A refusal's count failing would answer it UNKNOWN.
    def broken(*_args: Any) -> bool:
        raise RuntimeError("broken")

    monkeypatch.setattr(Arrival, "handed", broken)
    monkeypatch.setattr(Arrival, "count", broken)
    settings = {"max_concurrent_rpcs": 2, "max_workers": 2, "max_streams": 1}
    with in_process_server(tmp_path, **settings) as (running, client):
        for n in range(3):
            assert client.check(Article(f"c{n}", WIRE)).duplicate_of is None
            assert calls_settle(running, 0)  # (with the two before still in flight, the third was refused)
        with _handler_threads_held(running, get_stats_calls, 2) as stub:
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetStats(pb.GetStatsRequest(), timeout=30)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert client.stats().articles == 0
    said = [r.getMessage() for r in caplog.records if r.name == "neardup.rpc" and r.exc_info]
    assert "a call's arrival could not be noted; if it ends before a handler runs, it is not counted" in said
    assert "a call refused over --max-concurrent-rpcs could not be counted" in said


def _gauged(gauge: Gauge) -> float:
    """A gauge's value as a scrape reads it, without the scrape: one while the store is held would wait for it (the
    article count is read from the store)."""
    (family,) = gauge.collect()
    return float(family.samples[0].value)


def _calls_by_code(port: int, method: str) -> dict[str, float]:
    """`neardup_rpc_calls_total` of one method, by code."""
    return {dict(labels)["code"]: n for (name, labels), n in scrape(port).items()
            if name == "neardup_rpc_calls_total" and dict(labels).get("method") == method}  # fmt: skip


_Asked = tuple[ModelArticle, bool, float | None, Callable[[], bool] | None]


def _noting_checks(engine: Engine) -> list[_Asked]:
    """The engine's checks, each noting what the server asked it with (article, evidence, deadline, wanted)."""
    real_check = engine.check_article
    asked: list[_Asked] = []

    def check_article(
        article: ModelArticle,
        evidence: bool = False,
        deadline: float | None = None,
        wanted: Callable[[], bool] | None = None,
    ) -> Verdict:
        asked.append((article, evidence, deadline, wanted))
        return real_check(article, evidence, deadline, wanted)

    engine.check_article = check_article  # type: ignore[method-assign]
    return asked


def _assert_given_up(port: int, code: str, client: NeardupClient) -> None:
    """The server, let in after the hold, gave up on the held check (counted with `code`) instead of
    making it for no one (no match reported), and answers other checks as usual."""
    assert until(lambda: scrape(port).get(("neardup_rpc_calls_total", (("code", code), ("method", CHECK)))) == 1)
    assert ("neardup_matches_reported_total", (("method", CHECK),)) not in scrape(port)
    assert client.check(Article("probe", WIRE)).duplicate_of == "original"


def test_articles_a_stream_answers_with_an_error_are_counted_though_the_call_is_ok(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, client):
        assert running.metrics_port
        batch = [Article("good", WIRE), Article("bad", "   "), Article("worse\n", WIRE_WITH_APPEAL)]
        outcomes = list(client.index_stream(batch, batch=3))
        assert [type(o).__name__ for o in outcomes] == ["Verdict", "ArticleFailure", "ArticleFailure"]
        m = scrape(running.metrics_port)
    method = "neardup.v1.NearDuplicateService/IndexArticleBatches"
    assert m[("neardup_rpc_calls_total", (("code", "OK"), ("method", method)))] == 1
    assert m[("neardup_article_errors_total", (("code", "INVALID_ARGUMENT"), ("method", method)))] == 2


def test_boilerplate_gauge_counts_what_was_learned(tmp_path: Path) -> None:
    stories = [WIRE_WITH_APPEAL, OTHER_WITH_APPEAL, APPEAL + "\n\n" + SAME_EVENT_A, APPEAL + "\n\n" + SAME_EVENT_B]
    with in_process_server(tmp_path, metrics_port=0) as (running, client):
        assert running.metrics_port
        client.index(Article("s0", stories[0]))
        assert scrape(running.metrics_port)[("neardup_boilerplate_learned", ())] == 0
        for i, body in enumerate(stories[1:], start=1):
            client.index(Article(f"s{i}", body))
        learned = scrape(running.metrics_port)[("neardup_boilerplate_learned", ())]
    assert learned > 0  # the appeal, seen in 3+ different stories (the default), now counts as boilerplate


def test_metrics_are_off_by_default(tmp_path: Path) -> None:
    with in_process_server(tmp_path) as (running, _client):
        assert running.metrics_port is None


def test_a_taken_metrics_port_stops_startup_with_a_clear_error(tmp_path: Path) -> None:
    with in_process_server(tmp_path / "a", metrics_port=0) as (running, _client):
        taken = running.metrics_port
        with (
            pytest.raises(OSError, match=r"could not serve metrics on .*choose another with --metrics-port"),
            in_process_server(tmp_path / "b", metrics_port=taken),
        ):
            pass


def test_idle_connections_to_the_metrics_port_hold_few_threads_and_are_closed(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, _client):
        assert running.metrics_port
        idle = [socket.create_connection(("127.0.0.1", running.metrics_port), timeout=5) for _ in range(200)]
        try:
            # A scrape gets in past them (it closes the oldest idle connection, if all are taken) ...
            assert scrape(running.metrics_port)[("neardup_rpc_in_flight", ())] == 0
            # ... and the server holds a thread for at most a few of them (it held one for each, for ever).
            assert _connection_threads() <= MOST_CONNECTIONS
            # Those that send nothing are closed: at once for a newcomer, or once idle for too long.
            assert until(lambda: all(map(_closed_by_server, idle)), timeout=IDLE_SECONDS + 5)
        finally:
            for connection in idle:
                connection.close()
        assert until(lambda: _connection_threads() == 0)


def test_closing_the_metrics_server_ends_its_open_connections(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, _client):
        assert running.metrics_port
        idle = [socket.create_connection(("127.0.0.1", running.metrics_port), timeout=5) for _ in range(3)]
        try:
            assert until(lambda: _connection_threads() == 3)  # each connection has its thread
            running.metrics.close()
            # Well before an idle connection would time out: the threads reading them are woken, not left.
            assert until(lambda: all(map(_closed_by_server, idle)), timeout=IDLE_SECONDS / 2)
            assert until(lambda: _connection_threads() == 0, timeout=IDLE_SECONDS / 2)
        finally:
            for connection in idle:
                connection.close()


def _connection_threads() -> int:
    """The metrics server's threads answering a connection: counted by name, as the process's other threads
    (gRPC's, the writer's) start and end on their own, and a count of all threads made these tests flaky."""
    return sum(thread.name == CONNECTION_THREAD for thread in threading.enumerate())


def _closed_by_server(connection: socket.socket) -> bool:
    """Whether the server has ended this connection (a read finds the end of the stream), without waiting."""
    try:
        return connection.recv(1, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("command", ["stats", "check"])
def test_a_command_sent_to_the_metrics_port_says_so_at_once(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """gRPC's words were "Failed parsing HTTP/2 …" and the hint "is `neardup serve` running at …?", after check
    and ingest had waited their whole 10 s for a server there."""
    articles = tmp_path / "in.jsonl"
    articles.write_text('{"id": "a", "body": "one two three four five six"}\n')
    args = {"stats": ["stats"], "check": ["check", str(articles), "--output", str(tmp_path / "out.jsonl")]}[command]
    with in_process_server(tmp_path / "data", metrics_port=0) as (running, _client):
        started = time.monotonic()
        assert main([*args, "--server", f"127.0.0.1:{running.metrics_port}"], env={}) == 2
        assert time.monotonic() - started < 9.5  # (the wait alone was 10 s)
    assert "is not a gRPC server: if it is the metrics port, --server names the main one" in capsys.readouterr().err


def test_the_python_client_sent_to_the_metrics_port_is_told_so_and_not_to_retry(tmp_path: Path) -> None:
    # (it raised UnavailableError retryable=True with gRPC's "Failed parsing HTTP/2" alone, so Retry() tried again
    # and again what fails the same way each time)
    with in_process_server(tmp_path / "data", metrics_port=0) as (running, _client):
        target = f"127.0.0.1:{running.metrics_port}"
        with NeardupClient(target, timeout=10) as wrong, pytest.raises(UnavailableError) as refused:
            wrong.stats()
    assert f"{target} is not a gRPC server: if it is neardup's metrics port, connect to its main one" in str(
        refused.value
    )
    assert not refused.value.retryable


def test_process_python_and_build_series_are_served_and_only_at_metrics(tmp_path: Path) -> None:
    with in_process_server(tmp_path, metrics_port=0) as (running, _client):
        assert running.metrics_port
        m = scrape(running.metrics_port)
        base = f"http://127.0.0.1:{running.metrics_port}"
        refused = {}
        for path in ("/", "/healthz", "/metrics/", "/metricsx", "/favicon.ico"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(base + path, timeout=10)
            refused[path] = caught.value.code
            caught.value.close()
        with urllib.request.urlopen(f"{base}/metrics?name[]=neardup_build_info", timeout=10) as response:
            assert response.status == 200 and b"neardup_build_info{" in response.read()
        # Collectors with no describe() of their own (the process collector's, the GC pauses'): a registry that
        # does not ask them at registration knew none of their names, and ?name[]= found nothing of theirs.
        filtered = {}
        for name in ("process_open_fds", "neardup_gc_pause_seconds_count"):
            with urllib.request.urlopen(f"{base}/metrics?name[]={name}", timeout=10) as response:
                filtered[name] = response.read().decode()
        # A request in absolute form (as a proxy sends it): the path is what is matched, not the whole URL.
        connection = http.client.HTTPConnection("127.0.0.1", running.metrics_port, timeout=10)
        try:
            connection.request("GET", f"{base}/metrics")
            absolute = connection.getresponse()
            absolute_body = absolute.read()
        finally:
            connection.close()

    # An HTTP probe pointed at the port (/, /healthz) passed whatever the server's state: 404 but at /metrics.
    assert refused == dict.fromkeys(refused, 404)
    assert m[("process_resident_memory_bytes", ())] > 0
    assert m[("process_open_fds", ())] > 0 and m[("process_max_fds", ())] > 0
    assert m[("process_start_time_seconds", ())] > 0
    [python] = [labels for name, labels in m if name == "python_info"]
    assert dict(python)["implementation"] == "CPython"
    assert m[("neardup_build_info", (("scheme", FINGERPRINT_SCHEME.split(":")[0]), ("version", __version__)))] == 1
    assert "\nprocess_open_fds " in filtered["process_open_fds"]
    assert 'neardup_gc_pause_seconds_count{generation="2"}' in filtered["neardup_gc_pause_seconds_count"]
    assert absolute.status == 200 and b"\nneardup_articles_stored " in absolute_body
    # No fingerprint workers (the tests' servers have none by default): no series of theirs.
    assert not [name for name, _ in m if name.startswith("neardup_fingerprint_workers")]


def test_the_fingerprint_workers_cpu_time_and_memory_are_served_beside_the_server_process(tmp_path: Path) -> None:
    # process_* read the server's own process; the workers, forked by the forkserver, do about half the CPU work and
    # hold their own memory, which no series showed.
    articles = [Article(f"w{n}", f"dispatch {n} " + " ".join(f"v{n}k{j}" for j in range(400))) for n in range(120)]
    with in_process_server(tmp_path, metrics_port=0, fingerprint_workers=1) as (running, client):
        assert running.metrics_port and running.pool
        assert not [o for o in client.index_stream(articles, batch=16) if isinstance(o, ArticleFailure)]
        [worker] = running.pool.worker_pids()
        assert worker != os.getpid()
        m = scrape(running.metrics_port)
        with open(f"/proc/{worker}/statm") as statm:  # (read as the scrape reads it: resident pages)
            resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    assert running.pool.worker_pids() == []  # (closed with the server)
    assert m[("neardup_fingerprint_workers_cpu_seconds_total", ())] > 0
    assert 0.5 * resident < m[("neardup_fingerprint_workers_resident_memory_bytes", ())] < 2 * resident
