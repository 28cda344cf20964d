"""Quotations: the words a text carries inside quotation marks.

Two outlets reporting one court ruling, speech or statement each quote it, often at length. The quoted
words are what both report someone saying, not one outlet's reporting copied by the other, so a match must
rest on shared text outside them: Detector._rests_outside_quotations asks it to share enough besides the
shingles both texts carry only inside quotations.

A quotation runs from an opening mark to the next closing one of its family: double marks (the straight `"`,
the curly `“` and `”` and the low `„`), single curly marks (`‘`, `’` and the low `‚`: British house style
quotes so, "a ‘significant number’ of countries"; and the straight `'`, read by what stands around it) and
guillemets (`«` and `»`, French, Swiss and German style); a quotation of one family may hold one of another.
Each mark is read as opening or closing by what stands around it (an opening mark follows a space or a bracket
and comes before a word; a closing one follows a word or punctuation and comes before a space, punctuation or
the end), so curly marks put the wrong way round by a CMS (`”$5`) and German `„…“` and `»…«` are read as they
are meant; a mark that stands either way is read by its shape, and a straight one then closes an open
quotation or opens one. A single mark between two letters or digits is an apostrophe ("don’t", "1990's", a
CMS's "don‘t"), as is one before a decade ("the ‘90s", "in '87.") or a word's elision ("‘til", "’em", "rock ‘n’
roll"), no mark. A guillemet opens by what stands around it only before a letter or a digit: French sets a space
inside its marks ("« Nous viendrons », a-t-il dit"), so a closing one may follow a space and come before a comma.

A quotation can run over paragraphs, as news style writes them: an opening mark on each paragraph, a closing
one only at the end. One still open at the end of a paragraph whose next paragraph opens with no quotation mark
has no known end, and is no quotation (a stray or an inch mark, `12" pipe`, must not make the rest of a text a
quotation).

HTML quotes with elements too, and a body a feed sends as HTML is read as the text it shows (text.py): a
`<blockquote>` (a statement, a judgment or a post set off as a block, often with no marks) or a `<q>` (which a
browser shows in marks) is a quotation from its opening tag to its closing one. One never closed has no known end
and is none; one inside another of its name is part of it; one holding more than half of the text is the article set
off whole, no quotation.

The rule counts with each quotation the clause that attributes it (`attributed_spans`): "A spokesman for the Crown
Prosecution Service said:" before it, ', said the Lyon public prosecutor.' after it. Two outlets giving one statement
from a press release give its attribution word for word, as every reporter writes the words at a quotation's edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from service.model import U32Array
from service.sets import unique
from service.text import without_markup


@dataclass(frozen=True)
class _Family:
    """Quotation marks that open and close one another: a quotation ends only at a closing mark of its family."""

    marks: str
    opening: str  # the marks that open by their shape, when what stands around them does not say
    closing: str
    opens_before_words: bool = False  # opens by what stands around it only before a letter or a digit
    apostrophes: bool = False  # its marks are apostrophes too (`_APOSTROPHE`)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(f"[{self.marks}]")

    def in_text(self, shown: str) -> bool:
        return any(map(shown.__contains__, self.marks))  # (a few µs, where a search for none costs ≈20)


_SINGLE = _Family("'\u2018\u2019\u201a", "\u2018\u201a", "\u2019", apostrophes=True)
_FAMILIES = (
    _Family('"\u201c\u201d\u201e', "\u201c\u201e", "\u201d"),
    _SINGLE,
    _Family("\u00ab\u00bb", "\u00ab", "\u00bb", opens_before_words=True),
)
_MARKS = "".join(family.marks for family in _FAMILIES)
# An apostrophe: between two letters or digits ("don't", "1990’s", a CMS's "don‘t"), a decade's elision ("the
# ‘90s", "in '87."; not "‘24 hours is too long’"), or a word's ("‘til", "’em", "’cause", "rock ‘n’ roll").
_APOSTROPHE = re.compile(
    r"(?<=\w)['\u2018\u2019](?=\w)|['\u2018\u2019]\d\d(?:s\b|(?=[.,;:!?)]|$))"
    r"|['\u2018\u2019](?i:til|em|cause|cos|n|tis|twas|bout|cept|round|nuff|kay|fraid)\b"
)
# What an opening mark follows, and what a closing one comes before (besides spaces and the text's edges).
_BEFORE_OPENING = "([{\u2014\u2013-/"
_AFTER_CLOSING = ".,;:!?)]}\u2014\u2013-/\u2026'\u2019"
# A paragraph ends at a blank line, at a line break before an indented line (wire copy: "\n    "), or at an
# HTML block tag (in lower case, as text.py reads tags). A single line break is hard wrapping: a quotation
# goes on over it.
_PARAGRAPH_END = re.compile(r"\n[^\S\n]*\n|\n[^\S\n]+(?=\S)|<(?:/?(?:p|h[1-6]|div|li|blockquote)|br)\b")
_SPACES = re.compile(r"\s*")
# An opening or closing tag of an element that quotes, in lower case as text.py reads tags. A tag stops at the next
# "<": one pass over a body of tags left open, not one pass for each.
_QUOTING_TAG = re.compile(r"<(/?)(blockquote|q)(?:\s[^<>]*)?>")
_OPENS, _CLOSES, _EITHER = range(3)


def has_quotation_marks(body: str) -> bool:
    """Does the body hold a quotation mark (written as a character reference too, `&quot;`, as text.py reads it),
    or a tag of an element that quotes (`<blockquote>`, `<q>`)?"""
    if any(mark in body for mark in _MARKS):
        return True
    if "&" in body and any(m in without_markup(body) for m in _MARKS):
        return True
    return "<" in body and _QUOTING_TAG.search(body) is not None


def quotation_spans(body: str) -> list[tuple[int, int]]:
    """The [start, end) character spans of the body's quotations, from opening mark to closing mark, in order;
    a quotation of one family inside another's is part of it (the spans do not overlap)."""
    return _spans(body, without_markup(body))  # (same offsets: tags are spaces, a reference its character)


