"""benchmarks.purge end to end on a small store: a real server process, both ways of deleting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import purge


def test_purge_benchmark_deletes_the_victims_both_ways_and_reports_the_ratio(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    assert purge.main(["--count", "40", "--delete", "12", "--callers", "2", "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert (report["articles"], report["deleted"], report["callers"]) == (40, 12, 2)
    assert report["one_at_a_time"] > 0 and report["batched"] > 0
    assert report["ratio"] == pytest.approx(report["batched"] / report["one_at_a_time"])


def test_a_kept_store_without_the_generated_ids_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="holds only 0 of 8 generated ids"):
        purge.main(["--data-dir", str(tmp_path / "empty"), "--count", "8", "--delete", "4"])
