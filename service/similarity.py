"""Exact verification of LSH candidates: similarity, relation, alignment and shared passages."""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import pairwise
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from service.boilerplate import mask_headers, shingle_hashes
from service.model import BoolArray, Passage, Relation, U32Array
from service.quotations import Quoted, attributed_spans, has_quotation_marks, quoted_shingles
from service.shingles import shingle_sequence, to_u32, word_hashes
from service.text import (
    INVISIBLE,
    ND5_READING,
    Reading,
    token_offsets,
    token_spans,
    tokens,
    tokens_before,
    without_markup,
)

if TYPE_CHECKING:
    from service.notes import BodyMark

IDENTICAL_JACCARD = 0.9  # above this, differences are formatting or a few words
CONTAINED = 0.8  # share of one side's shingles found in the other to call it contained
ONE_SIDED = 0.05  # ...while the other side's share is at least this much lower (else both changed: revised)


@dataclass(frozen=True)
class Overlap:
    """Exact set overlap of two shingle sets: a = request article, b = stored one."""

    size_a: int
    size_b: int
    shared: int

    @property
    def jaccard(self) -> float:
        union = self.size_a + self.size_b - self.shared
        return min(1.0, self.shared / union) if union > 0 else 0.0

    @property
    def containment(self) -> float:
        smaller = min(self.size_a, self.size_b)
        return min(1.0, self.shared / smaller) if smaller > 0 else 0.0

    def relation(self) -> Relation:
        if self.jaccard >= IDENTICAL_JACCARD:
            return Relation.IDENTICAL
        share_a = self.shared / self.size_a if self.size_a else 0.0  # of the request, found in the other
        share_b = self.shared / self.size_b if self.size_b else 0.0  # of the other, found in the request
        if share_b >= CONTAINED and share_a <= share_b - ONE_SIDED:
            return Relation.ADDITIONS
        if share_a >= CONTAINED and share_b <= share_a - ONE_SIDED:
            return Relation.TRUNCATED
        return Relation.REVISED


def overlap(a: U32Array, b: U32Array) -> Overlap:
    """Exact overlap of two sorted unique arrays."""
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    return Overlap(int(a.size), int(b.size), shared)


