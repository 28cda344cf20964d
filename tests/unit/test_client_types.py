"""The client's public types say what callers get, so their type checker can hold them to it: mypy (strict,
in CI) checks the assert_type lines below; at run time they are plain assertions of the same."""

from __future__ import annotations

from typing import assert_type, get_args, get_type_hints

import grpc
from neardup.v1 import neardup_pb2 as pb

import client
from client import (
    ArticleFailure,
    IndexOutcome,
    IndexParameters,
    InvalidArgumentError,
    Match,
    NeardupClientError,
    OnRetry,
    Relation,
    Stats,
    Verdict,
)
from client.api import UNKNOWN_OUTCOME


def test_an_article_failure_holds_a_client_error_with_its_code() -> None:
    failure = ArticleFailure("a1", InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, "article.body: too long"))
    assert_type(failure.error, NeardupClientError)
    assert failure.error.code == grpc.StatusCode.INVALID_ARGUMENT  # (no isinstance needed first)
    assert get_type_hints(ArticleFailure)["error"] is NeardupClientError


def test_the_retry_callback_type_is_exported() -> None:
    heard: list[tuple[str, int, float]] = []

    def on_retry(error: NeardupClientError, unanswered: int, wait: float) -> None:
        heard.append((error.code.name, unanswered, wait))

    callback: OnRetry = on_retry
    callback(client.UnavailableError(grpc.StatusCode.UNAVAILABLE, "restarting"), 3, 0.5)
    assert heard == [("UNAVAILABLE", 3, 0.5)]
    assert "OnRetry" in client.__all__


def test_stats_parameters_are_typed_field_by_field() -> None:
    parameters = IndexParameters(
        shingle_size=5, num_perm=128, lsh_bands=32, lsh_rows=4, seed=1, min_containment=0.5,
        min_shared_shingles=3, max_candidates=32, boilerplate_after=3, fingerprint_scheme="words-v1",
    )  # fmt: skip
    stats = Stats(articles=0, store="sqlite", uptime_seconds=1.0, version="x", parameters=parameters)
    assert_type(stats.parameters["num_perm"], int)
    assert_type(stats.parameters["min_containment"], float)
    assert_type(stats.parameters["fingerprint_scheme"], str)
    assert get_type_hints(IndexParameters) == {
        "shingle_size": int, "num_perm": int, "lsh_bands": int, "lsh_rows": int, "seed": int,
        "min_containment": float, "min_shared_shingles": int, "max_candidates": int, "boilerplate_after": int,
        "fingerprint_scheme": str,
    }  # fmt: skip


def test_an_index_outcome_the_client_does_not_know_is_told_apart_from_a_checks_none() -> None:
    def outcome(value: int) -> str | None:  # (an int: a value this proto has not got too)
        return Verdict.from_pb(pb.Verdict(id="a1", outcome=pb.IndexOutcome.ValueType(value))).outcome

    known = {outcome(value) for value in pb.IndexOutcome.values()}
    assert known == {None, "new", "replaced", "unchanged"}  # (none of them reads as unknown)
    assert outcome(max(pb.IndexOutcome.values()) + 1) == UNKNOWN_OUTCOME == "unknown"


def _relation(value: int) -> Relation:
    verdict = Verdict.from_pb(pb.Verdict(id="a1", matches=[pb.Match(id="b1", relation=pb.Relation.ValueType(value))]))
    return verdict.matches[0].relation


def test_relations_and_outcomes_are_literal_types_naming_every_proto_value() -> None:
    # (typed str, a caller's `match.relation == "identicl"` passed mypy --strict and was always False)
    verdict = Verdict.from_pb(pb.Verdict(id="a1", matches=[pb.Match(id="b1")], outcome=pb.INDEX_OUTCOME_NEW))
    assert_type(verdict.matches[0].relation, Relation)
    assert_type(verdict.outcome, IndexOutcome | None)
    assert get_type_hints(Match)["relation"] == Relation and get_type_hints(Verdict)["outcome"] == IndexOutcome | None
    assert {"Relation", "IndexOutcome"} <= set(client.__all__)
    # Each proto value, a name of its own, and no name the Literal lacks: a value added to the proto fails here.
    relations = [_relation(value) for value in pb.Relation.values()]
    assert sorted(relations) == sorted(get_args(Relation))
    outcomes = [Verdict.from_pb(pb.Verdict(id="a1", outcome=value)).outcome for value in pb.IndexOutcome.values()]
    assert sorted([*(o for o in outcomes if o is not None), UNKNOWN_OUTCOME]) == sorted(get_args(IndexOutcome))
    assert outcomes.count(None) == 1  # (UNSPECIFIED, a check's)
    assert _relation(max(pb.Relation.values()) + 1) == "unspecified"  # (a newer server's, in the Literal too)


def test_a_misspelt_relation_or_outcome_is_a_type_error() -> None:
    match, verdict = Match("b1", 1.0, 1.0, "identical"), Verdict("a1", outcome="unchanged")
    # mypy (strict, with warn_unused_ignores) reports an unused ignore here if these stop being type errors
    assert match.relation != "identicl"  # type: ignore[comparison-overlap]
    assert verdict.outcome != "unchnged"  # type: ignore[comparison-overlap]
