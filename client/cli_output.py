"""Where ingest and check write their results (--output, or standard output): the output file, opened before the
server is asked and held against another run, emptied only when the first result is written (`output`)."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import sys
from contextlib import AbstractContextManager, nullcontext, suppress
from pathlib import Path
from typing import IO, Protocol

from client.cli_base import fail, put_out, say, write_whole


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


def output(
    path: Path | None, input_path: Path, append: bool = False, start_line: int = 1
) -> AbstractContextManager[Writer]:
    """Where results go ('-' or None: standard output), opened before the server is asked, so an output
    that cannot be written fails first; refused if it is the input file, which writing would empty, or if another
    process holds it (another neardup run writing it: their lines interleaved). Standard output is never held: its
    file is the shell's (`>` emptied it before the run began), and may be shared (nohup.out). `append`: the
    results are added after what the file holds (--append), which is never emptied; refused for standard output,
    which the shell opened (`>>` appends). A run that goes on from a line (`start_line` past 1) without `append`
    is refused a file that holds something: the results of the run it goes on from, which it would empty."""
    if path is None or str(path) == "-":
        if sys.stdout is None:  # (closed when the command started: `>&-`)
            fail("standard output is closed: name a file to write the results to with --output")
        if append:
            fail("--append adds to the file --output names; standard output is opened by the shell: append with "
                 ">> there (or name the file with --output)")  # fmt: skip
        if _is_input(_fd_of(sys.stdout), input_path):  # (`neardup ingest a.jsonl >> a.jsonl`: it reads its answers)
            fail(f"the output is the input file {input_path}; name another file")
        return nullcontext(STANDARD_OUTPUT)
    try:
        fd, made = _open_output(path, append)  # (not emptied yet: _EmptiedWhenWritten)
    except _OutputBusy:
        fail(f"--output {path} is locked by another process (another neardup run writing it, or a flock(1) on "
             "it): wait for it to end, or name another file")  # fmt: skip
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    if _is_input(fd, input_path):
        os.close(fd)
        fail(f"--output {path} is the input file: writing it would empty it before it is read; name another file")
    if start_line > 1 and not append and _holds_something(fd):
        os.close(fd)
        fail(f"--output {path} is not empty, and this run goes on from line {start_line:,} (--start-line): "
             "emptied, it would lose the results of the run before; add --append to add to it, or name another "
             "file")  # fmt: skip
    if append:
        return _Appended(os.fdopen(fd, "a", encoding="utf-8"), made, path)
    return _EmptiedWhenWritten(os.fdopen(fd, "w", encoding="utf-8"), made)


class _StandardOutput:
    """Standard output as ingest and check write their results: each line whole (put_out), or not at all."""

    def write(self, text: str) -> None:
        put_out(text)

    def flush(self) -> None:
        """Nothing to flush: put_out writes straight to the descriptor."""


STANDARD_OUTPUT = _StandardOutput()


def _holds_something(fd: int) -> bool:
    """Is the file open as `fd` a regular file that is not empty (as against a new one, a pipe, /dev/null)?"""
    written = os.fstat(fd)
    return stat.S_ISREG(written.st_mode) and written.st_size > 0


# Tries at opening an output whose path changes under us (removed, or made, between two calls): a bound, not a need.
_OPEN_TRIES = 20


class _OutputBusy(OSError):
    """The output file is held (flock) by another process: a neardup run writing it, or a flock(1) on it."""


def _open_output(path: Path, append: bool = False) -> tuple[int, Path | None]:
    """The output file open to write (neither emptied nor truncated; `append`: opened to append, and to read, so
    that its last byte can be looked at: _Appended), and, if this opening made it, the path to
    remove it by if the run writes nothing (_EmptiedWhenWritten). A regular file is held with an exclusive flock(2)
    from here until the run closes it: _OutputBusy if another process holds it (two runs' lines interleaved in it,
    and a run that made it could remove what the other wrote). A symbolic link is followed, as before; one that
    names no file makes the file it names, counted as made (its target removed again, the link left)."""
    target = path
    for _ in range(_OPEN_TRIES):
        try:
            fd = _opened_to_append(target) if append else os.open(target, os.O_WRONLY)
        except FileNotFoundError:  # (no file, or a symbolic link that names none)
            try:
                fd = _made_held(target)
            except FileExistsError:  # (made meanwhile, or a symbolic link: make the file it names)
                if os.path.islink(target) and not os.path.exists(target):
                    target = Path(os.path.realpath(target))
                continue
            made = True
        else:
            made = False
        try:
            held = _held_as_named(fd, target)
        except BaseException:
            os.close(fd)
            raise
        if held is not None:
            return fd, target if made and held else None
        os.close(fd)  # (removed, or replaced, by the run that held it: open what the path names now)
    raise OSError(f"{path} kept changing while it was opened (removed or made again by something else)")


def _opened_to_append(path: Path) -> int:
    """The file open to append: a regular file to read too if it may be (its last byte is looked at: _Appended),
    to append only if it may only be written. Anything else (a FIFO, a terminal) is opened to write only, as
    without --append: a FIFO opened to read and write too would not wait for its reader, and could be read by no
    one."""
    if stat.S_ISREG(os.stat(path).st_mode):
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except PermissionError:
            return os.open(path, os.O_WRONLY | os.O_APPEND)
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
        os.close(fd)  # (the path named something else by the time it was opened)
    return os.open(path, os.O_WRONLY | os.O_APPEND)


def _made_held(path: Path) -> int:
    """The file `path` names, made, open to write, and held (flock) before it appears there: a file of another
    name beside it, held, then linked to `path`. (Made, then held, another run could open and hold it between the
    two: this one was refused the file it had made, and the other left it, empty, as one it had not made.)
    FileExistsError if `path` names something. Where that file cannot be made or linked (a name too long, a file
    system without hard links), `path` is made as before, held only once made."""
    spare = path.with_name(f".{path.name}.{os.urandom(6).hex()}.neardup-new")
    try:
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with suppress(OSError):  # (ENOLCK, EOPNOTSUPP: _held_as_named says it is not held)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.link(spare, path)
    except FileExistsError:
        os.close(fd)
        raise
    except OSError:
        os.close(fd)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    finally:
        with suppress(OSError):
            os.unlink(spare)
    return fd


def _held_as_named(fd: int, path: Path) -> bool | None:
    """Hold the file open as `fd` with an exclusive flock, without waiting, if it is a regular file: whether it is
    held (False: a pipe, /dev/stdout, or a file system without flock, as some network ones: not held, and never
    removed), or None if `path` no longer names it once held (a run that made it removed it meanwhile: the path is
    opened again). _OutputBusy if another process holds it: a neardup run writing it, or a flock(1) on it."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # (a pipe, /dev/stdout: neither made nor removed)
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _OutputBusy(errno.EWOULDBLOCK, "locked by another process") from None
    except OSError:  # (ENOLCK, EOPNOTSUPP: written as before, not refused)
        return False
    try:
        return True if os.path.samestat(os.fstat(fd), os.stat(path)) else None
    except FileNotFoundError:
        return None


