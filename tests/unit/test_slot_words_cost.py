"""A long, much-changed text's slots are read without re-reading each word for what most words cannot be
(`templates.differences`): the answers are the same as before, the work less."""

from collections import Counter
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from service import templates
from service.similarity import Tokenised, tokenised
from service.templates import differences

# Words and separators rich in what the slot rules read: times, grouped digits, numbers in words, dollars, dates.
_WORDS = (
    "the said at by on until noon midnight 6 45 7 07 0700 1930 14h30 8 30am 2 30pm 18 12 00 GMT BST et "
    "1 500 064 000 500m 3bn 412m twenty five hundred million US A HK Nov Tues May June Sun Monday March 4 31 "
    "Kiev Kyiv centre center per cent ²²²² ١٢"
).split()
_GAPS = [" ", " ", " ", ", ", ":", ".", ". ", " $", "$", " US$", "\u00a0", "-", " (", ") "]


@st.composite
def _texts(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 40))
    words = draw(st.lists(st.sampled_from(_WORDS), min_size=n, max_size=n))
    gaps = draw(st.lists(st.sampled_from(_GAPS), min_size=n, max_size=n))
    return "".join(g + w for g, w in zip(gaps, words, strict=True)).strip() + "."


def _slot(t: Tokenised, data: st.DataObject) -> range:
    start = data.draw(st.integers(0, t.count))
    return range(start, data.draw(st.integers(start, min(t.count, start + 8))))


# The functions as they were before each word was screened first: the oracles.
def _old_times(t: Tokenised, slot: range) -> list[templates._Time]:
    found: list[templates._Time] = []
    covered = -1
    for i in slot:
        if len(found) == templates.MAX_SLOT_TIMES:
            break
        if i <= covered:
            continue
        for start in range(max(i - 4, 0), i + 1):
            time = templates._time_at(t, start)
            if time is not None and i in time.tokens:
                found.append(time)
                covered = time.tokens[-1]
                break
    return found


def _old_digit_groups(t: Tokenised, i: int) -> tuple[int, int]:
    words = t.words
    first = last = i
    while first > 0 and templates._separated(t, first - 1) and words[first - 1].isdigit():
        if not (
            templates._GROUP.fullmatch(words[first]) or (first == i and templates._LAST_GROUP.fullmatch(words[first]))
        ):
            break
        first -= 1
    while last + 1 < len(words) and words[last].isdigit() and templates._separated(t, last):
        if not templates._LAST_GROUP.fullmatch(words[last + 1]):
            break
        last += 1
    if first == last or len(words[first]) > 3:
        return i, i
    return first, last


def _old_without_us_dollar(
    ta: Tokenised, ia: range, words_a: Counter[str], tb: Tokenised, ib: range, words_b: Counter[str]
) -> tuple[Counter[str], Counter[str]]:
    us_a, us_b = templates._us_dollars(ta, ia), templates._us_dollars(tb, ib)
    drop_a, drop_b = min(us_a, templates._bare_dollars(tb, ib)), min(us_b, templates._bare_dollars(ta, ia))
    return words_a - Counter({"us": drop_a}), words_b - Counter({"us": drop_b})


@settings(max_examples=400, deadline=None)
@given(_texts(), st.data())
def test_times_and_numbers_are_found_as_when_every_token_was_read(body: str, data: st.DataObject) -> None:
    t = tokenised(body, 5)
    slot = _slot(t, data)
    with mock.patch.object(templates, "_may_open_time", lambda word: True):  # (every token read, as before)
        every = _old_times(t, slot), [templates._time_at(t, i) for i in range(t.count)]
    assert (templates._times(t, slot), [templates._time_at(t, i) for i in range(t.count)]) == every
    assert [templates._digit_groups(t, i) for i in range(t.count)] == [_old_digit_groups(t, i) for i in range(t.count)]
    assert templates._date_words(t, slot) == {t.words[i] for i in slot if templates._is_date_word(t, i)}


