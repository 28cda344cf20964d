"""Logging setup for the server: one line per event, as text or as JSON.

Fields passed with `extra={...}` (method, code, ms, peer ...) become JSON keys, so
log pipelines can filter on them without parsing the message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the event's extra fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with extra fields appended as key=value; tracebacks stay on one line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        line = f"{line} {extras}" if extras else line
        return line.replace("\n", "\\n")  # one event, one line, even with a traceback


def configure(level: str, fmt: str, stream: IO[str] | None = None) -> None:
    """Route all logging to `stream` (stderr) in the chosen format; replaces earlier handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def announce(message: str, fmt: str, stream: IO[str] | None = None) -> None:
    """A line written whatever the log level (readiness, the metrics address), in the log's format."""
    record = logging.LogRecord("neardup", logging.INFO, __file__, 0, message, None, None)
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter("%(message)s")
    with contextlib.suppress(OSError):  # (whoever read the log has gone: serve on, as logging does then)
        print(formatter.format(record), file=stream or sys.stderr, flush=True)
