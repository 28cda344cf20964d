"""Limits: in-flight calls, message and body size, deadlines, keepalive options."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from client import Article, InvalidArgumentError, NeardupClient, NotFoundError, ResourceExhaustedError
from client.errors import NeardupClientError
from service.grpc_server import server_options
from service.settings import Settings
from tests.articles import WIRE
from tests.support import in_process_server, wait_for


class HeldStream:
    """An IndexArticles stream that stays open (holding one server worker) until released."""

    def __init__(self, client: NeardupClient) -> None:
        self.release = threading.Event()
        self._first = Article("held-1", WIRE)
        self.outcomes = client.index_stream(self._requests())
        assert next(self.outcomes).id == "held-1"  # answered: the stream now runs on a worker

    def _requests(self) -> Iterator[Article]:
        yield self._first
        self.release.wait(30)

    def close(self) -> None:
        self.release.set()
        assert list(self.outcomes) == []


def test_calls_beyond_the_in_flight_limit_are_refused_not_queued(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_concurrent_rpcs=1) as (running, client):
        held = HeldStream(client)
        assert running.metrics.in_flight._value.get() == 1
        with pytest.raises(ResourceExhaustedError):
            client.stats()  # timeout is 30 s: RESOURCE_EXHAUSTED at once proves it was not queued
        held.close()
        wait_for(lambda: _succeeds(client), what="calls to be accepted again")
        assert client.stats().articles == 1


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
        with pytest.raises(NeardupClientError) as caught:
            late.index(Article("late", WIRE + " Late edition."))
        assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        held.close()
        client.stats()  # queued behind the late call on the single worker, so that call has been handled now
        with pytest.raises(NotFoundError):
            client.get("late")
        late.close()


def test_body_over_the_limit_is_invalid_argument_and_huge_message_resource_exhausted(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_body_bytes=10_000) as (_running, client):
        client.index(Article("kept", WIRE))
        with pytest.raises(InvalidArgumentError, match="max-body-bytes"):
            client.index(Article("long", "word " * 3000))
        with pytest.raises(ResourceExhaustedError):
            client.index(Article("huge", "x" * (5 << 20)))  # over the 4 MiB message limit
        assert client.stats().articles == 1
        assert client.get("kept").article.body == WIRE


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
        held.outcomes.close()  # type: ignore[attr-defined]  # the client gives up mid-stream: gRPC cancels the call
        method = "neardup.v1.NearDuplicateService/IndexArticles"
        cancelled, ok = (running.metrics.calls.labels(method, code) for code in ("CANCELLED", "OK"))
        # Usually CANCELLED. But grpc may first show the server the cancel as the end of the requests:
        # the handler, having answered all of them, then ends normally, and the call counts as OK.
        wait_for(lambda: running.metrics.in_flight._value.get() == 0 and cancelled._value.get() + ok._value.get() == 1,
                 what="the cancelled stream to be recorded")  # fmt: skip
        held.release.set()
        assert client.get("held-1").article.body == WIRE  # acknowledged before the cancel: stays stored
