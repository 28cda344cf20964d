"""What Linux's /proc says of a process: read by the server's metrics (its fingerprint workers) and by the
benchmarks (the server's CPU time), in one place."""

from __future__ import annotations

import os

# Clock ticks a second, the unit of /proc's CPU times (100 where sysconf cannot tell: Linux's on every platform).
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time process `pid` has used so far, in seconds, from /proc/<pid>/stat. OSError when
    there is no such process (it ended) or no /proc (not Linux)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat_cpu_seconds(stat.read())


def stat_cpu_seconds(stat: bytes) -> float:
    """The user and system CPU seconds in the text of a /proc/<pid>/stat: its fields 14 and 15 (utime, stime, in
    clock ticks), counted after the command, which is in parentheses and may hold spaces and parentheses of its
    own (so split after its last ")"). ValueError for a text that is not one."""
    fields = stat.rpartition(b")")[2].split()
    try:
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except IndexError:
        raise ValueError(f"not the text of a /proc/<pid>/stat: {stat[:80]!r}") from None
