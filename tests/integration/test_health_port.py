"""--health-port: the health service alone on a port of its own, answering while the main port is full."""

from __future__ import annotations

import threading
from pathlib import Path

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from benchmarks.loopback import free_port, wait_for
from client import Article, NeardupClient, NeardupClientError, ResourceExhaustedError, UnavailableError
from client.cli import main
from service.errors import StoreInUse
from service.grpc_server import SERVICE_NAME, start_server
from tests import support
from tests.articles import WIRE
from tests.integration.test_limits import HeldIndex, HeldStream
from tests.support import in_process_server


def test_probes_on_the_health_port_answer_while_the_main_port_refuses_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_server(tmp_path, max_concurrent_rpcs=2, max_streams=1, health_port=0) as (running, client):
        assert running.health_port and running.health_port != running.port
        held, index = HeldStream(client), HeldIndex(running, client, monkeypatch)  # the two calls the port allows
        with pytest.raises(ResourceExhaustedError):
            client.health()  # a probe on the main port is one more call: refused
        with NeardupClient(f"127.0.0.1:{running.health_port}", timeout=5) as probe:
            assert probe.health() == "SERVING"
            assert probe.health("neardup.v1.NearDuplicateService") == "SERVING"
        index.close()
        held.close()


def test_the_health_port_serves_nothing_but_health(tmp_path: Path) -> None:
    # It has no auth and no call limit: the detection service must not be reachable through it.
    with (
        in_process_server(tmp_path, health_port=0) as (running, _client),
        grpc.insecure_channel(f"127.0.0.1:{running.health_port}") as channel,
    ):
        with pytest.raises(grpc.RpcError) as refused:
            pb_grpc.NearDuplicateServiceStub(channel).GetStats(pb.GetStatsRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_the_health_port_says_not_serving_while_the_main_port_drains_then_closes(tmp_path: Path) -> None:
    with in_process_server(tmp_path, health_port=0) as (running, client):
        probe = NeardupClient(f"127.0.0.1:{running.health_port}", timeout=5)
        # An in-flight check, held by the store held alone: stop() waits for it (up to its grace). (Not an
        # idle index stream: a stop ends those as soon as they have answered what they took.)
        store_lock = running.engine.store._store._lock  # type: ignore[attr-defined]  # (inside the timing wrapper)
        with store_lock.exclusive():
            checking = threading.Thread(target=client.check, args=(Article("held", WIRE),))
            checking.start()
            wait_for(lambda: store_lock._readers_waiting == 1, what="the check to wait for the store")
            stopping = threading.Thread(target=running.stop, args=(30,))
            stopping.start()
            wait_for(lambda: probe.health() == "NOT_SERVING", what="the health port to report NOT_SERVING")
            assert stopping.is_alive()  # still draining the held check
        checking.join(30)
        stopping.join(30)
        assert not stopping.is_alive()
        with pytest.raises(UnavailableError):
            probe.health()
        probe.close()


def test_a_taken_health_port_stops_startup_with_a_clear_error(tmp_path: Path) -> None:
    with (
        in_process_server(tmp_path / "a", health_port=0) as (running, _client),
        pytest.raises(OSError, match=r"could not bind 127.0.0.1:\d+: .*--health-port"),
        in_process_server(tmp_path / "b", health_port=running.health_port),
    ):
        pass


def test_a_taken_main_port_stops_startup_instead_of_sharing_it(tmp_path: Path) -> None:
    # gRPC's default SO_REUSEPORT let a second server bind the port and take half the connections.
    with in_process_server(tmp_path / "a") as (running, client):
        with pytest.raises(OSError, match=r"could not bind 127.0.0.1:\d+: .*--port"):
            start_server(support.test_settings(tmp_path / "b", port=running.port))
        assert client.index(Article("after", WIRE)).id == "after"  # the first server keeps the port
        assert client.stats().articles == 1


def test_the_cli_pointed_at_the_health_port_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with in_process_server(tmp_path, health_port=0) as (running, client):
        assert main(["stats", "--server", f"127.0.0.1:{running.health_port}"], env={}) == 2
        assert "if it is the health port, --server names the main one" in capsys.readouterr().err
        given = tmp_path / "in.jsonl"
        given.write_text("".join(f'{{"id": "a{n}", "body": "word{n} b c d e f"}}\n' for n in range(3)))
        ingest = ["ingest", str(given), "--output", str(tmp_path / "out.jsonl")]
        assert main([*ingest, "--server", f"127.0.0.1:{running.health_port}"], env={}) == 2
        said = capsys.readouterr().err
        assert "if it is the health port, --server names the main one" in said
        # (a server without the method stores nothing: it said they "may or may not be stored")
        assert "3 articles sent on the stream were not stored" in said and "may or may not" not in said, said
        assert client.stats().articles == 0


def test_a_start_refused_at_the_store_lets_go_of_the_ports_it_bound(tmp_path: Path) -> None:
    # The ports are bound before the store is opened: a start that then fails must not keep them.
    with in_process_server(tmp_path) as _:  # holds the store
        port, health_port, metrics_port = free_port(), free_port(), free_port()
        ports = {"port": port, "health_port": health_port, "metrics_port": metrics_port}
        with pytest.raises(StoreInUse):
            start_server(support.test_settings(tmp_path, **ports))
    with in_process_server(tmp_path, **ports) as (again, client):
        assert (again.port, again.health_port, again.metrics_port) == (port, health_port, metrics_port)
        assert client.health(SERVICE_NAME) == "SERVING"


def test_the_python_client_pointed_at_the_health_port_says_so(tmp_path: Path) -> None:
    """It said only gRPC's "Method not found!", where the CLI names the health port."""
    with (
        in_process_server(tmp_path, health_port=0) as (running, client),
        NeardupClient(f"127.0.0.1:{running.health_port}", timeout=5) as wrong,
    ):
        for call in (wrong.stats, lambda: wrong.index(Article("a", WIRE))):
            with pytest.raises(NeardupClientError) as refused:
                call()
            assert refused.value.code == grpc.StatusCode.UNIMPLEMENTED
            assert refused.value.details.endswith(
                f"(127.0.0.1:{running.health_port} does not serve this call: if it is neardup's health port, connect "
                "to its main one; otherwise it is another service, or a neardup server older than this client)"
            ), refused.value.details
        assert client.stats().articles == 0
