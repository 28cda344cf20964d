"""Templated reports: same wording, different facts.

Wire services publish dividend notices, price tables and weekly statistics from one
template, so two such items share most shingles while reporting different figures,
dates or companies. A re-send or a correction of one figure shares them too, but
differs in at most one place. We align the two texts (runs of shared shingles in
the same order) and look at what sits *between* the aligned runs (service.slots, `filled_slots`): each place
where both texts have a short stretch of their own is a substituted slot (so is each differing place of a longer
stretch of template text whose values stand close together, and each differing cell of a longer stretch of
table rows). Slots that
replace a figure by a figure or a name by a name are facts; two or more of them,
densely spread over the shared text, make two different articles from one template,
and so does a different name in the opening words (another company or bank saying
the same thing: a prime-rate change, a dividend). A
changed fact in items published more than three days apart is also a different
article: re-sends and corrections follow within hours, republications within days (a name respelt in another
house style, a place's other spelling or another transliteration, is no changed fact but counts here: it may be
another name, `_without_respelt_names`). A re-send (near-identical
shingle sets) is held to the opening-name rule alone (`resent_apart`), and so is a re-send but for passages
one text adds, a note or a list of links (`Differences.resent_but_additions`). A weekday or a date moved by
as many days as the publication times were is a different article within three days too: a series' next
issue, tomorrow's forecast, not a correction (`_next_issue`). A day named relatively on one side and as a date
on the other ("on Tuesday", "on March 3") is no changed fact only if the publication times make the date that
day (`RestyledDay`). A later text that says it corrects or updates the other within hours (a "CORRECTED - "
title, a "(Corrects ...)" note, a later "UPDATE n-" than the other's: `notes.updates`, over `notes.update_mark`) is
held to the rules above but for the dense facts: its figures and dates changed are corrections, a name replaced is
still another instance. `differences` reads the texts alone; `other_instance` reads the publication times, and
`notes.updates` and `notes.corrects` which text they make the later and whether it came within hours.
A notice whose body names no one ("Qtly div 12 cts vs 12 cts prior Pay April 15") is told apart from
another company's by its title alone (`titles.titled_apart`), and an alert or brief of a paragraph or two from
another's filled for another place by that name swapped in its title and its body alike (`titles.renamed_apart`). A
short item's opening name respelt ("Lindquist" for "Lindqvist") under a correction note in the later text is
a correction, no other subject (`_names_respelt`), and so is a dateline against a republisher's own top line
(`_lead_for_an_opening`).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import _lru_cache_wrapper, lru_cache
from itertools import pairwise
from typing import Any, Concatenate, ParamSpec, TypeVar

from service.model import U32Array
from service.notes import UPDATE_WINDOW
from service.sets import unique
from service.shingles import shingle_sequence, to_u32, word_hashes
from service.similarity import IDENTICAL_JACCARD, Run, Tokenised, alignment, overlap
from service.slots import Cells, filled_slots
from service.text import PLAIN_SPELT

MAX_SLOT_TOKENS = 8  # a longer stretch is an insertion or a rewrite, not a filled slot (unless template text)
MAX_SLOT_TIMES = 2 * MAX_SLOT_TOKENS  # times of day read in a stretch (`_times`): more than an opening's slot holds
MAX_SLOT_FIGURES = 2 * MAX_SLOT_TOKENS  # figures in digits read around a slot (`_figures`): as many, for as long a slot
FACT_SLOTS_FOR_TEMPLATE = 2  # one changed fact is a correction
SHARED_TOKENS_PER_FACT = 80  # template slots come every few lines; edits to a long story are sparse
SHORT_ITEM_TOKENS = 80  # notices and one-paragraph wire items: their edges are content too
# An alert or a brief of a paragraph or two, whose title names its place (`titles.renamed_apart`).
MEDIUM_ITEM_TOKENS = 160
RESEND_WINDOW = timedelta(days=3)
# A daily item may come out 12 h earlier or later in the day: as late as an update may come (notes.UPDATE_WINDOW:
# change it there, and both move).
NEXT_ISSUE_TOLERANCE = UPDATE_WINDOW
# A daily item whose text names no day comes out at the same time of day: a short item with a figure changed a
# whole number of days later, to within this, is its next issue (`_on_schedule`), where hours off it is a correction.
SCHEDULE_TOLERANCE = timedelta(minutes=30)
MIN_TRANSLITERATED_LETTERS = 7  # shorter names in two transliterations are too often two names (`_transliterated`)
MIN_RESPELT_LETTERS = 6  # `close_spelling`: "Iran" and "Iraq", "Alcoa" and "Alcon", "Smith" and "Smyth" are two
MAX_RESPELT_LETTERS = 40  # `close_spelling`: a longer token is no name to compare letter by letter
MAX_CACHED_WORD = 64  # characters of a word whose readings are remembered (`_word_cached`), as text._CACHED_CHARS
WORD_CACHE_SIZE = 1 << 14  # words each of `_WORD_CACHES` remembers (the last read): memory, see `_WORD_CACHES`
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_MONTHS = "january february march april may june july august september october november december".split()
_DAY_AND_MONTH_NAMES = frozenset(_WEEKDAYS + _MONTHS)
_MONTHS_ALSO_NAMES = frozenset("april may june august".split())  # people's names too: dates only where they read so
_LEADS_TO_A_MONTH = frozenset("in on by since until till last next early late mid of during through".split())
_DAY_AND_MONTH_ABBREVIATIONS = frozenset(
    "mon tue tues wed thu thur thurs fri sat sun jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
CALENDAR_WORDS = _DAY_AND_MONTH_NAMES | _DAY_AND_MONTH_ABBREVIATIONS


@dataclass(frozen=True)
class Differences:
    slots: int  # substituted stretches between aligned runs
    fact_slots: int  # of which replace a figure by a figure or a name by a name
    shared_tokens: int
    new_subject: bool = False  # the texts open with different names: another company, bank, place
    touched_facts: int = 0  # slots with a figure or name on either side, or a name respelt
    # A re-send but for passages one text adds (a note, a list of links): judged as a re-send is (`resent_apart`)
    resent_but_additions: bool = False
    # What the publication times must say, which the texts alone do not (both read in `other_instance`): the days
    # a changed weekday or date moved, from `ta` to `tb` (`_date_move`): a series' next issue if they moved as far
    # as the publication times; and the slots naming a day relatively on one side and as a date on the other: no
    # fact if the date is that day seen from the relative side's publication (`RestyledDay.fits`).
    date_moves: frozenset[int] = frozenset()
    restyled_days: frozenset[RestyledDay] = frozenset()
    # A short item's opening names changed only to close spellings of them (`_names_respelt`): another subject
    # unless the later text notes a correction (`notes.corrects`, read in `other_instance`)
    respelt_subject: bool = False
    # Slots replacing a name by a name, the openings' too (a byline, a dateline, or another district's results
    # named in the first words), and a long text's edges' if asked (`differences`' `edge_names`): a text marked
    # as a correction or update is judged as any other if it has one (`other_instance`)
    name_facts: int = 0
    # A slot changing a weekday, a month, a day of a month or a day named relatively ("today"), on either side, the
    # openings' too, and a medium item's edges naming other days relatively (`_on_schedule` reads a daily item's
    # next issue by its time alone only where no day was written other; read for short and medium texts alone)
    days_changed: bool = False
    longer_tokens: int = 0  # the longer text's token count (`_on_schedule`: a daily item is short)
    additions: bool = False  # a stretch one text has where the other has nothing (a note, a page's chrome)
    weekdays_kept: bool = False  # both texts name one weekday (read for short and medium texts alone)


@dataclass(frozen=True)
class RestyledDay:
    """A day named relatively on one side of a slot ("on Tuesday", "overnight") and as a date on the other ("on
    March 3"): the same day only if the date is the day so named from the first side's publication."""

    relative_first: bool  # the day is named relatively in the first text (`ta`), as a date in the second
    weekdays: frozenset[int]  # the weekdays named (0 is Monday), if any
    reach: int | None  # how many days from its side's publication the day named may be; None: not told
    dates: tuple[tuple[int, int, int | None], ...]  # each date written: month, day, year if written

    def fits(self, published_a: datetime, published_b: datetime) -> bool:
        """Is each date the day named, seen from the relative side's publication (the year, if not written,
        the nearest to it)?"""
        relative, dated = (published_a, published_b) if self.relative_first else (published_b, published_a)
        for month, day, year in self.dates:
            years = [year] if year else [dated.year - 1, dated.year, dated.year + 1]
            when = _date_nearest(month, day, years, relative)
            if when is None or (self.weekdays and when.weekday() not in self.weekdays):
                return False
            if self.reach is not None and abs((when - relative.date()).days) > self.reach:
                return False
        return True


def _date_nearest(month: int, day: int, years: list[int], to: datetime) -> date | None:
    """The date of this month and day in one of these years nearest `to`'s day; None if there is none (Feb. 30)."""
    found = []
    for year in years:
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue
    return min(found, key=lambda d: abs((d - to.date()).days), default=None)


_Fact = tuple[frozenset[str], frozenset[str]]  # a changed fact: the words one side writes, and the other's
_Stretch = tuple[int, int, int, int]  # a0, a1, b0, b1: a stretch of each text between aligned runs, or at an edge


@dataclass
class _Reading:
    """What `differences` has read of a pair's slots so far (`_read_slot` adds each slot's part)."""

    short: bool  # the shorter text is a short item (SHORT_ITEM_TOKENS)
    scheduled: bool  # the longer is short enough for `_on_schedule` to read (MEDIUM_ITEM_TOKENS)
    slots: int = 0
    touched: int = 0
    facts: set[_Fact] = field(default_factory=set)  # each changed fact once, however often it recurs
    named: set[_Fact] = field(default_factory=set)  # of which those replacing a name
    days: set[RestyledDay] = field(default_factory=set)
    moves: set[int] = field(default_factory=set)
    new_subject: bool = False
    respelt: bool = False
    days_changed: bool = False


def differences(ta: Tokenised, tb: Tokenised, edge_names: bool = False) -> Differences:
    """What differs between two texts where they align (see similarity.alignment): the same, mirrored,
    whichever text is `ta`. With `edge_names`, a long text's edges are read too, for `name_facts` alone (asked
    where one text is marked as a correction or update: `other_instance`)."""
    chain = alignment(ta, tb)
    if not chain:
        return Differences(0, 0, 0)
    bounds = [(0, chain[0].a0, 0, chain[0].b0)]
    bounds += [(r.a1, s.a0, r.b1, s.b0) for r, s in pairwise(chain)]
    bounds.append((chain[-1].a1, ta.count, chain[-1].b1, tb.count))
    r = _Reading(
        short=min(ta.count, tb.count) <= SHORT_ITEM_TOKENS, scheduled=max(ta.count, tb.count) <= MEDIUM_ITEM_TOKENS
    )
    last = len(bounds) - 1
    # (The stretches read, and of them those longer than a slot holding a table on both sides: `Cells`.)
    reading = [n for n in range(len(bounds)) if edge_names or r.short or n not in (0, last)]
    limits = [2 * MAX_SLOT_TOKENS if n == 0 else MAX_SLOT_TOKENS for n in range(len(bounds))]  # a long name
    long = [
        (range(a0, a1), range(b0, b1))
        for n in reading
        for a0, a1, b0, b1 in [bounds[n]]
        if _long_stretch(bounds[n], limits[n])
    ]
    cells = Cells(ta, tb, long)  # (over all the pair's stretches)
    for n in reading:
        # The edges of a page hold titles, bylines and boilerplate, not a template's slots: read for names alone.
        _read_stretch(r, ta, tb, bounds[n], limits[n], cells, n, edge=not r.short and n in (0, last), lead=chain[0])
    weekdays_kept = r.scheduled and _weekday_kept(ta, tb)
    if r.scheduled and not r.short and not r.days_changed:
        r.days_changed = _edges_name_other_days(ta, tb, bounds)
    # (The rules a re-send skips ask for a touched fact or a day the publication times may find misdated.)
    resent = (r.touched > 0 or bool(r.days)) and _resent_but_additions(ta, tb, bounds)
    return Differences(
        r.slots,
        len(r.facts),
        sum(run.a1 - run.a0 for run in chain),
        r.new_subject,
        r.touched,
        resent,
        frozenset(r.moves),
        frozenset(r.days),
        respelt_subject=r.respelt,
        name_facts=len(r.named),
        days_changed=r.days_changed,
        longer_tokens=max(ta.count, tb.count),
        additions=any((a1 > a0) != (b1 > b0) for a0, a1, b0, b1 in bounds),
        weekdays_kept=weekdays_kept,
    )


def _read_stretch(
    r: _Reading, ta: Tokenised, tb: Tokenised, bound: _Stretch, limit: int, cells: Cells, n: int, edge: bool, lead: Run
) -> None:
    """Read the `n`th stretch between aligned runs (0: before the first) into `r`: each slot it fills, and for a
    short or medium item, a rewrite too long to be a slot."""
    a0, a1, b0, b1 = bound
    filled = filled_slots(ta, range(a0, a1), tb, range(b0, b1), limit, cells)
    for ia, ib in filled:
        _read_slot(r, ta, ia, tb, ib, n, edge, lead)
    if (r.short or r.scheduled) and not edge and not filled and a1 > a0 and b1 > b0:
        r.touched += _rewrite_touches_facts(ta, range(a0, a1), tb, range(b0, b1), opening=n == 0)


def _read_slot(r: _Reading, ta: Tokenised, ia: range, tb: Tokenised, ib: range, n: int, edge: bool, lead: Run) -> None:
    """Read one slot of the `n`th stretch into `r` (`lead`: the first aligned run, after the opening stretch)."""
    # (Only here are the words needed: most pairs never tokenise them.)
    figure, name, any_fact, change, day = _changed_facts(ta, ia, tb, ib)
    if name:
        r.named.add(change)  # (at the edges and in the openings too: the page's, or another subject's)
    if edge:
        return
    r.slots += 1
    if r.scheduled and not r.days_changed:
        r.days_changed = _day_written(ta, ia, change[0]) or _day_written(tb, ib, change[1])
    opening = _in_openings(ta, ia, tb, ib, change) or (n == 0 and _lead_for_an_opening(ta, ia, tb, ib, change, lead))
    if opening and not figure:
        return  # (a byline, dateline's place or credit, a date one side alone has: the page's)
    if n == 0 and name and r.short and not opening:
        if _names_respelt(ta, ia, tb, ib, change):
            r.respelt = True  # (another subject still, unless the later text notes a correction)
        else:
            r.new_subject = True
    if figure or name:
        # (A figure both sides write and that differs is a fact, in a headline or dateline too.)
        r.facts.add(change)
        if not opening:  # (a page's own date line, a dateline: no date of the story's moved)
            r.moves |= _date_move(ta, ia, tb, ib, change)
    r.touched += any_fact
    if day is not None:
        r.days.add(day)


def _weekday_kept(ta: Tokenised, tb: Tokenised) -> bool:
    """Do both texts name one weekday (`_on_schedule` reads it besides the slots)?"""
    return bool(_weekdays_named(ta, range(ta.count)) & _weekdays_named(tb, range(tb.count)))


def _edges_name_other_days(ta: Tokenised, tb: Tokenised, bounds: list[_Stretch]) -> bool:
    """Do a medium item's edges, not read for its slots, name other days relatively ("Today ..." against
    "Yesterday ...", a republisher's next day)? (A dateline's date moved is the next issue's, so no day changed.)"""
    return any(
        _one_days(ta, range(a0, a1)) != _one_days(tb, range(b0, b1)) for a0, a1, b0, b1 in (bounds[0], bounds[-1])
    )


def _date_move(ta: Tokenised, ia: range, tb: Tokenised, ib: range, change: _Fact) -> set[int]:
    """By how many days does a slot move its date, from `ta` to `tb`: one weekday changed for another
    ("Wednesday" for "Thursday": a day on, or six back), one day's number beside a month for another beside
    the same month ("March 4" for "March 5"), or both, by the same days ("Wednesday, March 4" for "Thursday,
    March 5")? Empty if neither, or if they disagree."""
    dates_a, dates_b = _date_words(ta, ia), _date_words(tb, ib)
    weekdays_a = [_weekday(w) for w in change[0] if w in dates_a and _weekday(w) >= 0]
    weekdays_b = [_weekday(w) for w in change[1] if w in dates_b and _weekday(w) >= 0]
    days_a, days_b = _days_of_month(ta, ia, change[0]), _days_of_month(tb, ib, change[1])
    moves = []
    if len(weekdays_a) == 1 == len(weekdays_b):
        ahead = (weekdays_b[0] - weekdays_a[0]) % 7
        moves.append({ahead, ahead - 7})
    if len(days_a) == 1 == len(days_b) and days_a[0][1] == days_b[0][1]:
        moves.append({days_b[0][0] - days_a[0][0]})
    return set.intersection(*moves) if moves else set()


def _day_written(t: Tokenised, slot: range, changed: frozenset[str]) -> bool:
    """Does the slot write a weekday or a month (`_date_words`), change a day's number beside a month, or change a
    day named relatively ("today" for "yesterday": a republisher's next day)?"""
    return bool(_date_words(t, slot) or _days_of_month(t, slot, changed) or changed & _ONE_DAY_WORDS)


def _one_days(t: Tokenised, stretch: range) -> frozenset[str]:
    """The days named relatively in a stretch of `t` ("today", "yesterday")."""
    return frozenset(t.words[i] for i in stretch) & _ONE_DAY_WORDS


def _weekdays_named(t: Tokenised, stretch: range) -> set[str]:
    """The weekdays' names a stretch of `t` writes as dates (`_date_words`)."""
    return {w for w in _date_words(t, stretch) if _CALENDAR_NAME.get(w) in _WEEKDAYS}


def _days_of_month(t: Tokenised, slot: range, changed: frozenset[str]) -> list[tuple[int, int]]:
    """The changed days' numbers in the slot written beside a month, each with its month ("4 Nov" is (4, 11))."""
    dates = {_written_date(t, i) for i in slot if t.words[i] in changed and _is_day_number(t.words[i])}
    return list({(day, month) for month, day, _ in filter(None, dates)})


def _weekday(word: str) -> int:
    """Monday's 0 to Sunday's 6 for a weekday's name or abbreviation ("thurs", "thu"); -1 for any other word."""
    name = _CALENDAR_NAME.get(word)
    return _WEEKDAYS.index(name) if name in _WEEKDAYS else -1


def _resent_but_additions(ta: Tokenised, tb: Tokenised, bounds: list[_Stretch]) -> bool:
    """Would the two texts be a re-send (raw shingle sets at IDENTICAL_JACCARD or closer) without the passages
    one of them has where the other has nothing (`bounds`: the stretches between aligned runs and at the edges)?
    A page republishing a story adds a correction's note, an editor's note ("first published on ..."), a list
    of related links: its raw shingles fall below a re-send's, and a figure corrected in it (or a date written
    for "next year") was another article by the three-day rule, where the same copy without the note was a
    re-send and matched however late."""
    added_a = [range(a0, a1) for a0, a1, b0, b1 in bounds if a1 > a0 and b1 == b0]
    added_b = [range(b0, b1) for a0, a1, b0, b1 in bounds if b1 > b0 and a1 == a0]
    if not (added_a or added_b):
        return False  # (nothing to take out: the raw shingle sets already said)
    return overlap(_shingles_without(ta, added_a), _shingles_without(tb, added_b)).jaccard >= IDENTICAL_JACCARD


def _shingles_without(text: Tokenised, cut: list[range]) -> U32Array:
    """The shingle set of the text with these stretches of tokens taken out."""
    if not cut:
        return unique(text.sequence)
    dropped = set().union(*cut)
    words = [w for i, w in enumerate(text.words) if i not in dropped]
    return unique(to_u32(shingle_sequence(word_hashes(words), text.shingle_size)))


def _rewrite_touches_facts(ta: Tokenised, ia: range, tb: Tokenised, ib: range, opening: bool) -> bool:
    """Does a stretch of a short or medium item (MEDIUM_ITEM_TOKENS; a medium item's edges aside, as for slots) too
    long to be a slot, rewritten on both sides, change a figure or a name (outside the opening's headline, byline
    and credit)? It is no template slot, but a listing notice whose last clause names another company ("of Harwell
    Instruments Inc, which traded on the Nasdaq system" against "of Obsidian Freight Group Inc, which went public
    today") weeks later is another notice; and so is a weekly report of 110 words whose first sentence, the week's
    figures, is worded anew each week (the Reuters corpus's U.S. sugar imports, 46/11043, a month apart). Read for
    short items alone until 2026-12-07, the two weeks' reports matched as one revised."""
    figure, name, _, change, _ = _changed_facts(ta, ia, tb, ib)
    return (figure or name) and not (opening and _openings_differ_only(ta, ia, tb, ib, change))


def _long_stretch(bound: _Stretch, limit: int) -> bool:
    """Is a stretch between aligned runs longer than a slot, and on both sides (`filled_slots`: a table's)?"""
    a0, a1, b0, b1 = bound
    return a1 > a0 and b1 > b0 and (a1 - a0 > limit or b1 - b0 > limit)


def _changed_facts(
    ta: Tokenised, ia: range, tb: Tokenised, ib: range
) -> tuple[bool, bool, bool, _Fact, RestyledDay | None]:
    """Does the slot replace a figure by another figure, a name by another name, or touch either (a name shortened
    or moved touches none, `_names_kept`: counted, such a sub-edit made a copy published days later another
    article by the three-day rule; a name respelt in another house style replaces none but touches one,
    `_without_respelt_names`)? And what
    it changes (the words of each side the other lacks): a name corrected throughout a story is one change
    in each of its places, one fact, not as many facts as places (two made a correction a template). Or is it
    a day named relatively on one side and as a date on the other (`_day_written_as_date`), a fact only if the
    publication times say the date is not that day?"""
    joined = "".join(ta.words[i] for i in ia)
    if joined.isalpha() and joined == "".join(tb.words[i] for i in ib):
        # A word written apart ("Container-\nterminal"): letters only, for "12.5" is "12 5", which joins as "125".
        return False, False, False, (frozenset(), frozenset()), None
    words_a, words_b = _without_restyled_times(
        ta, ia, Counter(_slot_words(ta, ia)), tb, ib, Counter(_slot_words(tb, ib))
    )
    words_a, words_b = _without_us_dollar(ta, ia, words_a, tb, ib, words_b)
    words_a, words_b = _without_rounded_figures(ta, ia, words_a, tb, ib, words_b)
    only_a = [w for w in words_a if words_a[w] > words_b[w]]
    only_b = [w for w in words_b if words_b[w] > words_a[w]]
    only_a, only_b = _without_restyling(only_a, only_b)
    only_a, only_b = _without_abbreviated_days(ta, ia, only_a, tb, ib, only_b)
    only_a, only_b, respelt = _without_respelt_names(ta, ia, only_a, tb, ib, only_b)
    restyled, day = _date_restyled(ta, ia, only_a, tb, ib, only_b)
    if restyled:
        return False, False, respelt, (frozenset(), frozenset()), day
    change = (frozenset(only_a), frozenset(only_b))
    # (A figure against a figure written the same way: "1st half" against "Six mths" is one report's period
    # restyled, and a template fills its slots in one style.)
    figure = any(map(_in_digits, only_a)) and any(map(_in_digits, only_b))
    figure |= any(map(_is_number_word, only_a)) and any(map(_is_number_word, only_b))
    figure |= _scale_swapped(only_a, only_b)
    dates_a, dates_b = _date_words(ta, ia), _date_words(tb, ib)
    figure |= _changes_date(only_a, dates_a, only_b, dates_b) or _changes_date(only_b, dates_b, only_a, dates_a)
    named_a, named_b = written_as_names(ta, ia) - dates_a, written_as_names(tb, ib) - dates_b
    name = any(w in named_a for w in only_a if not is_figure(w)) and any(
        w in named_b for w in only_b if not is_figure(w)
    )
    names_touched = any(w in named_a for w in only_a) or any(w in named_b for w in only_b)
    touched = (
        figure
        or respelt
        or _touches_figure(only_a, only_b)
        or _touches_figure(only_b, only_a)
        or any(w in dates_a for w in only_a)
        or any(w in dates_b for w in only_b)
        or (names_touched and not _names_kept(named_a, named_b))
    )
    return figure, name, touched, change, None


def _without_restyled_times(
    ta: Tokenised, ia: range, words_a: Counter[str], tb: Tokenised, ib: range, words_b: Counter[str]
) -> tuple[Counter[str], Counter[str]]:
    """The slot's words on each side less those of the times of day that are one time in two house styles
    (`_times`: "6:45 p.m." and "18:45", "7 a.m." and "07:00", "8.30am" and "08:30", "noon" and "12:00", "at 8:30"
    and "8:30 p.m.", "0700 GMT" and "7am", "14h30" and "2.30pm", "at 18.45" and "6.45 p.m."), each time paired with
    one of the other side's. Read a word at a time, "08" was no "8" and "18" no "6" beside "p.m.": a changed
    figure, and a copy so restyled and republished days later was another article by the three-day rule. A time
    written as a decimal ("at 18.45", `_Time.decimal`) is paired only with a time the other side writes as one,
    at its place in the slot (`_paired_time`), and two of them are never paired: alone, "18.45" may be a price. A
    time zone written after one time of a pair and not after the other ("at 6.45pm" and "at 6.45 pm GMT") is part
    of it. Times left unpaired on both sides are each one figure, the time it is ("6:45 p.m." against "16:45", or
    against "6:45 a.m.", where the words differing were "p" and "a", no figure); on one side alone they are read a
    word at a time still ("7 a.m." against "7" is the figure kept, "a.m." added), but for "a.m.", "p.m." or a time
    zone that one side adds to a time both write before the slot (`_without_added_marks`)."""
    times_a, times_b = _times(ta, ia), _times(tb, ib)
    unpaired_a = []
    paired_b: set[int] = set()
    for rank, time_a in enumerate(times_a):
        found = _paired_time(rank, time_a, times_b, paired_b)
        if found is None:
            unpaired_a.append(time_a)
            continue
        paired_b.add(found)
        words_a = _without_time(ta, ia, words_a, time_a)
        words_b = _without_time(tb, ib, words_b, times_b[found])
    times_b = [time for n, time in enumerate(times_b) if n not in paired_b]
    words_a = _without_added_marks(ta, ia, words_a, unpaired_a, tb, ib)
    words_b = _without_added_marks(tb, ib, words_b, times_b, ta, ia)
    unpaired_a = [time for time in unpaired_a if not time.decimal]  # (a decimal, unless it pairs with a time)
    times_b = [time for time in times_b if not time.decimal]
    if unpaired_a and times_b:  # (each a figure; a zone kept as a word: "GMT" against "BST" is a changed name)
        for time_a in unpaired_a:
            words_a = _without_time(ta, ia, words_a, time_a, zone=False) + Counter((time_a.figure,))
        for time_b in times_b:
            words_b = _without_time(tb, ib, words_b, time_b, zone=False) + Counter((time_b.figure,))
    return words_a, words_b


def _paired_time(rank: int, time: _Time, others: list[_Time], paired: set[int]) -> int | None:
    """The first of the other side's times not yet `paired` that may be this one, the `rank`-th time its slot holds
    (`_Time.pairs_with`); a decimal ("at 18.45") on either side is paired only with the time of the same rank on
    the other: paired with any time of the slot that has its digits, a price and a time swapped ("traded at 10.30
    at 10:15 a.m." against "traded at 10.15 at 10:30 a.m.") were two figures restyled. A slot holds few times
    (`_times`): the other side's are looked at one by one."""
    if time.decimal:
        ranked = [rank] if rank < len(others) else []
    else:
        ranked = [n for n, other in enumerate(others) if not other.decimal or n == rank]
    return next((n for n in ranked if n not in paired and time.pairs_with(others[n])), None)


@dataclass(frozen=True)
class _Time:
    """A time of day in a text (`_time_at`)."""

    tokens: range  # all its tokens, a time zone after it included (some may stand out of a slot)
    keys: frozenset[str]  # the times it may be, as "HH:MM" on a 24-hour clock
    decimal: bool = False  # an hour and minutes after a full stop beside a word of time ("at 18.45"): or a decimal
    zone: str = ""  # the time zone written after it ("gmt"), if any
    core_tokens: int = 1  # how many of its first tokens are its hour and minutes ("6:45": 2, "0700": 1)

    def pairs_with(self, other: _Time) -> bool:
        """May two times be one: a time they both may be, not both decimals, and no two zones?"""
        return (
            not self.keys.isdisjoint(other.keys)
            and not (self.decimal and other.decimal)
            and (self.zone == other.zone or not (self.zone and other.zone))
        )

    @property
    def figure(self) -> str:
        """The time as one figure, the times it may be ("06:45/18:45")."""
        return "/".join(sorted(self.keys))

    def marks_only(self, slot: range) -> bool:
        """Does the slot hold only its marks ("p.m.", a time zone), its hour and minutes standing before it?"""
        inside = [i for i in self.tokens if i in slot]
        return bool(inside) and self.tokens[0] < slot.start and self.marks_from <= inside[0]

    @property
    def marks_from(self) -> int:
        """Its first token past its hour and minutes (the tokens of "a.m.", "p.m." or of a time zone)."""
        return self.tokens.start + self.core_tokens


def _without_added_marks(
    t: Tokenised, slot: range, words: Counter[str], unpaired: list[_Time], other: Tokenised, other_slot: range
) -> Counter[str]:
    """The slot's words less the "a.m.", "p.m." or time zone one side adds to a time both write right before the
    slot ("at 6:45 PM, officials" against "at 6:45, officials"; "GMT" against "BST" is kept, a mark against a
    mark), where the time so marked may be the one the other side writes there (`_Time.pairs_with`), or the
    other side's is no time ("at 7 GMT" or "at 7 PM" against "at 7": a figure kept, a mark added) nor a figure
    with its unit ("at 7 per cent"). Counted, "PM" or "GMT" was a name where the other side had none, and a copy
    republished days later with it another article; the same marks added after a time in a slot are paired with
    it (`_without_restyled_times`), or, in no slot, an insertion."""
    for time in unpaired:
        if not time.marks_only(slot):
            continue
        start = other_slot.start - (slot.start - time.tokens.start)  # (the tokens before the slots are aligned)
        theirs = _time_at(other, start) if start >= 0 else None
        if theirs is not None and theirs.tokens.stop > other_slot.start:
            continue  # (the other side marks it in its slot too: a mark against a mark, paired or changed)
        if theirs is None and other_slot and other.words[other_slot.start] in _FIGURE_UNITS:
            continue  # ("at 7 PM" against "at 7 per cent": no time but a figure, its unit the other's slot)
        if theirs is None or time.pairs_with(theirs):
            words -= Counter(t.words[i] for i in time.tokens if i in slot)
    return words


# Words after a number that make it a figure, no hour a time's mark may be added to (`_without_added_marks`).
_FIGURE_UNITS = frozenset("per percent pc pct cent cents pence p points pts".split())


def _without_time(t: Tokenised, slot: range, words: Counter[str], time: _Time, *, zone: bool = True) -> Counter[str]:
    """The slot's words less the time's tokens that stand in the slot (but its zone if `zone` is false)."""
    tokens = time.tokens if zone or not time.zone else time.tokens[:-1]
    return words - Counter(t.words[i] for i in tokens if i in slot)


def _times(t: Tokenised, slot: range) -> list[_Time]:
    """The times of day the slot holds some of, in order (`_time_at`): each with all its tokens, though some may
    stand out of the slot (its hour and minutes aligned before a slot of "p.m." against "PM"). The first
    MAX_SLOT_TIMES only: a slot holds no more, and the stretch of a rewrite or a timetable holding more is read a
    word at a time past them (paired with each other, thousands of times took seconds)."""
    found: list[_Time] = []
    covered = -1
    words = t.words
    for i in slot:
        if len(found) == MAX_SLOT_TIMES:
            break
        if i <= covered:
            continue
        # (A time is five tokens at most, "6:45 p.m. GMT"; one starting at a minutes token is none, `_time_at`.
        # Most words can open none: those are passed by, unread, `_may_open_time`.)
        for start in range(max(i - 4, 0), i + 1):
            if not _may_open_time(words[start]):
                continue
            time = _time_at(t, start)
            if time is not None and i in time.tokens:
                found.append(time)
                covered = time.tokens[-1]
                break
    return found


def _time_at(t: Tokenised, i: int) -> _Time | None:
    """The time of day whose first token is token i, and the times it may be on a 24-hour clock ("HH:MM"): an
    hour and minutes with a colon ("18:45", "08:30", "6:45"), an hour, with or without minutes after a colon or
    a full stop, with "a.m." or "p.m." ("6:45 p.m.", "8.30am", "7 a.m."), "noon" or "midnight" ("12 noon"); four
    digits before a time zone ("0700 GMT"), an hour alone between a word of time and a time zone ("at 7 GMT"), an
    hour and minutes around an "h" ("14h30", as French copy writes them). A full stop with no "a.m." or "p.m."
    is a decimal ("2.30"), but beside a word of time ("at 18.45", `_beside_time_word`) it may be a time too,
    marked `decimal`: one only if the other side writes that time as a time. None for anything else: a bare
    number is no time ("rose 7 GMT" neither), nor are four digits with no time zone ("in 1930").
    An hour from 1 to 11 with minutes and no leading zero nor "a.m." or "p.m." ("6:45") may be either half of
    the day only beside a word of time ("at 6:45"), else it is the morning's, as "06:45" is on a 24-hour clock:
    "3:16" against "15:16" is a score or a verse changed. "12:30" is noon's, never midnight's ("00:30", "12:30
    a.m."). A time zone written in capitals after it ("GMT", "BST") is one of its tokens (`_Time.zone`)."""
    word = t.words[i]
    if word in _NAMED_TIMES:
        return _zoned(t, _Time(range(i, i + 1), frozenset((_NAMED_TIMES[word],))))
    if not _may_open_time(word):
        return None
    if i > 0 and _time_separated(t, i - 1):
        return None  # (its minutes)
    if (french := _FRENCH_TIME.fullmatch(word)) or (len(word) == 4 and word.isdigit() and _zone_at(t, i + 1)):
        hour, minutes = (int(french.group(1)), int(french.group(2))) if french else (int(word[:2]), int(word[2:]))
        if hour > 23 or minutes > 59:
            return None
        return _zoned(t, _Time(range(i, i + 1), frozenset((f"{hour:02}:{minutes:02}",))))
    # A time opens only so: named, French, four digits, or an hour. A new form opening one goes into
    # `_may_open_time` too (and the test's _WORDS): screened out there, `_times` and this never reach it.
    if not _HOUR.fullmatch(word):
        return None
    found = _TIME.match(t.body, t.starts[i])
    if found is None or found.end() < t.ends[i]:
        return None
    hour_text, separator, minutes_text, half, named = found.groups()
    hour, minutes = int(hour_text), int(minutes_text or 0)
    last = bisect_left(t.starts, found.end()) - 1
    decimal = separator == "." and not half
    zoned_hour = i > 0 and t.words[i - 1] in _TIME_WORDS_BEFORE and _zone_at(t, last + 1)  # ("at 7 GMT")
    if minutes > 59 or not (minutes_text or half or named or zoned_hour):
        return None
    if decimal and not _beside_time_word(t, i, last):
        return None
    if named:
        if hour != 12:
            return None
        keys = {_NAMED_TIMES[named.casefold()]}
    elif half:
        if not 1 <= hour <= 12:
            return None
        keys = {f"{hour % 12 + (12 if half.casefold() == 'p' else 0):02}:{minutes:02}"}
    elif hour > 24 or (hour == 24 and minutes):
        return None
    elif hour_text.startswith("0") or hour == 0 or hour >= 12:
        keys = {f"{hour % 24:02}:{minutes:02}"}
    else:
        keys = {f"{hour:02}:{minutes:02}"}
    if not (named or half or hour_text.startswith("0") or hour == 0 or hour >= 12) and _beside_time_word(t, i, last):
        keys.add(f"{hour + 12:02}:{minutes:02}")
    core = 2 if minutes_text else 1
    return _zoned(t, _Time(range(i, last + 1), frozenset(keys), decimal, core_tokens=core))


_Args = ParamSpec("_Args")
_Read = TypeVar("_Read")
# The readings of words remembered, one cache for each function `_word_cached`, for the words a long rewrite's slots
# pair again and again. Full, each holds WORD_CACHE_SIZE words of at most MAX_CACHED_WORD characters with what was read
# of them: all six together ~14-17 MB (12-letter words), ~50 MB at worst (64 characters of four bytes, each cache
# holding its own copy of each word), for the process's life however many articles it reads (docs/perf.md, "soak").
# 1 << 14 holds the ~4,100 distinct words of a 1 MiB rewrite with room for other texts'; 1 << 12 was too few (its
# slots read each of them anew, LRU) and kept about a third of the gain, 1 << 16 gained no more and held 4x as much.
_WORD_CACHES: dict[str, _lru_cache_wrapper[Any]] = {}


def _word_cached(function: Callable[Concatenate[str, _Args], _Read]) -> Callable[Concatenate[str, _Args], _Read]:
    """The function, what it reads of a word of at most MAX_CACHED_WORD characters remembered for the last
    WORD_CACHE_SIZE such words (`_WORD_CACHES`). A longer word is read each time: a token is any run of letters,
    and a cache keeps what it is given, the word and what was made of it, after its texts are gone (10,000-letter
    words kept 50 kB a pair, gigabytes with the caches full), as text._CACHED_CHARS says."""
    remembered = _WORD_CACHES[function.__qualname__] = lru_cache(maxsize=WORD_CACHE_SIZE)(function)
    cached: Callable[..., _Read] = remembered

    def read(word: str, /, *args: _Args.args, **kwargs: _Args.kwargs) -> _Read:
        return cached(word, *args, **kwargs) if len(word) <= MAX_CACHED_WORD else function(word, *args, **kwargs)

    read.__doc__, read.__name__, read.__qualname__ = function.__doc__, function.__name__, function.__qualname__
    return read


@_word_cached
def _may_open_time(word: str) -> bool:
    """May a token spelt so be a time's first (`_time_at`): a named time ("noon"), an hour and minutes around an
    "h" ("14h30"), four digits, or an hour ("7", "07", "7am")? Any other is none, wherever it stands: `_times`
    asks up to five times of each token of a slot, and read in full, a long rewrite's every word cost a
    third of the pair's time. (Remembered, `_word_cached`: a pure function of the word.)"""
    return (
        word in _NAMED_TIMES
        or _FRENCH_TIME.fullmatch(word) is not None
        or (len(word) == 4 and word.isdigit())
        or _HOUR.fullmatch(word) is not None
    )


def _zoned(t: Tokenised, time: _Time) -> _Time:
    """The time with the time zone written right after it, if any, among its tokens."""
    after = time.tokens.stop
    if not _zone_at(t, after):
        return time
    return _Time(range(time.tokens.start, after + 1), time.keys, time.decimal, t.words[after], time.core_tokens)


def _zone_at(t: Tokenised, i: int) -> bool:
    """Is token i a time zone written in capitals ("GMT", "BST"; not French "et"), after spaces alone?"""
    return (
        0 < i < t.count
        and t.words[i] in _TIME_ZONES
        and t.raw(i).isupper()
        and not t.body[t.ends[i - 1] : t.starts[i]].strip()
    )


def _beside_time_word(t: Tokenised, first: int, last: int) -> bool:
    """Does a word that tells a time of day stand right before tokens first..last ("at 8:30", "until 8:30",
    "from 2:10 to 4:10") or right after them ("8:30 GMT", "8 o'clock")? Only then may a bare "8:30" be the
    evening's: alone, "3:16" or "1:20" is as likely a verse, a score or a ratio, no time."""
    before = t.words[first - 1] if first > 0 else ""
    after = t.words[last + 1] if last + 1 < t.count else ""
    return before in _TIME_WORDS_BEFORE or after in _TIME_WORDS_AFTER


# The words beside a bare "H:MM" that make it a time of day (`_beside_time_word`): a small list, on purpose.
_TIME_WORDS_BEFORE = frozenset(("at", "by", "until", "till", "from", "to", "before", "after", "around", "since"))
_TIME_ZONES = frozenset(("gmt", "bst", "utc", "et", "est", "edt", "cet", "cest"))
_TIME_WORDS_AFTER = _TIME_ZONES | frozenset(("o", "oclock", "local"))
_HOUR = re.compile(r"\d{1,2}(?:[ap]m)?")  # (an hour's token: "7", "07", "7am" run on)
_FRENCH_TIME = re.compile(r"(\d{1,2})h(\d{2})")  # ("14h30": French copy's time; "14h" alone may be 14 hours)


def _time_separated(t: Tokenised, i: int) -> bool:
    """Is token i digits followed by a colon or a full stop and, right after it, the next token's digits?"""
    return (
        i + 1 < t.count
        and t.body[t.ends[i] : t.starts[i + 1]] in (":", ".")
        and t.words[i].isdigit()
        and t.words[i + 1][:1].isdigit()
    )


# An hour, minutes after a colon or a full stop, "a.m." or "p.m." in any of their forms ("am", "P.M.", "pm"), or
# "noon" or "midnight"; nothing of a word or another figure following.
_TIME = re.compile(
    r"(\d{1,2})(?:([:.])(\d{2}))?(?:\s?([ap])\.?m\b\.?|\s(noon|midnight)\b)?(?![\w:]|\.\d)", re.IGNORECASE
)
_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}


