"""`neardup check` against a server that answered its first lines and then, on a new connection, takes the TCP
connection and never begins gRPC's handshake (a process hung or stopped): the command's closing error asks whether
the server is hung or stopped, in the Python client's words (client.api.HUNG), and names no wrong port. A real
server process behind a loopback forwarder that goes silent (tests/proxy.py); the command runs as a process. It
waits for gRPC's own give-up on the connection (its connect timeout, 20 s): the command's calls' timeout is 30 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.loopback import wait_for
from client.api import HUNG
from tests.articles import SAME_EVENT_A, WIRE
from tests.proxy import BlackHoleProxy
from tests.support import ServerProcess


def _sockets_to(pid: int, port: int) -> int:
    """How many TCP sockets process `pid` holds whose remote end is loopback `port` (any state: one the peer closed
    counts until the process closes it)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:  # (closed meanwhile)
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    count = 0
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            count += remote_port == port and fields[9] in inodes
    return count


def test_check_stopped_by_a_server_that_answered_and_then_never_begins_the_handshake_asks_whether_it_is_hung(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path / "data").start()
    out = tmp_path / "out.jsonl"
    try:
        with BlackHoleProxy(server.target) as proxy:
            target = proxy.address
            port = int(target.rsplit(":", 1)[1])
            run = subprocess.Popen([sys.executable, "-m", "client.cli", "check", "-", "--server", target,
                                    "--retries", "0", "--no-progress", "--output", str(out)],
                                   stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
            assert run.stdin is not None
            try:
                run.stdin.write(json.dumps({"id": "first", "body": WIRE}) + "\n")
                run.stdin.flush()  # (then the feed pauses, open)
                wait_for(lambda: out.exists() and out.read_text().count("\n") == 1, timeout=30, what="1 answer line")
                assert _sockets_to(run.pid, port) >= 1  # (its connection through the forwarder)
                proxy.black_hole()
                # (the command's gRPC closed the connection the forwarder closed: the next line's call is not sent
                # on it, and makes a new one)
                wait_for(lambda: _sockets_to(run.pid, port) == 0, timeout=10, what="the command to see it closed")
                _, stderr = run.communicate(json.dumps({"id": "second", "body": SAME_EVENT_A}) + "\n", timeout=90)
            finally:
                run.kill()
                run.wait(10)
            assert proxy.held >= 1  # (the command's new connection was taken, and never answered)
    finally:
        server.stop()
    assert run.returncode == 2, stderr
    assert "timed out before receiving SETTINGS frame" in stderr, stderr
    assert f"({HUNG.format(target=target)})" in stderr, stderr
    assert "the server at" in HUNG and "had answered" in HUNG and "hung or stopped?" in HUNG
    assert "main port" not in stderr and "not a gRPC server" not in stderr, stderr
    assert stderr.splitlines()[-1].startswith("neardup check: stopped once 1 line was answered."), stderr
