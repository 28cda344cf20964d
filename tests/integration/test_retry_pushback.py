"""RESOURCE_EXHAUSTED means "retry after a backoff" (a limit of calls or streams at once) or "do not retry" (a full
store; a message over the receive limit). gRPC's retry-pushback trailer, "-1", marks the full store for a client that
has only the code and metadata (a Go or Java client, gRPC's own retry policy); a limit's refusal carries none, so a
retry policy retries it with its own jittered backoff, within the caller's deadline (proto: NearDuplicateService).
Tested with gRPC's own retry policy (a service config's retryPolicy), as a Go or Java client would use it, and with
the Python client's own Retry, which reads the same trailer (client/errors.py, retry_pushback_of)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from itertools import takewhile
from pathlib import Path
from typing import Any, NoReturn

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article, NeardupClient, ResourceExhaustedError, Retry
from client import errors as client_errors
from client.cli import main
from client.cli_base import EXIT_FAILED
from service import interceptors
from service.errors import FullMidCommit, ResourceExhausted, StoreFull
from service.status import NO_RETRY_PUSHBACK_MS, RETRY_PUSHBACK, abort
from tests.articles import SAME_EVENT_A, WIRE
from tests.integration.test_limits import HeldIndex, HeldStream
from tests.support import in_process_server, serving


def _pushback(error: grpc.RpcError) -> str | None:
    call: Any = error
    return dict(call.trailing_metadata() or ()).get(RETRY_PUSHBACK)


def _stub(port: int, *options: tuple[str, Any]) -> tuple[grpc.Channel, pb_grpc.NearDuplicateServiceStub]:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20), *options])
    return channel, pb_grpc.NearDuplicateServiceStub(channel)


# gRPC's own retry policy, as a Go or Java client would configure it: RESOURCE_EXHAUSTED retried, with jittered
# exponential backoff, unless a pushback trailer says otherwise.
def _retry_policy(attempts: int = 4, first: float = 0.05, most: float = 0.2) -> tuple[str, str]:
    policy = {
        "maxAttempts": attempts,
        "initialBackoff": f"{first}s",
        "maxBackoff": f"{most}s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["RESOURCE_EXHAUSTED", "UNAVAILABLE"],
    }
    config = {"methodConfig": [{"name": [{"service": "neardup.v1.NearDuplicateService"}], "retryPolicy": policy}]}
    return "grpc.service_config", json.dumps(config)


RETRIES_ON = ("grpc.enable_retries", 1)


def _stream_refusals(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None] = lambda: None) -> list[str]:
    """The refusals the stream cap answers from now on (each a call's attempt), `then` run after the first."""
    refusals: list[str] = []

    def counted(context: grpc.ServicerContext, error: BaseException) -> NoReturn:
        if isinstance(error, ResourceExhausted):
            refusals.append(str(error))
            if len(refusals) == 1:
                then()
        abort(context, error)

    monkeypatch.setattr(interceptors, "abort", counted)
    return refusals


def _one(article_id: str, body: str) -> Iterator[pb.IndexArticlesRequest]:
    yield pb.IndexArticlesRequest(article=pb.Article(id=article_id, body=body))


def test_a_stream_over_max_streams_carries_no_pushback(tmp_path: Path) -> None:
    # (a pushback of 1000 ms was sent: gRPC obeys it exactly, every refused caller retrying at once, and past a
    # deadline shorter than the retries)
    with in_process_server(tmp_path, max_streams=1) as (running, client):
        held = HeldStream(client)
        try:
            channel, stub = _stub(running.port)
            with channel, pytest.raises(grpc.RpcError) as refused:
                list(stub.IndexArticles(_one("one-too-many", WIRE + " Extra."), timeout=30))
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "--max-streams" in str(refused.value.details())
            assert _pushback(refused.value) is None
        finally:
            held.close()


def test_a_call_over_max_concurrent_rpcs_carries_no_pushback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with in_process_server(tmp_path, max_concurrent_rpcs=2, max_workers=2, max_streams=1) as (running, client):
        held = HeldStream(client)
        try:
            index = HeldIndex(running, client, monkeypatch)
            try:
                channel, stub = _stub(running.port)
                with channel, pytest.raises(grpc.RpcError) as refused:
                    stub.GetStats(pb.GetStatsRequest(), timeout=30)
                assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert "--max-concurrent-rpcs" in str(refused.value.details())
                assert _pushback(refused.value) is None
            finally:
                index.close()
        finally:
            held.close()


def test_a_retry_policy_retries_a_busy_refusal_within_the_callers_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reviewer's case: with a pushback of 1000 ms, a caller with a 2 s deadline waited it out twice and was
    # answered DEADLINE_EXCEEDED, not the refusal. Without one, the policy's own backoff (at most 0.2 s here) runs
    # its 4 attempts, then answers RESOURCE_EXHAUSTED.
    with in_process_server(tmp_path, max_streams=1) as (running, client):
        held = HeldStream(client)
        try:
            refusals = _stream_refusals(monkeypatch)
            channel, stub = _stub(running.port, RETRIES_ON, _retry_policy())
            with channel, pytest.raises(grpc.RpcError) as refused:
                list(stub.IndexArticles(_one("busy", WIRE + " Extra."), timeout=2))
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused.value.details()
            assert len(refusals) == 4  # (maxAttempts: each attempt reached the server and was refused)
        finally:
            held.close()


def test_a_retry_policy_retries_a_busy_stream_until_a_slot_frees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_server(tmp_path, max_streams=1) as (running, client):
        held = HeldStream(client)
        try:
            refusals = _stream_refusals(monkeypatch, then=held.release.set)  # (the held stream ends: a slot frees)
            # (backoff up to 1 s, 5 attempts, gRPC's most: room for the held stream to end on a busy machine)
            channel, stub = _stub(running.port, RETRIES_ON, _retry_policy(attempts=5, first=0.2, most=1.0))
            with channel:
                (answer,) = stub.IndexArticles(_one("waited", SAME_EVENT_A), timeout=30)
            assert answer.WhichOneof("outcome") == "verdict"
            assert 1 <= len(refusals) < 5  # (refused, then retried by the policy until accepted)
            assert client.get("waited").article.id == "waited"
        finally:
            held.close()


def test_a_full_store_is_told_not_to_be_retried_and_other_refusals_carry_no_pushback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_server(tmp_path) as (running, client):
        client.index(Article("kept", WIRE))
        channel, stub = _stub(running.port)
        with channel:
            with pytest.raises(grpc.RpcError) as bad:  # (an error of another code: no trailer)
                stub.IndexArticle(pb.IndexArticleRequest(article=pb.Article(id="", body=WIRE)), timeout=30)
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert _pushback(bad.value) is None
            # gRPC's own refusal of a message over the receive limit, before the server reads it: no trailer
            huge = pb.IndexArticleRequest(article=pb.Article(id="huge", body="x" * (5 << 20)))
            with pytest.raises(grpc.RpcError) as too_large:
                stub.IndexArticle(huge, timeout=30)
            assert too_large.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "larger than max" in str(too_large.value.details())  # (what the proto says to read)
            assert _pushback(too_large.value) is None

            written = threading.Event()

            def full() -> Any:
                written.set()
                raise FullMidCommit(f"the disk holding the store ({tmp_path}) is full (in this test)")

            monkeypatch.setattr(running.engine.store, "write", full)
            with pytest.raises(grpc.RpcError) as refused:
                stub.IndexArticle(pb.IndexArticleRequest(article=pb.Article(id="new", body=SAME_EVENT_A)), timeout=30)
            assert written.is_set()
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "is full" in str(refused.value.details())
            assert _pushback(refused.value) == "-1"
            # In a stream, the article is answered in its place (ArticleError, RESOURCE_EXHAUSTED: always a full
            # store there) and the stream ends OK.
            (answer,) = stub.IndexArticles(_one("streamed", SAME_EVENT_A), timeout=30)
            assert answer.WhichOneof("outcome") == "error"
            assert answer.error.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]


