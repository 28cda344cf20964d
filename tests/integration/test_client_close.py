"""close() on a client in use: a call in flight and a call waiting to retry both end with ClientClosedError,
at once, as the README promises, not a generic CANCELLED or after the retry's wait (real servers on loopback)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb

from benchmarks.loopback import free_port
from client import Article, ClientClosedError, NeardupClient, NeardupClientError, OnRetry, Retry
from client.api import SERVICE_NAME
from tests.articles import SAME_EVENT_A, WIRE
from tests.support import in_process_server

# Far longer than a test may take: a call still waiting this long was not woken by close().
LONG_WAIT = 600.0


class _StallingService:
    """Serves CheckArticle alone, holding every call until released: a call that is surely in flight."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def check_article(self, request: pb.CheckArticleRequest, context: Any) -> pb.CheckArticleResponse:
        self.entered.set()
        self.release.wait(30)
        return pb.CheckArticleResponse()

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        check = grpc.unary_unary_rpc_method_handler(
            self.check_article,
            request_deserializer=pb.CheckArticleRequest.FromString,
            response_serializer=pb.CheckArticleResponse.SerializeToString,
        )
        return grpc.method_handlers_generic_handler(SERVICE_NAME, {"CheckArticle": check})


@pytest.fixture
def stalling() -> Iterator[tuple[str, _StallingService]]:
    service = _StallingService()
    server = grpc.server(futures.ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers((service.handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", service
    finally:
        service.release.set()
        server.stop(grace=None)


def test_a_call_in_flight_when_close_runs_raises_client_closed(stalling: tuple[str, _StallingService]) -> None:
    target, service = stalling
    client = NeardupClient(target, timeout=LONG_WAIT)
    with futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(client.check, Article("a1", WIRE))
        assert service.entered.wait(10)
        client.close()
        with pytest.raises(ClientClosedError, match=r"was closed .* while the call was in flight"):
            waiting.result(timeout=10)


def test_a_stream_in_flight_when_close_runs_raises_client_closed(tmp_path: Path) -> None:
    more = threading.Event()

    def articles() -> Iterator[Article]:
        yield Article("first", WIRE)
        more.wait(30)  # (the stream stays open, waiting for the caller's next article)
        yield Article("second", SAME_EVENT_A)

    with in_process_server(tmp_path) as (running, _client), futures.ThreadPoolExecutor(1) as pool:
        client = NeardupClient(f"127.0.0.1:{running.port}")
        outcomes = client.index_stream(articles())
        assert next(outcomes).id == "first"
        waiting = pool.submit(next, outcomes)
        client.close()
        try:
            with pytest.raises(ClientClosedError, match="was closed"):
                waiting.result(timeout=10)
        finally:
            more.set()


def _closed_once_backing_off(client: NeardupClient) -> OnRetry:
    """An on_retry that closes `client` (as another thread would) when the first back-off begins."""

    def on_retry(error: NeardupClientError, unanswered: int, wait: float) -> None:
        assert wait == LONG_WAIT
        threading.Thread(target=client.close).start()

    return on_retry


@pytest.mark.parametrize("call", ["index", "index_stream"])
def test_close_ends_a_retry_back_off_at_once(call: str) -> None:
    client = NeardupClient(f"127.0.0.1:{free_port()}")  # (nothing listens: every attempt fails UNAVAILABLE)
    retry = Retry(attempts=3, first_wait=LONG_WAIT, max_wait=LONG_WAIT, jitter=0)
    article = Article("a1", WIRE)
    on_retry = _closed_once_backing_off(client)

    def retried() -> object:
        if call == "index":
            return client.index(article, retry=retry, on_retry=on_retry)
        return list(client.index_stream([article], retry=retry, on_retry=on_retry))

    with futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(retried)
        # (without the wake-up, the back-off would hold the call for LONG_WAIT)
        with pytest.raises(ClientClosedError, match="is closed"):
            waiting.result(timeout=20)


@pytest.mark.parametrize("call", ["check", "index_stream"])
def test_close_between_the_open_check_and_the_call_raises_client_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    with in_process_server(tmp_path) as (running, _client):
        client = NeardupClient(f"127.0.0.1:{running.port}")
        checked = client._require_open

        def checked_then_closed() -> None:
            checked()
            client.close()  # (another thread's close() landing just after the check: gRPC refuses the call)

        monkeypatch.setattr(client, "_require_open", checked_then_closed)
        with pytest.raises(ClientClosedError, match="is closed"):
            if call == "check":
                client.check(Article("a1", WIRE))
            else:
                list(client.index_stream([Article("a1", WIRE)]))


_WAIT_THEN_EXIT = """
import sys
from client import NeardupClient, NeardupClientError
client = NeardupClient(sys.argv[1])
try:
    client.wait_ready(0.0005)
except NeardupClientError:
    pass
client.close()
"""


def test_a_process_that_waited_briefly_for_the_server_exits_once_it_has_closed_its_client(tmp_path: Path) -> None:
    """gRPC's thread that watches a channel for wait_ready, still running at the interpreter's exit, is frozen there,
    maybe holding the lock the channel's __del__ then takes: such a process hung at exit, about 1 run in 10. Sixteen
    runs at once, each bounded (one that hangs is killed at its timeout, and fails the test)."""
    with in_process_server(tmp_path) as (running, _):
        target = f"127.0.0.1:{running.port}"
        runs = [subprocess.Popen([sys.executable, "-c", _WAIT_THEN_EXIT, target]) for _ in range(16)]
        deadline, hung = time.monotonic() + 60, 0
        for run in runs:
            try:
                assert run.wait(timeout=max(0.1, deadline - time.monotonic())) == 0
            except subprocess.TimeoutExpired:
                run.kill()
                run.wait()
                hung += 1
    assert hung == 0, f"{hung} of {len(runs)} runs hung at exit"
