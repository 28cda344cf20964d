"""A server loading its index: the health port answers (alive, not ready) and a taken port stops it at once.

The load is held by the test (tests/support.py HeldLoadProcess, or HeldLoad in this process) as a long index
rebuild would keep the server from serving, until the test lets it go on. The old order (store first, ports
after) kept every port closed meanwhile: an orchestrator's liveness probe was refused and killed the server
mid-load, again at every restart. (A writer holding the store's lock, real SQLite on another connection, held
the load only for SQLite's 5 s busy timeout: less than a loaded machine took to start the server and look.)
"""

from __future__ import annotations

import json
import math
import re
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, redirect_stderr
from pathlib import Path

import pytest

from benchmarks.loopback import free_port, wait_for
from client import Article, DeadlineExceededError, NeardupClient, NeardupClientError, Stats, UnavailableError
from client.cli import main
from client.cli_base import EXIT_ABSENT, EXIT_FAILED, EXIT_OK
from service.grpc_server import SERVICE_NAME
from service.settings import Settings
from service.storage import open_store
from tests import support
from tests.support import HeldLoadProcess, ServerProcess, held_load, scrape


@contextmanager
def store_held_by_a_writer(data: Path) -> Iterator[sqlite3.Connection]:
    """An empty store in `data`, its write lock held by another connection for the block (or until ROLLBACK)."""
    open_store(Settings.from_args(["--data-dir", str(data)], {})).close()
    with closing(sqlite3.connect(data / "neardup.db", isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        yield writer


def answers(call: Callable[[], object], refused: type[Exception]) -> bool:
    """Does `call` answer, rather than raise `refused` (a port not yet bound, or not serving)?"""
    try:
        call()
    except refused:
        return False
    return True


def test_the_health_port_says_alive_and_not_ready_while_the_index_loads_then_ready(tmp_path: Path) -> None:
    health_port = free_port()
    server = HeldLoadProcess(tmp_path / "data", "--health-port", str(health_port)).launch()
    try:
        with NeardupClient(f"127.0.0.1:{health_port}", timeout=5) as probe:
            wait_for(
                lambda: answers(probe.health, NeardupClientError),
                timeout=30,
                what="the health port to answer during the load",
            )
            assert server.proc is not None and server.proc.poll() is None  # (still loading: not given up)
            assert probe.health() == "SERVING"  # liveness: alive and working
            assert probe.health(SERVICE_NAME) == "NOT_SERVING"  # readiness: no index to answer from yet
            server.release()  # the load goes on
            server.serving(timeout=30)
            assert probe.health(SERVICE_NAME) == "SERVING"
            assert probe.health() == "SERVING"
        with server.client() as client:
            assert client.stats().articles == 0
    finally:
        server.stop()


def test_the_health_and_metrics_ports_picked_are_named_before_the_index_loads(tmp_path: Path) -> None:
    # (named after the load, a port 0 picked was not known while probes needed it: minutes at a million articles)
    server = HeldLoadProcess(tmp_path / "data", "--health-port", "0", "--metrics-port", "0").launch()
    try:
        server.read_until("neardup health service on ")
        said = "".join(server.log)
        health = re.search(r"neardup health service on 127\.0\.0\.1:(\d+)", said)
        metrics = re.search(r"neardup metrics on http://127\.0\.0\.1:(\d+)/metrics", said)
        assert health and metrics, said
        assert "neardup serving on" not in said  # (the load is still held)
        with NeardupClient(f"127.0.0.1:{health.group(1)}", timeout=5) as probe:
            assert probe.health() == "SERVING" and probe.health(SERVICE_NAME) == "NOT_SERVING"
        assert scrape(int(metrics.group(1)))[("neardup_store_answers", ())] == 0
        server.release()
        server.serving(timeout=30)
        assert sum("neardup health service on" in line for line in server.log) == 1  # (not named again)
    finally:
        server.stop()


def test_a_taken_port_stops_the_server_before_it_loads_the_index(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken, store_held_by_a_writer(tmp_path / "data"):
        port = taken.getsockname()[1]
        server = ServerProcess(tmp_path / "data", "--port", str(port)).launch()
        assert server.exits(timeout=30) != 0  # the store's writer still holds the load back: refused before it
        assert server.proc is not None and server.proc.stderr is not None
        said = server.proc.stderr.read()
        assert f"could not bind 127.0.0.1:{port}" in said and "--port" in said, said


def test_metrics_during_the_load_say_the_article_count_is_unknown_and_the_store_not_answering(tmp_path: Path) -> None:
    # (0 there read as a store emptied at every restart, to a dashboard or an alert on a drop in articles)
    metrics_port = free_port()
    server = HeldLoadProcess(tmp_path / "data", "--metrics-port", str(metrics_port)).launch()
    try:
        wait_for(
            lambda: answers(lambda: scrape(metrics_port), OSError),
            timeout=30,
            what="the metrics port to answer during the load",
        )
        during = scrape(metrics_port)
        assert math.isnan(during[("neardup_articles_stored", ())])
        assert math.isnan(during[("neardup_boilerplate_learned", ())])
        # (it said 1 while readiness said NOT_SERVING; docs/ops.md: 0 whenever health says NOT_SERVING)
        assert during[("neardup_store_answers", ())] == 0
        server.release()  # the load goes on
        server.serving(timeout=30)
        after = scrape(metrics_port)
        assert after[("neardup_articles_stored", ())] == 0 and after[("neardup_store_answers", ())] == 1
    finally:
        server.stop()


class _Said:
    """A stderr for commands run in threads here: what they print, line by line."""

    def __init__(self) -> None:
        self.text = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_ingest_against_a_server_loading_its_index_waits_saying_so_or_gives_up_saying_what_it_waited_for(
    tmp_path: Path,
) -> None:
    # (it printed after ~21 s "no server at 127.0.0.1:P after 10s (is `neardup serve` running …?)" of a server
    # running and loading, and waited 10 s where a load takes 15-340 s). The commands run in threads of this process.
    port, health_port = free_port(), free_port()
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps({"id": "a1", "body": "a story written while the server loaded its index"}) + "\n")
    target = f"127.0.0.1:{port}"
    said, codes = _Said(), {}

    def ingest(name: str, *extra: str) -> None:
        output = str(tmp_path / f"{name}.jsonl")
        codes[name] = main(["ingest", "--server", target, "--no-progress", "--output", output, *extra, str(lines)])

    server = HeldLoadProcess(tmp_path / "data", "--health-port", str(health_port), port=port).launch()
    try:
        with NeardupClient(f"127.0.0.1:{health_port}", timeout=5) as probe:
            wait_for(lambda: answers(probe.health, NeardupClientError), timeout=30, what="the health port")
        with redirect_stderr(said):  # (a writer of text: all print needs)
            waits = threading.Thread(target=ingest, args=("waits",))
            gives_up = threading.Thread(target=ingest, args=("gives-up", "--wait-for-load", "0.2"))
            waits.start()
            gives_up.start()
            gives_up.join(timeout=30)
            loading = (
                f"neardup ingest: the server at {target} speaks gRPC but answers no neardup call yet (only health "
                "checks), as a "
            )
            wait_for(lambda: said.text.count(loading) == 2, timeout=30, what="both commands to say it loads")
            assert server.proc is not None and server.proc.poll() is None  # (still loading: the waits held)
            assert "waiting up to 600s for it to serve (--wait-for-load)" in said.text
            assert codes["gives-up"] == EXIT_FAILED
            assert (f"UNAVAILABLE: the server at {target} spoke gRPC but answered no call in 0.2s: a "
                    "neardup server still loading its index") in said.text  # fmt: skip
            assert "no server at" not in said.text and "is `neardup serve` running" not in said.text
            server.release()  # the load goes on
            server.serving(timeout=30)
            waits.join(timeout=60)
        assert codes["waits"] == EXIT_OK, said.text
        assert json.loads((tmp_path / "waits.jsonl").read_text())["outcome"] == "new"
    finally:
        server.stop()


def test_the_main_port_speaks_grpc_during_the_load_and_holds_its_calls_until_the_index_is_loaded(
    tmp_path: Path,
) -> None:
    # (bound and not started, it took connections and began no handshake: a client could not tell it from any
    # silent listener, and `neardup ingest` took a wrong port for a server loading its index)
    port, metrics_port = free_port(), free_port()
    server = HeldLoadProcess(tmp_path / "data", "--metrics-port", str(metrics_port), port=port).launch()
    try:
        wait_for(lambda: answers(lambda: scrape(metrics_port), OSError), timeout=30, what="the metrics port")
        target, held = f"127.0.0.1:{port}", dict[str, Stats]()
        with NeardupClient(target, timeout=0.5) as hasty, NeardupClient(target, timeout=60) as patient:
            hasty.wait_ready(10)  # the handshake is done during the load
            try:
                hasty.stats()
                raise AssertionError("a call answered during the load")
            except DeadlineExceededError:
                pass
            wait_for(lambda: _waiting_for_index(metrics_port) == 0, timeout=30, what="the hasty call to end")
            waits = threading.Thread(target=lambda: held.update(stats=patient.stats()))
            waits.start()
            # (the call is held by the server before the load goes on: else it could be sent after it)
            wait_for(lambda: _waiting_for_index(metrics_port) == 1, timeout=30, what="the server to hold it")
            assert server.proc is not None and server.proc.poll() is None  # (still loading)
            server.release()  # the load goes on
            server.serving(timeout=30)
            waits.join(timeout=30)
        assert held["stats"].articles == 0  # the call held during the load was answered after it
        assert _waiting_for_index(metrics_port) == 0
    finally:
        server.stop()


def _waiting_for_index(metrics_port: int) -> float:
    return scrape(metrics_port)[("neardup_rpc_waiting_for_index", ())]


def test_ingest_against_a_silent_listener_gives_up_saying_it_speaks_no_grpc_not_that_a_server_loads(
    tmp_path: Path,
) -> None:
    # (a wrong port, a hung process, a service that is not gRPC: taken for a server loading its index, it held
    # the command --wait-for-load, 10 minutes by default, saying the server was loading)
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps({"id": "a1", "body": "a story sent to the wrong port"}) + "\n")
    with socket.create_server(("127.0.0.1", 0)) as silent:  # (the kernel takes connections; nothing reads them)
        target = f"127.0.0.1:{silent.getsockname()[1]}"
        said = _Said()
        with redirect_stderr(said):
            code = main(["ingest", "--server", target, "--no-progress", "--wait-for-load", "5", str(lines)])
    assert code != EXIT_OK
    assert "loading its index" not in said.text and "--wait-for-load" not in said.text, said.text
    assert f"something at {target} takes connections but never began gRPC's handshake: it is not a gRPC server" in (
        said.text
    )


def test_stats_against_a_silent_listener_says_it_speaks_no_grpc_as_ingest_does() -> None:
    # (gRPC gives up its connection after 20 s saying it never got the peer's first frame; stats, get, group and
    # delete then asked "is `neardup serve` running at …?", where ingest and check, by a probe, said what it is)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        target = f"127.0.0.1:{silent.getsockname()[1]}"
        said = _Said()
        with redirect_stderr(said):
            code = main(["stats", "--server", target])
    assert code != EXIT_OK
    assert f"(something at {target} takes connections but never began gRPC's handshake: it is not a gRPC server" in (
        said.text
    )
    assert "is `neardup serve` running" not in said.text, said.text


def test_check_started_before_the_server_waits_for_its_load_saying_so_or_gives_up_after_wait_for_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a server that came up during the commands' first 10 s wait completed the handshake, so the wait ended and
    # the command went on: --wait-for-load was never reached, nothing was said, and each check was held until its
    # 30 s deadline, retried, and the run gave up after about 5 minutes whatever --wait-for-load said). The server
    # runs in this process, its load held by the test for as long as the test needs (tests/support.py HeldLoad).
    port = free_port()
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps({"id": "a1", "body": "a story checked while the server loaded its index"}) + "\n")
    target = f"127.0.0.1:{port}"
    said, codes = _Said(), dict[str, int]()
    waiting = f"neardup check: nothing answers at {target} yet: waiting for a server to come up (10 s in all)"

    def check(name: str, *extra: str) -> None:
        output = str(tmp_path / f"{name}.jsonl")
        codes[name] = main(["check", "--server", target, "--no-progress", "--output", output, *extra, str(lines)])

    with held_load(support.test_settings(tmp_path / "data", port=port), monkeypatch) as load, redirect_stderr(said):
        waits = threading.Thread(target=check, args=("waits",))
        gives_up = threading.Thread(target=check, args=("gives-up", "--wait-for-load", "0.2", "--retries", "0"))
        waits.start()
        gives_up.start()
        # (said once each, as they wait on past their first seconds: they sat silent for up to 10 s)
        wait_for(lambda: said.text.count(waiting) == 2, timeout=30, what="both commands to wait for a server")
        load.start()  # (nothing listened when they first asked: the server comes up during their wait)
        gives_up.join(timeout=60)
        loading = (
            f"neardup check: the server at {target} speaks gRPC but answers no neardup call yet (only health checks), "
            "as a neardup server "
        )
        wait_for(lambda: said.text.count(loading) == 2, timeout=30, what="both commands to say it loads")
        assert "waiting up to 600s for it to serve (--wait-for-load)" in said.text
        assert codes["gives-up"] == EXIT_FAILED
        assert (f"UNAVAILABLE: the server at {target} spoke gRPC but answered no call in 0.2s: a neardup server "
                "still loading its index") in said.text  # fmt: skip
        load.release()
        load.ended()
        waits.join(timeout=60)
    assert codes["waits"] == EXIT_OK, said.text
    answered = json.loads((tmp_path / "waits.jsonl").read_text())
    assert answered == {"line": 1, "id": "a1", "duplicate_of": None, "matches": []}
    assert "DEADLINE_EXCEEDED" not in said.text, said.text


