"""Normalisation and tokenisation.

A token is a run of word characters and combining marks, compared after Unicode
NFKC and case folding; in scripts written without spaces (Chinese, Japanese, Thai, ...)
each letter is a token. Typographic quotes, dashes and all whitespace are
separators, so "Minister's" and "Minister’s", or an en dash and a hyphen, give
the same tokens. Invisible characters (a soft hyphen, zero-width spaces and joiners)
stay inside their word and are dropped from it, as are Arabic and Hebrew vowel points
and the Arabic tatweel, which feeds add or leave out; Russian "ё" is compared as "е".
Letters of the Latin, Greek and Cyrillic scripts are compared without their diacritics
(fingerprint scheme nd5): a legacy ASCII feed sends "hôpitaux", "Brücken", "José" and "Łódź" as
"hopitaux", "Brucken", "Jose" and "Lodz", and every shingle holding such a word would differ. The
marks after such a letter are dropped (so "é", "e" with a combining acute, and "e" are one letter),
and letters that have no decomposition but that ASCII spells plainly are spelt so ("ł" is "l", "ø"
"o", "æ" "ae", "œ" "oe", also once an accent is gone: "ǿ" is "o"; "ß" is "ss" by case folding). Cyrillic keeps
the marks that make letters of their own ("й", "ў", "ї", "ѓ", "ќ", "ӣ", "ӯ"), and drops only the stress marks
(acute, grave) on its vowels. Other scripts' marks (Devanagari's vowel signs, Thai's) are part of their letters
and stay. A store of the earlier scheme nd4 is read as it
was written, accents compared (`ND4_READING`: service/settings.py, READABLE_SCHEMES).
HTML that feeds leave in a body counts as the text it shows: character references are
read ("&eacute;" is "é") and tags separate words. A URL in a body counts as nothing, as a tag
does (scheme nd5; `without_urls`): http:// and https:// URLs and "www." ones, up to a space, a quote, a bracket
that closes a Markdown or HTML link, or a non-ASCII character; punctuation ending one in prose ("see
www.example.com.") stays. A Markdown copy's link targets ("[the plan](https://...?utm_source=partnerA)") and a
bare "www.example.com" are no words of the story, and the tracking parameters each partner's copy gets made
copies of one text differ (an HTML copy's hrefs were inside tags already). Markdown's "**bold**" and "*italic*"
read as the plain words already (an asterisk separates); an underscore is a word character, so "_italic_" is
the token "_italic_" (and snake_case and "__init__" stay whole), which costs a Markdown copy the shingles at each
such emphasis' two ends only. A store of nd4 is read with its URLs as words (`ND4_READING` again). Tokens keep
their offsets into the original text (a URL is as many spaces) so that shared passages can be reported in the
caller's coordinates.
"""

from __future__ import annotations

import functools
import html
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

# Scripts written without spaces between words: Thai, Lao, Burmese, Khmer, Chinese (Han, bopomofo) and
# Japanese kana. A run of their letters is a sentence, not a word: as one token, two copies of a story
# differing by a character would share no shingle around it, and a short article would have too few
# tokens to compare at all. Each letter (with its combining marks) is a token of its own instead, so
# shingles are character n-grams there, as is usual for these scripts.
_UNSPACED_BLOCKS = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3005, 0x3007), (0x3031, 0x3035), (0x3040, 0x30FF),
    (0x3100, 0x312F), (0x31A0, 0x31BF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F), (0x20000, 0x323AF),
)  # fmt: skip


def _class_ranges(codepoints: Iterable[int]) -> str:
    """Character-class ranges of increasing `codepoints`, consecutive ones as one range."""
    ranges: list[str] = []
    start = prev = -2
    for cp in codepoints:
        if cp != prev + 1:
            if start >= 0:
                ranges.append(_range(start, prev))
            start = cp
        prev = cp
    if start >= 0:
        ranges.append(_range(start, prev))
    return "".join(ranges)