class Tokenised:
    """A body's tokens (header fields blanked) and shingle sequence; each computed when first needed."""

    def __init__(
        self,
        body: str,
        shingle_size: int,
        sequence: U32Array | None = None,
        words: list[str] | None = None,
        reading: Reading = ND5_READING,
    ) -> None:
        """`reading`: the text read as DetectionParams says (a store of scheme nd4: ND4_READING)."""
        self.body = body
        self.shingle_size = shingle_size
        self.reading = reading
        self._words = words
        self._sequence = sequence
        # What the body says of itself as a correction or update, whatever its title (notes.body_mark, read
        # by Detector._mark): kept with its tokens in RecentTexts, and dropped with them, for a stored text is
        # judged against each of its copies.
        self.body_mark: BodyMark | None = None

    @property
    def words(self) -> list[str]:
        if self._words is None:  # (two threads may both compute it: same result)
            self._words = tokens(mask_headers(self.body), self.reading)
        return self._words

    @property
    def sequence(self) -> U32Array:
        if self._sequence is None:  # (from the words if they are at hand, else on the cheaper byte path)
            words = self._words
            self._sequence = (
                _sequence(words, self.shingle_size)
                if words is not None
                else shingle_hashes(self.body, self.shingle_size, self.reading)
            )
        return self._sequence

    @property
    def count(self) -> int:
        """How many words the body has. Verification mostly needs only this, not the words: a text
        of more words than a shingle has as many words as shingles plus shingle_size - 1."""
        if self._words is None and self.sequence.size > 1:
            return int(self.sequence.size) + self.shingle_size - 1
        return len(self.words)

    @cached_property
    def _spans(self) -> tuple[list[int], list[int]]:
        # (offsets alone are one regex pass; token_spans normalises every token, ≈4× the cost, and is
        # needed only when some token normalises to nothing and the two counts differ)
        masked = mask_headers(self.body)
        starts, ends = token_offsets(masked, self.reading)
        if len(starts) == len(self.words):
            return starts, ends
        spans = token_spans(masked, self.reading)
        return [s for _, s, _ in spans], [e for _, _, e in spans]

    @property
    def starts(self) -> list[int]:
        return self._spans[0]

    @property
    def ends(self) -> list[int]:
        return self._spans[1]

    def raw(self, i: int) -> str:
        return self.body[self.starts[i] : self.ends[i]]

    @cached_property
    def quoted(self) -> Quoted:
        """The shingles the text carries only inside quotations, and the others (see service/quotations.py). Kept:
        a stored text is compared with each of its copies."""
        spans = attributed_spans(self.body) if has_quotation_marks(self.body) else []
        counts = self.tokens_before([at for span in spans for at in span])
        quotations = list(zip(counts[::2], counts[1::2], strict=True))  # (as ranges of tokens)
        return quoted_shingles(quotations, self.sequence, min(self.shingle_size, self.count))

    def tokens_before(self, offsets: list[int]) -> list[int]:
        """How many tokens start before each of these ascending offsets into the body (each between two tokens):
        from the tokens' offsets if they are at hand, else counted (text.tokens_before), which needs only the
        tokens' number; from their offsets again if that count is not the tokens' (a token that reads as
        nothing, a lone tatweel, is found but dropped)."""
        if not offsets:
            return []
        if "_spans" not in self.__dict__:
            counted = tokens_before(mask_headers(self.body), [*offsets, len(self.body)], self.reading)
            if counted[-1] == self.count:
                return counted[:-1]
        return [bisect_left(self.starts, at) for at in offsets]

    @cached_property
    def opening_tokens(self) -> int:
        """How many tokens stand in the body's opening, which copies change freely: its headline, byline
        and dateline with its agency's credit ("HARBOURTON (AP) - "), each piece ended by a blank line or a
        spaced dash within OPENING_CHARS of its start; 0 if there is none. The opening ends with a dateline,
        and before a piece that ends a sentence: that is the story's first paragraph, where another company
        or bank saying the same thing is another article. (It ended at the first blank line: a headline put
        on top of a short item left its dateline's credit outside, and such a copy matched nothing.) A first
        line that is a headline (see _headline_end) is opening too, however it ends and whatever follows it; so is
        page furniture (see `furniture`) before the headline or the text, and after the headline."""
        return self._opening[0]

    @property
    def furniture(self) -> frozenset[int]:
        """The tokens of the page furniture leading the body, its bylines and labels ("By Jane Smith", "Jane
        Smith, Staff Reporter", "BREAKING:"; see _furniture_end), before a headline or after it: what an outlet
        puts over a short item it passes on, never the item's subject (a headline, also opening, may name it)."""
        return self._opening[1]

    @property
    def headline_subject(self) -> int | None:
        """The token of the first word of a headline on the body's first line (see _headline_end) that is the
        only place the item names its subject: the body under it names none of the headline's words and does
        not open with a name of its own ("Chemical Bank Raises Prime Rate\nThe bank said ... following a similar
        move by Citibank"); None if there is no such headline. The headline is opening still, which a copy may
        reword, but two items whose headlines differ there are two items (`templates._openings_differ_only`):
        read as page furniture, two banks' or companies' notices over one body naming a third bank or a city
        matched as revisions."""
        return self._opening[2]

    @cached_property
    def _opening(self) -> tuple[int, frozenset[int], int | None]:
        end = start = _furniture_end(self.body, 0)
        furniture = [(0, end)]
        headline = _headline_end(self.body, start)
        subject = None
        if headline is not None and self._names_anyone(headline[1]):
            subject = self._subject_only_in(start, headline[0], headline[1])
            end, start = headline[0], _furniture_end(self.body, headline[1])
            if start > headline[1]:
                end = start
                furniture.append((headline[1], start))
        while (found := _OPENING_END.search(self.body, start, start + OPENING_CHARS)) is not None:
            piece = self.body[start : found.start()]
            if _ends_sentence(piece):
                break
            end = found.start() if piece.strip() else end
            start = found.end()
            if _DATELINE_DASH.fullmatch(found.group()):
                break
        tokens_before = partial(bisect_left, self.starts)  # (tokens in text order: their starts ascend)
        furniture_tokens = (range(tokens_before(a), tokens_before(b)) for a, b in furniture)
        return tokens_before(end), frozenset(i for r in furniture_tokens for i in r), subject

    def _names_anyone(self, start: int) -> bool:
        """Does the body name anyone from `start` on: a word written as a name, not a day or a month nor the
        agency's credit? A first line in title case over a body naming no one is the only place the item names
        its subject ("Harwell Instruments Inc Raised Its Dividend\nThe company said ..."), as a notice's title is,
        not page furniture: read as a headline, two companies' such notices matched as revisions."""
        first = bisect_left(self.starts, start)
        named = zip(self.words[first:], self._named_from(first), strict=True)
        return any(n and w not in _NO_SUBJECT_NAMES for w, n in named)

    def _named_from(self, first: int) -> list[bool]:
        """Which tokens from `first` on the body writes as names, the first not if it opens as a sentence does
        (after a headline's single line break it reads as inside a sentence: "The")."""
        named: list[bool] = self.name_at[first:].tolist()
        if named and self._opens_like_a_sentence(first):
            named[0] = False
        return named

    def _subject_only_in(self, start: int, end: int, text: int) -> int | None:
        """The first word of the headline from `start` to `end` that may name a subject (not a short word of a
        title nor the calendar), if the body from `text` on names none of the headline's words and opens with no
        name (nor an article and a name: "The Bank of England said", not "The Boston-based company said")."""
        first, last = bisect_left(self.starts, start), bisect_left(self.starts, end)
        heading = [i for i in range(first, last) if self.words[i] not in _NO_HEADLINE_SUBJECT]
        body = bisect_left(self.starts, text)
        named = self._named_from(body)
        if not heading or not named:
            return None
        body_names = {w for w, n in zip(self.words[body:], named, strict=True) if n}
        if body_names & {self.words[i] for i in heading}:
            return None
        article = self.words[body] in _ARTICLES and len(named) > 1
        if named[0] or (article and named[1] and not self.body.startswith("-", self.ends[body + 1])):
            return None
        return heading[0]

    def _opens_like_a_sentence(self, i: int) -> bool:
        """Is the word at `i` an article or pronoun, or one the body writes in lower case elsewhere?"""
        word = self.words[i]
        if word in _SENTENCE_OPENERS:
            return True
        return any(w == word and self.raw(j)[:1].islower() for j, w in enumerate(self.words))

    @cached_property
    def names(self) -> frozenset[str]:
        """Words the body writes as a name somewhere (see `name_at`)."""
        return frozenset(w for w, named in zip(self.words, self.name_at.tolist(), strict=True) if named)

    @cached_property
    def name_at(self) -> BoolArray:
        """Which tokens the body writes as names, in any script with capitals ("Électricité", "Северсталь"):
        with a capital initial inside a sentence, or (see _names) opening one where a name stands. A capital
        opening a sentence or paragraph alone tells no name: read as names, a sub-editor's "Some" for "About",
        "Officers" for "Deputies" made a copy another report from one template. None in German text, where
        every noun has a capital. Occurrences, not words: "the central bank's chief" names no one, though the
        text writes "Bank of England" elsewhere (read as a name, such a rewording of a sentence made a copy
        days later another article)."""
        words = self.words
        if not words or reads_as_german(words):
            return np.zeros(len(words), dtype=np.bool_)
        masked = mask_headers(self.body)
        shown = without_markup(masked)
        capital, lower = _cases(_initials(shown, self.starts, self.ends))
        return _names(words, capital, lower, self._opens_sentence(masked, shown))

    def _opens_sentence(self, masked: str, shown: str) -> BoolArray:
        """Whether each token opens the body, a paragraph, a sentence, or what follows a dateline's dash
        (`masked`: the body with its headers blanked, where HTML tags, kept, mark paragraphs; `shown`: it as
        its tokens are read).
        Each break is found in one pass over the text, not searched for in each gap between two words: as
        names are asked for every text the template check compares, per-word steps made them cost 6× more."""
        words, starts, ends = self.words, np.array(self.starts, dtype=np.int64), np.array(self.ends, dtype=np.int64)
        stops = np.array([m.end() for m in _SENTENCE_END.finditer(shown)], dtype=np.int64)  # (they end at a word)
        after_stop = np.flatnonzero(np.isin(starts[1:], stops)) + 1
        breaks = np.array([m.span() for m in _PARAGRAPH_BREAK.finditer(masked)], dtype=np.int64)
        breaks = breaks.reshape(-1, 2)
        first = np.searchsorted(breaks[:, 0], ends[:-1])  # each gap's first break starting in it or after it
        opens = np.ones(len(starts), dtype=np.bool_)
        opens[1:] = first < len(breaks)
        opens[1:][opens[1:]] = breaks[first[opens[1:]], 1] <= starts[1:][opens[1:]]  # ... and ending in it
        opens[[i for i in after_stop.tolist() if not _abbreviation(words[i - 1])]] = True
        return opens


