"""benchmarks.writer_cpu: the writer's CPU an article, in-process."""

from __future__ import annotations

import json

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
