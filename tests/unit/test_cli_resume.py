"""Resuming an ingest or check that stopped: --start-line reads past the lines before it, unparsed, and keeps the
input's own line numbers (`tail -n +N` numbered them from 1); the closing line of a stopped run names the
--start-line to go on with; --append adds a resumed run's results to the earlier output instead of emptying it."""

from __future__ import annotations

import argparse
import fcntl
import gzip
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import grpc
import pytest

from client import Article, cli, cli_base, cli_output
from client.api import ArticleFailure, Verdict
from client.cli_ingest_check import _run_file
from client.errors import UnavailableError
from client.jsonl import BadLine, InputError, read_numbered_articles


def _rows(count: int) -> bytes:
    return b"".join(json.dumps({"id": f"a{n}", "body": f"body {n}"}).encode() + b"\n" for n in range(1, count + 1))


def test_lines_before_the_start_are_read_past_and_the_rest_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(_rows(3) + b"\n" + _rows(6)[len(_rows(3)) :])  # (line 4 blank: lines 5-7 hold a4-a6)
    assert list(read_numbered_articles(path, start=4)) == [(5, Article("a4", "body 4")), (6, Article("a5", "body 5")),
                                                           (7, Article("a6", "body 6"))]  # fmt: skip
    assert list(read_numbered_articles(path, start=6)) == [(6, Article("a5", "body 5")), (7, Article("a6", "body 6"))]
    assert [n for n, _ in read_numbered_articles(path, start=1)] == [1, 2, 3, 5, 6, 7]
    gzipped = tmp_path / "in.jsonl.gz"
    gzipped.write_bytes(gzip.compress(path.read_bytes()))
    assert [n for n, _ in read_numbered_articles(gzipped, start=6)] == [6, 7]


def test_lines_before_the_start_are_not_parsed(tmp_path: Path) -> None:
    # (a line the run before answered with an error, or that would refuse the whole input were it the first read)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"{not json\n" + b"\xe9\n" + _rows(1))
    assert list(read_numbered_articles(path, start=3)) == [(3, Article("a1", "body 1"))]
    parsed = list(read_numbered_articles(path, start=2))
    assert isinstance(parsed[0][1], BadLine) and parsed[0][0] == 2 and "line 2: not UTF-8" in parsed[0][1].error


def test_a_start_at_a_stray_line_is_not_taken_for_the_file_s_format(tmp_path: Path) -> None:
    # (the format check was made on line `start`: "[1, 2]" there refused the whole input as a JSON array, NUL
    # bytes as UTF-16 text; a stopped run's closing line can name such a line)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n" + _rows(2) + b"[1, 2]\n" + b"x\0\0y\n" + _rows(3)[len(_rows(2)) :])
    numbered = list(read_numbered_articles(path, start=4))
    assert [(n, type(item)) for n, item in numbered] == [(4, BadLine), (5, BadLine), (6, Article)]
    assert "line 4: expected a JSON object" in str(numbered[0][1])
    # The file's first non-blank line is still looked at, wherever the run starts
    array = tmp_path / "array.jsonl"
    array.write_bytes(b"[\n" + _rows(3))
    with pytest.raises(InputError, match="looks like a JSON array"):
        list(read_numbered_articles(array, start=3))
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes('{"id": "a1", "body": "b"}\n'.encode("utf-16-le") + _rows(2))
    with pytest.raises(InputError, match="looks like UTF-16LE text"):
        list(read_numbered_articles(wide, start=2))


