import numpy as np
import pytest

from service.model import Relation
from service.similarity import Overlap, overlap, shared_passages


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
