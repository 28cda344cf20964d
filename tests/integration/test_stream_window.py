"""A stream longer than the server's in-flight window ends cleanly even when the window is full at the end; what a
stream sends is decided in transactions of at most --max-batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.api import Article, Verdict
from service import servicer
from tests.support import in_process_server, scrape


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
