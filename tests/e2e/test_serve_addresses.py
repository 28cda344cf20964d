"""`neardup serve --host` with an IPv6 address, written bare as its help suggests (`::`) or in brackets."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from benchmarks.loopback import free_port
from client import NeardupClient
from tests.support import ServerProcess


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_serve_listens_on_an_ipv6_host_given_bare_or_in_brackets(host: str, tmp_path: Path) -> None:
    metrics_port = free_port()  # (free on 127.0.0.1, so as a rule on ::1)
    server = ServerProcess(tmp_path / "data", "--host", host, "--metrics-port", str(metrics_port)).start()
    try:
        assert any(f"neardup serving on [::1]:{server.port}" in line for line in server.log)
        with NeardupClient(f"[::1]:{server.port}", timeout=30) as client:
            assert client.stats().articles == 0
        with urllib.request.urlopen(f"http://[::1]:{metrics_port}/metrics", timeout=30) as page:
            assert b"neardup_" in page.read()
    finally:
        server.stop()
