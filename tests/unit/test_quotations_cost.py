"""A text with many marks that open and never close is read in time linear in its length
(`quotations._family_spans`): the paragraph ends inside an open quotation are looked for once, not again from the
quotation's opening at every mark after it (a 48,000-character text of opening marks took a second, per text and
per pair judged, in the writer)."""

import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from service import quotations
from service.quotations import _FAMILIES, _PARAGRAPH_END, quotation_spans
from service.text import without_markup


class _Counted:
    """`_PARAGRAPH_END`, counting the characters its searches are given to read."""

    def __init__(self) -> None:
        self.read = 0

    def search(self, text: str, pos: int, endpos: int) -> re.Match[str] | None:
        self.read += max(0, endpos - pos)
        return _PARAGRAPH_END.search(text, pos, endpos)

    def finditer(self, text: str, pos: int, endpos: int) -> Iterator[re.Match[str]]:
        self.read += max(0, endpos - pos)
        return _PARAGRAPH_END.finditer(text, pos, endpos)


_UNCLOSED = {
    "double": ' "word' * 4000,
    "single": " \u2018word" * 4000,
    "guillemets": " \u00abword" * 4000,
    "plurals' apostrophes": " \u2018the girls\u2019 word" * 2000,
}


def test_marks_that_open_and_never_close_are_read_once_each() -> None:
    for name, text in _UNCLOSED.items():
        counted = _Counted()
        with mock.patch.object(quotations, "_PARAGRAPH_END", counted):
            quotation_spans(text)
        assert counted.read <= 4 * len(text), (name, counted.read, len(text))


# `_family_spans` as it was before the search went on from where the last one ended: the oracle.
def _old_family_spans(body: str, shown: str, family: Any) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    since = 0
    for mark in family.pattern.finditer(shown):
        at = mark.start()
        if family.apostrophes and quotations._APOSTROPHE.match(shown, at):
            continue
        kind = quotations._kind(shown, at, family)
        if opened is not None:
            end = _PARAGRAPH_END.search(body, since, at + 1)
            if end is not None and end.start() < at:
                if quotations._next_paragraph(shown, end) == at and kind != quotations._CLOSES:
                    since = at + 1
                    continue
                opened = None
        if opened is None:
            if kind != quotations._CLOSES:
                opened, since = at, at + 1
        elif kind != quotations._OPENS and not (family.apostrophes and quotations._plurals_apostrophe(body, shown, at)):
            spans.append((opened, at + 1))
            opened = None
    return spans


_PIECES = ["word", "the girls", "s", " ", "  ", "\n", "\n\n", "\n   ", "<p>", "<br>", "&quot;", ",", ".", "(", "-"]
_PIECES += list("\"\u201c\u201d\u201e'\u2018\u2019\u201a\u00ab\u00bb")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60))
def test_the_spans_are_those_of_the_search_from_the_opening(pieces: list[str]) -> None:
    body = "".join(pieces)
    shown = without_markup(body)
    for family in _FAMILIES:
        assert quotations._family_spans(body, shown, family) == _old_family_spans(body, shown, family)
