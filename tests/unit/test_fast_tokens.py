"""The fast tokeniser paths give exactly the tokens of the reference (full mark-class) pattern."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.similarity import Tokenised
from service.text import (
    _URL,
    _WORD,
    INVISIBLE,
    ND4_READING,
    ND5_READING,
    Reading,
    _blanked_url,
    _normalise_token,
    shown_text,
    token_offsets,
    token_spans,
    tokens,
    tokens_before,
    utf8_tokens,
    without_markup,
    without_urls,
)


def reference_tokens(text: str, reading: Reading = ND5_READING) -> list[str]:
    shown = without_markup(_URL.sub(_blanked_url, text) if reading.drops_urls else text)
    found = [_normalise_token(m.group(), reading.folds_accents) for m in _WORD.finditer(shown)]
    return [t for t in found if t]


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_tokens_equal_reference_on_any_text(text: str) -> None:
    assert tokens(text) == reference_tokens(text)
    assert utf8_tokens(text) == [t.encode() for t in reference_tokens(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Z9 .\n\u00e9\u0301\u0142\u00c6\u1ec7\u0391\u03ac\u0439\u0301\u0915\u093f")))
def test_both_readings_equal_reference_on_accented_text(text: str) -> None:
    """Letters with and without diacritics, combining marks, Greek, Cyrillic, Devanagari: nd5's reading (accents
    folded) and nd4's, on every path."""
    for reading in (ND5_READING, Reading(folds_accents=False)):
        expected = reference_tokens(text, reading)
        assert tokens(text, reading) == expected
        assert utf8_tokens(text, reading) == [t.encode() for t in expected]
        assert [t for t, _, _ in token_spans(text, reading)] == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("abc XYZ 09_-'.,\n\u00e9\u0301\u2019\u2014\ufb01\u0130\u00df")))
def test_tokens_equal_reference_on_news_like_characters(text: str) -> None:
    assert tokens(text) == reference_tokens(text)
    assert utf8_tokens(text) == [t.encode() for t in reference_tokens(text)]


_FEED_PIECES = [
    "a", "Zo", " ", "\n", "&amp;", "&eacute;", "&#8217;", "&#x4E2D;", "&nbsp;", "&bogus;", "&", "<p>", "</p>",
    "<a href='x'>", "<BP>", "<", ">", "\u00ad", "\u200b", "\u0640", "\u064e", "\u0643", "\u4e2d",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FEED_PIECES), max_size=40).map("".join))
def test_all_paths_agree_on_feed_markup_and_invisible_characters(text: str) -> None:
    expected = reference_tokens(text)
    assert tokens(text) == expected
    assert utf8_tokens(text) == [t.encode() for t in expected]
    assert [t for t, _, _ in token_spans(text)] == expected
    assert len(without_markup(text)) == len(text)  # (so offsets into it are offsets into the text)


@pytest.mark.parametrize(
    "text",
    [
        "The Minister\u2019s \u201cplan\u201d \u2014 a 30\u2013day\u00a0pause\u2026",  # byte path: separators only
        "Caf\u00e9 owners in M\u00fcnchen",  # non-ASCII letters: string path
        "cafe\u0301 STOP",  # a combining mark after ASCII letters joins the word
        "\ufb01nal \uff21\uff22\uff23 \u0130stanbul stra\u00dfe",  # NFKC and case folding change the bytes
        "under_score 42nd\tTAB\r\nnew line\x0bvt\x0cff\x1cfs",  # ASCII separators bytes.split() does not know
        "half\ud800pair",  # a lone surrogate (not valid UTF-8) separates words in both
        "港务局周二表示，NHK によると「計画」は",  # letters of unspaced scripts, one token each
    ],
)
def test_utf8_tokens_are_the_tokens_encoded(text: str) -> None:
    assert utf8_tokens(text) == [t.encode() for t in tokens(text)]


def test_combining_marks_are_kept_inside_words() -> None:
    assert tokens("cafe\u0301 au lait", Reading(folds_accents=False)) == ["café", "au", "lait"]
    assert tokens("cafe\u0301 au lait") == ["cafe", "au", "lait"]  # (Latin letters without their diacritics)
    assert tokens("Minister’s — REPLY") == ["minister", "s", "reply"]