def _names_kept(named_a: set[str], named_b: set[str]) -> bool:
    """Are the names of one side of a slot all the other's, and some left: a name shortened or moved ("A Coastline
    spokesperson" for "A spokesperson for Coastline Ferries")? Not a name where the other side has none ("ny
    harbor" for "New York harbor", "(CTs)" added): a name for a description may be a fact, and in the Reuters
    corpus, read as none, it made two pairs of items a week apart, a price raised twice and a certificate offer
    and its result, one article."""
    return bool(named_a and named_b) and (named_a <= named_b or named_b <= named_a)


def written_as_names(text: Tokenised, places: range) -> set[str]:
    """The words written as names in these places: "bank" in "the central bank's chief" is no name, though
    the text names the "Bank of England" elsewhere."""
    name_at = text.name_at
    return {text.words[i] for i in places if name_at[i]}


def _date_words(t: Tokenised, slot: range) -> set[str]:
    """The slot's names of weekdays and months, written with a capital ("Thursday", "May", "Nov." with its
    full stop: "Sun" alone may be a company). They name no subject: read as names, a wire's own correction
    of the day in a short item ("said on Wednesday" for "said on Thursday") was another company saying the
    same thing, and matched nothing. A date is a fact like a figure."""
    words = t.words  # (a word of no calendar is no date word, `_is_date_word`: only the others are read)
    return {words[i] for i in slot if words[i] in CALENDAR_WORDS and _is_date_word(t, i)}