def _range(lo: int, hi: int) -> str:
    return re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"


# The first letter of every code point's general category ("M" for the marks), in one string: built by
# C loops, in a third of the time of a Python one over the 1.1M code points (every process imports this).
_CATEGORY_INITIALS = "".join(map(itemgetter(0), map(unicodedata.category, map(chr, range(sys.maxunicode + 1)))))
_ONE_WORD_CHAR = re.compile(r"\w")


def _is_mark(char: str) -> bool:
    return _CATEGORY_INITIALS[ord(char)] == "M"


# Invisible characters that CMSs put inside words (a soft hyphen where a word may break, zero-width
# spaces and joiners, a byte order mark): they join, as a mark does, and are dropped from the token
# (Unicode's NFKC_Casefold drops them too), so "Bürger\u00admeisterin" is "bürgermeisterin".
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Dropped from tokens too: the Arabic tatweel (a stretched letter, for justification) and the Arabic and
# Hebrew vowel and cantillation points, which some feeds of a text add and others leave out.
# (Not the hamza and madda, U+0653-0655: they make letters, which NFKC composes: "أ" is "ا" and a hamza.)
_POINTS = "\u0640" + "".join(
    chr(cp) for lo, hi in ((0x0591, 0x05C7), (0x064B, 0x0652), (0x0656, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED))
    for cp in range(lo, hi + 1) if unicodedata.category(chr(cp)) == "Mn" or cp == 0x0670
)  # fmt: skip
_DROPPED_CHAR = re.compile(f"[{re.escape(INVISIBLE + _POINTS)}]")
# (Russian writes "ё" or, as often, "е" for it: one letter to compare; see _normalised.)
# All combining marks (Mn, Mc, Me), so accents written as separate code points stay inside their word,
# and the invisible characters above.
_MARKS = "".join(_range(run.start(), run.end() - 1) for run in re.finditer("M+", _CATEGORY_INITIALS)) + INVISIBLE
# Halfwidth katakana's voicing marks: letters to Unicode, but they follow the letter they voice as a combining
# mark does (NFKC makes the pair one letter: "ｶﾞ" is "ガ").
_HALFWIDTH_VOICING = "\uff9e\uff9f"
# The letters of the unspaced scripts (their punctuation and symbols still separate).
_UNSPACED = _class_ranges(
    cp
    for lo, hi in _UNSPACED_BLOCKS
    for cp in range(lo, hi + 1)
    if _CATEGORY_INITIALS[cp] != "M" and _ONE_WORD_CHAR.match(chr(cp)) and chr(cp) not in _HALFWIDTH_VOICING
)
# A token: one letter of an unspaced script with its marks, or a run of other word characters and marks.
_WORD = re.compile(rf"[{_UNSPACED}][{_MARKS}{_HALFWIDTH_VOICING}]*|(?:[^\W{_UNSPACED}]|[{_MARKS}])+")
_UNSPACED_LETTER = re.compile(rf"[{_UNSPACED}]")
# Faster equals of _WORD (its long classes slow every character), by what a text holds (_pattern_for):
# - no letter of an unspaced script (most news): _SPACED_WORD; without combining marks too, _PLAIN_WORD,
#   3-4x faster again (the class of mark ranges is what makes the others slow);
# - unspaced letters but no combining marks (Chinese, most Japanese): _PLAIN_UNSPACED_WORD, 3x faster.
_SPACED_WORD = re.compile(rf"[\w{_MARKS}]+")
_PLAIN_WORD = re.compile(r"\w+")
_PLAIN_UNSPACED_WORD = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")
_ASCII_WORD = re.compile(r"[a-z0-9_]+")  # \w on lower-cased ASCII text


# The caches below keep what they are given: only short keys go in, or one body made of a single enormous word
# or tag would be held for good, and a few thousand such bodies would hold gigabytes.
_CACHED_CHARS = 64


