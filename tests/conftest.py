from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client import NeardupClient
from service.grpc_server import RunningServer
from tests.support import in_process_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[RunningServer, NeardupClient]]:
    """A real server on a free loopback port over a fresh SQLite store, plus a connected client."""
    with in_process_server(tmp_path / "data") as pair:
        yield pair


@pytest.fixture
def client(server: tuple[RunningServer, NeardupClient]) -> NeardupClient:
    return server[1]
