"""Reading articles from JSONL (optionally gzipped), one article per line."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from client.api import Article


@dataclass(frozen=True)
class BadLine:
    """A line that could not be turned into an article; reported in place, never sent."""

    id: str | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "error": self.error}


def open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_articles(path: Path) -> Iterator[Article | BadLine]:
    with open_text(path) as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield parse_line(line, number)


def parse_line(line: str, number: int) -> Article | BadLine:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadLine(None, f"line {number}: not valid JSON ({exc.msg})")
    if not isinstance(obj, dict):
        return BadLine(None, f"line {number}: expected a JSON object")
    article_id = obj.get("id")
    article_id = None if article_id is None else str(article_id)
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


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def parse_time(value: Any) -> datetime | None:
    """ISO 8601; a time without an offset is taken as UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"published: expected an ISO 8601 string, got {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"published: {value!r} is not an ISO 8601 time (e.g. 2025-03-17T09:30:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
