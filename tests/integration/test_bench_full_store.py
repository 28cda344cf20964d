"""neardup-bench against a store that fills up (a real Redis at its maxmemory, a real server over gRPC): the first
article the full store refuses ends the run, in every mode, and the run says so under its table and in its report.

A full store ends no stream: it refuses the articles one by one inside it (RESOURCE_EXHAUSTED, which the client reads
as the server's "no retry": `store_full`), and ends each IndexArticle call so, with the pushback trailer "-1". The
bench ran on through it, every article refused, and its report never said the store was full."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from benchmarks import loadtest
from benchmarks.loopback import redis_server
from service.grpc_server import RunningServer
from tests.support import in_process_server

COUNT = 600  # (generated, ~650 words each: the store has room for a few dozen)
CONCURRENCY = 2
BATCH = 8


@pytest.fixture
def filling_up(tmp_path: Path) -> Iterator[RunningServer]:
    """A server on a Redis that has room for a few dozen of the bench's articles, then refuses writes."""
    with redis_server(tmp_path / "redis") as store:
        admin = redis.Redis(host="127.0.0.1", port=store.port)
        with in_process_server(tmp_path / "data", store="redis", redis_url=store.url) as (running, _client):
            admin.config_set("maxmemory", int(admin.info("memory")["used_memory"]) + (1 << 20))
            yield running
        admin.close()


