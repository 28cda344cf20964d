"""Reading articles from JSONL (optionally gzipped, or standard input), one article per line."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import select
import shlex
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from client.api import Article
from client.cli_base import standard_input

STDIN = Path("-")
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: read past at the start of any line
GZIP_MAGIC = b"\x1f\x8b"  # the first two bytes of every gzip member
FIELDS = ("id", "body", "title", "source", "url", "published")  # what a line's object is read for
_READS = f"neardup reads {', '.join(FIELDS)}"
Warn = Callable[[str], None]  # told of what is read past, not refused: a field that is not read


@dataclass(frozen=True)
class BadLine:
    """A line that could not be turned into an article; reported in place, never sent."""

    id: str | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "error": self.error}


class InputError(Exception):
    """The input itself could not be read (missing, unreadable, a gzip cut short): no line's own fault."""


def read_articles(path: Path) -> Iterator[Article | BadLine]:
    """The articles of a JSONL file (gzipped or not; '-': standard input), one per non-blank line, in order.

    Opens the file now, raising InputError if it cannot be, and reads it as it is iterated. A line that is
    not an article (not JSON, not UTF-8, a missing field) is a BadLine in its place; a file that cannot be
    read on (a disk error, a truncated gzip) raises InputError where it fails."""
    return (item for _, item in read_numbered_articles(path))


