"""The sorted-set helpers give exactly numpy's answers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from service.sets import difference, intersection, members, union, unique

# Small ranges make repeats and overlaps likely; the edges of uint32 are included.
VALUES = st.lists(st.one_of(st.integers(0, 40), st.sampled_from([0, 2**32 - 1, 2**31])), max_size=60)


def u32(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.uint32)


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES)
def test_each_helper_equals_its_numpy_counterpart(a: list[int], b: list[int]) -> None:
    values, sorted_a, sorted_b = u32(a), np.unique(u32(a)), np.unique(u32(b))
    assert np.array_equal(members(values, sorted_b), np.isin(values, sorted_b))
    assert np.array_equal(unique(values), np.unique(values))
    assert np.array_equal(difference(sorted_a, sorted_b), np.setdiff1d(sorted_a, sorted_b, assume_unique=True))
    assert np.array_equal(union(values, u32(b)), np.union1d(values, u32(b)))
    assert np.array_equal(intersection(sorted_a, sorted_b), np.intersect1d(sorted_a, sorted_b, assume_unique=True))
    assert unique(values).dtype == np.uint32 and difference(sorted_a, sorted_b).dtype == np.uint32
