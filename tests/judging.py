"""Judging one pair of articles with the detection core, for the template, note and title tests: the ids each side
matches, "a" stored first at T0 and "b" published some time after it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from service.detector import Detector
from service.model import Article, Match

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def judge(detector: Detector, query: Article, stored: Article) -> list[Match]:
    """The matches with evidence (the default with texts at hand), checked to be those without it: the service
    answers without evidence unless asked, and a verdict that changed with the flag made these tests read one
    path while the service took the other."""
    prepared = detector.prepare(query)
    args = (prepared, {stored.id: detector.fingerprint(stored.body).shingles}, {stored.id: stored})
    with_evidence = detector.judge(*args, evidence=True)
    without = detector.judge(*args, evidence=False)
    assert [replace(m, passages=()) for m in with_evidence] == without, "the verdict changed with evidence"
    return with_evidence


def judged(detector: Detector, first: str, then: str, after: timedelta) -> list[str]:
    """The ids `then` ("b", published `after` `first`) matches, with `first` stored as "a" at T0: ["a"] where it is
    the same article, [] where it is another."""
    stored, later = Article("a", first, published=T0), Article("b", then, published=T0 + after)
    return [m.id for m in judge(detector, later, stored)]


def judged_both_ways(detector: Detector, first: str, then: str, after: timedelta) -> tuple[list[str], list[str]]:
    """As `judged`, and the ids `first` matches with `then` stored: (["a"], ["b"]) for the same article."""
    return judged_titled(detector, ("", first), ("", then), after)


def judged_titled(
    detector: Detector, first: tuple[str, str], then: tuple[str, str], after: timedelta
) -> tuple[list[str], list[str]]:
    """As `judged_both_ways`, each text given as (title, body)."""
    stored = Article("a", first[1], title=first[0], published=T0)
    later = Article("b", then[1], title=then[0], published=T0 + after)
    return [m.id for m in judge(detector, later, stored)], [m.id for m in judge(detector, stored, later)]


def raw_jaccard(detector: Detector, a: Article, b: Article) -> float:
    """Jaccard of the two texts' whole shingle sets, boilerplate and all: a re-send at
    similarity.IDENTICAL_JACCARD or more."""
    sa, sb = detector.fingerprint(a.body).shingles, detector.fingerprint(b.body).shingles
    shared = len(set(sa.tolist()) & set(sb.tolist()))
    return shared / (len(sa) + len(sb) - shared)
