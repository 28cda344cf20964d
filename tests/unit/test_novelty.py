"""The batch-internal checks of the writer's fast path equal their one-by-one definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from service import novelty

# Each part holds distinct values (an article's samples, or its band keys); parts may share values.
parts_strategy = st.lists(st.sets(st.integers(0, 40), max_size=12).map(sorted), min_size=0, max_size=8)


def _flat(parts: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([v for p in parts for v in p], dtype=np.uint32)
    owners = np.array([n for n, p in enumerate(parts) for _ in p], dtype=np.intp)
    return values, owners


@settings(max_examples=200, deadline=None)
@given(parts=parts_strategy)
def test_earlier_holders_counts_the_earlier_parts_holding_each_value(parts: list[list[int]]) -> None:
    values, owners = _flat(parts)
    expected = [sum(v in parts[m] for m in range(n)) for n, p in enumerate(parts) for v in p]
    assert novelty.earlier_holders(values, owners).tolist() == expected


def test_repeated_marks_every_later_occurrence_of_an_id() -> None:
    assert novelty.repeated(["a", "b", "a", "c", "b", "a"]).tolist() == [False, False, True, False, True, True]
