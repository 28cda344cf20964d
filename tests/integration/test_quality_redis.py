"""Learned boilerplate on the Redis store (standalone and cluster): counted per group, durable, shared."""

import numpy as np
import pytest

from service.boilerplate import sampled
from service.detector import Detector
from service.engine import Engine
from service.model import Article
from service.redis_store import RedisStore
from service.settings import DetectionParams
from tests.quality_texts import FOOTER, STORIES, bare_notice
from tests.redis_support import cleared_index_url

PARAMS = DetectionParams()


@pytest.fixture(params=["standalone", "cluster"])
def redis_url(request: pytest.FixtureRequest) -> str:
    """A cleared index on the shared standalone server, or on the shared cluster."""
    return cleared_index_url(request, db=2)


def test_footer_learned_on_redis_stops_counting_and_is_seen_by_another_replica(redis_url: str) -> None:
    first = Engine(Detector(PARAMS, 1 << 20), RedisStore(redis_url, PARAMS))
    for i in range(3):  # warm-up: three different stories wearing the footer
        first.index(first.detector.prepare(Article(f"s{i}", STORIES[i] + "\n\n" + FOOTER)))
    first.close()
    second = Engine(Detector(PARAMS, 1 << 20), RedisStore(redis_url, PARAMS))  # a fresh replica
    verdict = second.index(second.detector.prepare(Article("s3", STORIES[3] + "\n\n" + FOOTER)))
    assert verdict.matches == ()
    samples = sampled(second.detector.fingerprint(FOOTER).shingles)
    with second.store.read() as tx:
        common = tx.common_shingles(samples, PARAMS.boilerplate_after)
    second.close()
    assert common.size > 0 and np.isin(common, samples).all()


def test_notices_named_only_in_titles_are_told_apart_by_the_title_redis_stored(redis_url: str) -> None:
    # The title is read back from the candidate's Redis record (a fresh replica: nothing cached in memory).
    body = bare_notice("20", "April 15", "March 23")
    first = Engine(Detector(PARAMS, 1 << 20), RedisStore(redis_url, PARAMS))
    first.index(
        first.detector.prepare(Article("harwell", body, title="HARWELL INSTRUMENTS INC <HWI> REGULAR DIVIDEND"))
    )
    first.close()
    second = Engine(Detector(PARAMS, 1 << 20), RedisStore(redis_url, PARAMS))
    try:
        other = Article("obsidian", body, title="OBSIDIAN FREIGHT CORP <OBF> SETS QUARTERLY")
        assert second.index(second.detector.prepare(other)).matches == ()
        copy = Article("harwell-2", body, title="Harwell Instruments keeps dividend")
        assert [m.id for m in second.index(second.detector.prepare(copy)).matches] == ["harwell"]
    finally:
        second.close()
