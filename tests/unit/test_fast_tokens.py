"""The fast tokeniser paths give exactly the tokens of the reference (full mark-class) pattern."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.text import _WORD, _normalise_token, has_combining_marks, tokens


def reference_tokens(text: str) -> list[str]:
    return [_normalise_token(m.group()) for m in _WORD.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_tokens_equal_reference_on_any_text(text: str) -> None:
    assert tokens(text) == reference_tokens(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("abc XYZ 09_-'.,\n\u00e9\u0301\u2019\u2014\ufb01\u0130\u00df")))
def test_tokens_equal_reference_on_news_like_characters(text: str) -> None:
    assert tokens(text) == reference_tokens(text)


def test_combining_marks_are_kept_inside_words() -> None:
    decomposed = "cafe\u0301 au lait"
    assert has_combining_marks(decomposed)
    assert tokens(decomposed) == ["café", "au", "lait"]
    assert not has_combining_marks("Minister’s — reply")
    assert tokens("Minister’s — REPLY") == ["minister", "s", "reply"]