def _initials(shown: str, starts: list[int], ends: list[int]) -> list[str]:
    """Each word's first character as shown (an invisible one, a soft hyphen, is not its initial)."""
    initials = [shown[i] for i in starts]
    for n in [n for n, c in enumerate(initials) if c in INVISIBLE]:
        initials[n] = next((c for c in shown[starts[n] : ends[n]] if c not in INVISIBLE), "")
    return initials


def _cases(initials: list[str]) -> tuple[BoolArray, BoolArray]:
    """Which initials are upper case, which lower case (neither: a digit, a letter of a script without
    case); for ASCII initials, the common case, in one numpy step."""
    joined = "".join(initials)
    if len(joined) == len(initials) and joined.isascii():
        codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        return (codes >= 65) & (codes <= 90), (codes >= 97) & (codes <= 122)
    return np.array([c.isupper() for c in initials], dtype=np.bool_), np.array(
        [c.islower() for c in initials], dtype=np.bool_
    )


def _names(words: list[str], capital: BoolArray, lower: BoolArray, opens: BoolArray) -> BoolArray:
    """The tokens capitalised inside a sentence; or opening one, of a word never written in lower case, and
    either before a capital ("Harwell Instruments said"), first in the text, where a notice names its subject
    ("Harwell said", or "Qtly div" against "Qtrly div" in two companies' notices named only in titles), or a
    word the text writes as a name inside a sentence elsewhere: a surname already introduced ("Mark Dalton ...
    Dalton, a builder, ..."; read as no name there, two reports from one template about two men counted one
    changed name, not two, and matched)."""
    subject = np.zeros(len(words), dtype=np.bool_)
    subject[0] = True
    subject[:-1] |= capital[1:] & ~opens[1:]
    inside = capital & ~opens
    introduced = _picked(words, inside)  # words written as a name inside a sentence somewhere
    common = _picked(words, lower)  # words written in lower case somewhere, whatever opens them
    opening = capital & opens
    opening[opening] = [
        words[i] not in common and (subject[i] or words[i] in introduced) for i in np.flatnonzero(opening).tolist()
    ]
    return inside | opening


