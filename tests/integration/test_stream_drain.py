"""A server that stops drains its index streams: each stops reading, answers what it took, and ends UNAVAILABLE
with a message saying to send the rest again, so a stream that keeps sending does not hold the stop for the
whole grace period (and then end with gRPC's bare "Cancelling all calls")."""

from __future__ import annotations

import contextlib
import queue
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from benchmarks.corpus import GeneratorConfig, generated
from benchmarks.loopback import wait_for
from client import Article, NeardupClient, NeardupClientError, Verdict
from service.detector import MAX_ID_BYTES
from service.grpc_server import start_server, stop_reserve
from tests import support

GRACE = 30.0
MOST_ARTICLES = 20_000  # the feed's bound: far more than a stream takes before the test stops the server
IDLE_AFTER = 40  # a feed that goes quiet sends this many, then keeps its stream open without sending
BATCH = 20
LAG = 0.3  # seconds the slow link holds what the server sends (a commit, ending a drained stream, takes less)


class _Stream:
    """One index stream on a real channel, fed by a generator that keeps yielding (or, `idle`, stops yielding
    after IDLE_AFTER articles without closing its side) until the server ends the call; its answers are read
    in a thread of their own."""

    def __init__(self, port: int, batches: bool, idle: bool) -> None:
        self.ended = threading.Event()
        self.answered: list[str] = []
        self.failed: list[str] = []  # ids answered with an article error
        self.error: grpc.RpcError | None = None
        self._idle = idle
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = pb_grpc.NearDuplicateServiceStub(self._channel)
        call: Any
        if batches:
            call = stub.IndexArticleBatches(self._batches())
        else:
            call = stub.IndexArticles(pb.IndexArticlesRequest(article=a) for a in self._articles())
        self._reader = threading.Thread(target=self._read, args=(call, batches), daemon=True)
        self._reader.start()

    def _articles(self) -> Iterator[pb.Article]:
        config = GeneratorConfig(words=120, republished=0.3, seed=11, recent=50)
        for n, article in enumerate(generated(MOST_ARTICLES, config)):
            if self.ended.is_set() or (self._idle and n == IDLE_AFTER):
                break
            yield pb.Article(id=article.id, body=article.body)
        self.ended.wait(2 * GRACE)  # (open, silent, until the server ends the call)

    def _batches(self) -> Iterator[pb.IndexArticleBatchesRequest]:
        batch: list[pb.Article] = []
        for article in self._articles():
            batch.append(article)
            if len(batch) == BATCH:
                yield pb.IndexArticleBatchesRequest(articles=batch)
                batch = []

    def _read(self, call: Any, batches: bool) -> None:
        try:
            for response in call:
                for result in response.results if batches else [response]:
                    (self.answered if result.HasField("verdict") else self.failed).append(result.id)
        except grpc.RpcError as exc:
            self.error = exc
        finally:
            self.ended.set()

    def join(self) -> None:
        self._reader.join(2 * GRACE)
        self._channel.close()


