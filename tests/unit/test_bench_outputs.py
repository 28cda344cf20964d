"""The benchmarks write their results over a file only when they wrote it: `--out docs/perf` (scaling's --out is a
prefix) replaced the 2,552-line docs/perf.md with a four-line table."""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import accuracy, ingest_cli, loadtest, mixed, outputs, plots, purge, redis_scaling, redis_wait, scaling
from benchmarks.plots import pyplot

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
    # Every scaling report and table in docs/perf, of any version of the benchmark, reads as its own; so do mixed's
    # tables and reports (a hand-written page beside them, starting with a heading, does not).
    for path in (
        _tracked("docs/perf/scaling*.json") + _tracked("docs/perf/scaling*.md") + _tracked("docs/perf/scaling*.png")
    ):
        assert not outputs.not_ours({path: scaling.OUTPUTS[path.suffix]}), path
    # The plots committed before the mark were marked afterwards with the benchmark that drew them.
    for path in _tracked("docs/quality-*-pr.png"):
        assert outputs.plot_writer(path) == accuracy.PLOT_MARK, path
    for path in _tracked("docs/perf/soak-10min.png") + _tracked("docs/perf/*-compare.png"):
        assert outputs.plot_writer(path) == loadtest.PLOT_MARK, path
    kept = [p for p in _tracked("docs/perf/mixed-*") if p.read_text().startswith(("| round |", '{\n "machine"'))]
    assert kept
    for path in kept:
        assert not outputs.not_ours({path: mixed.OUTPUTS[path.suffix]}), path
    for path in _tracked("benchmarks/results/redis_*.md"):
        module = redis_scaling if "scaling" in path.name else redis_wait
        assert module.__name__.endswith(path.stem)
        assert outputs.markdown_starting(f"Command: `python -m {module.__name__}")(path)
    for path in _tracked("docs/perf/ingest-cli-2026-12-0[56]-*.json"):
        assert ingest_cli.REPORT(path), path
    for path in _tracked("docs/perf/purge-*.json"):
        assert purge.REPORT(path), path
    for path in _tracked("docs/perf/soak-10min.json") + _tracked("docs/perf/*-compare.json"):
        assert loadtest.REPORT(path), path


REPORTS = {
    "neardup-bench": loadtest.REPORT,
    "ingest_cli": ingest_cli.REPORT,
    "purge": purge.REPORT,
    "redis_wait": redis_wait.REPORT,
    "scaling": scaling.OUTPUTS[".json"],
    "mixed": mixed.OUTPUTS[".json"],
}
# A report each benchmark wrote (committed in docs/perf), by the benchmark that wrote it.
WRITTEN = {
    "neardup-bench": "docs/perf/soak-10min.json",
    "ingest_cli": "docs/perf/ingest-cli-2026-12-06-df079a6.json",
    "purge": "docs/perf/purge-2026-12-04-20k.json",
    "scaling": "docs/perf/scaling-2026-12-04-morning-a678aca.json",
    "mixed": "docs/perf/mixed-2026-12-04-morning.json",
}


def test_a_benchmark_reads_no_other_benchmarks_report_as_its_own() -> None:
    # (Any JSON object read as a report of its own: ingest_cli --report docs/perf/scaling-....json replaced it.)
    for writer, name in WRITTEN.items():
        path = ROOT / name
        assert REPORTS[writer](path), name
        assert [b for b, ours in REPORTS.items() if b != writer and ours(path)] == [], name


def test_ingest_cli_refuses_a_report_path_holding_scalings_report_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "scaling.json"
    shutil.copyfile(ROOT / WRITTEN["scaling"], report)
    with pytest.raises(SystemExit) as refused:
        ingest_cli.main(["--count", "5", "--rounds", "1", "--workers", "0", "--report", str(report)])
    assert refused.value.code == 2
    assert f"would write over {report}, which this benchmark did not write" in capsys.readouterr().err
    assert report.read_bytes() == (ROOT / WRITTEN["scaling"]).read_bytes()


def test_a_json_report_is_known_by_keys_given() -> None:
    with pytest.raises(ValueError, match="keys"):
        outputs.json_object()


