"""A dict split into a few hundred, so that no one table grows large.

A Python dict grows by building a table twice the size and moving every entry into it, in one step that
holds the GIL: in a fresh process on the 2-core benchmark host, 20 ms at 699,050 entries, 41 ms at
1,398,101 and 88 ms at 2,796,202, and as long a pause for every thread of the server (a check waits it
out whole). The band index's id -> slot map and the learned-boilerplate counts of three and more grow
with the store; split by key hash, each table holds a 251st of the entries and grows in a 251st of the
time (docs/perf.md, "Dicts that grew whole").

Only what those two owners use is here; each method is one Python call around the shard's own.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Prime: sampled shingle hashes are multiples of 8 (service/group_counts.py), and would fill an eighth of
# a power of two of shards. hash() of an int below 2**61 - 1 is the int itself.
SHARDS = 251


class ShardedDict(Generic[K, V]):
    """A mapping held in SHARDS dicts, each key in the one its hash picks."""

    __slots__ = ("_len", "_shards")

    def __init__(self, pairs: Iterable[tuple[K, V]] = ()) -> None:
        self._shards: list[dict[K, V]] = [{} for _ in range(SHARDS)]
        self._len = 0
        self.update(pairs)

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __contains__(self, key: K) -> bool:
        return key in self._shards[hash(key) % SHARDS]

    def __setitem__(self, key: K, value: V) -> None:
        shard = self._shards[hash(key) % SHARDS]
        size = len(shard)
        shard[key] = value
        self._len += len(shard) - size

    def __delitem__(self, key: K) -> None:
        del self._shards[hash(key) % SHARDS][key]
        self._len -= 1

    def get_many(self, keys: Iterable[K], default: V) -> list[V]:
        """The value of each of `keys`, or `default`, without a Python call per key."""
        shards = self._shards
        return [shards[hash(key) % SHARDS].get(key, default) for key in keys]

    def pop(self, key: K, default: V | None = None) -> V | None:
        shard = self._shards[hash(key) % SHARDS]
        if key not in shard:
            return default
        self._len -= 1
        return shard.pop(key)

    def update(self, pairs: Iterable[tuple[K, V]]) -> None:
        shards = self._shards
        for key, value in pairs:
            shard = shards[hash(key) % SHARDS]
            size = len(shard)
            shard[key] = value
            self._len += len(shard) - size

    def values(self) -> list[V]:
        """A copy, each shard's part taken in one C-level step (a dict's own view would fail if a writer
        grew the shard while the view was read)."""
        found: list[V] = []
        for shard in self._shards:
            found.extend(shard.values())
        return found

    def parts(self) -> Iterator[tuple[list[K], list[V]]]:
        """Each shard's keys and values (a copy, in the same order), a shard at a time: a caller may let other
        threads run between them, instead of holding the GIL for the whole of a large mapping. Not beside
        a writer: what it changes between two parts may be seen in neither or both."""
        for shard in self._shards:
            yield list(shard), list(shard.values())

    def largest_shard(self) -> int:
        """Entries in the fullest shard: what one growth step moves (tests)."""
        return max(map(len, self._shards))