def _picked(words: list[str], chosen: BoolArray) -> set[str]:
    at = np.flatnonzero(chosen).tolist()
    return {words[i] for i in at} if len(at) < 2 else set(itemgetter(*at)(words))


def _abbreviation(word: str) -> bool:
    """A word whose full stop ends no sentence: an initial ("U.S. Steel", "J. Smith") or a title ("Dr.")."""
    return len(word) == 1 or word in _TITLES


def _ends_sentence(piece: str) -> bool:
    """Does this piece of text end with a full stop, "!" or "?" (not an initial's, "WASHINGTON, D.C.")?"""
    last = _LAST_STOP.search(without_markup(piece).rstrip())
    return last is not None and not _abbreviation(last.group(1).casefold())


def _headline_end(body: str, start: int) -> tuple[int, int] | None:
    """Where a headline on the body's first line (from `start`, after any page furniture) ends, and where the
    text after its line breaks starts; None if the first line is no headline. A headline is a short line in
    title case (each word with a capital but a few short ones: "Is Your Mortgage About To Get Cheaper?"),
    ending with no full stop, before a line that opens with no lower-case letter, or a byline (a single line
    break before a short line is wire copy's hard wrapping, but not before "By Jane Smith\n"). Scrapers put the
    page's headline above the text with a single line break, which the opening ignores (wire copy is
    hard-wrapped: "Harbourton Savings and Loan Association\nsaid it ..." is one sentence, and its next line
    opens in lower case), and a headline ending in "?" or "!" read as a sentence, the story's first paragraph:
    either way another headline on a copy of a short item was another subject, and it matched nothing."""
    line = _HEADLINE_LINE.match(body, start)
    if line is None or not _title_case(line.group(1)):
        return None
    following = body[line.end() : line.end() + 1]
    if not following or following.islower():
        return None
    next_line_furniture = _furniture_end(body, line.end()) > line.end()  # (a byline under it: "By Jane Smith\n")
    if line.group(0).count("\n") == 1 and not next_line_furniture and _continued(line.group(1), body, line.end()):
        return None  # (a name wrapped across lines: "Texas Commerce Bancshares Inc's Texas\nCommerce Bank said")
    return line.end(1), line.end()


def _continued(first: str, body: str, start: int) -> bool:
    """Does the line at `start`, after a single line break, go on with the sentence of the `first` line? Yes if
    that ends on a joining word ("Chemical Bank and\n"), or the next line is hard-wrapped, or the next line is
    short (wire copy's width) and ends its paragraph with a sentence's end, unless it opens as a sentence does
    (with an article or pronoun: "The"): "Chemical Bank and Manufacturers Hanover\nTrust Co raised their prime
    rate to 8.5 pct.\n\n" is one sentence wrapped, and read as a headline and a first paragraph the banks were
    page furniture, and two other banks' notice matched as a revision. The price: a scraped headline over a
    short one-sentence paragraph opening with a name is read as that sentence's start."""
    if first.split()[-1].casefold() in _JOINING_WORDS:
        return True
    if _hard_wrapped(body, start):
        return True
    end = body.find("\n", start)
    line = body[start:] if end < 0 else body[start:end]
    if len(line) > WRAPPED_LINE_CHARS or not _ends_sentence(line):
        return False
    opener = line.split(maxsplit=1)[0].casefold() if line.strip() else ""
    return opener not in _SENTENCE_OPENERS


def _furniture_end(body: str, start: int) -> int:
    """Where the page furniture at `start` ends: bylines ("By Jane Smith", "By TOM REED and SARAH KIM", "Jane
    Smith, Staff Reporter", "From Reuters"), and labels ("BREAKING:", "Breaking news", "UPDATED:",
    "EXCLUSIVE -"), one after another, each ended by a line break, a colon, a bar or a spaced dash, or by a
    space before a capital (then a byline's name has two words: "By Jane Smith Harwell said" names Harwell).
    Outlets put their own over a short item they pass on: read as its opening words, another byline was
    another subject, and the copy matched nothing. Not before a line opening in lower case: there the words
    are a hard-wrapped sentence ("By Tuesday Harwell Instruments\nsaid ..."). At most FURNITURE_PIECES: a page
    has a few, and a text of labels alone ("BREAKING: " a hundred thousand times) is read no further."""
    for _ in range(FURNITURE_PIECES):
        found = _FURNITURE.match(body, start)
        if found is None or body[found.end() : found.end() + 1].islower():
            break
        start = found.end()
    return start


def _hard_wrapped(body: str, start: int) -> bool:
    """Is the line starting at `start` hard-wrapped: short, and followed by more of its paragraph after a single
    line break? Wire copy is (lines of 80 characters or fewer); a scraped page's paragraphs are not."""
    end = body.find("\n", start)
    if end < 0 or end - start > WRAPPED_LINE_CHARS:
        return False
    return _PARAGRAPH_GOES_ON.match(body, end) is not None


def _title_case(line: str) -> bool:
    words = [w for w in without_markup(line).split() if any(c.isalpha() for c in w)]
    if len(words) < 2 or line.rstrip(_CLOSING).endswith("."):
        return False
    return all(_capitalised(w) or w in _TITLE_CASE_SMALL_WORDS for w in words)