def _is_date_word(t: Tokenised, i: int) -> bool:
    """A weekday's or month's name with a capital, or its abbreviation with its full stop or beside a day's
    number ("Nov. 6", "Feb 26", "2 Jan": "Sun" or "Jan" alone may be a company or a person)."""
    word = t.words[i]
    if word in _DAY_AND_MONTH_ABBREVIATIONS:
        marked = t.body[t.ends[i] : t.ends[i] + 1] == "." or _beside_day_number(t, i)
    elif word in _MONTHS_ALSO_NAMES:
        marked = _reads_as_date(t, i)
    else:
        marked = word in _DAY_AND_MONTH_NAMES
    return marked and t.raw(i)[:1].isupper()


def _reads_as_date(t: Tokenised, i: int) -> bool:
    """Does a month that is also a person's name ("May", "June") read as a month here: beside a day's number or a
    year ("May 5", "5 May", "May 2026"), or after a word that leads to a time ("in May", "since June", "mid-May")
    and not before a surname ("the death of April Carter")? Read as a month anywhere, "Prime Minister May said"
    against "Prime Minister Johnson said" was a date against a name, neither a changed name nor a changed date,
    and the two stories matched as revisions; so did two reports of "the death of April Carter" and "of Megan
    Carter" while "of" alone made "April" a month."""
    beside = (t.words[n] for n in (i - 1, i + 1) if 0 <= n < t.count)
    if any(_is_day_number(w) or _is_year(w) for w in beside):
        return True
    return i > 0 and t.words[i - 1] in _LEADS_TO_A_MONTH and not _before_a_surname(t, i)


