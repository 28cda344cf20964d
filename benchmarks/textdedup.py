"""text-dedup's MinHash near-deduplication, rebuilt from its published algorithm, as a second baseline.

text-dedup (github.com/ChenghaoMou/text-dedup, `text_dedup/minhash.py` with its command-line
defaults) is a batch tool on top of Hugging Face `datasets`; installing it for one comparison
would pull that whole stack, so this module follows its algorithm step by step instead:

- split the text on every non-word character (`\\W`; the empty strings between two such
  characters stay tokens), word 5-grams joined by single spaces and lower-cased;
- 32-bit hash: the first four bytes of SHA-1, little-endian;
- 256 permutations `(a*h + b) mod (2**61 - 1)`, masked to 32 bits, in uint64 arithmetic (products
  wrap as numpy's do), `a` and `b` drawn from `numpy.random.RandomState(42)`;
- LSH bands and rows from datasketch's optimal parameters for the threshold (0.7 by default),
  false positives and negatives weighted equally;
- every pair of documents sharing a band bucket joined in one cluster (union-find). There is no
  verification: the clusters are the answer, so they are scored as groups.

Documents with fewer than 5 tokens have no 5-grams; text-dedup gives them one identical signature,
here they are left out of every cluster (which can only help its precision).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
from datasketch.lsh import _optimal_param

Pair = tuple[str, str]
NUM_PERM = 256
NGRAM = 5
MIN_TOKENS = 5
SEED = 42
_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_NON_WORD = re.compile(r"\W", re.UNICODE)


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(SEED)
    pairs = [
        (rng.randint(1, _PRIME, dtype=np.uint64), rng.randint(0, _PRIME, dtype=np.uint64)) for _ in range(NUM_PERM)
    ]
    a, b = np.array(pairs, dtype=np.uint64).T
    return a, b


def _shingle_hashes(text: str) -> np.ndarray:
    tokens = _NON_WORD.split(text)
    if len(tokens) < MIN_TOKENS:
        return np.empty(0, dtype=np.uint64)
    grams = zip(*(tokens[i:] for i in range(NGRAM)), strict=False) if len(tokens) >= NGRAM else [tuple(tokens)]
    values = {int.from_bytes(hashlib.sha1(" ".join(g).lower().encode()).digest()[:4], "little") for g in grams}
    return np.fromiter(values, dtype=np.uint64, count=len(values))


def signature(text: str, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    hashes = _shingle_hashes(text)
    if not hashes.size:
        return None
    with np.errstate(over="ignore"):  # uint64 products wrap, as in text-dedup
        permuted = ((hashes[:, None] * a + b) % _PRIME) & _MAX_HASH
    minima: np.ndarray = permuted.min(axis=0)
    return minima


def textdedup_pairs(rows: Iterable[dict[str, Any]], threshold: float = 0.7) -> set[Pair]:
    """Pairs of ids that text-dedup's MinHash would put in one cluster (a star per bucket: group them)."""
    bands, rows_per_band = _optimal_param(threshold, NUM_PERM, 0.5, 0.5)
    a, b = _permutations()
    buckets: dict[tuple[int, bytes], str] = {}
    pairs: set[Pair] = set()
    for row in rows:
        sig = signature(row["body"], a, b)
        if sig is None:
            continue
        for band in range(bands):
            key = (band, sig[band * rows_per_band : (band + 1) * rows_per_band].tobytes())
            first = buckets.setdefault(key, row["id"])
            if first != row["id"]:
                pairs.add((first, row["id"]) if first < row["id"] else (row["id"], first))
    return pairs
