"""Slots: where two aligned texts were filled differently between their shared runs.

Between two runs of shared shingles (`similarity.alignment`) each text may have a stretch of its own. A short
one on both sides is a substituted slot (a figure for a figure, a name for a name); a longer one may still be
template text whose values stand close together (`_template_slots`), or the rows of a table, read cell by
cell (`_cell_slots`, `_paired_rows`). `filled_slots` gives a stretch's slots, and `Cells` bounds what the
tables of two texts may cost to read. service.templates reads the slots for changed facts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import groupby, islice

from service.similarity import Tokenised

MAX_TABLE_ROWS = 400  # rows of a table stretch paired by their words (per side): difflib's cost
MAX_ROW_PAIRS = 20_000  # rows by rows of a table stretch (past its common first and last rows) matched by difflib
MAX_ROW_REPEATS = 8  # times a row stands in two tables before it anchors no match (`_paired_rows`)
MAX_TABLE_CELLS = 64  # differing cells read in a table stretch: facts enough, each one costly
MAX_PAIR_CELLS = 256  # differing cells read in two texts' tables (all stretches): `Cells`
MIN_STRETCH_CELLS = 8  # of MAX_PAIR_CELLS kept for each later table stretch (a table after a long one still read)
MAX_READ_CELLS = 4096  # cells of a table stretch's lines read (per side, with MAX_TABLE_ROWS): 400 rows of 10
MAX_PAIR_READ_CELLS = 8 * MAX_READ_CELLS  # table rows' cells parsed in two texts (all stretches, both sides)
MAX_EMPTY_CELLS = 64  # cells left empty counted between two tokens ("<td></td>" repeated): wider than any row
MAX_ROW_REACH = 64  # tokens read past a stretch's ends to its lines' ends (`_tabular`)
MAX_CACHED_GAP = 64  # characters of a text between two tokens whose reading as a table's parting is remembered
TEMPLATE_WORDS_SHARE = 0.5  # of a long stretch's places holding the same word on both sides: template text


class Cells:
    """What a pair of texts has left to read of its tables, over all its stretches (`_cell_slots`): differing
    cells read for facts (`left`, of MAX_PAIR_CELLS; a stretch reads at most MAX_TABLE_CELLS, and leaves
    MIN_STRETCH_CELLS for each table stretch after it, or if too few an equal share: `take`), and cells of table
    rows parsed, both sides' (`parse`, of MAX_PAIR_READ_CELLS: once spent, no later stretch is parsed). The
    table stretches are told first, in order, of the `long` ones (longer than a slot on a side,
    `templates._long_stretch`): those that may hold a row (`_may_part_cells`) and whose lines hold a table
    (`_tabular`, each side's row tags looked for once), on both sides, the cells of the lines read to tell charged
    to `parse` (once it is spent, the stretches after are told no table). Long stretches of prose keep no cells:
    40 paragraphs rewritten after a results table once left it a share of 6."""

    __slots__ = ("later", "left", "parse", "stretch", "tables")

    def __init__(self, ta: Tokenised, tb: Tokenised, long: list[tuple[range, range]]) -> None:
        self.left = MAX_PAIR_CELLS
        self.parse = MAX_PAIR_READ_CELLS
        self.stretch = 0  # (differing cells the stretch being read may still read)
        self.tables: dict[tuple[range, range], tuple[bool, bool]] = {}  # (each side's row tags)
        for ia, ib in long:
            if self.parse <= 0:
                break
            if not (_may_part_cells(ta, ia) and _may_part_cells(tb, ib)):
                continue  # (no row on a side, as a stretch of prose: told no table without reading its lines)
            tagged_a, tagged_b = _row_tagged(ta, ia), _row_tagged(tb, ib)
            table_a, read_a = _tabular(ta, ia, tagged_a)
            table_b, read_b = _tabular(tb, ib, tagged_b)  # (both sides, whichever is first: the same charge)
            self.parse -= read_a + read_b
            if table_a and table_b:
                self.tables[ia, ib] = (tagged_a, tagged_b)
        self.later = len(self.tables)  # (table stretches not yet read)

    def take(self, ia: range, ib: range) -> tuple[bool, bool] | None:
        """A long stretch is read: if a table stretch, its share of the cells left and its sides' row tags."""
        tagged = self.tables.get((ia, ib))
        if tagged is None:
            self.stretch = 0
            return None
        self.later = later = self.later - 1
        share = self.left // (later + 1)
        self.stretch = min(MAX_TABLE_CELLS, max(share, self.left - MIN_STRETCH_CELLS * later))
        return tagged


def filled_slots(
    ta: Tokenised, ia: range, tb: Tokenised, ib: range, limit: int, cells: Cells
) -> list[tuple[range, range]]:
    """The slots a stretch between aligned runs fills: itself if short on both sides; if long, the differing
    cells of the table rows it holds on both sides (`_cell_slots`, of the pair's `cells` left), or else the
    places where its words differ when it is template text (`_template_slots`). None in a longer stretch of
    prose, an insertion or a rewrite."""
    if 0 < len(ia) <= limit and 0 < len(ib) <= limit:
        return [(ia, ib)]
    tagged = cells.take(ia, ib) if ia and ib else None
    slots = _cell_slots(ta, ia, tb, ib, limit, cells, tagged) if tagged is not None else []
    return slots or _template_slots(ta, ia, tb, ib)


def _template_slots(ta: Tokenised, ia: range, tb: Tokenised, ib: range) -> list[tuple[range, range]]:
    """The places where a long stretch's words differ when it is template text whose values stand too close
    for shared shingles to part them (a forecast's "4C. Winds will be light and westerly, and there is a 20"):
    one length on both sides, the same word at most places, and two or more places apart. None in one differing
    in one place only, long because its shingles were matched to a repeat of its words elsewhere (counted as a
    fact, such a place made two copies in the dev set another report from one template)."""
    if len(ia) != len(ib) or not ia:
        return []
    same = [ta.words[i] == tb.words[j] for i, j in zip(ia, ib, strict=True)]
    if sum(same) < TEMPLATE_WORDS_SHARE * len(same):
        return []
    differing = [list(places) for kept, places in groupby(range(len(same)), key=same.__getitem__) if not kept]
    if len(differing) < 2:
        return []
    return [(ia[p[0] : p[-1] + 1], ib[p[0] : p[-1] + 1]) for p in differing]


def _cell_slots(
    ta: Tokenised, ia: range, tb: Tokenised, ib: range, limit: int, cells: Cells, tagged: tuple[bool, bool]
) -> list[tuple[range, range]]:
    """The slots of a long stretch holding a table on both sides (a results table's "Amira Castell |
    Independent | 2,114 | 51.3%"): the rows paired by their words (`_paired_rows`: a row one side adds or drops
    is an insertion), and in two rows of as many cells each pair of cells that differ, a cell being a slot (or,
    if long, template text: `_template_slots`); two rows of unequal cells are one stretch each; two rows holding
    the same cells in another order are none, and the columns' order one side changed for all its rows is read
    as the other side's. The stretch's lines that are no table rows (a note under the table) are left as a
    rewrite. Read whole, a stretch of rows is a rewrite: two divisions' election results, every row another
    candidate's name and figures, changed no fact and matched as `revised`. At most the stretch's share of the
    pair's differing cells is read (each costs `templates._changed_facts`; `cells`: MAX_TABLE_CELLS a stretch, of
    MAX_PAIR_CELLS a pair, some left for each stretch after it), and the rest of a longer stretch stays a
    rewrite; the cells of its rows parsed are charged to the pair too (MAX_PAIR_READ_CELLS). With none left of
    either, a stretch's lines are not read as a table (it is read as any stretch whose table holds no differing
    cell, for template text, `_template_slots`). An article of 40 ten-row tables against 9-row ones read 64
    cells in each stretch, ≈0.37 s for one pair; 80 tables of 400 rows whose cells all agree were parsed whole."""
    if not cells.stretch or cells.parse <= 0:
        return []
    rows_a, rows_b = _table_rows(ta, ia, tagged[0]), _table_rows(tb, ib, tagged[1])  # (`tagged`: `Cells`)
    cells.parse -= sum(len(row) for row in rows_a) + sum(len(row) for row in rows_b)  # (both, whichever is first)
    if not rows_a or not rows_b:
        return []
    words_a, words_b = [_cell_words(ta, row) for row in rows_a], [_cell_words(tb, row) for row in rows_b]
    pairs = _paired_rows(words_a, words_b)
    if pairs is None:
        return []
    orders = _column_orders([(words_a[i], words_b[j]) for i, j in pairs])
    slots: list[tuple[range, range]] = []
    for i, j in pairs:
        row_a, row_b = rows_a[i], rows_b[j]
        if sorted(words_a[i]) == sorted(words_b[j]):
            continue  # (the same cells in another order)
        if len(row_a) != len(row_b):
            row_a, row_b = [range(row_a[0].start, row_a[-1].stop)], [range(row_b[0].start, row_b[-1].stop)]
        order = orders.get(len(row_a), range(len(row_a)))
        for ca, cb in zip(row_a, [row_b[k] for k in order], strict=True):
            if [ta.words[p] for p in ca] == [tb.words[q] for q in cb] or not (ca and cb):
                continue  # (the same, or a cell one side leaves empty: an insertion)
            if not cells.stretch:
                return slots
            cells.left, cells.stretch = cells.left - 1, cells.stretch - 1
            slots += [(ca, cb)] if len(ca) <= limit and len(cb) <= limit else _template_slots(ta, ca, tb, cb)
    return slots


def _cell_words(t: Tokenised, row: list[range]) -> tuple[tuple[str, ...], ...]:
    words = t.words
    return tuple(tuple(words[cell.start : cell.stop]) for cell in row)


Row = tuple[tuple[str, ...], ...]


def _paired_rows(rows_a: list[Row], rows_b: list[Row]) -> list[tuple[int, int]] | None:
    """The rows of two tables that stand for each other: those of a block replaced by other rows on the other
    side (difflib's matching of rows by their words, made the same whichever side is first), in order. Rows the
    same on both sides need no reading; rows one side adds or drops are an insertion: paired by position, a row
    added to a rates table made every row below it another figure, and copies of one table no match. A block
    replaced by more or fewer rows is paired from its first rows, the longer's last rows an insertion: two
    wards' results of three and four candidates, read as a rewrite, changed no fact and matched as `revised`.
    None (the stretch left a rewrite) when the rows between the common first and last ones are too many to
    match (more than MAX_ROW_PAIRS rows by rows) and share one: difflib's cost grows with rows by rows, and with
    a row repeated (`0 | 0 | 0 | 0`) near rows by rows by rows, seconds for one pair; a row more than
    MAX_ROW_REPEATS times in both tables anchors no match (junk)."""
    head = 0
    while head < min(len(rows_a), len(rows_b)) and rows_a[head] == rows_b[head]:
        head += 1
    tail = 0
    while tail < min(len(rows_a), len(rows_b)) - head and rows_a[-1 - tail] == rows_b[-1 - tail]:
        tail += 1
    a, b = rows_a[head : len(rows_a) - tail], rows_b[head : len(rows_b) - tail]
    if not a or not b:
        return []
    swapped = b < a
    first, second = (b, a) if swapped else (a, b)
    if set(a).isdisjoint(b):  # (one block replaced: difflib's answer, without its cost)
        blocks: list[tuple[str, int, int, int, int]] = [("replace", 0, len(first), 0, len(second))]
    elif len(a) * len(b) > MAX_ROW_PAIRS:
        return None
    else:
        popular = {row for row, n in (Counter(a) + Counter(b)).items() if n > MAX_ROW_REPEATS}
        blocks = list(SequenceMatcher(popular.__contains__, first, second, autojunk=False).get_opcodes())
    pairs = []
    for tag, i0, i1, j0, j1 in blocks:
        if tag == "replace":  # (first rows first: the longer block's last rows are an insertion)
            pairs += [(j0 + k, i0 + k) if swapped else (i0 + k, j0 + k) for k in range(min(i1 - i0, j1 - j0))]
    return sorted((i + head, j + head) for i, j in pairs)


def _column_orders(pairs: list[tuple[Row, Row]]) -> dict[int, list[int]]:
    """For rows of each number of cells, the order one side wrote the other's columns in, if its paired rows
    holding the same cells in another order (distinct cells, so that the order is told) all agree on one: "Votes
    | Share" written "Share | Votes" in every row, the rows whose figures also changed are read column by
    column."""
    found: dict[int, set[tuple[int, ...]]] = {}
    for row_a, row_b in pairs:
        if row_a != row_b and len(row_a) == len(row_b) == len(set(row_a)) and sorted(row_a) == sorted(row_b):
            found.setdefault(len(row_a), set()).add(tuple(row_b.index(cell) for cell in row_a))
    return {cells: list(next(iter(orders))) for cells, orders in found.items() if len(orders) == 1}


def _tabular(t: Tokenised, stretch: range, tagged: bool) -> tuple[bool, int]:
    """Do the whole lines the stretch touches hold a table: two lines in a row of as many cells (two or more)?
    Prose typed with a stray double space in a line or two holds no table. (Its lines read as the stretch's,
    with row tags or without: `tagged`; and the cells of the lines read to tell, at most MAX_TABLE_ROWS lines
    and MAX_READ_CELLS cells and a line.)"""
    body, starts, ends, count = t.body, t.starts, t.ends, t.count
    start, stop, reach = stretch.start, stretch.stop, 0
    while start > 0 and reach < MAX_ROW_REACH:
        gap = body[ends[start - 1] : starts[start]]
        if gap != " " and _ends_row(gap, tagged):  # (a space, most gaps, ends none)
            break
        start, reach = start - 1, reach + 1
    reach = 0
    while stop < count and reach < MAX_ROW_REACH:
        gap = body[ends[stop - 1] : starts[stop]]
        if gap != " " and _ends_row(gap, tagged):
            break
        stop, reach = stop + 1, reach + 1
    read, before = 0, 0
    for line in _table_lines(t, range(start, stop), tagged):  # (read no further than the first two such lines)
        read += len(line)
        if len(line) == before >= 2:
            return True, read
        before = len(line)
    return False, read


def _may_part_cells(t: Tokenised, stretch: range) -> bool:
    """Might the stretch hold a table row (a line of two cells, `_table_rows`): does its text, with the text
    before and after it to the tokens beside it, hold a "|", a tab, two spaces or a "<"? Each cell's parting
    (`_parts_cells`), cell left empty (`_empty_cells`) and row tag needs one: a stretch of prose holds none, and
    is no table stretch without its lines read (0.8 MB of paragraphs, each rewritten: 60 ms a pair so, 300 ms
    with each stretch's lines read to tell, `_tabular`)."""
    start = t.ends[stretch.start - 1] if stretch.start else 0
    stop = t.starts[stretch.stop] if stretch.stop < t.count else len(t.body)
    text = t.body[start:stop]
    return "|" in text or "\t" in text or "  " in text or "<" in text


def _table_rows(t: Tokenised, stretch: range, tagged: bool | None = None) -> list[list[range]]:
    """The stretch's lines that are table rows, each as its cells (two or more), of its first MAX_TABLE_ROWS
    lines (`_table_lines`)."""
    return [line for line in _table_lines(t, stretch, tagged) if len(line) >= 2]


def _table_lines(t: Tokenised, stretch: range, tagged: bool | None = None) -> Iterator[list[range]]:
    """The stretch's lines, each as its cells: cells parted by a "|", a tab, two or more spaces, or an HTML
    cell's tags (tags are no tokens: "</td><td>" stands between two), lines by a line break or an HTML row's
    tags. In a table written with row tags (`tagged`, else `_row_tagged`: looked for once) a line break beside a
    cell's opening tag parts cells, as a pretty-printed table writes one `<td>` a line (its text on the same
    line or its own, `</td>` written or left out); in one without, each row a line of `<td>` cells, it ends a
    line. A cell left empty ("| Smith |  | 1,234 |", "<td></td>") is an empty
    range where it stands, so that the row keeps its columns (`_empty_cells`). At most MAX_TABLE_ROWS lines, and
    none after the line that reaches MAX_READ_CELLS cells (a megabyte of tag soup, each line a word and 50 empty
    cells, was 20,000 cells a side)."""
    if not stretch:
        return
    if tagged is None:
        tagged = _row_tagged(t, stretch)
    body, starts, ends, count = t.body, t.starts, t.ends, t.count
    lines, read, start = 0, 0, stretch.start
    before = body[ends[start - 1] : starts[start]] if start else "\n" + body[: starts[0]]
    ends_row, _, _, lead = _gap(before, tagged)
    line = [range(start, start)] * lead if ends_row else []
    for i in stretch:
        gap = body[ends[i] : starts[i + 1]] if i + 1 < count else "\n"
        if gap == " " and i + 1 < stretch.stop:
            continue  # (within a cell: most gaps)
        ends_row, parts, empty, lead = _gap(gap, tagged)
        if i + 1 == stretch.stop and not ends_row:
            ends_row, parts, empty = True, True, 0  # (the stretch ends inside a line: its last cell ends there)
        if parts:
            line.append(range(start, i + 1))
            if empty:
                line += [range(i + 1, i + 1)] * empty
            start = i + 1
        if ends_row:
            yield line
            lines, read = lines + 1, read + len(line)
            if lines == MAX_TABLE_ROWS or read >= MAX_READ_CELLS:
                return
            line = [range(start, start)] * lead


def _row_tagged(t: Tokenised, stretch: range) -> bool:
    """Does the stretch (with the text before and after it, to the tokens beside it) hold an HTML row's tag?
    Rows written each a line of `<td>` cells, with no row tags, are parted by their line breaks. (`_row_tags`.)"""
    start = t.ends[stretch.start - 1] if stretch.start else 0
    stop = t.starts[stretch.stop] if stretch.stop < t.count else len(t.body)
    return _row_tags(t.body[start:stop]) is not None


def _ends_row(gap: str, tagged: bool) -> bool:
    """Does the text between two tokens end a table's line (`_gap`)?"""
    return _gap(gap, tagged)[0]


def _gap(gap: str, tagged: bool) -> tuple[bool, bool, int, int]:
    """How the text between two tokens parts a table (`_read_gap`): a table's gaps repeat, and short ones are
    read once."""
    return _read_short_gap(gap, tagged) if len(gap) <= MAX_CACHED_GAP else _read_gap(gap, tagged)


def _read_gap(gap: str, tagged: bool) -> tuple[bool, bool, int, int]:
    """Does the text between two tokens end a table's line (an HTML row's tag, or a line break: but in a table
    written with row tags, `tagged`, one with a cell's opening tag in the same gap parts cells, as a table
    printed one cell a line writes "</td>\n  <td>", "</td>\n  <td>\n    " with each cell's text on a line of
    its own, or "\n  <td>" with each `</td>` left out), or part two cells of a line (`_parts_cells`)? And the
    cells it leaves empty (`_empty_cells`): at the end of the line it ends, or between the two cells it parts;
    and at the start of the line after one it ends. (A row's last cell, its `</tr>` left out as HTML allows, is
    followed by no cell's opening tag: "</td>\n</table>" ends it, and the text after the table is no cell of
    it.)"""
    if "<" in gap and (tags := _row_tags(gap)) is not None:
        trail, lead = gap[: tags[0]], gap[tags[1] :]
    elif "\n" in gap and not (tagged and _opens_cell(gap)):
        trail, lead = gap[: gap.index("\n")], gap[gap.rindex("\n") + 1 :]
    elif _parts_cells(gap):
        return False, True, _empty_cells(gap, "between"), 0
    else:
        return False, False, 0, 0
    return True, True, _empty_cells(trail, "trail"), _empty_cells(lead, "lead")


def _opens_cell(gap: str) -> bool:
    """Does a text between two tokens hold a cell's opening tag ("<td>", "<th ...>")?"""
    return "<" in gap and _OPEN_CELL_TAG.search(gap) is not None


_read_short_gap = lru_cache(maxsize=1024)(_read_gap)  # (the last 1,024 short gaps read, remembered: `_gap`)


def _empty_cells(text: str, where: str) -> int:
    """How many cells left empty a text holds where it stands in a line ("between" two cells, at the "lead" or
    "trail" of the line): counted only where unambiguous, by HTML cell tags ("<td></td>": each opened cell but
    the one a token stands in) and by "|" ("|  |": each one but the one parting two cells, or a line's border);
    tabs and runs of spaces align columns, and how many they stand for is not told. At most MAX_EMPTY_CELLS: a
    megabyte of "<td></td>" between two tokens was 116,000 cells, each a range made and compared."""
    if "<" in text and _CELL_TAG.search(text):
        opened = sum(1 for _ in islice(_OPEN_CELL_TAG.finditer(text), MAX_EMPTY_CELLS + 1))
        return min(MAX_EMPTY_CELLS, opened if where == "trail" else max(0, opened - 1))
    return min(MAX_EMPTY_CELLS, max(0, text.count("|") - 1))


def _parts_cells(gap: str) -> bool:
    """Does the text between two tokens of a line part two table cells?"""
    if "|" in gap or "\t" in gap or _CELL_TAG.search(gap):
        return True
    # (Not after a sentence's or a clause's end: "said.  The" is prose typed with two spaces.)
    return "  " in gap and not any(mark in gap for mark in ".,;:!?")


def _row_tags(text: str) -> tuple[int, int] | None:
    """Where a text's first HTML row tag starts and its last one ends (`_ROW_TAG`), if it holds one. Looked for in
    the text lowered by two patterns each opening with its literal ("<tr", "</tr"), which the engine skips to: one
    pattern opening with "<" and an optional "/", under re.I, tried each "<" of a page of tags (≈10 ms a megabyte
    of "<td></td>", read several times a stretch: ≈2 ms so). The last tag by `str.rfind`, its first few
    candidates, else by reading on from the first."""
    if "<" not in text:
        return None
    low = text.lower()
    if len(low) != len(text):  # (a letter lowered to two, "İ": the places would shift)
        tags = list(_ROW_TAG.finditer(text))
        return (tags[0].start(), tags[-1].end()) if tags else None
    found = [m for pattern in _ROW_TAG_OPENINGS if (m := pattern.search(low)) is not None]
    if not found:
        return None
    first = min(m.start() for m in found)
    last, misses = -1, 0
    for opening in ("<tr", "</tr"):
        at = low.rfind(opening)
        while at >= 0 and misses < MAX_TAG_MISSES:
            if m := _ROW_TAG.match(low, at):
                last = max(last, m.end())
                break
            at, misses = low.rfind(opening, 0, at + len(opening) - 1), misses + 1
    if misses == MAX_TAG_MISSES:  # (many "<tr" that open no tag: read on from the first tag, in one pass)
        last = max(m.end() for pattern in _ROW_TAG_OPENINGS for m in pattern.finditer(low, first))
    return first, last


_CELL_TAG = re.compile(r"</?t[dh][\s>/]", re.IGNORECASE)
_OPEN_CELL_TAG = re.compile(r"<t[dh][\s>/]", re.IGNORECASE)
_ROW_TAG = re.compile(r"</?tr[\s>/]", re.IGNORECASE)
_ROW_TAG_OPENINGS = (re.compile(r"<tr[\s>/]"), re.compile(r"</tr[\s>/]"))  # (over a lowered text: `_row_tags`)
MAX_TAG_MISSES = 8
