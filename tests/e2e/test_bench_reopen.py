"""neardup-bench across a server restart: its streams are opened again, as an ingest pipeline's, and the articles
they left unanswered are sent again; every article of the run is answered once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks import corpus, loadtest
from benchmarks.loopback import free_port
from tests.support import ServerProcess, until

COUNT = 2000  # (unpaced, each stream keeps its window full: a SIGKILL always finds articles in flight)


@pytest.mark.parametrize(("mode", "stop"), [("stream", "SIGKILL"), ("batch", "SIGTERM")])
def test_a_run_reopens_its_streams_across_a_server_restart_and_answers_every_article_once(
    tmp_path: Path, mode: str, stop: str
) -> None:
    data, port = tmp_path / "data", free_port()
    articles = corpus.generated(COUNT)
    server = ServerProcess(data, port=port).start()
    config = loadtest.RunConfig(f"127.0.0.1:{port}", mode, 2, COUNT, None, None, 0.0, 120.0, None, progress=False,
                                batch=8)  # fmt: skip
    record = loadtest.Record(ok_calls=[])
    reports: list[dict[str, Any]] = []
    run = threading.Thread(target=lambda: reports.append(loadtest.run_load(config, articles, record)), daemon=True)
    run.start()
    try:
        assert until(lambda: len(record.done) >= 300, timeout=120)
        assert len(record.done) < COUNT  # (the restart comes in the middle of the run)
        stopped_at = time.monotonic()
        if stop == "SIGKILL":
            server.kill9()
        else:
            assert server.terminate() == 0
        # Down until the senders have opened two streams again (refused while no server listens).
        assert until(lambda: record.reopened >= 2, timeout=60)
        down = time.monotonic() - stopped_at
        server = ServerProcess(data, port=port).start()
        run.join(timeout=300)
        assert not run.is_alive()
        (report,) = reports
        assert report["articles"] == report["ok"] == COUNT and report["not_sent"] == 0 and report["errors"] == {}
        answered = [a.id for _, a in record.ok_calls or []]  # each article answered once: COUNT answers, COUNT ids
        assert len(answered) == COUNT and set(answered) == {a.id for a in articles}
        assert report["reopened"] >= 2
        # A fresh server: an article answered UNCHANGED was stored by the server that stopped, its answer lost.
        assert report["index_outcomes"].get("UNCHANGED", 0) == report["unchanged_on_resend"]
        if stop == "SIGKILL":  # (a SIGTERM lets the server answer what it took; a SIGKILL loses those answers)
            assert report["resent"] >= 1
            # An article sent again is timed from its first send, before the stop, to its answer, after the restart.
            assert report["latency_ms"]["max"] >= down * 1000
        with server.client() as client:
            assert client.stats().articles == COUNT
    finally:
        server.stop()
