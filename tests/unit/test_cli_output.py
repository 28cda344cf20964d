"""--output made by a run: removed again if the run wrote nothing; refused to a run while another run writes it."""

from __future__ import annotations

import errno
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


def test_a_second_run_given_an_output_another_run_is_writing_is_refused_and_the_first_run_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (two runs given one --output interleaved their lines in it; one that made it and failed could remove the
    # lines the other wrote)
    out = tmp_path / "out.jsonl"
    with _output(out, tmp_path) as first:  # (it makes the file)
        for _ in range(2):  # (refused again: nothing of the refused run's is left to hold it)
            with pytest.raises(SystemExit) as refused:
                cli._output(out, tmp_path / "in.jsonl")
            assert refused.value.code == cli.EXIT_FAILED
            said = capsys.readouterr().err
            assert said == (f"neardup: --output {out} is being written by another neardup run (ingest or check): "
                            "wait for it to end, or name another file\n")  # fmt: skip
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
        cli._output(out, tmp_path / "in.jsonl")
    first.__exit__(None, None, None)  # (it fails before its first answer)
    assert not out.exists()
    assert "is being written by another neardup run" in capsys.readouterr().err


def test_the_output_through_a_link_is_refused_while_another_run_writes_the_file_it_names(tmp_path: Path) -> None:
    target, out = tmp_path / "out.jsonl", tmp_path / "link.jsonl"
    out.symlink_to(target)
    with _output(target, tmp_path), pytest.raises(SystemExit):
        cli._output(out, tmp_path / "in.jsonl")


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
    fd, made = cli._open_output(out)
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