def _before_a_surname(t: Tokenised, i: int) -> bool:
    """Is token i followed, across spaces alone (no comma: "In May, Harwell said"), by a capitalised word that is
    no figure, as a first name is by a surname?"""
    if i + 1 >= t.count or t.body[t.ends[i] : t.starts[i + 1]].strip():
        return False
    following = t.raw(i + 1)
    return following[:1].isupper() and not is_figure(t.words[i + 1])


def _beside_day_number(t: Tokenised, i: int) -> bool:
    return any(0 <= n < t.count and _is_day_number(t.words[n]) for n in (i - 1, i + 1))


def _is_day_number(word: str) -> bool:
    return word.isdigit() and 1 <= int(word) <= 31 and len(word) <= 2


def _changes_date(own: list[str], own_dates: set[str], other: list[str], other_dates: set[str]) -> bool:
    """Does one side's weekday or month stand against another date on the other side (a weekday, a month, a
    day's number): "Wednesday" for "Thursday", "Nov. 6" for "Thursday"?"""
    return any(w in own_dates for w in own) and any(w in other_dates or _in_digits(w) for w in other)


def _date_restyled(
    ta: Tokenised, ia: range, only_a: list[str], tb: Tokenised, ib: range, only_b: list[str]
) -> tuple[bool, RestyledDay | None]:
    """Does the slot name a day, a month or a year relatively on one side and by its date on the other, either
    way round? And, for a day, what the publication times must confirm (`RestyledDay`, checked in
    `other_instance`); a month or a year is taken on the words alone."""
    day = _day_written_as_date(ta, ia, only_a, tb, ib, only_b, relative_first=True) or _day_written_as_date(
        tb, ib, only_b, ta, ia, only_a, relative_first=False
    )
    if day is not None:
        return True, day
    return _period_written_as_date(only_a, tb, ib, only_b) or _period_written_as_date(only_b, ta, ia, only_a), None


def _period_written_as_date(relative: list[str], td: Tokenised, date_slot: range, dated: list[str]) -> bool:
    """Is the slot a year or a month named relatively on one side ("next year", "this month", "by the end of
    last year") and by its number or name on the other ("in 2027", "in April", "by the end of 2025")? As with a
    day (_day_written_as_date), a site republishing a story weeks later writes the year for "next year", and
    the three-day rule took it for a changed fact. Only these words on either side, and the side naming a year
    relatively must have a year on the other, a month a month: one year for another, or a day's date for "next
    month", is a changed fact still."""
    if not relative or not dated:
        return False
    periods = _PERIODS.intersection(relative)
    if not periods or not all(w in _PERIODS or w in _RELATIVE_PERIOD_WORDS or w in _DATE_LINKS for w in relative):
        return False
    months = {w for w in _date_words(td, date_slot) if _CALENDAR_NAME.get(w) in _MONTHS}  # (not "Tues.")
    if not all(w in months or _is_year(w) or w in _DAY_PARTS or w in _DATE_LINKS for w in dated):
        return False
    named = {"year" for w in dated if _is_year(w)} | {"month" for w in dated if w in months}
    return periods <= named


def _day_written_as_date(
    tr: Tokenised,
    relative_slot: range,
    relative: list[str],
    td: Tokenised,
    date_slot: range,
    dated: list[str],
    *,
    relative_first: bool,
) -> RestyledDay | None:
    """Is the slot a day named relatively on one side ("on Tuesday", "overnight", "this morning", "by the end
    of") and as a date on the other ("on Nov. 4", "on the night of Nov. 2", "by March 31")? A site republishing
    a story days later writes the date for the day, and the three-day rule took it for a changed fact. Only
    these words on either side, and the date a day's number beside a month: one date for another, or one
    weekday for another, is a changed fact still. The date must be the day named, which the publication times
    tell (`RestyledDay.fits`): a weekday that date, within a week of the relative side's publication; "today",
    "tonight", "yesterday", "tomorrow" or "overnight" within two days of it. Taken on the words alone, "on
    Tuesday" in a weekly notice and "on March 10" in the next week's were one day restyled, and the two
    notices matched a week apart."""
    if not relative or not dated:
        return None
    weekdays = _weekdays_named(tr, relative_slot)
    if not all(w in weekdays or w in _RELATIVE_DAY_WORDS or w in _DATE_LINKS for w in relative):
        return None
    if all(w in _DATE_LINKS for w in relative):
        return None  # ("on" for "by": no day is named on that side)
    months = {w for w in _date_words(td, date_slot) if _CALENDAR_NAME.get(w) in _MONTHS}
    days = [i for i in date_slot if td.words[i] in dated and _is_day_number(td.words[i])]
    if not days or not all(
        w in months or _is_day_number(w) or _is_year(w) or w in _DAY_PARTS or w in _DATE_LINKS for w in dated
    ):
        return None
    dates = [_written_date(td, i) for i in days]
    if None in dates:
        return None
    named = frozenset(_weekday(w) for w in weekdays)
    reach = WEEKDAY_REACH_DAYS if named else ONE_DAY_REACH_DAYS if _ONE_DAY_WORDS & set(relative) else None
    return RestyledDay(relative_first, named, reach, tuple(d for d in dates if d is not None))


def _written_date(t: Tokenised, i: int) -> tuple[int, int, int | None] | None:
    """The month, day and year (None if not written) of the date whose day's number is token i: a month's name
    beside it ("Nov. 4", "4 November"), a year after them ("March 10, 2026", "10 March 2026"); None if no month
    stands beside it."""
    month = next(
        (
            _MONTHS.index(_CALENDAR_NAME[t.words[n]]) + 1
            for n in (i - 1, i + 1)
            if 0 <= n < t.count and _CALENDAR_NAME.get(t.words[n]) in _MONTHS and _is_date_word(t, n)
        ),
        None,
    )
    if month is None:
        return None
    year = next((int(t.words[n]) for n in (i + 1, i + 2) if n < t.count and _is_year(t.words[n])), None)
    return month, int(t.words[i]), year


def _is_year(word: str) -> bool:
    return len(word) == 4 and word.isdigit() and word[:2] in ("19", "20")