def _normalise_token(raw: str, folds_accents: bool = True) -> str:
    """A raw token as compared; "" if it held only characters that are dropped (a lone tatweel). Points are
    dropped after NFKC, which composes or decomposes them alike whichever form the text came in.
    `folds_accents`: Latin, Greek and Cyrillic letters compared without their diacritics (scheme nd5; nd4 not)."""
    if raw.isascii():
        return raw.lower()
    return _normalised_cached(raw, folds_accents) if len(raw) <= _CACHED_CHARS else _normalised(raw, folds_accents)


@functools.lru_cache(maxsize=1 << 16)  # (tokens repeat: a Chinese letter costs half as much from the cache)
def _normalised_cached(raw: str, folds_accents: bool) -> str:
    return _normalised(raw, folds_accents)


def _normalised(raw: str, folds_accents: bool = True) -> str:
    # (Each step in C: a deleting str.translate goes character by character in Python, 0.3 s for the 6M
    # characters NFKC makes of a 1 MB word of U+FDFA, a ligature of 18 letters.)
    word = unicodedata.normalize("NFKC", raw)
    if _DROPPED_CHAR.search(word):
        word = _DROPPED_CHAR.sub("", word)
    word = word.casefold()
    if "ё" in word:
        word = word.replace("ё", "е")
    return without_accents(word) if folds_accents and not word.isascii() else word


# The letters of the Latin, Greek and Cyrillic scripts, as NFD leaves them (lower case: tokens are case-folded
# first), whose diacritics a token drops (`without_accents`).
_LATIN_GREEK = (
    "a-z\u00aa\u00b5\u00ba\u00c0-\u024f\u0250-\u02af\u0370-\u03ff\u1d00-\u1dbf\u1e00-\u1fff"
    "\u2c60-\u2c7f\ua720-\ua7ff\uab30-\uab6f"
)
_CYRILLIC = "\u0400-\u052f\u1c80-\u1c8f\ua640-\ua69f"
# The combining diacritics (not the marks of other scripts, which make their letters: Devanagari's vowel signs).
_DIACRITICS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Cyrillic's marks make letters of their own ("й", "ў", "ї", Macedonian "ѓ" and "ќ", Tajik "ӣ" and "ӯ"), which no
# feed leaves out, and stay. Only its stress marks (acute, grave) on a vowel go, which dictionaries and learners'
# texts add: also after a vowel's own mark ("ї́"; and "й́", "й" being "и" and a breve), and in Bulgarian "ѝ" and
# Macedonian "ѐ", which legacy code pages lack. The vowels as NFD leaves them ("ё" is "е" already, as in nd4).
_CYRILLIC_VOWELS = "аеиоуыэюяієѣ"
_STRESS_MARKS = "\u0300\u0301"
_ACCENTS = re.compile(f"(?<=[{_LATIN_GREEK}])[{_DIACRITICS}]+")
_STRESSED = "|".join(f"(?<=[{_CYRILLIC_VOWELS}]{f'[{_DIACRITICS}]' * n})" for n in range(3))  # (0-2 marks between)
_CYRILLIC_STRESS = re.compile(f"(?:{_STRESSED})[{_STRESS_MARKS}]")  # (a pattern of its own: one is 40 % slower)
# Letters with a stroke or a ligature, which NFD leaves whole, as ASCII feeds spell them ("ß" is "ss" already);
# spelt so once their marks are gone ("ǿ" is "ø" and an acute, so "o").
_PLAIN_LETTERS = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ƀ": "b", "æ": "ae", "œ": "oe",
                  "þ": "th", "ð": "d"}  # fmt: skip