def _capitalised(word: str) -> bool:
    first = next(c for c in word if c.isalpha())
    return first.isupper()


def reads_as_german(words: list[str]) -> bool:
    return sum(w in _GERMAN_FUNCTION_WORDS for w in words) >= NOUN_CAPITALS_SHARE * len(words)


# What ends a sentence before a word: a full stop, "!" or "?", perhaps closing quotes or brackets, a space,
# perhaps an opening quote. Not a stop followed by "(": "Calif. (Northwire)" is one dateline.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+[\"'\u201c\u2018]*")
# What ends a paragraph or a dateline: a blank line, a spaced dash, an HTML block's edge.
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n|\s[-\u2013\u2014]+\s|<(?:/?(?:p|h[1-6]|div|li)|br)\b")
_LAST_STOP = re.compile(r"(\w+)[.!?][\"'\u201d\u2019)\]]*$")
_TITLES = frozenset("mr mrs ms dr st prof gen col lt capt sgt sen rep gov rev".split())

# German's articles, pronouns and auxiliaries: about a quarter of the words of German news; never over 5 % of
# a Reuters or ABC story, in English, nor 3 % of French, Spanish or Russian text. Not "fur" and "uber", as
# tokens spell "für" and "über" without their accents (scheme nd5) and an ASCII feed writes them: those are
# English words ("Uber drivers", "the fur trade"), and counted, a short English item read as German. The rest
# are enough (German text then reads the same with its accents and without).
_GERMAN_FUNCTION_WORDS = frozenset(
    "der die das und den dem des nicht ist sich mit auch für auf ein eine einen einem einer eines im zu von "
    "wird werden wurde sind hat haben nach bei aus über vor".split()
)
NOUN_CAPITALS_SHARE = 0.15  # of a text's words, that mark it as German

OPENING_CHARS = 160
# A blank line (a headline's or byline's own paragraph; wire copy is hard-wrapped, so not a single line
# break), or a spaced dash (a dateline's: "HARBOURTON (AP) - ").
# In HTML, the end of a paragraph, a heading or a block is a blank line's equal.
_OPENING_END = re.compile(r"\n[^\S\n]*\n|\s[-\u2013\u2014]+\s|</(?:p|h[1-6]|div)>")
WRAPPED_LINE_CHARS = 100  # wire copy wraps its lines at 80 characters or fewer
_PARAGRAPH_GOES_ON = re.compile(r"\n[^\S\n]*\S")  # a single line break, then more text
# A first line of at most OPENING_CHARS, and the line breaks after it.
_HEADLINE_LINE = re.compile(rf"[^\S\n]*([^\n]{{1,{OPENING_CHARS}}}?)[^\S\n]*\n\s*")
_CLOSING = "\"'\u201d\u2019)] \t"
# Words a title-case headline writes in lower case.
_TITLE_CASE_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or over the to up via vs with".split()
)
# Words a line cannot end on if its sentence is complete, and words that open a sentence, not a name.
_JOINING_WORDS = frozenset("a an and of the for to with from by or nor at in into on via vs".split())
_SENTENCE_OPENERS = frozenset(
    "a an the this that these those it its he she they we there here in on at after as when while".split()
)
# Words written as names that name no subject: the calendar and an agency's credit ("Reuter" under an item).
_NO_SUBJECT_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december mon tue tues wed thu thur thurs fri sat sun jan feb mar apr jun jul aug "
    "sep sept oct nov dec reuter reuters".split()
)
_DATELINE_DASH = re.compile(r"\s[-\u2013\u2014]+\s")
# Words of a headline that name no subject there: a title's short words, sentence openers and the calendar.
_NO_HEADLINE_SUBJECT = _TITLE_CASE_SMALL_WORDS | _SENTENCE_OPENERS | _NO_SUBJECT_NAMES
_ARTICLES = frozenset("the a an".split())

