"""`neardup serve` whose index load waits for the test that started it: tests/support.py HeldLoadProcess runs
`python -m tests.held_serve serve …`. As HeldLoad in a process of its own: the ports are bound and answer, the
main port speaks gRPC and holds its service's calls, and the store is opened only once a line comes on stdin
(or stdin closes, as when the test that started it is gone: the load goes on, nothing waits for ever).

With HELD_SERVE_AT=load in its environment the store is opened at once and the load itself is held: the thread
that replays the learned-boilerplate log beside the band index's load (as a cold disk holds it, tens of seconds at
a million articles) says "held: the index load is under way" on stderr and waits for the line; a line naming a
signal ("SIGINT") meanwhile has that thread send the signal to itself (not to the process: the kernel hands a
process's signal to the main thread when it can, and another thread's is what the main thread's waits must not
miss), saying "held: SIGINT sent to the index load's thread", and the load stays held. With HELD_SERVE_AT=drain
the start is not held: the stop is, as its drain begins (after --shutdown-delay-seconds), saying "held: the drain is
under way" on stderr and waiting for the line, as index streams answering what they took hold it."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from client.cli import main
from service import grpc_server, sqlite_store
from service.settings import Settings
from service.storage import Store, open_store

_replayed_group_counts = sqlite_store._replayed_group_counts
_drain = grpc_server.RunningServer._drain


def held_open_store(settings: Settings) -> Store:
    sys.stdin.readline()  # (the test's release)
    return open_store(settings)


def held_drain(streams: Any, grace: float) -> None:
    print("held: the drain is under way", file=sys.stderr, flush=True)
    sys.stdin.readline()  # (the test's release)
    _drain(streams, grace)


def held_group_counts(path: Path, *args: Any) -> Any:
    print("held: the index load is under way", file=sys.stderr, flush=True)
    while (line := sys.stdin.readline().strip()).startswith("SIG"):  # (a signal for this thread, or the release)
        signal.pthread_kill(threading.get_ident(), signal.Signals[line])
        print(f"held: {line} sent to the index load's thread", file=sys.stderr, flush=True)
    return _replayed_group_counts(path, *args)


if __name__ == "__main__":
    at = os.environ.pop("HELD_SERVE_AT", "open")
    if at == "load":
        setattr(sqlite_store, "_replayed_group_counts", held_group_counts)  # noqa: B010  # (the one the load calls)
    elif at == "drain":
        setattr(grpc_server.RunningServer, "_drain", staticmethod(held_drain))  # noqa: B010  # (the one stop calls)
    else:
        setattr(grpc_server, "open_store", held_open_store)  # noqa: B010  # (the one start_server calls)
    sys.exit(main())
