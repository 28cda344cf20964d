"""What ingest and check say on stderr of the lines they answered: "1 line", never "1 lines"."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import grpc
import pytest

from client.api import Verdict, _ended_early
from client.cli import _run_file, _say_retrying
from client.errors import UnavailableError
from client.jsonl import BadLine


def _run(outcomes: list[Verdict | BadLine]) -> int:
    """_run_file over lines answered with `outcomes`, its output in memory; its exit status."""
    args = argparse.Namespace(command="ingest", no_progress=True, file=Path("in.jsonl"))
    lines = ((number, BadLine(None, "read")) for number in range(1, len(outcomes) + 1))
    return _run_file(args, io.StringIO(), lines, lambda items: [o for _, o in zip(items, outcomes, strict=True)])


@pytest.mark.parametrize(
    ("outcomes", "said"),
    [
        ([Verdict("a", outcome="new")], "neardup ingest: 1 line answered, none rejected"),
        ([Verdict("a", outcome="new"), Verdict("b", outcome="new")], "neardup ingest: 2 lines answered, none rejected"),
        ([BadLine(None, "x")], "neardup ingest: 1 of 1 line was rejected; its output line says why"),
        ([Verdict("a", outcome="new"), BadLine(None, "x")],
         "neardup ingest: 1 of 2 lines was rejected; its output line says why"),
        ([BadLine(None, "x"), BadLine(None, "y")],
         "neardup ingest: 2 of 2 lines were rejected; their output lines say why"),
        ([Verdict("a", outcome="replaced")],
         'neardup ingest: 1 line replaced the other version stored under its id (outcome "replaced"); that version '
         "is gone"),
        ([Verdict("a", outcome="replaced")] * 2,
         'neardup ingest: 2 lines replaced the other version stored under their id (outcome "replaced"); that '
         "version is gone"),
        ([Verdict("a", outcome="unchanged")],
         'neardup ingest: 1 line was stored as sent already, and stored nothing (outcome "unchanged")'),
        ([Verdict("a", outcome="unchanged")] * 1_200,
         'neardup ingest: 1,200 lines were stored as sent already, and stored nothing (outcome "unchanged")'),
    ],
)  # fmt: skip
def test_a_count_of_one_line_is_said_in_the_singular(
    outcomes: list[Verdict | BadLine], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(outcomes)
    assert said in capsys.readouterr().err.splitlines()


def test_a_retry_says_one_unanswered_article_in_the_singular(capsys: pytest.CaptureFixture[str]) -> None:
    error = UnavailableError(grpc.StatusCode.UNAVAILABLE, "down")
    _say_retrying(error, 1, 0.5)
    _say_retrying(error, 2, 0.5)
    assert capsys.readouterr().err.splitlines() == [
        "neardup: UNAVAILABLE: down; resending 1 unanswered article in 0.5s",
        "neardup: UNAVAILABLE: down; resending 2 unanswered articles in 0.5s",
    ]


def test_a_stream_ended_with_one_article_unanswered_says_one_article() -> None:
    assert "the server ended the stream with 1 article unanswered" in str(_ended_early(1))
    assert "the server ended the stream with 2 articles unanswered" in str(_ended_early(2))
