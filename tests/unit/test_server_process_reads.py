"""`ServerProcess`'s reads of a process's log (tests/support.py), on a process that writes lines when told to."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import ServerProcess, until

# Writes each line it reads from its stdin to its stderr, and exits at the end of its stdin.
_ECHO = "import sys\nfor line in sys.stdin:\n    sys.stderr.write(line)\n    sys.stderr.flush()\n"


def _echoing(tmp_path: Path) -> ServerProcess:
    process = ServerProcess(tmp_path)
    process.proc = subprocess.Popen([sys.executable, "-c", _ECHO], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)  # fmt: skip
    return process


def _say(process: ServerProcess, text: str) -> None:
    assert process.proc is not None and process.proc.stdin is not None
    process.proc.stdin.write(text)
    process.proc.stdin.flush()


def test_a_read_that_timed_out_leaves_no_thread_reading_and_the_next_read_gets_its_line(tmp_path: Path) -> None:
    """A read in a thread of its own, left reading when the read timed out, went on reading the process's output
    (a later read's line included: that read then failed) for as long as the process ran."""
    before = set(threading.enumerate())
    process = _echoing(tmp_path)
    try:
        _say(process, "one\n")
        with pytest.raises(AssertionError, match="no line holding 'never'"):
            process.read_until("never", timeout=0.2)
        assert set(threading.enumerate()) <= before  # (at once: nothing is left to end later)
        assert process.log == ["one\n"]
        _say(process, "two\nthree\n")
        process.read_until("two", timeout=30)
        process.read_until("three", timeout=30)  # (come with "two": kept for this read)
        assert process.log == ["one\n", "two\n", "three\n"]
        _say(process, "four\nfive")  # (its last line has no newline)
        assert process.proc is not None and process.proc.stdin is not None
        process.proc.stdin.close()  # it exits
        assert process.read_rest(timeout=30) == "four\nfive\n"
        started = time.monotonic()
        with pytest.raises(AssertionError, match="no line holding 'six'"):
            process.read_until("six", timeout=30)  # (its output has ended: said at once, not after 30 s)
        assert time.monotonic() - started < 15  # (well short of the 30 s, however slow the host)
        assert process.exits(timeout=30) == 0
    finally:
        process.stop()
    assert until(lambda: set(threading.enumerate()) <= before, timeout=5)