def test_the_main_ports_health_answers_during_the_load_alive_and_not_ready_while_its_service_calls_are_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (the health service there was held with the service's calls: `neardup health` and Kubernetes' or
    # grpc_health_probe's probes of the main port timed out during a long load, liveness '' included, and a
    # liveness probe so restarted the server mid-load)
    port = free_port()
    target = f"127.0.0.1:{port}"
    with held_load(support.test_settings(tmp_path / "data", port=port), monkeypatch) as load:
        load.start()
        with NeardupClient(target, timeout=5) as probe:
            wait_for(lambda: answers(lambda: probe.wait_ready(1), NeardupClientError), timeout=30, what="the port")
            assert main(["health", "--server", target, "--timeout", "5"]) == EXIT_OK  # liveness: alive
            assert capsys.readouterr().out == "SERVING\n"
            # readiness: no index to answer from yet (exit 1, said at once: no deadline passed)
            assert main(["health", "--server", target, "--timeout", "5", "--service", SERVICE_NAME]) == EXIT_ABSENT
            assert capsys.readouterr().out == "NOT_SERVING\n"
            with NeardupClient(target, timeout=0.5) as hasty:
                try:
                    hasty.stats()
                    raise AssertionError("a call of the service answered during the load")
                except DeadlineExceededError:
                    pass
            load.release()
            load.ended()
            assert probe.health(SERVICE_NAME) == "SERVING"
            assert probe.health() == "SERVING"


def test_calls_held_during_a_load_that_fails_end_unavailable_and_a_held_stream_says_its_articles_were_not_stored(
    tmp_path: Path,
) -> None:
    # (the stream's error said its article "may or may not be stored": held before the service, nothing was; and
    # the server stopped without a grace, so gRPC cancelled the held calls first, "UNAVAILABLE: Cancelling all
    # calls", before they could say the load failed). The load fails as SQLite gives up on the writer's lock (its
    # 5 s busy timeout), once the test, the calls held, lets it go on to that lock.
    port, metrics_port = free_port(), free_port()
    errors: dict[str, NeardupClientError] = {}
    article = Article(id="a1", body="a story sent while the server loaded its index, which then failed")

    def held(name: str, call: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                call()
            except NeardupClientError as exc:
                errors[name] = exc

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with store_held_by_a_writer(tmp_path / "data"):
        server = HeldLoadProcess(tmp_path / "data", "--metrics-port", str(metrics_port), port=port).launch()
        try:
            wait_for(lambda: answers(lambda: scrape(metrics_port), OSError), timeout=30, what="the metrics port")
            with NeardupClient(f"127.0.0.1:{port}", timeout=60) as client:
                calls = [held("stream", lambda: list(client.index_stream([article]))),
                         held("index", lambda: client.index(article))]  # fmt: skip
                wait_for(lambda: _waiting_for_index(metrics_port) == 2, timeout=30, what="the server to hold both")
                assert client.health() == "SERVING"  # (health is not held)
                server.release()  # the load goes on, to the writer's lock
                for call in calls:
                    call.join(timeout=30)
            assert server.exits(timeout=30) != 0  # the load failed
        finally:
            server.stop()
    stream, index = errors["stream"], errors["index"]
    assert isinstance(stream, UnavailableError) and stream.unanswered == 1
    assert stream.details == (
        "the server failed to load its index and is stopping: the call was held for the load, not carried out; "
        "1 article sent on the stream was not stored"
    )
    assert isinstance(index, UnavailableError)
    assert index.details == (
        "the server failed to load its index and is stopping: the call was held for the load, not carried out"
    )