# Page furniture (see _furniture_end). A name is capitalised words (a particle may join them: "Anna van der
# Berg"), not a day or month ("By Friday: ..."); a role ends in a reporter's job.
FURNITURE_PIECES = 4
_SPACE = r"[^\S\n]+"
_CAPITAL = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_CALENDAR = (
    r"(?!(?i:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|satur|sun)(?:day)?|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|"
    r"apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|today|"
    r"tomorrow|yesterday|tonight)\b)"
)
_NAME_WORD = rf"[{_CAPITAL}][\w'\u2019.-]*"
_PARTICLE = rf"(?:(?:de|van|von|der|den|da|di|del|la|le|bin|al|ter){_SPACE})?"
_PERSON = rf"{_NAME_WORD}(?:{_SPACE}{_PARTICLE}{_NAME_WORD}){{0,3}}"
_TWO_NAMES = rf"{_NAME_WORD}{_SPACE}(?:[{_CAPITAL}]\.{_SPACE})?{_NAME_WORD}"  # "Jane Smith", "John Q. Public"
_PEOPLE = rf"{_PERSON}(?:(?:,|{_SPACE}(?i:and|&)){_SPACE}{_PERSON}){{0,3}}"
_ROLE = (
    rf"(?:\S+{_SPACE}){{0,3}}(?i:reporter|correspondent|editor|writer|journalist|columnist|contributor|"
    r"photographer|producer|staff)s?\b"
)
_LABEL = rf"(?i:breaking(?:{_SPACE}news)?|updated?|exclusive|developing(?:{_SPACE}story)?|just{_SPACE}in|urgent)"
_STRONG_END = r"[^\S\n]*(?:\n|[:|]|[-\u2013\u2014]+(?=\s))\s*"
_SPACE_END = rf"{_SPACE}(?=[{_CAPITAL}\"'\u201c\u2018])"
_FURNITURE = re.compile(
    rf"(?:(?i:by){_SPACE}{_CALENDAR}{_PEOPLE}(?:,{_SPACE}{_ROLE})?"
    rf"|{_PERSON},{_SPACE}{_ROLE}"
    rf"|(?i:from){_SPACE}(?:(?i:the){_SPACE})?(?:{_PEOPLE}|(?i:staff|wire|news|agency)(?:{_SPACE}\S+){{0,2}}))"
    rf"{_STRONG_END}"
    rf"|(?:(?i:by){_SPACE}{_CALENDAR}{_TWO_NAMES}(?:{_SPACE}(?i:and|&){_SPACE}{_TWO_NAMES})?"
    rf"|{_PERSON},{_SPACE}{_ROLE}){_SPACE_END}"
    rf"|{_LABEL}(?:{_STRONG_END}|{_SPACE_END})"
)


def _sequence(words: list[str], shingle_size: int) -> U32Array:
    return to_u32(shingle_sequence(word_hashes(words), shingle_size)) if words else np.empty(0, dtype=np.uint32)


def tokenised(
    body: str,
    shingle_size: int,
    sequence: U32Array | None = None,
    words: list[str] | None = None,
    *,
    reading: Reading = ND5_READING,
) -> Tokenised:
    """`sequence` and `words`, when the caller has them already, must be the body's (read as `reading` says)."""
    return Tokenised(body, shingle_size, sequence, words, reading)


class RecentTexts:
    """The tokenised texts of recently stored or compared articles (bounded LRU, thread-safe).

    Copies of a story mostly arrive soon after it, and are all compared with it: keeping
    the stored side's tokens saves tokenising it again for every copy.
    """

    def __init__(self, shingle_size: int, reading: Reading = ND5_READING, max_chars: int = 6_000_000) -> None:
        self.shingle_size = shingle_size
        self.reading = reading
        self.max_chars = max_chars  # bounds memory: ~1M words once tokenised, about 60 bytes each
        self._texts: OrderedDict[str, Tokenised] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, body: str) -> Tokenised:
        with self._lock:
            found = self._texts.get(body)
            if found is not None:
                self._texts.move_to_end(body)
                return found
        text = Tokenised(body, self.shingle_size, reading=self.reading)
        self.put(text)
        return text

    def put(self, text: Tokenised) -> None:
        with self._lock:
            old = self._texts.pop(text.body, None)
            self._chars -= len(old.body) if old else 0
            self._texts[text.body] = text
            self._chars += len(text.body)
            while self._chars > self.max_chars and len(self._texts) > 1:
                _, dropped = self._texts.popitem(last=False)
                self._chars -= len(dropped.body)


@dataclass(frozen=True)
class Run:
    """Tokens [a0, a1) of one text equal to tokens [b0, b1) of the other."""

    a0: int
    a1: int
    b0: int
    b1: int
    first_shingle: int  # shingle positions in `a` that the run covers
    last_shingle: int


def passages(
    runs: list[Run], ta: Tokenised, tb: Tokenised, boilerplate: BoolArray | None = None
) -> tuple[Passage, ...]:
    """Runs as character offsets in both bodies, leaving out runs that are only boilerplate."""
    kept = [r for r in runs if boilerplate is None or not boilerplate[r.first_shingle : r.last_shingle + 1].all()]
    return tuple(Passage(ta.starts[r.a0], ta.ends[r.a1 - 1], tb.starts[r.b0], tb.ends[r.b1 - 1]) for r in kept)


def shared_passages(body_a: str, body_b: str, shingle_size: int) -> tuple[Passage, ...]:
    ta, tb = tokenised(body_a, shingle_size), tokenised(body_b, shingle_size)
    return passages(shared_runs(ta, tb), ta, tb)


# A shingle found ca times in one text and cb times in the other is paired every way while ca × cb is at most
# this; past it (a table's rows of zeros), its k-th occurrence in one text only with its k-th in the other, which
# bounds the pairs by the texts' lengths.
MAX_PAIRINGS = 16


def alignment(ta: Tokenised, tb: Tokenised) -> list[Run]:
    """The chain of runs of shared shingles, increasing in both texts and not overlapping, that covers the most
    tokens: the same chain, mirrored, whichever text is `ta`.

    (The chain was taken from the runs of pairing each shingle of `a` with its first occurrence in `b`, greedily
    in `a`'s order, so a short run matching a repeat late in `b` locked the chain and dropped the real one after
    it: two weekly reports from one template aligned on 53 tokens one way and 27 the other, and matched
    in one arrival order only.) Here every occurrence is paired (see MAX_PAIRINGS) and the best chain is a
    weighted longest increasing chain, O(n log n) in the runs, ties broken alike in both orders (see _weight)."""
    return _chain(_all_runs(ta, tb), ta.sequence)


