"""The in-memory group counts agree with plain counting, however adds and undos interleave."""

from __future__ import annotations

import sys
import threading
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.group_counts import GroupCounts
from service.shards import ShardedDict

# Few distinct values, so counts climb past the bit planes into the dict; some share a byte.
VALUES = st.sampled_from([0, 8, 16, 56, 64, 2**32 - 8, 123_456 * 8])
STEPS = st.lists(st.tuples(st.booleans(), st.sets(VALUES, min_size=1)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(STEPS)
def test_counts_match_a_counter_through_adds_and_undos(steps: list[tuple[bool, set[int]]]) -> None:
    counts, expected = GroupCounts(), Counter[int]()
    for is_add, values in steps:
        hashes = np.array(sorted(values), dtype=np.uint32)
        if is_add:
            counts.add(hashes)
            expected.update(values)
        else:  # an undo only ever takes back what was added
            hashes = hashes[[expected[v] > 0 for v in sorted(values)]]
            counts.remove(hashes)
            expected.subtract(hashes.tolist())
    every = np.array(sorted({v for _, vs in steps for v in vs}), dtype=np.uint32)
    assert counts.counts(every).tolist() == [expected[v] for v in every.tolist()]
    for floor in (2, 3, 5):
        assert counts.at_least(every, floor).tolist() == [v for v in every.tolist() if expected[v] >= floor]
        assert counts.total_at_least(floor) == sum(1 for c in expected.values() if c >= floor)


def test_adding_with_multiplicities_is_adding_one_at_a_time() -> None:
    bulk, single = GroupCounts(), GroupCounts()
    hashes = np.array([8, 16, 24], dtype=np.uint32)
    bulk.add(hashes, np.array([1, 2, 7]))
    for times, h in zip([1, 2, 7], hashes, strict=True):
        for _ in range(times):
            single.add(np.array([h], dtype=np.uint32))
    assert bulk.counts(hashes).tolist() == single.counts(hashes).tolist() == [1, 2, 7]


def test_unsampled_hashes_are_never_common_and_cannot_be_counted() -> None:
    counts = GroupCounts()
    counts.add(np.array([8], dtype=np.uint32), np.array([5]))
    assert counts.at_least(np.array([8, 9], dtype=np.uint32), 2).tolist() == [8]  # 9 would share 8's slot
    with pytest.raises(ValueError, match="sampled"):
        counts.add(np.array([9], dtype=np.uint32))
    with pytest.raises(ValueError, match="sorted"):  # (a repeated byte would lose a bit)
        counts.add(np.array([16, 8], dtype=np.uint32))


def test_the_count_of_boilerplate_can_be_read_while_the_writer_adds_counts() -> None:
    """(The embedded store's writer adds counts beside the checks and the metrics' reads.)"""
    counts = GroupCounts()
    hashes = np.arange(8, 8 * 4001, 8, dtype=np.uint32)  # sampled: multiples of 8
    done = threading.Event()

    def write() -> None:
        try:
            for _ in range(3):  # the third round of adds puts counts of three in the dict
                for part in np.array_split(hashes, 400):
                    counts.add(part)
        finally:
            done.set()

    seen: list[int] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        writer = threading.Thread(target=write)
        writer.start()
        while not done.is_set():
            seen.append(counts.total_at_least(3))  # (iterating the dict as it grew raised RuntimeError)
        writer.join(10)
    finally:
        sys.setswitchinterval(interval)
    assert seen == sorted(seen) and counts.total_at_least(3) == hashes.size


class _UnreadableValues(ShardedDict[int, int]):
    def values(self) -> list[int]:
        raise AssertionError("the count was taken from the values")


def test_the_default_boilerplate_count_is_the_size_of_the_exact_counts_not_a_pass_over_them() -> None:
    """`/metrics` asks for total_at_least(3) at every scrape. At 1.27M articles 742,880 samples had counts
    of three or more, and a pass over them held the GIL for 24 ms, a pause for every check."""
    counts = GroupCounts()
    hashes = np.arange(0, 800, 8, dtype=np.uint32)
    counts.add(hashes, np.full(hashes.size, 3, dtype=np.int64))
    counts.add(hashes[:40], np.full(40, 2, dtype=np.int64))
    counts.remove(hashes[90:])  # (back to two groups: out of the exact counts)
    counts._more = _UnreadableValues(
        pair for keys, values in counts._more.parts() for pair in zip(keys, values, strict=True)
    )
    assert counts.total_at_least(3) == 90 and counts.total_at_least(2) == 100
