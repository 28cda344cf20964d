"""Local outcomes merged into a stream's answers in input order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from client.ordered import in_order, ordered_map


def doubled(items: Iterable[int]) -> Iterator[int]:
    for item in items:
        yield 2 * item


def test_local_outcomes_keep_their_place_at_the_start_middle_and_end() -> None:
    items: list[int | str] = ["bad0", 1, 2, "bad3", "bad4", 5, "bad6"]
    assert list(in_order(items, int, doubled)) == ["bad0", 2, 4, "bad3", "bad4", 10, "bad6"]


def test_only_local_outcomes_or_only_sent_items() -> None:
    assert list(in_order(["x", "y"], int, doubled)) == ["x", "y"]
    assert list(in_order([1, 2, 3], int, doubled)) == [2, 4, 6]
    assert list(in_order([], int, doubled)) == []


def test_sent_items_are_read_lazily_as_the_sender_asks() -> None:
    read: list[int | str] = []

    def source() -> Iterator[int | str]:
        items: list[int | str] = [1, "bad", 2, 3]
        for item in items:
            read.append(item)
            yield item

    merged = in_order(source(), int, doubled)
    assert next(merged) == 2
    assert read == [1]  # nothing read ahead of what the sender asked for


def test_a_failing_sender_still_reports_the_local_outcomes_before_its_first_unanswered_item() -> None:
    def fails_after_one(items: Iterable[int]) -> Iterator[int]:
        it = iter(items)
        yield 2 * next(it)
        next(it)  # read, never answered
        raise OSError("disk gone")

    merged = in_order(["bad0", 1, "bad2", 3, "bad4"], int, fails_after_one)
    assert next(merged) == "bad0"
    assert next(merged) == 2
    assert next(merged) == "bad2"  # before item 3, which has no answer: still in order
    with pytest.raises(OSError, match="disk gone"):
        next(merged)


def test_ordered_map_keeps_input_order_and_at_most_window_calls_in_flight() -> None:
    lock = threading.Lock()
    running = peak = 0
    read = 0

    def source() -> Iterator[int]:
        nonlocal read
        for n in range(40):
            read += 1
            yield n

    def slow_square(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.001 * (n % 3))  # (work of uneven length, so calls finish out of order)
        with lock:
            running -= 1
        return n * n

    with ThreadPoolExecutor(8) as pool:
        results = ordered_map(pool, slow_square, source(), window=4)
        assert next(results) == 0
        assert read <= 5  # read as answers are taken, not all at once as Executor.map does
        assert [0, *results] == [n * n for n in range(40)]
    assert 1 <= peak <= 4


def test_ordered_map_answers_what_was_read_before_the_source_failed_then_raises() -> None:
    def source() -> Iterator[int]:
        yield from (1, 2, 3)
        raise ValueError("line 4 unreadable")

    with ThreadPoolExecutor(2) as pool:
        results = ordered_map(pool, lambda n: -n, source(), window=8)
        assert [next(results) for _ in range(3)] == [-1, -2, -3]
        with pytest.raises(ValueError, match="line 4"):
            next(results)


def test_ordered_map_gives_the_results_it_has_when_the_next_item_is_not_to_hand() -> None:
    # A live feed: two items, then a pause until their results are read. Filling its window first, it waited
    # on the feed for ever (`tail -f feed | neardup check -` answered nothing).
    fed = threading.Event()

    def feed() -> Iterator[int]:
        yield from (1, 2)
        assert fed.wait(5), "the feed was waited on while results were due"
        yield 3

    with ThreadPoolExecutor(2) as pool:
        results = ordered_map(pool, lambda n: -n, feed(), window=8, ready=fed.is_set)
        assert [next(results), next(results)] == [-1, -2]
        fed.set()
        assert list(results) == [-3]
