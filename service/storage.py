"""The storage interface, and the factory that picks a backend from settings.

A store keeps articles, their fingerprints, their group, and the LSH bands that
find candidates. The engine works through a transaction: everything it writes
in one `write()` block becomes durable together when the block exits, or not at
all; reads inside the block see the block's own writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from service.errors import IncompatibleIndex
from service.lsh import GivenKeys
from service.model import BoolArray, GroupMember, PreparedArticle, StoredArticle, U32Array
from service.settings import FINGERPRINT_SCHEME, READABLE_SCHEMES, DetectionParams, Settings


def scheme_of_store(stored: Mapping[str, object], params: DetectionParams) -> DetectionParams:
    """The parameters to read a store recorded with `stored` by: `params`, reading text as the store's scheme if
    that is an earlier one this version still reads (settings.READABLE_SCHEMES: nd4, which kept diacritics), so
    that a store written before an upgrade goes on answering as it did. Its other parameters are checked after."""
    scheme = stored.get("scheme")
    if params.scheme == FINGERPRINT_SCHEME and scheme in READABLE_SCHEMES:
        return replace(params, scheme=str(scheme))
    return params


def refuse_other_parameters(stored: Mapping[str, object], wanted: Mapping[str, object], store: str, flag: str) -> None:
    """Raise IncompatibleIndex if a store was built with other detection parameters, saying what differs
    and what to do. Another fingerprint scheme is another version's way of reading text, which no flag
    brings back: the advice is then to run that version or ingest again (docs/ops.md, "Upgrading")."""
    if stored == wanted:
        return
    diff = ", ".join(
        f"{k}: {store} has {stored.get(k)!r}, settings say {wanted.get(k)!r}"
        for k in sorted(set(stored) | set(wanted))
        if stored.get(k) != wanted.get(k)
    )
    had, reads = str(stored.get("scheme")).split(":")[0], str(wanted.get("scheme")).split(":")[0]
    if stored.get("scheme") in READABLE_SCHEMES and wanted.get("scheme") == FINGERPRINT_SCHEME:
        # (found after the start: a store found at it is read by its own scheme, `scheme_of_store`)
        advice = (f"A server reads a {store} of that scheme as it was written if it finds it at its start, and "
                  f"this one did not (it found none recorded, or the {store} did not answer then, so it reads "
                  f"text as {reads}): start it again while the {store} answers, or point {flag} at a new one and "
                  "ingest again (docs/ops.md, \"Upgrading\").")  # fmt: skip
    elif wanted.get("scheme") in READABLE_SCHEMES and stored.get("scheme") != wanted.get("scheme"):
        # (this server reads an earlier scheme for the store it found at its start; the store, emptied, was
        # recorded again by another server: a Redis index flushed, docs/ops.md, "Upgrading a store of scheme nd4")
        advice = (f"This server reads text as fingerprint scheme {reads} because the {store} it found at its "
                  f"start was of that scheme (this version writes a new one as {FINGERPRINT_SCHEME.split(':')[0]}); "
                  f"the {store} has been recorded again since, as {had}, by another server (it was emptied): start "
                  f"this server again, and it reads the {store} as it is recorded now (docs/ops.md, \"Upgrading a "
                  "store of scheme nd4\").")  # fmt: skip
    elif stored.get("scheme") != wanted.get("scheme"):
        advice = (f"This version reads text as fingerprint scheme {reads}: run "
                  f"the version that wrote the {store}, or point {flag} at a new one and ingest again "
                  "(docs/ops.md, \"Upgrading\").")  # fmt: skip
    else:
        advice = f"Start with the {store}'s parameters, or point {flag} at a new one and ingest again."
    raise IncompatibleIndex(f"the {store} was built with other detection parameters ({diff}). {advice}")


# A group's order (`order_key`): publication time (unknown last), then arrival (StoredArticle.arrival: a new
# version of an id keeps its first version's, so only a change of publication time moves an article in its group).
OrderKey = tuple[bool, int, int]


class DecisionReads(Protocol):
    """What a decision reads of a transaction (the engine's `_matches`, `_roots_of`, `_root_for`). The writer's full
    decision (`Engine._index_one`) hands them `_ReadOnce`, a view of these alone that reads each article once; a
    check, and an unchanged article, hand them the transaction itself."""

    def get(self, article_id: str) -> StoredArticle | None: ...

    def candidates(self, signature: U32Array, limit: int | None = None) -> set[str]:
        """Ids sharing at least one LSH band with `signature`. With `limit`, a store that can rank
        them cheaply returns at most that many, those sharing the most bands; others return all."""
        ...

    def shingles(self, ids: Iterable[str]) -> dict[str, U32Array]: ...

    def common_shingles(self, hashes: U32Array, min_groups: int) -> U32Array:
        """The hashes (of those given) whose group count is at least `min_groups` (>= 2)."""
        ...


class Transaction(DecisionReads, Protocol):
    def prefetch(self, articles: Sequence[PreparedArticle]) -> None:
        """A hint: the articles this transaction is about to decide. A remote store reads ahead for
        all of them in one round trip; a local one ignores it. Reads stay correct either way."""
        ...

    def count(self) -> int: ...

    def learned_boilerplate(self, min_groups: int) -> int | None:
        """How many sampled shingles count as learned boilerplate now (seen in >= min_groups
        stories); None where the store cannot tell cheaply."""
        ...

    def stored_ids(self, article_ids: Sequence[str]) -> set[str]:
        """Those of `article_ids` that name a stored article (what `get` answers not None for), read without
        their rows: the writer's screen asks it of every article it finds new (service/novelty.py)."""
        ...

    def band_hits(self, signatures: U32Array, band_keys: GivenKeys | None = None) -> BoolArray:
        """For each row of an (n, num_perm) array: may a stored article share one of its LSH bands?
        A screen for the writer's fast path (service/novelty.py): it may say yes where `candidates`
        would find nothing (e.g. an article being removed), never no where it would find one.
        `band_keys`: the rows' band keys with the bands and rows they were found with (lsh.BandKeys.given), if the
        caller has them; a store that keys its bands so need not find them again, and refuses keys of a layout
        other than its parameters' (ValueError). Others ignore them."""
        ...

    def earliest_member(self, group_root: str, excluding: str) -> str | None:
        """The first member of a group in `order_key` order other than `excluding`, or None."""
        ...

    def group_page(self, group_root: str, after: OrderKey | None, limit: int) -> tuple[int, list[GroupMember]]:
        """How many articles the group holds, and up to `limit` of them in `order_key` order: the first
        ones, or those after `after`."""
        ...

    def insert(
        self, prepared: PreparedArticle, indexed_at: datetime, group_root: str, arrival: int | None = None
    ) -> None:
        """Store the article under a new seq. `arrival`: for a new version of a stored id (its old one deleted
        first), the old version's `StoredArticle.arrival`, which it keeps; None for a new id (its own seq)."""
        ...

    def insert_new(
        self, articles: Sequence[PreparedArticle], indexed_at: datetime, band_keys: GivenKeys | None = None
    ) -> None:
        """Insert articles whose ids are not stored (nor repeated), each the first of its own group:
        the same as `insert(p, indexed_at, p.article.id)` for each, in order. `band_keys`: their signatures'
        band keys, as for `band_hits`."""
        ...

    def delete(self, article_id: str) -> None: ...

    def regroup(self, old_roots: Iterable[str], new_root: str) -> None:
        """Move every member of the groups rooted at `old_roots` to `new_root`."""
        ...

    # Learned boilerplate (service/boilerplate.py): per sampled shingle hash, the number of
    # distinct groups (stories) it was seen in. Durable with the transaction like the rest.

    def count_groups(self, hashes: U32Array) -> None:
        """Add one to the group count of each hash (sorted unique 32-bit shingle hashes)."""
        ...

    def count_groups_each(self, per_article: Sequence[U32Array]) -> None:
        """`count_groups` for each array in turn."""
        ...


class Store(Protocol):
    kind: str

    @property
    def params(self) -> DetectionParams:
        """The detection parameters the store is read with: the settings', but a store of an earlier fingerprint
        scheme this version still reads is read by its own (`scheme_of_store`). The detector and its workers take
        these."""
        ...

    # Other servers write this store too: each tells the others the articles its streams hold undecided
    # (`hold`), and orders a new version or a delete of one of them after it (service/holds.py).
    shared: bool

    def read(self) -> AbstractContextManager[Transaction]:
        """A read: it sees the last commit, and waits for no write in progress."""
        ...

    def write(self) -> AbstractContextManager[Transaction]: ...

    def maintain(self) -> None:
        """Housekeeping between write transactions, where possible beside the reads (the engine's writer
        calls it after each commit, and after each delete; it must not hold the store then)."""
        ...

    def check(self) -> None:
        """Raise Unavailable if the store does not answer (asked every --store-check-seconds, for health).
        A store shared by servers also confirms it is still the index this server opened."""
        ...

    def close(self) -> None: ...

    def hold(self, counts: Mapping[str, int]) -> None:
        """This server now holds `counts[id]` undecided versions of each id (0: none, it lets go), for at least
        a minute unless told again (a server killed while holding them cannot let go)."""
        ...

    def held_elsewhere(self, article_ids: Iterable[str]) -> set[str]:
        """Those of these ids another server holds an undecided version of now."""
        ...


class OwnedByOneServer:
    """The holds of a store no other server writes (`Store.shared`): nothing to tell, no one else to hold."""

    shared = False

    def hold(self, counts: Mapping[str, int]) -> None:
        pass

    def held_elsewhere(self, article_ids: Iterable[str]) -> set[str]:
        return set()


def open_store(settings: Settings) -> Store:
    """Open the store the settings name; raises IncompatibleIndex on a parameter mismatch."""
    if settings.store == "sqlite":
        from service.sqlite_store import SqliteStore

        keep_snapshot = settings.index_snapshot == "on"
        return SqliteStore(
            settings.data_dir / "neardup.db",
            settings.detection,
            snapshot=keep_snapshot,
            snapshot_every=settings.index_snapshot_every,
            own_directory=True,
        )
    if settings.store == "redis":
        from service.redis_store import RedisStore  # type: ignore[import-not-found,unused-ignore]

        store: Store = RedisStore(settings.redis_url, settings.detection, wait_replicas=settings.redis_wait_replicas,
                                  wait_seconds=settings.redis_wait_seconds)  # fmt: skip
        return store
    raise ValueError(f"unknown store kind {settings.store!r}: expected 'sqlite' or 'redis'")


def order_key(published_us: int | None, arrival: int) -> OrderKey:
    """Sort key for 'earliest-published': by publication time when known, then by arrival (StoredArticle.arrival)."""
    return (published_us is None, published_us or 0, arrival)


def chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
