"""service.proc: the CPU time of a process from /proc/<pid>/stat, read in one place for the server's metrics and
the benchmarks (each read it its own way)."""

from __future__ import annotations

import os

import pytest

from service.proc import CLOCK_TICKS, cpu_seconds, stat_cpu_seconds

# Fields 14 and 15 of a /proc/<pid>/stat are 250 and 50 ticks; the command holds a space and a ")".
STAT = b"4242 (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 1 0 100 1000000 200 18446744073709551615"


def test_the_cpu_seconds_are_read_after_the_commands_last_parenthesis() -> None:
    assert stat_cpu_seconds(STAT) == 300 / CLOCK_TICKS


def test_a_text_that_is_no_stat_is_refused() -> None:
    with pytest.raises(ValueError, match="not the text of a /proc/<pid>/stat"):
        stat_cpu_seconds(b"4242 (cut) S 1")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_a_process_cpu_seconds_are_its_user_and_system_time() -> None:
    times = os.times()
    read = cpu_seconds(os.getpid())
    assert times.user + times.system - 0.05 <= read <= os.times().user + os.times().system + 0.05
    with pytest.raises(OSError):
        cpu_seconds(2**22 + 1)  # (above Linux's pid_max: no such process)