def shared_runs(ta: Tokenised, tb: Tokenised) -> list[Run]:
    """The runs shown as evidence, in the order of `a`: the alignment's chain, then what it leaves out because it
    moved (a paragraph put elsewhere), no two overlapping in either text, so each stretch of either text is paired
    with one place in the other, the one its run continues.

    (Evidence was the runs of pairing each shingle of `a` with its first occurrence in `b`: a phrase said twice,
    a company's name in the dateline and again under "About", paired its second occurrence with the first, so a
    verbatim copy of a release got three overlapping passages, the middle one pointing at the dateline.)"""
    runs = _all_runs(ta, tb)
    chain = _chain(runs, ta.sequence)
    if len(chain) == len(runs):
        return chain
    return sorted(chain + _moved(runs, chain, ta, tb), key=lambda r: (r.a0, r.b0))


def _chain(runs: list[Run], seq_a: U32Array) -> list[Run]:
    return runs if _is_chain(runs) else _best_chain(runs, seq_a)


def _moved(runs: list[Run], chain: list[Run], ta: Tokenised, tb: Tokenised) -> list[Run]:
    """The parts of the runs off the chain that lie outside it and each other in both texts, at least a shingle
    long: taken longest run first (nearest the diagonal, then earliest, on ties), each cut where a run taken
    before it covers either text."""
    k = min(ta.shingle_size, ta.count, tb.count)
    taken_a, taken_b = bytearray(ta.count), bytearray(tb.count)  # (1: the token is in a passage)
    for r in chain:
        _take(taken_a, taken_b, r.a0, r.b0, r.a1 - r.a0)
    moved = []
    for r in sorted(runs, key=lambda r: (r.a0 - r.a1, abs(r.a0 - r.b0), r.a0, r.b0)):
        in_a, in_b = taken_a[r.a0 : r.a1], taken_b[r.b0 : r.b1]
        if 0 not in in_a or 0 not in in_b:
            continue  # (most: a repeat of a phrase the chain has, cheaper to see in bytes than in numpy)
        taken = np.frombuffer(in_a, dtype=np.bool_) | np.frombuffer(in_b, dtype=np.bool_)
        for start, end in _stretches(~taken, k):
            moved.append(Run(r.a0 + start, r.a0 + end, r.b0 + start, r.b0 + end, r.a0 + start, r.a0 + end - k))
            _take(taken_a, taken_b, r.a0 + start, r.b0 + start, end - start)
    return moved


def _take(taken_a: bytearray, taken_b: bytearray, a0: int, b0: int, tokens: int) -> None:
    taken_a[a0 : a0 + tokens] = taken_b[b0 : b0 + tokens] = b"\x01" * tokens