@pytest.mark.parametrize("mode", ["stream", "batch", "unary", "mix"])
def test_a_full_store_ends_the_run_at_once_and_the_run_says_so(
    tmp_path: Path, filling_up: RunningServer, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    argv = ["--target", f"127.0.0.1:{filling_up.port}", "--mode", mode, "--count", str(COUNT),
            "--concurrency", str(CONCURRENCY), "--batch", str(BATCH), "--check-share", "0.2", "--no-progress",
            "--report", str(path), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    started = time.monotonic()
    assert loadtest.main(argv) == 1
    took = time.monotonic() - started
    report = json.loads(path.read_text())
    full = report["store_full"]
    assert full is not None, "the store was expected to fill up part way"
    assert "is out of memory (its maxmemory is reached)" in full["message"]
    refused = full["refused"]
    assert refused >= 1 and report["errors"] == {"RESOURCE_EXHAUSTED": refused}  # (each refusal counted once)
    # Bounded: after the first refusal no sender took another article, and each ended once what it had sent was
    # answered (at most a window each; a unary sender, its one call).
    window = loadtest.default_window(mode, BATCH) if mode in ("stream", "batch") else 1
    assert refused <= CONCURRENCY * (window + BATCH)
    assert report["not_sent"] > 0 and report["articles"] + report["not_sent"] == COUNT
    assert took < 60  # (the run went through all 600 articles, each refused)
    said = " ".join(capsys.readouterr().out.split())
    assert (
        f"the store is full: {refused:,} article{'s' if refused > 1 else ''} refused (RESOURCE_EXHAUSTED, the" in said
    )
    assert f"the run stopped at the first ({report['not_sent']:,} articles of the run never sent)" in said
    assert "The server said: the shared Redis store at redis://" in said and "Raise its maxmemory" in said
    assert "a stream that fails with a status not retried" not in said  # (the generic never-sent line: not this)
    # (It said "or run against a fresh server (--spawn)": one spawned on the same shared Redis is as full.)
    assert "Make room there as it says, or run against a fresh store, then run again" in said
    assert "--spawn" not in said and "during the preload" not in said
    assert report["preload_store_full"] is None


@pytest.mark.parametrize("mode", ["check", "stream"])
def test_a_full_store_during_the_preload_stops_the_run_before_the_load_and_says_why(
    tmp_path: Path, filling_up: RunningServer, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (The preload stopped at its first refusal, but the run said nothing of it: exit 0, store_full null, and the
    # checks ran on an index of a few dozen articles in place of the 300 asked. Then it said so in a line, but
    # still ran the load on that smaller index: a table of figures for an index other than the one asked for.)
    preload, count = 300, 20
    path, plot = tmp_path / "r.json", tmp_path / "p.png"
    common = ["--target", f"127.0.0.1:{filling_up.port}", "--mode", mode, "--no-progress", "--report", str(path),
              "--plot", str(plot)]  # fmt: skip
    # An earlier run to the same report and plot, on the store while it has room (its own articles: --seed 1).
    assert loadtest.main([*common, "--count", "3", "--seed", "1"]) == 0
    earlier = json.loads(path.read_text())
    assert plot.exists()  # (it was left beside the report of the run below, a plot of another run)
    before = _load_calls(filling_up), _article_errors(filling_up)
    capsys.readouterr()
    # (exit 1, as for a full store during the load)
    assert loadtest.main([*common, "--preload", str(preload), "--count", str(count)]) == 1
    report = json.loads(path.read_text())
    full = report["preload_store_full"]
    assert full is not None, "the store was expected to fill up during the preload"
    # No call of the load reached the server (a check, or a stream of the load's: a stream run sends no check), nor
    # was an article of one refused: the refusals were the preload's alone (its IndexArticleBatches streams).
    assert (_load_calls(filling_up), _article_errors(filling_up)) == before
    assert not plot.exists()  # (the earlier run's, removed: no plot of this run is drawn)
    assert report["load_not_run"] == "the store was full during the preload"
    assert report["store_full"] is None and report["articles"] == report["ok"] == 0 and report["timeline"] == []
    assert report["parameters"]["preload"] == preload and report["parameters"]["count"] == count
    # The keys of a load's report, with no figure of a load: no 0.0 ms latency, no 0 s run, and its --count unsent.
    assert set(report) == set(earlier)
    assert report["latency_ms"] == {} and report["latency_ms_by_kind"] == {} and report["not_sent"] == count
    assert report["seconds"] is report["throughput"] is report["answered_per_s"] is None
    assert report["host_cpu"] is report["client_cpu_us_per_article"] is report["waited_for_articles_s"] is None
    assert report["ran_out_of_articles"] is None
    assert loadtest.REPORT(path)  # (the next run may write over it)
    assert "is out of memory (its maxmemory is reached)" in full["message"]
    assert full["preload"] == preload and full["refused"] >= 1 and full["not_sent"] > 0
    assert full["indexed"] + full["refused"] + full["not_sent"] == preload
    said = " ".join(capsys.readouterr().out.split())
    assert f"neardup-bench: {mode} x{report['concurrency']}: the load was not run" in said
    assert (
        f"during the preload ({full['indexed']:,} of its {preload:,} articles indexed), "
        f"the store is full: {full['refused']:,} article{'s' if full['refused'] > 1 else ''} refused "
        f"(RESOURCE_EXHAUSTED, the server asking for no retry), and the preload stopped at the first "
        f"({full['not_sent']:,} articles of the preload never sent). The load was not run: its figures would be "
        "those of a smaller index than --preload asked for. The server said: the shared Redis store at "
    ) in said
    assert "Make room there as it says, or run against a fresh store, then run again" in said
    assert "ok/s" not in said and "the load ran" not in said  # (no table of the load)
    assert f"report: {path} (no plot: no load was run; the earlier run's plot at {plot} was removed)" in said


LOAD_METHODS = ("/CheckArticle", "/IndexArticle", "/IndexArticles")  # (all but the preload's IndexArticleBatches)


def _load_calls(running: RunningServer) -> float:
    """The calls of a load's methods the server has answered, from its metrics."""
    return _sum(running, "neardup_rpc_calls_total", lambda labels: labels.get("method", "").endswith(LOAD_METHODS))


def _article_errors(running: RunningServer) -> float:
    """The articles of a load's streams the server answered with an error (a full store's refusal), from its
    metrics."""
    return _sum(running, "neardup_article_errors_total", lambda labels: labels.get("method", "").endswith(LOAD_METHODS))


def _sum(running: RunningServer, name: str, kept: Callable[[dict[str, str]], bool]) -> float:
    return sum(
        sample.value
        for metric in running.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == name and kept(sample.labels)
    )


def test_a_run_on_a_store_with_room_says_nothing_of_a_full_store(tmp_path: Path, filling_up: RunningServer) -> None:
    path = tmp_path / "r.json"
    argv = ["--target", f"127.0.0.1:{filling_up.port}", "--count", "5", "--no-progress", "--report", str(path),
            "--plot", str(tmp_path / "p.png")]  # fmt: skip
    assert loadtest.main(argv) == 0
    report = json.loads(path.read_text())
    assert report["store_full"] is None and report["preload_store_full"] is None
