"""The `neardup` command's first step (service/launch.py): `serve`'s stop signals noted before its imports, for
`_ServeStops.arm` to act on; the other commands' signals left as they were."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from typing import Any

import pytest

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
    assert launch.heard_early() == signal.SIGTERM  # (the first)
    assert launch.heard_early() is None  # (forgotten once handed over)


@pytest.mark.usefixtures("handlers_kept")
def test_the_other_commands_signals_are_left_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["neardup", "--version"])
    before = {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS}
    with pytest.raises(SystemExit) as exited:
        launch.main()
    assert exited.value.code == 0
    assert {sig: signal.getsignal(sig) for sig in launch.SERVE_STOPS} == before
