"""Evidence: shared passages with character offsets (code points) in both texts."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.detector import Detector
from service.model import Article
from service.settings import DetectionParams
from service.similarity import shared_passages
from service.text import tokens
from tests.articles import APPEAL, WIRE, WIRE_PARAGRAPHS

PUBLISHED = datetime(2026, 11, 2, 9, tzinfo=UTC)

SHARED = (
    "Die Stadtverwaltung von Zürich hat am Dienstag beschlossen, die Brücke über die Limmat "
    "für den Autoverkehr zu sperren, weil Ingenieure Risse im Beton gefunden haben."
)


def test_offsets_are_code_points_with_astral_and_combining_characters() -> None:
    a = "🚧🚧 Eilmeldung 🚧 " + SHARED + " Mehr dazu später. 🙂"
    b = "Zu\u0308rich (SDA) \U0001f1e8\U0001f1ed — " + SHARED.upper() + " Ende."
    [p] = shared_passages(a, b, 5)
    assert a[p.start : p.end] == SHARED.rstrip(".")  # from the first word's start to the last word's end
    assert tokens(b[p.other_start : p.other_end]) == tokens(SHARED)


def test_an_html_feed_copy_is_identical_and_its_offsets_point_into_the_html_as_sent() -> None:
    plain = "Intro. " + SHARED + " Ende."
    feed = "<p>Intro.</p>\n<p>" + SHARED.replace("ü", "&uuml;").replace(" ", "&nbsp;", 3) + "</p> Ende."
    detector = Detector(DetectionParams(), 1 << 20)
    [match] = detector.judge(
        detector.prepare(Article("feed", feed)),
        {"plain": detector.fingerprint(plain).shingles},
        {"plain": Article("plain", plain)},
    )
    assert match.jaccard == 1.0
    [p] = shared_passages(feed, plain, 5)
    assert feed[p.start : p.end].startswith("Intro.</p>\n<p>Die&nbsp;Stadtverwaltung&nbsp;von&nbsp;Z&uuml;rich hat")
    assert feed[p.start : p.end].endswith("Ende") and plain[p.other_start : p.other_end] == plain.rstrip(".")


def test_nfkc_forms_compare_equal_and_offsets_cover_the_original_characters() -> None:
    shared = "the ﬁnal ofﬁcial ﬁgures for the harbour ﬁshing ﬂeet were published on Tuesday evening"
    a = "Intro text. " + shared + " and more."
    b = "Other lines: " + shared.replace("ﬁ", "fi").replace("ﬂ", "fl") + "!"
    [p] = shared_passages(a, b, 5)
    assert a[p.start : p.end] == shared
    assert b[p.other_start : p.other_end] == shared.replace("ﬁ", "fi").replace("ﬂ", "fl")


def test_passages_of_a_cut_copy_with_appeal_cover_the_story_not_the_appeal(tmp_path: object) -> None:
    detector = Detector(DetectionParams(), 1 << 20)
    copy = APPEAL + "\n\n" + "\n\n".join(WIRE_PARAGRAPHS[:6])
    prepared = detector.prepare(Article("copy", copy))
    [match] = detector.judge(prepared, {"wire": detector.fingerprint(WIRE).shingles}, {"wire": WIRE})
    [p] = match.passages
    story = "\n\n".join(WIRE_PARAGRAPHS[:6]).rstrip(".")
    assert copy[p.start : p.end] == story
    assert WIRE[p.other_start : p.other_end] == story


def test_a_changed_word_splits_the_evidence_in_two() -> None:
    a = WIRE_PARAGRAPHS[0] + " " + WIRE_PARAGRAPHS[1]
    b = a.replace("seven to two", "eight to one")
    passages = shared_passages(a, b, 5)
    assert len(passages) == 2
    assert passages[0].end < a.index("seven") < passages[1].start


words = st.sampled_from(["harbour", "Board", "ﬁsh", "café", "naïve", "Zu\u0308rich", "2026", "x", "Ünïcode", "🙂"])


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=6, max_size=30), st.lists(words, max_size=8), st.lists(words, max_size=8))
def test_every_passage_slices_to_the_same_words_in_both_texts(
    shared: list[str], before: list[str], after: list[str]
) -> None:
    a = " ".join(before + shared)
    b = "— ".join(shared + after)
    for p in shared_passages(a, b, 5):
        assert tokens(a[p.start : p.end]) == tokens(b[p.other_start : p.other_end])
        assert 0 <= p.start < p.end <= len(a) and 0 <= p.other_start < p.other_end <= len(b)


@pytest.mark.parametrize(
    ("was", "now"), [("seven to two", "eight to one"), ("four hundred", "400"), ("thirty-one years", "31 years")]
)
def test_asking_for_evidence_does_not_change_the_verdict_of_a_resend(was: str, now: str) -> None:
    # A near-identical copy's facts are not read (templates.resent_apart); with evidence its text was read for the
    # passages, and the whole template check ran on it: the three-day rule refused what was grouped without.
    detector = Detector(DetectionParams(), 1 << 20)
    copy = detector.prepare(Article("copy", WIRE.replace(was, now), published=PUBLISHED + timedelta(days=5)))
    stored = {"wire": detector.fingerprint(WIRE).shingles}
    bodies = {"wire": Article("wire", WIRE, published=PUBLISHED)}
    plain = detector.judge(copy, stored, bodies, evidence=False)
    with_evidence = detector.judge(copy, stored, bodies, evidence=True)
    assert [(m.id, m.relation, m.jaccard) for m in with_evidence] == [(m.id, m.relation, m.jaccard) for m in plain]
    assert [m.id for m in plain] == ["wire"] and with_evidence[0].passages
