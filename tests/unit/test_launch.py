"""The `neardup` command's first step (service/launch.py): `serve`'s stop signals noted before its imports, for
`_ServeStops.arm` to act on; the other commands' signals left as they were. And how serve's handlers
(client/cli_serve.py `_ServeStops`) time and treat the signals that follow the first."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.cli_serve import SAME_STOP_SECONDS, _ServeStops, _StopRequested
from service import launch


@pytest.fixture
def handlers_kept() -> Iterator[None]:
    before = {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        launch.heard_early()  # (forgets what the test left)


@pytest.mark.usefixtures("handlers_kept")
def test_a_stop_signal_before_serves_handlers_is_noted_and_handed_over_with_what_it_replaced() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # (as under nohup: left ignored)
    was = {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS}
    launch.hear_stops_early()
    found: dict[int, Any] = {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS}
    assert found[signal.SIGTERM] is found[signal.SIGINT] is launch._note  # (before a signal is sent: noted, not fatal)
    assert found[signal.SIGHUP] is signal.SIG_IGN
    signal.raise_signal(signal.SIGTERM)  # (noted: the process goes on)
    signal.raise_signal(signal.SIGINT)
    assert launch.before_early(found) == was
    heard = launch.heard_early()
    assert heard is not None and heard[0] == signal.SIGTERM  # (the first)
    assert launch.heard_early() is None  # (forgotten once handed over)


@pytest.mark.usefixtures("handlers_kept")
def test_the_other_commands_signals_are_left_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["neardup", "--version"])
    before = {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS}
    with pytest.raises(SystemExit) as exited:
        launch.main()
    assert exited.value.code == 0
    assert {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS} == before


@pytest.mark.usefixtures("handlers_kept")
def test_a_signal_noted_during_the_imports_is_timed_from_when_it_came_not_from_arm() -> None:
    """`arm` stamped a noted signal as it replayed it, up to 1.3 s (the imports) after it came: a second signal,
    SAME_STOP_SECONDS or more after the first, was taken for the same stop and ignored."""
    launch.hear_stops_early()
    before = time.monotonic()
    signal.raise_signal(signal.SIGTERM)  # (noted)
    after = time.monotonic()
    time.sleep(0.3)  # (the imports)
    stops = _ServeStops()
    with pytest.raises(_StopRequested):
        stops.arm()
    stops.restore()
    assert before <= stops._stop_at <= after


def _relayed(stops: _ServeStops, *heard: tuple[int, str, float]) -> None:
    """What the handler hands the relay, relayed in this thread (`_relay` returns at the None)."""
    for one in heard:
        stops._heard.put(one)
    stops._heard.put(None)
    stops._relay()


def test_with_a_shutdown_delay_a_second_signal_ms_after_the_first_is_the_same_stop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A supervisor's two signals for one stop (its SIGINT to the process group and the SIGTERM it forwards, ms
    apart) cut --shutdown-delay-seconds short: the load balancers had no time to take the server out."""
    stops, began = _ServeStops(shutdown_delay=120), time.monotonic()
    with caplog.at_level(logging.INFO, logger="neardup"):
        _relayed(stops, (signal.SIGINT, "stop", began), (signal.SIGTERM, "stop", began + 0.004))
        assert stops.asked.is_set() and stops.name == "SIGINT"
        assert not stops.again.is_set()  # (the delay goes on)
        assert "SIGTERM received 0.004 s after SIGINT: the same stop, ignored" in caplog.text
        assert "cuts the shutdown delay short" in caplog.text
        cut = began + SAME_STOP_SECONDS + 0.1
        _relayed(stops, (signal.SIGTERM, "stop", cut), (signal.SIGINT, "stop", cut + 0.004))  # (1 s on: cuts it)
    assert stops.again.is_set()
    assert "SIGINT received 0.004 s after SIGTERM: the same stop, ignored" in caplog.text  # (timed from the cut)


_A_DUPLICATE_AFTER_RESTORE = """
import signal, time
from client.cli_serve import _ServeStops

stops = _ServeStops()
stops.arm()
stops.started()
signal.raise_signal(signal.SIGINT)  # (the stop: the serve loop drains)
print(stops.asked.wait(20), flush=True)
stops.restore()  # (the stop carried out: main returns)
signal.raise_signal(signal.SIGTERM)  # (the supervisor's forwarded one, ms after)
signal.raise_signal(signal.SIGINT)
print("exit 0", flush=True)
"""


def test_the_same_stops_second_signal_after_restore_does_not_kill_the_process() -> None:
    """`restore` put the handlers before back once the stop was done: the same stop's second signal, arriving as
    main returned, ended the process with 143 (SIGTERM's default) or a KeyboardInterrupt traceback."""
    done = subprocess.run([sys.executable, "-c", _A_DUPLICATE_AFTER_RESTORE], capture_output=True, text=True,
                          timeout=30, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["True", "exit 0"]


@pytest.mark.usefixtures("handlers_kept")
def test_a_serve_that_heard_no_stop_puts_the_handlers_back() -> None:
    """(main may run in a test's process: a refused start gives the caller its handlers back.)"""
    was = {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS}
    stops = _ServeStops()
    stops.arm()
    stops.restore()
    assert {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS} == was


_A_SIGNAL_TO_ANOTHER_THREAD_DURING_THE_DELAY = """
import signal, threading, time
from client.cli_serve import SAME_STOP_SECONDS, _ServeStops
from service.grpc_server import serve_on

stops = _ServeStops(shutdown_delay=120)
stops.arm()
stops.started()
signal.raise_signal(signal.SIGTERM)  # (the stop: the delay begins)
assert stops.asked.wait(20)


def another_thread():  # (as the kernel hands a process's signal to any of its threads: gRPC's)
    time.sleep(SAME_STOP_SECONDS + 0.2)  # (the main thread in the delay's wait by then)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)


threading.Thread(target=another_thread).start()
began = time.monotonic()
serve_on(120, stops.again)
print(stops.again.is_set(), time.monotonic() - began < 10, flush=True)
stops.restore()
"""


def test_a_signal_handed_to_another_thread_still_cuts_the_shutdown_delay_short() -> None:
    """The delay was one wait of the main thread, which a signal the kernel handed another thread did not end: the
    signal was acted on only once the delay had run out."""
    done = subprocess.run([sys.executable, "-c", _A_SIGNAL_TO_ANOTHER_THREAD_DURING_THE_DELAY], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
