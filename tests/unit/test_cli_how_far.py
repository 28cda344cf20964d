"""What ingest's closing line says of the articles after the lines answered, once a failed stream ends the run: it
said "Articles sent after those may be stored too" when the error it followed had just said they were not (a
server gone and not reached again)."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import grpc
import pytest

from client import api, cli_base, cli_ingest_check
from client.api import Article, Verdict
from client.errors import (
    SERVER_LOAD_ABANDONED,
    SERVER_LOAD_FAILED,
    NeardupClientError,
    ResourceExhaustedError,
    UnavailableError,
)
from client.jsonl import BadLine

NOT_REACHED = "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:9: Connection refused"
GONE = "Socket closed"  # (a stream cut once its articles were sent: the server may have stored them)
# (lines 0 to 9 are read, the first two answered: the run is to go on from line 2, its output added to this one's)
AGAIN = (
    "To go on from line 2, run the same command with --start-line 2 --append (an article sent again that was stored "
    'is answered "unchanged")'
)


def _answers_then(
    error: NeardupClientError, answered: int
) -> Callable[[Iterable[tuple[int, Article | BadLine]]], Iterator[Verdict]]:
    """An `answer` for _run_file: `answered` verdicts, then the error that ended the stream."""

    def answer(items: Iterable[tuple[int, Article | BadLine]]) -> Iterator[Verdict]:
        for n, _ in enumerate(items):
            if n == answered:
                raise error
            yield Verdict(f"a{n}", outcome="new")

    return answer


def _closing_line(command: str, error: NeardupClientError, capsys: pytest.CaptureFixture[str]) -> str:
    args = argparse.Namespace(command=command, no_progress=True, file=Path("in.jsonl"), server="127.0.0.1:9",
                              cert_file=None, start_line=1, output=Path("out.jsonl"), append=False)  # fmt: skip
    lines = ((number, Article(f"a{number}", "body")) for number in range(10))
    status = cli_ingest_check._run_file(args, io.StringIO(), lines, _answers_then(error, 2))
    assert status == cli_base.EXIT_FAILED
    return capsys.readouterr().err.splitlines()[-1]


def _ended(details: str, unanswered: int, sent_before: int = 0, failures: int = 1) -> NeardupClientError:
    """The error an index stream ends with, as the client makes it."""
    return api._with_unanswered(UnavailableError(grpc.StatusCode.UNAVAILABLE, details), unanswered, sent_before,
                                failures)  # fmt: skip


def test_articles_sent_only_where_no_server_was_reached_are_said_not_stored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = _ended(NOT_REACHED, 3, failures=3)
    assert error.may_be_stored == 0
    assert _closing_line("ingest", error, capsys) == (
        f"neardup ingest: stopped once 2 lines were answered. The 3 articles sent after those were not stored. {AGAIN}"
    )
    one = _ended(NOT_REACHED, 1)
    assert _closing_line("ingest", one, capsys).endswith(f". The 1 article sent after those was not stored. {AGAIN}")


def test_articles_held_by_a_server_whose_index_load_failed_are_said_not_stored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = _ended(f"{SERVER_LOAD_FAILED} and is stopping", 4)
    assert _closing_line("ingest", error, capsys).endswith(f"The 4 articles sent after those were not stored. {AGAIN}")


def test_articles_held_by_a_server_stopped_before_its_index_was_loaded_are_said_not_stored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (a start abandoned by a signal: its held calls were told the load failed, though nothing had)
    error = _ended(f"{SERVER_LOAD_ABANDONED}: nothing was stored", 4)
    assert _closing_line("ingest", error, capsys).endswith(f"The 4 articles sent after those were not stored. {AGAIN}")


def test_a_stream_that_failed_with_nothing_unanswered_says_none_after_those_was_stored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (a live feed's stream failing between two lines, its server not reached again)
    for details in (GONE, NOT_REACHED):
        assert _closing_line("ingest", _ended(details, 0, failures=2), capsys) == (
            "neardup ingest: stopped once 2 lines were answered. Every article sent was answered, so none after "
            f"those was stored. {AGAIN}"
        )


def test_articles_a_server_may_have_read_are_said_to_be_maybe_stored(capsys: pytest.CaptureFixture[str]) -> None:
    cut = _ended(GONE, 3)
    assert cut.may_be_stored == 3
    # (an earlier attempt reached a server with the first of them: those may be stored, the last not)
    partly = _ended(NOT_REACHED, 3, sent_before=1, failures=2)
    assert partly.may_be_stored == 1
    for error in (cut, partly):
        assert _closing_line("ingest", error, capsys).endswith(
            f". Articles sent after those may be stored too. {AGAIN}"
        )


def test_an_error_that_counts_no_articles_and_check_say_what_they_said(capsys: pytest.CaptureFixture[str]) -> None:
    bare = UnavailableError(grpc.StatusCode.UNAVAILABLE, GONE)  # (not an index stream's: nothing counted)
    assert _closing_line("ingest", bare, capsys).endswith(f". Articles sent after those may be stored too. {AGAIN}")
    assert _closing_line("check", _ended(NOT_REACHED, 0), capsys).endswith(
        ". A check stores nothing. To go on from line 2, run the same command with --start-line 2 --append"
    )


def test_a_refusal_counts_the_rest_of_its_batch_reply_as_answered_not_unanswered() -> None:
    # (an index stream in batches ended by a full store's refusal said every article after the refused one "left
    # unanswered, and may or may not be stored", those answered in the same batch reply too)
    full = "the store is full: nothing of the batch was stored: send the articles again"

    def refusal(article: str) -> api.ArticleFailure:
        return api.ArticleFailure(article, ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, full))

    error = ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, full)
    rest: list[Verdict | api.ArticleFailure] = [refusal("b"), refusal("c"), Verdict("d", ())]
    ended = api._with_unanswered(error, 9, refused=api._Refused("a", error, rest))
    assert ended.details == (
        f"{full}; that was the answer to article 'a' and to the 2 articles after it in the same batch (refused with "
        "it), and 1 other article of that batch was answered otherwise (its answer not kept: sent again, each is "
        "answered again), and 5 articles sent on the stream after those were left unanswered, and may or may not be "
        "stored: sending them again is safe, none is stored twice"
    )
    assert ended.unanswered == 9  # (all to send again, from the refused article on)
    alone = api._with_unanswered(error, 1, refused=api._Refused("a", error, []))
    assert alone.details == f"{full}; that was the answer to article 'a', and none was sent after it"
    whole = api._with_unanswered(error, 3, refused=api._Refused("a", error, rest[:2]))
    assert whole.details.endswith("after it in the same batch (refused with it), and none was sent after those")
