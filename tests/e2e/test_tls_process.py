"""`neardup serve` as a process with TLS, a token and metrics on: the flags reach the server."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from client import Article, NeardupClient
from tests.articles import WIRE
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
