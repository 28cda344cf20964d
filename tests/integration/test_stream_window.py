"""A stream longer than the server's in-flight window ends cleanly even when the window is full at the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.api import Article, Verdict
from service import servicer
from tests.support import in_process_server


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
