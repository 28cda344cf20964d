"""`neardup serve` whose index load waits for the test that started it: tests/support.py HeldLoadProcess runs
`python -m tests.held_serve serve …`. As HeldLoad in a process of its own: the ports are bound and answer, the
main port speaks gRPC and holds its service's calls, and the store is opened only once a line comes on stdin
(or stdin closes, as when the test that started it is gone: the load goes on, nothing waits for ever)."""

from __future__ import annotations

import sys

from client.cli import main
from service import grpc_server
from service.settings import Settings
from service.storage import Store, open_store


def held_open_store(settings: Settings) -> Store:
    sys.stdin.readline()  # (the test's release)
    return open_store(settings)


if __name__ == "__main__":
    setattr(grpc_server, "open_store", held_open_store)  # noqa: B010  # (the one start_server calls)
    sys.exit(main())