@settings(max_examples=300, deadline=None)
@given(_texts(), _texts(), st.data())
def test_us_dollars_are_dropped_as_before(body_a: str, body_b: str, data: st.DataObject) -> None:
    ta, tb = tokenised(body_a, 5), tokenised(body_b, 5)
    ia, ib = _slot(ta, data), _slot(tb, data)
    words_a, words_b = Counter(ta.words[i] for i in ia), Counter(tb.words[i] for i in ib)
    new = templates._without_us_dollar(ta, ia, Counter(words_a), tb, ib, Counter(words_b))
    old = _old_without_us_dollar(ta, ia, Counter(words_a), tb, ib, Counter(words_b))
    assert [list(c.items()) for c in new] == [list(c.items()) for c in old]  # (the same words, in the same order)


def test_us_right_before_a_dollar_at_a_slots_end_is_dropped_as_before() -> None:
    """The "$" right after the slot's last token is read (`_has_dollar`): a slot of "US" alone in "US$3bn"."""
    ta, tb = tokenised("they paid US$3bn for it.", 5), tokenised("they paid $3bn for it.", 5)
    ia = ib = range(2, 3)
    words_a, words_b = Counter(ta.words[i] for i in ia), Counter(tb.words[i] for i in ib)
    assert (words_a, words_b) == (Counter({"us": 1}), Counter({"3bn": 1}))
    new = templates._without_us_dollar(ta, ia, Counter(words_a), tb, ib, Counter(words_b))
    assert new == _old_without_us_dollar(ta, ia, Counter(words_a), tb, ib, Counter(words_b))
    assert new == (Counter(), Counter({"3bn": 1}))