# Parts of a day or a period, either side ("on the night of Nov. 2", "by the end of"); and a day named
# relatively ("this morning", "last week").
_DAY_PARTS = frozenset("morning afternoon evening night end start beginning middle early late".split())
_RELATIVE_DAY_WORDS = _DAY_PARTS | frozenset(
    "today yesterday tonight tomorrow overnight week weekend this last next".split()
)
_DATE_LINKS = frozenset("on the of at in by during from until to".split())  # words around a day, either way
_PERIODS = frozenset(("year", "month"))
# ("early next year", "later this month")
_RELATIVE_PERIOD_WORDS = _DAY_PARTS | frozenset("this next last coming".split())
# How far from the publication of the side naming a day relatively the date written for it may be: a weekday
# names one of the week before or after, these words a day beside it (a day either way for time zones).
WEEKDAY_REACH_DAYS = 7
ONE_DAY_REACH_DAYS = 2
_ONE_DAY_WORDS = frozenset("today tonight yesterday tomorrow overnight".split())


def _slot_words(t: Tokenised, slot: range) -> list[str]:
    """The slot's words, a number grouped by thousands separators as one word of its digits ("1,500" is the tokens
    "1" "500": paired a word at a time with "1500", it was a changed figure, and a copy whose CMS drops the
    separators was another article days later, or even hours later with two such figures), and a number written in
    several words as one word of them, spaced ("twenty five", "two hundred and fifty": paired a word at a time with
    "25" or "250", it was a changed figure too). The whole number, even where the slot holds only some of its
    groups or words ("500" with "1," aligned before it, "five" with "twenty-")."""
    words: list[str] = []
    seen: set[int] = set()
    for i in slot:
        first, last = _digit_groups(t, i)
        if first == last:
            first, last = _number_in_words(t, i)
            if first == last:
                words.append(t.words[i])
            elif first not in seen:
                seen.add(first)
                words.append(" ".join(t.words[first : last + 1]))
        elif first not in seen:
            seen.add(first)
            words.append("".join(t.words[first : last + 1]))
    return words


def _digit_groups(t: Tokenised, i: int) -> tuple[int, int]:
    """The first and last token of the number grouped by thousands separators that token i is part of ("1,064,000":
    a group of one to three digits, then groups of three, each after one separator; a unit may end the last,
    "1,500m"): (i, i) if none, or if it would have more than MAX_NUMBER_TOKENS groups."""
    words = t.words
    if not words[i][:1].isdigit():
        return i, i  # (each group, the first's digits too, and a unit after the last's, starts with a digit)
    first = last = i
    while first > 0 and _separated(t, first - 1) and words[first - 1].isdigit():
        if not (_GROUP.fullmatch(words[first]) or (first == i and _LAST_GROUP.fullmatch(words[first]))):
            break
        first -= 1
        if i - first >= MAX_NUMBER_TOKENS:
            return i, i
    while last + 1 < len(words) and words[last].isdigit() and _separated(t, last):
        if not _LAST_GROUP.fullmatch(words[last + 1]):
            break
        last += 1
        if last - first >= MAX_NUMBER_TOKENS:
            return i, i
    if first == last or len(words[first]) > 3:
        return i, i
    return first, last


# The most tokens a number is read in: a run of digit groups, or of number words ("a" and "and" among them) side by
# side. A sextillion has 8 groups, and "nine hundred and ninety-nine thousand nine hundred and ninety-nine" 11 words
# (a number in words past the trillions, 29, is read a word at a time). Longer runs are read a token at a time: every
# token of a slot walked the whole run, and a text of thousands of groups or number words took seconds of the writer's
# time.
MAX_NUMBER_TOKENS = 24


def _separated(t: Tokenised, i: int) -> bool:
    """Is token i followed by a thousands separator and, right after it, the next token?"""
    return t.body[t.ends[i] : t.starts[i + 1]] in _THOUSANDS_SEPARATORS


_GROUP = re.compile(r"\d{3}")
_LAST_GROUP = re.compile(r"\d{3}[^\W\d]*")  # (a unit may follow the last group: "1,500m")
# A comma, and the spaces French and Swiss copy group digits with. Not a full stop: "1.25" is a decimal.
_THOUSANDS_SEPARATORS = frozenset(",\u00a0\u202f\u2009")


def _number_in_words(t: Tokenised, i: int) -> tuple[int, int]:
    """The first and last token of the number written in two or more words that token i is part of ("twenty-five",
    "two hundred and fifty", "a thousand", "three million"): (i, i) if none. Number words side by side that make
    no one number ("five six", "between five and six") are numbers of one word each."""
    words = t.words
    if not _in_number_in_words(words[i]):
        return i, i
    first = last = i
    while first > 0 and _in_number_in_words(words[first - 1]) and _joined(t, first - 1):
        first -= 1
        if i - first >= MAX_NUMBER_TOKENS:
            return i, i
    while last + 1 < len(words) and _in_number_in_words(words[last + 1]) and _joined(t, last):
        last += 1
        if last - first >= MAX_NUMBER_TOKENS:
            return i, i
    start = first
    while start <= last:
        end = start + _number_length(words, start, last + 1)
        if start <= i < end:
            return (start, end - 1) if end - start > 1 else (i, i)
        start = end
    return i, i


def _in_number_in_words(word: str) -> bool:
    return word in _NUMBER_WORDS or word in ("a", "and")


def _joined(t: Tokenised, i: int) -> bool:
    """Is token i followed by the next one with only spaces or a hyphen between ("twenty-five", "two\nhundred"; not
    a blank line)?"""
    between = t.body[t.ends[i] : t.starts[i + 1]]
    return between.strip() in ("", "-", "\u2010", "\u2011") and between.count("\n") < 2


def _number_length(words: list[str], start: int, end: int) -> int:
    """How many of words[start:end] make one number, read as English writes numbers: units after tens ("twenty
    five"), "hundred" after a number under a hundred, a scale word after a number and smaller than the scale
    before it ("three million four hundred thousand"), "and" between a hundred or a scale and the tens or units
    ("two hundred and fifty"), "a" before a hundred or a scale ("a thousand"); 1 where no longer number starts."""
    last, group, ceiling = "", 0, 10**12
    n = start
    while n < end:
        word = words[n]
        following = words[n + 1] if n + 1 < end else ""
        value = _NUMBER_WORDS.get(word, 0)
        if word == "a":
            ok = not last and following in _SCALE_WORDS
            value = 1
        elif word == "and":
            ok = last in ("hundred", "scale") and 0 < _NUMBER_WORDS.get(following, 0) < 100
        elif word == "hundred":
            ok = last in ("a", "unit", "teen", "tens") and group < 100
        elif word in _SCALE_WORDS:
            ok = last in ("a", "unit", "teen", "tens", "hundred") and value < ceiling
        elif 1 <= value <= 9:
            ok = last in ("", "tens", "hundred", "scale", "and")
        elif 10 <= value <= 90:
            ok = last in ("", "hundred", "scale", "and")
        else:
            ok = False  # ("zero")
        if not ok:
            break
        if word in _SCALE_WORDS and word != "hundred":
            group, ceiling = 0, value
        else:
            group = group * 100 if word == "hundred" else group + value
        last = _number_kind(word, value)
        n += 1
    return max(n - start, 1)


def _number_kind(word: str, value: int) -> str:
    if word in ("a", "and", "hundred"):
        return word
    if word in _SCALE_WORDS:
        return "scale"
    return "unit" if value < 10 else "teen" if value < 20 else "tens"


def _words_value(words: list[str]) -> int:
    """The value of a number written in words that _number_length reads as one ("a" is one, "and" nothing)."""
    total = group = 0
    for word in words:
        if word == "hundred":
            group *= 100
        elif word in _SCALE_WORDS:
            total, group = total + group * _SCALE_WORDS[word], 0
        else:
            group += 1 if word == "a" else _NUMBER_WORDS.get(word, 0)
    return total + group


def _without_restyling(only_a: list[str], only_b: list[str]) -> tuple[list[str], list[str]]:
    """The words each side lacks, less the figures that are one figure in two house styles ("412m" for
    "412"), and the words that are one word in British and American spelling ("Labour" for "Labor"):
    counted as a changed fact, a copy so restyled and published days later was another article, and a
    short item opening with such a name another subject even hours later. (Names respelt by one letter
    were tried too: on the Reuters corpus that matched dividend notices of two companies, "Qtly" against
    "Qtrly", and was dropped; the spelling rules are narrower, see _US_SPELLING.)"""
    kept_a, kept_b = list(only_a), list(only_b)
    scales_a, scales_b = set(only_a) & _SCALE_WORDS.keys(), set(only_b) & _SCALE_WORDS.keys()
    for a in only_a:
        same = next((b for b in kept_b if _same_figure(a, scales_a, b, scales_b) or _same_word_spelt(a, b)), None)
        if same is not None:
            kept_a.remove(a)
            kept_b.remove(same)
    return kept_a, kept_b


def _without_us_dollar(
    ta: Tokenised, ia: range, words_a: Counter[str], tb: Tokenised, ib: range, words_b: Counter[str]
) -> tuple[Counter[str], Counter[str]]:
    """The slot's words on each side less the "US" it writes right before a dollar sign where the other side writes
    a bare one ("US$3bn" against "$3 billion": a US wire's house style), one for each such dollar, the tokens so
    placed only: "US" elsewhere in the slot is a word as any ("US$3bn in the US" against "$3bn in the UK" changes
    a place). Counted, "US" was a name where the other side had none, and a copy so restyled days later another
    article. Other letters before a dollar sign are kept ("C$", "A$", "HK$" against "$"): they may be the only
    sign of another currency."""
    if not (_has_dollar(ta, ia) and _has_dollar(tb, ib)):
        return words_a, words_b  # (no "US$" against a bare "$": the words as they are, each counted once or more)
    us_a, us_b = _us_dollars(ta, ia), _us_dollars(tb, ib)
    drop_a, drop_b = min(us_a, _bare_dollars(tb, ib)), min(us_b, _bare_dollars(ta, ia))
    return words_a - Counter({"us": drop_a}), words_b - Counter({"us": drop_b})


def _without_rounded_figures(
    ta: Tokenised, ia: range, words_a: Counter[str], tb: Tokenised, ib: range, words_b: Counter[str]
) -> tuple[Counter[str], Counter[str]]:
    """The slot's words on each side less its figures, where each is the other side's figure of the same rank
    written at another precision or scale (`_Figure.restyles`: "17.1 mln" and "17,121,000", "248.0 mln" and "248
    mln", "1.5 billion" and "1,500 mln"), and no other figure differs there. Read a word at a time, "17" "1" "mln"
    against "17121000" was a changed figure, and a company's results re-sent two hours later in another house
    style were another report. All or nothing: one figure changed beside others restyled, a figure one side has
    alone, or one not read as a number ("7am", "17,1") leaves the slot's words as they are, a fact still."""
    figures_a = _figures(ta, ia)
    figures_b = _figures(tb, ib) if figures_a else []  # (most slots hold none: the other side is not searched)
    if not figures_a or len(figures_a) != len(figures_b):
        return words_a, words_b
    if not all(a.restyles(b) for a, b in zip(figures_a, figures_b, strict=True)):
        return words_a, words_b
    kept_a = words_a - Counter(w for f in figures_a for w in _slot_words(ta, f.inside(ia)))
    kept_b = words_b - Counter(w for f in figures_b for w in _slot_words(tb, f.inside(ib)))
    if any(map(_in_digits, (kept_a - kept_b) + (kept_b - kept_a))):
        return words_a, words_b  # (digits left differing: a figure not read as one, so not all were paired)
    return kept_a, kept_b


@dataclass(frozen=True)
class _Figure:
    """A number written in digits with its scale word, if any ("17.1 mln", "17,121,000", "1.5bn"): `_figures`."""

    tokens: range  # all its tokens, its scale's too (some may stand out of a slot: "17." aligned before "1 mln")
    value: Fraction
    unit: Fraction  # what its last written digit counts, scaled ("17.1 mln": 100,000)
    significant: int  # its digits from the first that is no zero ("0.25": 2)
    scale: str  # its scale word as written, lower-cased ("mln", "million", "bn"); "" if none

    def inside(self, slot: range) -> range:
        return range(max(self.tokens.start, slot.start), min(self.tokens.stop, slot.stop))

    def restyles(self, other: _Figure) -> bool:
        """Is one the other, or the other rounded at the coarser one's last written digit, in another house style
        (another scale word, or none against one: "17.1 mln" and "17,121,000")? Written alike but for a digit
        more, "2.35 pct" and "2.3 pct" are two months' figures, as a template writes them. A coarser figure of
        one significant digit is too coarse to tell: "2 mln" may be "2,400,000" rounded or another month's."""
        if self.value == other.value:
            return True
        if self.scale == other.scale:
            return False
        coarser = max(self, other, key=lambda f: f.unit)
        return coarser.significant >= 2 and 2 * abs(self.value - other.value) <= coarser.unit


