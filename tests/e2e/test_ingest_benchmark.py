"""benchmarks.ingest_cli end to end on a small corpus: a real server process and a real `neardup ingest`."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import ingest_cli


def test_ingest_benchmark_times_the_cli_and_the_recipe_on_the_same_articles(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    args = ["--count", "60", "--workers", "0", "--batch", "16", "--rounds", "2", "--report", str(report_path)]
    assert ingest_cli.main(args) == 0
    report = json.loads(report_path.read_text())
    assert report["articles"] == 60 and report["batch"] == 16
    rounds = report["rounds"]
    assert len(rounds) == 2
    for r in rounds:
        assert r["ingest_rate"] > 0 and r["recipe_before"] > 0 and r["recipe_after"] > 0
        assert r["recipe_rate"] == (r["recipe_before"] + r["recipe_after"]) / 2
        assert r["ratio"] == r["ingest_rate"] / r["recipe_rate"]
    assert rounds[1]["recipe_before"] == rounds[0]["recipe_after"]  # recipe, ingest, recipe, ingest, recipe
    # The figure is the lower of two rounds' ratios (a round that was measured, not an average of two).
    lower = min(rounds, key=lambda r: r["ratio"])
    assert report["ratio"] == lower["ratio"] and report["ingest_rate"] == lower["ingest_rate"]
    assert report["ratio_min"] <= report["ratio"] <= report["ratio_max"]


def test_the_figure_is_the_median_round_or_the_lower_middle_one() -> None:
    rounds = [{"ratio": r} for r in (1.4, 1.1, 1.2)]
    assert ingest_cli._median_round(rounds)["ratio"] == 1.2
    assert ingest_cli._median_round(rounds[:2])["ratio"] == 1.1
