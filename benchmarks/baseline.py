"""In-process reference runs for `neardup-bench --compare`.

- `datasketch_recipe`: the plain recipe a pipeline would write first: word
  5-grams as strings, xxhash, datasketch MinHash (128 permutations,
  update_batch with an xxhash hash function) and MinHashLSH; query then insert.
- `neardup_core`: the same articles through neardup's own detection core
  (Detector.prepare, the service's band index, exact verification), in memory,
  one process, no gRPC and no disk.

Both return articles per second, measured on the same articles in the same run. Each does what the server
was asked for each article: the ids in `checks` were checks (CheckArticle stores nothing), queried and not
inserted; `indexed`, the articles the server held before the run (--preload), are inserted before the
clock starts, so that a check run is set against queries on an index built beforehand, not against
indexing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import xxhash
from datasketch import MinHash, MinHashLSH

from benchmarks import corpus
from client.api import Article
from service.detector import Detector
from service.lsh import BandIndex
from service.model import U32Array
from service.settings import DetectionParams

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class RunResult:
    name: str
    articles: int
    seconds: float
    matched: int  # articles with at least one candidate/match, a sanity check that both did the work

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0


def _xxh32(data: bytes) -> int:
    return xxhash.xxh32_intdigest(data)


def _minhash(article: Article, num_perm: int) -> MinHash:
    words = _WORD.findall(article.body.lower())
    shingles = [" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))]
    m = MinHash(num_perm=num_perm, hashfunc=_xxh32)
    m.update_batch(shingles)
    return m


def datasketch_recipe(
    articles: Sequence[Article],
    num_perm: int = 128,
    threshold: float = 0.5,
    checks: Collection[str] = (),
    indexed: Sequence[Article] = (),
) -> RunResult:
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for article in indexed:  # (before the clock: the server held them already)
        lsh.insert(article.id, _minhash(article, num_perm), check_duplication=False)
    matched = 0
    start = time.perf_counter()
    for article in articles:
        m = _minhash(article, num_perm)
        if lsh.query(m):
            matched += 1
        if article.id not in checks:
            lsh.insert(article.id, m, check_duplication=False)
    return RunResult("datasketch recipe", len(articles), time.perf_counter() - start, matched)


def neardup_core(
    articles: Sequence[Article],
    params: DetectionParams | None = None,
    checks: Collection[str] = (),
    indexed: Sequence[Article] = (),
) -> RunResult:
    params = params or DetectionParams()
    detector = Detector(params, max_body_bytes=1 << 22)
    index = BandIndex(params)
    shingles: dict[str, U32Array] = {}
    for a in indexed:  # (before the clock: the server held them already)
        prepared = detector.prepare(corpus.core_article(a))
        index.insert(a.id, prepared.fingerprint.signature)
        shingles[a.id] = prepared.fingerprint.shingles
    matched = 0
    start = time.perf_counter()
    for a in articles:
        prepared = detector.prepare(corpus.core_article(a))
        candidates = index.query(prepared.fingerprint.signature)
        if detector.judge(prepared, {c: shingles[c] for c in candidates}):
            matched += 1
        if a.id not in checks:
            index.insert(a.id, prepared.fingerprint.signature)
            shingles[a.id] = prepared.fingerprint.shingles
    return RunResult("neardup core", len(articles), time.perf_counter() - start, matched)