def read_numbered_articles(path: Path, warn: Warn | None = None, start: int = 1) -> NumberedArticles:
    """read_articles, each with the number of its line in the file (blank lines are skipped, so the
    count of those read is not it). `warn` hears, once per field name, of a field no article has (FIELDS):
    it was dropped silently, so a `publishedAt` left articles without their publication time. `start`: the
    number of the first line to read an article from (1-based, blank lines counted); the lines before it are
    read past, not parsed (the file's first non-blank line alone is looked at, as in every run, for
    a file that is no JSON Lines at all), and the lines after keep their numbers in the file (`tail -n +N`
    numbered them from 1 again: a resumed run's answers could not be joined to the file's lines)."""
    if start < 1:
        raise ValueError(f"start: line numbers begin at 1, got {start}")
    try:
        stream, ready = _open_binary(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    read = _LinesRead()
    return NumberedArticles(_articles(stream, path, _once_per_field(warn), start, read), ready, read)


@dataclass
class _LinesRead:
    """How many lines of the input were read so far, blank ones and those read past (`start`) too."""

    count: int = 0


def _once_per_field(warn: Warn | None) -> Callable[[str, int], None] | None:
    if warn is None:
        return None
    said: set[str] = set()

    def unread(name: str, number: int) -> None:
        if name not in said:
            said.add(name)
            warn(f"line {number}: field {name!r} is not read, there or on later lines ({_READS})")

    return unread


class NumberedArticles(Iterator[tuple[int, Article | BadLine]]):
    """read_numbered_articles' lines, read as they are taken, and whether the next is to hand (`ready`)."""

    def __init__(
        self, lines: Iterator[tuple[int, Article | BadLine]], ready: Callable[[], bool], read: _LinesRead | None = None
    ) -> None:
        self._lines, self._ready = lines, ready
        self._read = read if read is not None else _LinesRead()

    @property
    def lines_read(self) -> int:
        """The lines of the input read so far, blank ones and those read past (`start`) too."""
        return self._read.count

    def __next__(self) -> tuple[int, Article | BadLine]:
        return next(self._lines)

    def ready(self) -> bool:
        """Can the next line be taken without waiting for the input? Always, from a file: its bytes are all
        there. From a pipe or a terminal, False while a live feed is between lines: what was read is then
        sent, and its answers written, instead of waiting for a batch to fill (`tail -f feed | neardup check -`).
        May be asked from any thread; an answer already out of date only makes a batch smaller."""
        return self._ready()


def _open_binary(path: Path) -> tuple[AbstractContextManager[Iterable[bytes]], Callable[[], bool]]:
    """The file's lines as bytes, ungzipped if they are gzip, and its `ready`. Gzip is known by its first bytes
    rather than the name: gzip on standard input, or in a file not named .gz, was read as text, one "not
    UTF-8" error a line."""
    if path == STDIN:
        stdin = _standard_input()
        ready = stdin.ready if isinstance(stdin, DescriptorReader) else _always
        if _is_gzip(stdin):
            # (closing it leaves standard input open)
            return cast(IO[bytes], gzip.GzipFile(fileobj=cast(IO[bytes], stdin))), ready
        return nullcontext(stdin), ready  # (not closed: it is not ours)
    # Opened once and peeked at, not opened again to read: a pipe (`<(...)`, /dev/stdin, a FIFO) gives its
    # bytes once, so a second open lost what the peek had buffered (the first 8 KiB), or waited for ever.
    file = path.open("rb")
    try:
        # (a pipe named as the input is read as standard input is, so a live one is answered as it comes)
        source = file if stat.S_ISREG(os.fstat(file.fileno()).st_mode) else DescriptorReader(file.fileno(), file)
        gzipped = _is_gzip(source)
        if not gzipped and path.suffix == ".gz" and source.peek(1):
            # (the name says gzip and the bytes do not: read as text, it could be a file cut or garbled)
            raise gzip.BadGzipFile("Not a gzipped file, though its name ends in .gz")
    except BaseException:
        file.close()
        raise
    ready = source.ready if isinstance(source, DescriptorReader) else _always
    return (_gunzipped(source) if gzipped else source), ready


def _always() -> bool:
    return True


@contextmanager
def _gunzipped(file: io.BufferedReader | DescriptorReader) -> Iterator[IO[bytes]]:
    # (GzipFile leaves a file it was given open)
    with file, gzip.GzipFile(fileobj=cast(IO[bytes], file)) as unzipped:
        yield cast(IO[bytes], unzipped)


def _standard_input() -> DescriptorReader | io.BufferedReader:
    stdin = standard_input()  # (OSError if closed: `<&-`)
    try:
        return DescriptorReader(stdin.fileno())
    except (AttributeError, OSError, ValueError):  # (replaced by one without a descriptor, as a test harness does)
        return _peekable(stdin.buffer)


def _peekable(stream: IO[bytes]) -> io.BufferedReader:
    return stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(cast(Any, stream))


class DescriptorReader:
    """Lines of standard input (or of a pipe named as the input) read straight from its file descriptor
    (os.read), not through sys.stdin.buffer.

    `neardup ingest -` reads its input in gRPC's request thread, a daemon thread. Blocked in a read of a feed
    still open at Ctrl-C, it held sys.stdin.buffer's lock while the interpreter shut down, which closes that
    object: Python then aborts ("Fatal Python error: _enter_buffered_busy", status 134, not 130). A thread
    blocked in os.read holds no lock of Python's, and nothing at shutdown touches this object, so the
    process ends as the main thread says. (Ending with os._exit instead would skip the shutdown that closes
    the connection and the output file, and would have to know which threads may still read: here no exit
    path needs to care.) One thread reads at a time; the bytes read and the offset of the next line are one
    tuple, replaced whole, so another thread may look at them (`ready`). Reading through it knows what is
    read already, which a BufferedReader does not say, so `ready` can tell a feed between lines."""

    def __init__(self, fd: int, owner: IO[bytes] | None = None) -> None:
        self._fd, self._owner = fd, owner  # (the file the descriptor belongs to, closed with this; None: not ours)
        self._buffered: tuple[bytes, int] = (b"", 0)  # bytes read, and the offset of the first not yet taken

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def __enter__(self) -> DescriptorReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owner is not None:
            self._owner.close()

    def ready(self) -> bool:
        """Is a line to hand, so that taking it will not wait for the input? Yes if a whole line that is not
        blank is read already (blank lines are skipped: one would not do), or if bytes, or the input's end,
        wait in the pipe (most likely a whole line: feeds write lines). No: a live feed is between lines."""
        data, start = self._buffered
        while (end := data.find(b"\n", start)) >= 0:
            if data[start:end].strip():
                return True
            start = end + 1
        try:
            return bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):  # (a descriptor select cannot watch, as one over FD_SETSIZE: as a file)
            return True

    def readline(self) -> bytes:
        """The next line with its line end (the last may have none); b"" at the end of the input."""
        data, start = self._buffered
        end = data.find(b"\n", start)
        if end >= 0:
            self._buffered = (data, end + 1)
            return data[start : end + 1]
        parts = [data[start:]]  # (a line longer than a read: joined once, not grown read by read)
        while chunk := self._read(_READ_BYTES):
            end = chunk.find(b"\n")
            if end >= 0:
                self._buffered = (chunk, end + 1)
                return b"".join((*parts, chunk[: end + 1]))
            parts.append(chunk)
        self._buffered = (b"", 0)
        return b"".join(parts)

    def peek(self, size: int) -> bytes:
        """The next `size` bytes (fewer at the end of the input), left to be read."""
        data, start = self._buffered
        while len(data) - start < size and (chunk := self._read(_READ_BYTES)):
            data, start = data[start:] + chunk, 0
            self._buffered = (data, start)
        return data[start:]

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that are left if `size` is negative), as a file's read: for gzip's reader."""
        data, start = self._buffered
        if start < len(data):
            end = len(data) if size < 0 else min(len(data), start + size)
            self._buffered = (data, end)
            return data[start:end]
        if size < 0:
            return b"".join(iter(lambda: self._read(_READ_BYTES), b""))
        return self._read(size)

    def _read(self, size: int) -> bytes:
        return os.read(self._fd, size)


_READ_BYTES = 1 << 16  # what a pipe holds by default on Linux


def _is_gzip(stream: io.BufferedReader | DescriptorReader) -> bool:
    """Do the stream's next bytes start a gzip member? (Looked at, not taken.)"""
    return stream.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC


