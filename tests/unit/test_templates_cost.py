"""Texts a pair judgment once read in time that grew faster than their length, each seconds of the writer's time
(every other caller's ingest and checks wait behind it), now read in linear time: a title of hundreds of distinct
name words (`titles._name_initials`: cubic), a number of thousands of digit groups (`_digit_groups`) and a run of
thousands of number words (`_number_in_words`: each quadratic). The work is counted, not timed."""

import random
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service import templates, titles
from service.detector import Detector
from service.model import Article
from service.settings import DetectionParams
from service.similarity import tokenised
from service.text import ND5_READING, tokens

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOTICE = "Qtly div 12 cts vs 12 cts prior\nPay April 15\nRecord March 31\nReuter"


def _judge(stored: Article, query: Article) -> None:
    detector = Detector(DetectionParams(), 1 << 20)
    prepared = detector.prepare(stored)
    detector.remember(prepared)
    detector.judge(detector.prepare(query), {stored.id: prepared.fingerprint.shingles}, {stored.id: stored})


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of templates' function `name` (one entry a call)."""
    calls: list[int] = []
    function: Callable[..., Any] = getattr(templates, name)

    def counted(*args: Any) -> Any:
        calls.append(1)
        return function(*args)

    monkeypatch.setattr(templates, name, counted)
    return calls


def _every_30th_changed(body: str, sep: str, new: str) -> str:
    parts = body.split(sep)
    for i in range(15, len(parts) - 1, 30):
        parts[i] = new if parts[i] != new else new[::-1] + "x"
    return sep.join(parts)


def test_a_number_of_thousands_of_groups_is_read_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(0)
    groups = 3000
    body = "Output was 1," + ",".join(f"{rng.randint(0, 999):03d}" for _ in range(groups)) + " tonnes this year."
    separated = _counting(monkeypatch, "_separated")
    _judge(Article("s", body, published=T0), Article("q", _every_30th_changed(body, ",", "999"), published=T0))
    assert 0 < len(separated) <= 20 * groups  # (1.6 a group; 200 when each slot walked the number)


def test_a_run_of_thousands_of_number_words_is_read_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(0)
    words = 3000
    numbers = "one two three seven twenty thirty hundred thousand million".split()
    body = "The count was " + " ".join(rng.choice(numbers) for _ in range(words)) + " in all."
    read = _counting(monkeypatch, "_in_number_in_words")
    _judge(Article("s", body, published=T0), Article("q", _every_30th_changed(body, " ", "seven"), published=T0))
    assert 0 < len(read) <= 20 * words  # (1.6 a word; 124 when each slot walked the run)


def test_a_long_title_of_distinct_names_is_read_in_linear_time() -> None:
    rng = random.Random(0)
    count = 400
    title = " ".join("B" + "".join(rng.choices(string.ascii_uppercase, k=3)) for _ in range(count))
    # (initials of runs of 3 name words at most: 2 a run, 3 runs a name word)
    assert len(titles._name_initials(title, ND5_READING, 3)) <= 6 * count
    other = " ".join("C" + "".join(rng.choices(string.ascii_uppercase, k=3)) for _ in range(count))
    stored = Article("s", NOTICE, title=title, published=T0)
    _judge(stored, Article("q", NOTICE, title=other, published=T0 + timedelta(hours=1)))  # (21 s at 800 names)


def test_a_number_of_up_to_max_groups_is_one_word_and_a_longer_run_a_word_a_group() -> None:
    longest = "1," + ",".join(["000"] * (templates.MAX_NUMBER_TOKENS - 1))
    t = tokenised(f"It was {longest} and {longest},000 in all.", 5)
    first = 2  # ("It" "was")
    assert templates._slot_words(t, range(first, first + 1)) == [longest.replace(",", "")]
    longer = first + templates.MAX_NUMBER_TOKENS + 1  # (after "and")
    assert templates._slot_words(t, range(longer, longer + 2)) == ["1", "000"]


# `_name_initials` as it was before runs were read up to the longest name wanted: the oracle.
def _old_name_initials(title: str) -> set[str]:
    words, names = tokens(title, ND5_READING), titles._title_names(title, ND5_READING)
    whole = names - titles._tickers(title)
    found: set[str] = set()
    for i, first in enumerate(words):
        if first not in names:
            continue
        run: list[str] = []
        for w in words[i:]:
            if w not in names and w not in titles._FUNCTION_WORDS:
                break
            run.append(w)
            if w in names and (not whole.isdisjoint(set(run) - titles.TITLE_GENERIC_NAME_WORDS) or whole <= set(run)):
                found.add("".join(x[0] for x in run))
                found.add("".join(x[0] for x in run if x not in titles._FUNCTION_WORDS))
    return found


_TITLE_WORDS = "INTERNATIONAL BUSINESS MACHINES BANK OF THE AMERICA FIRST NATIONAL CORP INC <IBM.N> TO SETS QTLY DIV"
_TITLE_WORDS += " AND FOR ACME GULF WESTERN 3RD"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TITLE_WORDS.split()), max_size=14), st.integers(3, 6))
def test_a_titles_initials_are_those_read_before_up_to_the_longest_name_wanted(words: list[str], longest: int) -> None:
    title = " ".join(words)
    wanted = {x for x in _old_name_initials(title) if len(x) <= longest}
    found = {x for x in titles._name_initials(title, ND5_READING, longest) if len(x) <= longest}
    # (runs of more than two function words in a row between name words are not read any more)
    if "OF THE TO" not in title and not any(
        all(w.casefold() in titles._FUNCTION_WORDS for w in words[j : j + 3]) for j in range(len(words) - 2)
    ):
        assert found == wanted
