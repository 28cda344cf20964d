"""Answers in input order when some inputs are answered locally and the rest by a server stream."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import TypeVar, cast

A = TypeVar("A")  # an input to send
L = TypeVar("L")  # an outcome decided locally (a bad line, an article too big to send)
R = TypeVar("R")  # an outcome the server sent


def in_order(items: Iterable[A | L], sendable: type[A], send: Callable[[Iterable[A]], Iterable[R]]) -> Iterator[L | R]:
    """Send the items of type `sendable`, yield one outcome per item in input order.

    `send` answers the items it is given once each, in order (e.g. an index stream); the
    other items are outcomes already and are yielded in their place between those answers. If `send`
    raises, the outcomes up to the first unanswered item are yielded first."""
    slots: deque[L | None] = deque()  # None marks an item handed to `send`

    def to_send() -> Iterator[A]:
        for item in items:
            if isinstance(item, sendable):
                slots.append(None)
                yield item
            else:
                slots.append(cast(L, item))  # (isinstance with a type variable narrows one way only)

    def local_outcomes() -> Iterator[L]:
        """The outcomes at the head of the line that need no answer: they are next, in order."""
        while slots and slots[0] is not None:
            yield slots.popleft()  # type: ignore[misc]  # (not None)

    try:
        for answer in send(to_send()):
            yield from local_outcomes()
            slots.popleft()
            yield answer
    except Exception:
        yield from local_outcomes()  # (read before whatever failed: still theirs to report)
        raise
    yield from local_outcomes()


def ordered_map(
    pool: Executor, call: Callable[[A], R], items: Iterable[A], window: int, ready: Callable[[], bool] | None = None
) -> Iterator[R]:
    """`call` on each item in `pool`, results in input order, with at most `window` calls in flight.

    Unlike `Executor.map`, which submits every item at once, this reads the items as results are
    taken: a file of a million articles is neither held in memory nor read ahead of its answers.
    With `ready`, asked before each item read while calls are in flight: False (the next item is not to
    hand: a live feed between lines) takes the oldest result first rather than waiting on the items for the
    window to fill, so a live feed's results come as its items do.
    If reading the items fails, the results of those read before are yielded, then the error raised."""
    source = iter(items)
    pending: deque[Future[R]] = deque()

    def read_more() -> bool:
        return len(pending) < window and (not pending or ready is None or ready())

    while True:
        try:
            while read_more() and (item := next(source, _END)) is not _END:
                pending.append(pool.submit(call, cast(A, item)))
        except Exception:
            for future in pending:
                yield future.result()
            raise
        if not pending:
            return
        yield pending.popleft().result()


_END = object()