def _articles(
    stream: AbstractContextManager[Iterable[bytes]],
    path: Path,
    unread: Callable[[str, int], None] | None,
    start: int = 1,
    read: _LinesRead | None = None,
) -> Iterator[tuple[int, Article | BadLine]]:
    """The numbered articles of the lines from line `start` on; `read` counts every line read."""
    read = read if read is not None else _LinesRead()
    number = 0
    name = "standard input" if path == STDIN else str(path)
    first = True
    with stream as lines:
        try:
            # The lines before `start` are read past, not parsed (a resumed run costs their reading only), but the
            # file's first non-blank line is looked at for its format wherever the run starts: checked on line
            # `start` instead, a stray line there ("[1, 2]", NUL bytes) refused the whole input, wrongly said to be
            # a JSON array or UTF-16 text.
            for number, raw in enumerate(lines, start=1):
                read.count = number
                if not first and number < start:
                    continue
                if raw.removeprefix(BOM).strip():  # (a line of a byte order mark alone is blank: it shows none)
                    if first:
                        _refuse_other_formats(raw, name, "" if path == STDIN else f" {shlex.quote(str(path))}")
                        first = False
                    if number >= start:
                        yield number, parse_line(raw, number, unread)
        except (OSError, EOFError, zlib.error) as exc:  # (gzip.BadGzipFile is an OSError)
            where = f" after line {number}" if number else ""
            raise InputError(f"cannot read {name}{where}: {exc}") from None


# Byte order marks, longest first (UTF-32LE's begins with UTF-16LE's). iconv reads the order from the mark.
_WIDE_MARKS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
               (b"\xfe\xff", "UTF-16"))  # fmt: skip


