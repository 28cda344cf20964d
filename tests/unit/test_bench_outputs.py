"""The benchmarks write their results over a file only when they wrote it: `--out docs/perf` (scaling's --out is a
prefix) replaced the 2,552-line docs/perf.md with a four-line table."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import ingest_cli, loadtest, mixed, outputs, purge, redis_scaling, redis_wait, scaling

ROOT = Path(__file__).resolve().parents[2]
DOC = "# Performance\n\nMeasured by hand, over many days: nothing may write over this.\n"


def _doc_at(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DOC)
    return path


def test_scalings_own_usage_line_no_longer_names_the_doc() -> None:
    assert "--out docs/perf\n" not in scaling.__doc__
    assert "--out docs/perf/scaling" in scaling.__doc__


def test_scaling_refuses_an_out_prefix_whose_markdown_is_a_doc_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc_at(tmp_path / "docs" / "perf.md")
    args = ["--sizes", "5", "--queries", "2", "--workers", "0", "--out", str(tmp_path / "docs" / "perf")]
    with pytest.raises(SystemExit) as refused:
        scaling.main(args)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path / 'docs' / 'perf'} would write over {doc}, which this benchmark did not write" in err
    assert "docs/perf/scaling, a prefix" in err
    assert doc.read_text() == DOC
    assert sorted(p.name for p in doc.parent.iterdir()) == ["perf.md"]  # (no .json nor .png either)


def test_mixed_refuses_an_out_prefix_whose_markdown_is_a_doc_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc_at(tmp_path / "notes.md")
    with pytest.raises(SystemExit) as refused:
        mixed.main(["--data-dir", str(tmp_path / "store"), "--rounds", "0", "--out", str(tmp_path / "notes")])
    assert refused.value.code == 2
    assert f"would write over {doc}, which this benchmark did not write" in capsys.readouterr().err
    assert doc.read_text() == DOC
    assert not (tmp_path / "store").exists()  # (no server was started over it)


@pytest.mark.parametrize(
    ("run", "flag", "name"),
    [
        (lambda a: redis_scaling.main(["--articles", "10", *a]), "--out", "README.md"),
        (lambda a: redis_wait.main(["--articles", "8", "--batch", "8", "--rounds", "1", *a]), "--out", "perf.md"),
        (lambda a: redis_wait.main(["--articles", "8", "--batch", "8", "--rounds", "1", *a]), "--report", "perf.md"),
        (lambda a: purge.main(["--count", "8", "--delete", "4", "--callers", "1", *a]), "--report", "perf.md"),
        (lambda a: ingest_cli.main(["--count", "5", "--rounds", "1", "--workers", "0", *a]), "--report", "perf.md"),
        (lambda a: loadtest.parse_args(a, {}), "--report", "perf.md"),
        (lambda a: loadtest.parse_args(a, {}), "--plot", "perf.md"),
    ],
    ids=[
        "redis_scaling --out",
        "redis_wait --out",
        "redis_wait --report",
        "purge --report",
        "ingest_cli --report",
        "neardup-bench --report",
        "neardup-bench --plot",
    ],
)
def test_every_benchmark_refuses_to_write_a_result_over_a_doc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run: Callable[[list[str]], object], flag: str, name: str
) -> None:
    doc = _doc_at(tmp_path / name)
    with pytest.raises(SystemExit) as refused:
        run([flag, str(doc)])
    assert refused.value.code == 2
    assert f"{flag} {doc} would write over {doc}, which this benchmark did not write" in capsys.readouterr().err
    assert doc.read_text() == DOC


def _tracked(pattern: str) -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in listed.stdout.splitlines()]


def test_what_the_benchmarks_wrote_may_be_measured_again_in_place() -> None:
    # Every scaling result in docs/perf, of any version of the benchmark, reads as its own; so do mixed's tables
    # and reports (a hand-written page beside them, starting with a heading, does not).
    for path in _tracked("docs/perf/scaling*"):
        assert not outputs.not_ours({path: scaling.OUTPUTS[path.suffix]}), path
    kept = [p for p in _tracked("docs/perf/mixed-*") if p.read_text().startswith(("| round |", '{\n "machine"'))]
    assert kept
    for path in kept:
        assert not outputs.not_ours({path: mixed.OUTPUTS[path.suffix]}), path
    for path in _tracked("benchmarks/results/redis_*.md"):
        module = redis_scaling if "scaling" in path.name else redis_wait
        assert module.__name__.endswith(path.stem)
        assert outputs.markdown_starting(f"Command: `python -m {module.__name__}")(path)


def test_the_docs_do_not_read_as_any_benchmarks_output() -> None:
    for doc in (ROOT / "README.md", ROOT / "docs" / "perf.md"):
        for ours in (*scaling.OUTPUTS.values(), *mixed.OUTPUTS.values(), outputs.json_object()):
            assert outputs.not_ours({doc: ours}) == [doc]


def test_a_directory_at_an_output_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out.md").mkdir()
    assert outputs.not_ours(outputs.prefixed(tmp_path / "out", scaling.OUTPUTS)) == [tmp_path / "out.md"]