def _figures(t: Tokenised, slot: range) -> list[_Figure]:
    """The figures in digits (`_FIGURE`) the slot holds some tokens of, in order, each read whole from the text
    around the slot too; none past MAX_SLOT_FIGURES (a rewrite's long stretch, no slot's few figures, is left as
    it is)."""
    if not slot:
        return []
    start = first = t.starts[slot.start]
    end = t.ends[slot[-1]]
    while start > max(first - _FIGURE_CHARS, 0) and t.body[start - 1] in _IN_FIGURES:
        start -= 1  # (back to the start of a number the slot holds the end of; a longer run is no figure read)
    found: list[_Figure] = []
    for match in _FIGURE.finditer(t.body, start, min(len(t.body), end + _FIGURE_CHARS)):
        tokens = range(bisect_left(t.starts, match.start()), bisect_left(t.starts, match.end()))
        if match.start() >= end or not tokens:
            break
        if tokens.stop > slot.start:
            if len(found) == MAX_SLOT_FIGURES:
                return []
            found.append(_figure(match, tokens))
    return found


def _figure(match: re.Match[str], tokens: range) -> _Figure:
    whole, decimals, scale = match.group(1), match.group(2) or "", match.group(3) or match.group(4)
    digits = "".join(c for c in whole if c.isdigit()) + decimals
    scaled = _FIGURE_SCALES[scale.casefold()] if scale else 1
    unit = Fraction(scaled, 10 ** len(decimals))
    return _Figure(tokens, int(digits) * unit, unit, len(digits.lstrip("0")), scale.casefold() if scale else "")


# A number in digits, grouped by thousands or not, perhaps a decimal, and its scale: a word after a space or none
# ("17.1 mln", "1.5billion"), or a letter run on ("1.5bn", "412m"). Not one run on with other letters ("7am"), nor
# a piece of a longer number ("1" of "17,1": a decimal comma, left unread), nor one of more than 24 digits or 12
# decimals (no quantity a wire rounds: a run of thousands of digit groups is read in linear time, and no further).
_FIGURE = re.compile(
    r"(?<![\w.,])(?<!\d[\u00a0\u202f\u2009])(\d{1,3}(?:[,\u00a0\u202f\u2009]\d{3}){1,7}|\d{1,24})(?:\.(\d{1,12}))?"
    r"(?:[ \u00a0]?(thousand|mln|million|mn|bln|billion|bn|trillion|trln|tn)\b|(k|m)\b)?"
    r"(?![.,\u00a0\u202f\u2009]?\d|[^\W\d])",
    re.IGNORECASE,
)
_FIGURE_SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    **dict.fromkeys(("mln", "million", "mn", "m"), 10**6),
    **dict.fromkeys(("bln", "billion", "bn"), 10**9),
    **dict.fromkeys(("trillion", "trln", "tn"), 10**12),
}
_IN_FIGURES = frozenset("0123456789.,\u00a0\u202f\u2009")
_FIGURE_CHARS = 48  # characters a figure `_FIGURE` reads may run before or past a slot ("000,000 billion")


def _has_dollar(t: Tokenised, slot: range) -> bool:
    """Is there a dollar sign right before or right after one of the slot's tokens (`_us_dollars`,
    `_bare_dollars`: either counts none without one)? One search of the slot's text, not a look at each token."""
    if not slot:
        return False
    starts = t.starts
    return "$" in t.body[max(starts[slot.start] - 1, 0) : t.ends[slot[-1]] + 1]


def _us_dollars(t: Tokenised, slot: range) -> int:
    """How many of the slot's tokens are "US" written right before a dollar sign and digits ("US$3bn")."""
    return sum(1 for i in slot if t.raw(i) == "US" and _DOLLAR_FIGURE.match(t.body, t.ends[i]))


def _bare_dollars(t: Tokenised, slot: range) -> int:
    """How many of the slot's tokens are a figure after a dollar sign with no letter before it ("$3bn", not "A$3bn")."""
    return sum(
        1
        for i in slot
        if t.starts[i] > 0
        and t.body[t.starts[i] - 1] == "$"
        and t.words[i][:1].isdigit()
        and not (t.starts[i] > 1 and t.body[t.starts[i] - 2].isalpha())
    )


_DOLLAR_FIGURE = re.compile(r"\$\d")


def _same_word_spelt(a: str, b: str) -> bool:
    """Are two different words one word in British and in American spelling ("centre", "center"), with and
    without its diacritics ("Łódź", "Lodz"), or a company's legal form spelt out and abbreviated ("Incorporated",
    "Inc")? (Places in two spellings, "Kyiv" and "Kiev", are one name too, but one that may be two:
    `_without_respelt_names`.)"""
    if a == b or is_figure(a):
        return False
    if _COMPANY_FORM_SHORT.get(a, a) == _COMPANY_FORM_SHORT.get(b, b):
        return True
    return _without_diacritics(a) == _without_diacritics(b) or _us_spelling(a) == _us_spelling(b)


# A company's legal form spelt out and abbreviated: one company, whichever a wire's style gives ("Harwell
# Instruments Incorporated" for "... Inc"). Counted as a changed name, a re-send so restyled two hours later was
# another article. Two forms ("Inc" and "Corp") may be two companies, and stay a change. Not "Company" and "Co":
# "the company" is a story's every other sentence, and "Co" a county ("Co Durham").
_COMPANY_FORM_SHORT = {"incorporated": "inc", "corporation": "corp", "limited": "ltd"}


@_word_cached  # (a pure function of the word, asked of each pair of a slot's words)
def _without_diacritics(word: str) -> str:
    """The word's letters without their accents and marks ("łódź" is "lodz", "søren" "soren"): a feed that
    cannot carry them writes the same name so. Counted as a changed name, a same-day copy of a Polish story
    so written had nine changed facts and was another article. Letters with a stroke or a ligature, which NFKD
    leaves whole, are spelt as the tokeniser spells them once their marks are gone (text.PLAIN_SPELT: "ǿ" is
    "o"). Any script's marks go here, not only those tokens fold: names are compared so in a store of either
    reading."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(PLAIN_SPELT)


# Places written in two spellings by news sites of different house styles: Ukraine's, by their Ukrainian names
# and by the Russian-based ones many sites kept. Too short or too far apart for a rule ("Kyiv" and "Kiev" are
# two letters apart in four: so are "Iran" and "Iraq"). Not always one place: there is an Odessa in Texas.
_PLACE_SPELLINGS = {
    "kiev": "kyiv",
    "kharkov": "kharkiv",
    "odessa": "odesa",
    "lvov": "lviv",
    "nikolaev": "mykolaiv",
    "nikolayev": "mykolaiv",
    "zaporozhye": "zaporizhzhia",
    "dnepr": "dnipro",
    "lugansk": "luhansk",
    "donbass": "donbas",
    "chernobyl": "chornobyl",
    "rovno": "rivne",
    # Cities and countries renamed, whose old names some house styles keep.
    "bombay": "mumbai",
    "madras": "chennai",
    "calcutta": "kolkata",
    "bangalore": "bengaluru",
    "peking": "beijing",
    "burma": "myanmar",
}
_KNOWN_PLACES = frozenset(_PLACE_SPELLINGS) | frozenset(_PLACE_SPELLINGS.values())


def _without_respelt_names(
    ta: Tokenised, ia: range, only_a: list[str], tb: Tokenised, ib: range, only_b: list[str]
) -> tuple[list[str], list[str], bool]:
    """The words each side lacks less the names one side writes as the other respelt in another house style, and
    whether there were any: a place in the other spelling _PLACE_SPELLINGS knows ("Kiev" for "Kyiv"), and, if
    they are all the slot changes, names each paired with one of the other's as one name transliterated
    (`_transliterated`: "Zelenskyy" and "Zelensky"). Such a slot changes no fact, for the dense-facts rule: a
    same-day copy of a Kyiv story in another house style had four changed names and was another article. But
    it touches one, for the three-day rule: "Wyndham" and "Windham", "Odessa" and "Odesa" may be two hotels or
    two towns, and a story published days later with the other name is another story (read as one name, a
    rescue of Michael Sylvester five days after one of Michael Silvester was the same article)."""
    kept_a, kept_b = list(only_a), list(only_b)
    for a in only_a:
        same = next((b for b in kept_b if _same_place_spelt(a, b)), None)
        if same is not None:
            kept_a.remove(a)
            kept_b.remove(same)
    respelt = len(kept_a) < len(only_a)
    if _transliterated_throughout(ta, ia, kept_a, tb, ib, kept_b):
        return [], [], True
    return kept_a, kept_b, respelt


def _names_respelt(ta: Tokenised, ia: range, tb: Tokenised, ib: range, change: _Fact) -> bool:
    """Does a slot change nothing but names, each paired with one of the other side's in a close spelling
    (`close_spelling`: "Lindqvist" and "Lindquist")? In a short item's first words that may be the subject's
    name corrected, and is then no other subject saying the same thing: read as another name, a brief whose
    councillor's surname was corrected two hours later under a "(Corrects spelling ...)" note matched nothing.
    But so close names are as often two subjects ("Philips" and "Phillips", "Cameroon" and "Cameron", "Nortel"
    and "Nortek", "Slovenia" and "Slovakia", "Daniel" and "Daniela"; a false merge of two stories is worse
    than a missed correction): the slot is a respelling only if the later text says it corrects the earlier
    (`notes.corrects`: a correction note or prefix of `notes.update_mark`'s, read in `other_instance` and
    `resent_apart`), and is another subject otherwise. It is still a changed name,
    a fact (a name respelt in a copy days later is another article by the three-day rule, and two such names
    beside other changes make a template's other instance)."""
    named_a = [w for w in change[0] if w in written_as_names(ta, ia) and not is_figure(w)]
    named_b = [w for w in change[1] if w in written_as_names(tb, ib) and not is_figure(w)]
    if not named_a or len(named_a) != len(named_b) or len(named_a) != len(change[0]) or len(named_b) != len(change[1]):
        return False  # (the rest of the slot changed too: another fill, not a respelling)
    return _paired_off(named_a, named_b, close_spelling)


def loosely_transliterated(a: str, b: str) -> bool:
    """Are two names of MIN_TRANSLITERATED_LETTERS or more the same once a first "g", "q" or "k" is read alike,
    "dh" as "d" and doubled letters once (`_transliteration_key` too): "Gaddafi", "Qadhafi", "Gadhafi" and
    "Qaddafi"? A loose key: it pairs "Kessler" and "Gessler", "Philips" and "Phillips", "Cameroon" and
    "Cameron" too, two names each. So only `titles.renamed_apart` reads it, where it keeps a name swapped in title and
    body from parting two copies (the cost of a wrong pair: a match left to the other rules), never to merge."""
    if a == b or min(len(a), len(b)) < MIN_TRANSLITERATED_LETTERS or max(len(a), len(b)) > MAX_RESPELT_LETTERS:
        return False
    return _loose_key(a) == _loose_key(b)


def _loose_key(word: str) -> str:
    key = _transliteration_key(word).replace("dh", "d")
    key = "".join(c for n, c in enumerate(key) if n == 0 or c != key[n - 1])
    return "k" + key[1:] if key[:1] in ("g", "q") else key


def close_spelling(a: str, b: str) -> bool:
    """Are two names close enough in spelling to be one name respelt (for a short item's opening name under a
    correction note, `_names_respelt`, and a title's name swapped in the body, `titles.renamed_apart`)? One name in a
    house style's spelling (without its diacritics, in another transliteration or a place's other spelling:
    `_same_word_spelt`, `_transliterated`, `_same_place_spelt`: "Kiev" and "Kyiv", "Bombay" and "Mumbai"); or
    both of letters only, of MAX_RESPELT_LETTERS or fewer, the shorter of MIN_RESPELT_LETTERS or more, the same
    first letter ("Garrison" and "Harrison" are two), and either one letter added, dropped, changed or two swapped
    ("Lindqvist" and "Lindquist"), two such edits if the shorter has 8 letters or more ("Fieldcor" and
    "Fidelcor", a Reuters company name corrected two hours later), or the shorter's first three quarters a
    prefix of the longer ("Roberts" and "Robertson"). Shorter names so close are too often two: "Iran" and
    "Iraq", "Niger" and "Nigeria", "Mark" and "Mary", "Smith" and "Smyth", "Intel" and "Intelsat" ("Marta" and
    "Martina" too are left two names)."""
    if _same_word_spelt(a, b) or _transliterated(a, b) or _same_place_spelt(a, b):
        return True
    a, b = _without_diacritics(a), _without_diacritics(b)
    if a == b or not (a.isalpha() and b.isalpha()) or a[:1] != b[:1]:
        return False
    shorter = min(len(a), len(b))
    if shorter < MIN_RESPELT_LETTERS or max(len(a), len(b)) > MAX_RESPELT_LETTERS:
        return False
    prefix = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), shorter)
    if 4 * prefix >= 3 * shorter:
        return True
    edits = _edit_distance(a, b, 2)
    return (edits <= 1 and shorter >= MIN_RESPELT_LETTERS) or (edits <= 2 and shorter >= 8)


