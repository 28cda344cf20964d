from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from service.detector import Detector
from service.errors import InvalidArgument
from service.id_characters import id_character_problem
from service.model import Article, Relation
from service.settings import DetectionParams
from service.status import status_for
from tests.articles import (
    OTHER_WITH_APPEAL,
    SAME_EVENT_A,
    SAME_EVENT_B,
    WIRE,
    WIRE_WITH_APPEAL,
    ZH_OTHER_WITH_APPEAL,
    ZH_SAME_EVENT,
    ZH_WIRE,
    ZH_WIRE_PARAGRAPHS,
    ZH_WIRE_WITH_APPEAL,
)


@pytest.fixture
def detector() -> Detector:
    return Detector(DetectionParams(), max_body_bytes=10_000)


def judge(detector: Detector, query: str, stored: dict[str, str]) -> dict[str, float]:
    prepared = detector.prepare(Article("q", query))
    candidates = {k: detector.fingerprint(v).shingles for k, v in stored.items()}
    return {m.id: m.containment for m in detector.judge(prepared, candidates)}


def test_copy_with_appeal_and_cut_tail_matches_the_wire_story(detector: Detector) -> None:
    found = judge(detector, WIRE_WITH_APPEAL, {"wire": WIRE, "other": OTHER_WITH_APPEAL})
    assert set(found) == {"wire"}
    assert found["wire"] > 0.7


def test_same_event_stories_quoting_the_same_people_do_not_match(detector: Detector) -> None:
    assert judge(detector, SAME_EVENT_A, {"b": SAME_EVENT_B, "wire": WIRE}) == {}


def test_chinese_copy_with_appeal_and_cut_tail_matches_and_the_traps_do_not(detector: Detector) -> None:
    found = judge(detector, ZH_WIRE_WITH_APPEAL, {"wire": ZH_WIRE, "other": ZH_OTHER_WITH_APPEAL})
    assert set(found) == {"wire"}
    assert found["wire"] > 0.7
    assert judge(detector, ZH_SAME_EVENT, {"wire": ZH_WIRE}) == {}
    assert judge(detector, ZH_OTHER_WITH_APPEAL, {"copy": ZH_WIRE_WITH_APPEAL}) == {}


def test_a_chinese_flash_and_a_reworded_chinese_copy_match_though_no_clause_is_unchanged(detector: Detector) -> None:
    """Read as one token from punctuation to punctuation, an 88-character flash had 3 shingles (fewer than
    min_shared_shingles) and a copy that renames the port authority throughout shared no shingle near the
    name: neither matched."""
    flash = ZH_WIRE_PARAGRAPHS[0]
    assert judge(detector, "【快讯】" + flash, {"flash": flash}) == {"flash": pytest.approx(1.0)}
    reworded = ZH_WIRE.replace("港务局", "港口管理局").replace("渔民", "渔户")
    assert judge(detector, reworded, {"wire": ZH_WIRE})["wire"] > 0.8


FLASH = "Harbourton mayor resigns after losing council confidence vote."  # 8 words: 4 shingles, under the floor of 8


def test_a_flash_under_the_shared_shingle_floor_matches_its_whole_re_send_and_nothing_less(detector: Detector) -> None:
    # Every flash under min_shared_shingles matched nothing, not even itself re-sent word for word.
    assert judge(detector, FLASH, {"flash": FLASH}) == {"flash": 1.0}
    assert judge(detector, FLASH.upper(), {"flash": FLASH}) == {"flash": 1.0}  # (the same words)
    assert judge(detector, "BREAKING: " + FLASH, {"flash": FLASH}) == {}  # a part of it: under the floor still
    assert judge(detector, FLASH.replace("mayor", "deputy mayor"), {"flash": FLASH}) == {}
    assert judge(detector, WIRE, {"flash": FLASH}) == {}