def attributed_spans(body: str) -> list[tuple[int, int]]:
    """The spans of `quotation_spans`, each with the clause that attributes its quotation (`_with_attributions`)."""
    shown = without_markup(body)
    return _with_attributions(_spans(body, shown), body, shown)


def _spans(body: str, shown: str) -> list[tuple[int, int]]:
    found = [span for family in _FAMILIES if family.in_text(shown) for span in _family_spans(body, shown, family)]
    if "<" in body:
        found += _without_whole_text(_element_spans(body), shown)
    if not found:
        return []
    found.sort()
    spans = [found[0]]
    for start, end in found[1:]:
        if start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))  # (one family's quotation inside another's)
        else:
            spans.append((start, end))
    return spans


def _with_attributions(spans: list[tuple[int, int]], body: str, shown: str) -> list[tuple[int, int]]:
    """The spans, each with the attribution clause that introduces its quotation ("A spokesman for the Crown
    Prosecution Service said:", `_clause_before`) or follows it ('"...," said a spokesman for the council.',
    `_clause_after`): every reporter's way of giving a quotation, and two outlets giving one statement from a
    press release give its attribution word for word. Read as their own text, two reports' lines so shared made
    a match beside the statements both quote."""
    extended: list[tuple[int, int]] = []
    for n, (start, end) in enumerate(spans):
        start = _clause_before(body, shown, start, extended[-1][1] if extended else 0)
        end = _clause_after(body, shown, end, spans[n + 1][0] if n + 1 < len(spans) else len(shown))
        if extended and start <= extended[-1][1]:
            extended[-1] = (extended[-1][0], end)
        else:
            extended.append((start, end))
    return extended


def _clause_before(body: str, shown: str, start: int, floor: int) -> int:
    """Where the clause introducing the quotation at `start` begins, or `start`: the clause runs from its sentence's
    or paragraph's start (not before `floor`, the quotation before) to a colon or comma just before the quotation,
    and holds at most `_CLAUSE_WORDS_BEFORE` words ("Passing sentence, Judge Helen Marrick told him:"; `<p>The police
    said:</p>` before a `<blockquote>`)."""
    low = max(floor, start - _CLAUSE_CHARS)
    stop = low + len(shown[low:start].rstrip())
    if stop == low or shown[stop - 1] not in ":,":
        return start
    ends = [m.end() for m in _SENTENCE_END.finditer(shown, low, stop - 1)]
    ends += [m.end() for m in _PARAGRAPH_END.finditer(body, low, stop - 1)]
    begin = max(ends, default=low if low == floor else None)
    if begin is None or len(_WORD.findall(shown, begin, stop)) > _CLAUSE_WORDS_BEFORE:
        return start  # (no sentence start within reach, or a sentence of reporting that ends in a colon)
    return begin


