"""Learned boilerplate on the Redis store (standalone and cluster): counted per group, durable, shared."""

import numpy as np
import pytest

from service.boilerplate import sampled
from service.detector import Detector
from service.engine import Engine
from service.model import Article
from service.redis_store import RedisStore
from service.settings import DetectionParams
from tests.quality_texts import FOOTER, STORIES
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
