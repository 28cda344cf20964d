"""Domain errors raised by the core; service/status.py maps each to one status code."""

from __future__ import annotations


class NeardupError(Exception):
    """Base class: the message is shown to the caller as-is, so make it actionable."""


class InvalidArgument(NeardupError):
    """The request is malformed; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(NeardupError):
    """The named article is not stored."""


class ResourceExhausted(NeardupError):
    """The server is at a configured limit; retry later or send less."""


class StoreFull(ResourceExhausted):
    """The store has no room left (Redis at its maxmemory, a full disk), and refuses writes until an operator makes
    room: its message says what is full and what to do. Raised inside a write, it means that write changed nothing
    (FullMidCommit says otherwise); the engine adds what that means for the call (engine.py `_told`)."""


class FullMidCommit(StoreFull):
    """The store ran out of room during a write's commit, which may or may not be applied (SQLite can report the
    failure of a commit its WAL holds whole; a Redis Cluster's commit cut short between its phases is finished from
    its journal once there is room)."""


class Unavailable(NeardupError):
    """The store cannot be reached or failed to commit; safe to retry. Raised by a store inside a write, it means
    that write changed nothing (the subclasses below say otherwise); a store says what happened, and the engine
    adds what that means for the call (articles stored or not, ids deleted or not: engine.py `_told`)."""


class CommitUnanswered(Unavailable):
    """A write's commit was sent, or part of it, and not answered: it may or may not be applied."""


class ReplicasBehind(Unavailable):
    """A write is applied on the Redis primary, but not confirmed by the Redis replicas it must wait for."""


class NeedsOperator(Unavailable):
    """The store refuses until an operator acts (its message says what to do): sending the call again, before
    that, is refused again. Raised inside a write, it changed nothing; the engine says so, and no more (`_told`)."""


class BatchTooLong(Unavailable):
    """A write batch took longer than the store may be held for one write (the Redis writer lease); nothing
    of it was stored. The engine decides such a batch again in smaller parts."""


class DeadlineExceeded(NeardupError):
    """The caller's deadline passed. The message says how far the work got: not begun (not done), part done
    (the rest not done), or under way (an article being stored: it may be stored)."""


class Cancelled(NeardupError):
    """The caller cancelled the call before the work (or the rest of it: the message says) began: it was not done."""


class IncompatibleIndex(NeardupError):
    """A store was built with parameters that differ from the configured ones."""


class StoreDamaged(NeardupError):
    """The store's file holds pages SQLite cannot read (a disk fault, a copy taken mid-write): the calls that
    read them fail until the file is restored, and every write from then on is refused. Not retryable: an
    operator must act."""


class StoreRewritten(StoreDamaged):
    """The embedded store's file was rewritten in place under the running server (a backup copied over it): what
    the server acknowledged is no longer what the file holds, so it refuses reads and writes until it is stopped."""


class StoreInUse(NeardupError):
    """Another server holds the embedded store: each server's in-memory index is the store's only one."""


class StoreFileGone(NeedsOperator):
    """The embedded store's file was removed or replaced under the running server: what the server would write
    now goes to a file no path names, lost when it stops. No retry mends it; an operator must."""
