"""Status details are clipped: HTTP/2 trailers over the client's 16 KiB cap would replace a precise status."""

from __future__ import annotations

import grpc
import pytest
from neardup.v1 import neardup_pb2 as pb

from service.errors import NotFound
from service.servicer import ANSWER_MARGIN, _before_the_caller_gives_up, answer_parts
from service.status import MAX_STATUS_CHARS, status_for


def test_a_message_quoting_a_huge_field_is_clipped_but_keeps_its_code() -> None:
    code, message = status_for(NotFound(f"no article with id {'x' * 100_000!r} is stored"))
    assert code == grpc.StatusCode.NOT_FOUND
    assert message.startswith("no article with id 'xxx")
    assert len(message.encode()) < 3 * MAX_STATUS_CHARS and message.endswith("(message clipped)")


def test_a_batchs_answers_are_cut_into_parts_under_the_limit_in_order() -> None:
    results = [pb.IndexArticlesResponse(id=f"a{n}" + "x" * (n * 37 % 300)) for n in range(200)]
    parts = list(answer_parts(results, limit=4_000))
    assert len(parts) > 5 and all(p.ByteSize() <= 4_000 for p in parts)
    assert [p.more_follow for p in parts] == [True] * (len(parts) - 1) + [False]
    assert [r.id for p in parts for r in p.results] == [r.id for r in results]
    [whole] = answer_parts(results)  # (under the real limit: one message, as before)
    assert not whole.more_follow and len(whole.results) == 200
    huge = pb.IndexArticlesResponse(id="h" * 5_000)
    assert [len(p.results) for p in answer_parts([results[0], huge, results[1]], limit=4_000)] == [1, 1, 1]


def test_a_unary_index_answers_before_the_callers_deadline_so_its_message_arrives() -> None:
    # Answered exactly at the deadline, the caller's gRPC often ended the call first with a bare "Deadline
    # Exceeded" (test_limits' deadline test failed so on a loaded machine): the wait ends a share early.
    assert _before_the_caller_gives_up(None) is None
    assert _before_the_caller_gives_up(0.5) == pytest.approx(0.5 * (1 - ANSWER_MARGIN))
    assert _before_the_caller_gives_up(60.0) == pytest.approx(59.0)  # (at most a second early)
    assert _before_the_caller_gives_up(0.0) == 0.0
