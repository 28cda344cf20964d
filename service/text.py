"""Normalisation and tokenisation.

A token is a run of word characters and combining marks, compared after Unicode
NFKC and case folding. Typographic quotes, dashes and all whitespace are
separators, so "Minister's" and "Minister’s", or an en dash and a hyphen, give
the same tokens. Tokens keep their offsets into the original text so that
shared passages can be reported in the caller's coordinates.
"""

from __future__ import annotations

import re
import sys
import unicodedata


def _mark_ranges() -> str:
    """Character-class ranges of all combining marks (Mn, Mc, Me), so accents
    written as separate code points stay inside their word."""
    ranges: list[str] = []
    start = prev = -2
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith("M"):
            if cp != prev + 1:
                if start >= 0:
                    ranges.append(_range(start, prev))
                start = cp
            prev = cp
    ranges.append(_range(start, prev))
    return "".join(ranges)


def _range(lo: int, hi: int) -> str:
    return re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"


_WORD = re.compile(rf"[\w{_mark_ranges()}]+")


def _normalise_token(raw: str) -> str:
    if raw.isascii():
        return raw.lower()
    return unicodedata.normalize("NFKC", raw).casefold()


def tokens(text: str) -> list[str]:
    """The normalised words of `text`, in order."""
    if text.isascii():  # fast path: NFKC is the identity and casefold is lower()
        return _WORD.findall(text.lower())
    return [_normalise_token(m.group()) for m in _WORD.finditer(text)]


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Like tokens(), with each token's (start, end) offsets in `text`."""
    return [(_normalise_token(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]