def test_a_long_word_is_read_but_not_remembered() -> None:
    """A word's readings are remembered only for words of up to MAX_CACHED_WORD characters: a cache keeps the
    word and what was made of it after its texts are gone, and a token may be a run of any length."""
    reads = {
        "_may_open_time": templates._may_open_time,
        "_without_diacritics": templates._without_diacritics,
        "_transliteration_key": templates._transliteration_key,
        "_us_spelling": templates._us_spelling,
        "_figure_keys": templates._figure_keys,
        "_in_digits": templates._in_digits,
    }
    assert set(reads) == set(templates._WORD_CACHES)
    for cache in templates._WORD_CACHES.values():
        cache.cache_clear()
    short = "łódź" * (templates.MAX_CACHED_WORD // 4)
    long = short + "ł"
    for name, read in reads.items():
        assert read(long) == templates._WORD_CACHES[name].__wrapped__(long)
    assert [c.cache_info().currsize for c in templates._WORD_CACHES.values()] == [0] * 6
    assert templates._figure_keys(long, scaled_only=True) == frozenset(("",))
    assert templates._without_diacritics(long) == "lodz" * (templates.MAX_CACHED_WORD // 4) + "l"
    for name, read in reads.items():
        assert read(short) == templates._WORD_CACHES[name].__wrapped__(short)
    assert all(c.cache_info().currsize == 1 for c in templates._WORD_CACHES.values())


_FILLER = (
    "the harbour board met in the old customs house to hear the port engineer report on the state of the "
    "northern breakwater and the dredging of the inner basin"
)
_SWAPS = [
    ("left at 6:45 p.m. with", "left at 18:45 with"),
    ("carried 1,500 passengers", "carried 1500 passengers"),
    ("raised US$3bn from", "raised $3 billion from"),
    ("said on Wednesday in Kiev", "said on Thursday in Kyiv"),
    ("met at 0700 GMT and", "met at 7am and"),
    ("voted twenty five to six", "voted 25 to 6"),
    ("close the centre on Nov. 4 after", "close the center on November 4 after"),
    ("rose 412m or 3.5 per cent", "rose 412 million or 4.5 per cent"),
    ("by noon in London", "by 12:00 in Paris"),
    ("Mr Zelenskyy said", "Mr Zelensky said"),
    ("talks at 14h30 would", "talks at 2.30pm would"),
    ("its A$3bn offer of 1,064,000 shares", "its US$3bn offer of 1,064,001 shares"),
    ("traded at 10.30 at 10:15 a.m. on", "traded at 10.15 at 10:30 a.m. on"),
    ("on May 5, 2026 as", "on June 5, 2026 as"),
    ("at 6:45 PM, officials", "at 6:45, officials"),
    ("announced on Tuesday that", "announced on March 3 that"),
]
# What `differences` answered for each pair (`_pair`) before the change, either way round: slots, fact slots,
# shared tokens, touched facts, date moves, restyled days, name facts, new subject, re-sent, respelt subject.
_BEFORE = [
    ((3, 0, 123, 0, (), 0, 0, False, False, False), (3, 0, 123, 0, (), 0, 0, False, False, False)),
    ((4, 2, 129, 2, (), 0, 1, False, False, False), (4, 2, 129, 2, (), 0, 1, False, False, False)),
    ((3, 2, 128, 2, (), 0, 0, False, False, False), (3, 2, 128, 2, (), 0, 0, False, False, False)),
    ((3, 3, 123, 3, (-6, 1), 0, 1, False, False, False), (3, 3, 123, 3, (-1, 6), 0, 1, False, False, False)),
    ((2, 0, 125, 1, (), 0, 0, False, False, False), (2, 0, 125, 1, (), 0, 0, False, False, False)),
    ((3, 0, 123, 0, (), 1, 0, False, False, False), (3, 0, 123, 0, (), 1, 0, False, False, False)),
    ((4, 2, 130, 2, (), 0, 1, False, False, False), (4, 2, 130, 2, (), 0, 1, False, False, False)),
    ((3, 2, 128, 2, (), 0, 0, False, False, False), (3, 2, 128, 2, (), 0, 0, False, False, False)),
    ((3, 2, 123, 2, (), 0, 1, False, False, False), (3, 2, 123, 2, (), 0, 1, False, False, False)),
    ((2, 1, 124, 2, (-6, 1), 0, 0, False, False, False), (2, 1, 124, 2, (-1, 6), 0, 0, False, False, False)),
    ((3, 0, 125, 0, (), 1, 0, False, False, False), (3, 0, 125, 0, (), 1, 0, False, False, False)),
    ((4, 2, 127, 2, (), 0, 1, False, False, False), (4, 2, 127, 2, (), 0, 1, False, False, False)),
    ((3, 1, 128, 1, (), 0, 0, False, False, False), (3, 1, 128, 1, (), 0, 0, False, False, False)),
    ((3, 2, 126, 2, (), 0, 0, False, False, False), (3, 2, 126, 2, (), 0, 0, False, False, False)),
    ((2, 2, 123, 2, (-6, 1), 0, 1, False, False, False), (2, 2, 123, 2, (-1, 6), 0, 1, False, False, False)),
    ((3, 0, 124, 1, (), 1, 0, False, False, False), (3, 0, 124, 1, (), 1, 0, False, False, False)),
]


def _pair(n: int) -> tuple[str, str]:
    """Three of the swaps, each between stretches both texts share."""
    picked = [_SWAPS[(n + k * 5) % len(_SWAPS)] for k in range(3)]
    a = " ".join(f"{_FILLER} {x}" for x, _ in picked) + f" {_FILLER}."
    b = " ".join(f"{_FILLER} {y}" for _, y in picked) + f" {_FILLER}."
    return a, b


def _key(d: templates.Differences) -> tuple[object, ...]:
    moves = tuple(sorted(d.date_moves))
    counts = (d.slots, d.fact_slots, d.shared_tokens, d.touched_facts)
    return (
        *counts,
        moves,
        len(d.restyled_days),
        d.name_facts,
        d.new_subject,
        d.resent_but_additions,
        d.respelt_subject,
    )


def test_the_differences_are_those_found_before() -> None:
    for n, before in enumerate(_BEFORE):
        ta, tb = (tokenised(body, 5) for body in _pair(n))
        assert (_key(differences(ta, tb)), _key(differences(tb, ta))) == before, _pair(n)


def test_prose_is_read_for_times_only_where_a_word_may_open_one() -> None:
    """Every 12th word of a long text of prose changed: 4,095 slots. Each token of a slot was read as the start of
    a time five times over (`_times`); a word that can open no time is now passed by, unread."""
    words = "alder birch cedar damson elm fir gorse hazel ivy juniper larch maple".split()

    def body(changed: bool, n: int = 150_000) -> str:
        return " ".join(f"x{k}" if changed and k % 12 == 0 else words[k % 12] + str(k // 12 % 7) for k in range(n))

    ta, tb = tokenised(body(False) + ".", 5), tokenised(body(True) + ".", 5)
    read = mock.Mock(wraps=templates._time_at)
    with mock.patch.object(templates, "_time_at", read):
        d = differences(ta, tb)
    assert (d.slots, d.fact_slots) == (4095, 4095)
    assert read.call_count == 0  # (it was 5 for each token of each slot: 40,950)
