"""A paced run (--rate) against a server that stalls reports the stall in its latency tail: the articles due during
it are timed from when they were due, not from when a sender held up by the stall sent them. Timed from their send
(coordinated omission), they left in a burst after it and each took a few ms: a 2 s outage did not show at p99."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks import corpus, loadtest
from tests.support import ServerProcess, frozen, until

RATE = 50.0  # articles/s: well under what the server answers on 2 loaded cores, so only the stall delays them
COUNT = 250  # 5 s of load at RATE
STALL = 2.0  # seconds the server is stopped: RATE * STALL = 100 articles fall due during it


@pytest.mark.parametrize("mode", ["unary", "stream"])
def test_a_paced_run_times_the_articles_a_stall_held_back_from_when_they_were_due(tmp_path: Path, mode: str) -> None:
    server = ServerProcess(tmp_path / "data", "--fingerprint-workers", "0").start()
    assert server.proc is not None
    config = loadtest.RunConfig(server.target, mode, 1, COUNT, None, RATE, 0.0, 600.0, None, progress=False)
    record, articles = loadtest.Record(), corpus.generated(COUNT)
    reports: list[dict[str, Any]] = []
    run = threading.Thread(target=lambda: reports.append(loadtest.run_load(config, articles, record)))
    run.start()
    try:
        assert until(lambda: len(record.done) >= 30, timeout=60)  # (under way, at its pace)
        with frozen(server.proc.pid):
            stopped = time.monotonic()
            # The stall itself, the quantity measured (not a wait for something to happen): the server answers
            # nothing for STALL seconds while articles keep falling due.
            time.sleep(STALL)
            stall = time.monotonic() - stopped
        run.join(timeout=120)
        assert not run.is_alive()
    finally:
        server.stop()
        run.join(timeout=120)
    (report,) = reports
    assert report["ok"] == COUNT and report["latency_from"] == "due"
    latencies = sorted(row[1] / 1000 for row in report["timeline"])
    # Articles due during the stall waited from their due time to its end: about RATE * STALL / 2 of them at least
    # half of it. Timed from their send, only those in flight at the stop did (1 in unary mode, a window's 32 in
    # stream mode).
    held_long = sum(latency >= stall / 2 for latency in latencies)
    assert held_long >= 0.7 * RATE * stall / 2, f"{held_long} articles waited {stall / 2:.1f} s or more"
    # The first article due after the stop fell due within 1 / RATE s of it, and waited out the rest of the stall.
    assert report["latency_ms"]["max"] >= (stall - 1 / RATE) * 1000
    assert report["latency_ms"]["p90"] >= stall / 2 * 1000  # (about a fifth of the run was held back)
    # The service time alone is kept beside it, and is shorter: the backlog left in a burst after the stall.
    assert report["latency_ms_from_send"]["p90"] < report["latency_ms"]["p90"]


def test_a_paced_duration_run_counts_the_articles_due_while_a_stall_outlasted_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (the articles due from the stall to the end of --duration were never sent, and were counted nowhere: the run
    # read as one whose every article was answered but one)
    duration = 6.0
    server = ServerProcess(tmp_path / "data", "--fingerprint-workers", "0").start()
    assert server.proc is not None
    config = loadtest.RunConfig(server.target, "unary", 1, None, duration, RATE, 0.0, 600.0, None, progress=False,
                                grace=1.0)  # fmt: skip
    record = loadtest.Record()
    reports: list[dict[str, Any]] = []
    run = threading.Thread(target=lambda: reports.append(loadtest.run_load(config, corpus.generated(400), record)))
    run.start()
    try:
        assert until(lambda: len(record.done) >= 30, timeout=60)
        with frozen(server.proc.pid):  # (until the run has ended: the stall outlasts --duration and its grace)
            stopped_at = record.done[-1][0]  # (seconds into the run: the last answer before the stall)
            run.join(timeout=duration + 20)
            assert not run.is_alive()
    finally:
        server.stop()
        run.join(timeout=120)
    (report,) = reports
    assert report["errors"] == {loadtest.UNANSWERED: 1}  # (the one call in flight at the stop)
    due_in_the_stall = RATE * (duration - stopped_at)
    assert 0.8 * due_in_the_stall - 2 <= report["due_not_sent"] <= due_in_the_stall
    loadtest.print_table(report)
    assert f"{report['due_not_sent']:,} articles fell due before --duration ended and were never sent" in (
        capsys.readouterr().out
    )
