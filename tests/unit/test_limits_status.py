"""Status details are clipped: HTTP/2 trailers over the client's 16 KiB cap would replace a precise status."""

from __future__ import annotations

import grpc

from service.errors import NotFound
from service.grpc_server import MAX_STATUS_CHARS, status_for


def test_a_message_quoting_a_huge_field_is_clipped_but_keeps_its_code() -> None:
    code, message = status_for(NotFound(f"no article with id {'x' * 100_000!r} is stored"))
    assert code == grpc.StatusCode.NOT_FOUND
    assert message.startswith("no article with id 'xxx")
    assert len(message.encode()) < 3 * MAX_STATUS_CHARS and message.endswith("(message clipped)")
