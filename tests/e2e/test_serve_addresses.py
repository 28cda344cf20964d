"""`neardup serve --host` with an IPv6 address, written bare as its help suggests (`::`) or in brackets; with a
name that does not resolve."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_serve_on_a_host_name_that_does_not_resolve_says_so(tmp_path: Path) -> None:
    """It said "another process may be using the port (choose another with --port), or the host is not an address
    of this machine", the cause (a lookup that failed) only in a line of gRPC's own. (.invalid never resolves:
    RFC 2606; the lookup is the local resolver's.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEARDUP_")} | {"NEARDUP_HOST": "zz-bad.invalid"}
    refused = subprocess.run(
        [sys.executable, "-m", "client.cli", "serve", "--port", "0", "--fingerprint-workers", "0",
         "--data-dir", str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    said = [line for line in refused.stderr.splitlines() if line.startswith("neardup serve: ")]
    assert len(said) == 1, refused.stderr
    assert said[0].startswith(
        "neardup serve: could not bind zz-bad.invalid:0: the host 'zz-bad.invalid' (--host / NEARDUP_HOST) does not "
        "resolve to an address: "  # (then the resolver's words: glibc's "Name or service not known")
    ), said