def _fd_of(stream: IO[str]) -> int | None:
    try:
        return stream.fileno()
    except (OSError, ValueError):  # (replaced by one without a descriptor, as a test harness does)
        return None


def _is_input(fd: int | None, input_path: Path) -> bool:
    """Is the file open as `fd` the input file (by name, by a hard link, or as standard input)?"""
    try:
        written = os.fstat(fd) if fd is not None else None
        read = os.fstat(sys.stdin.fileno()) if str(input_path) == "-" else os.stat(input_path)
    except (OSError, ValueError):
        return False
    return written is not None and stat.S_ISREG(written.st_mode) and os.path.samestat(written, read)


class _EmptiedWhenWritten:
    """An output file, emptied of what an earlier run wrote only when the first line of this one is
    written (a run that answers an input of no lines writes "" at its end for it): a run that cannot start
    (a token refused, an input that fails at its first line) leaves it as it was, where opening it to write
    had emptied it already. `made`: the file's path, if this run made it and holds it (_open_output): removed
    again at the end if nothing was written to it (a run that failed before its first answer left an empty file,
    which a pipeline that takes an output that exists for a run done was fooled by). It is made at the start all
    the same, so an output that cannot be written fails before the server is asked."""

    def __init__(self, file: IO[str], made: Path | None = None) -> None:
        self._file = file
        self._made = made
        self._written = False
        self._regular = stat.S_ISREG(os.fstat(file.fileno()).st_mode)  # (not a pipe or /dev/stdout)

    def write(self, text: str) -> int:
        if not self._written:
            if self._regular:
                self._file.truncate(0)
            self._written = True
        self._put(text)
        return len(text)

    def _put(self, text: str) -> None:
        """`text` written whole, straight to the file (write_whole): a line that fails part-way is taken back out,
        and a run that goes on with --append adds after the last whole one (the line's first part stayed, run
        together with the next run's first line, and a buffered copy of it failed again at close)."""
        write_whole(self._file.fileno(), text)

    def flush(self) -> None:
        """Nothing to flush: _put writes straight to the file."""

    def __enter__(self) -> _EmptiedWhenWritten:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._made is not None and not self._written:
                _remove_if_untouched(self._made, self._file.fileno())
        finally:
            self._file.close()


class _Appended(_EmptiedWhenWritten):
    """An output file a run adds its results to (--append): never emptied. One that does not end with a line end
    (a run killed with SIGKILL in the middle of a line, a file written by hand) gets one before the first result,
    said on stderr: the result was run together with that last line, and both were lost to a JSON reader.
    `made`: as _EmptiedWhenWritten's (a file this run made and wrote nothing to is removed again)."""

    def __init__(self, file: IO[str], made: Path | None, path: Path) -> None:
        super().__init__(file, made)
        self._path = path

    def write(self, text: str) -> int:
        if not self._written:
            self._written = True
            ends = _ends_a_line(self._file.fileno()) if text else True
            if ends is False:
                say(f"neardup: --output {self._path} did not end with a line end (a run killed in the middle "
                    "of a line?): its last line is left as it was, and this run's results begin on a new "
                    "line")  # fmt: skip
                self._put("\n")
            elif ends is None:
                say(f"neardup: warning: --output {self._path} may be written but not read, so whether it ends "
                    "with a line end cannot be told: if a run was killed in the middle of a line, this run's "
                    "first result is run together with that line")  # fmt: skip
        return super().write(text)


def _ends_a_line(fd: int) -> bool | None:
    """Is the file open as `fd` empty, or does it end with a line end? True for what is no regular file (a pipe
    holds no earlier line); None where it cannot be told (a file open to write only, that may not be read)."""
    try:
        held = os.fstat(fd)
        if not stat.S_ISREG(held.st_mode) or held.st_size == 0:
            return True
        return os.pread(fd, 1, held.st_size - 1) == b"\n"
    except OSError:
        return None


def _remove_if_untouched(path: Path, fd: int) -> None:
    """Remove the file this run made, open as `fd` and held since (no other neardup run has opened it to write), if
    it is still empty and `path` still names it (something else may have written it, or put a file in its place)."""
    with suppress(OSError):
        now = os.fstat(fd)
        if now.st_size == 0 and os.path.samestat(os.stat(path), now):
            os.unlink(path)
