"""Truncated, excerpted and extended copies are found through containment, even at low Jaccard."""

from pathlib import Path

import pytest

from service.detector import Detector
from service.engine import Engine
from service.model import Article, Relation
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from tests.articles import APPEAL, WIRE, WIRE_PARAGRAPHS


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """The shared engine fixture with the wire story already indexed."""
    engine.index(engine.detector.prepare(Article("wire", WIRE)))
    return engine


@pytest.mark.parametrize("start", range(0, 8))
def test_every_40_percent_excerpt_with_an_appeal_is_found(tmp_path: Path, start: int) -> None:
    # 64 bands of 2 rows: with the appeal not yet learned, Jaccard is only about 0.27.
    params = DetectionParams(lsh_bands=64, lsh_rows=2)
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params))
    engine.index(engine.detector.prepare(Article("wire", WIRE)))
    excerpt = "\n\n".join(WIRE_PARAGRAPHS[start : start + 5])  # 5 of 12 paragraphs
    verdict = engine.check(engine.detector.prepare(Article("x", APPEAL + "\n\n" + excerpt)))
    engine.close()
    [match] = verdict.matches
    assert match.id == "wire" and verdict.duplicate_of == "wire"
    assert match.jaccard < 0.5 < match.containment
    assert match.relation in (Relation.TRUNCATED, Relation.REVISED)


def test_an_excerpt_wearing_a_listed_appeal_verifies_as_wholly_inside(tmp_path: Path) -> None:
    listed = tmp_path / "appeal.txt"
    listed.write_text(APPEAL)
    detector = Detector(DetectionParams(boilerplate_file=str(listed)), 1 << 20)
    stored = {"wire": detector.fingerprint(WIRE).shingles}
    for start in range(0, 8):  # (whether LSH proposes the pair is measured in benchmarks/, not here)
        excerpt = "\n\n".join(WIRE_PARAGRAPHS[start : start + 5])
        prepared = detector.prepare(Article("x", APPEAL + "\n\n" + excerpt))
        [match] = detector.judge(prepared, stored, {"wire": WIRE})
        assert match.containment > 0.95 and match.relation is Relation.TRUNCATED


def test_an_extended_copy_is_a_copy_with_additions(engine: Engine) -> None:
    update = (
        "Late on Wednesday the transport ministry said it had received the board's application and would "
        "publish its own timetable for a decision within a fortnight, after consulting the coastguard and the "
        "regional fisheries office about the effect of the closure on small boats working from the northern quay."
    )
    extended = WIRE + "\n\n" + update
    [match] = engine.check(engine.detector.prepare(Article("x", extended))).matches
    assert match.relation is Relation.ADDITIONS and match.containment > 0.95 and match.jaccard < 0.9


def test_a_short_fragment_below_the_shared_floor_is_not_a_copy(engine: Engine) -> None:
    fragment = " ".join(WIRE.split()[:9])  # five shingles: fewer than min_shared_shingles
    assert engine.check(engine.detector.prepare(Article("x", fragment))).matches == ()
