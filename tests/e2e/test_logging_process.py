"""`neardup serve --log-format json --log-level DEBUG`: every stderr line is one JSON event."""

from __future__ import annotations

import json
from pathlib import Path

from client import Article
from tests.articles import WIRE
from tests.support import ServerProcess


def test_json_access_log_from_a_real_server_process(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", "--log-format", "json", "--log-level", "DEBUG").start()
    try:
        with server.client() as client:
            client.index(Article("a", WIRE))
        assert server.terminate() == 0
        assert server.proc is not None and server.proc.stderr is not None
        lines = server.log + server.proc.stderr.read().splitlines(keepends=True)
    finally:
        server.stop()
    events = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    rpcs = [e for e in events if e.get("method") == "neardup.v1.NearDuplicateService/IndexArticle"]
    assert rpcs and rpcs[0]["code"] == "OK" and rpcs[0]["ms"] > 0
    assert any("draining" in e["message"] for e in events)