def _png(text: dict[str, str]) -> bytes:
    """A 1x1 grey PNG with `text` in tEXt chunks, as matplotlib's savefig(metadata=...) writes them."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    texts = b"".join(chunk(b"tEXt", f"{k}\0{v}".encode("latin-1")) for k, v in text.items())
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (outputs.PNG_SIGNATURE + chunk(b"IHDR", ihdr) + texts + chunk(b"IDAT", zlib.compress(b"\0\x80"))
            + chunk(b"IEND", b""))  # fmt: skip


def test_a_plot_is_known_by_the_mark_its_benchmark_wrote_in_it(tmp_path: Path) -> None:
    marked = tmp_path / "marked.png"
    marked.write_bytes(_png({"Title": "t", **outputs.plot_mark("benchmarks.accuracy")}))
    unmarked = tmp_path / "unmarked.png"
    unmarked.write_bytes(_png({"Software": "Matplotlib version3.11.2, https://matplotlib.org/"}))
    assert outputs.plot_writer(marked) == "benchmarks.accuracy"
    assert outputs.plot_of("benchmarks.accuracy")(marked)
    assert not outputs.plot_of("benchmarks.loadtest")(marked)
    assert outputs.plot_writer(unmarked) is None and not outputs.plot_of("benchmarks.accuracy")(unmarked)
    assert outputs.png_text(ROOT / "README.md") is None


def test_each_benchmarks_plot_carries_its_mark(tmp_path: Path) -> None:
    plt = pyplot()
    if plt is None:
        pytest.skip("matplotlib (the bench extra) is not installed")
    fig, _ = plt.subplots()
    plots.save(plt, fig, tmp_path / "p.png", "benchmarks.scaling", dpi=20)
    assert outputs.plot_writer(tmp_path / "p.png") == "benchmarks.scaling"
    assert not outputs.not_ours({tmp_path / "p.png": scaling.OUTPUTS[".png"]})


def test_neardup_bench_refuses_a_plot_path_holding_another_benchmarks_plot_saying_whose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (neardup-bench --spawn --count 10 --report x.json --plot docs/quality-devset-pr.png replaced accuracy's curve)
    curve = tmp_path / "quality-devset-pr.png"
    curve.write_bytes(_png(outputs.plot_mark("benchmarks.accuracy")))
    with pytest.raises(SystemExit) as refused:
        loadtest.parse_args(["--report", str(tmp_path / "x.json"), "--plot", str(curve)], {})
    assert refused.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        f"would write over {curve}, which this benchmark did not write ({curve} is a plot of benchmarks.accuracy)"
        in err
    )
    assert "give --plot a path of its own" in err


def test_a_plot_with_no_mark_is_refused_as_not_one_of_the_benchmarks_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = tmp_path / "older.png"
    older.write_bytes(_png({}))
    with pytest.raises(SystemExit) as refused:
        loadtest.parse_args(["--plot", str(older)], {})
    assert refused.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{older} is not one of this benchmark's plots" in err
    assert "or move or remove the file first" in err
    assert older.read_bytes() == _png({})


def test_neardup_bench_writes_over_its_own_plot_and_report(tmp_path: Path) -> None:
    plot, report = tmp_path / "p.png", tmp_path / "r.json"
    plot.write_bytes(_png(outputs.plot_mark(loadtest.PLOT_MARK)))
    shutil.copyfile(ROOT / WRITTEN["neardup-bench"], report)
    assert loadtest.parse_args(["--plot", str(plot), "--report", str(report)], {}).plot == plot


def test_a_load_not_run_removes_only_its_own_earlier_plot_and_says_so_when_it_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = tmp_path / "ours.png", tmp_path / "theirs.png"
    ours.write_bytes(_png(outputs.plot_mark(loadtest.PLOT_MARK)))
    theirs.write_bytes(_png({"Software": "Matplotlib"}))
    assert loadtest._removed_earlier_plot(theirs) == "" and theirs.exists()
    assert loadtest._removed_earlier_plot(tmp_path / "none.png") == ""

    def refused(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    with monkeypatch.context() as m:  # (root removes files from a read-only directory: the refusal is forced)
        m.setattr(Path, "unlink", refused)
        said = loadtest._removed_earlier_plot(ours)
    assert said == f"; the earlier run's plot at {ours} is left: it could not be removed (Permission denied)"
    assert ours.exists()
    assert loadtest._removed_earlier_plot(ours) == f"; the earlier run's plot at {ours} was removed"
    assert not ours.exists()


def test_scaling_refuses_an_out_prefix_with_a_stray_plot_beside_it_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = tmp_path / "run.png"  # (no run.json nor run.md: not a scaling run's)
    stray.write_bytes(_png({"Software": "Matplotlib"}))
    with pytest.raises(SystemExit) as refused:
        scaling.main(["--sizes", "5", "--queries", "2", "--workers", "0", "--out", str(tmp_path / "run")])
    assert refused.value.code == 2
    assert f"{stray} is not one of this benchmark's plots" in " ".join(capsys.readouterr().err.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.png"]


def test_the_docs_do_not_read_as_any_benchmarks_output() -> None:
    for doc in (ROOT / "README.md", ROOT / "docs" / "perf.md"):
        for ours in (*scaling.OUTPUTS.values(), *mixed.OUTPUTS.values(), *REPORTS.values()):
            assert outputs.not_ours({doc: ours}) == [doc]


def test_an_out_prefix_keeps_a_dot_of_its_own() -> None:
    # (Path.with_suffix took a version's last part for a suffix: scaling-0.7.10 wrote scaling-0.7.json, .md, .png)
    assert outputs.prefix_paths(Path("perf/scaling-0.7.10"), scaling.OUTPUTS) == {
        ".json": Path("perf/scaling-0.7.10.json"),
        ".md": Path("perf/scaling-0.7.10.md"),
        ".png": Path("perf/scaling-0.7.10.png"),
    }
    assert outputs.prefix_paths(Path("notes.txt"), mixed.OUTPUTS) == {
        ".json": Path("notes.txt.json"),
        ".md": Path("notes.txt.md"),
    }


@pytest.mark.parametrize("given", ["perf/scaling", "perf/scaling.json", "perf/scaling.md", "perf/scaling.png"])
def test_an_out_prefix_ending_in_an_outputs_suffix_names_that_output(given: str) -> None:
    paths = outputs.prefix_paths(Path(given), scaling.OUTPUTS)
    assert paths == {s: Path(f"perf/scaling{s}") for s in (".json", ".md", ".png")}
    # (mixed writes no plot: a prefix ending in .png is a prefix like any other for it)
    assert outputs.prefix_paths(Path("perf/mixed.png"), mixed.OUTPUTS)[".md"] == Path("perf/mixed.png.md")


def test_a_directory_at_an_output_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out.md").mkdir()
    assert outputs.not_ours(outputs.prefixed(tmp_path / "out", scaling.OUTPUTS)) == [tmp_path / "out.md"]


# A stand-in for the spawned server: a SIGINT begins a stop that takes 0.5 s and exits 0; a SIGTERM (default) ends it.
_STOPS_ON_SIGINT = """
import signal, sys, time
stopping = []
signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
print("ready", flush=True)
while not stopping:
    time.sleep(0.01)
