"""What ingest and check say on stderr of the lines they answered: "1 line", never "1 lines"."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import grpc
import pytest

from client.api import Verdict, _ended_early
from client.cli_ingest_check import _after_the_refused, _run_file, _StreamRetries
from client.errors import ResourceExhaustedError, UnavailableError
from client.jsonl import BadLine


def _run(outcomes: list[Verdict | BadLine]) -> int:
    """_run_file over lines answered with `outcomes`, its output in memory; its exit status."""
    args = argparse.Namespace(command="ingest", no_progress=True, file=Path("in.jsonl"), start_line=1, output=None)
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
         'neardup ingest: 1 line was already stored just as sent: nothing new was stored for it (outcome '
         '"unchanged")'),
        ([Verdict("a", outcome="unchanged")] * 1_200,
         'neardup ingest: 1,200 lines were already stored just as sent: nothing new was stored for them (outcome '
         '"unchanged")'),
    ],
)  # fmt: skip
def test_a_count_of_one_line_is_said_in_the_singular(
    outcomes: list[Verdict | BadLine], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(outcomes)
    assert said in capsys.readouterr().err.splitlines()


def test_a_retry_says_one_unanswered_article_in_the_singular_and_counts_the_retries_as_check_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (check said "(retry 1 of 2)", ingest no count; and a stream that failed with every article sent on it
    # answered, between two lines of a slow feed, said "resending 0 unanswered articles")
    error = UnavailableError(grpc.StatusCode.UNAVAILABLE, "down")
    retries = _StreamRetries(attempts=8)
    retries.announce(error, 0, 0.5)
    retries.announce(error, 1, 1.0)
    retries.announce(error, 2, 2.0)
    retries.answered()  # (the count starts again, as --retries does)
    retries.announce(error, 2, 0.5)
    assert capsys.readouterr().err.splitlines() == [
        "neardup ingest: UNAVAILABLE: down; no article sent was left unanswered; opening the stream again in 0.5s "
        "(retry 1 of 8)",
        "neardup ingest: UNAVAILABLE: down; resending 1 unanswered article in 1.0s (retry 2 of 8)",
        "neardup ingest: UNAVAILABLE: down; resending 2 unanswered articles in 2.0s (retry 3 of 8)",
        "neardup ingest: UNAVAILABLE: down; resending 2 unanswered articles in 0.5s (retry 1 of 8)",
    ]


def test_a_retry_after_an_articles_refusal_names_it_apart_from_the_articles_unanswered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (a store down refused an article, answered UNAVAILABLE: "resending 1 unanswered article", it said of it)
    def refusal(article: str, rest_of_batch: int) -> UnavailableError:
        error = UnavailableError(grpc.StatusCode.UNAVAILABLE, "store down")
        error.refused_article, error.rest_of_batch = article, rest_of_batch
        return error

    retries = _StreamRetries(attempts=8)
    retries.announce(refusal("n3", 0), 1, 0.5)
    retries.announce(refusal("n3", 0), 2, 1.0)
    retries.announce(refusal("n3", 6), 7, 2.0)
    retries.announce(refusal("n3", 6), 40, 4.0)
    assert capsys.readouterr().err.splitlines() == [
        "neardup ingest: UNAVAILABLE: store down; that was the answer to article 'n3'; resending it in 0.5s (retry 1 "
        "of 8)",
        "neardup ingest: UNAVAILABLE: store down; that was the answer to article 'n3'; resending it and the 1 "
        "unanswered article sent after it in 1.0s (retry 2 of 8)",
        # (the rest of the batch reply: "answered with it", it said, though some may have been answered otherwise)
        "neardup ingest: UNAVAILABLE: store down; that was the answer to article 'n3'; resending it and the 6 articles "
        "after it in its batch in 2.0s (retry 3 of 8)",
        "neardup ingest: UNAVAILABLE: store down; that was the answer to article 'n3'; resending it, the 6 articles "
        "after it in its batch and the 33 unanswered articles sent after them in 4.0s (retry 4 of 8)",
    ]


def test_a_stream_ended_with_one_article_unanswered_says_one_article() -> None:
    assert "the server ended the stream with 1 article unanswered" in str(_ended_early(1))
    assert "the server ended the stream with 2 articles unanswered" in str(_ended_early(2))


def test_an_ingest_stopped_in_a_batch_counts_the_rest_of_its_batch_reply_not_those_answered_with_it() -> None:
    # (the rest of the batch reply was called "the N answered with it", though an article of it may have been
    # answered otherwise: the API's message tells them apart, the closing line under it counted them all so)
    error = ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, "full")
    error.refused_article, error.rest_of_batch = "n0", 7
    assert _after_the_refused(error, 8) == (
        "The article refused and the 7 articles after it in its batch (their answers not kept) have no output line, "
        "and no article was sent after them"
    )
    error.rest_of_batch = 1
    assert _after_the_refused(error, 5) == (
        "The article refused and the 1 article after it in its batch (its answer not kept) have no output line; "
        "the 3 articles sent after them may or may not be stored"
    )
