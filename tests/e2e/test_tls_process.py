"""`neardup serve` as a process with TLS, a token and metrics on, or mutual TLS: the flags reach the server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from client import Article, NeardupClient
from tests.articles import WIRE
from tests.integration.test_mtls import CLI_CERT_REMEDY, make_clients
from tests.integration.test_tls import make_pki
from tests.support import ServerProcess


def test_serve_with_tls_token_and_metrics_flags(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    token = tmp_path / "token"
    token.write_text("process-token\n")
    server = ServerProcess(tmp_path / "data", "--tls-cert", str(pki.cert), "--tls-key", str(pki.key),
                           "--auth-token-file", str(token), "--metrics-port", "0").start()  # fmt: skip
    try:
        with NeardupClient(server.target, ca_file=pki.ca, token="process-token") as client:
            assert client.index(Article("over-tls", WIRE)).id == "over-tls"
        metrics_line = next(line for line in server.log if "neardup metrics on" in line)
        url = re.search(r"http://\S+/metrics", metrics_line)
        assert url is not None
        with urllib.request.urlopen(url.group(0), timeout=10) as response:
            assert "neardup_articles_stored 1.0" in response.read().decode()
        assert server.terminate() == 0
    finally:
        server.stop()


def test_serve_with_a_client_ca_asks_the_cli_for_its_certificate(tmp_path: Path) -> None:
    """Mutual TLS end to end: `neardup serve --tls-client-ca`, and `neardup stats` with the client certificate from
    NEARDUP_CERT_FILE and NEARDUP_KEY_FILE, and without it (told what to give)."""
    pki, clients = make_pki(tmp_path), make_clients(tmp_path)
    server = ServerProcess(tmp_path / "data", "--tls-cert", str(pki.cert), "--tls-key", str(pki.key),
                           "--tls-client-ca", str(clients.ca)).start()  # fmt: skip
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith("NEARDUP_")} | {"NEARDUP_CA_FILE": str(pki.ca)}
        with_cert = base | {"NEARDUP_CERT_FILE": str(clients.cert), "NEARDUP_KEY_FILE": str(clients.key)}

        def stats(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "client.cli", "stats", "--server", server.target]
            return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)

        answered = stats(with_cert)
        assert answered.returncode == 0, answered.stderr
        assert json.loads(answered.stdout)["articles"] == 0
        refused = stats(base)
        assert refused.returncode == 2
        assert refused.stderr.strip().endswith(f"({CLI_CERT_REMEDY})"), refused.stderr
        assert server.terminate() == 0
    finally:
        server.stop()