@pytest.mark.parametrize(
    ("batches", "idle", "workers"),
    [(False, False, 0), (False, True, 0), (True, False, 0), (True, True, 0), (True, False, 1)],
    ids=["IndexArticles-sending", "IndexArticles-idle", "IndexArticleBatches-sending", "IndexArticleBatches-idle",
         "IndexArticleBatches-sending-1-worker"],
)  # fmt: skip
def test_stop_drains_open_index_streams(tmp_path: Path, batches: bool, idle: bool, workers: int) -> None:
    # (1 worker: the reader's path with workers, _ToPrepare)
    running = start_server(support.test_settings(tmp_path, fingerprint_workers=workers))
    stream = _Stream(running.port, batches, idle)
    taken = IDLE_AFTER if idle else 200
    wait_for(lambda: len(stream.answered) >= taken, timeout=60, what=f"{taken} answers")
    began = time.monotonic()
    running.stop(grace=GRACE)
    took = time.monotonic() - began
    stream.join()

    assert took < GRACE / 3, f"the stop took {took:.1f} s of its {GRACE} s grace"
    assert stream.error is not None, "the stream ended OK while its client was still sending"
    assert stream.error.code() == grpc.StatusCode.UNAVAILABLE
    assert "the server is shutting down" in (stream.error.details() or "")
    assert "send them again" in (stream.error.details() or "")
    assert stream.failed == []
    assert len(stream.answered) >= taken
    if idle:
        assert len(stream.answered) == IDLE_AFTER  # every article sent was answered before the end

    again = start_server(support.test_settings(tmp_path))
    try:
        with NeardupClient(f"127.0.0.1:{again.port}", timeout=30) as client:
            assert client.stats().articles == len(stream.answered)
            assert all(client.get(article_id).article.id == article_id for article_id in stream.answered)
    finally:
        again.stop(grace=5)


def test_a_stream_still_sending_reads_its_status_before_the_server_closes_the_connection(tmp_path: Path) -> None:
    """gRPC's stop closes a connection once its calls have ended and the client has answered the ping sent with
    its GOAWAY. Started before the streams were drained, that ping was answered before the stream ended, so the
    connection was closed right after the stream's status was written, while its client, still sending, had not
    read it: on a loaded machine its write then failed on the reset connection first ("Stream removed (sendmsg:
    Broken pipe)"). Behind a link that holds what the server sends for LAG, that close loses the status every
    time; drained first, the ping follows the status, and the client has read the status by its answer."""
    running = start_server(support.test_settings(tmp_path))
    with _SlowLink(running.port) as port:
        stream = _Stream(port, batches=False, idle=False)
        wait_for(lambda: len(stream.answered) >= 20, timeout=60, what="20 answers")
        began = time.monotonic()
        running.stop(grace=GRACE)
        took = time.monotonic() - began
        stream.join()
    assert took < GRACE / 3, f"the stop took {took:.1f} s of its {GRACE} s grace"
    assert stream.error is not None
    assert stream.error.code() == grpc.StatusCode.UNAVAILABLE
    assert "the server is shutting down" in (stream.error.details() or ""), stream.error.details()


UNREAD = 200  # articles of a stream whose client reads no answer: ≈1 KiB answers each, far over gRPC's 64 KiB window
SHORT_GRACE = 8.0  # (the drain waits 6 s of it, gRPC's stop the last 2 s: `stop_reserve`)


def _unread_articles(ended: threading.Event) -> Iterator[pb.IndexArticlesRequest]:
    for n in range(UNREAD):
        long_id = f"unread-{n}-".ljust(MAX_ID_BYTES, "x")  # (each answer carries it twice: its window fills soon)
        yield pb.IndexArticlesRequest(article=pb.Article(id=long_id, body=f"Story number {n} of a feed nobody reads."))
    ended.wait(4 * SHORT_GRACE)  # (open, silent, until the test ends)


