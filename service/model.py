"""Plain data types shared by the core, the stores and the gRPC boundary."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

U32Array = npt.NDArray[np.uint32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Article:
    """An article as the caller sent it; `published` is timezone-aware UTC or None."""

    id: str
    body: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: datetime | None = None


@dataclass(frozen=True)
class Fingerprint:
    """What the detector keeps of a text: its shingle set and MinHash signature."""

    shingles: U32Array  # sorted, unique 32-bit shingle hashes
    signature: U32Array  # num_perm MinHash values
    body_digest: bytes  # xxh3-128 of the raw body: detects re-sends of the same text


@dataclass(frozen=True)
class PreparedArticle:
    """A validated article with its fingerprint, ready for the index."""

    article: Article
    fingerprint: Fingerprint
    # Why its id may not name a new article (the message of an InvalidArgument for article.id), None if it may.
    # Kept, not raised: an article already stored under such an id may still be re-sent or corrected, and only the
    # writer, in its transaction, can tell whether the id is stored (fingerprint workers have no store).
    new_id_refusal: str | None = field(default=None, kw_only=True)


class Relation(enum.Enum):
    """How a request article relates to a matched one (see neardup.proto)."""

    IDENTICAL = 1
    ADDITIONS = 2
    TRUNCATED = 3
    REVISED = 4


class IndexOutcome(enum.Enum):
    """What indexing did with an article (see neardup.proto); a check's verdict has none."""

    NEW = 1
    REPLACED = 2
    UNCHANGED = 3


@dataclass(frozen=True)
class Passage:
    """Shared text: code-point offsets, end exclusive, in the request and the other body."""

    start: int
    end: int
    other_start: int
    other_end: int


@dataclass(frozen=True)
class Match:
    id: str
    jaccard: float
    containment: float
    relation: Relation
    passages: tuple[Passage, ...] = ()


@dataclass(frozen=True)
class Verdict:
    id: str
    matches: tuple[Match, ...] = ()
    duplicate_of: str | None = None
    outcome: IndexOutcome | None = None  # (None: a check's)


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with what the index knows about it."""

    article: Article
    fingerprint: Fingerprint
    indexed_at: datetime
    seq: int  # insertion order: each version of an id is a new row (the index snapshot's replay relies on it)
    group_root: str  # earliest-published member of the article's group (itself if alone)
    # Its place among equal publication times (service/storage.py, order_key): the seq of its id's first version,
    # which a new version keeps, so a corrected original stays the original unless its date moves.
    arrival: int

    @property
    def duplicate_of(self) -> str | None:
        return None if self.group_root == self.article.id else self.group_root


@dataclass(frozen=True)
class GroupMember:
    """A stored article as a group listing shows it: its description, not its text."""

    id: str
    title: str
    source: str
    url: str
    published: datetime | None
    indexed_at: datetime
    arrival: int  # StoredArticle.arrival: its place among equal publication times (service/storage.py, order_key)


@dataclass(frozen=True)
class GroupPage:
    """One page of a group's members, in the group's order (original first)."""

    original: str  # the group's earliest-published member
    total: int  # members in the group
    members: tuple[GroupMember, ...]
    next_page_token: str  # empty on the last page


@dataclass(frozen=True)
class Stats:
    articles: int
    store: str
    parameters: dict[str, float | int | str] = field(default_factory=dict)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """Exact microseconds since the epoch (integer arithmetic: no float rounding)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)
