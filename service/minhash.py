"""MinHash signatures computed with numpy from precomputed 32-bit shingle hashes.

Produces exactly the values datasketch's MinHash (scheme "affine32") produces
for the same 32-bit inputs with an identity hash function: the same
MurmurHash3 fmix32 pre-mix and the same affine permutations (taken from a
datasketch MinHash of the same seed), vectorised over all shingles at once.
tests/unit/test_fingerprint.py checks the equality.
"""

from __future__ import annotations

import numpy as np
from datasketch import LeanMinHash, MinHash

from service.model import U32Array

_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_EMPTY = np.uint32(0xFFFFFFFF)
_CHUNK = 2048  # shingles per block: bounds the (block x num_perm) temporary


def _fmix32(h: U32Array) -> U32Array:
    s1, m1, s2, m2 = _FMIX32
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s1)


def _minima(shingles: U32Array, a: U32Array, b: U32Array) -> U32Array:
    """Per permutation (a, b), the least permuted value of the shingles (all ones if none)."""
    sig = np.full(a.size, _EMPTY, dtype=np.uint32)
    for start in range(0, len(shingles), _CHUNK):
        mixed = _fmix32(shingles[start : start + _CHUNK])[:, None]
        np.minimum(sig, (mixed * a + b).min(axis=0), out=sig)
    return sig


class SignatureMaker:
    """Computes num_perm-value MinHash signatures (datasketch affine32 scheme)."""

    def __init__(self, num_perm: int, seed: int) -> None:
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self.num_perm = num_perm
        self.seed = seed
        self._a = np.asarray(a, dtype=np.uint32)
        self._b = np.asarray(b, dtype=np.uint32)

    def signature(self, shingles: U32Array) -> U32Array:
        return _minima(shingles, self._a, self._b)

    def without(self, signature: U32Array, removed: U32Array, remaining: U32Array) -> U32Array:
        """The signature of a set once `removed` is taken out of it (`remaining`: what is left).

        Only the permutations whose minimum came from a removed shingle can change, so only
        those are computed again over what remains: learned boilerplate is a small part of
        an article, and this costs a fraction of a whole signature."""
        changed = np.flatnonzero(_minima(removed, self._a, self._b) == signature)
        if not changed.size:
            return signature
        out = signature.copy()
        out[changed] = _minima(remaining, self._a[changed], self._b[changed])
        return out

    def lean(self, signature: U32Array) -> LeanMinHash:
        """A datasketch LeanMinHash carrying `signature`, for datasketch's LSH."""
        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme="affine32")
