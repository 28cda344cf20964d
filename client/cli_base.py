"""What every `neardup` command shares: its exit statuses, its words on stderr (`say`; `fail`, which ends the command
on a setting that cannot work), and the client commands' Ctrl-C and SIGTERM (`terminated_as_interrupted`, `STOPS`)."""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import NoReturn, TextIO

EXIT_OK, EXIT_ABSENT, EXIT_FAILED = 0, 1, 2
EXIT_REJECTED = 1  # ingest and check: every line was answered, some with an error
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # what a shell reports for a process ended by SIGPIPE
EXIT_INTERRUPTED = 128 + signal.SIGINT  # likewise for Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM  # and for SIGTERM (a job runner's stop, timeout(1), kill)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C's KeyboardInterrupt is: the command stops the same way,
    saying how far it got and leaving every answered line in the output, where it ended silently, its output
    file's buffer lost."""


class _StopSignals:
    """Ctrl-C and SIGTERM as KeyboardInterrupt and _Terminated in the main thread, held back while `whole()`
    runs: a result line written and counted together (a stop between the two said one line fewer than the
    output held). The stop is kept too, and `whole()` raises it again after a line: Python runs a handler
    wherever the main thread is, a `__del__` or a library's cleanup among them, which print and drop what it
    raises, and the command then went on as if nobody had pressed Ctrl-C (an ingest not stopped 60 s after
    SIGINT, once in some twenty CI runs)."""

    def __init__(self) -> None:
        self._holding = False
        self._asked: KeyboardInterrupt | None = None

    def reset(self) -> None:
        """Forget a stop asked for before: main may run again in the same process (a test's)."""
        self._asked = None

    def handle(self, signum: int, frame: object) -> None:
        stop = _Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        self._asked = self._asked or stop
        if not self._holding:
            raise stop

    @contextmanager
    def whole(self) -> Iterator[None]:
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        if self._asked is not None:  # (held back during the line, or raised before it and dropped on the way)
            raise self._asked


STOPS = _StopSignals()


@contextmanager
def terminated_as_interrupted(wanted: bool) -> Iterator[None]:
    """SIGTERM raises _Terminated for the block, as Ctrl-C raises KeyboardInterrupt, both through STOPS (then
    the handlers before are put back: main may run in a process of someone else's, a test's). Only the main
    thread may set a handler; elsewhere, none is set."""
    STOPS.reset()  # (in any thread: a stop kept from an earlier run would end this one at its first line)
    if not wanted or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.signal(sig, STOPS.handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in before.items():  # (None: set outside Python)
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


def how_stopped(stop: KeyboardInterrupt) -> str:
    return "terminated (SIGTERM)" if isinstance(stop, _Terminated) else "interrupted"


def exit_status(stop: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(stop, _Terminated) else EXIT_INTERRUPTED


def fail(message: str, prog: str = "neardup") -> NoReturn:
    """End the command with `message` on stderr and EXIT_FAILED: a setting it was given cannot work."""
    say(f"{prog}: {message}")
    raise SystemExit(EXIT_FAILED)


_SAYING = threading.Lock()


def say(message: str) -> None:
    """`message` as one line on stderr, in one write, never run together with another thread's: check's 8
    threads said their retries at once, print's text and line end written apart, two messages on one line. Every
    message ingest and check say goes through it (the main thread's too: a line's warning, beside a retry)."""
    if sys.stderr is None:  # (closed when the command started, `2>&-`: there is no one to tell)
        return
    # (stderr that cannot be written, full: what the command says is lost, not its exit status, which an OSError
    # raised here turned into 1, "lines rejected", for a run that answered every line)
    with _SAYING, suppress(OSError):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def were(count: int) -> str:
    return "was" if count == 1 else "were"


class OutputFailed(Exception):
    """The command's output could not be written (a full disk, a file size limit, /dev/full): it stops, saying so
    (EXIT_FAILED), where it died with a traceback and exit 1, which ingest and check give for lines rejected."""

    def __init__(self, where: str, error: OSError) -> None:
        super().__init__(f"cannot write {where}: {error.strerror or error}")
        self.error = error


@contextmanager
def writing(where: str) -> Iterator[None]:
    """The block's writes to `where` (standard output, an --output file): an OSError raised as OutputFailed (a
    BrokenPipeError let through: a reader that left, which main ends as SIGPIPE would)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputFailed(where, exc) from None


def print_out(text: str) -> None:
    """`text` and a line end on standard output, written whole: OutputFailed if it cannot be (or is closed)."""
    with writing("standard output"):
        put_out(text + "\n")


def put_out(text: str) -> None:
    """`text` on standard output, straight to its descriptor (write_whole); OSError if it cannot be written whole, or
    was closed when the command started (`>&-`: Python sets it to None). One without a descriptor (a test harness's)
    is written and flushed."""
    if sys.stdout is None:
        raise OSError(errno.EBADF, "it is closed")
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()  # (what print() may have left in its buffer goes first)
    write_whole(fd, text)


def write_whole(fd: int, text: str) -> None:
    """`text` written whole to the file open as `fd`, straight, with no buffer (a result is flushed as it is written:
    a buffer gains nothing). A write that fails part-way (a full disk, a file size limit) is taken back out of a
    regular file, which then ends where it did, and raises. Through Python's buffer, a write that crossed a file
    size limit was taken as done, and the next one failed: a line counted as written was cut, and a run that went
    on from the line after it lost it."""
    held = os.fstat(fd)
    size = held.st_size if stat.S_ISREG(held.st_mode) else None
    left = memoryview(text.encode("utf-8"))
    try:
        while left:
            left = left[os.write(fd, left) :]
    except OSError:
        if size is not None:
            with suppress(OSError):
                os.ftruncate(fd, size)
                os.lseek(fd, size, os.SEEK_SET)
        raise


def standard_input() -> TextIO:
    """sys.stdin; OSError if it was closed when the command started (`<&-`: Python sets it to None)."""
    if sys.stdin is None:
        raise OSError(errno.EBADF, "standard input is closed")
    return sys.stdin


def drop_standard_output() -> None:
    """Point standard output at /dev/null: what it holds unwritten, Python would fail to flush again at exit (a
    traceback after the command's own words, and exit status 120)."""
    with suppress(OSError, ValueError, AttributeError):  # (no descriptor: replaced, or closed at start)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
