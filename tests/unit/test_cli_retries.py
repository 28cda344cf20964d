"""What check says on stderr while its checks wait to be sent again: one whole line a round, naming a line."""

from __future__ import annotations

import re
import threading

import grpc
import pytest

from client import cli
from client.errors import UnavailableError

_ERROR = UnavailableError(grpc.StatusCode.UNAVAILABLE, "down")
_SAID = re.compile(r"neardup check: line (\d+) \(id 's\d+'\): UNAVAILABLE: down; sending it, and each check in flight "
                   r"that fails with it, again in 0\.5s \(retry (\d) of 8\)")  # fmt: skip


def _checks_failing_together(rounds: cli._RetryRounds, numbers: range, retries: int) -> None:
    """A check each of `numbers`, in threads of their own as check's pool runs them, each failing `retries` times
    in step with the others (an outage), then answered."""
    together = threading.Barrier(len(numbers))

    def check(number: int) -> None:
        with rounds.check(number, f"s{number}") as on_retry:
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
    rounds = cli._RetryRounds(attempts=8)
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
    rounds = cli._RetryRounds(attempts=8)
    with rounds.check(1, "s1") as first:
        first(_ERROR, 1, 0.5)
        with rounds.check(2, "s2") as second:  # (sent during the outage: its first retry is the round said)
            second(_ERROR, 1, 0.5)
            second(_ERROR, 1, 0.5)
        first(_ERROR, 1, 0.5)  # (round 2, said by the second check already)
    assert [line[:30] for line in capsys.readouterr().err.splitlines()] == [
        "neardup check: line 1 (id 's1'",
        "neardup check: line 2 (id 's2'",
    ]