time.sleep(0.5)
sys.exit(0)
"""


def test_the_spawned_servers_close_after_a_ctrl_c_waits_for_the_stop_it_began() -> None:
    """A Ctrl-C reaches the spawned server too (the bench's process group): the bench's close sent a SIGTERM at once,
    a second signal for the same stop (one 1 s or more after the first exits at once, cutting off its drain)."""
    server = loadtest.SpawnedServer.__new__(loadtest.SpawnedServer)  # (no real serve: its stop only)
    server.dir = None
    server.proc = subprocess.Popen([sys.executable, "-c", _STOPS_ON_SIGINT], stdout=subprocess.PIPE, text=True)
    try:
        assert server.proc.stdout is not None and server.proc.stdout.readline() == "ready\n"
        server.proc.send_signal(signal.SIGINT)  # (the terminal's, to the process group)
        server.close(stopping=True)
        assert server.proc.returncode == 0  # (not -SIGTERM: it stopped by itself)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def test_the_spawned_servers_close_after_a_ctrl_c_it_never_had_still_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loadtest.SpawnedServer, "stopping_wait", 0.2)
    server = loadtest.SpawnedServer.__new__(loadtest.SpawnedServer)
    server.dir = None
    server.proc = subprocess.Popen([sys.executable, "-c", _STOPS_ON_SIGINT], stdout=subprocess.PIPE, text=True)
    try:
        assert server.proc.stdout is not None and server.proc.stdout.readline() == "ready\n"
        server.close(stopping=True)  # (a `kill -INT` of the bench alone: the server goes on until its SIGTERM)
        assert server.proc.returncode == -signal.SIGTERM
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


@pytest.mark.parametrize("flag", ["--report", "--plot"])
def test_neardup_bench_refuses_a_result_path_in_a_directory_that_does_not_exist_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    # (--report /tmp/nodir/x.json ran the whole load, then lost the report to a FileNotFoundError traceback)
    missing = tmp_path / "nodir"
    other = ["--plot", str(tmp_path / "p.png")] if flag == "--report" else ["--report", str(tmp_path / "r.json")]
    argv = ["--target", "127.0.0.1:1", "--count", "20", *other]
    with pytest.raises(SystemExit) as refused:  # (nothing listens at port 1: a run would have ended saying so, exit 1)
        loadtest.main([*argv, flag, str(missing / "x")])
    assert refused.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{flag} {missing / 'x'}: the directory {missing} does not exist; nothing was run" in err
    assert f"mkdir -p {missing}" in err
    assert not missing.exists()


def test_a_result_path_under_a_file_or_in_a_directory_not_writable_is_refused_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory\n")
    with pytest.raises(SystemExit) as refused:
        loadtest.parse_args(["--report", str(a_file / "x.json"), "--plot", str(tmp_path / "p.png")], {})
    assert refused.value.code == 2
    assert f"--report {a_file / 'x.json'}: {a_file} is not a directory" in " ".join(capsys.readouterr().err.split())
    if os.geteuid() == 0:
        return  # (root writes into a read-only directory: that refusal cannot be seen here)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(SystemExit) as refused:
        loadtest.parse_args(["--report", str(tmp_path / "r.json"), "--plot", str(locked / "p.png")], {})
    assert refused.value.code == 2
    assert f"the directory {locked} is not writable by this user" in " ".join(capsys.readouterr().err.split())
