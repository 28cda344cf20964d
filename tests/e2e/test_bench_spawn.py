"""neardup-bench --spawn: Ctrl-C while its server starts does not leave the server running."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from benchmarks.loadtest import SpawnedServer, descendants
from tests.support import until


def _serving_children() -> set[int]:
    """This process's children running `neardup serve` (not zombies)."""
    found = set()
    for pid in descendants(os.getpid()):
        try:
            if b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except OSError:
            continue  # (it ended while we looked)
    return found


def test_ctrl_c_while_the_spawned_server_starts_stops_it(tmp_path: Path) -> None:
    started: set[int] = set()

    def running() -> bool:
        started.update(_serving_children())
        return bool(started)

    def ctrl_c_once_it_runs() -> None:
        if until(running, timeout=30):
            os.kill(os.getpid(), signal.SIGINT)  # a real signal: it interrupts the wait for the serving line

    threading.Thread(target=ctrl_c_once_it_runs, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        SpawnedServer([], tmp_path / "data")
    assert started
    assert until(lambda: not _serving_children(), timeout=30)  # (it was left running, orphaned, after the run)
