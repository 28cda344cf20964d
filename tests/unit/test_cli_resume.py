"""Resuming an ingest or check that stopped: --start-line reads past the lines before it, unparsed, and keeps the
input's own line numbers (`tail -n +N` numbered them from 1); the closing line of a stopped run names the
--start-line to go on with; --append adds a resumed run's results to the earlier output instead of emptying it."""

from __future__ import annotations

import argparse
import gzip
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import grpc
import pytest

from client import Article, cli
from client.api import Verdict
from client.errors import UnavailableError
from client.jsonl import BadLine, read_numbered_articles


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
    path.write_bytes(b"[not json\n" + b"\xe9\n" + _rows(1))
    assert list(read_numbered_articles(path, start=3)) == [(3, Article("a1", "body 1"))]
    parsed = list(read_numbered_articles(path, start=2))
    assert isinstance(parsed[0][1], BadLine) and parsed[0][0] == 2 and "line 2: not UTF-8" in parsed[0][1].error


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
    assert cli._run_file(_args(start_line=7), out, iter(lines), _answers_then_gone(2)) == cli.EXIT_FAILED
    assert [json.loads(x)["line"] for x in out.getvalue().splitlines()] == [7, 8]
    assert capsys.readouterr().err.splitlines()[-1] == (
        "neardup ingest: stopped once 2 lines were answered. Articles sent after those may be stored too: to go on "
        "from line 9, run the same command with --start-line 9 --append (an article sent again that was stored is "
        'answered "unchanged")'
    )
    # Nothing answered: from where this run began; on standard output, appended by the shell
    assert cli._run_file(_args("check", None, 7), out, iter(lines), _answers_then_gone(0)) == cli.EXIT_FAILED
    assert capsys.readouterr().err.splitlines()[-1] == (
        "neardup check: stopped once 0 lines were answered. Nothing was stored: to go on from line 7, run the same "
        "command with --start-line 7, its output appended to this run's (>>, not >)"
    )


def test_a_start_line_past_the_input_s_end_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(_rows(3))
    lines = read_numbered_articles(path, start=40)
    assert cli._run_file(_args(start_line=40), io.StringIO(), lines, _answers_then_gone(5)) == cli.EXIT_OK
    assert capsys.readouterr().err.splitlines() == [
        "neardup ingest: warning: --start-line 40 is past the input's end: it has 3 lines, and no line was answered",
        "neardup ingest: 0 lines answered, none rejected",
    ]


def test_append_adds_to_the_output_and_never_empties_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, given = tmp_path / "out.jsonl", tmp_path / "in.jsonl"
    out.write_text('{"line": 1}\n')
    with cli._output(out, given, append=True) as resumed:
        resumed.write('{"line": 2}\n')
    with cli._output(out, given, append=True) as nothing:  # (an input of no lines from there)
        nothing.write("")
    assert out.read_text() == '{"line": 1}\n{"line": 2}\n'
    assert capsys.readouterr().err == ""
    made = tmp_path / "new.jsonl"
    with cli._output(made, given, append=True):  # (made, and nothing written: removed again)
        pass
    assert not made.exists()
    with cli._output(made, given, append=True) as first:
        first.write('{"line": 1}\n')
    assert made.read_text() == '{"line": 1}\n'


def test_append_to_an_output_cut_in_the_middle_of_a_line_begins_a_new_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"line": 1}\n{"line": 2, "ou')  # (a run killed with SIGKILL in the middle of a write)
    with cli._output(out, tmp_path / "in.jsonl", append=True) as resumed:
        resumed.write('{"line": 2}\n')
    assert out.read_text() == '{"line": 1}\n{"line": 2, "ou\n{"line": 2}\n'
    assert "did not end with a line end" in capsys.readouterr().err


def test_append_is_refused_for_standard_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (None, Path("-")):
        with pytest.raises(SystemExit) as refused:
            cli._output(path, tmp_path / "in.jsonl", append=True)
        assert refused.value.code == cli.EXIT_FAILED
        assert "append with >> there" in capsys.readouterr().err


def test_append_still_refuses_the_input_file(tmp_path: Path) -> None:
    given = tmp_path / "in.jsonl"
    given.write_bytes(_rows(1))
    with pytest.raises(SystemExit):
        cli._output(given, given, append=True)
    assert given.read_bytes() == _rows(1)