def _clause_after(body: str, shown: str, end: int, ceiling: int) -> int:
    """Where the clause following the quotation that ends at `end` ends, or `end`: a quotation closing on a comma,
    a question or an exclamation mark, inside its closing mark ('"...,"', American style) or after it ('‘...’,',
    "« ... »,", British, French and German), goes on in its sentence with who said it ("said Detective Sergeant
    Anya Whitlow."), up to the sentence's end or the first comma after the word naming the saying
    (`_SPEECH_WORDS`), within `_CLAUSE_WORDS_AFTER` words and before `ceiling` (the next quotation). Without such a
    word it is none: the rest of a sentence after a phrase quoted in it ('which regulators called "the worst-run in
    England," was fined ...') is reporting."""
    if end < 2 or not (shown[end - 2] in ",?!" or shown[end : end + 1] == ","):
        return end
    high = min(ceiling, end + _CLAUSE_CHARS)
    sentence, paragraph = _SENTENCE_END.search(shown, end, high), _PARAGRAPH_END.search(body, end, high)
    stops = [m.start() + 1 for m in (sentence,) if m] + [m.start() for m in (paragraph,) if m]
    stop = min(stops, default=high if high == ceiling else None)
    if stop is None:
        return end
    saying = next((m for m in _WORD.finditer(shown, end, stop) if m[0].casefold() in _SPEECH_WORDS), None)
    if saying is None or len(_WORD.findall(shown, end, stop)) > _CLAUSE_WORDS_AFTER:
        return end
    # (to the first comma after the saying: "..., X told parliament on Wednesday, as opposition parties tabled a
    # vote of no confidence." goes on with news, which an excerpt of a story led by a quotation shares)
    comma = shown.find(",", saying.end(), stop)
    return stop if comma < 0 else comma


# An attribution clause (`_with_attributions`): how many words it may hold, and how far it is looked for. Before a
# quotation, 12 ("Detective Inspector Sam Kellow of the economic crime unit said:" has 10, "In a statement to the
# London Stock Exchange, the company said:" 11): a sentence of reporting that ends in a colon is mostly longer, and
# at 20 an outlet's own lines so written ("Speaking at a packed news conference where he was asked about ..., he
# said:") were taken for attributions. After one, where the clause must name the saying, 20 (", the Lyon public
# prosecutor, Nicolas Jacquemart, said in a statement on Tuesday." has 13; in French, 16).
_CLAUSE_WORDS_BEFORE = 12
_CLAUSE_WORDS_AFTER = 20
_CLAUSE_CHARS = 240
# The words that name a saying, one of which a clause after a quotation holds: English, French, German, Spanish,
# Italian and Dutch.
_SPEECH_WORDS = frozenset(
    "said says say saying told tells added adds adding stated wrote writes asked asks replied replies warned "
    "warns explained explains insisted insists declared declares announced announces argued argues noted "
    "commented continued concluded tweeted according recalled acknowledged admitted claimed urged "
    "stressed suggested remarked responded observed conceded confirmed confirms denied "
    "déclaré déclare dit indiqué indique affirmé affirme expliqué explique ajouté ajoute souligné souligne estimé "
    "estime précisé précise selon confié confie assuré assure "
    "sagte sagt sagten erklärte erklärt betonte betont meinte schrieb teilte fügte hieß warnte "
    "emphasised emphasized pledged revealed "
    "dijo añadió señaló afirmó explicó declaró aseguró indicó dichiarato aggiunto sottolineato spiegato affermato "
    "zei zegt aldus verklaarde".split()
)  # (not nouns as well, "states", "notes", "claims", nor "so", the German "..., so der Sprecher": English's too)
_WORD = re.compile(r"\w+")
# A sentence's end: its mark and any closing marks or brackets after it, before a space; or a blank line. Not the
# full stop of a title's abbreviation ("said Sen. Maria Vance of Ohio."; read as an end, it cut the clause there).
_TITLES = "Mr Mrs Ms Dr Sen Rep Gov Gen Lt Col Capt Sgt Prof Rev St Jr Sr Mme Mlle Hr Fr".split()
_SENTENCE_END = re.compile(
    "".join(rf"(?<!\b{title})" for title in _TITLES) + r"[.!?\u2026][\"'\u201d\u2019)\]]*\s|\n[^\S\n]*\n"
)


def _element_spans(body: str) -> list[tuple[int, int]]:
    """The spans of the body's `<blockquote>` and `<q>` elements, from the opening tag's start to the closing tag's
    end, each closing tag closing the nearest element of its name still open: one inside another is merged into it
    with the other spans (`_spans`), and one never closed is none, without taking the closed ones after it
    (an embed's tag cut short by a feed, or one in a comment, left every later blockquote unread). A closing tag
    with none open is passed over."""
    spans: list[tuple[int, int]] = []
    open_at: dict[str, list[int]] = {"blockquote": [], "q": []}
    for tag in _QUOTING_TAG.finditer(body):
        closing, name = tag.groups()
        opened = open_at[name]
        if not closing:
            opened.append(tag.start())
        elif opened:
            spans.append((opened.pop(), tag.end()))
    return spans


