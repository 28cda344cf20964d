"""benchmarks.accuracy reads a corpus's rows as `neardup ingest` reads a JSONL file."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks.accuracy import to_article


def test_a_corpus_time_without_an_offset_is_read_as_utc_as_ingest_reads_it() -> None:
    # Read as a naive datetime, which the client's Article refuses: the benchmark stopped at the first such row.
    row = {"id": "r1", "body": "Harbour report", "published": "1987-02-26T15:01:01"}
    assert to_article(row).published == datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC)
    assert to_article({**row, "published": "1987-02-26T15:01:01Z"}).published == to_article(row).published
    assert to_article({"id": "r2", "body": "No date"}).published is None
