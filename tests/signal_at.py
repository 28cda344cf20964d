"""`neardup serve` that sends itself SIGTERM at a moment of its start the test names in SIGNAL_AT: "handlers",
right after serve set its SIGTERM handler, or the name of a function of service/grpc_server.py that start_server
calls (`_say_scheme`: the store is open, no engine yet; `_watch_store`: the start is done, nothing left to undo),
right after it returns; "dropped:<name>", right after that function returns too, but raised inside a `__del__`,
where Python drops what the handler raises ("Exception ignored in ...", as in a gc callback or a weakref callback).
tests/support.py ServerProcess(..., signal_at=...) runs `python -m tests.signal_at serve …`.

With SIGNAL_RELAY_LAG set too, the thread that writes the lines of serve's handlers (client/cli_serve.py `_ServeStops`,
"neardup-signals") writes each only once main has written its "the start was abandoned" line, or 0.5 s later, as a
thread slowed by a loaded machine might."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any

from client.cli import main
from service import grpc_server


def _at_handlers() -> None:
    real = signal.signal

    def setting(sig: int, handler: Any) -> Any:
        before = real(sig, handler)
        if sig == signal.SIGTERM and getattr(handler, "__name__", "") == "_handle":
            os.kill(os.getpid(), signal.SIGTERM)
        return before

    signal.signal = setting  # type: ignore[assignment]


class _Dropped:
    def __del__(self) -> None:
        signal.raise_signal(signal.SIGTERM)  # (its handler runs here, before raise_signal returns)


def _after(name: str, dropped: bool = False) -> None:
    called = getattr(grpc_server, name)

    def then_sigterm(*args: Any, **kwargs: Any) -> Any:
        returned = called(*args, **kwargs)
        if dropped:
            _Dropped()  # (made and let go at once: its __del__ runs here)
        else:
            os.kill(os.getpid(), signal.SIGTERM)
        return returned

    setattr(grpc_server, name, then_sigterm)


def _relay_lags() -> None:
    real = logging.Logger.handle
    written = threading.Event()

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        if threading.current_thread().name == "neardup-signals":
            written.wait(0.5)
        real(self, record)
        if "the start was abandoned" in record.getMessage():
            written.set()

    logging.Logger.handle = handle  # type: ignore[method-assign]


if __name__ == "__main__":
    at = os.environ.pop("SIGNAL_AT")
    if os.environ.pop("SIGNAL_RELAY_LAG", ""):
        _relay_lags()
    if at == "handlers":
        _at_handlers()
    else:
        _after(at.removeprefix("dropped:"), dropped=at.startswith("dropped:"))
    sys.exit(main())
