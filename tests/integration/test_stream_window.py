"""A stream longer than the server's in-flight window ends cleanly even when the window is full at the end; what a
stream sends is decided in transactions of at most --max-batch, and stored while the window is full."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client.api import Article, Verdict
from service import servicer
from service.detector import MAX_ID_BYTES
from tests.support import in_process_server, scrape, until


@pytest.mark.parametrize("workers", [0, 1])
def test_stream_ends_when_window_is_full_at_end_of_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(servicer, "STREAM_WINDOW", 2)  # the reader fills it at once
    articles = [Article(id=f"w{i}", body=f"story number {i} about the window of a stream, told in plain words")
                for i in range(60)]  # fmt: skip
    with in_process_server(tmp_path / "data", fingerprint_workers=workers) as (_, client):
        outcomes = list(client.index_stream(articles, timeout=60))
    assert [o.id for o in outcomes] == [a.id for a in articles]
    assert all(isinstance(o, Verdict) for o in outcomes)


@pytest.mark.parametrize("workers", [0, 1])
def test_a_stream_batch_over_max_batch_is_decided_in_transactions_of_at_most_max_batch(
    tmp_path: Path, workers: int
) -> None:
    """With workers a batch's articles reach the engine as one group (`submit_all`), and the writer took a group
    whole: a transaction of the 120 articles with --max-batch 16 (a purge, an IndexArticle behind it waited so long)."""
    articles = [Article(id=f"m{i}", body=f"story {i} of a batch longer than the writer's, in words {i * 7} and {i}")
                for i in range(120)]  # fmt: skip
    with in_process_server(tmp_path / "data", fingerprint_workers=workers, max_batch=16, metrics_port=0) as (
        running,
        client,
    ):
        outcomes = list(client.index_stream(articles, batch=120, timeout=60))
        assert running.metrics_port
        m = scrape(running.metrics_port)
    assert [o.id for o in outcomes] == [a.id for a in articles]
    assert all(isinstance(o, Verdict) and o.outcome == "new" for o in outcomes)
    transactions = m[("neardup_store_batch_articles_count", ())]
    assert m[("neardup_store_batch_articles_sum", ())] == len(articles)
    assert m[("neardup_store_batch_articles_bucket", (("le", "16.0"),))] == transactions  # none over 16


UNREAD_BATCH = 30  # articles a request; the window (patched) holds 40: the reader waits for room mid-request


def _unread_batches(ended: threading.Event) -> Iterator[pb.IndexArticleBatchesRequest]:
    for b in range(100):  # (far more than the server reads while no answer is read)
        yield pb.IndexArticleBatchesRequest(articles=[_unread(b * UNREAD_BATCH + i) for i in range(UNREAD_BATCH)])
    ended.wait(60)  # (open, silent, until the test ends)


def _unread(n: int) -> pb.Article:
    # (long ids: each answer carries its id, and the client's gRPC window, 64 KiB, soon holds no more answers)
    return pb.Article(id=f"u{n}-".ljust(MAX_ID_BYTES, "x"), body=f"Story {n} of a feed nobody reads, in words {n * 3}.")


@pytest.mark.parametrize("workers", [0, 1])
def test_what_a_stream_whose_client_reads_nothing_sent_is_stored_up_to_where_its_reader_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """The client reads no answer, so the window fills mid-request and the reader waits for room. The articles of
    that request it took are fingerprinted and stored meanwhile (`_ToPrepare` sends them before the wait): had they
    waited with it, they would stay pending, undecided, and an IndexArticle of their ids would wait for them."""
    monkeypatch.setattr(servicer, "STREAM_WINDOW", 40)
    taken: list[str] = []  # (the ids the reader put in the window, or waits to: fingerprinted, queued)
    waiting_on: list[Any] = [None]  # the article the reader is putting in the window now (None: none)
    put = servicer._Pending.put
    # (a stream reader of an earlier test's server may still finish its request: its puts are not this stream's)
    earlier = set(threading.enumerate())

    def recorded(pending: Any, item: Any) -> None:
        if isinstance(item, servicer._BatchSize) or threading.current_thread() in earlier:
            return put(pending, item)
        taken.append(item.id)
        waiting_on[0] = item
        put(pending, item)
        waiting_on[0] = None

    monkeypatch.setattr(servicer._Pending, "put", recorded)
    ended = threading.Event()
    with in_process_server(tmp_path / "data", fingerprint_workers=workers) as (running, _client):
        # (no BDP probe: the client's gRPC grants the stream no window beyond the 64 KiB it starts with)
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}", options=[("grpc.http2.bdp_probe", 0)])
        call: Any = pb_grpc.NearDuplicateServiceStub(channel).IndexArticleBatches(_unread_batches(ended))

        def all_taken_stored() -> bool:
            # The reader waits in a put for room, and every article it took is stored. Had the articles it took
            # waited with it (not yet sent to be fingerprinted), this would never hold.
            took = len(taken)
            return waiting_on[0] is not None and running.engine.stats().articles == took == len(taken)

        try:
            held = until(all_taken_stored, timeout=30)
            stored, took = running.engine.stats().articles, len(taken)
        finally:
            ended.set()
            call.cancel()
            channel.close()
    assert held, f"{took - stored} of the {took} articles the reader took were not stored while it waited"
    assert UNREAD_BATCH < took < 100 * UNREAD_BATCH  # (the reader waits mid-stream)