def test_truncated_copy_is_found_by_containment(detector: Detector) -> None:
    excerpt = WIRE[: len(WIRE) * 2 // 5]
    prepared = detector.prepare(Article("q", excerpt))
    [match] = detector.judge(prepared, {"wire": detector.fingerprint(WIRE).shingles})
    assert match.containment == pytest.approx(1.0, abs=0.01)
    assert match.jaccard < 0.5
    assert match.relation is Relation.TRUNCATED


def test_evidence_passages_only_when_bodies_are_given(detector: Detector) -> None:
    prepared = detector.prepare(Article("q", WIRE_WITH_APPEAL))
    shingles = {"wire": detector.fingerprint(WIRE).shingles}
    assert detector.judge(prepared, shingles)[0].passages == ()
    [match] = detector.judge(prepared, shingles, bodies={"wire": WIRE})
    assert match.passages
    first = match.passages[0]
    assert WIRE_WITH_APPEAL[first.start : first.end].startswith("Harbour officials in Port Anselm")


@pytest.mark.parametrize(
    ("article", "field"),
    [
        (Article("", "some text"), "article.id"),
        (Article("x" * 600, "some text"), "article.id"),
        (Article("a", ""), "article.body"),
        (Article("a", "   \n "), "article.body"),
        (Article("a", "word " * 3000), "article.body"),
        (Article("a", "— … !?"), "article.body"),
    ],
)
def test_invalid_articles_name_the_field(detector: Detector, article: Article, field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        detector.prepare(article)
    assert err.value.field == field
    assert str(err.value).startswith(field)


def refusal_of(detector: Detector, article_id: str) -> str:
    """The refusal of `article_id` as a new article's id, as the writer answers it: the status message."""
    refusal = detector.prepare(Article(article_id, "some text")).new_id_refusal
    assert refusal is not None, article_id
    return status_for(InvalidArgument("article.id", refusal))[1]


@pytest.mark.parametrize(
    "article_id",
    [
        "  ",
        "a1\n",  # read from a file with its line end
        " a1",
        "a\x001",
        "a\t1",
        "a\u200b1",  # (prints as "a1")
        "a\u20281",  # a line separator
        "a\u202e1",  # a direction override
        "cafe\u0301-9",  # not in NFC (prints as "café-9")
        "a\u00a0b9",  # a no-break space (prints as "a b9")
        "inv9\u3164",  # a Hangul filler (prints as "inv9")
    ],
)
def test_an_id_that_may_not_name_a_new_article_is_kept_with_it_for_the_writer_to_refuse(
    detector: Detector, article_id: str
) -> None:
    # Not raised: an article already stored under it is re-sent and corrected as before (the writer refuses it only
    # when no article has it; the fingerprint workers that prepare articles have no store to ask).
    assert refusal_of(detector, article_id).startswith("article.id: ")


@pytest.mark.parametrize(
    ("article_id", "reason"),
    [
        ("\x01" * 512, "holds U+0001 <control> '\\x01' as its 1st character, which does not print"),
        ("a" + "\u200b" * 170, "holds U+200B ZERO WIDTH SPACE as its 2nd character, which does not print"),
        ("a" + "\u034f" * 200, "holds U+034F COMBINING GRAPHEME JOINER as its 2nd character, which prints as"),
        ("x" * 511 + " ", "begins or ends with a space"),
    ],
)
def test_a_refused_long_id_is_quoted_after_the_reason_and_cut_short(
    detector: Detector, article_id: str, reason: str
) -> None:
    # (quoted whole and first, 512 unprinting characters took the whole status message, clipped before the reason)
    message = refusal_of(detector, article_id)
    assert message.startswith(f"article.id: {reason}"), message
    # (under 700: a reason naming the character and its position, and 64 characters escaped, 6 each at most)
    assert message.endswith(f"… ({len(article_id)} characters))") and len(message) < 700, message


@pytest.mark.parametrize(
    ("article_id", "reason"),
    [
        # Each printed as an id already stored, and was stored as another article (README: "two ids that print
        # alike are one id").
        (
            "cafe\u0301-9",
            "is not in Unicode NFC: from its 5th character, U+0301 COMBINING ACUTE ACCENT, NFC spells it otherwise",
        ),
        ("\u212b-9", "is not in Unicode NFC: from its 1st character, U+212B ANGSTROM SIGN,"),  # (prints as Å)
        ("a\u00a0b9", "holds U+00A0 NO-BREAK SPACE as its 2nd character, a space other than U+0020 SPACE"),
        ("a\u3000b9", "holds U+3000 IDEOGRAPHIC SPACE as its 2nd character, a space other than U+0020 SPACE"),
        ("inv9\u3164", "holds U+3164 HANGUL FILLER as its 5th character, which prints as nothing"),
        ("inv9\u034f", "holds U+034F COMBINING GRAPHEME JOINER as its 5th character, which prints as nothing"),
        ("\u115finv9", "holds U+115F HANGUL CHOSEONG FILLER as its 1st character, which prints as nothing"),
        ("inv9\uffa0", "holds U+FFA0 HALFWIDTH HANGUL FILLER as its 5th character, which prints as nothing"),
        # A variation selector with nothing before it to vary: at the start, after a space, a mark or another one,
        # or after a character it gives no form to, where it prints as nothing too ("a1" and "a1" with U+FE0F).
        ("\ufe0finv9", "holds U+FE0F VARIATION SELECTOR-16 as its 1st character, a variation selector with nothing"),
        ("in \ufe0fv9", "holds U+FE0F VARIATION SELECTOR-16 as its 4th character, a variation"),
        ("inv9\ufe0f\ufe0f", "holds U+FE0F VARIATION SELECTOR-16 as its 5th character, a variation selector"),
        ("inv9\u0301\U000e0100", "holds U+E0100 VARIATION SELECTOR-17 as its 6th character, a variation selector"),
        ("\u180binv9", "holds U+180B MONGOLIAN FREE VARIATION SELECTOR ONE as its 1st character, a variation"),
        ("-\ufe0f9", "holds U+FE0F VARIATION SELECTOR-16 as its 2nd character, a variation selector"),  # (after P*)
        ("a1\ufe0f", "holds U+FE0F VARIATION SELECTOR-16 as its 3rd character, a variation selector"),  # (a digit)
        ("inv9\ufe0f", "holds U+FE0F VARIATION SELECTOR-16 as its 5th character, a variation selector"),
        ("inv\ufe0e9", "holds U+FE0E VARIATION SELECTOR-15 as its 4th character, a variation selector"),  # (a letter)
        ("1\ufe0f-2", "holds U+FE0F VARIATION SELECTOR-16 as its 2nd character, a variation selector"),  # (no keycap)
        ("a+\ufe0f", "holds U+FE0F VARIATION SELECTOR-16 as its 3rd character, a variation selector"),  # (Sm, no emoji)
        ("a\U000e0100", "holds U+E0100 VARIATION SELECTOR-17 as its 2nd character, a variation selector"),
        ("a\u180b", "holds U+180B MONGOLIAN FREE VARIATION SELECTOR ONE as its 2nd character, a variation"),
        ("nc\uffff", "holds U+FFFF <noncharacter> as its 3rd character, a noncharacter"),
        ("nc\ufdd0", "holds U+FDD0 <noncharacter> as its 3rd character, a noncharacter"),
        ("pua\ue000", "holds U+E000 <private use> as its 4th character, a private-use character"),
    ],
)
def test_an_id_that_prints_as_another_is_refused_naming_the_character_and_what_to_send(
    detector: Detector, article_id: str, reason: str
) -> None:
    message = refusal_of(detector, article_id)
    assert message.startswith(f"article.id: {reason}"), message
    advice = "send it in Unicode NFC" if "NFC" in reason else "send U+0020" if "space" in reason else "leave it out"
    assert advice in message, message
    assert message.endswith(f"(the id: {article_id!a})"), message  # (escaped: printed, it looked like another)


@pytest.mark.parametrize(
    ("article_id", "refused"),
    [
        ("\u2764\ufe0f\ufe0f", "U+FE0F VARIATION SELECTOR-16 as its 3rd"),  # (after another selector)
        ("\u0410\U000e0100", "U+E0100 VARIATION SELECTOR-17 as its 2nd"),  # (a Cyrillic letter is no ideograph)
        ("\u1810\u180b", "U+180B MONGOLIAN FREE VARIATION SELECTOR ONE as its 2nd"),  # (a Mongolian digit)
        ("\u1820\u180b\u180c", "U+180C MONGOLIAN FREE VARIATION SELECTOR TWO as its 3rd"),  # (after a selector)
        ("\u845b\u180b", "U+180B MONGOLIAN FREE VARIATION SELECTOR ONE as its 2nd"),  # (an ideograph)
        ("\u2229\ufe00", "U+FE00 VARIATION SELECTOR-1 as its 2nd"),  # (U+FE00..U+FE0D are not taken)
        ("\u00e9\ufe0f", "U+FE0F VARIATION SELECTOR-16 as its 2nd"),  # (a letter is no emoji)
    ],
)
def test_a_variation_selector_after_a_character_it_gives_no_form_to_is_refused(article_id: str, refused: str) -> None:
    # Taken after any letter, number or symbol, it made "a1" and "a1" with U+FE0F, which print alike, two ids.
    problem = id_character_problem(article_id)
    assert problem is not None and problem.startswith(f"holds {refused} character, a variation selector"), problem


def test_a_zero_width_joiner_is_refused_even_between_two_emoji() -> None:
    # Joined where a font has the sequence (🏳️‍🌈), it prints as the two emoji where none has, and always between two
    # that make none: as the id without it. Telling which pairs make one would take Unicode's list of emoji
    # sequences, which grows with its version, as the list of assigned code points did (see the test below).
    problem = id_character_problem("\U0001f3f3\ufe0f\u200d\U0001f308")
    assert problem == (
        "holds U+200D ZERO WIDTH JOINER as its 3rd character, which does not print; ids are printable text"
    )


@pytest.mark.parametrize(
    "article_id", ["a 1", "Zürich-1", "報道/2026", "x" * 512, "café-9", "Å-9", "ｉｄ", "a\u05d0\u05b8"]
)
def test_ids_with_inner_spaces_and_any_letters_are_accepted(detector: Detector, article_id: str) -> None:
    prepared = detector.prepare(Article(article_id, "some words to compare here"))
    assert (prepared.article.id, prepared.new_id_refusal) == (article_id, None)


@pytest.mark.parametrize(
    "article_id",
    [
        "story-\u2764\ufe0f",  # ❤️, the emoji style of U+2764 (without U+FE0F: ❤, its text style, another id)
        "1\ufe0f\u20e3",  # 1️⃣, the keycap emoji
        "#\ufe0f\u20e3-*\ufe0e\u20e3",  # #️⃣ and the text style of *⃣
        "\u2764\ufe0e",  # U+FE0E: the text style asked for
        "\u2194\ufe0f-\u203c\ufe0f-\u2139\ufe0f",  # emoji that are no So symbol: ↔️ (Sm), ‼️ (Po), ℹ️ (Ll)
        "\u1820\u180b-1",  # a Mongolian letter's first free variant
        "\u1820\u180f-1",  # and its fourth (U+180F, Unicode 14)
        "\u845b\U000e0100\u98fe-1",  # an ideograph's variant in a Japanese name (葛飾 with U+E0100)
        "\ufa0e\U000e0100-\U00020b9f\U000e0100",  # after U+FA0E (a compatibility ideograph NFC keeps), Ext. B
    ],
)
def test_a_variation_selector_after_the_character_it_varies_is_accepted(article_id: str) -> None:
    # U+FE0F was refused as "prints as nothing; leave it out": left out, the emoji heart prints as a text heart.
    assert id_character_problem(article_id) is None


@pytest.mark.parametrize(
    "article_id",
    [
        "\U0001fae8-1",  # U+1FAE8 SHAKING FACE, of Unicode 15: unknown to Python 3.11 (Unicode 14)
        "un\u0378",  # unassigned in every Unicode version so far
        "\U0003134b-1",  # (plane 3, past the end of CJK Extension G, U+3134A)
    ],
)
def test_a_code_point_is_not_refused_for_being_unassigned_in_this_python(article_id: str) -> None:
    # Whether it is assigned depends on the server's Python: replicas on 3.11 and 3.12 refused different ids.
    assert id_character_problem(article_id) is None


@pytest.mark.parametrize(
    ("body", "said"),
    [("", "article.body: is required and must not be empty"),
     ("   \n \t", "article.body: holds only spaces and line breaks: there are no words to compare")],
)  # fmt: skip
def test_a_body_of_only_whitespace_is_not_said_to_be_empty(detector: Detector, body: str, said: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        detector.prepare(Article("a", body))
    assert str(refused.value) == said


def test_body_limit_message_says_how_to_change_it(detector: Detector) -> None:
    with pytest.raises(InvalidArgument, match="over the server's limit of 10,000 bytes"):
        detector.prepare(Article("a", "word " * 3000, published=datetime.now(UTC)))


@pytest.mark.parametrize("length", [400, 1200])  # (from 512 content shingles, ranked on a 1-in-8 sample)
def test_only_the_candidates_sharing_the_most_content_are_verified(length: int) -> None:
    detector = Detector(DetectionParams(max_candidates=2), max_body_bytes=100_000)
    words = [f"w{i}" for i in range(length)]
    query = detector.prepare(Article("q", " ".join(words)))

    def shares(percent: int) -> np.ndarray:  # a stored text with that share of the query's words, then its own
        n = length * percent // 100
        return detector.fingerprint(" ".join(words[:n] + [f"own{n}x{j}" for j in range(length - n)])).shingles

    candidates = {"c22": shares(22), "c75": shares(75), "c90": shares(90), "c70": shares(70)}
    assert list(detector.shortlist(detector.labels(query), candidates)) == ["c90", "c75"]
    assert [m.id for m in detector.judge(query, candidates)] == ["c90", "c75"]  # c70 would match too
    assert len(detector.judge(query, dict(candidates) | {"x": shares(3)})) == 2


def test_the_shortlist_ranks_by_content_not_by_shared_boilerplate(tmp_path: Path) -> None:
    appeal = tmp_path / "boilerplate.txt"
    appeal.write_text(" ".join(f"appeal{j}" for j in range(200)))
    detector = Detector(DetectionParams(max_candidates=1, boilerplate_file=str(appeal)), max_body_bytes=100_000)
    story = " ".join(f"story{j}" for j in range(150))
    query = detector.prepare(Article("q", appeal.read_text() + "\n\n" + story))
    other_story = " ".join(f"other{j}" for j in range(150))
    candidates = {
        "same-appeal": detector.fingerprint(appeal.read_text() + "\n\n" + other_story).shingles,
        "copy": detector.fingerprint(story).shingles,  # shares fewer shingles, all of them content
    }
    assert list(detector.shortlist(detector.labels(query), candidates)) == ["copy"]


@pytest.mark.parametrize("length", [400, 1200])
def test_the_shortlist_keeps_an_exact_copy_among_longer_versions_sharing_as_much(length: int) -> None:
    # (every longer version shares all of the query's content too: ranked by id alone, an exact copy named
    # after them was left out, and a check of a story stored in many copies could miss its own re-send)
    detector = Detector(DetectionParams(max_candidates=2), max_body_bytes=100_000)
    story = " ".join(f"w{i}" for i in range(length))
    query = detector.prepare(Article("q", story))
    candidates = {
        f"a{n}": detector.fingerprint(story + " " + " ".join(f"own{n}x{j}" for j in range(20 + n))).shingles
        for n in range(4)
    } | {"z-exact": detector.fingerprint(story).shingles}
    assert list(detector.shortlist(detector.labels(query), candidates)) == ["z-exact", "a0"]
    best = detector.judge(query, candidates)[0]
    assert (best.id, best.jaccard) == ("z-exact", 1.0)


def test_the_shortlist_keeps_an_exact_copy_among_copies_a_word_shorter_when_it_ranks_on_a_sample() -> None:
    # (a long query is ranked on 1 in 8 of its shingles: a copy missing one word often ties with the exact
    # copy there, and "shorter first" put every such copy above it)
    detector = Detector(DetectionParams(max_candidates=3), max_body_bytes=100_000)
    words = [f"w{i}" for i in range(1200)]
    query = detector.prepare(Article("q", " ".join(words)))
    candidates = {
        f"a{n}": detector.fingerprint(" ".join(words[: 100 + n * 7] + words[101 + n * 7 :])).shingles for n in range(20)
    } | {"z-exact": detector.fingerprint(" ".join(words)).shingles}
    assert "z-exact" in detector.shortlist(detector.labels(query), candidates)
