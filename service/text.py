"""Normalisation and tokenisation.

A token is a run of word characters and combining marks, compared after Unicode
NFKC and case folding. Typographic quotes, dashes and all whitespace are
separators, so "Minister's" and "Minister’s", or an en dash and a hyphen, give
the same tokens. Tokens keep their offsets into the original text so that
shared passages can be reported in the caller's coordinates.
"""

from __future__ import annotations

import functools
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
# Equal to _WORD on text without combining marks, and 3-4x faster: the long class of
# mark ranges is what makes _WORD slow, and most news text has no combining marks.
_PLAIN_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[a-z0-9_]+")  # \w on lower-cased ASCII text


def _normalise_token(raw: str) -> str:
    if raw.isascii():
        return raw.lower()
    return unicodedata.normalize("NFKC", raw).casefold()


def tokens(text: str) -> list[str]:
    """The normalised words of `text`, in order."""
    if text.isascii():  # fast path: NFKC is the identity and casefold is lower()
        return _ASCII_WORD.findall(text.lower())
    pattern = _WORD if has_combining_marks(text) else _PLAIN_WORD
    return [_normalise_token(raw) for raw in pattern.findall(text)]


# Bytes of ASCII word characters map to themselves (capitals to lower case); every other byte,
# including each byte of a multi-byte UTF-8 character, maps to a space.
_FOLD_TO_WORD_BYTES = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c == 95) else 32 for c in range(256)
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def utf8_tokens(text: str) -> list[bytes]:
    """`tokens(text)`, each encoded as UTF-8, without making a Python string per token.

    Fingerprinting needs only the tokens' bytes (to hash them). When every non-ASCII character
    of the text separates words (typographic quotes and dashes, no-break spaces: most news),
    all tokens are ASCII, and one byte-level translate and split find them: about half the
    cost of finding string tokens and encoding each."""
    if text.isascii() or all(map(_separates_words, set(_NON_ASCII.findall(text)))):
        # (surrogatepass: a lone surrogate, which tokens() also treats as a separator, cannot fail the encode)
        return text.encode("utf-8", "surrogatepass").translate(_FOLD_TO_WORD_BYTES).split()
    return [t.encode() for t in tokens(text)]


@functools.lru_cache(maxsize=4096)  # news uses a few dozen non-ASCII characters; bounded against the rest
def _separates_words(char: str) -> bool:
    """Whether a character is neither a word character nor a combining mark."""
    return _WORD.fullmatch(char) is None


def has_combining_marks(text: str) -> bool:
    """Whether any character of `text` is a combining mark (checked once per distinct character)."""
    return any(ord(c) >= 0x300 and unicodedata.category(c)[0] == "M" for c in set(text))


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Like tokens(), with each token's (start, end) offsets in `text`."""
    return [(_normalise_token(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]