def test_a_start_past_the_end_reads_nothing_and_counts_the_lines_read(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(_rows(3))
    lines = read_numbered_articles(path, start=10)
    assert list(lines) == [] and lines.lines_read == 3
    with pytest.raises(ValueError, match="begin at 1"):
        read_numbered_articles(path, start=0)


def test_start_line_is_a_flag_of_ingest_and_check_from_1(capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli._parser({})
    for command in ("ingest", "check"):
        args = parser.parse_args([command, "in.jsonl", "--start-line", "4001", "--append", "--output", "o.jsonl"])
        assert args.start_line == 4001 and args.append
        assert parser.parse_args([command, "in.jsonl"]).start_line == 1
        with pytest.raises(SystemExit):
            parser.parse_args([command, "in.jsonl", "--start-line", "0"])
        assert "--start-line: 0 is out of range: give 1 or more" in capsys.readouterr().err


def _args(command: str = "ingest", output: Path | None = Path("out.jsonl"), start_line: int = 1) -> argparse.Namespace:
    return argparse.Namespace(command=command, no_progress=True, file=Path("in.jsonl"), server="127.0.0.1:9",
                              cert_file=None, start_line=start_line, output=output, append=False)  # fmt: skip


def _answers_then_gone(answered: int) -> Callable[[Iterable[tuple[int, Article | BadLine]]], Iterator[Verdict]]:
    def answer(items: Iterable[tuple[int, Article | BadLine]]) -> Iterator[Verdict]:
        for n, (_, item) in enumerate(items):
            if n == answered:
                raise UnavailableError(grpc.StatusCode.UNAVAILABLE, "Socket closed")
            yield Verdict(item.id or "", outcome="new")

    return answer


def test_a_stopped_run_says_the_start_line_of_its_first_unanswered_line(capsys: pytest.CaptureFixture[str]) -> None:
    # Lines 7, 8, 10, 11 of the input (9 blank), resumed from 7: 7 and 8 answered, then the server gone. Line 9
    # has no answer to give, so going on from it (or from 10) answers every line once.
    lines = [(n, Article(f"a{n}", "body")) for n in (7, 8, 10, 11)]
    out = io.StringIO()
    assert _run_file(_args(start_line=7), out, iter(lines), _answers_then_gone(2)) == cli_base.EXIT_FAILED
    assert [json.loads(x)["line"] for x in out.getvalue().splitlines()] == [7, 8]
    assert capsys.readouterr().err.splitlines()[-1] == (
        "neardup ingest: stopped once 2 lines were answered. Articles sent after those may be stored too. To go on "
        "from line 9, run the same command with --start-line 9 --append (an article sent again that was stored is "
        'answered "unchanged")'
    )
    # Nothing answered: the same command again
    assert _run_file(_args("check", None, 7), out, iter(lines), _answers_then_gone(0)) == cli_base.EXIT_FAILED
    assert capsys.readouterr().err.splitlines()[-1] == (
        "neardup check: stopped once 0 lines were answered. A check stores nothing. To go on, run the same command "
        "again"  # (it said "To go on from line 7, run the same command with --start-line 7": the same command)
    )


def test_a_start_line_past_the_input_s_end_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(_rows(3))
    lines = read_numbered_articles(path, start=40)
    assert _run_file(_args(start_line=40), io.StringIO(), lines, _answers_then_gone(5)) == cli_base.EXIT_OK
    assert capsys.readouterr().err.splitlines() == [
        "neardup ingest: warning: --start-line 40 is past the input's end: it has 3 lines, and no line was answered",
        "neardup ingest: 0 lines answered, none rejected",
    ]


def test_append_adds_to_the_output_and_never_empties_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, given = tmp_path / "out.jsonl", tmp_path / "in.jsonl"
    out.write_text('{"line": 1}\n')
    with cli_output.output(out, given, append=True) as resumed:
        resumed.write('{"line": 2}\n')
    with cli_output.output(out, given, append=True) as nothing:  # (an input of no lines from there)
        nothing.write("")
    assert out.read_text() == '{"line": 1}\n{"line": 2}\n'
    assert capsys.readouterr().err == ""
    made = tmp_path / "new.jsonl"
    with cli_output.output(made, given, append=True):  # (made, and nothing written: removed again)
        pass
    assert not made.exists()
    with cli_output.output(made, given, append=True) as first:
        first.write('{"line": 1}\n')
    assert made.read_text() == '{"line": 1}\n'


def test_append_to_an_output_cut_in_the_middle_of_a_line_begins_a_new_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"line": 1}\n{"line": 2, "ou')  # (a run killed with SIGKILL in the middle of a write)
    with cli_output.output(out, tmp_path / "in.jsonl", append=True) as resumed:
        resumed.write('{"line": 2}\n')
    assert out.read_text() == '{"line": 1}\n{"line": 2, "ou\n{"line": 2}\n'
    assert "did not end with a line end" in capsys.readouterr().err


def test_append_is_refused_for_standard_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (None, Path("-")):
        with pytest.raises(SystemExit) as refused:
            cli_output.output(path, tmp_path / "in.jsonl", append=True)
        assert refused.value.code == cli_base.EXIT_FAILED
        assert "append with >> there" in capsys.readouterr().err


def test_append_still_refuses_the_input_file(tmp_path: Path) -> None:
    given = tmp_path / "in.jsonl"
    given.write_bytes(_rows(1))
    with pytest.raises(SystemExit):
        cli_output.output(given, given, append=True)
    assert given.read_bytes() == _rows(1)


def test_an_output_holding_results_is_refused_to_a_resumed_run_without_append(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, given = tmp_path / "out.jsonl", tmp_path / "in.jsonl"
    out.write_text('{"line": 1}\n')
    with pytest.raises(SystemExit) as refused:
        cli_output.output(out, given, start_line=2)
    assert refused.value.code == cli_base.EXIT_FAILED
    said = capsys.readouterr().err
    assert "--output" in said and "add --append to add to it, or name another file" in said, said
    assert out.read_text() == '{"line": 1}\n'
    with cli_output.output(out, given, append=True, start_line=2) as resumed:  # (--append: as before)
        resumed.write('{"line": 2}\n')
    with cli_output.output(out, given, start_line=1) as again:  # (the whole input again: emptied, as before)
        again.write('{"line": 1}\n')
    assert out.read_text() == '{"line": 1}\n'
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with cli_output.output(empty, given, start_line=2) as into_empty:  # (nothing to lose: not refused)
        into_empty.write('{"line": 2}\n')
    assert empty.read_text() == '{"line": 2}\n'


def test_a_resumed_run_that_answers_nothing_leaves_the_output_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    path.write_bytes(_rows(3))
    out.write_text('{"line": 1}\n')
    for start in (4, 40):
        with cli_output.output(out, path) as written:  # (opened as a run without --append opens it)
            status = _run_file(_args(start_line=start), written, read_numbered_articles(path, start=start),
                               _answers_then_gone(5))  # fmt: skip
        assert status == cli_base.EXIT_OK
        assert out.read_text() == '{"line": 1}\n'
    capsys.readouterr()


def test_a_start_just_past_the_last_line_says_the_input_was_answered_to_its_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(_rows(3))
    lines = read_numbered_articles(path, start=4)
    assert _run_file(_args(start_line=4), io.StringIO(), lines, _answers_then_gone(5)) == cli_base.EXIT_OK
    assert capsys.readouterr().err.splitlines() == [
        "neardup ingest: --start-line 4 is the line after the input's last (it has 3 lines): the input was answered "
        "to its end already, and no line was answered",
        "neardup ingest: 0 lines answered, none rejected",
    ]


def test_a_fifo_is_opened_to_write_only_with_append(tmp_path: Path) -> None:

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # (so that opening it to write does not wait)
    try:
        fd = cli_output._opened_to_append(fifo)
        try:
            assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
        finally:
            os.close(fd)
    finally:
        os.close(reader)
    regular = tmp_path / "out.jsonl"
    regular.write_text("x\n")
    fd = cli_output._opened_to_append(regular)
    try:
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDWR
    finally:
        os.close(fd)


def test_an_output_that_may_only_be_written_is_not_said_to_end_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    out = tmp_path / "out.jsonl"
    out.write_text('{"line": 1}\n{"line": 2, "ou')
    opened = os.open

    def write_only(path: object, flags: int, *rest: int) -> int:  # (as for a file of mode -w-, not run as root)
        if flags & os.O_ACCMODE == os.O_RDWR:
            raise PermissionError(13, "Permission denied")
        return opened(path, flags, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", write_only)
    with cli_output.output(out, tmp_path / "in.jsonl", append=True) as resumed:
        resumed.write('{"line": 2}\n')
    monkeypatch.undo()
    assert out.read_text() == '{"line": 1}\n{"line": 2, "ou{"line": 2}\n'  # (told, not guessed)
    said = capsys.readouterr().err
    assert "warning:" in said and "cannot be told" in said, said


def test_lines_turned_away_for_now_are_said_to_be_sent_again(capsys: pytest.CaptureFixture[str]) -> None:
    # With --retries 0, an article the server turned away for now (UNAVAILABLE: its store unreachable) is written
    # as a rejected line; a run going on from a later line does not send it again.
    busy = UnavailableError(grpc.StatusCode.UNAVAILABLE, "the store is unreachable")

    def answer(items: Iterable[tuple[int, Article | BadLine]]) -> Iterator[Verdict | ArticleFailure]:
        for n, (_, item) in enumerate(items):
            if n == 3:
                raise UnavailableError(grpc.StatusCode.UNAVAILABLE, "Socket closed")
            yield ArticleFailure(item.id or "", busy) if n in (1, 2) else Verdict(item.id or "", outcome="new")

    lines = [(n, Article(f"a{n}", "body")) for n in range(1, 10)]
    assert _run_file(_args(), io.StringIO(), iter(lines), answer) == cli_base.EXIT_FAILED
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            '(an article sent again that was stored is answered "unchanged"). 2 lines before line 4 were answered with '
            "an error that may pass (UNAVAILABLE): send them again (their output lines name them)"
        )
    )
    # A run that answered every line says so of them too
    assert _run_file(_args(), io.StringIO(), iter(lines[:3]), answer) == cli_base.EXIT_REJECTED
    assert capsys.readouterr().err.splitlines()[-1] == (
        "neardup ingest: 2 of 3 lines were rejected; their output lines say why; 2 lines were answered with an "
        "error that may pass (UNAVAILABLE): send them again (their output lines name them)"
    )
