import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.boilerplate import mask_headers
from service.model import Relation
from service.similarity import Overlap, Tokenised, overlap, reads_as_german, shared_passages
from service.text import ND5_READING, Reading, tokens


def arr(*values: int) -> np.ndarray:
    return np.array(sorted(values), dtype=np.uint32)


def test_overlap_counts_exactly() -> None:
    ov = overlap(arr(1, 2, 3, 4), arr(3, 4, 5, 6, 7, 8))
    assert (ov.shared, ov.size_a, ov.size_b) == (2, 4, 6)
    assert ov.jaccard == pytest.approx(2 / 8)
    assert ov.containment == pytest.approx(2 / 4)


@pytest.mark.parametrize(
    ("ov", "relation"),
    [
        (Overlap(100, 100, 95), Relation.IDENTICAL),
        (Overlap(200, 100, 95), Relation.ADDITIONS),  # request holds all of the other, and more
        (Overlap(100, 200, 95), Relation.TRUNCATED),  # request is inside the other
        (Overlap(100, 100, 60), Relation.REVISED),
    ],
)
def test_relation_follows_the_shares(ov: Overlap, relation: Relation) -> None:
    assert ov.relation() is relation


def test_passages_give_offsets_in_both_texts() -> None:
    shared = "the harbour board voted seven to two on tuesday evening"
    a = "PREFIX words here. " + shared + " and then something else entirely."
    b = "Other start — " + shared.upper() + ", unrelated ending follows."
    passages = shared_passages(a, b, 5)
    assert len(passages) == 1
    p = passages[0]
    assert a[p.start : p.end] == shared
    assert b[p.other_start : p.other_end] == shared.upper()


def test_no_shared_passage_for_unrelated_texts() -> None:
    assert shared_passages("one two three four five six", "seven eight nine ten eleven twelve", 5) == ()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Cd 7 \n.\u2019\u00e9"), max_size=80), st.integers(1, 6))
def test_word_count_and_sequence_without_the_words_are_those_from_the_words(body: str, size: int) -> None:
    # Verification asks a text for its word count and shingle sequence without tokenising it into
    # Python strings (byte path, count from the sequence): both must equal what the words give.
    from_words = Tokenised(body, size, words=tokens(mask_headers(body)))
    lazy = Tokenised(body, size)
    assert lazy.count == len(from_words.words)
    assert np.array_equal(lazy.sequence, from_words.sequence)
    assert lazy.count == len(lazy.words)


_UBER_BRIEF = "Uber drivers in Chicago strike as Uber cuts pay for trips to OHare Airport, Uber said."
_FUR_BRIEF = "Fur prices fell at the Toronto fur auction, where fur buyers from Italy stayed away."


@pytest.mark.parametrize("body", [_UBER_BRIEF, _FUR_BRIEF])
@pytest.mark.parametrize("reading", [ND5_READING, Reading(folds_accents=False)], ids=["folded", "accented"])
def test_an_english_brief_about_uber_or_fur_is_not_read_as_german(body: str, reading: Reading) -> None:
    """ "fur" and "uber" are "für" and "über" without accents, and English words: counted as German function words,
    such a brief read as German and had no names (and the template check so decided otherwise, in nd4 too)."""
    assert not reads_as_german(tokens(body, reading))
    assert {"uber", "chicago"} <= Tokenised(_UBER_BRIEF, 5, reading=reading).names


def test_german_reads_as_german_with_its_accents_and_without() -> None:
    accented = "Die Stadt plant für die Brücken über der Spree eine neue Sperrung, die ab Montag gilt."
    stripped = "Die Stadt plant fur die Brucken uber der Spree eine neue Sperrung, die ab Montag gilt."
    assert reads_as_german(tokens(accented)) and reads_as_german(tokens(stripped))
    assert reads_as_german(tokens(accented, Reading(folds_accents=False)))
