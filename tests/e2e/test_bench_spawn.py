"""neardup-bench against `neardup serve` processes: Ctrl-C while its server starts does not leave the server
running; a tiny --timeout still finds a live server."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from benchmarks import loadtest
from benchmarks.loadtest import SpawnedServer, descendants
from tests.support import ServerProcess, until


def _serving_children() -> set[int]:
    """This process's children running `neardup serve` (not zombies). (By its arguments: "serve" within them
    also matched multiprocessing's forkserver, which earlier tests in the same pytest-xdist worker leave
    running, and redis-server: the Ctrl-C then came at once, and ended the worker.)"""
    found = set()
    for pid in descendants(os.getpid()):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # (it ended while we looked)
        if b"client.cli" in argv and b"serve" in argv:
            found.add(pid)
    return found


def _starting_server() -> bool:
    """A `neardup serve` child well into its start: it has started its forkserver (with fingerprint workers),
    so the bench is past creating it and waits for its port. (A Ctrl-C while the child existed but its Popen
    had not returned yet left nothing for the bench to stop: a terminal's Ctrl-C reaches the server itself.)"""
    return any(descendants(pid) for pid in _serving_children())


def test_ctrl_c_while_the_spawned_server_starts_stops_it(tmp_path: Path) -> None:
    started: set[int] = set()

    def running() -> bool:
        started.update(_serving_children())
        return _starting_server()

    def ctrl_c_once_it_runs() -> None:
        if until(running, timeout=30):
            os.kill(os.getpid(), signal.SIGINT)  # a real signal: it interrupts the wait for the serving line

    threading.Thread(target=ctrl_c_once_it_runs, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        SpawnedServer(["--fingerprint-workers=1"], tmp_path / "data")
    assert started
    assert until(lambda: not _serving_children(), timeout=30)  # (it was left running, orphaned, after the run)


def test_a_timeout_per_call_shorter_than_a_connection_takes_still_finds_the_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()  # (another process: the connection is set up afresh)
    try:
        path = tmp_path / "r.json"
        argv = ["--target", server.target, "--mode", "unary", "--count", "3", "--timeout", "0.001",
                "--no-progress", "--report", str(path), "--plot", str(tmp_path / "p.png")]  # fmt: skip
        loadtest.main(argv)  # (it said it could not reach the server within 0.001 s, and wrote no report)
    finally:
        server.stop()
    report = json.loads(path.read_text())
    assert report["articles"] == 3 and report["parameters"]["timeout"] == 0.001


def test_ctrl_c_while_the_spawned_server_starts_ends_the_bench_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def ctrl_c_once_it_runs() -> None:
        if until(_starting_server, timeout=30):
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=ctrl_c_once_it_runs, daemon=True).start()
    argv = ["--spawn", "--server-arg=--fingerprint-workers=1", "--count", "3", "--no-progress",
            "--report", str(tmp_path / "r.json"),
            "--plot", str(tmp_path / "p.png")]  # fmt: skip
    assert loadtest.main(argv) == loadtest.INTERRUPTED  # (a KeyboardInterrupt traceback from _wait_serving)
    assert "interrupted by Ctrl-C while the spawned server started" in capsys.readouterr().err
    assert until(lambda: not _serving_children(), timeout=30)
    assert not (tmp_path / "r.json").exists()


def test_without_matplotlib_the_bench_names_the_report_it_wrote_and_no_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (It said "no plot: matplotlib is not installed", then "report: x.json  plot: x.png" of a PNG never written.)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # (import matplotlib: ImportError, as without the extra)
    report, plot = tmp_path / "x.json", tmp_path / "x.png"
    argv = ["--spawn", "--server-arg=--fingerprint-workers=0", "--mode", "unary", "--count", "3", "--no-progress",
            "--report", str(report), "--plot", str(plot)]  # fmt: skip
    assert loadtest.main(argv) == 0
    captured = capsys.readouterr()
    assert "no plot: matplotlib is not installed" in captured.err
    assert f"report: {report}" in captured.out
    assert "plot:" not in captured.out
    assert report.is_file() and not plot.exists()


def test_a_spawned_server_that_exits_before_serving_is_said_in_its_own_words_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (it ended in "RuntimeError: the spawned server exited with 2 before serving", not saying which flag it refused)
    argv = ["--spawn", "--server-arg=--bogus-flag", "--count", "3", "--no-progress",
            "--report", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    assert loadtest.main(argv) == 1
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[-6] == (
        "neardup-bench: the spawned server (given --bogus-flag) exited with 2 before serving; the last lines it wrote:"
    )
    assert lines[-1] == "  neardup serve: error: unrecognized arguments: --bogus-flag"
    assert "Traceback" not in err
    assert not (tmp_path / "r.json").exists()