def test_a_stream_whose_client_reads_nothing_leaves_an_index_call_in_flight_time_to_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream whose client stops reading cannot send its answers, nor so its final status: its drain waits in
    vain. It waited the whole grace, and gRPC's stop, left none, cancelled an IndexArticle in flight at once: the
    drain now waits the grace less a reserve (2 s, `stop_reserve`) at most, and that is left for the calls in flight to
    answer. (Half the grace was too little for a stream whose last answers wait on a slow Redis write.)"""
    running = start_server(support.test_settings(tmp_path))
    ended = threading.Event()
    # (no BDP probe: the client's gRPC grants the stream no window beyond the 64 KiB it starts with)
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}", options=[("grpc.http2.bdp_probe", 0)])
    unread: Any = pb_grpc.NearDuplicateServiceStub(channel).IndexArticles(_unread_articles(ended))  # (never read)
    client = NeardupClient(f"127.0.0.1:{running.port}", timeout=30)
    try:
        wait_for(lambda: client.stats().articles == UNREAD, timeout=60, what="the unread stream's articles stored")
        entered, release = support.writes_held(running.engine, monkeypatch)
        answer: list[Verdict | NeardupClientError] = []
        indexing = threading.Thread(target=_index, args=(client, answer))
        indexing.start()
        assert entered.wait(30), "the IndexArticle did not reach the store"
        stop = running.server.stop
        graces: list[float | None] = []

        def stop_then_let_the_write_go(grace: float | None) -> Any:
            graces.append(grace)
            stopped = stop(grace)
            release.set()  # (the IndexArticle, in flight as gRPC's stop begins, can answer from now on)
            return stopped

        monkeypatch.setattr(running.server, "stop", stop_then_let_the_write_go)
        began = time.monotonic()
        running.stop(grace=SHORT_GRACE)
        took = time.monotonic() - began
        indexing.join(30)
    finally:
        ended.set()
        unread.cancel()
        client.close()
        channel.close()
    reserve = stop_reserve(SHORT_GRACE)
    assert (reserve, stop_reserve(10.0), stop_reserve(3.0)) == (2.0, 2.0, 1.5)  # (10 s: 8 s and 2 s; under 4: halves)
    assert took >= SHORT_GRACE - reserve, (
        f"the stream was drained in {took:.1f} s: its client read nothing, it could not be"
    )
    # (bounded, with room for a loaded machine: the engine's close and the store's come after the grace)
    assert took < SHORT_GRACE + 20, f"the stop took {took:.1f} s of its {SHORT_GRACE} s grace"
    assert len(answer) == 1 and isinstance(answer[0], Verdict), answer
    assert answer[0].id == "in-flight" and answer[0].outcome == "new"
    # gRPC's stop's share: the reserve, less how late the drain's wait returned (a loaded machine: up to 1.5 s). At most
    # the reserve exactly, as the drain waited its whole share (was half the grace: 4 s).
    assert graces and graces[0] is not None and reserve - 1.5 <= graces[0] <= reserve, graces


def _index(client: NeardupClient, answer: list[Verdict | NeardupClientError]) -> None:
    try:
        answer.append(client.index(Article("in-flight", "An article indexed while the server stops.")))
    except NeardupClientError as exc:
        answer.append(exc)


class _SlowLink:
    """A loopback forwarder to the server at `port` for one connection: what the client sends goes at once, what
    the server sends reaches the client LAG later (a slow reader, a long link), and when the server closes the
    connection the client's is reset, what had not reached it lost (as a TCP reset loses what was not yet read)."""

    def __init__(self, port: int) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._port = port
        self._held: queue.Queue[tuple[float, bytes]] = queue.Queue()
        self._server_closed = threading.Event()

    def __enter__(self) -> int:
        threading.Thread(target=self._link, daemon=True).start()
        return int(self._listener.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    def _link(self) -> None:
        client, _ = self._listener.accept()
        server = socket.create_connection(("127.0.0.1", self._port))
        threading.Thread(target=self._forward, args=(client, server), daemon=True).start()
        threading.Thread(target=self._hold, args=(server,), daemon=True).start()
        self._deliver(client)

    def _forward(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                server.sendall(data)
            server.shutdown(socket.SHUT_WR)  # (the client closed its connection: the server sees it closed)

    def _hold(self, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                self._held.put((time.monotonic() + LAG, data))
        self._server_closed.set()

    def _deliver(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while not self._server_closed.is_set():
                try:
                    due, data = self._held.get(timeout=0.05)
                except queue.Empty:
                    continue
                # (the link's lag, not a wait for anything: what was held when the server closed is lost)
                if self._server_closed.wait(max(due - time.monotonic(), 0.0)):
                    break
                client.sendall(data)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # (closed: reset)
        client.close()
