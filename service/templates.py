"""Templated reports: same wording, different facts.

Wire services publish dividend notices, price tables and weekly statistics from one
template, so two such items share most shingles while reporting different figures,
dates or companies. A re-send or a correction of one figure shares them too, but
differs in at most one place. We align the two texts (runs of shared shingles in
the same order) and look at what sits *between* the aligned runs: each place where
both texts have a short stretch of their own is a substituted slot. Slots that
change a figure or a capitalised name are facts; two or more of them, densely
spread over the shared text, make two different articles from one template. A
changed fact in items published more than three days apart is also a different
article: re-sends and corrections follow within hours, republications within days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from service.similarity import Run, Tokenised, monotone

MAX_SLOT_TOKENS = 8  # a longer stretch on either side is an insertion or a rewrite, not a filled slot
FACT_SLOTS_FOR_TEMPLATE = 2  # one changed fact is a correction
SHARED_TOKENS_PER_FACT = 80  # template slots come every few lines; edits to a long story are sparse
RESEND_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class Differences:
    slots: int  # substituted stretches between aligned runs
    fact_slots: int  # of which change a figure or a name
    shared_tokens: int


def differences(runs: list[Run], ta: Tokenised, tb: Tokenised) -> Differences:
    chain = monotone(runs)
    if not chain:
        return Differences(0, 0, 0)
    bounds = [(0, chain[0].a0, 0, chain[0].b0)]
    bounds += [(r.a1, s.a0, r.b1, s.b0) for r, s in pairwise(chain)]
    bounds.append((chain[-1].a1, len(ta.words), chain[-1].b1, len(tb.words)))
    slots = facts = 0
    for a0, a1, b0, b1 in bounds:
        if not (0 < a1 - a0 <= MAX_SLOT_TOKENS and 0 < b1 - b0 <= MAX_SLOT_TOKENS):
            continue
        slots += 1
        if _changes_a_fact(ta, range(a0, a1), tb, range(b0, b1)):
            facts += 1
    shared = sum(r.a1 - r.a0 for r in chain)
    return Differences(slots, facts, shared)


def _changes_a_fact(ta: Tokenised, ia: range, tb: Tokenised, ib: range) -> bool:
    words_a = Counter(ta.words[i] for i in ia)
    words_b = Counter(tb.words[i] for i in ib)
    changed_a = [w for w in words_a if words_a[w] > words_b[w]]
    changed_b = [w for w in words_b if words_b[w] > words_a[w]]
    return any(_is_fact(w, ta) for w in changed_a) or any(_is_fact(w, tb) for w in changed_b)


def _is_fact(word: str, text: Tokenised) -> bool:
    """A figure (any digit) or a name (a word the text writes with a capital initial)."""
    return any(c.isdigit() for c in word) or word in text.capitalised


def other_instance(d: Differences, published_a: datetime | None, published_b: datetime | None) -> bool:
    """Are two aligned texts different articles built from one template?"""
    if d.fact_slots >= FACT_SLOTS_FOR_TEMPLATE and d.shared_tokens < SHARED_TOKENS_PER_FACT * d.fact_slots:
        return True
    if d.fact_slots and published_a and published_b:
        return abs(published_a - published_b) > RESEND_WINDOW
    return False
