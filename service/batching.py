"""Group-commit style batching: take what is already queued, up to a limit, without waiting."""

from __future__ import annotations

import queue
from typing import TypeVar

T = TypeVar("T")


def drain(source: queue.SimpleQueue[T] | queue.Queue[T], batch: list[T], limit: int) -> list[T]:
    """Append to `batch` whatever `source` holds right now, until `batch` has `limit` items."""
    while len(batch) < limit:
        try:
            batch.append(source.get_nowait())
        except queue.Empty:
            break
    return batch
