"""RESOURCE_EXHAUSTED means "retry after a backoff" (a limit of calls or streams at once) or "do not retry" (a full
store; a message over the receive limit): gRPC's retry-pushback trailer tells them apart for a client that has only
the code and metadata (a Go or Java client, gRPC's own retry policy), as the proto's NearDuplicateService says."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from itertools import takewhile
from pathlib import Path
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article
from service.errors import FullMidCommit
from service.status import BUSY_PUSHBACK_MS, NO_RETRY, RETRY_PUSHBACK
from tests.articles import SAME_EVENT_A, WIRE
from tests.integration.test_limits import HeldIndex, HeldStream
from tests.support import in_process_server


def _pushback(error: grpc.RpcError) -> str | None:
    call: Any = error
    return dict(call.trailing_metadata() or ()).get(RETRY_PUSHBACK)


def _stub(port: int) -> tuple[grpc.Channel, pb_grpc.NearDuplicateServiceStub]:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20)])
    return channel, pb_grpc.NearDuplicateServiceStub(channel)


def _one(article_id: str, body: str) -> Iterator[pb.IndexArticlesRequest]:
    yield pb.IndexArticlesRequest(article=pb.Article(id=article_id, body=body))


def test_a_stream_over_max_streams_is_told_to_retry_after_a_pushback(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_streams=1) as (running, client):
        held = HeldStream(client)
        channel, stub = _stub(running.port)
        with channel, pytest.raises(grpc.RpcError) as refused:
            list(stub.IndexArticles(_one("one-too-many", WIRE + " Extra."), timeout=30))
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "--max-streams" in str(refused.value.details())
        assert _pushback(refused.value) == str(BUSY_PUSHBACK_MS) == "1000"
        held.close()


def test_a_call_over_max_concurrent_rpcs_is_told_to_retry_after_a_pushback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_server(tmp_path, max_concurrent_rpcs=2, max_workers=2, max_streams=1) as (running, client):
        held, index = HeldStream(client), HeldIndex(running, client, monkeypatch)
        channel, stub = _stub(running.port)
        with channel, pytest.raises(grpc.RpcError) as refused:
            stub.GetStats(pb.GetStatsRequest(), timeout=30)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "--max-concurrent-rpcs" in str(refused.value.details())
        assert _pushback(refused.value) == "1000"
        index.close()
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


def test_the_proto_documents_the_trailer_and_each_rpcs_errors() -> None:
    # (what a Go or Java client reads: the values the server sends, and each RPC's codes)
    proto = (Path(__file__).parents[2] / "proto" / "neardup" / "v1" / "neardup.proto").read_text()
    service = proto.split("service NearDuplicateService {")[0]
    for said in (f"`{RETRY_PUSHBACK}`", f'"{BUSY_PUSHBACK_MS}"', f'"{NO_RETRY}"', "- absent:"):
        assert said in service, said
    for method in pb.DESCRIPTOR.services_by_name["NearDuplicateService"].methods:
        above = proto.split(f"  rpc {method.name}(")[0].rstrip().splitlines()
        comment = list(takewhile(lambda line: line.strip().startswith("//"), reversed(above)))
        assert any(line.strip().startswith("// Errors") for line in comment), method.name
