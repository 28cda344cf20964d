"""benchmarks.purge end to end on a small store: a real server process, both ways of deleting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import corpus, purge
from benchmarks.loadtest import SpawnedServer
from client import NeardupClient


def test_purge_benchmark_deletes_the_victims_both_ways_and_reports_the_ratio(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    assert purge.main(["--count", "40", "--delete", "12", "--callers", "2", "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert (report["articles"], report["deleted"], report["not_stored"], report["callers"]) == (40, 12, 0, 2)
    assert report["one_at_a_time"] > 0 and report["batched"] > 0
    assert report["ratio"] == pytest.approx(report["batched"] / report["one_at_a_time"])


def test_on_a_kept_store_ids_it_no_longer_holds_are_answered_and_left_out_of_the_rates(tmp_path: Path) -> None:
    data_dir = tmp_path / "kept"
    server = SpawnedServer([], data_dir)
    with NeardupClient(server.target) as client:
        list(client.index_stream(corpus.load("generated", 20), batch=20))  # gen-7-0 to gen-7-19
    server.close()
    report = purge.run(40, 16, 2, data_dir=data_dir)  # 16 of gen-7-0 to gen-7-39
    assert report["articles"] == 20
    assert report["deleted"] + report["not_stored"] == 16 and 0 < report["not_stored"] < 16
    server = SpawnedServer([], data_dir)
    with NeardupClient(server.target) as client:
        assert client.stats().articles == 20 - report["deleted"]
    server.close()
