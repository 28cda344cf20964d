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

ROOT = Path(__file__).resolve().parents[2]


def waiter_gets_in(between_steps: Callable[[], None], bound: float) -> bool:
    """Run a thread of pure Python work in ~50 µs steps, calling `between_steps` after each, until a
    second thread (woken as the work starts) gets the GIL, or `bound` seconds pass. Did it get in?
    The interpreter would not take the GIL from the busy thread for 30 s: only letting it go helps."""
    sys.setswitchinterval(30.0)
    started, got_in = threading.Event(), threading.Event()

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

    threads = [threading.Thread(target=wait_then_mark), threading.Thread(target=busy)]
    for t in threads:
        t.start()
    threads[1].join()
    in_time = got_in.is_set()
    threads[0].join()
    return in_time


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


def share_of_id_encoding_before_a_waiter_gets_in(count: int) -> float:
    """Encode `count` ids for a snapshot (what a save beside the writes does in the store's own thread) with
    a second thread waiting for the GIL from the start: how far through the encoding it got in (0 to 1).
    As above, the interpreter would not take the GIL from the encoding for 30 s."""
    from service.snapshot import _encode_ids

    sys.setswitchinterval(30.0)
    ids: list[str | None] = [f"gen-7-{n}" if n % 50 else None for n in range(count)]
    started, got_in = threading.Event(), []

    def wait_then_mark() -> None:
        started.wait()
        got_in.append(time.perf_counter())

    waiter = threading.Thread(target=wait_then_mark)
    waiter.start()
    begun = time.perf_counter()
    started.set()
    _encode_ids(ids)
    ended = time.perf_counter()
    waiter.join()
    return (got_in[0] - begun) / (ended - begun)


def test_a_snapshot_save_encoding_the_ids_lets_a_waiting_thread_in_at_once() -> None:
    """A save at 1.9M articles spent ≈0.6 s encoding ids in one stretch of pure Python, and checks meanwhile
    waited ≈5 ms each time they took the GIL back (p99 218-302 ms, docs/perf.md). In steps, letting go
    between them, a waiting thread gets in within the first steps (before: ≈0.87-0.89 of the way through,
    at a numpy step near the end)."""
    code = (
        "from tests.unit.test_gil import share_of_id_encoding_before_a_waiter_gets_in as share\nprint(share(300_000))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 0.1
