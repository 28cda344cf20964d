"""What check says on stderr while its checks wait to be sent again: one whole line a round, naming a line."""

from __future__ import annotations

import argparse
import io
import re
import sys
import threading
from pathlib import Path

import grpc
import pytest

from client.api import Verdict
from client.cli_ingest_check import _read_input, _RetryRounds, _run_file
from client.errors import UnavailableError
from client.jsonl import BadLine

_ERROR = UnavailableError(grpc.StatusCode.UNAVAILABLE, "down")
_SAID = re.compile(r"neardup check: line (\d+) \(id 's\d+'\): UNAVAILABLE: down; sending it, and each check in flight "
                   r"that fails with it, again in 0\.5s \(retry (\d) of 8\)")  # fmt: skip


def _checks_failing_together(rounds: _RetryRounds, numbers: range, retries: int) -> None:
    """A check each of `numbers`, in threads of their own as check's pool runs them, each failing `retries` times
    in step with the others (an outage), then answered."""
    together = threading.Barrier(len(numbers))

    def check(number: int) -> None:
        with rounds.on_retry_of(number, f"s{number}") as on_retry:
            for _ in range(retries):
                together.wait(timeout=30)
                on_retry(_ERROR, 1, 0.5)

    threads = [threading.Thread(target=check, args=(number,)) for number in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)


def test_checks_failing_together_are_said_once_a_round_each_on_a_whole_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (8 checks in flight said each of their retries: some 40 lines for a server down 3 s, some run together)
    rounds = _RetryRounds(attempts=8)
    _checks_failing_together(rounds, range(1, 9), retries=3)
    said = [_SAID.fullmatch(line) for line in capsys.readouterr().err.splitlines()]
    assert all(said) and [int(m.group(2)) for m in said if m] == [1, 2, 3]
    assert all(1 <= int(m.group(1)) <= 8 for m in said if m)
    # Every check answered, the outage is over: the next is said from its first retry.
    _checks_failing_together(rounds, range(20, 24), retries=2)
    again = [_SAID.fullmatch(line) for line in capsys.readouterr().err.splitlines()]
    assert all(again) and [int(m.group(2)) for m in again if m] == [1, 2]
    assert all(20 <= int(m.group(1)) < 24 for m in again if m)


def test_a_check_that_fails_while_others_retry_says_only_a_round_not_said_yet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rounds = _RetryRounds(attempts=8)
    with rounds.on_retry_of(1, "s1") as first:
        first(_ERROR, 1, 0.5)
        with rounds.on_retry_of(2, "s2") as second:  # (sent during the outage: its first retry is the round said)
            second(_ERROR, 1, 0.5)
            second(_ERROR, 1, 0.5)
        first(_ERROR, 1, 0.5)  # (round 2, said by the second check already)
    assert [line[:30] for line in capsys.readouterr().err.splitlines()] == [
        "neardup check: line 1 (id 's1'",
        "neardup check: line 2 (id 's2'",
    ]


class _Writes:
    """A stderr that keeps each write apart: a message written in two (print's text, then its line end) can be
    run together with another thread's."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_what_a_run_says_beside_its_checks_is_written_a_whole_line_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a line's warning, said by the main thread while check's threads said their retries: two messages on one
    # line, 3,402 times in a stress of two threads)
    stderr = _Writes()
    monkeypatch.setattr(sys, "stderr", stderr)
    feed = tmp_path / "in.jsonl"
    feed.write_text('{"id": "a", "body": "text", "author": "x"}\n{"id": "b", "body": "more text"}\n')
    args = argparse.Namespace(command="check", no_progress=True, file=feed, start_line=1, output=None)
    lines = _read_input(args)
    outcomes: list[Verdict | BadLine] = [BadLine("a", "refused"), Verdict("b", outcome="replaced")]
    _run_file(args, io.StringIO(), lines, lambda items: [o for _, o in zip(items, outcomes, strict=True)])
    said = stderr.writes
    assert any("field 'author' is not read" in line for line in said), said
    assert any("1 of 2 lines was rejected" in line for line in said), said
    assert any('outcome "replaced"' in line for line in said), said
    assert all(line.endswith("\n") and line.count("\n") == 1 and line.startswith("neardup") for line in said), said


def test_a_new_outage_is_said_from_its_first_retry_while_a_check_of_the_last_one_still_retries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (one check unanswered in 30 s, at its third retry, while the others were answered: a new outage's first
    # three rounds went unsaid, counted as said of the last one)
    rounds = _RetryRounds(attempts=8)
    with rounds.on_retry_of(1, "s1") as slow:
        for _ in range(3):
            slow(_ERROR, 1, 0.5)
        with rounds.on_retry_of(2, "s2"):  # (answered: the server is back)
            pass
        with rounds.on_retry_of(3, "s3") as new:
            new(_ERROR, 1, 0.5)
            new(_ERROR, 1, 0.5)
        slow(_ERROR, 1, 0.5)  # (its own outage's fourth round)
    said = [_SAID.fullmatch(line) for line in capsys.readouterr().err.splitlines()]
    assert all(said) and [(m.group(1), m.group(2)) for m in said if m] == [
        ("1", "1"), ("1", "2"), ("1", "3"), ("3", "1"), ("3", "2"), ("1", "4")
    ]  # fmt: skip


def test_a_check_sent_before_an_outage_and_answered_after_its_first_failure_does_not_end_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rounds = _RetryRounds(attempts=8)
    before = rounds.on_retry_of(1, "s1")  # (sent before the outage: its answer may have come before)
    before.__enter__()
    with rounds.on_retry_of(2, "s2") as failed:
        failed(_ERROR, 1, 0.5)
        before.__exit__(None, None, None)
        with rounds.on_retry_of(3, "s3") as later:  # (the same outage: its first round said already)
            later(_ERROR, 1, 0.5)
    assert [line[:30] for line in capsys.readouterr().err.splitlines()] == ["neardup check: line 2 (id 's2'"]