def _refuse_other_formats(first: bytes, name: str, arg: str) -> None:
    """InputError, before any line is answered, if the first non-blank line shows the input is no UTF-8 JSON
    Lines at all: UTF-16 or UTF-32 text (a byte order mark, or a NUL byte beside its '{'), a JSON array, or
    pretty-printed JSON. Each of its lines was refused on its own, one error line each, none saying why. `arg`: the
    input as a command's argument, with its space before it ("" for standard input, which the commands read too)."""
    if encoding := _wide_encoding(first):
        raise InputError(f"{name} looks like {encoding} text, not UTF-8: neardup reads UTF-8 JSON Lines; convert it "
                         f"first (iconv -f {encoding} -t UTF-8{arg} > converted.jsonl)")  # fmt: skip
    line = first.removeprefix(BOM).strip()  # (a UTF-8 byte order mark is read past)
    if _opens_an_array(line):
        raise InputError(f"{name} looks like a JSON array (its first line starts with '['); neardup reads JSON "
                         f"Lines: one object per line (e.g. jq -c '.[]'{arg} > converted.jsonl)")  # fmt: skip
    if line == b"{":
        raise InputError(f"{name} looks like pretty-printed JSON (its first line is '{{' alone); neardup reads "
                         f"JSON Lines: one object per line (e.g. jq -c .{arg} > converted.jsonl)")  # fmt: skip


def _opens_an_array(line: bytes) -> bool:
    """Does the (stripped) line open a JSON array: '[' alone or before an object, array or string (an array
    printed over lines, or on one), or a whole array? Not a log line's '[2026-12-08 09:00:00] ...' or '[INFO] ...',
    which a dump may begin with: that line is refused on its own ("not valid JSON"), the rest read (the whole input
    was refused as a JSON array, and --start-line could not pass the line: the first is always looked at)."""
    if not line.startswith(b"["):
        return False
    after = line[1:].lstrip()
    if after[:1] in (b"", b"{", b"[", b'"'):
        return True
    try:
        return isinstance(_DECODER.decode(line.decode("utf-8")), list)
    except (ValueError, RecursionError):  # (not UTF-8, not JSON, or nested too deeply to read)
        return False


def _wide_encoding(line: bytes) -> str | None:
    """UTF-16 or UTF-32, with its byte order, if the line starts with its byte order mark, or with a NUL byte and
    what a line of JSON starts with ('{', '[', a space), in either order (UTF-16 puts a NUL beside every ASCII
    character); None otherwise. A NUL elsewhere in a line of UTF-8 is that line's fault alone, answered on its own:
    one stray NUL in the first line had the whole input refused as UTF-16, with advice (iconv) that garbles UTF-8."""
    for mark, encoding in _WIDE_MARKS:
        if line.startswith(mark):
            return encoding
    first, second = line[:1], line[1:2]
    if first == b"\x00" and second in _OPENING:
        return "UTF-16BE"
    if second == b"\x00" and first in _OPENING:
        return "UTF-16LE"
    return None


# What a line of JSON may start with, and a line end: in UTF-16 a blank line's end leaves a NUL beside it ("\r\x00\n",
# "\x00\n"), which a split on b"\n" does not read as blank.
_OPENING = (b"{", b"[", b" ", b"\t", b"\r", b"\n")


