"""A server named without a port is looked for at DEFAULT_PORT, however its host is written: a bare IPv6
address too (its colons are not a port's). A real server on the IPv6 loopback, standing in at DEFAULT_PORT."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from client import api
from client.cli import main
from tests.support import in_process_server


@pytest.fixture
def ipv6_server_at_the_default_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    with in_process_server(tmp_path, host="[::1]") as (running, _client):
        monkeypatch.setattr(api, "DEFAULT_PORT", running.port)  # (the real one may be taken on this machine)
        yield running.port


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_a_client_finds_the_server_at_an_ipv6_address_without_a_port(
    ipv6_server_at_the_default_port: int, host: str
) -> None:
    with api.NeardupClient(host, timeout=10) as client:
        assert client.target == f"[::1]:{ipv6_server_at_the_default_port}"
        assert client.health() == "SERVING"


def test_the_cli_finds_the_server_at_a_bare_ipv6_address(
    ipv6_server_at_the_default_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--server", "::1"], env={}) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["articles"] == 0
