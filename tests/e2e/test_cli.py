"""The `neardup` command against a real server process."""

from __future__ import annotations

import contextlib
import gzip
import importlib.metadata
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

import service
from benchmarks.loopback import free_port, redis_server, wait_for
from client import Article
from client.api import DEFAULT_PORT, SERVICE_NAME, NeardupClient
from client.errors import UnauthenticatedError
from tests import support
from tests.articles import OTHER_WITH_APPEAL, SAME_EVENT_A, SAME_EVENT_B, WIRE, WIRE_WITH_APPEAL
from tests.support import ServerProcess


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "data").start()
    yield server
    server.stop()


def neardup(*args: str, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "client.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def write_jsonl(path: Path, rows: list[dict[str, object] | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS: list[dict[str, object] | str] = [
    {"id": "wire", "body": WIRE, "title": "Harbour", "published": "2026-03-17T09:00:00Z"},
    {"id": "copy", "body": WIRE_WITH_APPEAL, "source": "Courier", "published": "2026-03-17T11:00:00+00:00"},
    {"id": "bad-time", "body": SAME_EVENT_A, "published": "yesterday"},
    "{not json",
    {"id": "", "body": "body without id"},
    {"id": "huge", "body": "word " * (1 << 20)},  # 5 MiB: over the server's 4 MiB message limit
    {"id": "other", "body": OTHER_WITH_APPEAL},
    {"id": "a", "body": SAME_EVENT_A},
    {"id": "b", "body": SAME_EVENT_B},
]


