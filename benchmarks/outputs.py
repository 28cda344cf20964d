"""Where a benchmark writes its results: never over a file it did not write itself.

`--out docs/perf` (scaling's --out is a prefix: it adds .json, .md and .png) once replaced the 2,552-line
docs/perf.md with a four-line table. A file already at an output path is written over only when it reads as
the benchmark's own output (a run again to the same place); anything else is refused before any work.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

# Whether the file at a path reads as the benchmark's own output.
Ours = Callable[[Path], bool]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The PNG text key a benchmark's plots carry, and how its value begins (then the benchmark's module).
MARK_KEY, MARK_PREFIX = "Software", "neardup "


def markdown_starting(*starts: str) -> Ours:
    """A file that begins as the benchmark's Markdown does: one of `starts` (its table head, or the line it writes
    first; older versions' too, so that their results can be measured again in place)."""
    longest = max(len(s.encode()) for s in starts)

    def ours(path: Path) -> bool:
        with path.open("rb") as file:
            return file.read(longest).decode("utf-8", "replace").startswith(starts)

    return ours


def json_object(*keys: str, row_keys: Sequence[str] = ()) -> Ours:
    """A JSON object holding `keys`, keys only this benchmark's reports hold (any JSON object once passed: a run of
    ingest_cli wrote over scaling's committed report); with `row_keys`, one whose "rows" are objects each holding
    them (scaling's and mixed's reports both hold "machine" and "rows")."""
    if not keys:
        raise ValueError("json_object needs the keys only this benchmark's reports hold")

    def ours(path: Path) -> bool:
        try:
            found = json.loads(path.read_bytes())
        except ValueError:
            return False
        return isinstance(found, dict) and all(k in found for k in keys) and _rows_hold(found.get("rows"), row_keys)

    return ours


def _rows_hold(rows: object, keys: Sequence[str]) -> bool:
    if not keys:
        return True
    held = isinstance(rows, list) and all(isinstance(r, dict) and all(k in r for k in keys) for r in rows)
    return held and bool(rows)


def plot_mark(benchmark: str) -> dict[str, str]:
    """What `benchmark` (its module, e.g. "benchmarks.scaling") writes into its PNGs' metadata
    (savefig(metadata=...): a tEXt chunk), by which it knows them again."""
    return {MARK_KEY: f"{MARK_PREFIX}{benchmark}"}


def png_text(path: Path) -> dict[str, str] | None:
    """The tEXt chunks of the PNG at `path` (keyword: text), or None if it is not a PNG. Read with struct:
    matplotlib (and Pillow with it) is an extra, and the guard runs without it."""
    text: dict[str, str] = {}
    with path.open("rb") as file:
        if file.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            return None
        while len(head := file.read(8)) == 8:
            length, kind = struct.unpack(">I4s", head)
            if kind in (b"IDAT", b"IEND"):  # (matplotlib writes its text chunks before the image data)
                break
            data = file.read(length)
            file.seek(4, 1)  # (the chunk's CRC)
            if kind == b"tEXt" and b"\0" in data:
                keyword, _, value = data.partition(b"\0")
                text[keyword.decode("latin-1")] = value.decode("latin-1")
    return text


def plot_writer(path: Path) -> str | None:
    """The benchmark whose mark the PNG at `path` holds, or None (not a PNG, or an unmarked one)."""
    mark = (png_text(path) or {}).get(MARK_KEY, "")
    return mark.removeprefix(MARK_PREFIX) if mark.startswith(MARK_PREFIX) else None


def plot_of(benchmark: str) -> Ours:
    """A PNG holding `benchmark`'s mark (any PNG once passed: neardup-bench --plot replaced accuracy's
    precision-recall curve in docs)."""
    return lambda path: plot_writer(path) == benchmark


def prefix_paths(out: Path, suffixes: Iterable[str]) -> dict[str, Path]:
    """Where an --out prefix's outputs go, by suffix: each suffix (".json", ".md", ".png") added to `out`, so a
    prefix with a dot of its own keeps it (scaling-0.7.10 writes scaling-0.7.10.json, not scaling-0.7.json). A
    prefix that ends in one of the suffixes names one of the outputs, and the others go beside it: docs/perf.md
    and docs/perf both write docs/perf.md."""
    suffixes = list(suffixes)
    stem = out.with_suffix("") if out.suffix in suffixes else out
    return {suffix: stem.with_name(stem.name + suffix) for suffix in suffixes}


