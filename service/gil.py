"""Letting go of the GIL between the writer's steps, so a check waiting for it gets in.

A check is many short steps, and it lets the GIL go at every SQLite call and every larger numpy
step, then waits to get it back. CPython restarts that wait whenever the holder lets the GIL go and
takes it straight back (as a thread's own short SQLite calls do), and the waiting thread mostly loses
those races: the longer a busy thread runs between such moments, the longer a check beside it waits.
Measured with one busy thread that lets the GIL go every N µs of pure Python (a check alone: p50
0.35, p99 2.1 ms): every 15 µs, p99 2.2 ms; every 100 µs, 3.3 ms; every 300 µs, 6.1 ms; every
1,000 µs, 20.7 ms; never (the 5 ms switch interval), 160 ms.

So while checks come in (one is in progress, or one ended less than 0.1 s ago) the writer, the
thread that works longest through an ingest, calls `let_others_run` before each of its steps
(`Engine._let_checks_in`). At 1M+ articles through gRPC, checks during an ingest: p99 8.8-11.2 ms
against 13.4-21.1 ms before (docs/perf.md). Only while a check is in progress: 12.5-13.9 ms, as a
check also waits for the GIL before and after `check_article`, when gRPC hands it in and out. Before
every step, checks or not: an ingest alone slowed by ≈10 %, its other threads then taking the GIL in
turn and the writer, its serial stage, waiting for them. The same call per article in the stream
reader and the fingerprint pool's result thread made checks slower (15.6-20.5 ms). Checks do not
call it: one that let the GIL go would wait to get it back.
"""

from __future__ import annotations

import time


def let_others_run() -> None:
    """Let go of the GIL and take it back (~1 µs when no other thread wants it)."""
    time.sleep(0)
