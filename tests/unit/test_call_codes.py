"""The status code a call is counted and logged with (service/interceptors.py, `_code_name`)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from service.interceptors import _code_name

NONE_SET = 9.2e18  # (what gRPC 1.85's time_remaining() says for a call without a deadline)


class _Context:
    """What `_code_name` asks of a grpc.ServicerContext: the code set, whether the call goes on, the time left."""

    def __init__(self, code: grpc.StatusCode | None, active: bool, remaining: float) -> None:
        self._code, self._active, self._remaining = code, active, remaining

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def is_active(self) -> bool:
        return self._active

    def time_remaining(self) -> float:
        return self._remaining


@pytest.mark.parametrize(
    ("code", "active", "remaining", "error", "given", "counted"),
    [
        (None, True, 5.0, None, 30.0, "OK"),
        (None, True, 5.0, RuntimeError("bug"), 30.0, "UNKNOWN"),
        (grpc.StatusCode.NOT_FOUND, False, 0.0, Exception(), 30.0, "NOT_FOUND"),  # (a code the server set stands)
        # Answered once the server's deadline had passed: its caller's, earlier, had too.
        (None, True, 0.0, None, 30.0, "DEADLINE_EXCEEDED"),
        (None, True, 0.08, None, 30.0, "OK"),  # (answered in time: the rounding's slack is for ended calls only)
        # Ended before it was answered: its caller's gRPC ended it at its deadline, which comes before the server's by
        # up to 1.5 % of the time given, or the caller cancelled it before.
        (None, False, 0.0, None, 30.0, "DEADLINE_EXCEEDED"),
        (None, False, 0.08, None, 30.0, "DEADLINE_EXCEEDED"),
        (None, False, 0.012, None, 1.0, "DEADLINE_EXCEEDED"),
        (None, False, 0.05, None, 1.0, "CANCELLED"),
        (None, False, 5.0, None, 30.0, "CANCELLED"),
        (None, False, NONE_SET, None, None, "CANCELLED"),
        # A stream's generator closed, as the call ended.
        (None, False, 0.0, GeneratorExit(), 30.0, "DEADLINE_EXCEEDED"),
        (None, False, NONE_SET, GeneratorExit(), None, "CANCELLED"),
        # CANCELLED set by the server on seeing the call ended (index_load's wait; grpc's abort raises a bare
        # Exception): at its deadline, the caller heard DEADLINE_EXCEEDED.
        (grpc.StatusCode.CANCELLED, False, 0.08, Exception(), 30.0, "DEADLINE_EXCEEDED"),
        (grpc.StatusCode.CANCELLED, False, 5.0, Exception(), 30.0, "CANCELLED"),
    ],
)
def test_a_call_past_its_callers_deadline_counts_deadline_exceeded(
    code: grpc.StatusCode | None,
    active: bool,
    remaining: float,
    error: BaseException | None,
    given: float | None,
    counted: str,
) -> None:
    context: Any = _Context(code, active, remaining)
    assert _code_name(context, error, given) == counted
