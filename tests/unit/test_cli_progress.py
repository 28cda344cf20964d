"""ingest's and check's progress on a stderr that is not a terminal (nohup, a log file): plain lines."""

from __future__ import annotations

import io
import sys

import pytest

from client.cli_ingest_check import _progress


def test_off_a_terminal_progress_is_a_plain_line_every_interval_not_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = io.StringIO()  # (isatty: False, as under nohup)
    monkeypatch.setattr(sys, "stderr", stderr)
    now = [100.0]
    with _progress("ingest", disabled=False, every=10.0, clock=lambda: now[0]) as progress:
        for seconds in (1.0, 5.0, 10.0, 10.5, 25.0):  # (answers at these times since the start)
            now[0] = 100.0 + seconds
            progress.advance()
    assert stderr.getvalue().splitlines() == [
        "neardup ingest: 3 lines answered in 10 s (0.3/s)",
        "neardup ingest: 5 lines answered in 25 s (0.2/s)",
    ]
    assert not progress.live


def test_no_progress_prints_none(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    now = [0.0]
    with _progress("check", disabled=True, every=10.0, clock=lambda: now[0]) as progress:
        for now[0] in (5.0, 50.0):
            progress.advance()
    assert stderr.getvalue() == ""
