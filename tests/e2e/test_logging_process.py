"""`neardup serve --log-format json --log-level DEBUG`: every stderr line is one JSON event."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from benchmarks.loopback import free_port, wait_for
from client import Article, NeardupClient, UnavailableError
from tests.articles import WIRE
from tests.support import ServerProcess


def test_json_access_log_from_a_real_server_process(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", "--log-format", "json", "--log-level", "DEBUG").start()
    try:
        with server.client() as client:
            client.index(Article("a", WIRE))
        assert server.terminate() == 0
        server.read_rest()
        lines = server.log
    finally:
        server.stop()
    events = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    rpcs = [e for e in events if e.get("method") == "neardup.v1.NearDuplicateService/IndexArticle"]
    assert rpcs and rpcs[0]["code"] == "OK" and rpcs[0]["ms"] > 0
    assert any("draining" in e["message"] for e in events)


def test_a_server_whose_log_reader_has_gone_serves_on_and_closes_cleanly(tmp_path: Path) -> None:
    # As `neardup serve 2>&1 | head -1`: the reader leaves, and each later write to stderr fails (EPIPE).
    # The server once ended there (exit 141) without closing its store.
    port = free_port()
    args = [sys.executable, "-m", "client.cli", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
            "--log-level", "INFO", "--fingerprint-workers", "0"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    proc.stderr.close()  # (before the server writes a line)
    try:
        with NeardupClient(f"127.0.0.1:{port}", timeout=10) as client:
            wait_for(lambda: _answers(client), timeout=60, what="the server to serve")
            assert client.index(Article("a", WIRE)).id == "a"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()
    assert not (tmp_path / "data" / "neardup.db-wal").exists()  # (a clean close checkpoints and removes the WAL)
    restarted = ServerProcess(tmp_path / "data").start()
    try:
        with restarted.client() as client:
            assert client.get("a").article.body == WIRE
    finally:
        restarted.stop()


def _answers(client: NeardupClient) -> bool:
    try:
        return client.health() == "SERVING"
    except UnavailableError:
        return False
