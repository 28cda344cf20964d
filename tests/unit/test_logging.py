"""Log formats: one line per event; JSON lines carry the event's fields as keys."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from service.interceptors import RefusalLog
from service.logs import Throttle, announce, configure


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


def test_refused_credentials_are_logged_once_an_interval_with_the_count_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    refusals = RefusalLog(interval=60.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="neardup.rpc")
    refusals.note("ipv4:127.0.0.1:5000", "no token")
    for _ in range(4):
        now[0] += 10
        refusals.note("ipv4:127.0.0.1:5001", "a wrong token")
    now[0] += 20  # 60 s after the first line
    refusals.note("ipv6:[::1]:5002", "no token")
    lines = [r.getMessage() for r in caplog.records]
    tail = "more refused since the last such line"
    assert lines == [
        "refused a call from ipv4:127.0.0.1:5000 with no token (UNAUTHENTICATED)",  # (it said "0 more refused")
        f"refused a call from ipv6:[::1]:5002 with no token (UNAUTHENTICATED); 4 {tail}",
    ]


def test_a_throttle_lets_the_first_event_through_then_one_an_interval_with_the_weight_held_back() -> None:
    now = [0.0]
    throttle = Throttle(interval=10.0, clock=lambda: now[0])
    assert throttle.due(64) == 0
    now[0] = 4.0
    assert throttle.due(64) is None and throttle.due(3) is None
    now[0] = 10.0
    assert throttle.due(5) == 67  # (what was held back, not this one)
    now[0] = 19.9
    assert throttle.due() is None
    now[0] = 20.0
    assert throttle.due() == 1


def test_a_throttle_hands_over_the_weight_held_back_once_the_interval_passes_or_at_once_when_asked() -> None:
    now = [0.0]
    throttle = Throttle(interval=10.0, clock=lambda: now[0])
    assert throttle.held() is None and throttle.held(at_once=True) is None  # (nothing held back: no line)
    assert throttle.due(64) == 0
    assert throttle.due(3) is None and throttle.unlogged == 3
    assert throttle.held() is None  # (the interval since the last line has not passed)
    now[0] = 10.0
    assert throttle.held() == 3 and throttle.unlogged == 0
    now[0] = 12.0
    assert throttle.due(5) is None  # (that was a line too: its interval starts again)
    assert throttle.held(at_once=True) == 5
    assert throttle.held(at_once=True) is None