PLAIN_SPELT = str.maketrans(_PLAIN_LETTERS)  # (templates' name comparison spells them so too)
_UNDECOMPOSED = re.compile(f"[{''.join(_PLAIN_LETTERS)}]")  # (a search, 5x faster than a translate)
# What a word in NFD already must hold for `without_accents` to change it: a diacritic or a letter so spelt.
_MARK_OR_PLAIN = re.compile(f"[{_DIACRITICS}{''.join(_PLAIN_LETTERS)}]")
# What any other word must hold: a non-ASCII letter of those scripts, or a diacritic (after an ASCII one). Other
# words (Arabic, Chinese, ...) are passed over after one scan: a 1 MB word of U+FDFA is 6M Arabic letters after
# NFKC, which NFD and the pattern took 0.35 s more to go through.
_FOLDABLE = re.compile(f"[{_LATIN_GREEK.removeprefix('a-z')}{_CYRILLIC}{_DIACRITICS}]")


def without_accents(word: str) -> str:
    """A case-folded word with its Latin, Greek and Cyrillic letters written without diacritics, as an ASCII feed
    spells them ("hôpitaux" is "hopitaux", "łódź" "lodz", "việt" "viet", "αθήνα" "αθηνα"); Cyrillic letters
    without their stress marks alone; other scripts' marks kept. NFC, as NFKC gave the word."""
    # (Most words of Cyrillic text, and many of other scripts, are in NFD already and hold no mark: passed over
    # after two scans in C, not decomposed and searched.)
    if unicodedata.is_normalized("NFD", word) and not _MARK_OR_PLAIN.search(word):
        return word
    if not _FOLDABLE.search(word):
        return word
    decomposed = unicodedata.normalize("NFD", word)
    stripped = _ACCENTS.sub("", decomposed)
    if "\u0300" in stripped or "\u0301" in stripped:
        stripped = _CYRILLIC_STRESS.sub("", stripped)
    if _UNDECOMPOSED.search(stripped):  # (after the marks: "ǿ" is "ø" and an acute)
        stripped = stripped.translate(PLAIN_SPELT)
    return word if stripped == decomposed else unicodedata.normalize("NFC", stripped)


@dataclass(frozen=True)
class Reading:
    """How text is read into tokens: by the fingerprint scheme of the store it is compared in (service/settings.py,
    DetectionParams.reading). Every function that finds tokens takes one, so that a body, its title and the
    operator's boilerplate passages are all read alike."""

    # Latin, Greek and Cyrillic letters compared without their diacritics (`_normalise_token`): scheme nd5, for
    # a legacy ASCII feed's "hopitaux" is its "hôpitaux". An nd4 store's shingles were hashed with the accents.
    folds_accents: bool = True
    # URLs count as nothing, as tags do (`shown_text`): scheme nd5, for the tracking parameters of each partner's
    # copy differ. An nd4 store's shingles were hashed with the URLs read as words.
    drops_urls: bool = True


ND5_READING = Reading()  # (what a new store is written in: FINGERPRINT_SCHEME; the default everywhere)
ND4_READING = Reading(folds_accents=False, drops_urls=False)  # (a store of the earlier scheme, read as written)


def tokens(text: str, reading: Reading = ND5_READING) -> list[str]:
    """The normalised words of `text`, in order, read as `reading` says (`folds_accents`: see `_normalise_token`;
    `drops_urls`: its URLs count as nothing, see `shown_text`)."""
    text, kinds = _visible(text, reading)
    if not kinds:  # fast path, ASCII: NFKC is the identity and casefold is lower()
        return _ASCII_WORD.findall(text.lower())
    return _found_tokens(text, kinds, reading.folds_accents)


def _visible(text: str, reading: Reading) -> tuple[str, set[int]]:
    """`text` as its tokens are found in it: its HTML read (and its URLs blanked, `reading.drops_urls`), its invisible
    characters deleted; and the kinds of its non-ASCII characters then (none: it is ASCII). Tokens drop
    invisible characters anyway, and deleted they join what they stood between just as they do inside a token;
    one of them (a byte order mark, a soft hyphen) would otherwise send a whole text down the slow mark-class
    pattern."""
    text = shown_text(text, reading)
    if text.isascii():
        return text, set()
    kinds = _kinds(text)
    if _INVISIBLE not in kinds:
        return text, kinds
    for char in INVISIBLE:  # (str.replace runs in C; a deleting str.translate goes character by character)
        text = text.replace(char, "")
    return text, set() if text.isascii() else _kinds(text)


