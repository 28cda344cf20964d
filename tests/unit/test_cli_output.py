"""--output made by a run: removed again if the run wrote nothing, never while or after another run wrote it."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

from client import cli


def _output(path: Path, tmp_path: Path) -> cli._EmptiedWhenWritten:
    opened = cli._output(path, tmp_path / "in.jsonl")
    assert isinstance(opened, cli._EmptiedWhenWritten)
    return opened


def test_a_run_that_made_its_output_and_wrote_nothing_removes_it(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with _output(out, tmp_path):
        assert out.exists()
    assert not out.exists()
    with _output(out, tmp_path) as answered:  # (an input of no lines: its empty output kept)
        answered.write("")
    assert out.read_text() == ""


def test_a_failed_run_leaves_the_output_another_run_wrote_there_after_it_made_it(tmp_path: Path) -> None:
    # (run A made out.jsonl and waited for a server that never came; run B, started beside it with the same
    # --output, wrote its 20 lines and exited 0; A then failed and removed B's results)
    out = tmp_path / "out.jsonl"
    with _output(out, tmp_path), _output(out, tmp_path) as second:  # (the first makes it)
        second.write("".join(f'{{"id": "a{n}", "line": {n}}}\n' for n in range(1, 21)))
    assert len(out.read_text().splitlines()) == 20


def test_a_failed_run_leaves_the_output_another_run_has_open_and_has_not_written_yet(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    first = _output(out, tmp_path)  # (it makes the file)
    with _output(out, tmp_path) as second:
        first.__exit__(None, None, None)  # (it fails before its first answer, while the second waits for its own)
        assert out.exists()
        second.write('{"id": "a", "line": 1}\n')
    assert out.read_text() == '{"id": "a", "line": 1}\n'


def test_a_run_that_opens_the_output_while_its_maker_removes_it_makes_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.jsonl"
    out.touch()
    remover = os.open(out, os.O_WRONLY)
    fcntl.flock(remover, fcntl.LOCK_EX)  # (as a run that made it holds it while it removes it)
    waiting, real_flock = threading.Event(), fcntl.flock

    def flock(fd: int, operation: int) -> None:
        if operation == fcntl.LOCK_SH:
            waiting.set()
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    opened: list[tuple[int, cli._Made | None]] = []
    opener = threading.Thread(target=lambda: opened.append(cli._open_output(out)))
    opener.start()
    assert waiting.wait(timeout=30)  # (it opened the file the remover holds, and waits for it)
    os.unlink(out)
    os.close(remover)
    opener.join(timeout=30)
    fd, made = opened[0]
    try:
        assert made is not None and made.path == out  # (a file the path names: its own)
        assert os.path.samestat(os.fstat(fd), os.stat(out))
    finally:
        os.close(fd)


def test_an_output_path_that_is_a_link_to_no_file_makes_the_file_and_a_failed_run_removes_it(tmp_path: Path) -> None:
    target, out = tmp_path / "results" / "out.jsonl", tmp_path / "out.jsonl"
    target.parent.mkdir()
    out.symlink_to(target)
    with _output(out, tmp_path):
        assert target.exists()
    assert not target.exists() and out.is_symlink()  # (as it was: the link, naming no file)
    with _output(out, tmp_path) as answered:
        answered.write('{"id": "a", "line": 1}\n')
    assert target.read_text() == '{"id": "a", "line": 1}\n'


def test_an_output_path_that_is_a_link_to_a_file_is_followed_and_the_file_kept(tmp_path: Path) -> None:
    target, out = tmp_path / "earlier.jsonl", tmp_path / "out.jsonl"
    target.write_text("earlier\n")
    out.symlink_to(target)
    with _output(out, tmp_path):
        pass
    assert target.read_text() == "earlier\n" and out.is_symlink()
