"""benchmarks.ingest_cli end to end on a small corpus: a real server process and a real `neardup ingest`."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import ingest_cli


def test_ingest_benchmark_times_the_cli_and_the_recipe_on_the_same_articles(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    assert ingest_cli.main(["--count", "60", "--workers", "0", "--batch", "16", "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["articles"] == 60 and report["batch"] == 16
    assert report["ingest_rate"] > 0 and report["recipe_rate"] > 0
    assert report["ratio"] == report["ingest_rate"] / report["recipe_rate"]