def _found_tokens(text: str, kinds: set[int], folds_accents: bool) -> list[str]:
    """The tokens of a text whose non-ASCII characters are of these kinds."""
    found = [_normalise_token(raw, folds_accents) for raw in _pattern_for(kinds).findall(text)]
    return [t for t in found if t]


# HTML a feed left in a body. Tags of HTML's own names, in lower case as HTML is written now: in upper case
# they would also take stock symbols, which wire copy writes "<BP>" (and in lower case "<shu>").
_TAG_NAMES = (
    "a|abbr|article|aside|audio|b|blockquote|br|caption|center|cite|code|dd|del|div|dl|dt|em|figcaption|figure|"
    "font|footer|h[1-6]|header|hr|i|iframe|img|ins|label|li|main|mark|nav|noscript|ol|p|picture|pre|q|s|script|"
    "section|small|source|span|strike|strong|style|sub|sup|table|tbody|td|tfoot|th|thead|time|tr|u|ul|video"
)
# Each alternative stops at the next "<" or is bounded, so a body of unclosed "<!--" costs one pass, not
# one pass per "<!--" (a 64 KB one took 7 s with ".*?").
_MARKUP = re.compile(
    r"<(script|style)\b[^<>]*>[^<]*</\1>"  # a script or style element, whose text is not shown
    rf"|</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>|<!--[^<>]*?-->"  # a tag or a comment
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});",  # a character reference
)


# A URL: http:// or https:// (in any case: wire copy is in capitals) or "www." and a letter or digit, not inside a
# word (with the underscores of Markdown's "_https://..._" emphasis, which would be tokens of their own), then the
# characters a URL is written with: printable ASCII but for spaces, quotes, angle and square brackets and
# backslashes, which end a link in HTML ("href='...'", "<https://...>") and Markdown ("[text](url)": the ")" too,
# unless it closes a "(" the URL opened, as Wikipedia's do). ASCII alone: a URL runs into the text of a script
# written without spaces ("详见https://example.cn/a。港务局" would take the rest of the paragraph). Its hostname, path
# and query string ("?utm_source=partnerA") are no words of the story. Matched only where the text holds "://",
# "www." or "WWW." (`without_urls`), so whatever this finds, that gate lets through.
# URLs are blanked before HTML is read (`shown_text`), so a URL ends where HTML would end it: at a character
# reference ("&nbsp;" and a word after it), but for "&amp;", which joins a query string's parameters in HTML; and
# before the "-->" that closes a comment (blanked, the comment's text would show).
_URL_PLAIN = "[!#$%*+,./0-9:;=?@A-Z^_`a-z{|}~]"
_URL_OTHER = r"-(?!->)|&(?:amp;|#0*38;|#[xX]0*26;|(?!#?[0-9A-Za-z]+;))"
# (Outside brackets, runs of the plain characters are taken at once, in C: nothing follows that repeat, so it
# never backtracks. Inside them, one character at a time: a run repeated before the ")" that may not come would
# try every way of splitting the run, exponentially many.)
_URL = re.compile(
    rf"(?<![0-9A-Za-z_])_*(?:[Hh][Tt][Tt][Pp][Ss]?://|(?:www|WWW)\.(?=[0-9A-Za-z]))"
    rf"(?:{_URL_PLAIN}+|{_URL_OTHER}|\((?:{_URL_PLAIN}|{_URL_OTHER})*\))*"
)
# Punctuation that ends the sentence or clause a URL ends, not the URL ("see www.example.com." or "(at
# https://example.com/a)"): kept in the text (a "." at the end of a URL is not a word; kept, it still ends the
# sentence).
_URL_TRAILING = ".,;:!?"