def parse_line(raw: bytes, number: int, unread: Callable[[str, int], None] | None = None) -> Article | BadLine:
    """The article on line `number` of a file, or what is wrong with the line. It must be UTF-8; a byte order
    mark at its start is read past, on any line: `cat a.jsonl b.jsonl` puts b's mark at the start of a line
    in the middle, where it was "not valid JSON (Expecting value at column 1)", the mark invisible.
    `unread(name, number)` hears of each field not in FIELDS."""
    text = raw.removeprefix(BOM)
    try:
        line = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = len(raw) - len(text) + exc.start  # (in the line as it is in the file, its mark counted)
        return BadLine(_id_of_undecodable(text), f"line {number}: not UTF-8 text (byte {at + 1} of the line is "
                                                 f"{raw[at]:#04x}); save the file as UTF-8")  # fmt: skip
    try:
        # (without its line end: in a line cut mid-string the newline is what json would complain of)
        obj = _DECODER.decode(line.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return BadLine(None, f"line {number}: not valid JSON ({_where(exc)})")
    except RecursionError:  # (json's reader recurses a level of nesting at a time: the command died with a traceback)
        return BadLine(None, f"line {number}: arrays or objects nested too deeply to read (about a thousand levels "
                             "or more); an article's fields are strings")  # fmt: skip
    except ValueError:  # (Python reads no whole number of over 4,300 digits: the command died with a traceback)
        return BadLine(None, f"line {number}: holds a number too long to read (over 4,300 digits); write it as a "
                             "string, in quotes")  # fmt: skip
    if not isinstance(obj, dict):
        return BadLine(None, f"line {number}: expected a JSON object")
    if isinstance(obj, _Repeating) and obj.repeated:
        # (With the line's id, when it gives one: a refused line's answer carries its id, as any other's does.)
        line_id = None if "id" in obj.repeated else _id_or_none(obj.get("id"))
        said = "is given more than once (JSON would keep the last silently, and which one was meant is not known)"
        return BadLine(line_id, f"line {number}: {obj.repeated[0]}: {said}; give each field once")
    if unread is not None:
        for name in obj:
            if name not in FIELDS:
                unread(name, number)
    try:
        article_id = _id(obj.get("id"))
    except ValueError as exc:
        return BadLine(None, f"line {number}: {exc}")
    for required in ("id", "body"):
        if obj.get(required) is None:  # (sent, the server said "article.id: is required", naming nothing it got)
            has = ", ".join(map(repr, obj)) or "no field"
            missing = "is null" if required in obj else "is missing"
            return BadLine(article_id, f"line {number}: {required}: {missing}; the line has {has} ({_READS})")
    try:
        return Article(
            id=article_id or "",
            body=_text(obj, "body"),
            title=_text(obj, "title"),
            source=_text(obj, "source"),
            url=_text(obj, "url"),
            published=parse_time(obj.get("published")),
        )
    except ValueError as exc:
        return BadLine(article_id, f"line {number}: {exc}")


class _Repeating(dict[str, Any]):
    """An object that gives a name more than once: json keeps the last value silently. `repeated`: those of
    the names an article is read from (FIELDS)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        names = [name for name, _ in pairs]
        self.repeated = [name for name in FIELDS if names.count(name) > 1]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    return obj if len(obj) == len(pairs) else _Repeating(pairs)


class _NegativeZero(int):
    """JSON's -0, which Python reads as 0: an id written -0 is "-0", its digits, not article "0" (it replaced it)."""

    def __str__(self) -> str:
        return "-0"

    __repr__ = __str__


# (a field's refusal names the value's type: "title: expected a string, got int", not the class's own name)
_NegativeZero.__name__ = _NegativeZero.__qualname__ = "int"


def _whole_number(text: str) -> int:
    # (JSON writes no "+" and no leading zero: -0 is the one whole number whose digits int() does not give back)
    return _NegativeZero(0) if text == "-0" else int(text)


# One decoder, made once: json.loads given a hook makes a decoder at every call (a third more time a line).
_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_int=_whole_number)


