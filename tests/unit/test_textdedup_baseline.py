"""The text-dedup baseline clusters near-identical texts and leaves different or tiny ones apart."""

from __future__ import annotations

from benchmarks.textdedup import textdedup_pairs
from tests.articles import SAME_EVENT_A, SAME_EVENT_B, WIRE


def test_near_identical_texts_share_a_cluster_and_different_ones_do_not() -> None:
    rows = [
        {"id": "wire", "body": WIRE},
        {"id": "resend", "body": WIRE.replace("said", "told reporters", 1)},  # one edit
        {"id": "a", "body": SAME_EVENT_A},
        {"id": "b", "body": SAME_EVENT_B},
        {"id": "tiny", "body": "four words only here"},
        {"id": "tiny2", "body": "four words only here"},  # no 5-grams: never clustered
    ]
    assert textdedup_pairs(rows) == {("resend", "wire")}
