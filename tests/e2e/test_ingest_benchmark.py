"""benchmarks.ingest_cli end to end on a small corpus: a real server process and a real `neardup ingest`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import corpus, ingest_cli


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


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--count", "0", "0 is out of range: give 1 or more"),  # (a ZeroDivisionError once the rounds were run)
        ("--rounds", "0", "0 is out of range: give 1 or more"),
        (
            "--batch",
            "0",
            "0 is out of range: give 1 or more",
        ),  # (a bare CalledProcessError: neardup ingest's own refusal swallowed)
        ("--batch", "1001", "1001 is above 1000"),
        ("--workers", "-1", "-1 is out of range: give 0 or more"),
        ("--count", "many", "'many' is not a whole number"),
    ],
)
def test_a_value_that_cannot_make_a_run_is_refused_naming_its_flag_before_any_work(
    flag: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        ingest_cli.main(["--count", "5", "--rounds", "1", flag, value])
    assert refused.value.code == 2
    assert f"argument {flag}: {says}" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "says"), [(None, "cannot read {path}"), ("\n", "no article in {path}")])
def test_a_file_with_no_article_is_said_in_a_line(tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "articles.jsonl"  # (missing, or holding no article: a ZeroDivisionError for the latter)
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as refused:
        ingest_cli.main(["--articles", str(path), "--rounds", "1"])
    assert str(refused.value.code).startswith("ingest_cli: " + says.format(path=path))


def test_a_line_the_cli_rejects_ends_the_run_with_what_the_cli_said(tmp_path: Path) -> None:
    # (It ended in a CalledProcessError traceback, neardup ingest's stderr and its error line swallowed.)
    rows = [{"id": a.id, "body": a.body} for a in corpus.generated(3)]
    rows[1]["id"] = "x" * 600  # (over the 512 bytes an id may have: the server refuses the line, the run goes on)
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report_path = tmp_path / "report.json"
    with pytest.raises(SystemExit) as ended:
        ingest_cli.main(["--articles", str(articles), "--rounds", "1", "--workers", "0", "--report", str(report_path)])
    said = str(ended.value.code)
    assert said.startswith("ingest_cli: `neardup ingest` exited 1 (no figures); it said:\n")
    assert "1 of 3 lines was rejected" in said  # (the CLI's stderr)
    assert '"line": 2' in said and "article.id: is longer than 512 bytes" in said  # (its first error line)
    assert not report_path.exists()