# Latin, a combining accent, Chinese and its punctuation, kana (a combining voicing mark, a halfwidth letter and
# voicing mark), Thai with a vowel mark above its consonant; and the same without combining marks (its own path)
_MIXED = "ab Z9 ,\u3002\u300c\u6e2f\u53e3\u306f\u30ab\u3099\uff76\uff9e\u0e01\u0e34\u00e9\u0301\u2014"
_MIXED_WITHOUT_MARKS = "ab Z9 ,\u3002\u300c\u6e2f\u53e3\u306f\u30ab\uff76\uff9e\u0e01\u00e9\u2014"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_MIXED)) | st.text(alphabet=st.sampled_from(_MIXED_WITHOUT_MARKS)))
def test_tokens_equal_reference_on_text_mixing_unspaced_scripts_marks_and_latin(text: str) -> None:
    assert tokens(text) == reference_tokens(text)
    assert utf8_tokens(text) == [t.encode() for t in reference_tokens(text)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*_FEED_PIECES, "Éa", "ПЁТР", "\ufeffHa", "mcDo", "3M", "_X"]), max_size=40).map("".join)
)
def test_names_are_among_the_tokens_whose_first_shown_letter_is_a_capital(text: str) -> None:
    shown = without_markup(text)
    expected = {
        t
        for t, start, end in token_spans(text)
        if next((c for c in shown[start:end] if c not in INVISIBLE), "").isupper()
    }
    assert Tokenised(text, 5).names <= expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*_FEED_PIECES, "Éa", "ПЁТР", "\ufeffHa", "\u00ad", "\u0651"]), max_size=40).map("".join)
)
def test_token_offsets_are_the_offsets_of_token_spans_whenever_the_counts_agree(text: str) -> None:
    starts, ends = token_offsets(text)
    spans = token_spans(text)
    if len(starts) == len(spans):  # (else Tokenised falls back to token_spans)
        assert (starts, ends) == ([s for _, s, _ in spans], [e for _, _, e in spans])
    assert len(starts) >= len(spans)  # (token_spans drops only tokens that normalise to nothing)


# Pieces of bodies with URLs: schemes in any case, "www.", Markdown's links and emphasis, HTML's hrefs and references,
# the punctuation and brackets that end a URL, and what is almost a URL.
_URL_PIECES = [
    "http://", "https://", "HTTPS://", "hTtP://", "www.", "WWW.", "Www.", "://", "x.com", "/a?utm_source=b", "&amp;",
    "&", "_", "__", "a", "Zo", "9", ".", ",", "!", "(", ")", "[", "](", " ", "\n", "'", '"', "<", ">", "<p>",
    '<a href="', "**", "\u00e9", "\u0301", "\u4e2d", "ttps",
]  # fmt: skip
# (No soft hyphen: between a letter and its combining mark, nd4's tokens() and token_spans() read it apart, "á"
# composed and decomposed, as they did before URLs were dropped; nd5 folds both to "a".)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_URL_PIECES), max_size=40).map("".join))
def test_urls_are_blanked_as_the_pattern_finds_them_on_every_path_in_both_readings(text: str) -> None:
    """Blanking URLs only where _url_starts says one may start finds what the pattern finds anywhere; every path
    (string, byte, spans, offsets, counts) reads the text so, nd5 with its URLs dropped and nd4 with them as words."""
    assert without_urls(text) == _URL.sub(_blanked_url, text)
    assert len(shown_text(text)) == len(text)  # (so offsets into it are offsets into the text)
    for reading in (ND5_READING, ND4_READING):
        expected = reference_tokens(text, reading)
        assert tokens(text, reading) == expected
        assert utf8_tokens(text, reading) == [t.encode() for t in expected]
        spans = token_spans(text, reading)
        assert [t for t, _, _ in spans] == expected
        starts, ends = token_offsets(text, reading)
        if len(starts) == len(spans):
            assert (starts, ends) == ([s for _, s, _ in spans], [e for _, _, e in spans])
        assert tokens_before(text, [len(text)], reading) == [len(starts)]
        assert Tokenised(text, 2, reading=reading).words == expected


_ASCII_URL_PIECES = [
    *(p for p in _URL_PIECES if p.isascii()), "<!--", "-->", "-", "&nbsp;", "&#38;", "&quot;", "&lt;", "<script>",
    "</script>", "</a>", "=",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ASCII_URL_PIECES), max_size=40).map("".join))
def test_dropping_urls_only_takes_tokens_away(text: str) -> None:
    """Every token nd5 reads in ASCII text is one nd4 reads, in the same place: a URL ends where a word, a tag, a
    comment or a character reference would end, and blanked, it shows nothing HTML hid (the text of a comment
    whose "-->" it took). (Not so for a non-ASCII letter, raw or a reference, "&eacute;": it ends a URL, and is a
    word of its own.)"""
    kept = set(token_spans(text, Reading(drops_urls=False)))
    assert [s for s in token_spans(text) if s not in kept] == []
