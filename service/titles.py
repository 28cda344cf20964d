"""Titles: two items one template fills alike, told apart by what their titles say.

A dividend notice's body names no one ("Qtly div 12 cts vs 12 cts prior Pay April 15"), so two companies'
notices are one text under two titles (`titled_apart`); a market's midsession report and its close repeat the
same background (`sessions_apart`); a series' snapshots are one quote table titled by its clock time
(`snapshots_apart`); an alert or brief filled for another place swaps the place's name in its title and its
body alike (`renamed_apart`). Each reads the titles beside what service.templates reads of the bodies, and
each can only part two texts, never join them. The detector asks `sessions_apart`, `titled_apart` and
`renamed_apart` of each screened candidate whose text is at hand, before its body is labelled
(`Detector._titled_apart`), and `snapshots_apart` before the template rules (`Detector._other_article`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import datetime, timedelta
from itertools import pairwise

from service.notes import wire_prefixes
from service.similarity import Run, Tokenised, alignment, reads_as_german
from service.templates import (
    CALENDAR_WORDS,
    MAX_SLOT_TOKENS,
    MEDIUM_ITEM_TOKENS,
    SENTENCE_BREAK,
    SHORT_ITEM_TOKENS,
    close_spelling,
    is_figure,
    loosely_transliterated,
    written_as_names,
)
from service.text import Reading, tokens

_COMPANY_FORMS = frozenset(
    "inc corp co ltd plc lp corporation company cos group holding holdings ag nv sa spa ab".split()
)
MIN_ABBREVIATION_LETTERS = 3  # a title's name read as another title's initials: "GM" is too ambiguous
# And at most this many: no title abbreviates a longer run, and the runs read grow with it (_name_initials: a title of
# hundreds of distinct name words, read against a long word, took seconds of the writer's time a pair).
MAX_ABBREVIATION_LETTERS = 12
MIN_STEM_LETTERS = 4  # `_crude_stem` leaves a shorter word whole: "uses" is no "us", "ties" no "t"
# Words of a notice's title that name no one: function words, a notice's or an earnings table's own words
# (in the Reuters corpus's short notices whose bodies name no one, "qtr", "net", "votes", "increases", "ups"
# and "hikes" head many companies' titles), company forms, and the calendar.
TITLE_COMMON_WORDS = (
    frozenset(
        "a an the and or of for in on at to by with from as its it is are be "
        "qtly qtrly quarterly div divs divi dividend dividends payout payouts sets set regular initial special "
        "extra declares declared raises raised cuts omits omitted monthly mthly semi annual interim final stock "
        "split splits cash distribution distributions votes vote voted increases increase increased ups hikes "
        "hike hiked lifts boosts lowers reduces resumes suspends pays paid payable announcement announcements "
        "qtr qtrs quarter half year mths months mos net loss profit shr revs sales oper earnings results "
        "up down end ends ended corrected correction".split()
    )
    | _COMPANY_FORMS
    | CALENDAR_WORDS
)
# Parts of many companies' names (the last dozen, of banks': "CITIZENS NATIONAL BANK"): two titles sharing only
# these may still name two companies ("FIRST UNION BANK" and "CITIZENS BANK OF OHIO"), and their initials alone
# name none ("CNB"). A title naming its company by these alone ("FIRST FEDERAL SAVINGS BANK") is still compared
# by them, for want of anything else.
TITLE_GENERIC_NAME_WORDS = frozenset(
    "first federal savings bank banks banking bancorp bancshares banc financial national american america united "
    "general international trust fund funds income investors investment capital securities industries "
    "industrial systems products resources energy services technology technologies communications enterprises "
    "properties realty insurance mortgage partners associates management consolidated loan association mutual "
    "new citizens peoples merchants farmers commerce commercial community county home security union central".split()
)
# Names a body may hold and still name no subject: the labels of a notice or an earnings table ("NOTE: Full
# name ..."), the calendar, and the agency's credit ("Qtly div 12 cts vs 12 cts prior / Pay April 15 /
# Record March 31 / Reuter").
NOTICE_BODY_WORDS = (
    frozenset(
        "qtly qtrly quarterly mthly monthly semi annual div dividend dividends pay payable record prior shr net "
        "revs rev sales oper avg note full name year reuter reuters".split()
    )
    | CALENDAR_WORDS
)


def titled_apart(title_a: str, ta: Tokenised, title_b: str, tb: Tokenised) -> bool:
    """Are two short items (<= SHORT_ITEM_TOKENS words each) different articles by their titles: both titled,
    both bodies naming no subject but their own titles' (`names_only_title`), the titles naming no subject in
    common (`_same_subject`), and neither title's names in the other's body? Then the titles name the subject
    and the bodies do not: one template's dividend notices of two companies ("HARWELL INSTRUMENTS INC <HWI>
    SETS QUARTERLY" over "Qtly div 12 cts vs 12 cts prior", and another company's title over the same words).
    A body that names someone or somewhere carries its subject itself, and a headline rarely repeats a body's
    words: without the check on bodies, re-titled copies of briefs ("Oil slips on demand worries" against
    "Crude prices ease", over one body naming Brent and China) were taken for two articles. A re-titled copy's
    headline may also use words of the body it sits on, which is the other's too: the Reuters corpus has two
    such copies whose headlines share no word. Two things do not count: for the subjects, a title's word written
    in lower case in either title or either body ("board", "approves", "conference"), which names no one (in a
    title set in title case or capitals, in any of its forms: `_ordinary_by_stem`), and a plural both titles have
    that both bodies write in the singular, the template's topic (`_topic_words`); for the bodies, a word both
    titles have, the template's, or one title has past where the other was cut short (`_cut_from`). Counted,
    "Harwell Instruments board approves quarterly dividend" and "Brantwell Group board approves quarterly
    dividend" over one body ("The board of directors ...") named one subject, and the body held a word of each
    title: the two notices matched as identical; and two markets' reports of one template matched too, "lambs"
    one subject of both and one title's "SOURCES", cut from the other, a word of the other's body."""
    if not (title_a and title_b) or max(ta.count, tb.count) > SHORT_ITEM_TOKENS:
        return False
    if not (names_only_title(ta, title_a) and names_only_title(tb, title_b)):
        return False
    reading = ta.reading  # (titles read as the bodies are)
    words_a, words_b = tokens(title_a, reading), tokens(title_b, reading)
    names_a, names_b = _names_in(words_a), _names_in(words_b)
    ordinary = _written_lower_case(
        Tokenised(title_a, 1, reading=reading), Tokenised(title_b, 1, reading=reading), ta, tb
    )
    topic = _topic_words(words_a, names_a, ta, words_b, names_b, tb)
    subject_a = _not_ordinary(title_a, names_a - topic, ordinary, reading)
    subject_b = _not_ordinary(title_b, names_b - topic, ordinary, reading)
    if not subject_a or not subject_b or _same_subject(title_a, subject_a, title_b, subject_b, reading):
        return False
    own_a = names_a - names_b - _cut_from(words_a, words_b)
    own_b = names_b - names_a - _cut_from(words_b, words_a)
    return own_a.isdisjoint(tb.words) and own_b.isdisjoint(ta.words)


def _topic_words(
    words_a: list[str], names_a: set[str], ta: Tokenised, words_b: list[str], names_b: set[str], tb: Tokenised
) -> set[str]:
    """The plurals both titles have, each after a name of its own title alone, whose singular both bodies write and
    neither body the plural itself: what one template's reports are about, not whom. A market's reports are titled
    by the market and then the topic ("KELLICK LAMBS UP 1.00 DLR" and "DUNHOLT LAMBS OPEN UP 1.50 DLR" over "Lamb
    prices opened ... higher"): "lambs", in both titles and as "Lamb" in both bodies, names no subject, yet counted
    as one, it made every market's report the same article (the Reuters corpus's hog markets' openings). Only a
    word the bodies spell otherwise: a name both titles and both bodies write as it is, a company's ("HARWELL" over
    "Harwell Instruments said ..."), is whom the two are about, and dropped, the copies of one brief under a ticker
    and under a wire's "UPDATE 1-" were parted. And only after each title's own name, in the market's place: a
    plural name whose singular the bodies write as an adjective ("Philippines" over "Philippine central bank ...")
    is the subject, and dropped, a dateline against an outlet's tag ("MANILA - Philippines raises key rate",
    "Philippines raises key rate - BusinessWorld") parted the copies."""
    plurals = {w for w in names_a & names_b if w.endswith("s")}
    if not plurals:
        return set()
    own_a, own_b = names_a - names_b, names_b - names_a
    body_a, body_b = set(ta.words), set(tb.words)
    return {
        w
        for w in plurals
        if w not in body_a
        and w not in body_b
        and (singular := _singular_or_not(w)[-1]) in body_a
        and singular in body_b
        and not own_a.isdisjoint(words_a[: words_a.index(w)])
        and not own_b.isdisjoint(words_b[: words_b.index(w)])
    }


def _cut_from(words: list[str], others: list[str]) -> set[str]:
    """The last word of a title's `words`, if the other title's (`others`) looks cut short just before it: its last
    two words are the two words of the title before it. A wire's titles are cut at a width ("... DLR - PRIVATE" for
    "... DLR - PRIVATE SOURCES"), and the word cut is the other title's too. One word (CUT_WORDS): a title longer by
    a phrase ("Harwell warns of lower first-quarter profit on weak copper prices" against "Kellick miner warns of
    lower first-quarter profit") is another outlet's headline, whose words in the other body are what tell it a
    copy."""
    if len(others) < 2:
        return set()
    cut = len(words) - CUT_WORDS
    return set(words[cut:]) if cut >= 2 and words[cut - 2 : cut] == others[-2:] else set()


def sessions_apart(title_a: str, title_b: str, reading: Reading) -> bool:
    """Are two titled items reports of one market at two parts of its trading day: both titles opening with the same
    words, the market's name (MARKET_NAME_WORDS: "CBT CORN", "LME COPPER"), one naming the middle of the session
    ("AT MIDSESSION") and the other its opening or its close ("EARLY", "OPENS", "CLOSES", "SETTLE"), and neither a
    part the other names (past a wire's prefixes: "UPDATE 1-CBT CORN ... CLOSE" is the market's close)? A market's
    midsession report and its close are two reports, each with the figures of its hour, though the close repeats
    whole paragraphs of the earlier one (the background, who bought): the Reuters corpus's grain and metal markets'
    midsession and closing reports matched as `revised`. "Midsession" is what says a title is a market's report:
    "midday" and "noon" are also a deadline's ("New York subway to shut at noon" is a copy of "New York subway to
    close as storm nears"), "CLOSE" and "OPEN" a plant's or an office's, and "EARLY" a retirement's. The caller
    holds it to texts that are no re-send (`Detector._titled_apart`: raw Jaccard under 0.9): the same report
    re-titled is a copy whatever its titles say."""
    if not (_MIDSESSION_WRITTEN.search(title_a) or _MIDSESSION_WRITTEN.search(title_b)):
        return False  # (most titles: the rule's one cheap test first)
    words_a, words_b = tokens(_past_prefixes(title_a), reading), tokens(_past_prefixes(title_b), reading)
    if words_a[:MARKET_NAME_WORDS] != words_b[:MARKET_NAME_WORDS] or len(words_a) <= MARKET_NAME_WORDS:
        return False
    parts_a, parts_b = _session_parts(words_a), _session_parts(words_b)
    return bool(parts_a and parts_b) and parts_a.isdisjoint(parts_b) and _MIDSESSION in parts_a | parts_b


def snapshots_apart(title_a: str, title_b: str, published_a: datetime | None, published_b: datetime | None) -> bool:
    """Are two titled items two snapshots of one series: titles the same but for a clock time each writes ("MIDWEST
    GRAIN FUTURES 11:50 EDT" and "... 12:00 EDT"), the times moving as far as the publication times did, within
    SNAPSHOT_TOLERANCE? A market's quotes sent every ten minutes are one table, a figure or two changed from one to
    the next, and the Reuters corpus's matched as `revised`. A time only restyled ("9:05" and "09:05", "14:00" and
    "2:00") moves nothing. The publication times must be known and must agree: a time corrected in a story's title
    ("Ferry to sail at 14:00" put right to "15:00" two hours later) moves by what the correction says, not by when
    it came, and the notes that would say so are not all read (`notes.noted`). The caller holds it to texts that are no
    re-send (an unchanged table sent again under the next time is a copy) and that carry no correction or update
    mark the other lacks (`Detector._other_article`). Only a time with a colon: "11.50" is a figure as often as a
    time."""
    if published_a is None or published_b is None:
        return False
    times_a, times_b = _CLOCK.findall(title_a), _CLOCK.findall(title_b)
    if not times_a or len(times_a) != len(times_b):
        return False
    if _CLOCK.sub("#", title_a).casefold().split() != _CLOCK.sub("#", title_b).casefold().split():
        return False
    moves = {_minutes_moved(x, y) for x, y in zip(times_a, times_b, strict=True)} - {0}
    if len(moves) != 1:
        return False
    apart = (published_b - published_a).total_seconds() / 60
    return abs(moves.pop() - apart) <= SNAPSHOT_TOLERANCE.total_seconds() / 60


def _minutes_moved(time_a: tuple[str, str], time_b: tuple[str, str]) -> int:
    """How far a clock time moved, in minutes, on a twelve-hour dial (-359 to 360): "11:50" to "12:00" is 10, "2:00"
    to "14:00" none."""
    a, b = int(time_a[0]) * 60 + int(time_a[1]), int(time_b[0]) * 60 + int(time_b[1])
    moved = (b - a) % 720
    return moved - 720 if moved > 360 else moved


SNAPSHOT_TOLERANCE = timedelta(minutes=15)  # a snapshot is sent a few minutes after the time its title gives
_CLOCK = re.compile(r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")


def _past_prefixes(title: str) -> str:
    """The title past its wire's prefixes (`wire_prefixes`: "UPDATE 1-", "CORRECTED - ", "RPT-")."""
    prefixes = wire_prefixes(title)
    return title[prefixes[-1].end() :] if prefixes else title


def _session_parts(words: list[str]) -> set[str]:
    """The parts of a trading day a title's words name (`_SESSION_PARTS`), "MID-SESSION" as one word."""
    joined = [a + b for a, b in pairwise(words) if a == "mid"]
    return {_SESSION_PARTS[w] for w in words + joined if w in _SESSION_PARTS}


MARKET_NAME_WORDS = 2  # a market's reports open their titles with its name ("CBT CORN", "LME COPPER")
CUT_WORDS = 1  # the words a wire's title loses when cut at its width (`_cut_from`): a title is cut by one
_MIDSESSION = "middle"
_MIDSESSION_WRITTEN = re.compile(r"mid[\W_]?session", re.IGNORECASE)
_SESSION_PARTS = {
    **dict.fromkeys("open opens opened opening early".split(), "opening"),
    "midsession": _MIDSESSION,
    **dict.fromkeys("close closes closed closing settle settles settled".split(), "close"),
}


def renamed_apart(title_a: str, ta: Tokenised, title_b: str, tb: Tokenised) -> bool:
    """Are two titled items of MEDIUM_ITEM_TOKENS words or fewer each different articles because a name in the
    title is swapped for another in the body too: a name of one title alone that its body writes as a name and
    the other body never writes, against such a name of the other title, the two standing between the same
    aligned runs of the bodies, and no respelling of each other (`close_spelling`)? That is one template
    filled for another place or subject: a flood warning "for Kellick County" under "Flood warning issued for
    Kellick County" and the same warning for Dunholt County, six minutes apart. One changed place is one fact
    (a correction, by the dense-facts rule), the item is too long for the opening-name rule, and with a fact
    that few shingles apart the bodies are a re-send: the six counties' warnings were one `identical` group.
    Swapped in the body alone, or in the title alone, it is a correction or a re-titled copy still; swapped in
    both, a place corrected in title and body ("Kellick" for "Dunholt", not "Kellock") is taken for another
    item too. Only a swap inside the text counts, between two shared passages, each side's gap a slot's length
    (MAX_SLOT_TOKENS) or less, or before the first shared passage where it starts inside the first sentence on both
    sides (`_lead_renamed`), and only names written past the body's opening (`Tokenised.opening_tokens`): a
    regional copy's own top line or closing local line under a local title, or a dateline's place under a
    title naming it, is a copy of the same story (each was parted so, and matched nothing). And only in the
    body's first sentence past its opening (`_lead_end`), where an alert or a brief names what it is about: two
    regional editions of one warning, each closing with a local line under a title of its own ("In Kellick, the
    council has handed out sandbags ..."), are copies of one story too."""
    if not (title_a and title_b) or max(ta.count, tb.count) > MEDIUM_ITEM_TOKENS:
        return False
    reading = ta.reading  # (titles read as the bodies are)
    names_a, names_b = _title_names(title_a, reading), _title_names(title_b, reading)
    gone, come = names_a - names_b - set(tb.words), names_b - names_a - set(ta.words)
    if gone and come:  # (the names the bodies write are read only then, past their openings)
        gone &= written_as_names(ta, range(ta.opening_tokens, ta.count))
        come &= written_as_names(tb, range(tb.opening_tokens, tb.count))
    if not (gone and come):
        return False
    chain = alignment(ta, tb)
    lead_a, lead_b = _lead_end(ta), _lead_end(tb)
    if chain and _lead_renamed(ta, tb, chain[0], lead_a, lead_b, gone, come):
        return True
    for r, s in pairwise(chain):
        a0, a1, b0, b1 = max(r.a1, ta.opening_tokens), s.a0, max(r.b1, tb.opening_tokens), s.b0
        if not (0 < a1 - a0 <= MAX_SLOT_TOKENS and 0 < b1 - b0 <= MAX_SLOT_TOKENS):
            continue
        if a0 >= lead_a or b0 >= lead_b:
            break  # (past the first sentence: a local line, no other fill of the template)
        if _swapped(gone.intersection(ta.words[a0:a1]), come.intersection(tb.words[b0:b1])):
            return True
    return False


def _lead_renamed(
    ta: Tokenised, tb: Tokenised, first: Run, lead_a: int, lead_b: int, gone: set[str], come: set[str]
) -> bool:
    """`renamed_apart` at the start of the story: the first sentence opens differently on the two sides, naming one
    title's name on one side and the other title's on the other, and goes on the same (the first aligned run, `first`,
    starts inside both first sentences): one template's notice for another subject, its name the sentence's subject
    ("Chevron Corp's Chevron USA Inc is being awarded a 50.3 mln dlr ... contract for jet fuel" against "Pride
    Refining Co of Abilene, Texas, is being awarded a 75 mln dlr contract for jet fuel", under titles naming each).
    The stretch is too long for a slot, so the template check read it as a rewrite, and the two companies' contracts
    were one story. A top line of a sentence of its own before the shared story (a regional copy's) ends before the
    run, and counts no more than before (`renamed_apart`: swaps past the opening alone)."""
    a0, a1, b0, b1 = ta.opening_tokens, first.a0, tb.opening_tokens, first.b0
    if not (a0 < a1 < lead_a and b0 < b1 < lead_b) or not (_has_lower_case(ta) and _has_lower_case(tb)):
        return False  # (a text set in capitals writes every word as a name)
    here_a = {ta.words[i] for i in range(a0, a1) if ta.words[i] in gone and (i > a0 or _named_at_start(ta, i))}
    here_b = {tb.words[i] for i in range(b0, b1) if tb.words[i] in come and (i > b0 or _named_at_start(tb, i))}
    return _swapped(here_a, here_b)


def _swapped(here_a: set[str], here_b: set[str]) -> bool:
    """Does a name of one side stand against a name of the other that is no respelling of it (`close_spelling`,
    `loosely_transliterated`)?"""
    return any(not (close_spelling(a, b) or loosely_transliterated(a, b)) for a in here_a for b in here_b)


def _has_lower_case(t: Tokenised) -> bool:
    return any(c.islower() for c in t.body)


def _named_at_start(t: Tokenised, i: int) -> bool:
    """Is the word that opens the story at `i` a name: joined by spaces alone to a name after it ("Pride Refining Co
    of ..."), or written as a name inside a sentence elsewhere in the text ("Chevron Corp's Chevron USA Inc")? Its
    capital alone tells nothing there: a dateline the opening does not know ("KELLICK: The ...", "KELLICK,
    Ore.—The ..."), a top line's first word ("Kellick residents urged to prepare: The ..."), or a common word ("Shares
    of Acme soared ..." against "Stock of Acme jumped ...") would part two copies of one story."""
    if i + 1 < t.count and t.name_at[i + 1] and t.body[t.ends[i] : t.starts[i + 1]].isspace():
        return True
    word = t.words[i]
    return any(t.words[j] == word and t.name_at[j] and not _opens_sentence(t, j) for j in range(t.count) if j != i)


def _opens_sentence(t: Tokenised, j: int) -> bool:
    """Does token `j` open the text, its story (past the opening), or a sentence?"""
    return j in (0, t.opening_tokens) or SENTENCE_BREAK.search(t.body, t.ends[j - 1], t.starts[j]) is not None


def _lead_end(t: Tokenised) -> int:
    """The token after the body's first sentence past its opening (`SENTENCE_BREAK`; the body's end if none).
    A full stop inside a dotted token ("U.S.", "6 p.m. Wednesday") or after a short title's abbreviation ("Mt.
    Ashby", "Gov.") ends no sentence (`_abbreviation_stop`): taken for one, it cut the lead before the place an
    alert is for, and two counties' flood warnings matched. A dotted token's full stop does end one before a blank
    line or a word that only opens a sentence (`_SENTENCE_OPENERS`: "... buyers in the U.S. The company said"):
    read as none, the first sentence ran on into the next, and a swap there was counted too. Any other word is
    still read as going on: one that may go on a name ("U.S. Treasury", "U.S. Under Secretary"), and a
    preposition or conjunction a wire capitalises after an abbreviation ("in the U.S. And Canada")."""
    start = t.opening_tokens
    if start >= t.count:
        return t.count
    at = t.starts[start]
    while (found := SENTENCE_BREAK.search(t.body, at)) is not None:
        if not _abbreviation_stop(t.body, found.start()):
            return bisect_left(t.starts, found.end())
        at = found.end()
    return t.count


# Short titles (and places' words) a full stop follows without ending a sentence, written capitalised ("St.").
_TITLE_ABBREVIATIONS = frozenset("st mt mr mrs ms dr gov sen rep lt col gen ft".split())
# A dotted token's letters before its last full stop: "U.S", "p.m", "a.m" (not a figure's "3.5", nor "www.example").
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")
# Words that, capitalised after a dotted token's full stop ("... in the U.S. The company said"), open a sentence:
# articles, subject pronouns and possessives, which go on no name and no sentence after "U.S." or "U.K.". Not
# conjunctions, prepositions or adverbs: a wire capitalises a word after any abbreviation, and Reuters-21578
# writes "sales in the U.S. And Canada", "a joint venture in the U.S. To produce parts", "a trip to the U.S.
# Because of ...", "U.K. Based" mid-sentence; nor "this" or "that" ("in the U.S. This year", "U.S. That"), nor
# words that go on a name ("U.S. Under Secretary", "U.S. First Lady"). "The" stays one though a name may open
# with it: "The" before a capitalised word ends the first sentence of two of the 24 Reuters-21578 items whose end
# these words moved ("... Permian Partners L.P.\n    The Permian Partners L.P. was ...", "... Lyons, N.Y.\n
# The EPA said ..."), as in "in the U.S. The Federal Reserve said", but not before a place named with it
# (`_THE_PLACE`: "officials in the U.S. The Hague office and Kellick County signed" goes on the sentence).
_SENTENCE_OPENERS = frozenset("a an the it he she they we i you its his her their our these those".split())
# The word after a full stop and its spaces (past an opening quote or bracket), and whether the spaces held a
# blank line. A word only if a space, closing punctuation or the text's end follows it: "A-10", "A321",
# "A-level", "A.I.", "I-95" and "A's" are no "A" or "I" (read as the article or the pronoun, they ended a first
# sentence "A U.S. A-10 jet landed near Kellick County ..." before its county, and two counties' reports
# matched). (So "U.S. It's" and "U.S. I'm" go on the sentence, as before these words.)
_NEXT_WORD = re.compile(r"\.[\"'\u2019\u201d)\]]*(\s+)[(\"'\u2018\u201c]*(?:([^\W\d_]+)(?=[\s,;:!?\"\u201d)\]]|\Z))?")


# Places named with "The" ("U.S. The Hague", "U.K. The Netherlands"): "The" before them opens no sentence.
_THE_PLACE = re.compile(r"[^\S\n]+(?:Hague|Gambia|Bronx|Netherlands|Bahamas)\b")


def _abbreviation_stop(body: str, stop: int) -> bool:
    """Is the full stop at `stop` one of a dotted token ("U.S.", "p.m.") or of a short title's abbreviation
    (_TITLE_ABBREVIATIONS, capitalised: "Mt.", "Dr.")? A dotted token's full stop before a blank line or a
    sentence's opening word (`_SENTENCE_OPENERS`, capitalised: "The", not "THE" in a text set in capitals) is a
    sentence's end all the same."""
    if body[stop] != ".":
        return False
    begin = stop
    while begin > 0 and not body[begin - 1].isspace():
        begin -= 1
    token = body[begin:stop].lstrip("(\"'\u2018\u201c")
    if token[:1].isupper() and token.lower() in _TITLE_ABBREVIATIONS:
        return True
    if _DOTTED.fullmatch(token) is None:
        return False
    after = _NEXT_WORD.match(body, stop)
    if after is None:
        return True
    space, word = after.group(1), after.group(2) or ""
    opens = word.lower() in _SENTENCE_OPENERS and word[:1].isupper() and (len(word) == 1 or word[1:].islower())
    if opens and word == "The" and _THE_PLACE.match(body, after.end()):
        opens = False  # ("U.S. The Hague": a place's name)
    return not (opens or space.count("\n") >= 2)


def _written_lower_case(*texts: Tokenised) -> set[str]:
    """The words these texts write in lower case somewhere: ordinary words, whatever a title makes of them."""
    return {w for t in texts for i, w in enumerate(t.words) if t.raw(i).islower()}


def _not_ordinary(title: str, names: set[str], ordinary: set[str], reading: Reading) -> set[str]:
    """The title's `names` that are no ordinary word (`_written_lower_case`). In a title set in title case or in
    capitals (`_ordinary_by_stem`) a word is compared by its crude stem (`_crude_stem`): there "Approves" is
    written so whatever it is, and may be "approved" in the body. In a sentence-case title an ordinary word is
    written in lower case, so it is compared as written: by stems, "Peoples Bank board approves quarterly
    dividend" over a body saying "people" named no one but a bank, and "Citizens Bank ..." over it was the same
    article. Its first word, capitalised whatever it is, is compared by stem when other names are left: "Rebates
    kept unchanged at Harwell Instruments board" over a body saying "rebate" named a subject "rebates", which
    another company's notice shared; "Peoples board approves ..." names the company by it alone."""
    stems = {_crude_stem(w) for w in ordinary}
    if _ordinary_by_stem(title):
        return {n for n in names if _crude_stem(n) not in stems}
    kept = names - ordinary
    first = set(Tokenised(title, 1, reading=reading).words[:1])
    without_first = {n for n in kept if not (n in first and _crude_stem(n) in stems)}
    return without_first or kept


def _ordinary_by_stem(title: str) -> bool:
    """Is the title set in title case or in capitals: more than half of its words (those with a letter) begin
    with a capital? Then its ordinary words are capitalised too ("Harwell Instruments Board Approves Quarterly
    Dividend", "HARWELL INSTRUMENTS SETS QUARTERLY"), where a sentence-case title has its subject's names alone
    ("Harwell Instruments board approves quarterly dividend": two of six)."""
    words = [w for w in title.split() if any(c.isalpha() for c in w)]
    capitalised = sum(next(c for c in w if c.isalpha()).isupper() for w in words)
    return 2 * capitalised > len(words)


def _crude_stem(word: str) -> str:
    """The word less an ending of an English verb's or noun's forms ("approves", "approved", "approving" and
    "approve" are "approv"; "dividends" "dividend"), kept to MIN_STEM_LETTERS letters or more. Crude: it
    makes "wells" "well" and "peoples" one with "people", which is why it only says which words of a title in
    title case or capitals are ordinary (`_not_ordinary`)."""
    for ending in _STEM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM_LETTERS:
            return word[: -len(ending)]
    return word


_STEM_ENDINGS = ("ing", "ies", "es", "ed", "e", "s")


def names_only_title(text: Tokenised, title: str) -> bool:
    """Does a body name no subject but its title's: no word written as a name but the title's own words (a
    notice's "NOTE: Full name Harwell Instruments Inc"), or ones the title has with a plural's "s" ("Hog" under
    "HOGS": `_singular_or_not`), a notice's labels, the calendar, figures, company
    forms, the agency's credit and single letters (initials)? Names in a notice's footnote, from a line opening
    "NOTE:" on, do not count: there a notice names its exchange, its city or its company's full name ("NOTE:
    Shares trade on Nasdaq", "NOTE: Full name is Harwell Widget Inc"), not the subject its title names, and
    counted, they made two companies' notices under their own titles match. Unknown in German text, where
    nouns have capitals, and never so in text set in capitals, where every word is written as a name."""
    if reads_as_german(text.words):
        return False
    own = {form for w in tokens(title, text.reading) for form in _singular_or_not(w)}  # (a title's "HOGS": "Hog")
    return all(
        len(w) == 1 or w in NOTICE_BODY_WORDS or w in _COMPANY_FORMS or w in own or is_figure(w)
        for w in _names_before_note(text)
    )


def _singular_or_not(word: str) -> tuple[str, ...]:
    """The word, and the word less a plural's "s" (`_crude_stem` keeps short words whole: "hogs" stays "hogs")."""
    return (word, word[:-1]) if len(word) > 2 and word.endswith("s") else (word,)


def _names_before_note(text: Tokenised) -> set[str]:
    """The words the body writes as names before its first line opening with a "NOTE:" label."""
    note = _NOTE_LINE.search(text.body)
    end = bisect_left(text.starts, note.start()) if note else len(text.words)
    return {w for w, named in zip(text.words[:end], text.name_at[:end].tolist(), strict=True) if named}


_NOTE_LINE = re.compile(r"^[^\S\n]*(?:NOTES?|Notes?)[^\S\n]*:", re.MULTILINE)


def _same_subject(title_a: str, names_a: set[str], title_b: str, names_b: set[str], reading: Reading) -> bool:
    """Do two titles name one subject: a name word in common, not counting words that are parts of many
    companies' names when both titles have words of their own ("FIRST UNION BANK" against "CITIZENS BANK OF
    OHIO" share only "bank"), or one title's word the initials of words of the other ("IBM" for
    "INTERNATIONAL BUSINESS MACHINES"), unless each title carries a ticker and they differ ("FNB CORP <FNBC>"
    is no "FIRST NATIONAL BANK OF OHIO <FNBO>")?"""
    own_a, own_b = names_a - TITLE_GENERIC_NAME_WORDS, names_b - TITLE_GENERIC_NAME_WORDS
    if not (own_a and own_b):  # (a title named by generic words only: "FIRST FEDERAL SAVINGS BANK")
        own_a, own_b = names_a, names_b
    if not own_a.isdisjoint(own_b):
        return True
    tickers_a, tickers_b = _tickers(title_a), _tickers(title_b)
    if tickers_a and tickers_b and tickers_a.isdisjoint(tickers_b):
        return False  # (initials are a guess; a company's own ticker is not)
    return _abbreviates(names_a, title_b, reading) or _abbreviates(names_b, title_a, reading)


def _tickers(title: str) -> set[str]:
    """The title's tickers, less their exchange letters ("<HWI.O>" is "hwi")."""
    return {found.group(1).casefold() for found in _TICKER.finditer(title)}


_TICKER = re.compile(r"<([^\W_]+)(?:\.[^\W_]+)?>")


def _abbreviates(names: set[str], title: str, reading: Reading) -> bool:
    """Is one of these names (of 3 letters or more) exactly the initials of a run of consecutive name words of
    `title` (`_title_names`), function words between them counted or not ("ibm" for "INTERNATIONAL BUSINESS
    MACHINES", "boa" or "ba" for "BANK OF AMERICA")? Only name words: with a notice's own words and company forms
    counted, and any stretch of the initials taken, "SQ INDUSTRIES" abbreviated "Sets Quarterly" and "TUC INC"
    "TEXAS UTILITIES CO", and two companies' notices matched as identical. Two letters are too few: "GM" is
    General Motors, General Mills or Grand Metropolitan, and so many two-letter names are some run's initials.
    A run of generic name words alone (TITLE_GENERIC_NAME_WORDS) counts only as the title's whole name: "FNB"
    is the initials of a hundred "FIRST NATIONAL BANK"s, and read as "FIRST NATIONAL BANK OF OHIO" it made two
    banks' notices identical; "BOA" is still "BANK OF AMERICA"."""
    wanted = {n for n in names if MIN_ABBREVIATION_LETTERS <= len(n) <= MAX_ABBREVIATION_LETTERS and n.isalpha()}
    return bool(wanted) and not wanted.isdisjoint(_name_initials(title, reading, max(map(len, wanted), default=0)))


def _name_initials(title: str, reading: Reading, longest: int) -> set[str]:
    """The initials of every run of the title's name words that starts and ends on a name word, with function words
    between them (each run twice: with and without the function words' initials), and has a name word that is no
    generic name part or is the title's whole name (all its names but its tickers); of runs of `longest` name words
    at most, and three times as many words in all (room for two function words between each two name words: "OF
    THE"), so the work grows with the title's words times `longest`, not with their cube."""
    words, names = tokens(title, reading), _title_names(title, reading)
    whole = names - _tickers(title)
    found: set[str] = set()
    for i, first in enumerate(words):
        if first not in names:
            continue
        initials, named = "", ""  # (the run's initials, and those of its name words alone)
        own, covered = False, set[str]()  # (a name word of the title's own in the run; the whole name's words in it)
        for w in words[i : i + 3 * longest]:
            if w not in names and w not in _FUNCTION_WORDS:
                break
            initials += w[0]
            if w in _FUNCTION_WORDS:
                continue
            named += w[0]
            if len(named) > longest:
                break
            if w in whole:
                covered.add(w)
                own = own or w not in TITLE_GENERIC_NAME_WORDS
            if own or len(covered) == len(whole):
                found.update((initials, named))
    return found


_FUNCTION_WORDS = frozenset("a an the and of for in on at to by with from".split())


def _title_names(title: str, reading: Reading) -> set[str]:
    """The title's words that may name a subject ("<HWI.O>" is "hwi": a ticker's exchange letter, an
    initial and "U.S." cut to letters name no one; a figure, "3RD" or "NINE", names no one either)."""
    return _names_in(tokens(title, reading))


def _names_in(words: list[str]) -> set[str]:
    """`_title_names` of a title's tokens."""
    return {w for w in words if len(w) > 1 and w not in TITLE_COMMON_WORDS and not is_figure(w)}
