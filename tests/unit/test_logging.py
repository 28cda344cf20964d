"""Log formats: one line per event; JSON lines carry the event's fields as keys."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from service.logs import announce, configure


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_have_fields_and_one_line_tracebacks(restore_logging: None) -> None:
    out = io.StringIO()
    configure("info", "json", out)
    log = logging.getLogger("neardup.test")
    log.info("rpc %s", "IndexArticle", extra={"method": "IndexArticle", "code": "OK", "ms": 1.5})
    log.debug("hidden below the level")
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError:
        log.exception("commit failed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "rpc IndexArticle"
    assert (first["level"], first["logger"], first["method"], first["code"], first["ms"]) == (
        "INFO", "neardup.test", "IndexArticle", "OK", 1.5)  # fmt: skip
    assert "disk on fire" in second["exception"]


def test_text_lines_append_fields_and_stay_single_line(restore_logging: None) -> None:
    out = io.StringIO()
    configure("DEBUG", "text", out)
    log = logging.getLogger("neardup.test")
    log.debug("rpc done", extra={"code": "OK"})
    try:
        raise ValueError("bad")
    except ValueError:
        log.exception("failed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("DEBUG neardup.test rpc done code=OK")
    assert "ValueError: bad" in lines[1]


def test_announce_is_json_in_json_mode() -> None:
    out = io.StringIO()
    announce("neardup serving on 127.0.0.1:1", "json", out)
    assert json.loads(out.getvalue())["message"] == "neardup serving on 127.0.0.1:1"