def prefixed(out: Path, kinds: Mapping[str, Ours]) -> dict[Path, Ours]:
    """The outputs of an --out prefix (`prefix_paths`), each with how to tell it is the benchmark's own."""
    return {path: kinds[suffix] for suffix, path in prefix_paths(out, kinds).items()}


def not_ours(outputs: Mapping[Path, Ours]) -> list[Path]:
    """The output paths that hold something the benchmark did not write: a file that does not read as its own,
    or a directory."""
    return [path for path, ours in outputs.items() if path.exists() and not (path.is_file() and ours(path))]


def refusal(flag: str, value: str, outputs: Mapping[Path, Ours], instead: str) -> str | None:
    """Why the run must not start, or None: `flag` `value` would write over a file the benchmark did not write.
    `instead`: an example of a value that writes where nothing else is."""
    foreign = not_ours(outputs)
    if not foreign:
        return None
    names = ", ".join(str(p) for p in foreign)
    plots = "; ".join(filter(None, map(_whose_plot, foreign)))
    return (
        f"{flag} {value} would write over {names}, which this benchmark did not write{f' ({plots})' if plots else ''}"
        f"; nothing was run: give {flag} a path of its own (e.g. {instead}), or move or remove the file first"
    )


def _whose_plot(path: Path) -> str | None:
    """What a PNG in the way is, said in a refusal (a PNG reads as any other's plot, or a plot of before the marks)."""
    if not path.is_file() or png_text(path) is None:
        return None
    if writer := plot_writer(path):
        return f"{path} is a plot of {writer}"
    return (f"{path} is not one of this benchmark's plots: its PNG metadata carries no benchmark's mark, like "
            "plots made before the mark")  # fmt: skip


def guard(
    parser: argparse.ArgumentParser, flag: str, value: object, outputs: Mapping[Path, Ours], instead: str
) -> None:
    """End the run with `parser`'s usage error (exit 2) when `flag` `value` names a file the benchmark did not write
    (nothing when the flag was not given: `value` None)."""
    if value is not None and (refused := refusal(flag, str(value), outputs, instead)):
        parser.error(refused)


def guard_report(parser: argparse.ArgumentParser, flag: str, path: Path | None, ours: Ours, instead: str) -> None:
    """`guard` for a JSON report at `path`: `ours`, the benchmark's `json_object` (with keys its reports alone hold),
    says which it wrote; and `guard_writable`."""
    guard_writable(parser, flag, path)
    guard(parser, flag, path, {path: ours} if path else {}, instead)


def guard_plot(parser: argparse.ArgumentParser, flag: str, path: Path | None, benchmark: str, instead: str) -> None:
    """`guard` for a PNG plot at `path`: one `benchmark` marked (`plot_mark`) is its own; and `guard_writable`."""
    guard_writable(parser, flag, path)
    guard(parser, flag, path, {path: plot_of(benchmark)} if path else {}, instead)


def guard_writable(parser: argparse.ArgumentParser, flag: str, path: Path | None) -> None:
    """End the run with `parser`'s usage error (exit 2) when the file `flag` names could not be written at its end:
    `neardup-bench --report /tmp/nodir/x.json` ran its whole load, then lost the report to a FileNotFoundError.
    (Not for an --out prefix: the benchmarks that take one make its directory.)"""
    if path is not None and (why := unwritable(path, flag)):
        parser.error(f"{flag} {path}: {why}")


def unwritable(path: Path, flag: str) -> str | None:
    """Why a file cannot be written at `path`, and what to give `flag` instead; None when it can be."""
    directory = path.parent
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            return f"{directory} is not a directory; nothing was run: give {flag} a path in a directory"
        return (f"the directory {directory} does not exist; nothing was run: create it (mkdir -p "
                f"{shlex.quote(str(directory))}), or give {flag} a path in a directory that does")  # fmt: skip
    if not os.access(directory, os.W_OK | os.X_OK):
        return (f"the directory {directory} is not writable by this user; nothing was run: give {flag} a path in a "
                "directory you can write to")  # fmt: skip
    if path.is_file() and not os.access(path, os.W_OK):
        return f"{path} is not writable by this user; nothing was run: give {flag} another path, or make it writable"
    return None
