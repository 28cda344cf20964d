"""The scaling benchmark end to end, small: real server processes, a real SIGKILL, the report written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import corpus, outputs, scaling
from benchmarks.loadtest import run_articles
from tests.support import in_process_server


def test_scaling_measures_each_size_and_the_three_kinds_of_start(tmp_path: Path) -> None:
    # (a prefix with a dot of its own, as a version in the name: it wrote scaling-0.7.json and the rest)
    out = tmp_path / "scaling-0.7.10"
    args = ["--sizes", "150,300", "--workers", "0", "--queries", "60", "--data-dir", str(tmp_path / "store"),
            "--out", str(out)]  # fmt: skip
    assert scaling.main(args) == 0
    written = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert written == ["scaling-0.7.10.json", "scaling-0.7.10.md", "scaling-0.7.10.png"]
    json_file, md_file, png_file = (tmp_path / name for name in written)
    rows = json.loads(json_file.read_text())["rows"]
    assert [r["articles"] for r in rows] == [150, 300]
    for r in rows:
        assert r["ingest_rate"] > 0 and r["check_errors"] == {}
        assert 0 < r["check_p50_ms"] <= r["check_p99_ms"]
        assert 0 < r["check_p99_from_send_ms"] <= r["check_p99_ms"]  # (paced: from the due time, never after the send)
        for start in ("crash_restart_seconds", "restart_seconds", "rebuild_seconds"):
            assert 0 < r[start] < 60
    assert md_file.read_text().count("\n") == 4  # head, rule, two sizes
    assert png_file.stat().st_size > 0
    # (marked as its own, and so written over by a run again to the same --out; another benchmark's is refused)
    assert outputs.plot_writer(png_file) == "benchmarks.scaling"
    assert not outputs.not_ours(outputs.prefixed(out, scaling.OUTPUTS))


@pytest.mark.parametrize("sizes", ["500,500", "300,200", "0,100", "1k"])
def test_sizes_that_do_not_grow_are_refused_before_any_work(sizes: str, capsys: pytest.CaptureFixture[str]) -> None:
    # ("500,500" did all the work, then ended in a ZeroDivisionError: the second size ingested nothing)
    with pytest.raises(SystemExit) as refused:
        scaling.main(["--sizes", sizes])
    assert refused.value.code == 2
    assert f"argument --sizes: {sizes!r}" in capsys.readouterr().err
    assert scaling.growing_sizes("150,300") == [150, 300]


def test_the_check_runs_errors_are_summed_by_status_code() -> None:
    peak, half = {"errors": {"DEADLINE_EXCEEDED": 2, "UNAVAILABLE": 1}}, {"errors": {"DEADLINE_EXCEEDED": 3}}
    assert scaling.summed_errors(peak, half) == {"DEADLINE_EXCEEDED": 5, "UNAVAILABLE": 1}


def test_resuming_a_store_at_or_past_every_size_says_so_and_writes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with in_process_server(store) as (running, client):
        run_articles(f"127.0.0.1:{running.port}", "batch", corpus.generated(5), 1)
        assert client.stats().articles == 5
    out = tmp_path / "scaling"
    args = ["--sizes", "3,5", "--workers", "0", "--data-dir", str(store), "--resume", "--out", str(out)]
    with pytest.raises(SystemExit) as refused:  # (it exited 0, silently, writing nothing)
        scaling.main(args)
    assert str(refused.value.code).startswith(f"scaling: the store in {store} holds 5 articles, at or past every")
    assert not out.with_suffix(".json").exists()


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--queries", "0", "0 is out of range: give 1 or more"),
        ("--streams", "0", "0 is out of range: give 1 or more"),
        ("--check-concurrency", "-2", "-2 is out of range: give 1 or more"),
        ("--workers", "-1", "-1 is out of range: give 0 or more"),
        ("--republished", "1.5", "1.5 is out of range: give a number from 0 to 1"),
        ("--empty-rss", "-1", "-1 is out of range: give 0 or more"),
    ],
)
def test_a_number_that_cannot_make_a_measurement_is_refused_naming_its_flag(
    flag: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (--queries 0 ran, and reported the checks it never made as 0/s and 0 ms)
    with pytest.raises(SystemExit) as refused:
        scaling.main(["--sizes", "10", flag, value])
    assert refused.value.code == 2
    assert f"argument {flag}: {says}" in capsys.readouterr().err
