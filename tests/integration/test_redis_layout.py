"""The Redis index's boilerplate counts (nd:sg:<shard>) spread over their 16 shards, and an index of key layout 2
(every count in nd:sg:0 or nd:sg:8) is converted at start, also when a start is cut short mid-way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import redis

from benchmarks.loopback import redis_server
from service import redis_store
from service.detector import Detector
from service.engine import Engine
from service.redis_store import META, SHINGLE_GROUP_SHARDS, RedisStore, shingle_groups_key
from service.settings import DetectionParams
from tests.redis_support import synthetic_articles

PARAMS = DetectionParams()
DETECTOR = Detector(PARAMS, 1 << 20)


def _ingested(url: str, stories: int) -> None:
    engine = Engine(DETECTOR, RedisStore(url, PARAMS))
    try:
        for future in [engine.submit(DETECTOR.prepare(a)) for a in synthetic_articles(stories, seed=41)]:
            future.result(timeout=120)
    finally:
        engine.close()


def _counts(admin: redis.Redis) -> dict[bytes, dict[int, int]]:
    """Every shard of boilerplate counts: hash -> count."""
    return {
        key: {int(h): int(n) for h, n in admin.hgetall(key).items()}
        for key in sorted(admin.scan_iter(match=b"nd:sg:*"))
    }


def test_the_boilerplate_counts_spread_over_all_their_shards(tmp_path: Path) -> None:
    """Sampled hashes are multiples of 8: sharded by hash % 16, they went to nd:sg:0 and nd:sg:8 only."""
    with redis_server(tmp_path / "redis") as server:
        _ingested(server.url, 30)
        counts = _counts(redis.Redis(host="127.0.0.1", port=server.port))
        assert len(counts) == SHINGLE_GROUP_SHARDS, sorted(counts)
        sizes = [len(fields) for fields in counts.values()]
        assert min(sizes) > sum(sizes) / SHINGLE_GROUP_SHARDS / 2, sizes  # (about even)


class _Killed(BaseException):
    """A start stopped mid-way (as by kill -9, but the lease is let go at once rather than after 10 s)."""


def test_a_layout_2_index_has_its_counts_moved_at_start_and_a_start_cut_short_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_server(tmp_path / "redis") as server:
        admin = redis.Redis(host="127.0.0.1", port=server.port)
        _ingested(server.url, 40)
        wanted = {h: n for fields in _counts(admin).values() for h, n in fields.items()}
        # As a layout-2 version left it: every count in shard hash % 16, and layout 2 recorded.
        admin.delete(*_counts(admin))
        for h, n in wanted.items():
            admin.hset(b"nd:sg:%d" % (h % 16), str(h), n)
        admin.set(META, json.dumps({**json.loads(admin.get(META) or b"{}"), "layout": 2}, sort_keys=True))
        assert sorted(_counts(admin)) == [b"nd:sg:0", b"nd:sg:8"]

        monkeypatch.setattr(redis_store, "MOVE_TURN", 50)
        turns = 0
        moved = RedisStore._counts_moved

        def cut_short(store: RedisStore, key: bytes, cursor: int) -> object:
            nonlocal turns
            turns += 1
            if turns > 3:
                raise _Killed
            return moved(store, key, cursor)

        monkeypatch.setattr(RedisStore, "_counts_moved", cut_short)
        with pytest.raises(_Killed):
            RedisStore(server.url, PARAMS)
        assert admin.exists(redis_store.CONVERTING)
        assert json.loads(admin.get(META) or b"{}")["layout"] == redis_store.LAYOUT
        left = [h for key, fields in _counts(admin).items() for h in fields if shingle_groups_key(h) != key]
        assert 0 < len(left) < len(wanted)  # (some moved, not all)

        monkeypatch.setattr(RedisStore, "_counts_moved", moved)
        store = RedisStore(server.url, PARAMS)  # the next start goes on with the move
        try:
            after = _counts(admin)
            assert not admin.exists(redis_store.CONVERTING)
            assert all(shingle_groups_key(h) == key for key, fields in after.items() for h in fields)
            assert {h: n for fields in after.values() for h, n in fields.items()} == wanted
            hashes = np.array(sorted(wanted), dtype=np.uint32)
            with store.read() as tx:  # and the store reads them where they are now
                common = set(tx.common_shingles(hashes, 2).tolist())
            assert common == {h for h, n in wanted.items() if n >= 2} and common
        finally:
            store.close()
