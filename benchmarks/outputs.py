"""Where a benchmark writes its results: never over a file it did not write itself.

`--out docs/perf` (scaling's --out is a prefix: it adds .json, .md and .png) once replaced the 2,552-line
docs/perf.md with a four-line table. A file already at an output path is written over only when it reads as
the benchmark's own output (a run again to the same place); anything else is refused before any work.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from pathlib import Path

# Whether the file at a path reads as the benchmark's own output.
Ours = Callable[[Path], bool]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def markdown_starting(*starts: str) -> Ours:
    """A file that begins as the benchmark's Markdown does: one of `starts` (its table head, or the line it writes
    first; older versions' too, so that their results can be measured again in place)."""
    longest = max(len(s.encode()) for s in starts)

    def ours(path: Path) -> bool:
        with path.open("rb") as file:
            return file.read(longest).decode("utf-8", "replace").startswith(starts)

    return ours


def json_object(*keys: str) -> Ours:
    """A JSON object holding `keys` (a report the benchmark wrote)."""

    def ours(path: Path) -> bool:
        try:
            found = json.loads(path.read_bytes())
        except ValueError:
            return False
        return isinstance(found, dict) and all(k in found for k in keys)

    return ours


def png(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE


def prefixed(out: Path, kinds: Mapping[str, Ours]) -> dict[Path, Ours]:
    """The outputs of an --out prefix: `out` with each suffix of `kinds` (".json", ".md", ".png") added, as the
    benchmarks name them (Path.with_suffix: a prefix docs/perf writes docs/perf.md)."""
    return {out.with_suffix(suffix): ours for suffix, ours in kinds.items()}


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
    return (
        f"{flag} {value} would write over {names}, which this benchmark did not write; nothing was run: give "
        f"{flag} a path of its own (e.g. {instead}), or move the file away first"
    )


def guard(
    parser: argparse.ArgumentParser, flag: str, value: object, outputs: Mapping[Path, Ours], instead: str
) -> None:
    """End the run with `parser`'s usage error (exit 2) when `flag` `value` names a file the benchmark did not write
    (nothing when the flag was not given: `value` None)."""
    if value is not None and (refused := refusal(flag, str(value), outputs, instead)):
        parser.error(refused)


def guard_report(parser: argparse.ArgumentParser, flag: str, path: Path | None, instead: str) -> None:
    """`guard` for a JSON report at `path` (a file that is not a JSON object is not one the benchmark wrote)."""
    guard(parser, flag, path, {path: json_object()} if path else {}, instead)
