"""The detection pipeline, free of gRPC and of storage:

normalise -> shingle -> hash -> signature (prepare), then for LSH candidates
fetched by the index: verify exactly -> decide (judge).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import xxhash

from service.errors import InvalidArgument
from service.minhash import SignatureMaker
from service.model import Article, Fingerprint, Match, PreparedArticle, U32Array
from service.settings import DetectionParams
from service.shingles import shingle_set
from service.similarity import overlap, shared_passages
from service.text import tokens

MAX_ID_BYTES = 512


class Detector:
    def __init__(self, params: DetectionParams, max_body_bytes: int) -> None:
        params.validate()
        self.params = params
        self.max_body_bytes = max_body_bytes
        self.signatures = SignatureMaker(params.num_perm, params.seed)

    def prepare(self, article: Article) -> PreparedArticle:
        """Validate an article and fingerprint it. Raises InvalidArgument naming the field."""
        self._validate(article)
        return PreparedArticle(article, self.fingerprint(article.body))

    def fingerprint(self, body: str) -> Fingerprint:
        words = tokens(body)
        if not words:
            raise InvalidArgument("article.body", "contains no words to compare (only punctuation or spaces)")
        shingles = shingle_set(words, self.params.shingle_size)
        return Fingerprint(shingles, self.signatures.signature(shingles), body_digest(body))

    def judge(
        self,
        query: PreparedArticle,
        candidates: Mapping[str, U32Array],
        bodies: Mapping[str, str] | None = None,
    ) -> list[Match]:
        """Verify candidates against their stored shingle sets and keep the republications.

        `bodies` (the candidates' texts) is given only when evidence was asked for.
        Best matches first: by containment, then Jaccard, then id for a stable order.
        """
        matches = []
        for cid, shingles in candidates.items():
            ov = overlap(query.fingerprint.shingles, shingles)
            if ov.shared < self.params.min_shared_shingles or ov.containment < self.params.min_containment:
                continue
            passages = shared_passages(query.article.body, bodies[cid], self.params.shingle_size) if bodies else ()
            matches.append(Match(cid, ov.jaccard, ov.containment, ov.relation(), passages))
        matches.sort(key=lambda m: (-m.containment, -m.jaccard, m.id))
        return matches

    def _validate(self, article: Article) -> None:
        if not article.id:
            raise InvalidArgument("article.id", "is required (the caller's key for the article)")
        if len(article.id.encode()) > MAX_ID_BYTES:
            raise InvalidArgument("article.id", f"is longer than {MAX_ID_BYTES} bytes")
        if not article.body.strip():
            raise InvalidArgument("article.body", "is required and must not be empty")
        size = len(article.body.encode())
        if size > self.max_body_bytes:
            raise InvalidArgument(
                "article.body",
                f"is {size} bytes, over the server's limit of {self.max_body_bytes} bytes (--max-body-bytes)",
            )


def body_digest(body: str) -> bytes:
    return xxhash.xxh3_128_digest(body.encode())


def ids_of(matches: Iterable[Match]) -> list[str]:
    return [m.id for m in matches]
