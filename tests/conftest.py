from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.loopback import RedisServer, redis_cluster, redis_server
from client import NeardupClient
from service.detector import Detector
from service.engine import Engine
from service.grpc_server import RunningServer
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from tests.support import in_process_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[RunningServer, NeardupClient]]:
    """A real server on a free loopback port over a fresh SQLite store, plus a connected client."""
    with in_process_server(tmp_path / "data") as pair:
        yield pair


@pytest.fixture
def client(server: tuple[RunningServer, NeardupClient]) -> NeardupClient:
    return server[1]


# ---- Redis (issue 5): one standalone server and one 3-node cluster shared by the Redis tests ---------


@pytest.fixture(scope="session")
def redis_standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port; tests use their own database number or clear it."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RedisServer]]:
    """A real 3-primary Redis Cluster on loopback (redis-cli --cluster create)."""
    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as nodes:
        yield nodes


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine over a fresh SQLite file with the default detection parameters."""
    params = DetectionParams()
    e = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params), max_batch=64)
    yield e
    e.close()
