"""A --duration run ends by --duration plus its grace when the server stalls (its process stopped: connected,
answering nothing): a --duration 5 stream run ended 99 s after the stop, its streams held until keepalive
failed them and then opened again, with the full backoff, long after --duration had passed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from benchmarks import corpus, loadtest
from tests.support import ServerProcess, frozen, until

DURATION = 8.0  # long enough for the run to be under way well before it ends, on a loaded machine
GRACE = 2.0


@pytest.mark.parametrize(("mode", "count"), [("stream", None), ("batch", 2000), ("unary", None)])
def test_a_duration_run_against_a_server_that_stalls_ends_after_its_grace(
    tmp_path: Path, mode: str, count: int | None
) -> None:
    server = ServerProcess(tmp_path / "data", "--fingerprint-workers", "0").start()
    assert server.proc is not None
    config = loadtest.RunConfig(server.target, mode, 2, count, DURATION, None, 0.0, 600.0, None, progress=False,
                                batch=4, grace=GRACE)  # fmt: skip
    record, articles = loadtest.Record(), corpus.generated(2000)
    reports: list[dict[str, Any]] = []
    run = threading.Thread(target=lambda: reports.append(loadtest.run_load(config, articles, record)))
    run.start()
    try:
        assert until(lambda: len(record.done) >= 20, timeout=30)
        with frozen(server.proc.pid):
            stopped_at = record.done[-1][0]  # (seconds into the run: before --duration ends)
            run.join(timeout=DURATION + GRACE + 20)  # (the whole run's bound, and slack for a loaded machine)
            assert not run.is_alive(), "the run went on past --duration and its grace"
    finally:
        server.stop()  # (SIGCONT first, by frozen; then SIGKILL: a run still going ends with its server gone)
        run.join(timeout=120)
    (report,) = reports
    assert stopped_at < DURATION - 1 and report["articles"] < len(articles)  # (stalled mid-run)
    # By the run's own clock: --duration, then the grace, and 5 s for a loaded host's delays in ending the run (1 s
    # was tight). The default grace (loadtest.DURATION_GRACE, 10 s) would take it to 18 s; the stall's streams held
    # until keepalive failed them, to 99 s.
    assert report["seconds"] < DURATION + GRACE + 5
    assert report["reopened"] == 0  # (streams were opened again after --duration, with the full backoff)
    assert report["errors"].get(loadtest.UNANSWERED, 0) > 0  # the articles in flight at the stop, said so
    assert set(report["errors"]) == {loadtest.UNANSWERED}
    assert report["duration_grace"] == GRACE
    # Every article handed out is counted, answered or not within the grace; the rest of a --count is not "never
    # sent" (said of a sender a failed stream ended), though no sender asked for more after --duration.
    assert report["not_sent"] == 0
