"""Local outcomes merged into a stream's answers in input order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from client.ordered import in_order


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