def _store_full(running: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The running server's store refuses every write as full from now on; each write it was asked for is counted
    in the list returned."""
    writes: list[int] = []

    def full(*_args: Any, **_kwargs: Any) -> Any:
        writes.append(1)
        raise StoreFull(f"the disk holding the store ({tmp_path}) is full (in this test)")

    monkeypatch.setattr(running.engine.store, "write", full)
    return writes


def test_a_retry_policy_does_not_retry_a_full_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (gRPC's retry policy obeys the "-1": each refused write reached the store once, though the policy lists
    # RESOURCE_EXHAUSTED)
    with in_process_server(tmp_path) as (running, client):
        client.index(Article("kept", WIRE))
        writes = _store_full(running, tmp_path, monkeypatch)
        channel, stub = _stub(running.port, RETRIES_ON, _retry_policy())
        calls: list[Callable[[], Any]] = [
            lambda: stub.IndexArticle(
                pb.IndexArticleRequest(article=pb.Article(id="new", body=SAME_EVENT_A)), timeout=30
            ),
            lambda: stub.DeleteArticle(pb.DeleteArticleRequest(id="kept"), timeout=30),
            lambda: stub.DeleteArticles(pb.DeleteArticlesRequest(ids=["kept"]), timeout=30),
        ]
        with channel:
            for call in calls:
                writes.clear()
                with pytest.raises(grpc.RpcError) as refused:
                    call()
                assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused.value.details()
                assert _pushback(refused.value) == str(NO_RETRY_PUSHBACK_MS)
                assert writes == [1]


def test_the_proto_documents_the_trailer_and_each_rpcs_errors() -> None:
    # (what a Go or Java client reads: the values the server sends, and each RPC's codes)
    proto = (Path(__file__).parents[2] / "proto" / "neardup" / "v1" / "neardup.proto").read_text()
    service = proto.split("service NearDuplicateService {")[0]
    for said in (
        f"`{RETRY_PUSHBACK}`",
        f'"{NO_RETRY_PUSHBACK_MS}"',
        "- absent, from a limit",
        "- absent, from gRPC itself",
    ):
        assert said in service, said
    for method in pb.DESCRIPTOR.services_by_name["NearDuplicateService"].methods:
        above = proto.split(f"  rpc {method.name}(")[0].rstrip().splitlines()
        comment = list(takewhile(lambda line: line.strip().startswith("//"), reversed(above)))
        assert any(line.strip().startswith("// Errors") for line in comment), method.name
        assert "pushback 1000" not in " ".join(comment), method.name  # (no positive pushback is sent)


# ---- the Python client's own Retry, which reads the same trailer ----------------------------------------------------


def test_a_python_clients_retry_raises_a_full_stores_refusal_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Retry() tried a full store again 8 times, for up to 45.5 s, though the server asked for no retry)
    with in_process_server(tmp_path) as (running, client):
        client.index(Article("kept", WIRE))
        writes = _store_full(running, tmp_path, monkeypatch)
        retries: list[float] = []
        with pytest.raises(ResourceExhaustedError, match="is full") as refused:
            client.index(Article("new", SAME_EVENT_A), retry=Retry(), on_retry=lambda _e, _n, w: retries.append(w))
        assert writes == [1] and retries == []  # (one try: the store was asked once)
        assert refused.value.retry_pushback == client_errors.NO_RETRY_PUSHBACK
        assert refused.value.details.endswith("(not retried: the server asked for no retry)")


def _article_lines(path: Path, count: int) -> Path:
    lines = (json.dumps({"id": f"n{n}", "body": f"story {n} " + " ".join(f"w{n}x{j}" for j in range(80))}) + "\n"
             for n in range(count))  # fmt: skip
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("retries", [None, "0"], ids=["default-retries", "retries-0"])
def test_ingest_stops_at_a_full_store_at_once_saying_what_to_do_and_how_far_it_got(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], retries: str | None
) -> None:
    # (with its default --retries 8, it resent the articles for up to 45.5 s, then stopped the same way; with
    # --retries 0 it ran on through the file, an error line for every article the full store refused)
    source = _article_lines(tmp_path / "in.jsonl", 20)
    out = tmp_path / "out.jsonl"
    # One article a transaction: on a busy host all 20 reached the writer before its first transaction, which took
    # them all, and the store was never asked a second time (CI, 2026-12-07: "20 lines answered", exit 0).
    with in_process_server(tmp_path / "data", max_batch=1) as (running, _client):
        write = running.engine.store.write
        writes: list[int] = []

        def full_after_one(*args: Any, **kwargs: Any) -> Any:
            writes.append(1)
            if len(writes) > 1:
                raise FullMidCommit(f"the disk holding the store ({tmp_path}) is full (in this test): free space")
            return write(*args, **kwargs)

        monkeypatch.setattr(running.engine.store, "write", full_after_one)
        argv = ["ingest", str(source), "--server", f"127.0.0.1:{running.port}", "--batch", "1", "--no-progress"]
        flags = [] if retries is None else ["--retries", retries]
        assert main([*argv, *flags, "--output", str(out)], env={}) == EXIT_FAILED
    answered = [json.loads(line) for line in out.read_text().splitlines()]
    assert answered and [a["id"] for a in answered] == [f"n{n}" for n in range(len(answered))]
    assert all("error" not in a for a in answered)  # (the refusal is the run's: no error line for it, nor after it)
    err = capsys.readouterr().err
    assert "resending" not in err and "(retry 1 of" not in err  # (no retry was said, so none was made)
    assert "is full (in this test): free space" in err
    lines = len(answered)
    # The article refused is named as refused, the answer it had, not as one "left unanswered" (the articles sent
    # after it are, counted, with --retries 0 too: it could not count them; this one's line is where the next run
    # goes on from).
    refused = f"n{lines}"
    not_retried = " (not retried: the server asked for no retry)" if retries is None else ""
    counted = re.search(f"{re.escape(not_retried)}; that was the answer to article {refused!r}, and (none was sent "
                        r"after it|(\d+) articles? sent on the stream after it (was|were) left unanswered, and may or "
                        "may not be stored: sending (it|them) again is safe, none is stored twice)", err)  # fmt: skip
    assert counted is not None, err
    after = int(counted.group(2) or 0)
    assert after <= 20 - lines - 1
    if retries is not None:
        assert counted.group(0) + "; the run stops there: a full store refuses every article until there is room, " \
            "whatever --retries" in err  # fmt: skip
    assert "sent on the stream were left unanswered" not in err
    said = "line was" if lines == 1 else "lines were"
    # The closing line counts them too, apart from the article refused ("Articles sent after those may be stored
    # too", it said, though that one was not stored, and with --retries 0 nothing counted the others).
    them = ("and no article was sent after it" if not after else
            f"the {after} article{' sent after it' if after == 1 else 's sent after it'} may or may not be "
            "stored")  # fmt: skip
    assert (
        f"neardup ingest: stopped once {lines} {said} answered. The article refused has no output line"
        f"{', ' if not after else '; '}{them}. To go on from line {lines + 1} once the store has room (see the "
        f"message above), run the same command with --start-line {lines + 1} --append"
    ) in err


@pytest.mark.parametrize("retries", [None, "0"], ids=["default-retries", "retries-0"])
def test_ingest_in_batches_on_a_store_full_from_the_start_counts_what_it_sent_and_goes_on_from_line_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], retries: str | None
) -> None:
    source = _article_lines(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    with in_process_server(tmp_path / "data") as (running, _client):
        writes = _store_full(running, tmp_path, monkeypatch)
        argv = ["ingest", str(source), "--server", f"127.0.0.1:{running.port}", "--batch", "8", "--no-progress"]
        flags = [] if retries is None else ["--retries", retries]
        assert main([*argv, *flags, "--output", str(out)], env={}) == EXIT_FAILED
    assert writes and not out.exists()  # (no line answered: the output, never written, is not made)
    err = " ".join(capsys.readouterr().err.split())
    counted = re.search(r"that was the answer to article 'n0' and to the (\d+) articles? after it in the same batch "
                        r"\(refused with it\), and (none was sent after those|(\d+) articles? sent on the stream "
                        r"after those (was|were) left unanswered)", err)  # fmt: skip
    assert counted is not None, err
    with_it, after = int(counted.group(1)), int(counted.group(3) or 0)
    assert 1 <= with_it <= 7 and with_it + 1 + after <= 40
    them = f"the {after} article{'' if after == 1 else 's'} sent after them may or may not be stored"
    articles = "article" if with_it == 1 else "articles"
    kept = "its answer" if with_it == 1 else "their answers"
    said = (f"The article refused and the {with_it} {articles} after it in its batch ({kept} not kept) have no "
            "output line"
            + (", and no article was sent after them" if not after else f"; {them}"))  # fmt: skip
    assert (
        f"neardup ingest: stopped once 0 lines were answered. {said}. To go on once the store has room (see the "
        'message above), run the same command again (an article sent again that was stored is answered "unchanged")'
    ) in err


class _PushingBack(pb_grpc.NearDuplicateServiceServicer):
    """Refuses its first IndexArticle calls RESOURCE_EXHAUSTED, each with the pushback trailer given for it (None:
    none), then answers."""

    def __init__(self, pushbacks: list[str | None]) -> None:
        self.pushbacks = pushbacks
        self.calls = 0

    def IndexArticle(self, request: pb.IndexArticleRequest, context: grpc.ServicerContext) -> Any:
        self.calls += 1
        if self.calls <= len(self.pushbacks):
            if (pushback := self.pushbacks[self.calls - 1]) is not None:
                context.set_trailing_metadata(((RETRY_PUSHBACK, pushback),))
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "refused (in this test)")
        return pb.IndexArticleResponse(verdict=pb.Verdict(id=request.article.id, outcome=pb.INDEX_OUTCOME_NEW))


@pytest.mark.parametrize(
    ("pushbacks", "calls", "waits", "said"),
    [
        # none: the Retry's own backoff, until its tries are spent (the limits' refusals: retried as before)
        ([None, None, None, None], 4, [0.01, 0.02, 0.04], "(after 3 retries, 4 tries in all)"),
        (["-1"], 1, [], "(not retried: the server asked for no retry)"),
        # a wait longer than the backoff: waited, not the backoff; one shorter: the backoff
        (["250", "0"], 3, [0.25, 0.02], None),
        # over 3 times max_wait: told at once, not retried sooner than asked, nor waited out
        (["1000"], 1, [], "(not retried: the server asked for a wait of 1 s, over the 0.3 s this Retry allows)"),
        # not a whole number of ms: gRPC's core hands it on as the most negative int64, "do not retry" (gRFC A6)
        (["soon"], 1, [], "(not retried: the server asked for no retry)"),
        (["1.5"], 1, [], "(not retried: the server asked for no retry)"),
    ],
    ids=["absent", "no-retry", "wait", "too-long", "malformed", "fraction"],
)
def test_a_python_clients_retry_obeys_the_servers_pushback(
    pushbacks: list[str | None], calls: int, waits: list[float], said: str | None
) -> None:
    service = _PushingBack(pushbacks)  # type: ignore[abstract]
    retry = Retry(attempts=3, first_wait=0.01, max_wait=0.1, jitter=0)
    heard: list[float] = []
    with serving(service) as target, NeardupClient(target, timeout=30) as client:
        started = time.monotonic()
        if said is None:
            assert client.index(Article("a", WIRE), retry=retry, on_retry=lambda _e, _n, w: heard.append(w)).id == "a"
        else:
            with pytest.raises(ResourceExhaustedError) as refused:
                client.index(Article("a", WIRE), retry=retry, on_retry=lambda _e, _n, w: heard.append(w))
            assert refused.value.details == f"refused (in this test) {said}"
        took = time.monotonic() - started
    assert service.calls == calls and heard == pytest.approx(waits)
    assert took >= sum(waits)  # (each wait waited: the pushback's 0.25 s too)
