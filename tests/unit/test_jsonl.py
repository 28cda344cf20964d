"""Reading JSONL input: every line answered in its place, and a file that cannot be read said plainly."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from client import Article
from client.jsonl import BadLine, InputError, parse_time, read_articles, read_numbered_articles


def jsonl(*rows: Mapping[str, object]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def test_a_missing_file_fails_when_opened_not_when_first_read(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read .*absent\.jsonl: No such file"):
        read_articles(tmp_path / "absent.jsonl")  # (no iteration: the CLI learns before it connects)


def test_a_line_that_is_not_utf8_is_a_bad_line_and_the_next_lines_are_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    latin1 = '{"id": "fr", "body": "café au lait"}\n'.encode("latin-1")
    path.write_bytes(jsonl({"id": "a", "body": "first"}) + latin1 + jsonl({"id": "b", "body": "third"}))
    lines = list(read_articles(path))
    assert isinstance(lines[0], Article) and lines[0].id == "a"
    assert isinstance(lines[1], BadLine)
    assert lines[1].error == "line 2: not UTF-8 text (byte 26 of the line is 0xe9); save the file as UTF-8"
    assert isinstance(lines[2], Article) and lines[2].body == "third"


def test_a_byte_order_mark_and_windows_line_ends_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    rows = [{"id": "a", "body": "one", "published": "2026-03-17T09:00:00Z"}, {"id": "b", "body": "two"}]
    path.write_bytes(b"\xef\xbb\xbf" + jsonl(*rows).replace(b"\n", b"\r\n"))
    lines = list(read_articles(path))
    assert lines == [
        Article("a", "one", published=datetime(2026, 3, 17, 9, tzinfo=UTC)),
        Article("b", "two"),
    ]


def test_a_byte_order_mark_at_the_start_of_a_later_line_is_read_past_as_on_the_first(tmp_path: Path) -> None:
    # (`cat a.jsonl b.jsonl`, b saved with a mark: its first line was "not valid JSON (Expecting value at
    # column 1)", the mark invisible; a file of the mark alone adds a line that shows nothing: blank)
    path = tmp_path / "cat.jsonl"
    bom = b"\xef\xbb\xbf"
    path.write_bytes(bom + jsonl({"id": "a", "body": "one"}) + bom + jsonl({"id": "b", "body": "two"}) + bom + b"\n")
    assert list(read_numbered_articles(path)) == [(1, Article("a", "one")), (2, Article("b", "two"))]


def test_a_line_that_is_not_utf8_keeps_the_id_it_gives_in_its_error_line(tmp_path: Path) -> None:
    # (the README: an error line carries the line's id whenever it gives a valid one; a Latin-1 body lost it)
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"\n".join([
        '{"id": "l1", "body": "café"}'.encode("latin-1"),
        b'\xef\xbb\xbf{"id": 7, "body": "caf\xe9"}',  # (a whole number's digits; the mark counted in the byte)
        '{"id": "café", "body": "x"}'.encode("latin-1"),  # (the byte is in the id: no id)
        b'{"id": "a", "id": "b", "body": "caf\xe9"}',  # (an id given twice: which one is not known)
        b'{"id": "l5", "body": "caf\xe9"',  # (not JSON either)
    ]) + b"\n")  # fmt: skip
    assert list(read_articles(path)) == [
        BadLine("l1", "line 1: not UTF-8 text (byte 26 of the line is 0xe9); save the file as UTF-8"),
        BadLine("7", "line 2: not UTF-8 text (byte 26 of the line is 0xe9); save the file as UTF-8"),
        BadLine(None, "line 3: not UTF-8 text (byte 12 of the line is 0xe9); save the file as UTF-8"),
        BadLine(None, "line 4: not UTF-8 text (byte 36 of the line is 0xe9); save the file as UTF-8"),
        BadLine(None, "line 5: not UTF-8 text (byte 26 of the line is 0xe9); save the file as UTF-8"),
    ]


def test_a_published_time_without_an_offset_is_read_as_utc(tmp_path: Path) -> None:
    # (as the README documents the input: the Python Article itself refuses a naive datetime)
    path = tmp_path / "times.jsonl"
    path.write_bytes(jsonl({"id": "a", "body": "one", "published": "2026-03-17T09:00:00"}))
    assert list(read_articles(path)) == [Article("a", "one", published=datetime(2026, 3, 17, 9, tzinfo=UTC))]


@pytest.mark.parametrize(
    "written",
    ["2026-04-01T08:00:00Z", "2026-04-01t08:00:00z", "2026-04-01T08:00:00z", "2026-04-01t08:00:00Z",
     "2026-04-01t08:00:00+00:00", "2026-04-01t10:00:00.000+02:00", "2026-04-01 08:00:00Z"],
)  # fmt: skip
def test_a_published_time_in_rfc_3339_is_read_with_its_t_and_z_in_either_case(written: str) -> None:
    # (RFC 3339 section 5.6, the note: "T" and "Z" may be lower case; a lower-case "z" was refused)
    assert parse_time(written) == datetime(2026, 4, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize("written", ["2026-04-01T08:00:00ZZ", "2026-04-01T08:00:00+00:00Z", "z", "yesterday"])
def test_a_published_time_that_is_not_iso_8601_is_refused_naming_it(written: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"published: {written!r} is not an ISO 8601 time")):
        parse_time(written)


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("2026-02-30", "day"),
        ("2026-13-01T08:00:00Z", "month"),
        ("2026-04-01T25:00:00Z", "hour"),
        ("2026-04-01T08:00:00+25:00", "its offset from UTC must be less than 24 hours"),
    ],
)
def test_a_published_time_written_as_iso_8601_that_names_no_such_time_is_refused_saying_why(
    written: str, why: str
) -> None:
    # (it was "not an ISO 8601 time", though its format was right)
    with pytest.raises(ValueError) as refused:
        parse_time(written)
    said, prefix = str(refused.value), f"published: {written!r} is written as ISO 8601 but is no such time: "
    assert said.startswith(prefix), said
    assert why in said.removeprefix(prefix), said  # (Python's own words, which its versions may reword)


@pytest.mark.parametrize(
    ("written", "placeholder"),
    [("0001-01-01T00:00:00.0000001Z", "0001-01-01T00:00:00Z"),
     ("1970-01-01T00:00:00.000000999Z", "1970-01-01T00:00:00Z"),
     ("1970-01-01T02:00:00,0000005+02:00", "1970-01-01T00:00:00Z"),
     ("0001-01-01T00:00:00.00000000001", "0001-01-01T00:00:00Z")],
)  # fmt: skip
def test_a_published_time_less_than_a_microsecond_after_a_placeholder_is_refused_as_the_server_does(
    written: str, placeholder: str
) -> None:
    # (cut to whole microseconds, it was the placeholder itself, and the line was stored as of no date; the
    # proto: a time less than a microsecond after either placeholder is INVALID_ARGUMENT)
    with pytest.raises(ValueError, match=re.escape(f"published: {written!r} is less than a microsecond after "
                                                   f"{placeholder}, which is read as unknown")):  # fmt: skip
        parse_time(written)


@pytest.mark.parametrize(
    ("written", "read"),
    [("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
     ("1970-01-01T00:00:00.0000000Z", datetime(1970, 1, 1, tzinfo=UTC)),
     ("1970-01-01T00:00:00.0000011Z", datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)),
     ("2026-03-17T09:00:00.1234567Z", datetime(2026, 3, 17, 9, 0, 0, 123456, tzinfo=UTC))],
)  # fmt: skip
def test_a_placeholder_itself_or_a_time_a_microsecond_or_more_past_one_is_read_cut_to_the_microsecond(
    written: str, read: datetime
) -> None:
    # (a placeholder is sent as it is, and the server reads it as unknown, as the README says)
    assert parse_time(written) == read


def test_a_truncated_gzip_gives_its_whole_lines_then_says_where_it_ended(tmp_path: Path) -> None:
    rows = [{"id": f"a{n}", "body": f"article {n} " + "words " * 2000} for n in range(20)]
    whole = gzip.compress(jsonl(*rows))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    read: list[Article | BadLine] = []
    with pytest.raises(InputError, match=r"cannot read .*cut\.jsonl\.gz after line \d+: Compressed file ended"):
        read.extend(read_articles(path))
    assert 0 < len(read) < 20
    assert [a.id for a in read] == [f"a{n}" for n in range(len(read))]


def test_a_file_named_gz_that_is_not_gzip_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl.gz"
    path.write_bytes(jsonl({"id": "a", "body": "not compressed"}))
    with pytest.raises(InputError, match=r"plain\.jsonl\.gz: Not a gzipped file"):
        list(read_articles(path))


def test_a_line_that_is_not_json_says_the_column_where_it_went_wrong(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"id": "a", "body": "cut mid\n{"id": "b"} x\r\n')
    lines = list(read_articles(path))
    # (the line end is not part of the JSON: read with it, a string cut short was an "Invalid control character")
    assert lines == [
        BadLine(None, "line 1: not valid JSON (Unterminated string starting at column 21)"),
        BadLine(None, "line 2: not valid JSON (Extra data at column 13)"),
    ]


def test_an_id_that_is_not_a_string_or_number_is_a_bad_line_not_its_python_spelling(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_bytes(jsonl({"id": ["list"], "body": "a"}, {"id": True, "body": "b"}, {"id": {"k": 1}, "body": "c"},
                           {"id": 7, "body": "d"}))  # fmt: skip
    lines = list(read_articles(path))
    assert lines[:3] == [
        BadLine(None, "line 1: id: expected a string, got list"),
        BadLine(None, "line 2: id: expected a string, got bool"),
        BadLine(None, "line 3: id: expected a string, got dict"),
    ]
    assert lines[3] == Article("7", "d")  # (a number is taken as its digits, as before)


def test_gzip_is_known_by_its_first_bytes_in_a_file_of_any_name_and_on_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [{"id": "a", "body": "one"}, {"id": "b", "body": "two"}]
    unnamed = tmp_path / "export.jsonl"
    unnamed.write_bytes(gzip.compress(jsonl(*rows)))
    assert list(read_articles(unnamed)) == [Article("a", "one"), Article("b", "two")]
    # (a pipe: its first bytes are looked at without being taken from what is read after)
    pipe = io.BufferedReader(io.BytesIO(gzip.compress(jsonl(*rows))))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(pipe))
    assert list(read_articles(Path("-"))) == [Article("a", "one"), Article("b", "two")]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(jsonl(*rows)))))
    assert list(read_articles(Path("-"))) == [Article("a", "one"), Article("b", "two")]


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_pipe_named_as_the_input_is_read_whole(tmp_path: Path, gzipped: bool) -> None:
    # Opened once to look for gzip's first bytes, then again to read: a pipe gives its bytes once, so the
    # first 8 KiB (those the look had buffered) were lost, and the first line kept was cut mid-line.
    lines = b"".join(b'{"id": "p%d", "body": "Item %d of the harbour report, told at length."}\n' % (n, n)
                     for n in range(1, 301))  # fmt: skip
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("wb") as pipe:  # (opens once the reader has)
            pipe.write(gzip.compress(lines) if gzipped else lines)

    read: list[Article | BadLine] = []
    # (each side in a thread of its own: a reader that opens the pipe twice waits for ever for a second writer)
    reader = threading.Thread(target=lambda: read.extend(read_articles(fifo)), daemon=True)
    writer = threading.Thread(target=write, daemon=True)
    reader.start()
    writer.start()
    reader.join(20)
    assert not reader.is_alive(), "the reader still waits on the pipe"
    assert len(lines) > 8192
    assert [a.id for a in read if isinstance(a, Article)] == [f"p{n}" for n in range(1, 301)]


@pytest.mark.parametrize("gzipped", [False, True])
def test_standard_input_that_is_a_pipe_is_read_whole_long_lines_and_a_last_line_without_its_end_too(
    gzipped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (read from its descriptor, not sys.stdin.buffer: lines cut across reads, and gzip, come out whole)
    rows = [{"id": "a", "body": "one"}, {"id": "long", "body": "word " * 40_000}, {"id": "b", "body": "two"}]
    data = jsonl(*rows)[:-1]  # (no line end after the last line)
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: _write_and_close(write_end, gzip.compress(data) if gzipped else data))
    writer.start()
    with os.fdopen(read_end) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert list(read_articles(Path("-"))) == [Article("a", "one"), Article("long", "word " * 40_000),
                                                  Article("b", "two")]  # fmt: skip
    writer.join(10)


def _write_and_close(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(data)


def test_a_live_feed_between_lines_is_not_ready_and_a_file_always_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stdin, os.fdopen(write_end, "wb", buffering=0) as feed:
        monkeypatch.setattr(sys, "stdin", stdin)
        feed.write(jsonl({"id": "a", "body": "one"}) + b"\n")  # (a line, then a blank one)
        lines = read_numbered_articles(Path("-"))
        assert lines.ready()
        assert next(lines) == (1, Article("a", "one"))
        assert not lines.ready()  # (the blank line is skipped: it does not count as one to hand)
        feed.write(b'{"id": "b", ')
        assert lines.ready()  # (bytes wait in the pipe)
        feed.write(b'"body": "two"}\n')
        assert next(lines) == (3, Article("b", "two"))
        assert not lines.ready()
        feed.close()
        assert lines.ready()  # (its end is to hand)
        assert list(lines) == []
    path = tmp_path / "in.jsonl"
    path.write_bytes(jsonl({"id": "a", "body": "one"}))
    whole = read_numbered_articles(path)
    assert whole.ready() and list(whole) == [(1, Article("a", "one"))] and whole.ready()


READS = "(neardup reads id, body, title, source, url, published)"


def test_a_field_that_is_not_read_is_warned_of_once_and_a_missing_body_names_the_fields_the_line_has(
    tmp_path: Path,
) -> None:
    # (both were dropped silently: a `publishedAt` left the article without its time, so the wrong copy was
    # taken for the original, and a `text` was refused by the server as "article.body: is required")
    path = tmp_path / "feed.jsonl"
    rows = [
        {"id": "u1", "text": "one"},
        {"id": "u2", "body": "two", "publishedAt": "2026-03-17T09:00:00Z"},
        {"id": "u3", "body": "three", "publishedAt": "2026-03-18T09:00:00Z", "text": "3"},
    ]
    path.write_bytes(jsonl(*rows))
    warned: list[str] = []
    lines = [item for _, item in read_numbered_articles(path, warned.append)]
    assert lines == [BadLine("u1", f"line 1: body: is missing; the line has 'id', 'text' {READS}"),
                     Article("u2", "two"), Article("u3", "three")]  # fmt: skip
    assert warned == [
        f"line 1: field 'text' is not read, there or on later lines {READS}",
        f"line 2: field 'publishedAt' is not read, there or on later lines {READS}",
    ]


def test_a_missing_or_null_id_is_refused_naming_its_line_and_the_fields_it_has_as_a_missing_body_is(
    tmp_path: Path,
) -> None:
    # (sent, the server refused it with a bare "article.id: is required", naming neither the line nor its fields)
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b'{"body": "one", "title": "t"}\n{"id": null, "body": "two"}\n{"id": "c", "body": "three"}\n')
    assert list(read_articles(path)) == [
        BadLine(None, f"line 1: id: is missing; the line has 'body', 'title' {READS}"),
        BadLine(None, f"line 2: id: is null; the line has 'id', 'body' {READS}"),
        Article("c", "three"),
    ]


def test_a_field_given_twice_in_a_line_is_refused_naming_it_and_the_line(tmp_path: Path) -> None:
    # (json keeps the last value silently: a body given twice, by a feed joining two records, stored the second)
    path = tmp_path / "feed.jsonl"
    path.write_bytes(
        b'{"id": "a", "body": "first", "body": "second"}\n'
        b'{"id": "b", "body": "two", "extra": 1, "extra": 2, "meta": {"k": 1, "k": 2}}\n'
        b'{"id": "c", "id": "d", "body": "three"}\n'
        b'{"id": 7, "title": "t", "title": "u", "body": "four"}\n'
        b'{"id": [1], "body": "five", "body": "six"}\n'
    )
    said = "is given more than once (JSON would keep the last silently, and which one was meant is not known)"
    # A line refused for a field given twice keeps its id when it gives one (it answered "id": null), as README's
    # rejected line does; not when the id is the field given twice, nor one that is no id.
    assert list(read_articles(path)) == [
        BadLine("a", f"line 1: body: {said}; give each field once"),
        Article("b", "two"),  # (names that are no article's field: read past, as when given once)
        BadLine(None, f"line 3: id: {said}; give each field once"),
        BadLine("7", f"line 4: title: {said}; give each field once"),
        BadLine(None, f"line 5: body: {said}; give each field once"),
    ]


def test_an_id_written_with_a_decimal_point_or_an_exponent_is_refused_naming_its_line(tmp_path: Path) -> None:
    # (1e3 was stored as "1000.0", 1.50 as "1.5": ids no one wrote)
    path = tmp_path / "ids.jsonl"
    path.write_bytes(b'{"id": 1e3, "body": "a"}\n{"id": 1.50, "body": "b"}\n{"id": 42, "body": "c"}\n'
                     b'{"id": -0, "body": "d"}\n{"id": 0, "body": "e"}\n{"id": -7, "body": "f"}\n')  # fmt: skip
    said = "is no id: write the id as a string, in quotes"
    assert list(read_articles(path)) == [
        BadLine(None, f"line 1: id: a number with a decimal point or an exponent (read as 1000.0) {said}"),
        BadLine(None, f"line 2: id: a number with a decimal point or an exponent (read as 1.5) {said}"),
        Article("42", "c"),  # (a whole number: its digits, as before)
        Article("-0", "d"),  # (its digits too: it was "0", and replaced article 0)
        Article("0", "e"),
        Article("-7", "f"),
    ]


def test_a_number_too_long_to_read_is_a_refused_line_and_minus_zero_elsewhere_is_named_an_int(tmp_path: Path) -> None:
    # (a whole number of over 4,300 digits raised a ValueError out of the reader: ingest died with a traceback; and
    # a -0 title was refused as "got _NegativeZero", the reader's own class)
    path = tmp_path / "numbers.jsonl"
    path.write_bytes(b'{"id": ' + b"9" * 5000 + b', "body": "a"}\n{"id": "t", "body": "b", "title": -0}\n'
                     b'{"id": "ok", "body": "c"}\n')  # fmt: skip
    assert list(read_articles(path)) == [
        BadLine(None, "line 1: holds a number too long to read (over 4,300 digits); write it as a string, in quotes"),
        BadLine("t", "line 2: title: expected a string, got int"),
        Article("ok", "c"),
    ]


ROWS = ({"id": "a", "body": "one"}, {"id": "b", "body": "two"})


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"[" + b",".join(json.dumps(r).encode() for r in ROWS) + b"]\n",
         "in.json looks like a JSON array (its first line starts with '['); neardup reads JSON Lines: one object "
         "per line (e.g. jq -c '.[]' in.json > converted.jsonl)"),
        (b"\n" + json.dumps(list(ROWS), indent=2).encode(), "in.json looks like a JSON array"),
        (json.dumps(ROWS[0], indent=2).encode() + b"\n",
         "in.json looks like pretty-printed JSON (its first line is '{' alone); neardup reads JSON Lines: one "
         "object per line (e.g. jq -c . in.json > converted.jsonl)"),
        (jsonl(*ROWS).decode().encode("utf-16"),  # (with its byte order mark, as Windows tools save it)
         "in.json looks like UTF-16 text, not UTF-8: neardup reads UTF-8 JSON Lines; convert it first "
         "(iconv -f UTF-16 -t UTF-8 in.json > converted.jsonl)"),
        (jsonl(*ROWS).decode().encode("utf-16-le"), "in.json looks like UTF-16LE text, not UTF-8"),
        (jsonl(*ROWS).decode().encode("utf-16-be"), "in.json looks like UTF-16BE text, not UTF-8"),
        (jsonl(*ROWS).decode().encode("utf-32"), "in.json looks like UTF-32 text, not UTF-8"),
        (gzip.compress(jsonl(*ROWS).decode().encode("utf-16"), mtime=0), "in.json looks like UTF-16 text"),
        # (a blank line first: its end leaves a NUL beside the next line's start, "\x00\n" or "\r\x00\n")
        (("\n\n" + jsonl(*ROWS).decode()).encode("utf-16-le"), "in.json looks like UTF-16"),
        (("\r\n" + jsonl(*ROWS).decode()).encode("utf-16-le"), "in.json looks like UTF-16LE text"),
        (("\n\n" + jsonl(*ROWS).decode()).encode("utf-16-be"), "in.json looks like UTF-16BE text"),
    ],
    # (named, not shown: a test id must be the same in every xdist worker, and bytes make unreadable ones)
    ids=["array", "array-indented", "pretty-object", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "gzipped-utf-16",
         "utf-16-le-blank-lines-first", "utf-16-le-crlf-first", "utf-16-be-blank-lines-first"],
)  # fmt: skip
def test_an_input_that_is_evidently_not_jsonl_fails_at_its_first_line_saying_what_it_is(
    tmp_path: Path, content: bytes, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (each of its lines was refused on its own, "not valid JSON" or "not UTF-8" a line, none saying why)
    monkeypatch.chdir(tmp_path)
    Path("in.json").write_bytes(content)
    with pytest.raises(InputError) as refused:
        next(read_numbered_articles(Path("in.json")))
    assert said in str(refused.value)


@pytest.mark.parametrize(
    "first",
    [b'{"id": "x", "body": "a stray \x00 byte"}', b"[2026-12-08 00:00:00] feed dump start", b"[INFO] feed dump",
     b"a\x00b", b"\x00\x00"],
    ids=["nul-in-a-line", "log-line-with-a-time", "log-line-with-a-level", "nul-after-a-letter", "nul-nul"],
)  # fmt: skip
def test_a_first_line_that_is_merely_bad_is_answered_on_its_own_and_the_rest_read(tmp_path: Path, first: bytes) -> None:
    # (one stray NUL byte in the first line had the whole input refused as UTF-16LE text, with iconv advice that
    # garbles UTF-8; a log line's "[2026-..." as a JSON array; and --start-line 2 could not pass it)
    path = tmp_path / "in.jsonl"
    path.write_bytes(first + b"\n" + jsonl(*ROWS))
    lines = list(read_articles(path))
    assert isinstance(lines[0], BadLine) and lines[0].error.startswith("line 1: ")
    assert lines[1:] == [Article("a", "one"), Article("b", "two")]


@pytest.mark.parametrize("first", [b"[1, 2]", b"[ {", b"[[", b'["a",', b"[  "], ids=["whole", "object", "array",
                                                                                   "string", "alone"])  # fmt: skip
def test_a_first_line_opening_an_array_still_refuses_the_input(tmp_path: Path, first: bytes) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(first + b"\n" + jsonl(*ROWS))
    with pytest.raises(InputError, match="looks like a JSON array"):
        list(read_articles(path))


def test_a_line_nested_too_deeply_is_answered_on_its_own(tmp_path: Path) -> None:
    # (json's reader recursed past Python's limit: RecursionError, and the command died with a traceback, the lines
    # after it unanswered; in a line that is not UTF-8 too, whose id is looked for)
    deep = b"[" * 5000 + b"]" * 5000
    path = tmp_path / "deep.jsonl"
    path.write_bytes(jsonl(ROWS[0]) + b'{"id": "d", "body": "b", "x": ' + deep + b"}\n"
                     + b'{"id": "e", "body": "caf\xe9", "x": ' + deep + b"}\n" + jsonl(ROWS[1]))  # fmt: skip
    lines = list(read_articles(path))
    assert lines[0] == Article("a", "one") and lines[3] == Article("b", "two")
    assert lines[1] == BadLine(None, "line 2: arrays or objects nested too deeply to read (about a thousand levels or "
                                     "more); an article's fields are strings")  # fmt: skip
    assert isinstance(lines[2], BadLine) and lines[2].id is None and "line 3: not UTF-8" in lines[2].error


def test_a_json_lines_file_whose_first_line_is_an_object_is_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl(*ROWS) + b"[1]\n{\n")  # (later lines: each its own error)
    lines = list(read_articles(path))
    assert lines[:2] == [Article("a", "one"), Article("b", "two")]
    assert lines[2:] == [BadLine(None, "line 3: expected a JSON object"),
                         BadLine(None, "line 4: not valid JSON (Expecting property name enclosed in double quotes "
                                       "at column 2)")]  # fmt: skip
