"""`let_others_run`: a busy thread that calls it between its steps lets a thread waiting for the GIL in.

Each case runs in a fresh interpreter: in the test process, threads and garbage that earlier tests
left behind (a finaliser closing a socket, a thread already waiting with the old switch interval) can
make the busy thread let the GIL go by itself."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def waiter_gets_in(between_steps: Callable[[], None], bound: float) -> bool:
    """Run a thread of pure Python work in ~50 µs steps, calling `between_steps` after each, until a
    second thread (woken as the work starts) gets the GIL, or `bound` seconds pass. Did it get in?
    The interpreter would not take the GIL from the busy thread for 30 s: only letting it go helps."""
    sys.setswitchinterval(30.0)
    started, got_in = threading.Event(), threading.Event()
    in_time: list[bool] = []

    def wait_then_mark() -> None:
        started.wait()  # (lets the GIL go while it waits; needs it back to go on)
        got_in.set()

    def busy() -> None:
        started.set()
        deadline = time.perf_counter() + bound
        while not got_in.is_set() and time.perf_counter() < deadline:
            step_end = time.perf_counter() + 50e-6
            while time.perf_counter() < step_end:
                pass
            between_steps()
        # Read here, still holding the GIL: once this thread ends, the waiter gets in at once, and could
        # mark itself before the main thread looked.
        in_time.append(got_in.is_set())

    threads = [threading.Thread(target=wait_then_mark), threading.Thread(target=busy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return in_time[0]


def _in_fresh_interpreter(between_steps: str, bound: float) -> bool:
    code = (
        "from service.gil import let_others_run\nfrom tests.unit.test_gil import waiter_gets_in\n"
        f"print(waiter_gets_in({between_steps}, bound={bound}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return {"True": True, "False": False}[done.stdout.strip()]


def test_a_busy_thread_letting_others_run_lets_a_waiting_thread_in() -> None:
    assert _in_fresh_interpreter("let_others_run", bound=10.0)


def test_without_it_the_waiting_thread_stays_out_while_the_work_lasts() -> None:
    # The premise of the test above: with no forced switch, pure Python work never lets the GIL go.
    assert not _in_fresh_interpreter("lambda: None", bound=0.5)


def _work_of_a_save(kind: str, count: int) -> Callable[[], object]:
    """What a save beside the writes does with `count` items in the store's own thread, beside the checks:
    encode the ids ("ids"); take the learned counts of three and more ("counts") or the slots' ids
    ("copy") between two writes."""
    import numpy as np

    from service.group_counts import CountState, GroupCounts, touched_plane
    from service.lsh import BandIndex, BandState
    from service.settings import DetectionParams
    from service.snapshot import _encode_ids

    ids: list[str | None] = [f"gen-7-{n}" if n % 50 else None for n in range(count)]
    if kind == "ids":
        return lambda: _encode_ids(ids)
    if kind == "counts":
        hashes = np.arange(count, dtype=np.uint32) * 8
        plane = touched_plane()
        counts = GroupCounts(CountState(plane, plane.copy(), hashes, np.full(count, 3, dtype=np.int64), count))
        return lambda: counts.state(copy=True)
    bands = BandIndex(DetectionParams(), merge_inline=False)
    bands.restore(BandState(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32), ids))
    return bands.as_it_is


def share_of_a_save_step_before_a_waiter_gets_in(kind: str, count: int) -> float:
    """Run `_work_of_a_save(kind, count)` with a second thread waiting for the GIL from its start: how far
    through the work that thread got in (0 to 1; more than 1: only after it). As above, the interpreter
    would not take the GIL from the work for 30 s."""
    work = _work_of_a_save(kind, count)
    sys.setswitchinterval(30.0)
    started, got_in = threading.Event(), []

    def wait_then_mark() -> None:
        started.wait()
        got_in.append(time.perf_counter())

    waiter = threading.Thread(target=wait_then_mark)
    waiter.start()
    begun = time.perf_counter()
    started.set()
    work()
    ended = time.perf_counter()
    waiter.join()
    return (got_in[0] - begun) / (ended - begun)


@pytest.mark.parametrize(("kind", "count"), [("ids", 300_000), ("counts", 1_000_000), ("copy", 2_000_000)])
def test_a_save_beside_the_writes_lets_a_waiting_thread_in_at_once(kind: str, count: int) -> None:
    """A save at 1.9M articles held the GIL in long stretches: ≈0.6 s encoding ids, ≈0.1 s taking 1.8M learned
    counts, ≈20 ms copying the ids. Checks meanwhile waited ≈5 ms each time they took the GIL back, or the
    whole stretch (p99 218-302 ms during an ingest, docs/perf.md). In steps, letting go between them, a
    waiting thread gets in within the first steps (before: 0.87-0.89 of the way through the encoding, at a
    numpy step near its end, and only after the other two)."""
    code = (
        "from tests.unit.test_gil import share_of_a_save_step_before_a_waiter_gets_in as share\n"
        f"print(share({kind!r}, {count}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # In steps, the waiter gets in after the first one it is scheduled for: 0.001-0.004 of the way through the
    # ids and counts, 0.04-0.08 through the copy (a step is 1/31 of it) on an idle host, 0.115 once in CI with
    # the host's two cores busy (the waiter woke a few steps late). In one stretch it was 0.87 or more.
    assert float(done.stdout) < 0.5
