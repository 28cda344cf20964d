"""The `neardup` commands when their output cannot be written (a full disk, a file size limit) or a standard stream
is closed: a line that says so, exit 2 (health: 1), and for ingest and check the line to go on from; never a
traceback, and never a part of a line left in an output file."""

from __future__ import annotations

import json
import resource
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess

FULL = Path("/dev/full")  # (every write to it fails with ENOSPC, as on a full disk)
pytestmark = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full")
ROWS = [{"id": f"r{n}", "body": f"story {n} " + " ".join(f"w{n}x{j}" for j in range(300))} for n in range(40)]
OUTPUT_LIMIT = 1000  # bytes: the file size limit an output file meets after a dozen lines, most likely in one


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "data").start()
    yield server
    server.stop()


def neardup(*args: str, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "client.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, preexec_fn=preexec)


def in_shell(command: str) -> subprocess.CompletedProcess[str]:
    """`python -m client.cli` run by a shell, with its redirections (`<&-` closes standard input)."""
    line = f"exec {shlex.quote(sys.executable)} -m client.cli {command}"
    return subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=120)


def _file_size_limited() -> None:  # (in the child: SIGXFSZ ignored, so a write past the limit fails with EFBIG)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_an_output_file_that_stops_taking_writes_ends_the_run_on_a_whole_line_and_it_goes_on_from_there(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    # (it died with three chained tracebacks and exit 1, "some lines rejected", saying neither how far it got nor how
    # to go on, and the line being written was left in part: run together with the next run's first line)
    articles, out = _input(tmp_path), tmp_path / "out.jsonl"
    run = [command, str(articles), "--server", served.target, "--no-progress", "--output", str(out)]
    stopped = neardup(*run, preexec=_file_size_limited)
    assert stopped.returncode == 2, stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert f"neardup {command}: cannot write --output {out}: File too large" in stopped.stderr
    kept = out.read_text(encoding="utf-8")
    assert kept.endswith("\n") and len(kept.encode()) <= OUTPUT_LIMIT
    written = [json.loads(line) for line in kept.splitlines()]  # (every line whole)
    assert [w["line"] for w in written] == list(range(1, len(written) + 1)) and 0 < len(written) < len(ROWS)
    go_on = len(written) + 1
    assert f"To go on from line {go_on}, run the same command with --start-line {go_on} --append" in stopped.stderr
    resumed = neardup(*run, "--start-line", str(go_on), "--append")
    assert resumed.returncode == 0, resumed.stderr
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == [r["id"] for r in ROWS]  # (each line answered once, in order)
    if command == "ingest":  # (the line whose answer was not written was stored: sent again, it is "unchanged")
        assert answers[go_on - 1]["outcome"] == "unchanged"
        assert {a["outcome"] for a in answers} <= {"new", "unchanged"}


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_standard_output_to_a_file_that_stops_taking_writes_counts_only_whole_lines_and_it_goes_on_from_there(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    # (through Python's buffer a write that crossed the limit was taken as done and the next one failed: "118 lines
    # answered, go on from 119" of a file holding 117 and half of line 118, and the run that went on lost two lines)
    articles, out = _input(tmp_path), tmp_path / "out.jsonl"
    run = [command, str(articles), "--server", served.target, "--no-progress"]
    with out.open("wb") as shell_output:  # (the shell's `> out.jsonl`)
        stopped = subprocess.run([sys.executable, "-m", "client.cli", *run], stdout=shell_output,
                                 stderr=subprocess.PIPE, text=True, timeout=120,
                                 preexec_fn=_file_size_limited)  # fmt: skip
    assert stopped.returncode == 2 and "cannot write standard output: File too large" in stopped.stderr
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]  # (every line whole)
    assert 0 < len(written) < len(ROWS) and [w["line"] for w in written] == list(range(1, len(written) + 1))
    go_on = len(written) + 1
    assert f"stopped once {len(written)} lines were answered" in stopped.stderr
    assert f"run the same command with --start-line {go_on}, its output appended" in stopped.stderr
    with out.open("ab") as appended:  # (`>> out.jsonl`)
        resumed = subprocess.run([sys.executable, "-m", "client.cli", *run, "--start-line", str(go_on)],
                                 stdout=appended, timeout=120)  # fmt: skip
    assert resumed.returncode == 0
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == [r["id"] for r in ROWS]


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_a_full_standard_output_ends_the_run_saying_so_and_where_to_go_on(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    ended = in_shell(f"{command} {shlex.quote(str(_input(tmp_path)))} --server {served.target} --no-progress "
                     f"> {FULL}")  # fmt: skip
    assert ended.returncode == 2, ended.stderr
    assert ended.stderr.startswith(f"neardup {command}: cannot write standard output: No space left on device\n")
    assert "To go on" in ended.stderr and "Traceback" not in ended.stderr and "Exception ignored" not in ended.stderr


def test_the_other_commands_say_a_full_standard_output_plainly_and_delete_says_what_it_deleted(
    served: ServerProcess, tmp_path: Path
) -> None:
    assert neardup("ingest", str(_input(tmp_path)), "--server", served.target, "--no-progress").returncode == 0
    for command, status in (("stats", 2), ("get r0", 2), ("group r0", 2), ("health", 1)):
        said = in_shell(f"{command} --server {served.target} > {FULL}")
        assert said.returncode == status, (command, said.stderr)
        name = command.split()[0]
        assert said.stderr == f"neardup {name}: cannot write standard output: No space left on device\n", command
    deleted = in_shell(f"delete r1 r2 --server {served.target} > {FULL}")
    assert deleted.returncode == 2
    assert deleted.stderr == ("neardup delete: cannot write standard output: No space left on device; stopped there: "
                              "the 2 ids sent were deleted (or not stored), but none of their answers was written "
                              "whole\n")  # fmt: skip
    assert neardup("get", "r1", "--server", served.target).returncode == 1  # (deleted, as said)


def test_a_closed_standard_stream_is_said_plainly_or_passed_over(served: ServerProcess, tmp_path: Path) -> None:
    # (each gave a traceback: None has no attribute 'buffer', 'fileno', 'write'; with stderr closed, a run that
    # answered every line exited 1, and `get`'s error went to standard output)
    target, articles = served.target, shlex.quote(str(_input(tmp_path)))
    no_input = in_shell(f"check - --server {target} --no-progress <&-")
    assert (no_input.returncode, no_input.stderr) == (2, "neardup: cannot read -: standard input is closed\n")
    no_ids = in_shell(f"delete --from - --server {target} <&-")
    assert (no_ids.returncode, no_ids.stderr) == (2, "neardup delete: cannot read the ids in -: standard input is "
                                                     "closed\n")  # fmt: skip
    no_output = in_shell(f"check {articles} --server {target} --no-progress >&-")
    assert no_output.returncode == 2
    assert no_output.stderr == "neardup: standard output is closed: name a file to write the results to with --output\n"
    no_errors = in_shell(f"check {articles} --server {target} 2>&-")
    assert no_errors.returncode == 0 and len(no_errors.stdout.splitlines()) == len(ROWS)
    full_errors = in_shell(f"check {articles} --server {target} --no-progress 2>{FULL}")  # (it exited 1: "rejected")
    assert full_errors.returncode == 0 and len(full_errors.stdout.splitlines()) == len(ROWS)
    for command, status in (("stats", 2), ("health", 1)):  # (an AttributeError's traceback, exit 1)
        closed = in_shell(f"{command} --server {target} >&-")
        said = f"neardup {command}: cannot write standard output: it is closed\n"
        assert (closed.returncode, closed.stderr) == (status, said), command
    deleted = in_shell(f"delete r0 --server {target} >&-")  # (its id sent, and answered: said so)
    assert deleted.returncode == 2
    assert deleted.stderr.startswith("neardup delete: cannot write standard output: it is closed; stopped there: the "
                                     "1 id sent was deleted (or not stored)")  # fmt: skip
    absent = in_shell(f"get absent --server {target} 2>&-")
    assert (absent.returncode, absent.stdout) == (1, "")
