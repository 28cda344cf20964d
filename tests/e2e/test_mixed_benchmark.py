"""benchmarks.mixed end to end on a small kept store: real server processes, the ingest in a process of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import mixed
from benchmarks.corpus import ArticleGenerator, GeneratorConfig
from benchmarks.loadtest import RunConfig, SpawnedServer, run_load
from client import NeardupClient


def _built_store(data: Path, count: int = 120) -> None:
    """The store benchmarks.scaling would build, small: the generator's first `count` articles (seed 7)."""
    generator = ArticleGenerator(GeneratorConfig(seed=7))
    built = [generator.make(n) for n in range(count)]
    server = SpawnedServer(["--fingerprint-workers=0"], data)
    try:
        run_load(RunConfig(server.target, "batch", 1, len(built), None, None, 1.0, 60.0, None, progress=False), built)
        with NeardupClient(server.target) as client:
            assert mixed.generated_stored(client, 7, client.stats().articles) == count
            assert mixed.generated_stored(client, 8, client.stats().articles) == 0
    finally:
        server.close()


def test_checks_alone_and_during_an_ingest_on_a_kept_store(tmp_path: Path) -> None:
    data = tmp_path / "store"
    _built_store(data)
    out = tmp_path / "mixed-2026-12-07-1m-0.7.10"  # (a prefix with dots of its own: they are kept)
    args = ["--data-dir", str(data), "--ingest-count", "60", "--ingest-rate", "200", "--check-rate", "40",
            "--rounds", "2", "--workers", "0", "--out", str(out)]  # fmt: skip
    assert mixed.main(args) == 0
    assert sorted(p.name for p in tmp_path.glob("mixed-*")) == [f"{out.name}.json", f"{out.name}.md"]
    rows = json.loads(tmp_path.joinpath(f"{out.name}.json").read_text())["rows"]
    assert [r["stored"] for r in rows] == [120, 180]  # each round's ingest stored all its (new) articles
    for r in rows:
        assert r["ingest"]["ok"] == 60 and r["ingest"]["errors"] == {}
        assert r["alone"]["checks"] == 13 and r["during"]["checks"] == 9  # 40/s for as long as 60 at 200/s
        for phase in (r["alone"], r["during"]):
            assert phase["errors"] == {} and 0 < phase["p50_ms"] <= phase["p99_ms"] <= phase["max_ms"]
            # (paced: timed from each check's due time, which is never after its send)
            assert 0 < phase["p99_from_send_ms"] <= phase["p99_ms"]
    assert tmp_path.joinpath(f"{out.name}.md").read_text().count("\n") == 4  # head, rule, two rounds
    assert [r["deleted"] for r in rows] == [0, 0]


def test_keep_size_meets_the_store_at_its_size_every_round(tmp_path: Path) -> None:
    """--keep-size deletes each round's ingest after it, and ingests other articles at the next round (the
    same ones again would meet their own learned-boilerplate counts)."""
    data = tmp_path / "store"
    _built_store(data)
    out = tmp_path / "mixed"
    args = ["--data-dir", str(data), "--ingest-count", "60", "--ingest-rate", "200", "--check-rate", "40",
            "--rounds", "2", "--workers", "0", "--keep-size", "--out", str(out)]  # fmt: skip
    assert mixed.main(args) == 0
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert [r["stored"] for r in rows] == [120, 120]
    assert [(r["ingest"]["ok"], r["deleted"]) for r in rows] == [(60, 60), (60, 60)]
    assert rows[0]["ingest"]["seed"] != rows[1]["ingest"]["seed"]
    server = SpawnedServer(["--fingerprint-workers=0"], data)
    try:
        with NeardupClient(server.target) as client:
            assert client.stats().articles == 120
            assert mixed.generated_stored(client, 7, 120) == 120  # the built store, whole
    finally:
        server.close()


def test_the_queries_continue_the_generator_that_built_the_store(tmp_path: Path) -> None:
    generator = ArticleGenerator(GeneratorConfig(seed=7))
    expected = [generator.make(n) for n in range(25)][20:]
    assert mixed.queries_after(20, 5, seed=7, republished=0.15) == expected
    cache = tmp_path / "queries.pickle"
    assert mixed._cached_queries(str(cache), (20, 5, 7, 0.15)) == expected
    assert cache.exists()
    assert mixed._cached_queries(str(cache), (20, 5, 7, 0.15)) == expected  # read back
    assert mixed._cached_queries(str(cache), (21, 5, 7, 0.15)) == [*expected[1:], generator.make(25)]  # not the cached


def test_server_args_reach_the_spawned_server(tmp_path: Path) -> None:
    # A flag the server refuses: the first spawn fails, so the flag was passed on.
    args = ["--data-dir", str(tmp_path / "store"), "--server-arg=--check-lanes=0", "--out", str(tmp_path / "m")]
    with pytest.raises(RuntimeError, match="before serving"):
        mixed.main(args)


@pytest.mark.parametrize("flags", [["--log-level=INFO"], ["--log-level=DEBUG", "--log-format=json"]])
def test_a_spawned_server_is_reached_whatever_its_log_level_and_format(tmp_path: Path, flags: list[str]) -> None:
    """At INFO the log says where the store is on the line that says where the server listens (the target was
    read as the store's path), and in JSON format every line is an object."""
    server = SpawnedServer(["--fingerprint-workers=0", *flags], tmp_path / "store")
    try:
        assert server.target.startswith("127.0.0.1:")
        with NeardupClient(server.target) as client:
            assert client.stats().articles == 0
    finally:
        server.close()