def _id(value: Any) -> str | None:
    """The id as text: a string, or a whole number's digits; anything else (a list, true) is refused rather
    than stored under its Python spelling ("['a']", "True"), and so is a number written with a decimal point
    or an exponent: 1e3 was stored as "1000.0", and 1.50 as "1.5"."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        raise ValueError(
            f"id: a number with a decimal point or an exponent (read as {value!r}) is no id: write the id as a "
            "string, in quotes"
        )
    if isinstance(value, bool) or not isinstance(value, int):  # (bool is an int to Python, not to JSON)
        raise ValueError(f"id: expected a string, got {type(value).__name__}")
    return str(value)


def _id_or_none(value: Any) -> str | None:
    """The id, or None if it is no valid one (to answer a line refused for another reason with its id)."""
    try:
        return _id(value)
    except ValueError:
        return None


def _id_of_undecodable(text: bytes) -> str | None:
    """The id of a line that is not UTF-8, if it gives a valid one in UTF-8 (a Latin-1 `café` in the body
    of `{"id": "l1", ...}`): its error line carries it, as any other refused line's does. The bytes that are
    not UTF-8 are read as lone surrogates (surrogateescape), so an id holding one is no id (None)."""
    try:
        obj = _DECODER.decode(text.decode("utf-8", "surrogateescape").rstrip("\r\n"))
    except (ValueError, RecursionError):  # (not JSON, a number too long to read, or nested too deeply)
        return None
    if not isinstance(obj, dict) or (isinstance(obj, _Repeating) and "id" in obj.repeated):
        return None
    article_id = _id_or_none(obj.get("id"))
    if article_id is None:
        return None
    try:
        article_id.encode("utf-8")
    except UnicodeEncodeError:  # (the bytes that are not UTF-8 are in the id)
        return None
    return article_id


def _where(exc: json.JSONDecodeError) -> str:
    """json's complaint with the column it is about (some of its messages end in "at", leaving it to say where)."""
    return f"{exc.msg} column {exc.colno}" if exc.msg.endswith(" at") else f"{exc.msg} at column {exc.colno}"


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def parse_time(value: Any) -> datetime | None:
    """ISO 8601; a time without an offset is taken as UTC, as the JSONL input is documented to be read (the
    README's `neardup ingest`). Said here, with UTC attached, because Article refuses a naive datetime. Its
    "T" and "Z" may be lower case, as RFC 3339 allows (section 5.6, the note): fromisoformat takes "t" but
    not "z", which refused "2026-04-01t08:00:00z"."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"published: expected an ISO 8601 string, got {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError as exc:
        raise ValueError(_no_time(value, str(exc))) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    _refuse_just_after_a_placeholder(value, moment)
    return moment


def _no_time(value: str, why: str) -> str:
    """Why `value` is no time: not ISO 8601, or written so but naming no time there is (a 30 February, hour 25:
    it was "not an ISO 8601 time" too, which sent the writer looking for a fault in its format)."""
    if why.startswith("Invalid isoformat string"):
        return f"published: {value!r} is not an ISO 8601 time (e.g. 2025-03-17T09:30:00Z)"
    if why.startswith("offset must be"):  # (Python's own words name its timedelta type)
        why = "its offset from UTC must be less than 24 hours"
    return f"published: {value!r} is written as ISO 8601 but is no such time: {why}"


# The times clients send for "unknown" (Go's zero time, a default Timestamp), read as unknown by the server: the
# proto's Article.published.
PLACEHOLDERS = (datetime(1, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC))
_FRACTION = re.compile(r"[.,](\d+)")  # (the first is the seconds': a date has none, and the offset comes after)


def _refuse_just_after_a_placeholder(value: str, moment: datetime) -> None:
    """ValueError if `value` is less than a microsecond after a placeholder of "unknown", as the server refuses
    such a time. A datetime keeps microseconds, so fromisoformat cut 0001-01-01T00:00:00.0000001Z to the
    placeholder itself, and the line was stored as of an unknown date."""
    fraction = _FRACTION.search(value)
    if fraction is None or not fraction.group(1)[6:].strip("0"):  # (nothing below a microsecond)
        return
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:  # (outside the years 0001..9999 in UTC: the client refuses it, saying so)
        return
    if in_utc in PLACEHOLDERS:
        placeholder = in_utc.isoformat().replace("+00:00", "Z")
        raise ValueError(
            f"published: {value!r} is less than a microsecond after {placeholder}, which is read as unknown: "
            "publication times are kept to the microsecond, so it would be stored as unknown; leave it out if "
            "the date is unknown, or give the time to the microsecond"
        )
