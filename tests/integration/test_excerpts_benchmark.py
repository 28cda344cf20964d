"""`python -m benchmarks.excerpts` end to end, on generated stories instead of ../shared's."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import excerpts
from benchmarks.corpus import generated


def test_a_whole_story_is_found_and_each_share_asked_for_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stories = tmp_path / "stories.txt"
    stories.write_text("\n".join(a.body.replace("\n", " ") for a in generated(6)) + "\n", encoding="utf-8")
    assert excerpts.main(["--lee", str(stories), "--reuters", "0", "--min-words", "100", "--shares", "0.05,1"]) == 0
    rows = {line.split("|")[0].strip(): line.split("|")[1].strip() for line in capsys.readouterr().out.splitlines()
            if "|" in line and not line.startswith("lead")}  # fmt: skip
    assert rows.keys() == {"0.05", "1.00"}
    assert rows["1.00"] == "1.00"  # every story's whole text finds the story


def test_the_candidate_chance_is_the_band_formula() -> None:
    assert excerpts.candidate_chance(1.0) == 1.0
    assert excerpts.candidate_chance(0.0) == 0.0
    assert abs(excerpts.candidate_chance(0.3) - (1 - (1 - 0.027) ** 42)) < 1e-12
