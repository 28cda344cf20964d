"""neardup-bench against a real in-process server on loopback: small, bounded runs of each mode."""

from __future__ import annotations

import _thread
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from neardup.v1 import neardup_pb2 as pb
from rich.console import Console

from benchmarks import baseline, corpus, loadtest
from benchmarks.loopback import free_port
from client import NeardupClient
from client.api import DEFAULT_PORT, open_channel
from service.grpc_server import RunningServer
from tests.integration.test_mtls import make_clients
from tests.integration.test_tls import make_pki
from tests.support import in_process_server, until


def _config(port: int, mode: str, **kw: object) -> loadtest.RunConfig:
    base: dict[str, object] = dict(
        target=f"127.0.0.1:{port}", mode=mode, concurrency=2, count=40, duration=None,
        rate=None, check_share=0.5, timeout=60.0, server_pid=None, progress=False, batch=7,
    )  # fmt: skip
    base.update(kw)
    return loadtest.RunConfig(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", loadtest.MODES)
def test_each_mode_sends_exactly_count_articles(server: tuple[RunningServer, NeardupClient], mode: str) -> None:
    running, client = server
    articles = corpus.generated(60)
    report = loadtest.run_load(_config(running.port, mode), articles)
    assert report["articles"] == 40
    assert report["ok"] == 40 and report["errors"] == {}
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p99"] <= report["latency_ms"]["max"]
    host = report["host_cpu"]  # the machine's CPU over the run: the load kept it partly busy
    assert host["busy"] > 0 and all(0 <= host[k] <= 1 for k in ("busy", "idle", "steal"))
    assert abs(host["busy"] + host["idle"] + host["steal"] - 1) < 1e-9
    stored = client.stats().articles
    expected = {"check": 0, "unary": 40, "stream": 40, "batch": 40}.get(mode)
    if expected is not None:
        assert stored == expected
    else:  # mix: the indexed ones are stored, the checked ones are not
        assert stored == sum(1 for row in report["timeline"] if row[2] == "index")


@pytest.mark.parametrize("mode", ["stream", "batch"])
def test_errors_are_counted_by_status_code(server: tuple[RunningServer, NeardupClient], mode: str) -> None:
    running, _ = server
    articles = [*corpus.generated(5)]
    articles[2] = type(articles[2])(id="", body="no id here")  # INVALID_ARGUMENT from the server
    report = loadtest.run_load(_config(running.port, mode, concurrency=1, count=5, batch=2), articles)
    assert report["errors"] == {"INVALID_ARGUMENT": 1}
    assert report["ok"] == 4
    # The headline rate counts the articles answered OK; every answer a second is reported beside it.
    assert report["throughput"] == 4 / report["seconds"]
    assert report["answered_per_s"] == 5 / report["seconds"]


def test_rate_paces_the_run(server: tuple[RunningServer, NeardupClient]) -> None:
    running, _ = server
    report = loadtest.run_load(_config(running.port, "check", count=20, rate=50.0), corpus.generated(20))
    assert report["seconds"] >= 19 / 50  # the 20th article may not leave before 0.38 s


def test_duration_bounds_the_run_and_rss_is_sampled(server: tuple[RunningServer, NeardupClient]) -> None:
    import os

    running, _ = server
    config = _config(running.port, "check", count=None, duration=0.5, rate=100.0, server_pid=os.getpid())
    report = loadtest.run_load(config, corpus.generated(10))
    assert report["seconds"] < 10
    assert 0 < report["articles"] <= 60
    assert report["rss"] and report["rss"][0][1] > 0
    assert report["server_cpu_us_per_article"] > 0  # the in-process server's CPU is this process's


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # (the sampler's crash)
def test_a_server_pid_that_ends_during_the_run_ends_its_sampling_not_the_run(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    # (the RSS sampler died with a traceback, then the run lost its report to a FileNotFoundError at its end)
    running, _ = server
    sampled = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    record = loadtest.Record()

    def end_it_once_answers_come() -> None:
        if until(lambda: len(record.done) >= 3, timeout=30):
            sampled.kill()
            sampled.wait()  # (reaped: its /proc entry is gone, as a server's that ended is)

    ender = threading.Thread(target=end_it_once_answers_come, daemon=True)
    ender.start()
    try:  # (past the sampler's second sample, at 1 s)
        config = _config(running.port, "check", count=None, duration=1.5, rate=20.0, server_pid=sampled.pid)
        report = loadtest.run_load(config, corpus.generated(40), record)
    finally:
        ender.join()
        if sampled.poll() is None:
            sampled.kill()
            sampled.wait()
    assert report["ok"] == report["articles"] > 3
    assert report["server_ended"] is True and report["server_cpu_us_per_article"] is None
    loadtest.print_table(report)


def test_report_plot_and_compare(tmp_path: Path, server: tuple[RunningServer, NeardupClient]) -> None:
    running, _ = server
    report = loadtest.run_load(_config(running.port, "stream", count=30), corpus.generated(30))
    report["compare"] = loadtest.compare(loadtest.Work(corpus.generated(30)), recipe_before=123.0)
    report["compare"]["grpc_vs_datasketch"] = 1.0
    loadtest.save_plot(report, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    c = report["compare"]
    assert c["core_rate"] > 0 and c["datasketch_runs"][0] == 123.0 and c["datasketch_runs"][1] > 0
    assert c["datasketch_rate"] == sum(c["datasketch_runs"]) / 2  # the runs before and after the load
    assert c["core_vs_datasketch"] == c["core_rate"] / c["datasketch_rate"]
    assert (
        len(loadtest.compare(loadtest.Work(corpus.generated(30)))["datasketch_runs"]) == 1
    )  # no run before: after only
    json.dumps(report)  # the report is JSON-serialisable
    loadtest.print_table(report)


def test_only_loopback_targets_are_accepted() -> None:
    loadtest.require_loopback("127.0.0.1:1")
    loadtest.require_loopback("[::1]:1")
    with pytest.raises(SystemExit, match="loopback"):
        loadtest.require_loopback("10.1.2.3:50051")


def test_a_server_named_without_a_port_is_looked_for_on_neardups_port_as_the_cli_does() -> None:
    for host in ("127.0.0.1", "[::1]", "localhost"):
        target = loadtest.build_parser().parse_args(["--server", host]).target
        assert target == f"{host}:{DEFAULT_PORT}"
        loadtest.require_loopback(target)
    assert loadtest.build_parser().parse_args(["--target", "127.0.0.1:7000"]).target == "127.0.0.1:7000"


def test_a_port_alone_is_refused_saying_what_to_write(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        loadtest.build_parser().parse_args(["--target", "7000"])
    assert "'7000' is a port alone: give a host too, e.g. 'localhost:7000'" in capsys.readouterr().err


def test_an_articles_file_that_is_missing_or_holds_no_article_ends_the_run_saying_so(tmp_path: Path) -> None:
    # (before any server is asked: nothing listens at port 1)
    with pytest.raises(SystemExit, match=r"^neardup-bench: cannot read \S+absent\.jsonl: No such file"):
        loadtest.main(["--target", "127.0.0.1:1", "--articles", str(tmp_path / "absent.jsonl"), "--count", "5"])
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"title": "no id, no body"}\nnot json\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"no article in \S+empty\.jsonl: each line must be a JSON object"):
        loadtest.main(["--server", "127.0.0.1:1", "--articles", str(empty), "--count", "5"])  # (neardup's name)


def test_the_server_address_is_taken_as_neardup_names_it_too() -> None:
    assert loadtest.build_parser().parse_args(["--server", "127.0.0.1:7"]).target == "127.0.0.1:7"
    assert loadtest.build_parser().parse_args(["--target", "[::1]:8"]).target == "[::1]:8"


def test_a_batch_answered_in_parts_counts_as_one_batch_of_all_its_results() -> None:
    part = [pb.IndexArticlesResponse(id=str(n)) for n in range(5)]
    answers = [
        pb.IndexArticleBatchesResponse(results=part[:2], more_follow=True),
        pb.IndexArticleBatchesResponse(results=part[2:4], more_follow=True),
        pb.IndexArticleBatchesResponse(results=part[4:]),
        pb.IndexArticleBatchesResponse(results=part[:1]),
    ]
    assert [[r.id for r in batch] for batch in loadtest._joined(answers)] == [["0", "1", "2", "3", "4"], ["0"]]


@pytest.mark.parametrize(
    ("mode", "window", "batch"), [("stream", 3, 2), ("batch", 4, 2), ("batch", 5, 2), ("batch", 3, 7)]
)
def test_a_stream_never_has_more_than_its_window_unanswered(
    server: tuple[RunningServer, NeardupClient], mode: str, window: int, batch: int
) -> None:
    # Latency is counted from when an article is sent: bounded, it is an article's time in a pipeline, not in a
    # queue that grows with --count (unbounded, gRPC took ~1,000 articles of a stream at once). A window that is no
    # whole number of batches still fills them; a batch bigger than the window goes alone.
    running, _ = server
    config = _config(running.port, mode, concurrency=2, count=40, batch=batch, window=window)
    report = loadtest.run_load(config, corpus.generated(40))
    assert report["ok"] == 40
    assert report["window"] == window
    assert 1 <= report["peak_in_flight"] <= max(window, batch if mode == "batch" else 1)


def test_no_server_at_the_target_ends_the_run_in_one_line_before_any_compare_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_recipe(*_: object) -> None:
        raise AssertionError("the recipe was timed though no server answers")

    monkeypatch.setattr(baseline, "datasketch_recipe", no_recipe)
    started = time.monotonic()
    with pytest.raises(SystemExit) as ended:  # (nothing listens at port 1)
        loadtest.main(["--target", "127.0.0.1:1", "--count", "3", "--compare", "--timeout", "1", "--no-progress"])
    said = str(ended.value.code)
    assert said.startswith("neardup-bench: cannot reach 127.0.0.1:1 within 5 s: is `neardup serve`")
    assert "(--target or NEARDUP_SERVER names it" in said  # (the bench reads NEARDUP_SERVER as neardup does)
    assert time.monotonic() - started < 20  # (it waited 30 s, past --timeout, then a bare FutureTimeoutError)


def test_the_wait_for_a_server_is_as_long_as_wait_for_server_says_and_the_line_names_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a fixed 5 s: a pipeline starting the server beside the bench could not wait longer, nor a script less)
    # The default wait made 60 s: a run that waited it instead of the flag's 0.5 s would take 60 s, and 30 s tells
    # them apart on however busy a host (against the real 5 s, the bound was 4.5 s: 4 s over the 0.5 s).
    monkeypatch.setattr(loadtest, "READY_WAIT", 60.0)
    started = time.monotonic()
    with pytest.raises(SystemExit) as ended:  # (nothing listens at port 1)
        loadtest.main(["--target", "127.0.0.1:1", "--count", "3", "--wait-for-server", "0.5", "--no-progress"], env={})
    assert time.monotonic() - started < 30
    said = str(ended.value.code)
    assert said.startswith("neardup-bench: cannot reach 127.0.0.1:1 within 0.5 s: is `neardup serve`")
    assert "--wait-for-server waits longer" in said


def test_a_server_that_comes_up_within_wait_for_server_is_waited_for(tmp_path: Path) -> None:
    port = free_port()
    path = tmp_path / "r.json"
    argv = ["--target", f"127.0.0.1:{port}", "--mode", "unary", "--count", "3", "--wait-for-server", "60",
            "--no-progress", "--report", str(path), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    ended: list[int] = []
    bench = threading.Thread(target=lambda: ended.append(loadtest.main(argv, env={})), daemon=True)
    bench.start()
    assert not until(lambda: bool(ended), timeout=1)  # it waits: no server yet
    with in_process_server(tmp_path / "data", port=port):
        assert until(lambda: bool(ended), timeout=60)
    assert ended == [0] and json.loads(path.read_text())["ok"] == 3


def test_ctrl_c_stops_a_batch_run_letting_its_streams_finish_and_says_so(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient]
) -> None:
    running, client = server
    report_path = tmp_path / "r.json"
    argv = ["--target", f"127.0.0.1:{running.port}", "--mode", "batch", "--batch", "4", "--count", "400", "--rate",
            "100", "--no-progress", "--report", str(report_path), "--plot", str(tmp_path / "p.png")]  # fmt: skip

    def ctrl_c_once_some_are_stored() -> None:
        if until(lambda: client.stats().articles >= 8, timeout=30):
            _thread.interrupt_main()  # as SIGINT: KeyboardInterrupt in the main thread, wherever it waits

    threading.Thread(target=ctrl_c_once_some_are_stored, daemon=True).start()
    assert loadtest.main(argv) == loadtest.INTERRUPTED == 130
    report = json.loads(report_path.read_text())
    assert report["interrupted"] is True
    assert 8 <= report["articles"] < 400
    assert report["errors"] == {}  # no stream's last batch CANCELLED under it
    assert client.stats().articles == report["ok"] == report["articles"]


def test_a_count_above_the_articles_a_file_holds_is_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = tmp_path / "small.jsonl"
    corpus.write_jsonl(corpus.generated(3), small)
    # (before any server is asked: nothing listens at port 1) Exit code 2, as the other refusals of the command line
    # (it was 1).
    assert loadtest.main(["--target", "127.0.0.1:1", "--articles", str(small), "--count", "5"]) == 2
    said = capsys.readouterr().err
    assert re.match(r"neardup-bench: --count 5 asks for more articles than \S+small\.jsonl holds \(3\)", said)
    assert loadtest.main(["--target", "127.0.0.1:1", "--articles", str(small), "--count", "2", "--preload", "2"]) == 2
    assert re.search(r"--count 2 asks .* holds \(3, 2 of them for --preload\)", capsys.readouterr().err)


def test_a_duration_run_that_has_sent_every_article_ends_sending_none_twice(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    running, client = server
    config = _config(running.port, "unary", count=None, duration=20.0)
    report = loadtest.run_load(config, corpus.generated(10))
    assert report["articles"] == report["ok"] == 10  # (it sent them again under ids "<id>~1", … for 20 s)
    assert report["ran_out_of_articles"] is True
    assert client.stats().articles == 10


def test_a_mix_run_shows_index_and_check_latency_apart(
    server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    running, _ = server
    report = loadtest.run_load(_config(running.port, "mix", count=30, check_share=0.5), corpus.generated(30))
    capsys.readouterr()
    loadtest.print_table(report)
    rows = {line.split("│")[1].strip(): line for line in capsys.readouterr().out.splitlines() if line.count("│") > 5}
    assert {"all", "index", "check"} <= set(rows)
    for kind in ("index", "check"):
        cells = [c.strip() for c in rows[kind].split("│")]
        assert int(cells[2]) == sum(1 for r in report["timeline"] if r[2] == kind)  # its calls
        assert float(cells[6]) == round(report["latency_ms_by_kind"][kind]["p50"], 2)  # its p50


def test_mix_checks_copies_of_articles_the_run_indexed_and_finds_them_the_same_each_time_for_a_seed(
    tmp_path: Path,
) -> None:
    # Articles with no republication among them: a check of one matches nothing. The checks were all of such
    # articles (never stored), found nothing, and a mix run measured no check that finds a match.
    articles = corpus.generated(60, corpus.GeneratorConfig(republished=0.0))
    reports = []
    for run in range(2):  # two fresh servers, one seed: the same run
        with in_process_server(tmp_path / f"data{run}") as (running, _):
            config = _config(running.port, "mix", concurrency=1, count=60, check_share=0.5, republished=1.0, seed=3)
            reports.append(loadtest.run_load(config, articles))
    checks = reports[0]["checks"]
    assert checks["answered"] == sum(1 for r in reports[0]["timeline"] if r[2] == "check") > 10
    assert checks["copies"] >= checks["answered"] - 3  # (all, but those before the first article is indexed)
    assert checks["with_a_match"] == checks["copies_with_a_match"] == checks["copies"]
    assert reports[1]["checks"] == checks
    assert [r[2] for r in reports[1]["timeline"]] == [r[2] for r in reports[0]["timeline"]]


def test_mix_checks_copy_stored_articles_in_the_share_asked(server: tuple[RunningServer, NeardupClient]) -> None:
    running, _ = server
    articles = corpus.generated(80, corpus.GeneratorConfig(republished=0.0))
    config = _config(running.port, "mix", concurrency=2, count=80, check_share=0.8, republished=0.0)
    none = loadtest.run_load(config, articles[:40])["checks"]
    assert none["copies"] == none["with_a_match"] == 0 and none["answered"] > 10
    config = _config(running.port, "mix", concurrency=2, count=40, check_share=1.0, republished=0.5)
    half = loadtest.run_load(config, articles[40:])["checks"]  # (nothing indexed in this run: nothing to copy)
    assert half["copies"] == 0


def _bench_report(tmp_path: Path, running: RunningServer, *flags: str) -> dict[str, Any]:
    """neardup-bench run with `flags` against the test's server (no progress bar; its report and plot in
    `tmp_path`), ended with exit code 0: its JSON report."""
    path = tmp_path / "r.json"
    argv = ["--target", f"127.0.0.1:{running.port}", *flags, "--no-progress", "--report", str(path),
            "--plot", str(tmp_path / "p.png")]  # fmt: skip
    assert loadtest.main(argv) == 0
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def test_the_report_records_what_was_asked_and_what_was_found_and_a_rerun_is_called_a_rerun(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    running, _ = server
    target = f"127.0.0.1:{running.port}"
    path = tmp_path / "r.json"
    argv = ["--target", target, "--mode", "batch", "--batch", "3", "--count", "10", "--republished", "1",
            "--seed", "11", "--no-progress", "--report", str(path), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    assert loadtest.main(argv) == 0
    report = json.loads(path.read_text())
    asked = report["parameters"]
    assert (asked["target"], asked["mode"], asked["batch"], asked["count"], asked["duration"]) == (
        target, "batch", 3, 10, None)  # fmt: skip
    assert (asked["articles"], asked["republished"], asked["seed"], asked["concurrency"]) == ("generated", 1.0, 11, 2)
    assert report["window"] == asked["window"] == 6  # (2 batches by default; the parameters said null)
    assert 1 <= report["matches_found"] <= 10  # (every article after the first republishes one)
    assert report["index_outcomes"] == {"NEW": 10}
    assert report["checks"] is None  # (no check in batch mode)
    assert "stored on the server already" not in capsys.readouterr().err

    assert loadtest.main(argv) == 0  # the same seed again: the same ids, re-sent
    assert json.loads(path.read_text())["index_outcomes"] == {"UNCHANGED": 10}
    assert "10 of the articles indexed were stored on the server already" in capsys.readouterr().err


def _run_of_a_file(tmp_path: Path, port: int, count: int, *extra: str) -> tuple[Path, list[str]]:
    """A JSONL file of `count` generated articles, and a bench command line sending it to `port` (its report and
    plot in `tmp_path`), with `extra` flags."""
    articles = tmp_path / "a.jsonl"
    corpus.write_jsonl(corpus.generated(count), articles)
    argv = ["--target", f"127.0.0.1:{port}", "--articles", str(articles), *extra, "--no-progress",
            "--report", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    return articles, argv


def test_a_rerun_of_a_file_is_told_to_take_a_fresh_server_not_another_seed(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    # (it advised "give another --seed", which leaves a file's ids as they are: the next run re-sent them again)
    articles, argv = _run_of_a_file(tmp_path, server[0].port, 5)
    assert loadtest.main(argv) == 0
    assert "stored on the server already" not in capsys.readouterr().err
    assert loadtest.main(argv) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"5 of the articles indexed were stored on the server already (an earlier run of {articles}" in err
    assert "run against a fresh server (--spawn), or one over another --data-dir" in err
    assert "--seed" not in err


def test_republished_given_with_a_file_is_said_to_be_left_aside(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    _, argv = _run_of_a_file(tmp_path, server[0].port, 3, "--republished", "0.5")
    assert loadtest.main(argv) == 0
    assert "--republished is left aside" in capsys.readouterr().err
    assert json.loads((tmp_path / "r.json").read_text())["parameters"]["republished"] is None
    assert loadtest.main([*argv, "--mode", "mix"]) == 0  # (in mix mode, the share of checks that copy a stored one)
    assert "left aside" not in capsys.readouterr().err
    assert json.loads((tmp_path / "r.json").read_text())["parameters"]["republished"] == 0.5


def test_the_bench_speaks_tls_and_sends_a_token_as_the_cli_does(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text("# the bench's token\nbench-token\n")
    token_file.chmod(0o600)
    overrides = {"tls_cert": str(pki.cert), "tls_key": str(pki.key), "auth_token_file": str(token_file)}
    with in_process_server(tmp_path / "data", **overrides) as (running, _):
        common = ["--target", f"127.0.0.1:{running.port}", "--mode", "stream", "--count", "6", "--timeout", "2",
                  "--no-progress", "--report", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]  # fmt: skip
        with pytest.raises(
            SystemExit,
            match=r"Socket closed \(the server at \S+ serves TLS only: add --tls or --ca-file, or set "
            r"NEARDUP_TLS or NEARDUP_CA_FILE\)$",
        ):
            loadtest.main(common)  # (plaintext to a TLS server: the handshake never happens)
        assert loadtest.main([*common, "--ca-file", str(pki.ca), "--token-file", str(token_file)]) == 0
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["ok"] == 6 and report["parameters"]["tls"] is True and report["parameters"]["token"] is True
        assert report["parameters"]["client_certificate"] is False  # (none given: the server asks none)
        assert loadtest.main([*common, "--ca-file", str(pki.ca)]) == 1  # no token: refused
        refused = json.loads((tmp_path / "r.json").read_text())
        assert list(refused["errors"]) == ["UNAUTHENTICATED"] and refused["ok"] == 0


def test_the_bench_targets_the_server_the_environment_names_with_its_tls_and_token_as_neardup_ingest_would(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text("bench-token\n")
    token_file.chmod(0o600)
    overrides = {"tls_cert": str(pki.cert), "tls_key": str(pki.key), "auth_token_file": str(token_file)}
    with in_process_server(tmp_path / "data", **overrides) as (running, _):
        # What a user exported for `neardup ingest`, and no connection flag: the bench read none of it, and
        # reached nothing at 127.0.0.1:50051.
        env = {"NEARDUP_SERVER": f"localhost:{running.port}", "NEARDUP_TLS": "1",
               "NEARDUP_CA_FILE": str(pki.ca), "NEARDUP_TOKEN_FILE": str(token_file)}  # fmt: skip
        argv = ["--mode", "stream", "--count", "5", "--timeout", "5", "--no-progress",
                "--report", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]  # fmt: skip
        assert loadtest.main(argv, env=env) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ok"] == 5
    assert report["parameters"]["target"] == f"localhost:{running.port}"
    assert report["parameters"]["tls"] is True and report["parameters"]["token"] is True


def test_the_bench_presents_a_client_certificate_and_its_report_says_so(tmp_path: Path) -> None:
    pki, clients = make_pki(tmp_path), make_clients(tmp_path)
    overrides = {"tls_cert": str(pki.cert), "tls_key": str(pki.key), "tls_client_ca": str(clients.ca)}
    with in_process_server(tmp_path / "data", **overrides) as (running, _):
        env = {"NEARDUP_CERT_FILE": str(clients.cert), "NEARDUP_KEY_FILE": str(clients.key)}  # (as neardup reads them)
        argv = ["--target", f"127.0.0.1:{running.port}", "--mode", "stream", "--count", "5", "--timeout", "5",
                "--no-progress", "--ca-file", str(pki.ca), "--report", str(tmp_path / "r.json"),
                "--plot", str(tmp_path / "p.png")]  # fmt: skip
        assert loadtest.main(argv, env=env) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ok"] == 5
    assert report["parameters"]["tls"] is True and report["parameters"]["client_certificate"] is True
    assert report["parameters"]["token"] is False


def test_a_stream_that_fails_ends_its_sender_and_the_articles_never_sent_are_counted(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("the-token\n")
    token_file.chmod(0o600)
    with in_process_server(tmp_path / "data", auth_token_file=str(token_file)) as (running, _):
        # No token: each stream fails at its first article (a window of 1: one in flight), and its sender ends.
        config = _config(running.port, "stream", concurrency=2, count=20, window=1)
        report = loadtest.run_load(config, corpus.generated(20))
    assert set(report["errors"]) <= {"UNAUTHENTICATED"} and report["ok"] == 0
    assert report["articles"] <= 2
    assert report["articles"] + report["not_sent"] == 20


def test_a_duration_run_of_generated_articles_makes_them_as_it_goes_and_compares_those_sent(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient]
) -> None:
    running, client = server
    report = _bench_report(tmp_path, running, "--mode", "unary", "--concurrency", "1", "--duration", "0.5", "--compare")
    assert report["articles"] == client.stats().articles > 0
    assert report["compare"]["articles"] == report["articles"]  # the very articles sent
    assert report["ran_out_of_articles"] is False


def test_a_target_off_loopback_is_refused_before_any_article_is_made(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    # Exit code 2, as the other refusals of the command line, under the bench's name (it was 1, with no name).
    assert loadtest.main(["--target", "10.1.2.3:50051", "--count", "50000"]) == 2
    said = capsys.readouterr().err
    assert said.startswith("neardup-bench: --target 10.1.2.3:50051: ") and "only targets loopback" in said
    assert time.monotonic() - started < 5  # (it made the 50,000 articles first: ~40 s on 2 cores)


def test_a_duration_run_that_sent_every_article_it_took_says_none_went_unsent(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    running, _ = server
    config = _config(running.port, "stream", count=None, duration=0.5)
    report = loadtest.run_load(config, corpus.generated(1000))
    assert report["ran_out_of_articles"] is False  # (the deadline ended it)
    assert report["ok"] == report["articles"] > 0
    assert report["not_sent"] == 0  # (the article a sender was refused at the deadline counted as unsent)


def test_count_with_duration_and_rate_runs_until_the_first_limit_and_says_nothing_went_unsent(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    running, client = server
    # (it was refused: "--count 1,000 asks for more articles than generated holds (11)")
    report = _bench_report(tmp_path, running, "--mode", "unary", "--count", "1000", "--duration", "0.5", "--rate", "20")
    assert 0 < report["articles"] == report["ok"] == client.stats().articles <= 11  # the duration came first
    assert report["not_sent"] == 0 and report["ran_out_of_articles"] is False
    assert "never sent" not in capsys.readouterr().out


def test_compare_times_the_articles_answered_ok_alone(tmp_path: Path) -> None:
    articles = corpus.generated(10)
    for n in (1, 4, 7):  # refused by the server (INVALID_ARGUMENT): over its --max-body-bytes
        articles[n] = type(articles[n])(id=articles[n].id, body=articles[n].body * 4)
    limit = max(len(a.body.encode()) for n, a in enumerate(articles) if n not in (1, 4, 7))
    source = tmp_path / "a.jsonl"
    corpus.write_jsonl(articles, source)
    path = tmp_path / "r.json"
    with in_process_server(tmp_path / "data", max_body_bytes=limit) as (running, _):
        argv = ["--target", f"127.0.0.1:{running.port}", "--mode", "stream", "--articles", str(source), "--count", "10",
                "--compare", "--no-progress", "--report", str(path), "--plot", str(tmp_path / "p.png")]  # fmt: skip
        assert loadtest.main(argv) == 1  # (not every article answered OK)
    report = json.loads(path.read_text())
    assert report["ok"] == 7 and report["errors"] == {"INVALID_ARGUMENT": 3}
    c = report["compare"]
    assert c["articles"] == 7  # (the recipe and the core were timed on all 10, the refused ones too)
    assert len(c["datasketch_runs"]) == 1  # the run before the load timed all 10: not set beside it
    assert c["grpc_vs_datasketch"] == report["throughput"] / c["datasketch_rate"]
    answered = [("index", articles[0]), ("index", articles[2]), ("index", articles[0])]  # (each once)
    assert loadtest.answered_ok(answered).articles == [articles[0], articles[2]]


def test_ctrl_c_during_compare_after_the_load_still_writes_the_loads_report(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    running, client = server
    recipe, runs = baseline.datasketch_recipe, []

    def ctrl_c_in_the_run_after_the_load(articles: list[object], **work: object) -> baseline.RunResult:
        runs.append(client.stats().articles)
        if len(runs) == 2:
            _thread.interrupt_main()  # as SIGINT, in the main thread, while it times the recipe
        return recipe(articles, **work)  # type: ignore[arg-type]

    monkeypatch.setattr(baseline, "datasketch_recipe", ctrl_c_in_the_run_after_the_load)
    path = tmp_path / "r.json"
    argv = ["--target", f"127.0.0.1:{running.port}", "--count", "12", "--compare", "--no-progress",
            "--report", str(path), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    assert loadtest.main(argv) == loadtest.INTERRUPTED  # (a traceback, and no report at all)
    assert runs == [0, 12]  # before the load, then after it
    report = json.loads(path.read_text())
    assert report["ok"] == 12 and report["interrupted"] is False
    assert report["compare"] is None and report["compare_interrupted"] is True
    assert "--compare was interrupted by Ctrl-C" in capsys.readouterr().out


def test_tls_to_a_server_whose_certificate_is_not_trusted_says_so_as_the_cli_does(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)  # (its CA is not among the system's)
    with in_process_server(tmp_path / "data", tls_cert=str(pki.cert), tls_key=str(pki.key)) as (running, _):
        argv = ["--target", f"127.0.0.1:{running.port}", "--tls", "--count", "3", "--timeout", "2",
                "--no-progress"]  # fmt: skip
        with pytest.raises(SystemExit) as ended:  # (it said the server might speak plaintext)
            loadtest.main(argv)
    said = str(ended.value.code)
    assert said.startswith(f"neardup-bench: cannot talk to 127.0.0.1:{running.port}: ")
    assert "CERTIFICATE_VERIFY_FAILED" in said
    assert said.endswith("(the server's certificate was not accepted: signed by a CA this command does not trust "
                         "(--ca-file names the CA to trust), or expired or not yet valid)")  # fmt: skip
    assert "plaintext" not in said


def test_no_server_is_said_before_any_generated_article_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_making(*_: object) -> None:
        raise AssertionError("an article was made though no server answers")

    monkeypatch.setattr(corpus.ArticleGenerator, "make", no_making)  # (10,000 took 6 s before the server was tried)
    with pytest.raises(SystemExit) as ended:  # (nothing listens at port 1)
        loadtest.main(["--target", "127.0.0.1:1", "--no-progress"])
    assert str(ended.value.code).startswith("neardup-bench: cannot reach 127.0.0.1:1 within 5 s")


@pytest.mark.parametrize("mode", ["stream", "unary"])
def test_a_server_that_asks_for_a_token_not_given_is_answered_with_token_file(
    tmp_path: Path, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("the-token\n")
    token_file.chmod(0o600)
    with in_process_server(tmp_path / "data", auth_token_file=str(token_file)) as (running, _):
        argv = ["--target", f"127.0.0.1:{running.port}", "--mode", mode, "--count", "4", "--no-progress",
                "--report", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]  # fmt: skip
        assert loadtest.main(argv) == 1
        said = " ".join(capsys.readouterr().out.split())
        assert "the server asks for a bearer token: --token-file names the file that holds it" in said
        wrong = tmp_path / "wrong"
        wrong.write_text("not-the-token\n")
        wrong.chmod(0o600)
        assert loadtest.main([*argv, "--token-file", str(wrong)]) == 1
        assert "does not accept the token in --token-file" in " ".join(capsys.readouterr().out.split())


def test_a_probe_the_server_refuses_for_want_of_a_token_counts_as_the_server_answering(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("the-token\n")
    token_file.chmod(0o600)
    with in_process_server(tmp_path / "data", auth_token_file=str(token_file)) as (running, _):
        channel = open_channel(f"127.0.0.1:{running.port}")
        try:  # (UNAUTHENTICATED was taken for a server not reached, once the readiness wait had passed)
            assert loadtest._why_not_ready(channel) is None
        finally:
            channel.close()
    channel = open_channel("127.0.0.1:1")  # nothing listens: the probe's error says why
    try:
        why = loadtest._why_not_ready(channel)
        assert why is not None and why.code.name == "UNAVAILABLE"
    finally:
        channel.close()


def test_the_progress_bars_total_is_what_a_paced_duration_run_can_send(
    server: tuple[RunningServer, NeardupClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (--count 1000 --duration 2 --rate 100 ended at 200/1000: the total was --count alone)
    shown = io.StringIO()
    monkeypatch.setattr(loadtest, "console", Console(file=shown, width=100, force_terminal=False))
    config = _config(server[0].port, "unary", count=1000, duration=1.0, rate=40.0, progress=True)
    report = loadtest.run_load(config, corpus.generated(1000))
    assert 0 < report["articles"] <= 40
    assert f" {report['articles']}/{report['articles']} " in shown.getvalue()  # (its last render: the bar full)


def test_the_progress_total_is_the_fewest_articles_a_limit_lets_the_run_send() -> None:
    articles = corpus.generated(30)
    assert loadtest.progress_total(loadtest.Feed(articles, 1000, 2.0, 100.0)) == 200  # article n leaves at n / rate
    assert loadtest.progress_total(loadtest.Feed(articles, 150, 2.0, 100.0)) == 150
    assert loadtest.progress_total(loadtest.Feed(articles, None, 2.5, 10.1)) == 26  # (25.25: articles 0 to 25)
    assert loadtest.progress_total(loadtest.Feed(articles, 12, 5.0, None)) == 12
    assert loadtest.progress_total(loadtest.Feed(articles, None, None, None)) == 30  # (all of them)
    assert loadtest.progress_total(loadtest.Feed(articles, None, 5.0, None)) is None  # (as fast as it can)


def test_compare_sets_a_check_run_against_the_recipes_queries_on_an_index_built_beforehand(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    # (It was set against the recipe's query-and-insert: "gRPC check 241 ok/s = 2.07x the recipe".)
    running, client = server
    report = _bench_report(tmp_path, running, "--mode", "check", "--count", "20", "--preload", "10", "--seed", "802",
                           "--compare")  # fmt: skip
    c = report["compare"]
    assert report["ok"] == c["articles"] == c["checks"] == 20 and c["indexed_before"] == 10 == client.stats().articles
    assert c["recipe"] == "query only, as a check stores nothing, on an index of 10 articles built beforehand"
    assert len(c["datasketch_runs"]) == 2  # (before the load too: the same queries on the same index)
    said = " ".join(capsys.readouterr().out.split())
    assert "the 20 checks answered OK: datasketch recipe" in said and "(query only, as a check stores nothing" in said


def test_compare_in_mix_mode_times_every_call_answered_ok_as_it_was_asked(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    # (Checked copies of stored articles were left out: "the 551 articles answered OK" beside a table of 600; and
    # the recipe indexed the checks too.)
    running, client = server
    report = _bench_report(tmp_path, running, "--mode", "mix", "--count", "40", "--concurrency", "1",
                           "--republished", "0.8", "--seed", "801", "--compare")  # fmt: skip
    c, checks = report["compare"], report["checks"]
    assert checks["copies"] > 0  # (the calls the count left out)
    assert c["articles"] == report["ok"] == 40
    assert c["checks"] == checks["answered"] and 40 - c["checks"] == client.stats().articles
    assert c["recipe"] == "query then insert for the index calls, query only for the checks"
    assert len(c["datasketch_runs"]) == 1  # (which calls are checks is drawn as the load goes: no run before it)
    said = " ".join(capsys.readouterr().out.split())
    assert f"the 40 calls ({40 - c['checks']} index, {c['checks']} check) answered OK" in said
    assert "timed after the load" in said


def test_compare_gives_no_ratio_to_the_recipe_for_a_paced_run_or_one_of_re_sends_saying_why(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    # (both printed "gRPC … ok/s = 0.12x the recipe" bare: a paced run's ok/s is its pace, and a re-sent article
    # stores nothing on the server while the recipe queries and inserts it)
    running, _ = server
    fresh = _bench_report(tmp_path, running, "--count", "20", "--seed", "931", "--compare")
    assert fresh["compare"]["note"] is None and fresh["compare"]["grpc_vs_datasketch"] > 0
    assert "x the recipe" in capsys.readouterr().out
    again = _bench_report(tmp_path, running, "--count", "20", "--seed", "931", "--compare")
    assert again["compare"]["grpc_vs_datasketch"] is None
    assert again["compare"]["note"].startswith("20 of the 20 articles indexed were stored on the server already")
    said = " ".join(capsys.readouterr().out.split())  # (the table's line, wrapped at the console's width)
    assert "ok/s: no ratio to the recipe, 20 of the 20 articles indexed were stored" in said
    paced = _bench_report(tmp_path, running, "--count", "20", "--seed", "932", "--rate", "200", "--compare")
    assert paced["compare"]["grpc_vs_datasketch"] is None
    assert paced["compare"]["note"] == "--rate 200 paced the load: its ok/s is the pace asked, not the server's speed"
    assert "no ratio to the recipe, --rate 200 paced the load" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("mode", ["stream", "unary"])
def test_a_run_whose_every_article_is_refused_says_the_servers_first_message_of_each_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    # (the table and the report said "INVALID_ARGUMENT: 20" and no more: not that each body was over the limit)
    path = tmp_path / "r.json"
    with in_process_server(tmp_path / "data", max_body_bytes=100) as (running, _):
        argv = ["--target", f"127.0.0.1:{running.port}", "--mode", mode, "--count", "20", "--no-progress",
                "--report", str(path), "--plot", str(tmp_path / "p.png")]  # fmt: skip
        assert loadtest.main(argv) == 1
    report = json.loads(path.read_text())
    assert report["errors"] == {"INVALID_ARGUMENT": 20}
    (message,) = report["error_messages"].values()
    assert "100" in message  # (the server's own words, naming its limit)
    assert f"INVALID_ARGUMENT, the first said: {message}" in " ".join(capsys.readouterr().out.split())


def test_a_unary_report_gives_no_peak_in_flight_and_a_short_sampled_run_says_its_one_sample(
    tmp_path: Path, server: tuple[RunningServer, NeardupClient], capsys: pytest.CaptureFixture[str]
) -> None:
    # (peak_in_flight said 0, measured only for streams; and a run shorter than the 1 s between RSS samples printed
    # "server RSS: … over 0 s")
    running, _ = server
    report = _bench_report(tmp_path, running, "--mode", "unary", "--count", "3", "--seed", "941",
                           "--server-pid", str(os.getpid()))  # fmt: skip
    assert report["peak_in_flight"] is None and len(report["rss"]) == 1
    said = " ".join(capsys.readouterr().out.split())
    assert "sampled once: the run was too short to sample it over time" in said and " over 0 s" not in said


def test_the_help_gives_every_flag_a_line_and_the_count_the_code_sets() -> None:
    helped = " ".join(loadtest.build_parser().format_help().split())
    assert "--report REPORT the JSON report's path" in helped and "--plot PLOT the PNG plot's path" in helped
    assert "10,000 generated articles" in helped  # (it said "all articles": the code sets 10,000)
