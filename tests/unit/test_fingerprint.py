import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from service.minhash import SignatureMaker
from service.shingles import shingle_sequence, shingle_set, word_hashes

WORDS = "the harbour board voted seven to two on tuesday evening after a long meeting".split()


def test_signature_equals_datasketch_affine32_on_the_same_inputs() -> None:
    shingles = shingle_set(WORDS, 5)
    reference = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=int)
    reference.update_batch(shingles.tolist())
    assert np.array_equal(SignatureMaker(128, 1).signature(shingles), reference.hashvalues)


def test_signature_is_chunk_size_independent_for_long_texts() -> None:
    shingles = np.unique(np.random.default_rng(7).integers(0, 2**32, 5000, dtype=np.uint64).astype(np.uint32))
    reference = MinHash(num_perm=64, seed=3, scheme="affine32", hashfunc=int)
    reference.update_batch(shingles.tolist())
    assert np.array_equal(SignatureMaker(64, 3).signature(shingles), reference.hashvalues)


def test_shingles_are_word_order_sensitive_windows() -> None:
    seq = shingle_sequence(word_hashes(WORDS), 5)
    assert len(seq) == len(WORDS) - 4
    swapped = shingle_sequence(word_hashes([WORDS[1], WORDS[0], *WORDS[2:]]), 5)
    assert seq[0] != swapped[0]  # first window changed
    assert np.array_equal(seq[2:], swapped[2:])  # windows past the swap are unchanged


def test_short_text_is_one_shingle() -> None:
    assert len(shingle_set(["breaking", "news"], 5)) == 1


@pytest.mark.parametrize("size", [1, 3, 5, 8])
def test_shingle_set_is_sorted_and_unique(size: int) -> None:
    s = shingle_set(WORDS * 3, size)
    assert s.dtype == np.uint32
    assert np.all(np.diff(s.astype(np.int64)) > 0)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400), st.floats(0.0, 0.9))
def test_taking_shingles_out_of_a_signature_equals_signing_what_remains(seed: int, size: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    shingles = np.unique(rng.integers(0, 2**32, size, dtype=np.uint32))
    removed = np.sort(rng.choice(shingles, int(share * shingles.size), replace=False))
    remaining = np.setdiff1d(shingles, removed)
    maker = SignatureMaker(128, 1)
    assert np.array_equal(maker.without(maker.signature(shingles), removed, remaining), maker.signature(remaining))
