"""benchmarks.redis_wait on a few articles: real redis-servers, both sides measured, and the waits counted."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import redis_wait


def test_the_benchmark_measures_both_sides_and_only_one_waits(tmp_path: Path) -> None:
    report_path, out = tmp_path / "report.json", tmp_path / "redis_wait.md"
    args = ["--articles", "40", "--batch", "8", "--rounds", "2", "--out", str(out), "--report", str(report_path)]
    assert redis_wait.main(args) == 0
    report = json.loads(report_path.read_text())
    assert report["batches"] == 5 and len(report["rounds"]) == 2
    for r in report["rounds"]:
        assert r["not_waiting"]["waits"] == 0
        assert r["waiting"]["waits"] == 5  # one WAIT a batch: each batch was one commit
        assert r["ratio"] == r["waiting"]["articles_per_s"] / r["not_waiting"]["articles_per_s"]
    assert min(r["ratio"] for r in report["rounds"]) <= report["ratio"] <= max(r["ratio"] for r in report["rounds"])
    assert "| 2 |" in out.read_text()
