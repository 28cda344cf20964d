"""A backfill stopped part way (its server killed) and resumed with the --start-line its closing line gives: every
line of the archive answered exactly once across the two runs, in one output (--append), under the archive's own
line numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from benchmarks.loopback import wait_for
from client.api import STREAM_WINDOW
from tests.support import ServerProcess

LINES = 3000  # (the first run is stopped after its first 100 answers: far from its end, on any host)


def _archive(path: Path) -> Path:
    """LINES lines: an article whose id names its line, but every 50th line blank and every 97th not JSON."""
    rows = []
    for number in range(1, LINES + 1):
        if number % 50 == 0:
            rows.append("")
        elif number % 97 == 0:
            rows.append("{not json")
        else:
            words = " ".join(f"l{number}w{j}" for j in range(40))
            rows.append(json.dumps({"id": f"line-{number}", "body": f"Report {number}. {words}"}))
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_an_ingest_stopped_part_way_resumes_from_the_line_it_names(tmp_path: Path) -> None:
    archive, out, data = _archive(tmp_path / "archive.jsonl"), tmp_path / "out.jsonl", tmp_path / "data"
    server = ServerProcess(data).start()
    command = [sys.executable, "-m", "client.cli", "ingest", str(archive), "--no-progress", "--output", str(out),
               "--batch", "8", "--retries", "0"]  # fmt: skip
    first = subprocess.Popen([*command, "--server", server.target], stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: out.exists() and out.read_text().count("\n") >= 100, timeout=120, what="100 answers")
        server.kill9()
        _, said = first.communicate(timeout=60)
    finally:
        first.kill()
        server.stop()
    assert first.returncode == 2, said
    closing = said.splitlines()[-1]
    resume = re.search(r"To go on from line [\d,]+, run the same command with --start-line (\d+) --append", closing)
    assert resume, said
    start = int(resume.group(1))
    before = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(before) >= 100 and start == before[-1]["line"] + 1 < LINES  # (the first line it did not answer)

    restarted = ServerProcess(data).start()
    try:
        again = subprocess.run([*command, "--server", restarted.target, "--start-line", str(start), "--append"],
                               capture_output=True, text=True, timeout=300)  # fmt: skip
        with restarted.client() as client:
            stored = client.stats().articles
    finally:
        restarted.stop()
    assert again.returncode == 1, again.stderr  # (every line answered; the lines that are not JSON rejected)
    answers = [json.loads(x) for x in out.read_text().splitlines()]
    assert answers[: len(before)] == before  # (the first run's output kept, the resumed run's after it)
    expected = [n for n in range(1, LINES + 1) if n % 50]
    assert [a["line"] for a in answers] == expected  # (each non-blank line once, in the archive's numbering)
    for answer in answers:
        if answer["line"] % 97 == 0:
            assert answer["id"] is None and f"line {answer['line']}: not valid JSON" in answer["error"]
        else:
            assert answer["id"] == f"line-{answer['line']}" and answer["outcome"] in ("new", "unchanged"), answer
    # Sent by the first run and unanswered, an article may have been stored: then the resumed run says "unchanged"
    # Stored in the order sent, what it stored is a prefix of the resumed run's articles, and at most the client's
    # window long: it reads at most STREAM_WINDOW articles ahead of its answers. (A bound of 512 lines, "a few
    # batches", failed once in a fresh-clone CI: the server's own window is 1024 articles a stream.)
    outcomes = [a["outcome"] for a in answers[len(before) :] if "outcome" in a]
    resent = outcomes.index("new") if "new" in outcomes else len(outcomes)
    assert "unchanged" not in outcomes[resent:] and resent <= STREAM_WINDOW, outcomes
    assert stored == sum(1 for a in answers if "outcome" in a)
