"""A Ctrl-C or SIGTERM that lands while a result line is written waits until it is counted too: the "how far"
line said one line fewer than the output held (seen in test_cli's SIGTERM test, 394 said against 395 written)."""

from __future__ import annotations

import os
import signal

import pytest

from client import cli


@pytest.mark.parametrize(("sig", "raised"), [(signal.SIGTERM, cli._Terminated), (signal.SIGINT, KeyboardInterrupt)])
def test_a_stop_while_a_line_is_written_lands_once_it_is_counted(sig: int, raised: type[BaseException]) -> None:
    counted: list[int] = []
    with cli._terminated_as_interrupted(True), pytest.raises(raised), cli._STOPS.whole():
        os.kill(os.getpid(), sig)
        for n in range(10_000):  # (Python runs signal handlers between bytecodes: several pass here)
            counted.append(n)
    assert len(counted) == 10_000


def test_outside_a_line_a_stop_lands_at_once() -> None:
    with cli._terminated_as_interrupted(True), pytest.raises(cli._Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):
            pass
        pytest.fail("SIGTERM did not stop the block")
