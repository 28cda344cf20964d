"""Quotations: the words a text carries inside double quotation marks.

Two outlets reporting one court ruling, speech or statement each quote it, often at length. The quoted
words are what both report someone saying, not one outlet's reporting copied by the other, so a match must
rest on shared text outside them: Detector._rests_outside_quotations asks it to share enough besides the
shingles both texts carry only inside quotations.

A quotation runs from an opening double quote to the next closing one. The marks are the straight `"`, the
curly `“` and `”` and the low `„`, each read as opening or closing by what stands around it (an opening
mark follows a space or a bracket and comes before a word; a closing one follows a word or punctuation and
comes before a space, punctuation or the end), so curly marks put the wrong way round by a CMS (`”$5`)
and German `„…“` are read as they are meant; a mark that stands either way is read by its shape, and a
straight one then closes an open quotation or opens one. A quotation can run over paragraphs, as news
style writes them: an opening mark on each paragraph, a closing one only at the end. One still open at the
end of a paragraph whose next paragraph opens with no quotation mark has no known end, and is no quotation
(a stray or an inch mark, `12" pipe`, must not make the rest of a text a quotation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from service.model import U32Array
from service.sets import unique
from service.text import without_markup

_MARKS = '"\u201c\u201d\u201e'
_MARK = re.compile(f"[{_MARKS}]")
_SHAPED_OPENING = "\u201c\u201e"
_SHAPED_CLOSING = "\u201d"
# What an opening mark follows, and what a closing one comes before (besides spaces and the text's edges).
_BEFORE_OPENING = "([{\u2014\u2013-/"
_AFTER_CLOSING = ".,;:!?)]}\u2014\u2013-/\u2026'\u2019"
# A paragraph ends at a blank line, at a line break before an indented line (wire copy: "\n    "), or at an
# HTML block tag (in lower case, as text.py reads tags). A single line break is hard wrapping: a quotation
# goes on over it.
_PARAGRAPH_END = re.compile(r"\n[^\S\n]*\n|\n[^\S\n]+(?=\S)|<(?:/?(?:p|h[1-6]|div|li|blockquote)|br)\b")
_SPACES = re.compile(r"\s*")
_OPENS, _CLOSES, _EITHER = range(3)


def has_quotation_marks(body: str) -> bool:
    """Does the body hold a quotation mark (written as a character reference too, `&quot;`, as text.py reads it)?"""
    return any(mark in body for mark in _MARKS) or ("&" in body and any(m in without_markup(body) for m in _MARKS))


def quotation_spans(body: str) -> list[tuple[int, int]]:
    """The [start, end) character spans of the body's quotations, from opening mark to closing mark, in order."""
    shown = without_markup(body)  # (same offsets: tags are spaces, a reference its character)
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    since = 0  # (paragraph ends before this were looked at)
    for mark in _MARK.finditer(shown):
        at = mark.start()
        kind = _kind(shown, at)
        if opened is not None:
            # (paragraph ends are looked for only inside an open quotation: a pass over the whole text cost more
            # than all the rest)
            end = _PARAGRAPH_END.search(body, since, at + 1)
            if end is not None and end.start() < at:
                if _SPACES.match(shown, end.start()).end() == at and kind != _CLOSES:  # type: ignore[union-attr]
                    since = at + 1
                    continue  # (the next paragraph opens with a mark: the quotation goes on)
                opened = None  # (no known end)
        if opened is None:
            if kind != _CLOSES:
                opened, since = at, at + 1
        elif kind != _OPENS:
            spans.append((opened, at + 1))
            opened = None
    return spans


def _kind(shown: str, at: int) -> int:
    """Is the mark at `at` opening, closing, or either (a straight mark standing both ways or neither)?"""
    before = shown[at - 1] if at else " "
    after = shown[at + 1] if at + 1 < len(shown) else " "
    opening = (before.isspace() or before in _BEFORE_OPENING or before in _MARKS) and not after.isspace()
    closing = not before.isspace() and (after.isspace() or after in _AFTER_CLOSING or after in _MARKS)
    if opening != closing:
        return _OPENS if opening else _CLOSES
    mark = shown[at]
    return _OPENS if mark in _SHAPED_OPENING else _CLOSES if mark in _SHAPED_CLOSING else _EITHER


@dataclass(frozen=True)
class Quoted:
    """A text's shingles by where the text carries them."""

    inside: U32Array  # only inside quotations: every occurrence has a quoted word
    outside: U32Array  # outside them too: some occurrence has none


def quoted_shingles(quotations: list[tuple[int, int]], sequence: U32Array, shingle_size: int) -> Quoted:
    """The shingles of a text (its quotations as [first, end) ranges of its tokens, its shingle sequence, and
    the words of a shingle, at most its tokens) carried only inside quotations, and the others. A shingle with
    any quoted word counts as inside: at a quotation's edges the words around it ("said:", "he said") are
    every reporter's, and shingles reaching over the edge are shared because the quotation is."""
    touches = np.zeros(sequence.size, dtype=np.bool_)
    for first, end in quotations:  # (shingle i holds tokens i to i + shingle_size - 1)
        if first < end:
            touches[max(0, first - shingle_size + 1) : end] = True
    if not touches.any():
        return Quoted(np.empty(0, dtype=np.uint32), unique(sequence))
    order = np.argsort(sequence)
    ordered = sequence[order]
    groups = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))  # each distinct shingle's first
    only_inside = np.logical_and.reduceat(touches[order], groups)  # every occurrence touches a quotation
    values = ordered[groups]
    return Quoted(values[only_inside], values[~only_inside])