def without_urls(text: str) -> str:
    """`text` with its URLs (see _URL) as spaces, each character in its place (offsets into it are offsets into
    `text`), but for punctuation that ends them. Text without "://", "www." or "WWW." (most of it) is returned as
    it is, after scans in C (the first for a "/", at memchr's speed: "://" is looked for only after one)."""
    starts = _url_starts(text)
    if not starts:
        return text
    # (_URL.sub(_blanked_url, text) does the same, but tries the pattern at every character: 70-200 µs for a 3 KB
    # text with five links, where matching it only where a URL can start costs a few)
    pieces, done = [], 0
    for start in starts:
        found = _URL.match(text, start) if start >= done else None
        if found is not None:
            pieces += [text[done:start], _blanked_url(found)]
            done = found.end()
    return "".join([*pieces, text[done:]]) if pieces else text


def _url_starts(text: str) -> list[int]:
    """Where a URL (_URL) may start in `text`, ascending: at each "http://", "https://" (in any case), "www." or
    "WWW.", before any underscores just before it; each found by str.find, in C. (More places than that, where
    _URL does not match, do no harm.)"""
    starts = []
    if "/" in text:
        at = text.find("://")
        while at >= 0:
            starts += [at - 5, at - 4] if at >= 5 else [at - 4] if at >= 4 else []  # (https://, http://)
            at = text.find("://", at + 3)
    for prefix in ("www.", "WWW."):
        at = text.find(prefix)
        while at >= 0:
            starts.append(at)
            at = text.find(prefix, at + 4)
    for i, start in enumerate(starts):
        while start > 0 and text[start - 1] == "_":
            start -= 1
        starts[i] = start
    return sorted(starts)


def _blanked_url(m: re.Match[str]) -> str:
    url = m.group()
    kept = url.rstrip(_URL_TRAILING)
    return " " * len(kept) + url[len(kept) :]


def shown_text(text: str, reading: Reading = ND5_READING) -> str:
    """`text` as its tokens are read: `without_markup`, and first (`reading.drops_urls`: scheme nd5, not nd4)
    `without_urls`, before character references are read: in a URL in an HTML text node, "&amp;" would be "&"
    and spaces, which would end it ("...?utm_source=a&amp;utm_medium=rss" left "utm_medium" and "rss"). Same
    length as `text`: offsets into it are offsets into `text`."""
    return without_markup(without_urls(text) if reading.drops_urls else text)


def without_markup(text: str) -> str:
    """`text` with its HTML read as the text it shows, each character in its place (so that offsets into it
    are offsets into `text`): a tag or comment is spaces, a character reference its character followed by
    soft hyphens, which tokens drop. Text without "&" or "<" (most of it) is returned as it is."""
    if "&" not in text and "<" not in text:
        return text
    return _MARKUP.sub(_shown, text)


def _shown(m: re.Match[str]) -> str:
    found = m.group()
    return _shown_cached(found) if len(found) <= _CACHED_CHARS else _shown_as(found)


@functools.lru_cache(maxsize=1 << 12)  # (a body's references and tags repeat: "&amp;", "<p>")
def _shown_cached(found: str) -> str:
    return _shown_as(found)


def _shown_as(found: str) -> str:
    if found[0] == "<":
        return " " * len(found)
    shown = html.unescape(found)
    if shown == found or len(shown) > len(found):  # (not an entity HTML knows)
        return found
    # A letter's place is kept by soft hyphens, which keep it in its word; a separator's ("&amp;", "&#8217;",
    # "&nbsp;") by spaces, which keep ASCII text on the fast paths.
    pad = "\u00ad" if _WORD.search(shown) else " "
    return shown + pad * (len(found) - len(shown))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# What a non-ASCII character is to the tokeniser (an invisible one joins as a mark does, and is dropped)
_SEPARATOR, _WORD_CHAR, _MARK, _UNSPACED_CHAR, _INVISIBLE = range(5)


