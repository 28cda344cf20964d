"""The `neardup` command's entry point (pyproject's [project.scripts]): for `neardup serve` it hears the stop signals
from its first moment, then runs the command (client/cli.py `main`).

serve's handlers (client/cli_serve.py `_ServeStops`) were set only once client.cli and what it imports (grpc, rich, the
client: 0.3 to 1.3 s) were imported and the flags read: a SIGTERM meanwhile (a rollout's, a supervisor's stop just
after a start) ended the process with 143 and no line, a SIGINT with a KeyboardInterrupt traceback, and a
`kill -INT` of a script's background job (`neardup serve &`, started with SIGINT ignored) was ignored for good.
Here, before those imports, a handler of each stop signal only notes it (a plain list, no lock: it may land
anywhere), and `_ServeStops.arm` takes over: it keeps what was there before these to put back, sets its own
handlers, and abandons the start at once if a signal was noted (a second one noted is as the first: the start
has nothing to undo yet). Only the standard library here, as in service/forkserver.py; the other commands are
left as they were (their Ctrl-C and SIGTERM: client/cli_base.py `terminated_as_interrupted`).

It lives in service/, not beside the CLI in client/, because importing any client/ module runs client/__init__.py
first, which imports client.api and so grpc (the bulk of the 0.3 to 1.3 s): a client/ module would set these
handlers only after grpc's import, the window they are here to cover. service/__init__.py imports nothing.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Any

# The signals that stop `neardup serve` (exit 0, after a drain or an abandoned start).
SERVE_STOPS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

_before: dict[int, Any] = {}  # what the early handlers replaced, by signal
# The stop signals noted before serve's own handlers were set, in order, each with when it came (time.monotonic()):
# a second signal is timed from the first (client/cli_serve.py SAME_STOP_SECONDS), and the imports take up to 1.3 s.
_heard: list[tuple[int, float]] = []


def left_ignored(sig: int, handler: object) -> bool:
    """Is `sig` a SIGHUP that serve began with ignored (`nohup neardup serve`: it goes on serving through one, as it
    did before there were handlers)? SIGTERM and SIGINT are handled whatever serve began with: a shell runs a
    script's background job (`neardup serve &`) with SIGINT ignored, and a `kill -INT` of it is still a request
    to stop (it was, before there were handlers; left ignored, it was ignored for good)."""
    return sig == signal.SIGHUP and handler is signal.SIG_IGN


def _note(signum: int, frame: object) -> None:
    _heard.append((signum, time.monotonic()))  # (stamped as it comes: `arm` acts on it up to 1.3 s later)


def hear_stops_early() -> None:
    """Note each stop signal from now on, until serve sets its own handlers (`heard_early`). Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in SERVE_STOPS:
        if not left_ignored(sig, signal.getsignal(sig)):
            _before.setdefault(sig, signal.signal(sig, _note))


def before_early(handlers: dict[int, Any]) -> dict[int, Any]:
    """`handlers` (what serve found set, by signal) with each early handler among them replaced by what it had
    replaced: what serve puts back when it ends."""
    return {sig: _before.get(sig, signal.SIG_DFL) if handler is _note else handler for sig, handler in handlers.items()}


def heard_early() -> tuple[int, float] | None:
    """The first stop signal noted before serve's own handlers were set, and when it came (time.monotonic()); None:
    none was. Once they are set: all of it is forgotten here (main may run again in the same process: a test's)."""
    heard = _heard[0] if _heard else None
    _before.clear()
    _heard.clear()
    return heard


def main() -> int:
    if sys.argv[1:2] == ["serve"]:  # (`neardup` has no option before the command but --version)
        hear_stops_early()
    from client.cli import main as run  # (the imports the handlers above cover)

    return run()
