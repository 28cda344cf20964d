"""benchmarks.writer_cpu: the writer's CPU an article, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import writer_cpu
from service import engine


def test_it_times_the_writer_over_generated_articles_and_leaves_the_engine_as_it_was(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commit = engine.Engine._commit
    assert writer_cpu.main(["--count", "40", "--repeat", "2"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["articles"] == 40 and len(report["writer_us_per_article"]) == 2
    assert report["lowest"] == min(report["writer_us_per_article"]) > 0
    assert engine.Engine._commit is commit


def test_a_count_of_zero_is_refused_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        writer_cpu.main(["--count", "0"])
    assert "--count" in capsys.readouterr().err


def test_a_files_lines_that_are_no_article_are_said_and_an_empty_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (writer_cpu and ingest_cli left a file's bad lines aside without a word, and an article-less file ended
    # writer_cpu in a ZeroDivisionError)
    path = tmp_path / "articles.jsonl"
    good = {"id": "a1", "body": " ".join(f"word{n}" for n in range(80))}
    path.write_text(json.dumps(good) + "\n" + "not json\n" + json.dumps({"id": "a2", "body": " "}) + "\n")
    assert writer_cpu.main(["--articles", str(path), "--count", "10", "--repeat", "1"]) == 0
    said = capsys.readouterr()
    assert json.loads(said.out.splitlines()[-1])["articles"] == 1
    assert f"writer_cpu: 2 lines of {path} left aside, not used: " in said.err
    path.write_text("not json\n")
    with pytest.raises(SystemExit) as ended:
        writer_cpu.main(["--articles", str(path)])
    assert (
        str(ended.value) == f"writer_cpu: no article in {path}: each line must be a JSON object with an id and a body"
    )
    with pytest.raises(SystemExit) as ended:
        writer_cpu.main(["--articles", str(tmp_path / "missing.jsonl")])
    assert str(ended.value).startswith("writer_cpu: ") and "missing.jsonl" in str(ended.value)