def test_ingest_writes_one_line_per_article_in_order(served: ServerProcess, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = neardup("ingest", str(write_jsonl(tmp_path / "in.jsonl", ROWS)), "--server", served.target,
                     "--output", str(out))  # fmt: skip
    assert result.returncode == 1, result.stderr  # every line answered, some with an error
    assert "4 of 9 lines were rejected" in result.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["wire", "copy", "bad-time", None, "", "huge", "other", "a", "b"]
    by_id = {x["id"]: x for x in lines}
    assert by_id["copy"]["duplicate_of"] == "wire"
    assert [m["id"] for m in by_id["copy"]["matches"]] == ["wire"]
    assert set(by_id["copy"]["matches"][0]) >= {"id", "jaccard", "containment"}
    assert "published" in by_id["bad-time"]["error"] and "yesterday" in by_id["bad-time"]["error"]
    assert "not valid JSON" in lines[3]["error"]
    assert "article.id" in by_id[""]["error"]
    assert "5.0 MiB" in by_id["huge"]["error"] and "not sent" in by_id["huge"]["error"]  # not a failed stream
    assert by_id["wire"] == {"id": "wire", "line": 1, "outcome": "new", "duplicate_of": None, "matches": []}
    assert all(by_id[k]["matches"] == [] for k in ("other", "a", "b"))
    assert "articles" not in result.stderr  # (stderr is no terminal: no bar, and no plain line in under 10 s)

    stats = neardup("stats", "--server", served.target)
    assert json.loads(stats.stdout)["articles"] == 5


def test_ingest_says_which_lines_replaced_an_article_under_their_id_and_which_were_stored_already(
    served: ServerProcess, tmp_path: Path
) -> None:
    # One id twice in a file: the later article replaced the earlier, and the run said nothing of it.
    rows: list[dict[str, object] | str] = [{"id": "cms-42", "body": WIRE}, {"id": "cms-42", "body": SAME_EVENT_A}]
    first = neardup("ingest", str(write_jsonl(tmp_path / "in.jsonl", rows)), "--server", served.target,
                    "--no-progress")  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert [json.loads(x)["outcome"] for x in first.stdout.splitlines()] == ["new", "replaced"]
    assert "neardup ingest: 1 line replaced the other version stored under its id" in first.stderr
    again = neardup("ingest", str(tmp_path / "in.jsonl"), "--server", served.target, "--no-progress")
    assert [json.loads(x)["outcome"] for x in again.stdout.splitlines()] == ["replaced", "replaced"]
    last = neardup("ingest", str(write_jsonl(tmp_path / "last.jsonl", rows[1:])), "--server", served.target,
                   "--no-progress")  # fmt: skip
    assert [json.loads(x)["outcome"] for x in last.stdout.splitlines()] == ["unchanged"]
    assert "neardup ingest: 1 line was already stored just as sent" in last.stderr and "replaced" not in last.stderr


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_each_output_line_names_the_input_line_it_answers_blank_lines_skipped(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    rows: list[dict[str, object] | str] = [ROWS[0], "", "  ", ROWS[6], {"title": "no id", "body": WIRE}, "[]"]
    result = neardup(command, str(write_jsonl(tmp_path / "in.jsonl", rows)), "--server", served.target,
                     "--no-progress")  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [(x["line"], x["id"]) for x in lines] == [(1, "wire"), (4, "other"), (5, None), (6, None)]
    # (refused unsent, as a line without a body is: sent, the server's "article.id: is required" named no line)
    assert lines[2]["error"].startswith("line 5: id: is missing; the line has 'title', 'body'")
    assert lines[3]["error"] == "line 6: expected a JSON object"


def test_ingest_reads_standard_input_and_exits_0_when_every_line_is_accepted(served: ServerProcess) -> None:
    rows = "".join(json.dumps(r) + "\n" for r in (ROWS[0], ROWS[1]))
    result = subprocess.run([sys.executable, "-m", "client.cli", "ingest", "-", "--server", served.target,
                             "--no-progress"], input=rows, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["wire", "copy"] and lines[1]["duplicate_of"] == "wire"
    assert result.stderr == "neardup ingest: 2 lines answered, none rejected\n"  # (--no-progress: the total still)


def test_a_field_the_command_does_not_read_is_said_once_on_stderr(served: ServerProcess, tmp_path: Path) -> None:
    rows: list[dict[str, object] | str] = [
        {"id": "u1", "text": WIRE},
        {"id": "u2", "body": WIRE, "publishedAt": "2026-03-17T09:00:00Z"},
        {"id": "u3", "body": SAME_EVENT_A, "publishedAt": "2026-03-17T10:00:00Z"},
    ]
    result = neardup("check", str(write_jsonl(tmp_path / "in.jsonl", rows)), "--server", served.target,
                     "--no-progress")  # fmt: skip
    assert result.returncode == 1, result.stderr
    reads = "(neardup reads id, body, title, source, url, published)"
    assert result.stderr.splitlines()[:2] == [
        f"neardup check: line 1: field 'text' is not read, there or on later lines {reads}",
        f"neardup check: line 2: field 'publishedAt' is not read, there or on later lines {reads}",
    ]
    assert json.loads(result.stdout.splitlines()[0])["error"] == (
        f"line 1: body: is missing; the line has 'id', 'text' {reads}"
    )


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_an_input_that_cannot_be_read_is_a_one_line_error_before_any_server_is_asked(
    command: str, tmp_path: Path
) -> None:
    # (no server at this address: the file is looked at first, so the error names the file at once)
    result = neardup(command, str(tmp_path / "absent.jsonl"), "--server", "127.0.0.1:1", timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == f"neardup: cannot read {tmp_path / 'absent.jsonl'}: No such file or directory"


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_a_truncated_gzip_is_answered_up_to_where_it_ends_then_fails_naming_it(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    rows = [{"id": f"s{n}", "body": f"story {n} " + " ".join(f"w{n}x{j}" for j in range(400))} for n in range(12)]
    whole = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    result = neardup(command, str(cut), "--server", served.target, "--no-progress")
    assert result.returncode == 2
    answered = [json.loads(x)["id"] for x in result.stdout.splitlines()]
    assert 0 < len(answered) < 12 and answered == [f"s{n}" for n in range(len(answered))]
    # (and then how far it got, and the line to go on from: it said only that the input could not be read on)
    n = len(answered)
    read = "Every article read before it was answered" if command == "ingest" else "A check stores nothing"
    unchanged = ' (an article sent again that was stored is answered "unchanged")' if command == "ingest" else ""
    assert result.stderr.splitlines() == [
        f"neardup {command}: cannot read {cut} after line {n}: Compressed file ended before the end-of-stream marker "
        "was reached",
        f"neardup {command}: stopped once {n} lines were answered. {read}. To go on from line {n + 1}, run the same "
        f"command with --start-line {n + 1}, its output appended to this run's (>>, not >){unchanged}",
    ]


def test_an_output_that_cannot_be_written_or_a_missing_ca_file_fails_before_an_article_is_sent(
    served: ServerProcess, tmp_path: Path
) -> None:
    articles = str(write_jsonl(tmp_path / "in.jsonl", [ROWS[0]]))
    unwritable = neardup("ingest", articles, "--server", served.target, "--output", str(tmp_path / "no" / "out.jsonl"))
    assert unwritable.returncode == 2
    assert unwritable.stderr.strip().endswith(
        f"neardup: cannot write {tmp_path / 'no' / 'out.jsonl'}: No such file or directory"
    )
    no_ca = neardup("check", articles, "--server", served.target, "--ca-file", str(tmp_path / "ca.pem"))
    assert (no_ca.returncode, no_ca.stderr.strip()) == (
        2,
        f"neardup: cannot read the CA file {tmp_path / 'ca.pem'}: No such file or directory",
    )
    assert json.loads(neardup("stats", "--server", served.target).stdout)["articles"] == 0


def test_an_output_of_dash_is_standard_output_as_an_input_of_dash_is_standard_input(
    served: ServerProcess, tmp_path: Path
) -> None:
    articles = str(write_jsonl(tmp_path / "in.jsonl", [{"id": "dash", "body": WIRE}]))
    result = neardup("check", articles, "--server", served.target, "--output", "-", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["id"] == "dash"
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_an_output_that_is_the_input_file_is_refused_before_it_is_emptied(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    articles = write_jsonl(tmp_path / "in.jsonl", ROWS[:2])
    before = articles.read_bytes()
    (tmp_path / "link.jsonl").hardlink_to(articles)
    same = "neardup: --output {} is the input file: writing it would empty it before it is read; name another file"
    for output in (str(articles), str(tmp_path / "link.jsonl")):
        result = neardup(command, str(articles), "--server", served.target, "--output", output, "--no-progress")
        assert (result.returncode, result.stderr.strip()) == (2, same.format(output)), result.stderr
    with articles.open("rb") as stdin:  # (`neardup ingest - --output in.jsonl < in.jsonl`)
        piped = subprocess.run([sys.executable, "-m", "client.cli", command, "-", "--server", served.target,
                                "--output", str(articles)], stdin=stdin, capture_output=True, text=True,
                               timeout=120)  # fmt: skip
    assert (piped.returncode, piped.stderr.strip()) == (2, same.format(articles))
    with articles.open("ab") as stdout:  # (`neardup ingest in.jsonl >> in.jsonl`: it would read its own answers)
        appended = subprocess.run([sys.executable, "-m", "client.cli", command, str(articles), "--server",
                                   served.target], stdout=stdout, stderr=subprocess.PIPE, text=True,
                                  timeout=120)  # fmt: skip
    assert appended.returncode == 2
    assert appended.stderr.strip() == f"neardup: the output is the input file {articles}; name another file"
    assert articles.read_bytes() == before
    assert json.loads(neardup("stats", "--server", served.target).stdout)["articles"] == 0


def test_a_run_that_cannot_start_leaves_an_earlier_output_file_as_it_was_and_makes_none_where_none_was(
    tmp_path: Path,
) -> None:
    (tmp_path / "token").write_text("right-token\n")
    (tmp_path / "wrong").write_text("wrong-token\n")
    server = ServerProcess(tmp_path / "data", "--auth-token-file", str(tmp_path / "token")).start()
    try:
        articles, out = write_jsonl(tmp_path / "in.jsonl", ROWS[:2]), tmp_path / "out.jsonl"
        out.write_text("earlier results\n")
        refused = neardup("ingest", str(articles), "--server", server.target, "--token-file", str(tmp_path / "wrong"),
                          "--output", str(out), "--no-progress")  # fmt: skip
        assert refused.returncode == 2 and "UNAUTHENTICATED" in refused.stderr, refused.stderr
        assert out.read_text() == "earlier results\n"
        header_only = tmp_path / "cut.jsonl.gz"  # (gzip by its first bytes, cut before its first line)
        header_only.write_bytes(gzip.compress(articles.read_bytes())[:12])
        cut = neardup("check", str(header_only), "--server", server.target, "--token-file", str(tmp_path / "token"),
                      "--output", str(out), "--no-progress")  # fmt: skip
        assert cut.returncode == 2 and "cannot read" in cut.stderr, cut.stderr
        assert out.read_text() == "earlier results\n"
        # (a new output was made at the start, and left empty: a pipeline took the file for a run done)
        new = tmp_path / "new.jsonl"
        for failed in (
            neardup("ingest", str(articles), "--server", server.target, "--token-file", str(tmp_path / "wrong"),
                    "--output", str(new), "--no-progress"),
            neardup("check", str(header_only), "--server", server.target, "--token-file", str(tmp_path / "token"),
                    "--output", str(new), "--no-progress"),
        ):  # fmt: skip
            assert failed.returncode == 2, failed.stderr
            assert not new.exists()
        fine = neardup("check", str(articles), "--server", server.target, "--token-file", str(tmp_path / "token"),
                       "--output", str(out), "--no-progress")  # fmt: skip
        assert fine.returncode == 0, fine.stderr
        assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["wire", "copy"]  # (replaced)
        # A run that answers every line of an input of none leaves none: it kept the earlier run's lines.
        blank = neardup("check", str(write_jsonl(tmp_path / "blank.jsonl", ["", "  "])), "--server", server.target,
                        "--token-file", str(tmp_path / "token"), "--output", str(out), "--no-progress")  # fmt: skip
        assert blank.returncode == 0 and "0 lines answered" in blank.stderr, blank.stderr
        assert out.read_text() == ""
        blank_new = neardup("check", str(tmp_path / "blank.jsonl"), "--server", server.target, "--token-file",
                            str(tmp_path / "token"), "--output", str(new), "--no-progress")  # fmt: skip
        assert blank_new.returncode == 0 and new.read_text() == ""  # (a run done: its output, of no lines)
    finally:
        server.stop()


def test_a_run_given_the_output_another_run_is_writing_is_refused_at_once_and_the_first_run_keeps_it(
    served: ServerProcess, tmp_path: Path
) -> None:
    # (two runs given one --output wrote their lines into it together, interleaved, and nothing said so)
    out = tmp_path / "out.jsonl"
    first = subprocess.Popen([sys.executable, "-m", "client.cli", "ingest", "-", "--server", served.target,
                              "--no-progress", "--output", str(out)],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert first.stdin is not None and first.stderr is not None
    try:
        first.stdin.write("".join(json.dumps(r) + "\n" for r in ROWS[:2]))
        first.stdin.flush()  # (then the feed pauses, open: the first run holds the output)
        _wait_for_lines(out, 2)
        others = write_jsonl(tmp_path / "others.jsonl", [{"id": "second-run", "body": SAME_EVENT_A}])
        refused = [neardup(command, str(others), "--server", served.target, "--no-progress", "--output", str(out))
                   for command in ("ingest", "check")]  # fmt: skip
        with served.client() as client:
            assert client.stats().articles == 2  # (the second ingest sent nothing)
        first.stdin.write(json.dumps(ROWS[6]) + "\n")
        first.stdin.close()
        stderr = first.stderr.read()
        first.wait(timeout=60)
    finally:
        first.kill()
    for second in refused:
        assert (second.returncode, second.stdout) == (2, ""), second.stderr
        assert second.stderr == (f"neardup: --output {out} is locked by another process (another neardup run "
                                 "writing it, or a flock(1) on it): wait for it to end, or name another "
                                 "file\n")  # fmt: skip
    assert first.returncode == 0, stderr
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["wire", "copy", "other"]


def test_check_with_a_token_refused_stops_at_once_as_ingest_does_leaving_the_output(tmp_path: Path) -> None:
    """A refused token failed each check on its own: one UNAUTHENTICATED error line per input line, a refused
    call each (a million for a million lines), the earlier output replaced, exit 1 "lines were rejected"."""
    (tmp_path / "token").write_text("right-token\n")
    (tmp_path / "wrong").write_text("wrong-token\n")
    metrics_port = free_port()
    server = ServerProcess(tmp_path / "data", "--auth-token-file", str(tmp_path / "token"),
                           "--metrics-port", str(metrics_port)).start()  # fmt: skip
    rows: list[dict[str, object] | str] = [{"id": f"q{n}", "body": f"query {n} about the harbour"} for n in range(300)]
    articles, out = write_jsonl(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    try:
        out.write_text("earlier results\n")
        refused = neardup("check", str(articles), "--server", server.target, "--token-file", str(tmp_path / "wrong"),
                          "--output", str(out), "--no-progress")  # fmt: skip
        calls = support.scrape(metrics_port)
    finally:
        server.stop()
    assert refused.returncode == 2, refused.stderr
    assert "UNAUTHENTICATED" in refused.stderr and "rejected" not in refused.stderr, refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr
    assert out.read_text() == "earlier results\n"
    check = (("code", "UNAUTHENTICATED"), ("method", "neardup.v1.NearDuplicateService/CheckArticle"))
    assert 1 <= calls[("neardup_rpc_calls_total", check)] <= 40  # (those in flight, not one per line)


def test_check_whose_token_is_rotated_out_mid_run_stops_saying_how_far_it_got(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first-token\n")
    (tmp_path / "mine").write_text("first-token\n")
    server = ServerProcess(tmp_path / "data", "--auth-token-file", str(token)).start()
    out = tmp_path / "out.jsonl"
    run = subprocess.Popen([sys.executable, "-m", "client.cli", "check", "-", "--server", server.target,
                            "--token-file", str(tmp_path / "mine"), "--no-progress", "--output", str(out)],
                           stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert run.stdin is not None and run.stderr is not None
    try:
        run.stdin.write("".join(json.dumps(r) + "\n" for r in ROWS[:2]))
        run.stdin.flush()  # (then the feed pauses, open)
        _wait_for_lines(out, 2)
        token.write_text("the-rotated-token\n")  # (the server reads it again within a second)
        with NeardupClient(server.target, token="first-token") as old:
            wait_for(lambda: _refused(old), timeout=30, what="the server to refuse the old token")
        run.stdin.write("".join(json.dumps(r) + "\n" for r in ROWS[6:9]))
        run.stdin.close()
        stderr = run.stderr.read()
        run.wait(timeout=60)
    finally:
        run.kill()
        server.stop()
    assert run.returncode == 2, stderr
    assert "UNAUTHENTICATED" in stderr and "rejected" not in stderr, stderr
    assert stderr.splitlines()[-1] == (
        "neardup check: stopped once 2 lines were answered. A check stores nothing. To go on from line 3, run the "
        "same command with --start-line 3 --append"
    )
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["wire", "copy"]


def _refused(client: NeardupClient) -> bool:
    try:
        client.stats()
    except UnauthenticatedError:
        return True
    return False


def test_a_reader_that_leaves_early_ends_the_command_quietly_as_sigpipe_would(
    served: ServerProcess, tmp_path: Path
) -> None:
    # (more output than a pipe holds, ~150 KB, so the command is still writing when the reader goes)
    rows: list[dict[str, object] | str] = [{"id": f"q{n}", "body": f"query {n} about the harbour"} for n in range(3000)]
    check = subprocess.Popen([sys.executable, "-m", "client.cli", "check", str(write_jsonl(tmp_path / "q.jsonl", rows)),
                              "--server", served.target, "--no-progress"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert check.stdout is not None and check.stderr is not None
    assert json.loads(check.stdout.readline())["id"] == "q0"
    check.stdout.close()  # as `| head -1` does
    assert check.wait(timeout=120) == 141  # 128 + SIGPIPE
    assert check.stderr.read() == ""  # no traceback


def test_check_stores_nothing_and_reports_matches(served: ServerProcess, tmp_path: Path) -> None:
    neardup("ingest", str(write_jsonl(tmp_path / "base.jsonl", [ROWS[0]])), "--server", served.target)
    queries = write_jsonl(tmp_path / "q.jsonl", [ROWS[1], ROWS[4], ROWS[5]])
    result = neardup("check", str(queries), "--server", served.target, "--no-progress")
    assert result.returncode == 1 and "2 of 3 lines were rejected" in result.stderr, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines[0]["duplicate_of"] == "wire"
    assert "article.id" in lines[1]["error"]
    assert "not sent" in lines[2]["error"]
    assert json.loads(neardup("stats", "--server", served.target).stdout)["articles"] == 1


def test_stats_shows_the_server_limits_a_too_big_article_is_told_to_match(served: ServerProcess) -> None:
    stats = json.loads(neardup("stats", "--server", served.target).stdout)
    assert (stats["max_body_bytes"], stats["max_message_bytes"]) == (1 << 20, 4 << 20)


def test_get_prints_json_and_exits_1_when_absent(served: ServerProcess, tmp_path: Path) -> None:
    neardup("ingest", str(write_jsonl(tmp_path / "in.jsonl", ROWS[:2])), "--server", served.target)
    found = neardup("get", "copy", "--server", served.target)
    assert found.returncode == 0
    doc = json.loads(found.stdout)
    assert doc["body"] == WIRE_WITH_APPEAL and doc["duplicate_of"] == "wire" and doc["source"] == "Courier"
    absent = neardup("get", "nope", "--server", served.target)
    assert absent.returncode == 1
    assert "no article with id 'nope'" in absent.stderr


def test_group_prints_the_story_copies_original_first_and_exits_1_when_absent(
    served: ServerProcess, tmp_path: Path
) -> None:
    rows: list[dict[str, object] | str] = [
        *ROWS[:2],
        {"id": "late", "body": WIRE + "\n\nUpdated.", "published": "2026-03-18T08:00:00Z"},
        ROWS[7],
    ]
    neardup("ingest", str(write_jsonl(tmp_path / "in.jsonl", rows)), "--server", served.target)
    found = neardup("group", "late", "--page-size", "1", "--server", served.target)
    assert found.returncode == 0, found.stderr
    doc = json.loads(found.stdout)
    assert (doc["original"], doc["total_size"]) == ("wire", 3)
    assert [(m["id"], m["published"][:13]) for m in doc["members"]] == [
        ("wire", "2026-03-17T09"), ("copy", "2026-03-17T11"), ("late", "2026-03-18T08")
    ]  # fmt: skip
    assert doc["members"][0]["title"] == "Harbour" and "body" not in doc["members"][0]
    absent = neardup("group", "nope", "--server", served.target)
    assert absent.returncode == 1
    assert "no article with id 'nope'" in absent.stderr


def test_unreachable_server_is_a_clear_error_naming_where_it_looked() -> None:
    result = neardup("stats", "--server", "127.0.0.1:1")
    assert result.returncode == 2
    assert "UNAVAILABLE" in result.stderr
    assert "is `neardup serve` running at 127.0.0.1:1? --server or NEARDUP_SERVER" in result.stderr
    health = neardup("health", "--server", "127.0.0.1:1")
    assert health.returncode == 1
    assert "running at 127.0.0.1:1?" in health.stderr


def test_a_server_named_without_a_port_is_looked_for_on_the_default_port() -> None:
    result = neardup("stats", "--server", "127.0.0.1")
    assert f"running at 127.0.0.1:{DEFAULT_PORT}?" in result.stderr or result.returncode == 0  # (one may run there)
    assert ":443" not in result.stderr


def test_serve_on_a_redis_with_a_password_never_prints_it_and_stops_if_redis_refuses_it(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as store:
        redis.Redis(host="127.0.0.1", port=store.port).config_set("requirepass", "right-secret")
        url = f"redis://:{{}}@127.0.0.1:{store.port}/0"
        refused = neardup("serve", "--store", "redis", "--redis-url", url.format("wrong-secret"), "--port", "0",
                          "--data-dir", str(tmp_path / "d"))  # fmt: skip
        assert refused.returncode == 2
        assert refused.stderr.startswith("neardup serve: --redis-url: ") and refused.stderr.count("\n") == 1
        assert "refused neardup's credentials" in refused.stderr and "secret" not in refused.stderr
        server = ServerProcess(tmp_path / "d", "--store", "redis", "--redis-url", url.format("right-secret"),
                               "--log-level", "INFO").start()  # fmt: skip
        try:
            assert f"store redis at {url.format('***')}" in "".join(server.log)
            assert "secret" not in "".join(server.log)
        finally:
            server.stop()


def test_health_of_the_service_says_not_serving_while_its_store_does_not_answer(tmp_path: Path) -> None:
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    server = ServerProcess(tmp_path / "d", "--store", "redis", "--redis-url", nothing_there).start()
    try:
        alive = neardup("health", "--server", server.target)
        assert (alive.returncode, alive.stdout) == (0, "SERVING\n")  # the process: liveness
        ready = neardup("health", "--server", server.target, "--service", SERVICE_NAME)
        assert (ready.returncode, ready.stdout) == (1, "NOT_SERVING\n"), ready.stderr  # its store: readiness
    finally:
        server.stop()


def _serve_once(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A `neardup serve` that is refused (exit 2) before it serves."""
    return neardup("serve", "--data-dir", str(data_dir), *args, timeout=60)


def test_serve_refuses_a_store_built_with_other_parameters(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "d").start()
    try:
        assert neardup("ingest", str(write_jsonl(tmp_path / "in.jsonl", [{"id": "wire", "body": WIRE}])),
                       "--server", server.target).returncode == 0  # fmt: skip
    finally:
        server.terminate()
    result = _serve_once(tmp_path / "d", "--port", "0", "--shingle-size", "4")
    assert result.returncode == 2
    assert "shingle_size: store has 5, settings say 4" in result.stderr


def test_a_start_refused_for_its_port_leaves_a_new_store_to_the_corrected_start(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        refused = _serve_once(tmp_path / "d", "--port", str(taken.getsockname()[1]), "--shingle-size", "4")
    assert refused.returncode == 2 and "could not bind" in refused.stderr, refused.stderr
    server = ServerProcess(tmp_path / "d").start()  # (the default parameters: shingles of 5 words)
    try:
        stats = json.loads(neardup("stats", "--server", server.target).stdout)
        assert (stats["articles"], stats["parameters"]["shingle_size"]) == (0, 5)
    finally:
        server.terminate()


def _serve_without_privileges(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`neardup serve` on `data_dir` as a user that file modes bind (root, which these tests may run as, with
    the capabilities that pass over them dropped)."""
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--inh-caps=-all"]
    return subprocess.run([*(drop if os.geteuid() == 0 else []), sys.executable, "-m", "client.cli", "serve",
                           "--port", "0", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_serve_refuses_a_store_it_cannot_write_or_read_in_one_line_naming_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "d"
    ServerProcess(data).start().terminate()
    (data / "neardup.db").chmod(0o444)  # (as files restored by root into a directory chowned to the server's user)
    read_only = _serve_without_privileges(data)
    assert read_only.returncode == 2, read_only.stderr  # (it started and failed every write UNAVAILABLE)
    assert read_only.stderr.startswith(f"neardup serve: --data-dir {data}: cannot use the store")
    assert "readonly" in read_only.stderr and read_only.stderr.count("\n") == 1
    (data / "neardup.db").chmod(0o644)
    data.chmod(0o555)
    try:
        locked_out = _serve_without_privileges(data)
    finally:
        data.chmod(0o755)
    assert locked_out.returncode == 2 and f"neardup serve: --data-dir {data}: cannot" in locked_out.stderr
    assert "Traceback" not in locked_out.stderr


def test_serve_refuses_a_file_that_is_not_a_store_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "neardup.db").write_text("hi\n")
    result = neardup("serve", "--port", "0", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr  # (was a traceback, exit 1)
    assert "neardup.db is not a neardup store, or is damaged" in result.stderr
    assert "neardup.db-wal" not in result.stderr  # (none was there: nothing was restored over a log)
    assert (tmp_path / "d" / "neardup.db").read_text() == "hi\n"  # left as it was


def test_serve_refuses_an_empty_store_file_beside_the_snapshot_of_a_store_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "d"
    server = ServerProcess(data).start()
    with server.client() as client:
        client.index(Article("wire", WIRE))
    assert server.terminate() == 0  # (its close saves the index snapshot of 1 article)
    (data / "neardup.db").write_bytes(b"")  # (as a wrong mount's, or a lost file's)
    result = neardup("serve", "--port", "0", "--data-dir", str(data))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "neardup.db was missing or empty, beside an index snapshot of 1 article (index-snapshot-" in result.stderr
    assert any(data.glob("index-snapshot-*.npz"))  # (kept: the one trace of the store)


def test_a_second_server_on_the_same_data_dir_is_refused_and_the_first_serves_on(tmp_path: Path) -> None:
    first = ServerProcess(tmp_path / "d").start()
    try:
        with first.client() as client:
            client.index(Article("wire", WIRE))
        second = subprocess.run(
            [sys.executable, "-m", "client.cli", "serve", "--port", "0", "--data-dir", str(tmp_path / "d")],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 2
        assert f"is in use by another neardup server (pid {first.proc.pid})" in second.stderr  # type: ignore[union-attr]
        assert "another --data-dir" in second.stderr
        with first.client() as client:
            assert client.get("wire").article.body == WIRE
    finally:
        assert first.terminate() == 0
    again = ServerProcess(tmp_path / "d").start()  # the claim ends with the server that held it
    try:
        with again.client() as client:
            assert client.stats().articles == 1
    finally:
        again.stop()


def test_serve_says_why_the_workers_asked_for_cannot_start(tmp_path: Path) -> None:
    long_tmp = tmp_path / ("t" * 100)  # the forkserver's socket path would pass the 107 bytes a socket path holds
    long_tmp.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "client.cli", "serve", "--port", "0", "--data-dir", str(tmp_path / "d"),
         "--fingerprint-workers", "2"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(long_tmp)},
    )  # fmt: skip
    assert result.returncode == 2
    assert "could not start 2 fingerprint worker process(es)" in result.stderr
    assert f"TMPDIR, now '{long_tmp}'" in result.stderr


def test_delete_reads_ids_from_arguments_and_a_file_and_exits_1_when_one_was_not_stored(
    served: ServerProcess, tmp_path: Path
) -> None:
    neardup("ingest", str(write_jsonl(tmp_path / "in.jsonl", [ROWS[0], ROWS[1], ROWS[6], ROWS[7]])),
            "--server", served.target)  # fmt: skip
    listed = tmp_path / "purge.txt"
    listed.write_text("other\n\n  a  \nnope\n", encoding="utf-8")
    result = neardup("delete", "wire", "--from", str(listed), "--server", served.target)
    assert result.returncode == 1, result.stderr
    assert result.stderr == "neardup delete: 1 of 4 ids was not stored: nothing to delete for it\n"
    assert [json.loads(x) for x in result.stdout.splitlines()] == [
        {"id": "wire", "deleted": True}, {"id": "other", "deleted": True}, {"id": "a", "deleted": True},
        {"id": "nope", "deleted": False},
    ]  # fmt: skip
    assert neardup("get", "other", "--server", served.target).returncode == 1
    assert json.loads(neardup("get", "copy", "--server", served.target).stdout)["duplicate_of"] is None
    again = subprocess.run([sys.executable, "-m", "client.cli", "delete", "--from", "-", "--missing-ok",
                            "--server", served.target], input="wire\ncopy\n", capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert [json.loads(x)["deleted"] for x in again.stdout.splitlines()] == [False, True]
    assert again.stderr == "neardup delete: 1 of 2 ids was not stored: nothing to delete for it\n"
    assert json.loads(neardup("stats", "--server", served.target).stdout)["articles"] == 0
    nothing = neardup("delete", "--server", served.target)
    assert nothing.returncode == 2 and "name ids" in nothing.stderr
    unreadable = neardup("delete", "--from", str(tmp_path / "missing.txt"), "--server", served.target)
    assert unreadable.returncode == 2 and "cannot read the ids in" in unreadable.stderr
    assert "missing.txt" in unreadable.stderr and "Traceback" not in unreadable.stderr
    (tmp_path / "latin1.txt").write_bytes(b"a\n\xe9t\xe9\n")
    undecodable = neardup("delete", "--from", str(tmp_path / "latin1.txt"), "--server", served.target)
    assert undecodable.returncode == 2 and "is not UTF-8 text" in undecodable.stderr
    # ("a", read before the bad line, waited for its call: it said the ids "printed above" were sent, none printed)
    assert undecodable.stderr.endswith("; stopped there: no id was sent\n") and not undecodable.stdout
    (tmp_path / "long.txt").write_text("fine\n" * 1202 + "x" * 600 + "\n", encoding="utf-8")
    too_long = neardup("delete", "--from", str(tmp_path / "long.txt"), "--missing-ok", "--server", served.target)
    assert too_long.returncode == 2 and len(too_long.stdout.splitlines()) == 1000  # (the first call's answers)
    assert f"line 1203 of {tmp_path / 'long.txt'}: is longer than 512 bytes" in too_long.stderr
    assert "only the 1,000 ids printed above were sent" in too_long.stderr


def test_delete_reads_an_ids_file_or_standard_input_that_starts_with_a_byte_order_mark(
    served: ServerProcess, tmp_path: Path
) -> None:
    neardup("ingest", str(write_jsonl(tmp_path / "in.jsonl", [ROWS[0], ROWS[6]])), "--server", served.target)
    listed = tmp_path / "takedowns.txt"
    listed.write_bytes(b"\xef\xbb\xbfwire\r\n")  # (as Windows tools save a UTF-8 list)
    from_file = neardup("delete", "--from", str(listed), "--server", served.target)
    assert (from_file.returncode, from_file.stdout) == (0, '{"id": "wire", "deleted": true}\n'), from_file.stderr
    piped = subprocess.run([sys.executable, "-m", "client.cli", "delete", "--from", "-", "--server", served.target],
                           input=b"\xef\xbb\xbfother\n", capture_output=True, timeout=120)  # fmt: skip
    assert (piped.returncode, piped.stdout) == (0, b'{"id": "other", "deleted": true}\n'), piped.stderr


def test_version_is_the_one_the_server_reports_and_the_package_has(served: ServerProcess) -> None:
    assert importlib.metadata.version("neardup") == service.__version__  # (pyproject takes it from there)
    version = neardup("--version")
    assert version.returncode == 0
    assert (
        version.stdout.strip() == f"neardup {json.loads(neardup('stats', '--server', served.target).stdout)['version']}"
    )


TLS_KEY = ["--tls-cert", "{tmp}/cert.pem", "--tls-key", "{tmp}/key.pem"]
NOT_BOUND = (
    "could not bind 192.0.2.1:0: another process may be using the port (choose another with --port), or the host "
    "is not an address of this machine (--host)"
)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (TLS_KEY, "--tls-key {tmp}/key.pem: cannot read it (No such file or directory)"),
        (
            ["--auth-token-file", "{tmp}/token"],
            "--auth-token-file {tmp}/token: cannot read it (No such file or directory)",
        ),
        (["--data-dir", "{tmp}/afile"], "--data-dir {tmp}/afile: a file stands where a directory should be"),
        (
            ["--data-dir", "/proc/neardup"],
            "--data-dir /proc/neardup: cannot make the directory (No such file or directory)",
        ),
        (["--host", "192.0.2.1"], NOT_BOUND),  # (TEST-NET-1: an address of no machine here)
        # (found only after the whole index had loaded, as "another process may be using the port")
        (["--port", "51091", "--health-port", "51091"], "--health-port 51091 is also --port: give each its own port"),
        (
            ["--health-port", "51092", "--metrics-port", "51092"],
            "--metrics-port 51092 is also --health-port: give each its own port",
        ),
    ],
)
def test_a_setting_that_cannot_work_stops_serve_with_one_line_naming_it(
    flags: list[str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("not a directory")
    args = ["serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *(f.format(tmp=tmp_path) for f in flags)]
    result = neardup(*args, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"neardup serve: {message.format(tmp=tmp_path)}"
    assert "Traceback" not in result.stderr


def test_a_misspelt_neardup_variable_stops_serve_naming_it_and_the_one_meant(tmp_path: Path) -> None:
    # (NEARDUP_MAX_BODY_SIZE was ignored, and the server ran on the default limit without a word)
    env = {**os.environ, "NEARDUP_MAX_BODY_SIZE": "5", "NEARDUP_SERVER": "127.0.0.1:1", "NEARDUP_TOKEN_FILE": ""}
    result = subprocess.run([sys.executable, "-m", "client.cli", "serve", "--port", "0", "--data-dir",
                             str(tmp_path / "data")], capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "neardup serve: NEARDUP_MAX_BODY_SIZE (did you mean NEARDUP_MAX_BODY_BYTES?): neardup reads no such variable, "
        "so it would be ignored; rename or unset it (`neardup serve --help` names each setting's)\n"
    )
    assert not (tmp_path / "data").exists()  # (refused before anything was opened)


def test_a_bad_environment_value_stops_serve_with_one_line_as_a_bad_setting_does(tmp_path: Path) -> None:
    env = {**os.environ, "NEARDUP_PORT": "abc"}
    result = subprocess.run([sys.executable, "-m", "client.cli", "serve", "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert result.returncode == 2
    # (the usage, cut short at --host, was printed above it)
    refused = "NEARDUP_PORT='abc' is not a valid value for --port: expected a whole number"
    assert result.stderr == f"neardup serve: {refused}\n"


def test_a_service_link_in_a_port_setting_is_said_at_start_and_one_naming_no_setting_is_not(tmp_path: Path) -> None:
    # (a Service named neardup-health replaced the image's NEARDUP_HEALTH_PORT=50052 with its address; passed over
    # without a word, the health port was off, and the pod's probes failed)
    links = {"NEARDUP_HEALTH_PORT": "tcp://10.96.0.8:50052", "NEARDUP_REDIS_SERVICE_HOST": "10.96.0.7"}
    server = ServerProcess(tmp_path / "data", env=links).start()
    try:
        warned = [line for line in server.log if "WARNING" in line]
        assert len(warned) == 1 and "NEARDUP_HEALTH_PORT=tcp://10.96.0.8:50052 is what Kubernetes sets" in warned[0]
        assert "--health-port is its default, -1 (off)" in warned[0] and "enableServiceLinks: false" in warned[0]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("command", "sig", "status", "stopped"),
    [
        ("ingest", signal.SIGINT, 130, "interrupted"),
        ("check", signal.SIGINT, 130, "interrupted"),
        # (as job runners and timeout(1) stop a command: it ended silently, its output file's buffer lost)
        ("ingest", signal.SIGTERM, 143, r"terminated \(SIGTERM\)"),
        ("check", signal.SIGTERM, 143, r"terminated \(SIGTERM\)"),
    ],
)
def test_ctrl_c_or_sigterm_ends_the_command_with_one_line_saying_how_far_it_got(
    command: str, sig: int, status: int, stopped: str, served: ServerProcess, tmp_path: Path
) -> None:
    rows: list[dict[str, object] | str] = [
        {"id": f"s{n}", "body": f"story {n} " + " ".join(f"w{n}x{j}" for j in range(300))} for n in range(20_000)
    ]
    out = tmp_path / "out.jsonl"
    run = subprocess.Popen([sys.executable, "-m", "client.cli", command, str(write_jsonl(tmp_path / "in.jsonl", rows)),
                            "--server", served.target, "--no-progress", "--output", str(out)],
                           stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONFAULTHANDLER": "1"})  # fmt: skip
    assert run.stderr is not None
    wait_for(lambda: out.exists() and out.stat().st_size > 0, timeout=60, what="the first answers")
    run.send_signal(sig)
    stderr = _ended_within(run, 60)
    assert run.returncode == status, stderr
    found = re.fullmatch(rf"neardup {command}: {stopped} once ([\d,]+) (?:line was|lines were) answered\. .*\n", stderr)
    assert found, stderr
    assert int(found.group(1).replace(",", "")) == len(out.read_text().splitlines()) < 20_000


def _ended_within(run: subprocess.Popen[str], seconds: float) -> str:
    """The command's stderr once it has ended; if it has not in `seconds`, fail with what each of its threads
    was doing (faulthandler, on in the command, prints them on SIGABRT), to find what kept it."""
    try:
        return run.communicate(timeout=seconds)[1]
    except subprocess.TimeoutExpired:
        run.send_signal(signal.SIGABRT)
        pytest.fail(f"not ended {seconds} s after the signal; its threads then:\n{run.communicate(timeout=30)[1]}")


def test_ctrl_c_ends_check_at_once_while_its_checks_wait_to_retry_a_server_gone(
    served: ServerProcess, tmp_path: Path
) -> None:
    # (the check pool's exit waited for every check it held to use up its retries, the client closed only
    # after that: 164 s after Ctrl-C in a probe)
    rows: list[dict[str, object] | str] = [
        {"id": f"s{n}", "body": f"story {n} " + " ".join(f"w{n}x{j}" for j in range(300))} for n in range(20_000)
    ]
    out, errors, feed = tmp_path / "out.jsonl", tmp_path / "stderr.txt", write_jsonl(tmp_path / "in.jsonl", rows)
    with errors.open("w") as stderr:
        run = subprocess.Popen([sys.executable, "-m", "client.cli", "check", str(feed),
                                "--server", served.target, "--no-progress", "--output", str(out)],
                               stderr=stderr, text=True)  # fmt: skip
        try:
            wait_for(lambda: out.exists() and out.stat().st_size > 0, timeout=60, what="the first answers")
            served.kill9()
            wait_for(lambda: "(retry 3 of 8)" in errors.read_text(), timeout=60, what="checks waiting to retry")
            stopped_at = time.monotonic()
            run.send_signal(signal.SIGINT)
            run.wait(timeout=60)
        finally:
            run.kill()
    said = errors.read_text()
    assert run.returncode == 130, said
    assert time.monotonic() - stopped_at < 15  # (not the retries' minutes)
    assert "interrupted once" in said
    # One line a round of retries, whole, naming a line: each of the 8 checks in flight said each of its
    # retries (some 40 lines for an outage of 3 s), some run together on one line, none naming a line.
    retries = [line for line in said.splitlines() if "retry" in line]
    pattern = (r"neardup check: line [\d,]+ \(id 's\d+'\): UNAVAILABLE: .*; sending it, and each check in flight "
               r"that fails with it, again in \d+\.\ds \(retry (\d) of 8\)")  # fmt: skip
    rounds = [re.fullmatch(pattern, line) for line in retries]
    assert all(rounds), said
    assert [int(r.group(1)) for r in rounds if r] == list(range(1, len(retries) + 1)), said


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_a_live_feed_on_standard_input_is_answered_as_its_lines_come(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    # (`tail -f feed | neardup check -`: nothing was answered until 64 lines, ingest's batch, or 32, check's
    # window, had come, or the feed had ended; and the answers then waited in the output's buffer)
    out = tmp_path / "out.jsonl"
    run = _reading_standard_input(command, served, out)
    assert run.stdin is not None and run.stderr is not None
    try:
        for answered, row in enumerate(ROWS[:2], 1):
            run.stdin.write(json.dumps(row) + "\n")
            run.stdin.flush()  # (then the feed pauses, open)
            _wait_for_lines(out, answered)
        run.stdin.close()
        stderr = run.stderr.read()
        run.wait(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 0, stderr
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["wire", "copy"]


def _reading_standard_input(command: str, served: ServerProcess, out: Path) -> subprocess.Popen[str]:
    """`neardup <command> -` writing to `out`, its standard input and error pipes of this test's."""
    return subprocess.Popen([sys.executable, "-m", "client.cli", command, "-", "--server", served.target,
                             "--no-progress", "--output", str(out)],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_for_lines(path: Path, count: int) -> None:
    wait_for(lambda: path.exists() and path.read_text().count("\n") == count, timeout=30,
             what=f"{count} answer lines in {path.name}")  # fmt: skip


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_ctrl_c_while_waiting_for_more_of_standard_input_exits_130(
    command: str, served: ServerProcess, tmp_path: Path
) -> None:
    # (a live feed: the pipe stays open. ingest reads it in gRPC's sending thread, a daemon, which held
    # sys.stdin's lock in that read while Python shut down: Python aborted, status 134, after the line below)
    out = tmp_path / "out.jsonl"
    run = _reading_standard_input(command, served, out)
    assert run.stdin is not None and run.stderr is not None
    try:
        run.stdin.write(json.dumps(ROWS[0]) + "\n")
        run.stdin.flush()
        wait_for(lambda: _a_thread_waits_on_stdin(run.pid), timeout=60, what="the command to wait for more lines")
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)  # (standard input still open: closed, its end would let the reading thread go)
        stderr = run.stderr.read()
    finally:
        run.kill()
        run.stdin.close()
    assert run.returncode == 130, stderr
    assert re.fullmatch(rf"neardup {command}: interrupted once \d+ (?:line was|lines were) answered\. .*\n", stderr), (
        stderr
    )


def test_a_server_killed_mid_stream_without_retries_gets_no_tls_hint_on_a_connection_it_answered_on(
    tmp_path: Path,
) -> None:
    # (gRPC's "Stream removed (Socket closed)" was followed by "if it serves TLS, add --tls or --ca-file", whenever
    # TLS was off: advice for a server that never answered, given about one that had answered on plaintext)
    server = ServerProcess(tmp_path / "data").start()
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "client.cli", "ingest", "-", "--server", server.target, "--no-progress",
            "--output", str(out), "--retries", "0", "--batch", "1"]  # fmt: skip
    run = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert run.stdin is not None and run.stderr is not None
    try:
        run.stdin.write("".join(json.dumps(r) + "\n" for r in ROWS[:2]))
        run.stdin.flush()  # (then the pipe stays open: the stream waits for more lines)
        _wait_for_lines(out, 2)
        server.kill9()
        stderr = run.stderr.read()
        run.wait(timeout=60)
    finally:
        run.kill()
        run.stdin.close()
        server.stop()
    assert run.returncode == 2, stderr
    failed = stderr.splitlines()[0]
    assert failed.startswith("neardup: UNAVAILABLE: ") and "TLS" not in stderr, stderr
    assert failed.endswith(f"(the server at {server.target} closed the connection it had answered on: did it stop?)")
    assert stderr.splitlines()[-1].startswith("neardup ingest: stopped once 2 lines were answered.")


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_a_server_gone_past_the_retries_ends_the_command_saying_how_far_it_got(command: str, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "client.cli", command, "-", "--server", server.target, "--no-progress",
            "--output", str(out), "--retries", "1", *(["--batch", "1"] if command == "ingest" else [])]  # fmt: skip
    run = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert run.stdin is not None and run.stderr is not None
    try:
        run.stdin.write("".join(json.dumps(r) + "\n" for r in ROWS[:2]))
        run.stdin.flush()  # (then the pipe stays open: the command waits for more lines)
        if command == "ingest":
            with server.client() as client:
                wait_for(lambda: client.stats().articles == 2, timeout=60, what="the first lines stored")
        else:
            wait_for(lambda: _waits_on_stdin(run.pid), timeout=60, what="check to wait for more lines")
        server.kill9()
        with contextlib.suppress(BrokenPipeError):  # (it may have given up already)
            run.stdin.write(json.dumps(ROWS[6]) + "\n")
            run.stdin.close()
        stderr = run.stderr.read()
        run.wait(timeout=60)
    finally:
        run.kill()
        server.stop()
    assert run.returncode == 2, stderr
    assert "UNAVAILABLE" in stderr
    found = re.fullmatch(
        r"neardup \w+: stopped once (\d+) (?:line was|lines were) answered\. .*", stderr.splitlines()[-1]
    )
    assert found, stderr
    assert int(found.group(1)) == len(out.read_text().splitlines())


@pytest.mark.parametrize(
    ("sig", "status", "stopped"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")]
)
def test_ctrl_c_or_sigterm_during_another_command_says_so(
    sig: int, status: int, stopped: str, served: ServerProcess
) -> None:
    args = [sys.executable, "-m", "client.cli", "delete", "--from", "-", "--server", served.target]
    delete = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert delete.stdin is not None and delete.stderr is not None
    delete.stdin.write("a\n")  # (then the pipe stays open: delete waits for more ids, or their end)
    delete.stdin.flush()
    wait_for(lambda: _waits_on_stdin(delete.pid), timeout=60, what="delete to wait for more ids")
    delete.send_signal(sig)
    _, stderr = delete.communicate(timeout=60)
    assert (delete.returncode, stderr) == (status, f"neardup delete: {stopped}\n")


def _waits_on_stdin(pid: int) -> bool:
    """The process sleeps in a read of a pipe (its standard input, here): its wait channel says so."""
    return "pipe_read" in Path(f"/proc/{pid}/wchan").read_text()


def _a_thread_waits_on_stdin(pid: int) -> bool:
    """A thread of the process (the main one or another: ingest reads in gRPC's) sleeps in a read of a pipe."""
    return any("pipe_read" in _read_or_empty(task / "wchan") for task in Path(f"/proc/{pid}/task").iterdir())


def _read_or_empty(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:  # (the thread ended meanwhile)
        return ""


def test_ingest_started_while_redis_stalls_rides_the_stall_out_with_its_retries(tmp_path: Path) -> None:
    """A Redis stalled past the start-up probe's 2 s (a failover, a slow fork) held the probe's GetStats as a
    loading server does; the load's wait then took the store's UNAVAILABLE for the end of the command (exit 2),
    its --retries never used."""
    articles = write_jsonl(tmp_path / "in.jsonl", [{"id": "wire", "body": WIRE}])
    with redis_server(tmp_path / "redis") as store:
        server = ServerProcess(tmp_path / "d", "--store", "redis", "--redis-url", store.url).start()
        assert store.proc is not None
        os.kill(store.proc.pid, signal.SIGSTOP)
        cli = subprocess.Popen([sys.executable, "-m", "client.cli", "ingest", "--server", server.target, str(articles)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        killer = threading.Timer(120, cli.kill)  # (bounded whatever happens)
        killer.start()
        try:
            assert cli.stderr is not None
            said = [cli.stderr.readline()]
            # Either form of a retry: the store's UNAVAILABLE as the article's answer (named, not counted as
            # unanswered), or as the whole stream's failure, its one article unanswered. (It waited for the first
            # alone: a stall that reached the client as the stream's failure read stderr to its end, and failed.)
            retried = ("that was the answer to article 'wire'; resending it in", "resending 1 unanswered article in")
            while said[-1] and not any(words in said[-1] for words in retried):
                said.append(cli.stderr.readline())
            assert "resending" in said[-1], "".join(said)  # the store's failure is retried, not the end
            os.kill(store.proc.pid, signal.SIGCONT)
            out, rest = cli.communicate(timeout=120)
            assert cli.returncode == 0, "".join(said) + rest
            assert json.loads(out)["outcome"] == "new"
        finally:
            killer.cancel()
            os.kill(store.proc.pid, signal.SIGCONT)
            cli.kill()
            server.stop()
