"""FingerprintPool: real worker processes give the in-process fingerprints, released in submission order."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future

import numpy as np
import pytest

from benchmarks.corpus import generated
from service.detector import Detector, Prepared
from service.errors import InvalidArgument, Unavailable
from service.model import Article
from service.settings import DetectionParams
from service.workers import WORKER_NICENESS, FingerprintPool

PARAMS = DetectionParams()
ARTICLES = [Article(a.id, a.body) for a in generated(150)]


@pytest.fixture(scope="module")
def pool() -> Iterator[FingerprintPool]:
    p = FingerprintPool(2, PARAMS, 1 << 20, max_batch=7)
    yield p
    p.close()


def test_workers_run_at_a_lower_priority_than_the_server(pool: FingerprintPool) -> None:
    # They yield the cores to the server process's writer thread, the serial stage of an ingest.
    server = os.nice(0)
    niceness = [pool._executor.submit(os.nice, 0).result(timeout=60) for _ in range(4)]
    assert all(n == min(19, server + WORKER_NICENESS) for n in niceness), niceness
    assert WORKER_NICENESS > 0


def test_fingerprints_equal_in_process_and_arrive_in_order(pool: FingerprintPool) -> None:
    detector = Detector(PARAMS, 1 << 20)
    order: list[str] = []
    lock = threading.Lock()

    def record(f: Future[Prepared]) -> None:
        with lock:
            order.append(f.result().article.id)

    futures = [pool.prepare(a) for a in ARTICLES]
    for f in futures:
        f.add_done_callback(record)
    results = [f.result(timeout=60) for f in futures]
    assert order == [a.id for a in ARTICLES]
    for article, prepared in zip(ARTICLES, results, strict=True):
        expected = detector.fingerprint(article.body)
        assert np.array_equal(prepared.fingerprint.signature, expected.signature)
        assert np.array_equal(prepared.fingerprint.shingles, expected.shingles)
        assert prepared.fingerprint.body_digest == expected.body_digest
        assert prepared.article is article


def test_rejected_articles_inside_a_batch_leave_the_others_intact(pool: FingerprintPool) -> None:
    detector = Detector(PARAMS, 1 << 20)
    mixed = [ARTICLES[0], Article("bad", "..."), ARTICLES[1], ARTICLES[2], Article("", "x"), ARTICLES[3]]
    futures = [pool.prepare(a) for a in mixed]  # (max_batch 7: most go out as one batch)
    for article, future in zip(mixed, futures, strict=True):
        if article.id in ("bad", ""):
            with pytest.raises(InvalidArgument):
                future.result(timeout=60)
            continue
        prepared, expected = future.result(timeout=60), detector.prepare(article)
        assert isinstance(prepared, Prepared)  # (the pool's futures carry what detector.prepare made)
        assert np.array_equal(prepared.fingerprint.signature, expected.fingerprint.signature)
        assert np.array_equal(prepared.fingerprint.shingles, expected.fingerprint.shingles)
        assert np.array_equal(prepared.sequence, expected.sequence)


def test_invalid_articles_fail_with_invalid_argument_naming_the_field(pool: FingerprintPool) -> None:
    bad = pool.prepare(Article("x", "--- ..."))
    empty_id = pool.prepare(Article("", "some words here"))
    with pytest.raises(InvalidArgument, match=r"^article\.body: contains no words"):
        bad.result(timeout=60)
    with pytest.raises(InvalidArgument, match=r"^article\.id: is required"):
        empty_id.result(timeout=60)


def test_closed_pool_answers_unavailable() -> None:
    p = FingerprintPool(1, PARAMS, 1 << 20)
    p.close()
    with pytest.raises(Unavailable):
        p.prepare(ARTICLES[0]).result(timeout=5)
