"""Set operations on shingle hashes, where one side is already a sorted unique array.

numpy's general versions sort (or, for np.unique in numpy 2, hash) their inputs on every
call: for the few hundred values of an article that is 15-60 µs a call, and the writer
makes dozens of such calls per article. Shingle sets are kept sorted and unique, so a
binary search per value does the same work in a few µs. Results equal numpy's (a test
checks them against np.isin, np.unique, np.setdiff1d and np.union1d).
"""

from __future__ import annotations

import numpy as np

from service.model import BoolArray, U32Array


def members(values: U32Array, sorted_set: U32Array) -> BoolArray:
    """For each of `values` (any order, repeats allowed): is it in `sorted_set`? (np.isin)"""
    if not sorted_set.size:
        return np.zeros(values.shape, dtype=np.bool_)
    at = np.searchsorted(sorted_set, values)
    at[at == sorted_set.size] = 0
    found: BoolArray = sorted_set[at] == values
    return found


def unique(values: U32Array) -> U32Array:
    """Sorted distinct values (np.unique)."""
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    distinct: U32Array = ordered[keep]
    return distinct


def difference(sorted_a: U32Array, sorted_set: U32Array) -> U32Array:
    """Values of `sorted_a` (sorted unique) not in `sorted_set` (np.setdiff1d)."""
    rest: U32Array = sorted_a[~members(sorted_a, sorted_set)]
    return rest


def union(a: U32Array, b: U32Array) -> U32Array:
    """Sorted distinct values of both (np.union1d)."""
    return unique(np.concatenate((a, b)))


def intersection(sorted_a: U32Array, sorted_set: U32Array) -> U32Array:
    """Values of `sorted_a` (sorted unique) also in `sorted_set` (np.intersect1d)."""
    both: U32Array = sorted_a[members(sorted_a, sorted_set)]
    return both