def _without_whole_text(spans: list[tuple[int, int]], shown: str) -> list[tuple[int, int]]:
    """The element spans but those holding more than half of the text's words: an article a feed sets whole in a
    `<blockquote>` under a credit line of its own quotes the article, not someone's words (two copies of one story
    so set shared nothing outside it, and matched nothing; at four fifths, one page's menu and footer took its
    blockquote under the cut). A statement so set in a brief is read as the brief's own text, as before 0.7.11."""
    if not spans:
        return spans
    words = len(_WORD.findall(shown))
    return [(start, end) for start, end in spans if len(_WORD.findall(shown, start, end)) <= _WHOLE_TEXT * words]


_WHOLE_TEXT = 0.5


def _family_spans(body: str, shown: str, family: _Family) -> list[tuple[int, int]]:
    """The spans of the quotations of one family of marks."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    since = 0  # (paragraph ends before this were looked at)
    for mark in family.pattern.finditer(shown):
        at = mark.start()
        if family.apostrophes and _APOSTROPHE.match(shown, at):
            continue
        kind = _kind(shown, at, family)
        if opened is not None:
            # (paragraph ends are looked for only inside an open quotation: a pass over the whole text cost more
            # than all the rest)
            end = _PARAGRAPH_END.search(body, since, at + 1)
            if end is None or end.start() >= at:
                since = at  # (none before this mark: the next search starts here, not at the opening again)
            else:
                if _next_paragraph(shown, end) == at and kind != _CLOSES:
                    since = at + 1
                    continue  # (the next paragraph opens with a mark: the quotation goes on)
                opened = None  # (no known end)
        if opened is None:
            if kind != _CLOSES:
                opened, since = at, at + 1
        elif kind != _OPENS and not (family.apostrophes and _plurals_apostrophe(body, shown, at)):
            spans.append((opened, at + 1))
            opened = None
    return spans


def _plurals_apostrophe(body: str, shown: str, at: int) -> bool:
    """Is the single mark at `at`, inside an open quotation, a plural's apostrophe ("‘a failure of the residents’
    trust,’ the judge said"): after an s, before a word in lower case, with a closing mark to come in the
    quotation (in its paragraph, or in those after it that go on with an opening mark)? Read as the quotation's
    end, it left the rest of a judgment unquoted."""
    if at == 0 or shown[at - 1] not in "sS" or not (word := _NEXT_WORD.match(shown, at + 1)) or not word[1].islower():
        return False
    closing = _SINGLE_CLOSING.search(shown, at + 1)
    if closing is None:
        return False
    for end in _PARAGRAPH_END.finditer(body, at, closing.start()):
        start = _next_paragraph(shown, end)
        if shown[start : start + 1] not in _SINGLE_OPENING:
            return False  # (a paragraph between that does not go on with the quotation)
    return True


def _next_paragraph(shown: str, end: re.Match[str]) -> int:
    """Where the paragraph after a paragraph end (`_PARAGRAPH_END`'s match) starts: past the spaces after it."""
    return _SPACES.match(shown, end.start()).end()  # type: ignore[union-attr]


_NEXT_WORD = re.compile(r"[^\S\n]+(\w)")
# The single marks that may open a quotation: all but the one that only closes (a tuple: "" is in no member).
_SINGLE_OPENING = tuple(mark for mark in _SINGLE.marks if mark not in _SINGLE.closing)
_SINGLE_CLOSING = re.compile(r"(?<=\S)['\u2019](?!\w)")  # (a single mark after a character, before none of a word)


def _kind(shown: str, at: int, family: _Family) -> int:
    """Is the mark at `at` opening, closing, or either (a straight mark standing both ways or neither)?"""
    before = shown[at - 1] if at else " "
    after = shown[at + 1] if at + 1 < len(shown) else " "
    opening = (before.isspace() or before in _BEFORE_OPENING or before in _MARKS) and not after.isspace()
    if opening and family.opens_before_words:
        opening = after.isalnum() or after in _MARKS
    closing = not before.isspace() and (after.isspace() or after in _AFTER_CLOSING or after in _MARKS)
    if opening != closing:
        return _OPENS if opening else _CLOSES
    mark = shown[at]
    return _OPENS if mark in family.opening else _CLOSES if mark in family.closing else _EITHER


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
