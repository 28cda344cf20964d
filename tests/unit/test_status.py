"""status_for: the one mapping from errors to gRPC status codes."""

from __future__ import annotations

import errno

import grpc
import pytest

from service.status import status_for


def test_an_os_timeout_is_an_internal_fault_logged_not_a_passed_deadline(caplog: pytest.LogCaptureFixture) -> None:
    """A builtin TimeoutError (here a socket's ETIMEDOUT; since 3.11 futures.TimeoutError is the same class)
    was reported as "the deadline passed", with nothing logged. Deadlines are the handlers' to report, as
    DeadlineExceeded saying what was done (IndexArticle)."""
    timed_out = TimeoutError(errno.ETIMEDOUT, "Connection timed out")
    code, message = status_for(timed_out)
    assert code == grpc.StatusCode.INTERNAL
    assert "TimeoutError" in message and "server log" in message
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] == [timed_out]
