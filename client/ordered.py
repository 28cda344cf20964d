"""Answers in input order when some inputs are answered locally and the rest by a server stream."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar, cast

A = TypeVar("A")  # an input to send
L = TypeVar("L")  # an outcome decided locally (a bad line, an article too big to send)
R = TypeVar("R")  # an outcome the server sent


def in_order(items: Iterable[A | L], sendable: type[A], send: Callable[[Iterable[A]], Iterable[R]]) -> Iterator[L | R]:
    """Send the items of type `sendable`, yield one outcome per item in input order.

    `send` answers the items it is given once each, in order (e.g. an index stream); the
    other items are outcomes already and are yielded in their place between those answers."""
    slots: deque[L | None] = deque()  # None marks an item handed to `send`

    def to_send() -> Iterator[A]:
        for item in items:
            if isinstance(item, sendable):
                slots.append(None)
                yield item
            else:
                slots.append(cast(L, item))  # (isinstance with a type variable narrows one way only)

    for answer in send(to_send()):
        while slots and slots[0] is not None:
            yield slots.popleft()  # type: ignore[misc]  # (not None)
        slots.popleft()
        yield answer
    yield from (item for item in slots if item is not None)