def _edit_distance(a: str, b: str, limit: int) -> int:
    """How many letters added, dropped or changed, or pairs of neighbours swapped, make one word the other, if
    `limit` or fewer; else `limit` + 1. Only the cells within `limit` of the diagonal are computed (a banded
    grid: a long token costs its length times 2 * `limit` + 1, not its length squared)."""
    over = limit + 1
    if abs(len(a) - len(b)) > limit:
        return over
    width = len(b) + 1
    before: list[int] = []
    row = [j if j <= limit else over for j in range(width)]
    for i, x in enumerate(a, 1):
        now = [over] * width
        now[0] = i if i <= limit else over
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            y = b[j - 1]
            cost = min(row[j] + 1, now[j - 1] + 1, row[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            now[j] = min(cost, over)
        if min(now) > limit:
            return over
        before, row = row, now
    return row[-1]


def _same_place_spelt(a: str, b: str) -> bool:
    """Are two words one place _PLACE_SPELLINGS knows in two spellings ("Kiev" and "Kyiv")?"""
    plain_a, plain_b = _without_diacritics(a), _without_diacritics(b)
    return plain_a in _KNOWN_PLACES and _PLACE_SPELLINGS.get(plain_a, plain_a) == _PLACE_SPELLINGS.get(plain_b, plain_b)


def _transliterated_throughout(
    ta: Tokenised, ia: range, only_a: list[str], tb: Tokenised, ib: range, only_b: list[str]
) -> bool:
    """Are what each side lacks names written as names, each paired with one of the other's as one name
    transliterated in two house styles (`_transliterated`)? Only where nothing else in the slot changed: beside
    another change, a name close to another is more likely another fill of a template than a respelling."""
    if not only_a or len(only_a) != len(only_b):
        return False
    named_a, named_b = written_as_names(ta, ia), written_as_names(tb, ib)
    if not all(w in named_a for w in only_a) or not all(w in named_b for w in only_b):
        return False
    return _paired_off(only_a, only_b, _transliterated)


def _paired_off(names_a: Iterable[str], names_b: Iterable[str], same: Callable[[str, str], bool]) -> bool:
    """Can each of `names_a` be paired with one of `names_b` that `same` takes for it, each used once (the first
    that fits, in order)?"""
    unpaired = list(names_b)
    for a in names_a:
        match = next((b for b in unpaired if same(a, b)), None)
        if match is None:
            return False
        unpaired.remove(match)
    return True


def _transliterated(a: str, b: str) -> bool:
    """Are two names one name transliterated in two house styles: the same once "y" is read as "i", "w" as "v",
    "kh" as "h" and a final "ii" ("yy", "iy") as "i" ("Zelenskyy" and "Zelensky", "Raymond" and "Raimond"), the
    shorter of MIN_TRANSLITERATED_LETTERS or more? Among the names of the Reuters corpus, the dev set and the
    Lee corpus, shorter names so paired are often two names ("Snyder" and "Snider", "Sydney" and "Sidney",
    "Westar" and "Vestar"); the longer were all one name respelt. Names one letter apart are not paired, however
    long: "Freedman" and "Friedman", "Garrison" and "Harrison", "Hutchinson" and "Hutchison" are two names."""
    if a == b or min(len(a), len(b)) < MIN_TRANSLITERATED_LETTERS:
        return False
    return _transliteration_key(a) == _transliteration_key(b)


@_word_cached  # (a pure function of the word, asked of each pair of a slot's words)
def _transliteration_key(word: str) -> str:
    folded = _without_diacritics(word).replace("kh", "h").replace("w", "v").replace("y", "i")
    return folded[:-1] if folded.endswith("ii") else folded


@_word_cached  # (a pure function of the word, asked of each pair of a slot's words)
def _us_spelling(word: str) -> str:
    """The word with each British ending _US_SPELLING knows written the American way (an American word
    stays as it is)."""
    for pattern, american in _US_SPELLING:
        found = pattern.fullmatch(word)
        if found:
            word = found.expand(american)
    return word


# British spellings and their American forms, one pattern for each of the regular differences: -our/-or
# (labour, harbour, colourful), -re/-er after a consonant (centre, theatre, metres, centred), -ence/-ense
# (defence, licences), -ise/-ize and -yse/-yze with their endings (organised, organisation, analysing),
# a doubled l before an ending (travelled, counsellor), -ogue/-og (catalogue). Each asks for a stem long
# enough to keep most English words apart: "four" and "for", "prise" and "prize", "filler" and "filer" are not
# read as one word. Some still are ("scouring" and "scoring", "timbre" and "timber", "stalled" and "staled"):
# harmless as far as known, since the rules only pair words one text has and the other lacks, read as changed
# facts or as a short item's opening name, where such a pair alone is rare and at worst makes one story of two.
_US_SPELLING = [
    (re.compile(r"(\w{2,})our(\w*)"), r"\1or\2"),
    (re.compile(r"(\w{2,}[^\Waeiouy\d])re(s?)"), r"\1er\2"),
    (re.compile(r"(\w{2,}[^\Waeiouy\d])red"), r"\1ered"),
    (re.compile(r"(\w{3,})ence(s?)"), r"\1ense\2"),
    (re.compile(r"(\w{3,}[iy])s(e|es|ed|ing|ation|ations|er|ers)"), r"\1z\2"),
    (re.compile(r"(\w{2,}[aeiou])ll(ed|ing|er|ers|or|ors)"), r"\1l\2"),
    (re.compile(r"(\w{3,})ogue(s?)"), r"\1og\2"),
]


def _without_abbreviated_days(
    ta: Tokenised, ia: range, only_a: list[str], tb: Tokenised, ib: range, only_b: list[str]
) -> tuple[list[str], list[str]]:
    """The words each side lacks, less a weekday or a month written in full on one side and abbreviated on the
    other, each read as a date there ("Nov. 4" for "November 4", "Tues." for "Tuesday", "Sept." for "Sep.";
    not "sat" for "Saturday"): one day in two house styles. Read as a changed date, a true copy republished five
    days later was another article."""
    dates_a, dates_b = _date_words(ta, ia), _date_words(tb, ib)
    kept_a, kept_b = list(only_a), list(only_b)
    for a in (w for w in only_a if w in dates_a):
        day = _CALENDAR_NAME.get(a)
        same = next((b for b in kept_b if b in dates_b and _CALENDAR_NAME.get(b) == day), None)
        if same is not None:
            kept_a.remove(a)
            kept_b.remove(same)
    return kept_a, kept_b


# Each weekday's and month's name and abbreviation, to its full name (every abbreviation begins its name).
_CALENDAR_NAME = {word: next(full for full in _WEEKDAYS + _MONTHS if full.startswith(word)) for word in CALENDAR_WORDS}


def _same_figure(a: str, scales_a: set[str], b: str, scales_b: set[str]) -> bool:
    """Are two words one figure restyled? `scales_a` and `scales_b`: the scale words each side's slot has alone."""
    if not (is_figure(a) and is_figure(b)) or not (_scale_kept(a, b, scales_b) and _scale_kept(b, a, scales_a)):
        return False
    if _SCALED.fullmatch(a) and _SCALED.fullmatch(b):
        return _figure_keys(a, scaled_only=True) == _figure_keys(b, scaled_only=True)  # ("3bn", "3,000m")
    keys_a = _figure_keys(a) | _before_scale(a, b, scales_b)
    return not keys_a.isdisjoint(_figure_keys(b) | _before_scale(b, a, scales_a))


def _scale_kept(word: str, other: str, other_scales: set[str]) -> bool:
    """May a figure with a scale letter ("3bn", "41.2m"'s "2m") be the other side's figure: the other a figure with
    a scale letter too (their values are compared: "3bn" is no "3m", but "3,000m"), or a number whose side's slot
    leaves no other scale word alone ("3" beside "billion" or beside none; not beside "million")? Compared by their
    digits alone, "$3bn" was "$3 million" and "1.5m" "1.5 billion", one figure restyled."""
    scaled = _SCALED.fullmatch(word)
    if scaled is None:
        return True
    if _SCALED.fullmatch(other):
        return True  # (`_same_figure` compares them by their values)
    return other_scales <= {_SCALE_LETTER_WORDS[scaled.group(1)]}


def _before_scale(word: str, other: str, other_scales: set[str]) -> set[str]:
    """A number in several words ending in a scale word, against a figure with no scale: the number before the
    scale ("two million" against "2", its "million" aligned, or left alone in the slot: a house style, as "412
    million" for "412m"). Not against another scale: "two million" is not "2 billion", nor "2bn"."""
    words = word.split()
    if len(words) < 2 or " " in other or _SCALED.fullmatch(other) or other in _SCALE_WORDS:
        return set()
    scales = []
    while words[-1] in _SCALE_WORDS and words[-1] != "hundred":
        scales.append(words.pop())
    return {str(_words_value(words))} if scales and other_scales <= set(scales) else set()


@_word_cached  # (a pure function of the word, asked of each pair of a slot's words)
def _figure_keys(word: str, *, scaled_only: bool = False) -> frozenset[str]:
    """A figure's digits, its units and currency dropped (a word holds no "." or ",": they separate words, and
    _slot_words joins a number's thousands); with a scale letter, also its value written out ("85k" is "85"
    and "85000", as "412m" is "412 million"); a number word's value ("seven" is "7" restyled), and a number in
    several words its value ("twenty five" is "25", "three thousand" is "3000")."""
    value = _NUMBER_WORDS.get(word)
    if value is not None:
        return frozenset((str(value),))
    if " " in word:  # (see _slot_words: no token holds a space)
        return frozenset((str(_words_value(word.split())),))
    digits = "".join(c for c in word if c.isdigit())
    scaled = _SCALED.fullmatch(word)
    if scaled and scaled_only:
        return frozenset((digits + _SCALE_ZEROS[scaled.group(1)],))
    return frozenset((digits, digits + _SCALE_ZEROS[scaled.group(1)]) if scaled else (digits,))


_SCALED = re.compile(r"\d+(k|m|mn|bn)")
_SCALE_ZEROS = {"k": "000", "m": "000000", "mn": "000000", "bn": "000000000"}
_SCALE_LETTER_WORDS = {"k": "thousand", "m": "million", "mn": "million", "bn": "billion"}


def _openings_differ_only(ta: Tokenised, ia: range, tb: Tokenised, ib: range, change: _Fact) -> bool:
    """Do the opening slot's differing words stand, on both sides, in the text's opening (see
    Tokenised.opening_tokens): in a headline, byline or dateline credit ("(AP) - " against "(Reuters) - "),
    not in the first sentence, where another company or bank saying the same thing is another article? Or, on
    one side, all in its page furniture (a byline or a label, `Tokenised.furniture`), which names no subject: a
    masthead or a label the template check cannot read as such on the other side ("Mountain Post: " against
    "By Jane Smith: ") is then no other subject either."""
    changed_a = {part for word in change[0] for part in word.split()}  # (a number in words is one, "twenty five")
    changed_b = {part for word in change[1] for part in word.split()}
    differing_a = [i for i in ia if ta.words[i] in changed_a]
    differing_b = [i for i in ib if tb.words[i] in changed_b]
    if _all_furniture(ta, differing_a) or _all_furniture(tb, differing_b):
        return True
    if ta.headline_subject in differing_a and tb.headline_subject in differing_b:
        return False  # (each names its subject in its headline alone, and they differ there: two items)
    inside_a = all(i < ta.opening_tokens for i in differing_a)
    inside_b = all(i < tb.opening_tokens for i in differing_b)
    return inside_a and inside_b


def _in_openings(ta: Tokenised, ia: range, tb: Tokenised, ib: range, change: _Fact) -> bool:
    """Does a slot change something, and only in the texts' openings (`_openings_differ_only`): a byline for a
    dateline and its agency's credit ("By Staff Writer" against "DUNHOLT, March 2 (Reuters) - "), a dateline's
    date kept or dropped? That is the page's, no fact of the story's: the dateline's date is the day the wire
    filed it. Counted, a wire brief a paper ran four days later under its own byline had a changed name and a
    changed date, and was another article by the three-day rule. A changed word that is no token of the slot (a
    number joined from its thousands, a time of day: `_slot_words`, `_without_restyled_times`) cannot be placed,
    and is taken to stand in the story."""
    if not (change[0] or change[1]) or not _placed_in_slots(ta, ia, tb, ib, change):
        return False
    return _openings_differ_only(ta, ia, tb, ib, change)


def _placed_in_slots(ta: Tokenised, ia: range, tb: Tokenised, ib: range, change: _Fact) -> bool:
    """Is every changed word (each part of a joined one) a token of its side's slot, so it can be placed there?"""
    for words, t, slot in ((change[0], ta, ia), (change[1], tb, ib)):
        spelt = {t.words[i] for i in slot}
        if not all(part in spelt for word in words for part in word.split()):
            return False
    return True


def _lead_for_an_opening(
    ta: Tokenised,
    ia: range,
    tb: Tokenised,
    ib: range,
    change: _Fact,
    follows: Run,
) -> bool:
    """Does the first slot hold, on one side, words of that text's opening alone (a dateline: "DUNHOLT, March 17
    (Reuters) - "), and on the other a passage of its own that ends a sentence right where the first text's story
    starts, the story's first word aligned on both sides (`follows`, the run after the slot)? That is a wire
    brief re-run without its dateline under a republisher's own top line ("Editor's note: This story was first
    published by Reuters.", a warning to readers, a local line, a question of a Q&A), no other subject: the
    story's first sentence is the same on both sides. Read as a name against a name, the dateline's place
    against the top line's capitals made such a copy another subject, and it matched nothing. Not where the
    opening is a headline that alone names the item's subject (`Tokenised.headline_subject`): another company's
    name ending a sentence there is another notice."""
    if not (change[0] and change[1]) or not _placed_in_slots(ta, ia, tb, ib, change):
        return False  # (a changed word that is no token of the slot cannot be placed: `_in_openings`)
    return _opening_against_lead(ta, ia, change[0], follows.a0, tb, follows.b0) or _opening_against_lead(
        tb, ib, change[1], follows.b0, ta, follows.a0
    )


def _opening_against_lead(
    to: Tokenised, slot: range, changed: frozenset[str], run_o: int, tl: Tokenised, run_l: int
) -> bool:
    """`_lead_for_an_opening` one way round: `to`'s differing words all in its opening, and `tl`'s token aligned
    with `to`'s story's first one (the run after the slot starts at `run_o` in `to`, `run_l` in `tl`) opening a
    sentence or a paragraph."""
    parts = {part for word in changed for part in word.split()}
    differing = [i for i in slot if to.words[i] in parts]
    start = to.opening_tokens
    if not differing or not all(i < start for i in differing) or to.headline_subject in differing:
        return False
    lead = run_l + start - run_o  # (the run goes on past the story's first word, or the words differ below)
    if start < run_o or not 0 < lead < tl.count or start >= to.count or tl.words[lead] != to.words[start]:
        return False
    return SENTENCE_BREAK.search(tl.body, tl.ends[lead - 1], tl.starts[lead]) is not None


# What ends a sentence or a paragraph between two words: a full stop, "?" or "!" (perhaps a closing quote or
# bracket) before a space, or a blank line.
SENTENCE_BREAK = re.compile(r"[.?!][\"'\u2019\u201d)\]]*\s|\n[^\S\n]*\n")


def _all_furniture(text: Tokenised, places: list[int]) -> bool:
    furniture = text.furniture
    return bool(places) and all(i in furniture for i in places)


def is_figure(word: str) -> bool:
    """Digits, or a number written as a word: "seven" against "six" ships in port is another week's report."""
    return _is_number_word(word) or _in_digits(word)


def _is_number_word(word: str) -> bool:
    """A number written as a word, or in several (_slot_words writes "twenty-five" as one word, "twenty five")."""
    return word in _NUMBER_WORDS or " " in word


@_word_cached  # (a pure function of the word, asked of each pair of a slot's words)
def _in_digits(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _scale_swapped(only_a: list[str], only_b: list[str]) -> bool:
    """Does a scale word on one side stand against one of another value on the other ("mln" against "billion",
    "bn" against "trln"), its digits kept? A figure changed, as "million" against "billion" is: the wires' "mln"
    and "bln" are no number words, and "17.1 mln" against "17.1 billion" days later was no changed figure. One
    scale in two styles ("mln" against "million") is none. ("m" and "k" alone are left out: "5 m" may be metres.)"""
    scales_a = {_FIGURE_SCALES[w] for w in only_a if w in _SCALE_TOKENS}
    scales_b = {_FIGURE_SCALES[w] for w in only_b if w in _SCALE_TOKENS}
    return bool(scales_a and scales_b) and scales_a != scales_b


_SCALE_TOKENS = frozenset(_FIGURE_SCALES) - {"k", "m"}  # (abbreviated or in full: a side may write either)


def _touches_figure(own: list[str], other: list[str]) -> bool:
    """Do one side's words of a slot touch a figure? Digits do, on one side alone. A number word does only where
    the other side has a number too: one side's "one" or "two" alone is wording, not a fact ("one of the
    largest" for "among the largest", "two years" for "a couple of years"; counted, such a sub-edit made a
    feature republished days later another article). A scale word alone never does: "412 million" written
    "412m" leaves "million" on one side, a house style (a scale against another, "million" for "billion", is a
    figure changed)."""
    if any(map(_in_digits, own)):
        return True
    return any(_is_number_word(w) and w not in _SCALE_WORDS for w in own) and any(map(is_figure, other))


_SMALL_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
# German and French numbers from two to ninety written as one word, as tokens spell them ("dreissig"), and French
# tens and units hyphenated ("trente-quatre", read as "twenty-five" is): "sechs" for "6" in a German copy days later
# was a changed figure. Left out: words that are English words or abbreviations too ("elf", "sept", "seize",
# "cent"), "un", "une", "ein" and "eine" (also "a"), and German numbers written in one word with their units
# ("fünfundzwanzig") or hundreds, and French forms built on twenty ("soixante-dix", "quatre-vingts").
_GERMAN_NUMBERS = {
    **dict(zip("zwei drei vier fünf sechs sieben acht neun zehn".split(), range(2, 11), strict=True)),
    "zwölf": 12,
    **dict(
        zip("zwanzig dreissig vierzig fünfzig sechzig siebzig achtzig neunzig".split(), range(20, 100, 10), strict=True)
    ),
    # As tokens spell them without diacritics (scheme nd5), and as a German ASCII feed writes them, in either
    # reading: no English word is so spelt (unlike "fur" and "uber", which reads_as_german leaves out).
    **{"funf": 5, "zwolf": 12, "funfzig": 50},
}
_FRENCH_NUMBERS = {
    **dict(zip("deux trois quatre cinq".split(), range(2, 6), strict=True)),
    **dict(zip("huit neuf dix onze douze treize quatorze quinze".split(), range(8, 16), strict=True)),
    **dict(zip("vingt trente quarante cinquante soixante".split(), range(20, 70, 10), strict=True)),
}
# (Ordinals are left out: "first" and "second" are mostly not figures.)
_NUMBER_WORDS = {
    **{w: n for n, w in enumerate(_SMALL_NUMBERS)},
    **{w: 20 + 10 * n for n, w in enumerate(_TENS)},
    **_SCALE_WORDS,
    **_GERMAN_NUMBERS,
    **_FRENCH_NUMBERS,
}


def other_instance(
    d: Differences,
    published_a: datetime | None,
    published_b: datetime | None,
    updated: bool = False,
    corrected: bool = False,
    marked: bool = False,
) -> bool:
    """Are two aligned texts different articles built from one template? (For a re-send, see `resent_apart`; a
    re-send but for passages one text adds is held to the same rule, the opening's names alone.) `corrected`:
    the later text says it corrects the earlier (`notes.corrects`), without which a short item's opening name respelt
    is another subject (`Differences.respelt_subject`). `marked`: it carries a correction or update mark the earlier
    does not, however late (`notes.noted`), and so is no daily item's next issue by its time alone (`_on_schedule`).

    The publication times, where both are known, are read here alone, for what the texts cannot tell: whether
    a date written for a day named relatively is that day (`RestyledDay.fits`: if not, a changed fact; without
    the times, a restyling), whether the items are more than RESEND_WINDOW apart (a changed fact is then another
    article), and whether a weekday or a date moved as far as they did (`_next_issue`). If the later text says it
    corrects or updates the earlier one (`updated`: `notes.updates`, which reads the times too), its changed figures
    and dates, however many and dense, are its corrections, not another instance of a template (still one if a
    name was replaced, the opening names another subject, or a date moved as the next issue's would)."""
    if d.new_subject or (d.respelt_subject and not corrected):
        return True
    if d.resent_but_additions:
        return False
    misdated = 0
    if published_a and published_b:
        misdated = sum(not day.fits(published_a, published_b) for day in d.restyled_days)
    facts, touched = d.fact_slots + misdated, d.touched_facts + misdated
    # A name replaced by another is another subject still (another district's results, town's forecast, team's
    # match), whatever the later text says.
    revised = updated and not d.name_facts
    if facts >= FACT_SLOTS_FOR_TEMPLATE and d.shared_tokens < SHARED_TOKENS_PER_FACT * facts and not revised:
        return True
    if touched and published_a and published_b:
        apart = published_b - published_a
        if abs(apart) > RESEND_WINDOW or _next_issue(d.date_moves, apart):
            return True
        return not marked and _on_schedule(d, published_a, published_b)
    return False


def _on_schedule(d: Differences, published_a: datetime, published_b: datetime) -> bool:
    """Is the later of two short texts (each of at most MEDIUM_ITEM_TOKENS) the next issue of a daily item by its
    time alone: published a whole number of days later to within SCHEDULE_TOLERANCE, both at a time of day, and
    differing only where a template's slot would (no day written other, no passage one text adds)? The Fed's
    repurchase report names no day: one day's and the next's, at 11:44 and 11:45, differ by the funds rate
    alone, as a correction would. A correction comes hours later, or says so (the caller asks this only of a
    later text with no correction or update mark, however late: `notes.noted`), or adds a note the marks do not read
    ("Editor's note: ..."), which an issue does not. A text dated at a whole quarter hour to the second may be
    dated only (a feed without times, its local midnight in UTC: `_maybe_a_date`); a weekday both texts name,
    published days apart other than weeks, is one story's ("said on Monday", in a copy a day later: the next
    issue would name Tuesday); and a longer text is no daily item: a republisher's copy a day later to the
    minute, one figure corrected, is a correction."""
    if d.days_changed or d.restyled_days or d.additions or d.longer_tokens > MEDIUM_ITEM_TOKENS:
        return False
    if _maybe_a_date(published_a) or _maybe_a_date(published_b):
        return False
    apart = abs(published_b - published_a)
    days = round(apart / timedelta(days=1))
    if d.weekdays_kept and days % 7:
        return False  # (a weekday both name, published days apart: one story's, which the next issue would move)
    return days >= 1 and abs(apart - timedelta(days=days)) <= SCHEDULE_TOLERANCE


def _maybe_a_date(moment: datetime) -> bool:
    """Might a publication time be a date alone, its local midnight written in UTC (whole quarter hours: every
    time zone's offset is one)? A daily item scheduled on the hour to the second is taken for one too, and judged
    as before the rule."""
    return moment.minute % 15 == 0 and moment.second == 0 and moment.microsecond == 0


def _next_issue(date_moves: frozenset[int], apart: timedelta) -> bool:
    """Did a weekday or a date move by as many days as the publication times did (`apart`, the same way round,
    give or take NEXT_ISSUE_TOLERANCE)? The later text is then the next issue of a series, tomorrow's forecast
    or a daily report, not a correction: read as one, Wednesday's forecast and Thursday's, published a day
    apart with the same figures, were one article. A wire corrects a day within hours, not a day to the hour
    later."""
    return any(days and abs(apart - timedelta(days=days)) <= NEXT_ISSUE_TOLERANCE for days in date_moves)


def resent_apart(ta: Tokenised, tb: Tokenised, corrected: bool = False) -> bool:
    """Is a re-send (raw shingle sets near-identical, similarity.IDENTICAL_JACCARD) two articles after all? If a
    short item opens with another name: another company's notice from one template, with the same figures and
    dates (names at the very start of a text change only a few shingles), or with its name respelt and no
    correction note in the later text (`corrected`, as `other_instance` reads it). Without evidence re-sends were never
    read, and two companies' such notices matched as identical. Its facts are not read, with evidence or without:
    a figure corrected in a near-identical text is a corrected copy, however late. (With evidence the whole check
    ran, and a 281-word story republished five days later with one figure corrected was another article, by the
    three-day rule, only when its passages were asked for.)"""
    if min(ta.count, tb.count) > SHORT_ITEM_TOKENS:
        return False
    d = differences(ta, tb)
    return d.new_subject or (d.respelt_subject and not corrected)
