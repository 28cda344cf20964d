"""A Ctrl-C or SIGTERM that lands while a result line is written waits until it is counted too: the "how far"
line said one line fewer than the output held (seen in test_cli's SIGTERM test, 394 said against 395 written)."""

from __future__ import annotations

import argparse
import io
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from client import cli_base, cli_ingest_check
from client.api import Verdict
from client.jsonl import BadLine


@pytest.mark.parametrize(
    ("sig", "raised"), [(signal.SIGTERM, cli_base._Terminated), (signal.SIGINT, KeyboardInterrupt)]
)
def test_a_stop_while_a_line_is_written_lands_once_it_is_counted(sig: int, raised: type[BaseException]) -> None:
    counted: list[int] = []
    with cli_base.terminated_as_interrupted(True), pytest.raises(raised), cli_base.STOPS.whole():
        os.kill(os.getpid(), sig)
        for n in range(10_000):  # (Python runs signal handlers between bytecodes: several pass here)
            counted.append(n)
    assert len(counted) == 10_000


def test_outside_a_line_a_stop_lands_at_once() -> None:
    with cli_base.terminated_as_interrupted(True), pytest.raises(cli_base._Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):
            pass
        pytest.fail("SIGTERM did not stop the block")


class _DropsWhatItRaises:
    """An object whose `__del__` is running when the signal comes: Python runs the handler there, and drops
    (prints) what it raises, as it does for any `__del__` or weakref callback of gRPC's or the client's."""

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)


def _answers_with_ctrl_c_dropped_at_the_third(items: Iterable[object]) -> Iterator[Verdict]:
    for n, _ in enumerate(items):
        if n == 2:
            dropping = _DropsWhatItRaises()
            del dropping  # (its __del__ runs here: the handler's KeyboardInterrupt is dropped)
        yield Verdict(f"a{n}", outcome="new")


def test_a_ctrl_c_dropped_by_a_del_still_stops_the_run_at_the_next_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (an ingest not stopped 60 s after SIGINT in one of some twenty CI runs: the run went on to the file's end)
    dropped: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: dropped.append(unraisable.exc_value))
    args = argparse.Namespace(command="ingest", no_progress=True, file=Path("in.jsonl"), start_line=1, output=None)
    out = io.StringIO()
    lines = ((number, BadLine(None, "read")) for number in range(1, 1_001))
    with cli_base.terminated_as_interrupted(True):
        status = cli_ingest_check._run_file(args, out, lines, _answers_with_ctrl_c_dropped_at_the_third)
    assert [type(e) for e in dropped] == [KeyboardInterrupt]  # (the handler's raise was dropped, as in a real __del__)
    assert status == cli_base.EXIT_INTERRUPTED
    assert len(out.getvalue().splitlines()) == 3  # (the line being answered when it came, then no more)
    said = capsys.readouterr().err
    assert "neardup ingest: interrupted once 3 lines were answered." in said
    assert "To go on from line 4, run the same command with --start-line 4, its output appended" in said


def test_a_stop_of_an_earlier_run_in_the_same_process_does_not_stop_the_next() -> None:
    with cli_base.terminated_as_interrupted(True), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10_000):
            pass
    with cli_base.terminated_as_interrupted(True), cli_base.STOPS.whole():
        pass  # (raised the earlier run's stop again, had it been kept)


def test_a_stop_of_an_earlier_run_does_not_stop_a_run_in_another_thread() -> None:
    with cli_base.terminated_as_interrupted(True), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10_000):
            pass
    ended: list[BaseException | None] = []

    def run() -> None:
        try:
            with cli_base.terminated_as_interrupted(True), cli_base.STOPS.whole():
                pass
            ended.append(None)
        except BaseException as exc:  # (KeyboardInterrupt too: what the thread ended with)
            ended.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert ended == [None]