def _stretches(free: BoolArray, at_least: int) -> list[tuple[int, int]]:
    """The [start, end) stretches of True in `free` at least `at_least` long."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], free, [False])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    long = ends - starts >= at_least
    return list(zip(starts[long].tolist(), ends[long].tolist(), strict=True))


def _all_runs(ta: Tokenised, tb: Tokenised) -> list[Run]:
    """Maximal runs of consecutive shingles equal in both texts, along every diagonal, in the order of `a`."""
    seq_a, seq_b = ta.sequence, tb.sequence
    if not seq_a.size or not seq_b.size:
        return []
    i, j = _occurrence_pairs(seq_a, seq_b)
    if not i.size:
        return []
    diagonal = i - j
    order = np.argsort((diagonal << 32) + i)  # (by diagonal, then i: one key sorts faster than lexsort's two)
    i, j, diagonal = i[order], j[order], diagonal[order]
    starts = np.flatnonzero(np.concatenate(([True], (np.diff(diagonal) != 0) | (np.diff(i) != 1))))
    ends = np.concatenate((starts[1:], [i.size])) - 1
    k = min(ta.shingle_size, ta.count, tb.count)  # (a text shorter than a shingle is one shingle of all it has)
    i0, i1, j0, j1 = i[starts], i[ends], j[starts], j[ends]
    kept = _strongest(i0, i1 - i0 + k, j0, seq_a[i0])
    runs = [
        Run(a0, a1 + k, b0, b1 + k, a0, a1)
        for a0, a1, b0, b1 in zip(
            i0[kept].tolist(), i1[kept].tolist(), j0[kept].tolist(), j1[kept].tolist(), strict=True
        )
    ]
    runs.sort(key=lambda r: (r.a0, r.b0))
    return runs


# The most runs a chain is chosen from. Copies of ordinary news have a few dozen runs (at most 48 in the dev set's
# clusters, 93 in a 2,400-word Reuters story against itself edited, about 400 in 10,000 words of Reuters price
# tables against the same shifted by one story); a long text of a few words repeated has one per few tokens
# (333,000 in 1 MB of nine words), and building and chaining them in Python stalled the writer for 5 s per
# candidate.
MAX_CHAIN_RUNS = 4096


def _strongest(a0: np.ndarray, tokens: np.ndarray, b0: np.ndarray, shingle: np.ndarray) -> np.ndarray:
    """The indices of the runs (given by their starts, lengths and first shingles' values) a chain is chosen
    from: all of them, or past MAX_CHAIN_RUNS the heaviest by _weight's order, which is the same seen from
    either text."""
    if a0.size <= MAX_CHAIN_RUNS:
        return np.arange(a0.size)
    first = (-tokens << 32) + np.abs(a0 - b0)  # (most tokens, then nearest the diagonal: ascending)
    bar = np.partition(first, MAX_CHAIN_RUNS - 1)[MAX_CHAIN_RUNS - 1]
    within = np.flatnonzero(first <= bar)  # (sorted fully below: only these, about MAX_CHAIN_RUNS of them)
    order = np.lexsort((shingle[within].astype(np.int64), a0[within] * b0[within], first[within]))
    return within[order[:MAX_CHAIN_RUNS]]


def _occurrence_pairs(seq_a: U32Array, seq_b: U32Array) -> tuple[np.ndarray, np.ndarray]:
    """The positions (i, j) where seq_a[i] == seq_b[j]: every pairing of a shingle's occurrences, or, for one
    repeated past MAX_PAIRINGS, its k-th occurrence in `a` with its k-th in `b`."""
    order_a = np.argsort(seq_a, kind="stable")  # (stable: a shingle's occurrences stay in text order)
    order_b = np.argsort(seq_b, kind="stable")
    sorted_a, sorted_b = seq_a[order_a], seq_b[order_b]
    first_b = np.searchsorted(sorted_b, sorted_a, "left")
    count_b = np.searchsorted(sorted_b, sorted_a, "right") - first_b
    first_a = np.searchsorted(sorted_a, sorted_a, "left")
    count_a = np.searchsorted(sorted_a, sorted_a, "right") - first_a
    rank = np.arange(sorted_a.size) - first_a  # which occurrence in `a` of its shingle
    heavy = count_a * count_b > MAX_PAIRINGS
    paired = np.where(heavy, (rank < count_b).astype(np.int64), count_b)
    start = np.where(heavy, first_b + rank, first_b)
    i = np.repeat(order_a, paired)
    within = np.arange(i.size) - np.repeat(np.cumsum(paired) - paired, paired)
    j = order_b[np.repeat(start, paired) + within]
    return i.astype(np.int64), j.astype(np.int64)


def _is_chain(runs: list[Run]) -> bool:
    """Do the runs (in `a`'s order) already increase in both texts without overlapping (most copies)?"""
    return all(s.a0 >= r.a1 and s.b0 >= r.b1 for r, s in pairwise(runs))


def _best_chain(runs: list[Run], seq_a: U32Array) -> list[Run]:
    """Weighted longest increasing chain: run s may follow run r if it starts after r ends in both texts. Runs
    are visited in order of start in `a`; each one ended in `a` by then is entered in a Fenwick tree over its
    end in `b`, which gives the best chain ending before a point of `b` in O(log n)."""
    ends_b = sorted({r.b1 for r in runs})
    tree: list[tuple[int, int]] = [(0, -1)] * (len(ends_b) + 1)  # (score, run) maxima over prefixes of ends_b
    best: list[int] = [0] * len(runs)
    before: list[int] = [-1] * len(runs)
    by_end_a = sorted(range(len(runs)), key=lambda n: runs[n].a1)
    entered = 0
    for n, run in enumerate(runs):  # (runs are in order of a0)
        while entered < len(by_end_a) and runs[by_end_a[entered]].a1 <= run.a0:
            m = by_end_a[entered]
            _raise(tree, bisect_left(ends_b, runs[m].b1) + 1, (best[m], m))
            entered += 1
        score, before[n] = _prefix_best(tree, bisect_right(ends_b, run.b0))
        best[n] = score + _weight(run, seq_a)
    n = max(range(len(runs)), key=best.__getitem__)
    chain = []
    while n >= 0:
        chain.append(runs[n])
        n = before[n]
    return chain[::-1]


def _weight(run: Run, seq_a: U32Array) -> int:
    """A run's worth in a chain: its tokens; for ties, nearness to the diagonal, then an early start in both
    texts, then its first shingle's value: each the same seen from either text. (Each term in its own bits:
    a chain's sums of the lesser ones stay below the next one's unit.)"""
    tokens, apart, start = run.a1 - run.a0, abs(run.a0 - run.b0), run.a0 * run.b0
    return (tokens << 192) - (apart << 128) - (start << 64) - int(seq_a[run.first_shingle])


def _raise(tree: list[tuple[int, int]], at: int, value: tuple[int, int]) -> None:
    while at < len(tree):
        if value[0] > tree[at][0]:
            tree[at] = value
        at += at & -at


def _prefix_best(tree: list[tuple[int, int]], at: int) -> tuple[int, int]:
    found = (0, -1)
    while at > 0:
        if tree[at][0] > found[0]:
            found = tree[at]
        at -= at & -at
    return found
