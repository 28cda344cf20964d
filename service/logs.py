"""Logging setup for the server: one line per event, as text or as JSON.

Fields passed with `extra={...}` (method, code, ms, peer ...) become JSON keys, so
log pipelines can filter on them without parsing the message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
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


class Throttle:
    """At most one log line an `interval` seconds for one kind of event, the first at once: an operator must
    see it, but one repeated in a loop (a client retrying a stale token, every batch while the store is down)
    must not fill the log. It counts what the lines it holds back would have said, for the next line."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._unlogged = 0

    def due(self, weight: int = 1) -> int | None:
        """None: leave this event unlogged (its `weight` counted); else log it now, saying that the events held
        back since the last line weighed the number returned."""
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self._interval:
                self._unlogged += weight
                return None
            unlogged, self._unlogged, self._last = self._unlogged, 0, now
        return unlogged

    @property
    def unlogged(self) -> int:
        """The weight held back since the last line."""
        return self._unlogged

    def held(self, at_once: bool = False) -> int | None:
        """The weight held back since the last line, to be said now in a line of its own (the next line's count
        starts again from none): if there is any, and `at_once` or the interval since that line has passed;
        else None. A count held back was said only with a later event's line, however long after, if ever."""
        with self._lock:
            now = self._clock()
            if not self._unlogged or (not at_once and self._last is not None and now - self._last < self._interval):
                return None
            unlogged, self._unlogged, self._last = self._unlogged, 0, now
        return unlogged
