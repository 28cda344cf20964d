"""Evidence: shared passages with character offsets (code points) in both texts."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.detector import Detector
from service.model import Article, Passage
from service.settings import DetectionParams
from service.similarity import shared_passages
from service.text import tokens
from tests.articles import APPEAL, RELEASE, RELEASE_PARAGRAPHS, WIRE, WIRE_PARAGRAPHS

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


def test_a_verbatim_copy_of_a_text_saying_a_phrase_twice_is_one_passage_over_the_whole_text() -> None:
    # Each shingle was paired with its first occurrence in the other text: the company's name and ticker under
    # "About" pointed at the dateline, and the copy got three passages overlapping each other.
    whole = Passage(0, len(RELEASE) - 1, 0, len(RELEASE) - 1)  # (to the last word's end: the final stop is out)
    assert shared_passages(RELEASE, RELEASE, 5) == (whole,)
    detector = Detector(DetectionParams(), 1 << 20)
    [match] = detector.judge(
        detector.prepare(Article("copy", RELEASE)),
        {"release": detector.fingerprint(RELEASE).shingles},
        {"release": Article("release", RELEASE)},
    )
    assert match.passages == (whole,)


def test_moved_paragraphs_are_passages_apart_in_both_texts_each_pointing_where_it_stands() -> None:
    p = RELEASE_PARAGRAPHS
    moved = "\n\n".join([p[0], p[3], p[1], p[2], p[4], p[5]])  # the figures put before the quote
    passages = shared_passages(RELEASE, moved, 5)
    assert len(passages) == 4  # the opening, the two paragraphs kept together, the moved one, the "About"
    _assert_apart_in_both_texts(passages)
    assert sum(len(tokens(RELEASE[q.start : q.end])) for q in passages) == len(tokens(RELEASE))  # all of it
    for q in passages:
        shared = RELEASE[q.start : q.end]
        assert moved.count(shared) == 1 and moved[q.other_start : q.other_end] == shared
    mirrored = sorted((Passage(q.other_start, q.other_end, q.start, q.end) for q in passages), key=lambda q: q.start)
    assert list(shared_passages(moved, RELEASE, 5)) == mirrored  # the same passages seen from the other text


def test_evidence_of_moved_paragraphs_changes_no_verdict() -> None:
    p = RELEASE_PARAGRAPHS
    moved = "\n\n".join([p[0], p[3], p[1], p[2], p[4], p[5]])
    detector = Detector(DetectionParams(), 1 << 20)
    copy, stored = detector.prepare(Article("moved", moved)), {"release": detector.fingerprint(RELEASE).shingles}
    bodies = {"release": Article("release", RELEASE)}
    plain = detector.judge(copy, stored, bodies, evidence=False)
    with_evidence = detector.judge(copy, stored, bodies, evidence=True)
    assert [(m.id, m.relation, m.jaccard, m.containment) for m in with_evidence] == [
        (m.id, m.relation, m.jaccard, m.containment) for m in plain
    ]
    assert [m.id for m in plain] == ["release"] and with_evidence[0].passages == shared_passages(moved, RELEASE, 5)


def _assert_apart_in_both_texts(passages: tuple[Passage, ...]) -> None:
    in_a = sorted((q.start, q.end) for q in passages)
    in_b = sorted((q.other_start, q.other_end) for q in passages)
    assert all(r[1] <= s[0] for r, s in pairwise(in_a))
    assert all(r[1] <= s[0] for r, s in pairwise(in_b))


_FEW_WORDS = st.lists(st.sampled_from(["pier", "tide", "boat"]), min_size=5, max_size=60)


@settings(max_examples=200, deadline=None)
@given(_FEW_WORDS, _FEW_WORDS)
def test_passages_never_overlap_in_either_text_however_often_phrases_repeat(a: list[str], b: list[str]) -> None:
    text_a, text_b = " ".join(a), " ".join(b)  # (three words: every shingle found many times over)
    passages = shared_passages(text_a, text_b, 5)
    _assert_apart_in_both_texts(passages)
    for q in passages:
        assert tokens(text_a[q.start : q.end]) == tokens(text_b[q.other_start : q.other_end])


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
