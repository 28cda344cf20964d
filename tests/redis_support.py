"""Redis helpers for the tests: made-up stories for comparing stores, and a cleared index per test.

(The redis-server processes themselves are benchmarks/loopback.py's, shared with the benchmarks.)"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from service.model import Article as ModelArticle
from service.redis_store import RedisStore
from service.settings import DetectionParams

# ---- project-generated articles: stories, copies and revisions, for comparing stores ---------------

_SYLLABLES = ["ka", "lo", "mi", "ren", "sa", "tu", "vel", "dor", "ni", "pra", "zu", "eth", "gar", "fin", "ol", "bri"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def synthetic_articles(stories: int, seed: int = 7, prefix: str = "s") -> list[ModelArticle]:
    """Made-up stories of made-up words, each with 0-3 republications (cut, prefixed, lightly edited).

    Publication times are shuffled so the earliest-published copy is not always the first to arrive.
    """
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    shared_appeal = " ".join(_word(rng) for _ in range(60))
    out: list[ModelArticle] = []
    for s in range(stories):
        words = [_word(rng) for _ in range(rng.randint(80, 260))]
        out.append(ModelArticle(f"{prefix}{s}", " ".join(words), title=f"story {s}",
                                published=base + timedelta(minutes=rng.randint(0, 5000))))  # fmt: skip
        for c in range(rng.choice([0, 0, 1, 2, 3])):
            copy = list(words[: int(len(words) * rng.uniform(0.5, 1.0))])
            for _ in range(rng.randint(0, 6)):  # light edits
                copy[rng.randrange(len(copy))] = _word(rng)
            body = (shared_appeal + " " if rng.random() < 0.4 else "") + " ".join(copy)
            published = base + timedelta(minutes=rng.randint(0, 5000)) if rng.random() < 0.8 else None
            out.append(ModelArticle(f"{prefix}{s}c{c}", body, source=f"outlet{c}", published=published))
    rng.shuffle(out)
    return out


def cleared_index_url(request: pytest.FixtureRequest, db: int) -> str:
    """URL of a cleared index: database `db` of the shared standalone server, or the shared cluster
    (for a fixture parametrised over "standalone" and "cluster")."""
    if request.param == "standalone":
        url = str(request.getfixturevalue("redis_standalone").url).replace("/0", f"/{db}")
    else:
        url = str(request.getfixturevalue("redis_cluster_nodes")[0].url)
    store = RedisStore(url, DetectionParams())
    store.clear()
    store.close()
    return url
