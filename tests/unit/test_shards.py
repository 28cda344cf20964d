"""The sharded dict answers as one dict would, and keeps every shard a small part of the whole."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from service.group_counts import GroupCounts
from service.lsh import BandIndex
from service.settings import DetectionParams
from service.shards import SHARDS, ShardedDict

KEYS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=6))
OPS = st.lists(
    st.tuples(st.sampled_from(["set", "del", "pop", "update"]), KEYS, st.integers()),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(OPS, st.lists(KEYS, max_size=10))
def test_it_answers_as_a_dict_through_any_changes(ops: list[tuple[str, object, int]], probes: list[object]) -> None:
    sharded, plain = ShardedDict[object, int](), dict[object, int]()
    for op, key, value in ops:
        if op == "set":
            sharded[key], plain[key] = value, value
        elif op == "update":
            sharded.update([(key, value), (key, value + 1)])
            plain.update([(key, value), (key, value + 1)])
        elif op == "pop":
            assert sharded.pop(key, None) == plain.pop(key, None)
        elif key in plain:
            del sharded[key]  # (one a statement: mypy checks a tuple's items deleted at once as reads)
            del plain[key]
    assert len(sharded) == len(plain) and bool(sharded) == bool(plain)
    parts = [pair for keys, values in sharded.parts() for pair in zip(keys, values, strict=True)]
    assert sorted(parts, key=repr) == sorted(plain.items(), key=repr)
    assert sorted(sharded.values(), key=repr) == sorted(plain.values(), key=repr)
    for key in [*probes, *plain]:
        assert (key in sharded) == (key in plain)
    assert sharded.get_many([*probes, *plain], -1) == [plain.get(key, -1) for key in [*probes, *plain]]


def test_sampled_hashes_and_article_ids_spread_over_all_the_shards() -> None:
    """Sampled shingle hashes are multiples of 8: a power-of-two shard count would use an eighth of it."""
    sampled = ShardedDict[int, int]((h, 3) for h in range(0, 8 * 100_000, 8))
    ids = ShardedDict[str, int]((f"article-{n}", n) for n in range(100_000))
    for sharded in (sampled, ids):
        assert sharded.largest_shard() <= 2 * len(sharded) / SHARDS


def test_the_id_map_and_the_exact_counts_that_grow_with_the_store_are_sharded() -> None:
    """Neither may be one dict: one of a million entries grows in a single 20-40 ms step holding the GIL."""
    index = BandIndex(DetectionParams())
    count = 20_000
    index.load([f"a{n}" for n in range(count)], np.zeros((count, DetectionParams().num_perm), dtype=np.uint32))
    assert index._slot.largest_shard() <= 2 * count / SHARDS
    counts = GroupCounts()
    hashes = np.arange(0, 8 * count, 8, dtype=np.uint32)
    counts.add(hashes, np.full(count, 3, dtype=np.int64))
    assert counts.total_at_least(3) == count and counts._more.largest_shard() <= 2 * count / SHARDS
