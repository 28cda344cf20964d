"""`neardup serve` that sends itself SIGTERM at a moment of its start the test names in SIGNAL_AT: "handlers",
right after serve set its SIGTERM handler, or the name of a function of service/grpc_server.py that start_server
calls (`_say_scheme`: the store is open, no engine yet; `_watch_store`: the start is done, nothing left to undo),
right after it returns. tests/support.py ServerProcess(..., signal_at=...) runs `python -m tests.signal_at serve …`."""

from __future__ import annotations

import os
import signal
import sys
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


def _after(name: str) -> None:
    called = getattr(grpc_server, name)

    def then_sigterm(*args: Any, **kwargs: Any) -> Any:
        returned = called(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return returned

    setattr(grpc_server, name, then_sigterm)


if __name__ == "__main__":
    at = os.environ.pop("SIGNAL_AT")
    _at_handlers() if at == "handlers" else _after(at)
    sys.exit(main())
