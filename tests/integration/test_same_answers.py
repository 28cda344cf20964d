"""The speed work changes no answer: verdicts on a fixed generated corpus equal the reference path.

Reference: the original tokeniser pattern, datasketch's MinHashLSH as the band index, one
thread. Fast path: the fast tokeniser, the compact band index, and (over gRPC) fingerprint
worker processes with streaming.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.corpus import GeneratorConfig, core_article, generated
from client import NeardupClient
from client.api import Article, ArticleFailure, Verdict
from service.detector import Detector, body_digest
from service.engine import _SCREENED, Engine
from service.lsh import DatasketchBandIndex
from service.model import Fingerprint, PreparedArticle
from service.model import Verdict as CoreVerdict
from service.settings import DetectionParams
from service.shingles import shingle_set
from service.sqlite_store import SqliteStore
from tests.support import in_process_server
from tests.unit.test_fast_tokens import reference_tokens

PARAMS = DetectionParams()
CORPUS = generated(160, GeneratorConfig(republished=0.35, seed=11, recent=40))


def _reference_verdicts(tmp_path: Path, corpus: list[Article] = CORPUS) -> list[CoreVerdict]:
    detector = Detector(PARAMS, 1 << 20)
    store = SqliteStore(tmp_path / "reference.db", PARAMS)
    store._bands = DatasketchBandIndex(PARAMS)  # type: ignore[assignment]
    engine = Engine(detector, store, screen_novel=False)  # every article decided in full, one at a time
    verdicts = []
    try:
        for a in corpus:
            shingles = shingle_set(reference_tokens(a.body), PARAMS.shingle_size)
            fp = Fingerprint(shingles, detector.signatures.signature(shingles), body_digest(a.body))
            verdicts.append(engine.index(PreparedArticle(core_article(a), fp)))
    finally:
        engine.close()
    return verdicts


def _queued_together(engine: Engine, articles: list[Article]) -> list[CoreVerdict]:
    """The verdicts of `articles` queued at once (one `submit_all`, decided in the writer's batches); the engine is
    closed after."""
    try:
        futures = engine.submit_all([engine.detector.prepare(core_article(a)) for a in articles])
        return [f.result(timeout=60) for f in futures]
    finally:
        engine.close()


def _as_plain(verdicts: list[CoreVerdict]) -> list[tuple[str, str | None, list[tuple[str, float, float, str]]]]:
    return [(v.id, v.duplicate_of, [(m.id, m.jaccard, m.containment, m.relation.name.lower()) for m in v.matches])
            for v in verdicts]  # fmt: skip


def _client_plain(verdicts: list[Verdict]) -> list[tuple[str, str | None, list[tuple[str, float, float, str]]]]:
    return [(v.id, v.duplicate_of, [(m.id, m.jaccard, m.containment, m.relation) for m in v.matches])
            for v in verdicts]  # fmt: skip


def test_corpus_has_republications_to_find(tmp_path: Path) -> None:
    reference = _reference_verdicts(tmp_path)
    assert sum(1 for v in reference if v.matches) > 30


def test_fast_core_gives_the_reference_verdicts(tmp_path: Path) -> None:
    reference = _reference_verdicts(tmp_path)
    detector = Detector(PARAMS, 1 << 20)
    engine = Engine(detector, SqliteStore(tmp_path / "fast.db", PARAMS))
    try:
        fast = [engine.index(detector.prepare(core_article(a))) for a in CORPUS]
    finally:
        engine.close()
    assert _as_plain(fast) == _as_plain(reference)


def test_batched_writer_gives_the_reference_verdicts(tmp_path: Path) -> None:
    """The whole stream queued at once, so the writer screens batches of up to 48 articles and stores
    the new stories in runs; re-sends and new versions of stored ids are mixed in."""
    stream = list(CORPUS)
    for n in range(5, 150, 15):
        stream.insert(n + 3, stream[n])  # a re-send, in the same batch or the next
        stream.insert(n + 40, replace(stream[n], body=stream[n + 1].body[: len(stream[n + 1].body) // 2]))
    reference = _reference_verdicts(tmp_path, stream)
    detector = Detector(PARAMS, 1 << 20)
    engine = Engine(detector, SqliteStore(tmp_path / "fast.db", PARAMS), max_batch=48)
    try:
        futures = [engine.submit(detector.prepare(core_article(a))) for a in stream]
        batched = [f.result(timeout=60) for f in futures]
    finally:
        engine.close()
    assert _as_plain(batched) == _as_plain(reference)
    assert 40 <= engine.stored_as_new < len(stream) - 40  # both paths were taken


def test_one_batch_of_the_whole_stream_gives_the_reference_verdicts(tmp_path: Path) -> None:
    """All of it in one writer batch, one transaction: screened 64 articles at a time, each chunk against
    the store as the chunks before it left it."""
    stream = list(CORPUS)
    for n in range(5, 150, 15):
        stream.insert(n + 3, stream[n])
        stream.insert(n + 40, replace(stream[n], body=stream[n + 1].body[: len(stream[n + 1].body) // 2]))
    reference = _reference_verdicts(tmp_path, stream)
    detector = Detector(PARAMS, 1 << 20)
    store = SqliteStore(tmp_path / "fast.db", PARAMS)
    engine = Engine(detector, store, max_batch=len(stream))
    batched = _queued_together(engine, stream)
    assert _as_plain(batched) == _as_plain(reference)
    assert len(stream) > 2 * _SCREENED and store.commits == 1  # several screens, one transaction
    assert 40 <= engine.stored_as_new < len(stream) - 40  # both paths were taken


def test_the_screened_writer_over_the_reference_band_index_gives_the_reference_verdicts(tmp_path: Path) -> None:
    """The batched writer, its screen on, over datasketch's index: the screen's band keys are offered to it (it
    does not use them) and it answers as the compact one."""
    reference = _reference_verdicts(tmp_path)
    detector = Detector(PARAMS, 1 << 20)
    store = SqliteStore(tmp_path / "screened.db", PARAMS)
    store._bands = DatasketchBandIndex(PARAMS)  # type: ignore[assignment]
    engine = Engine(detector, store, max_batch=48)
    batched = _queued_together(engine, CORPUS)
    assert _as_plain(batched) == _as_plain(reference)
    assert engine.stored_as_new >= 40  # the screen's runs were stored through the reference index


@pytest.mark.parametrize(("workers", "batch"), [(0, 1), (2, 1), (2, 64)])
def test_grpc_stream_with_workers_gives_the_reference_verdicts(tmp_path: Path, workers: int, batch: int) -> None:
    reference = _reference_verdicts(tmp_path)
    with in_process_server(tmp_path / "data", fingerprint_workers=workers) as (_, client):
        outcomes = list(client.index_stream(CORPUS, batch=batch))
    assert not [o for o in outcomes if isinstance(o, ArticleFailure)]
    got = [o for o in outcomes if isinstance(o, Verdict)]
    assert _client_plain(got) == _as_plain(reference)  # scores are doubles on the wire: exact


def test_worker_pool_rejects_bad_articles_with_the_same_status(tmp_path: Path) -> None:
    bad = [Article(id="only-punct", body="... !!! ---"), Article(id="fine", body=CORPUS[0].body)]
    with in_process_server(tmp_path / "data", fingerprint_workers=1) as (_, client):
        outcomes = list(client.index_stream(bad))
        assert isinstance(outcomes[0], ArticleFailure) and "no words" in str(outcomes[0].error)
        assert isinstance(outcomes[1], Verdict)
        with pytest.raises(Exception, match="no words"):
            client.index(bad[0])
        assert client.check(bad[1]).id == "fine"


def test_unary_index_with_workers(tmp_path: Path) -> None:
    with in_process_server(tmp_path / "data", fingerprint_workers=1) as (_, client):
        assert isinstance(client, NeardupClient)
        first = client.index(CORPUS[0])
        again = client.check(CORPUS[0])
    assert first.matches == () and again.matches == ()  # a re-check of the same id and text matches nothing else