@functools.lru_cache(maxsize=1 << 14)  # (a few dozen distinct characters in most news, thousands in Chinese)
def _kind(char: str) -> int:
    """What a non-ASCII character is to the tokeniser: one of the five kinds above."""
    if _UNSPACED_LETTER.fullmatch(char):
        return _UNSPACED_CHAR
    if char in INVISIBLE:
        return _INVISIBLE
    if _is_mark(char) or char in _HALFWIDTH_VOICING:  # (what may follow a letter in _WORD)
        return _MARK
    return _SEPARATOR if _WORD.fullmatch(char) is None else _WORD_CHAR


def _kinds(text: str) -> set[int]:
    """The kinds of the non-ASCII characters of `text` (each distinct character looked at once)."""
    return {_kind(c) for c in set(_NON_ASCII.findall(text))}


def _pattern_for(kinds: set[int]) -> re.Pattern[str]:
    """The fastest pattern that finds _WORD's tokens in a text with non-ASCII characters of these kinds."""
    marks = _MARK in kinds or _INVISIBLE in kinds
    if _UNSPACED_CHAR in kinds:
        return _WORD if marks else _PLAIN_UNSPACED_WORD
    return _SPACED_WORD if marks else _PLAIN_WORD


# Bytes of ASCII word characters map to themselves (capitals to lower case); every other byte,
# including each byte of a multi-byte UTF-8 character, maps to a space.
_FOLD_TO_WORD_BYTES = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c == 95) else 32 for c in range(256)
)


def utf8_tokens(text: str, reading: Reading = ND5_READING) -> list[bytes]:
    """`tokens(text, reading)`, each encoded as UTF-8, without making a Python string per token.

    Fingerprinting needs only the tokens' bytes (to hash them). When every non-ASCII character
    of the text separates words (typographic quotes and dashes, no-break spaces: most news),
    all tokens are ASCII, and one byte-level translate and split find them: about half the
    cost of finding string tokens and encoding each."""
    text, kinds = _visible(text, reading)
    if kinds <= {_SEPARATOR}:
        # (surrogatepass: a lone surrogate, which tokens() also treats as a separator, cannot fail the encode)
        return text.encode("utf-8", "surrogatepass").translate(_FOLD_TO_WORD_BYTES).split()
    return [t.encode() for t in _found_tokens(text, kinds, reading.folds_accents)]


def token_offsets(text: str, reading: Reading = ND5_READING) -> tuple[list[int], list[int]]:
    """The (start, end) offsets in `text` of what token_spans() reads as tokens (`reading` as it is given), in
    two lists, found in one pass without normalising each one: these include any that normalise to nothing,
    which token_spans() drops (compare the count with the tokens')."""
    text = shown_text(text, reading)
    found = [m.span() for m in _pattern_for(_kinds(text)).finditer(text)]
    return [s for s, _ in found], [e for _, e in found]


def tokens_before(text: str, offsets: list[int], reading: Reading = ND5_READING) -> list[int]:
    """How many of token_offsets()'s tokens start before each of `offsets` (ascending, each between two tokens,
    not inside one), counted stretch by stretch: a fraction of the cost of finding every token's offsets."""
    text = shown_text(text, reading)
    kinds = _kinds(text)
    counts, total, start = [], 0, 0
    if kinds <= {_SEPARATOR}:  # (every token ASCII, each other character one byte that separates: split in C)
        folded = text.encode("ascii", "replace").translate(_FOLD_TO_WORD_BYTES)
        for offset in offsets:
            total += len(folded[start:offset].split())
            counts.append(total)
            start = offset
        return counts
    pattern = _pattern_for(kinds)
    for offset in offsets:
        total += len(pattern.findall(text, start, offset))
        counts.append(total)
        start = offset
    return counts


def token_spans(text: str, reading: Reading = ND5_READING) -> list[tuple[str, int, int]]:
    """Like tokens(), with each token's (start, end) offsets in `text`."""
    text = shown_text(text, reading)
    pattern = _pattern_for(_kinds(text))
    spans = [(_normalise_token(m.group(), reading.folds_accents), m.start(), m.end()) for m in pattern.finditer(text)]
    return [s for s in spans if s[0]]
