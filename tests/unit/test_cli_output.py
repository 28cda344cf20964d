"""--output made by a run: removed again if the run wrote nothing; refused to a run while another process holds it."""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import threading
from pathlib import Path

import pytest

from client import cli_base, cli_output


def _output(path: Path, tmp_path: Path) -> cli_output._EmptiedWhenWritten:
    opened = cli_output.output(path, tmp_path / "in.jsonl")
    assert isinstance(opened, cli_output._EmptiedWhenWritten)
    return opened


def test_a_run_that_made_its_output_and_wrote_nothing_removes_it(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with _output(out, tmp_path):
        assert out.exists()
    assert not out.exists()
    with _output(out, tmp_path) as answered:  # (an input of no lines: its empty output kept)
        answered.write("")
    assert out.read_text() == ""


def test_a_second_run_given_an_output_another_run_is_writing_is_refused_and_the_first_run_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (two runs given one --output interleaved their lines in it; one that made it and failed could remove the
    # lines the other wrote)
    out = tmp_path / "out.jsonl"
    with _output(out, tmp_path) as first:  # (it makes the file)
        for _ in range(2):  # (refused again: nothing of the refused run's is left to hold it)
            with pytest.raises(SystemExit) as refused:
                cli_output.output(out, tmp_path / "in.jsonl")
            assert refused.value.code == cli_base.EXIT_FAILED
            said = capsys.readouterr().err
            assert said == (f"neardup: --output {out} is locked by another process (another neardup run writing "
                            "it, or a flock(1) on it): wait for it to end, or name another file\n")  # fmt: skip
        first.write('{"id": "a", "line": 1}\n')
    assert out.read_text() == '{"id": "a", "line": 1}\n'
    with _output(out, tmp_path) as later:  # (once the first has ended, the next run writes it)
        later.write('{"id": "b", "line": 1}\n')
    assert out.read_text() == '{"id": "b", "line": 1}\n'


def test_a_second_run_is_refused_an_output_another_run_made_and_then_removes_it_as_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    first = _output(out, tmp_path)  # (it makes the file)
    with pytest.raises(SystemExit):
        cli_output.output(out, tmp_path / "in.jsonl")
    first.__exit__(None, None, None)  # (it fails before its first answer)
    assert not out.exists()
    assert "is locked by another process" in capsys.readouterr().err


def test_the_output_through_a_link_is_refused_while_another_run_writes_the_file_it_names(tmp_path: Path) -> None:
    target, out = tmp_path / "out.jsonl", tmp_path / "link.jsonl"
    out.symlink_to(target)
    with _output(target, tmp_path), pytest.raises(SystemExit):
        cli_output.output(out, tmp_path / "in.jsonl")


def test_a_run_that_opens_the_output_while_its_maker_removes_it_makes_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.jsonl"
    out.touch()
    real_flock, removed = fcntl.flock, threading.Event()

    def flock(fd: int, operation: int) -> None:  # (the run that made it removes it, and lets go, just before)
        if not removed.is_set():
            os.unlink(out)
            removed.set()
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    fd, made = cli_output._open_output(out)
    try:
        assert made == out  # (a file the path names: its own)
        assert os.path.samestat(os.fstat(fd), os.stat(out))
    finally:
        os.close(fd)


def test_on_a_file_system_without_flock_the_output_is_written_as_before_and_never_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flock(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", flock)
    out = tmp_path / "out.jsonl"
    with _output(out, tmp_path), _output(out, tmp_path) as second:  # (not refused: nothing says another run has it)
        second.write('{"id": "a", "line": 1}\n')
    assert out.read_text() == '{"id": "a", "line": 1}\n'
    with _output(tmp_path / "new.jsonl", tmp_path):
        pass
    assert (tmp_path / "new.jsonl").read_text() == ""  # (made and left: whether another run has it is not known)


def test_a_pipe_as_the_output_is_not_locked(tmp_path: Path) -> None:
    reader, writer = os.pipe()
    try:
        with _output(Path(f"/dev/fd/{writer}"), tmp_path) as first, _output(Path(f"/dev/fd/{writer}"), tmp_path):
            first.write("x\n")
        assert os.read(reader, 10) == b"x\n"
    finally:
        os.close(reader)
        os.close(writer)


def test_an_output_locked_by_something_else_is_refused_saying_it_may_be_a_flock_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (`flock -n out.jsonl neardup ingest ... --output out.jsonl`: the holder is the run's own parent, and the run
    # said another neardup run was writing the file)
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n")
    held = os.open(out, os.O_RDONLY)  # (as flock(1) holds it)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(SystemExit):
            cli_output.output(out, tmp_path / "in.jsonl")
    finally:
        os.close(held)
    assert "(another neardup run writing it, or a flock(1) on it)" in capsys.readouterr().err
    assert out.read_text() == "earlier\n"


def test_an_output_named_by_a_path_is_held_even_as_dev_fd_and_standard_output_never(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (`--output /dev/stdout` with standard output a regular file was held, `>> held.jsonl` never: README said
    # neither was)
    out = tmp_path / "out.jsonl"
    with _output(out, tmp_path), out.open("a") as stdout:  # (the first run holds it)
        with pytest.raises(SystemExit):
            cli_output.output(Path(f"/dev/fd/{stdout.fileno()}"), tmp_path / "in.jsonl")  # (as /dev/stdout is)
        monkeypatch.setattr(sys, "stdout", stdout)
        for plain in (None, Path("-")):
            with cli_output.output(plain, tmp_path / "in.jsonl") as written:
                assert written is cli_output.STANDARD_OUTPUT  # (standard output, as it is: not opened, not held)


def test_two_runs_making_one_output_at_once_leave_no_file_neither_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (run A made the file, then, before A held it, run B opened and held it: A was refused the file it made, and
    # B, which had not made it, left it, empty, when it failed before its first answer)
    out = tmp_path / "out.jsonl"
    real_flock, started, second = fcntl.flock, threading.Event(), []

    def flock(fd: int, operation: int) -> None:
        if not started.is_set():  # (B, between A's making and A's holding)
            started.set()
            second.append(_output(out, tmp_path))
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    with pytest.raises(SystemExit):
        cli_output.output(out, tmp_path / "in.jsonl")  # (A: refused, B holds the file)
    assert capsys.readouterr().err.startswith(f"neardup: --output {out} is locked by another process")
    assert isinstance(second[0], cli_output._EmptiedWhenWritten)
    second[0].__exit__(None, None, None)  # (B fails before its first answer)
    assert list(tmp_path.iterdir()) == []


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
