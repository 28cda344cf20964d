"""Shared store on Redis (standalone or Redis Cluster), for several stateless replicas.

Layout (prefix `nd:`; see docs/redis.md for the reasoning):

    nd:meta              string  JSON of the detection parameters the index was built with
    nd:epoch             string  the index's identity: random, drawn anew whenever the index is recorded anew
                                 (a server that finds another one than it opened knows the index was lost)
    nd:a:<id>            hash    one article: m (JSON meta), d (xxh3-128 digest), s (signature,
                                 4*num_perm bytes), h (shingles, uint32 bytes), b (body), r (group root)
    nd:b:<band>:<hex>    set     LSH bucket: ids whose signature has these rows in this band
    nd:go:<root>         zset    the group whose earliest article is <root>: one `group_entry` per member
                                 (publication time, arrival, id), all at score 0, so in listing order
    nd:ids:<0..15>       set     all ids, sharded over 16 keys (count, audit)
    nd:seq               counter arrival order, in commit order (ties between equal publication times); it only
                                 rises, so a server that finds it below what it saw knows Redis went back to an
                                 older copy of the index (`_confirm_index`)
    nd:lock              string  the writer lease (token, PX expiry; "+" after the token once its commit ran)
    nd:line              hash    writers waiting for the lease, in the order they came: token -> "since until" (ms)
    nd:decisions         string  JSON of the decision thresholds of the server that connected last
    nd:journal           hash    cluster only: the commands of the commit in flight, per phase (write-ahead)
    nd:sg:<0..15>        hash    learned boilerplate: sampled shingle hash -> number of groups it was seen in
                                 (service/boilerplate.py), sharded over 16 keys by (hash >> 3) % 16 (key layout 3;
                                 layout 2 took hash % 16: only nd:sg:0 and nd:sg:8, sampled hashes being multiples of 8)
    nd:converting        string  present while a start moves the counts of a layout-2 index to their layout-3 shards
    nd:ack, nd:ack:<n>   counter with --redis-wait-replicas: the write a commit ends with before Redis WAIT
                                 (standalone; on a cluster one such key on each primary)
    nd:h:<id>            hash    the replicas holding an undecided version of <id> read from a stream: one
                                 field a replica (its random holder token), the versions it holds (service/holds.py);
                                 PEXPIRE a minute, set again as the replica holds it again

Every key is its own slot on a cluster (no hash tags): no command and no script touches two
keys at once, so nothing needs them together.

With --redis-wait-replicas N, a write transaction is acknowledged only once N Redis replicas
hold it: after the commit, the writer increments nd:ack on each primary and sends WAIT N on that
same connection (WAIT counts the replicas holding the connection's own last write; a primary
replicates in order, so they hold everything it wrote before too). Fewer within
--redis-wait-seconds: UNAVAILABLE, with the articles stored on the primary. The retry finds them
stored, writes nothing, and waits again, so an acknowledgement always means "on N replicas".

Writes: replicas take turns through the writer lease, so each group commit sees every earlier
acknowledged article on any replica (copies arriving at two replicas at once are serialised:
the second one reports the match, and both get the same group). Inside the lease the engine's
reads see the batch's own writes through an in-memory overlay; the batch is flushed at the end:

- standalone: one Lua script that first checks the lease token (the fence) and then applies the
  batch: all of it or nothing, also across a Redis crash (the AOF holds a script's effects as one
  MULTI/EXEC, and a torn one is dropped at load).
- cluster: the command list is first stored as nd:journal (one key: the commit point), then
  applied in phases, each phase as one script per node (atomic per node; keys are routed to
  their node by slot and accessed undeclared, with the allow-cross-slot-keys flag):
  1. bucket entries (invisible: readers skip a bucket entry whose record is absent);
  2. article records (an article becomes visible at once, with all its buckets in place);
  3. stale bucket entries are removed; then the journal is deleted.
  A writer that dies mid-way leaves the journal; the next lease holder replays it (every
  command in it is idempotent), so no bucket is left pointing at a missing article.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import secrets
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
import redis
import redis.cluster
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

from service.errors import (
    BatchTooLong,
    CommitUnanswered,
    FullMidCommit,
    IncompatibleIndex,
    NeedsOperator,
    ReplicasBehind,
    ResourceExhausted,
    StoreFull,
    Unavailable,
)
from service.group_counts import SAMPLE_SHIFT
from service.lsh import GivenKeys
from service.model import (
    Article,
    BoolArray,
    Fingerprint,
    GroupMember,
    PreparedArticle,
    StoredArticle,
    U32Array,
    from_us,
    to_us,
)
from service.settings import DetectionParams, redacted_url
from service.storage import OrderKey, refuse_other_parameters, scheme_of_store

log = logging.getLogger(__name__)

META = b"nd:meta"
# The index's identity, recorded beside nd:meta rather than in it: a version before identities refuses an nd:meta
# holding a field it does not know, and would stop serving as soon as a newer server opened its index.
EPOCH = b"nd:epoch"
SEQ = b"nd:seq"
LOCK = b"nd:lock"
DECISIONS = b"nd:decisions"  # the decision thresholds of the server that connected last (a warning if they differ)
JOURNAL = b"nd:journal"
ACK = b"nd:ack"
ID_SHARDS = 16
# The key layout, recorded in nd:meta: 1, groups as sets of ids (nd:g:<root>); 2, groups in listing order
# (nd:go:<root>); 3, boilerplate counts sharded on the bits sampling leaves free (`shingle_groups_key`). A version
# before 2 refuses an index that records a layout (its parameters differ); one of layout N refuses a layout above N.
LAYOUT = 3
# Present while the boilerplate counts of a layout-2 index move to their layout-3 shards (`_upgrade_shingle_groups`):
# a start that finds it goes on with the move.
CONVERTING = b"nd:converting"
MOVE_TURN = 5000  # boilerplate counts moved per turn of the writer lease (`_upgrade_shingle_groups`): ~0.2 s
LEASE_MS = 10_000  # a writer holds the lease at most this long; a dead writer blocks others this long
HOLD_MS = 60_000  # a replica killed while holding an id blocks corrections of it on the others this long, at most
LEASE_WAIT_S = 15.0  # give up (UNAVAILABLE) after waiting this long for the lease
# Writers waiting for the lease queue in nd:line, and take it in the order they came (`_acquire_lease`). A waiter
# renews its place while it polls; one that stops (a replica killed) is dropped this long after its last renewal,
# so it holds up the writers behind it at most that long.
LINE = b"nd:line"
LINE_MS = 500
# Of a story's candidates in buckets bigger than the candidate limit, about this many times the limit are read
# and ranked (`_BUCKET_UNIONS`, `_Tx._most_alike`).
SAMPLED_PER_LIMIT = 2
# The lease is released by its holder only; once its commit ran, it holds the token with "+" after it.
_RELEASE = """
local held = redis.call('get', KEYS[1])
if held == ARGV[1] or held == ARGV[1] .. '+' then return redis.call('del', KEYS[1]) end
return 0
"""
# A writer's place in the line for the lease (KEYS: nd:line; ARGV: its token, LINE_MS): kept where it was (or
# taken last, when new or dropped), renewed when half its time is gone; waiters not renewed in time are dropped.
# How many writers are ahead of it. One key, so one slot on a cluster. Redis's clock is read as the key's expiry
# time less its time to live (a day, renewed when half gone): TIME is not among the commands the ACL neardup
# needs allows (docs/redis.md), PEXPIRETIME and PTTL are.
_IN_LINE = """
local day = 86400000
if redis.call('PTTL', KEYS[1]) < day / 2 then
  if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSET', KEYS[1], ARGV[1], '0 0') end
  redis.call('PEXPIRE', KEYS[1], day)
end
local now = redis.call('PEXPIRETIME', KEYS[1]) - redis.call('PTTL', KEYS[1])
local ttl = tonumber(ARGV[2])
local since, till = 0, 0
local mine = redis.call('HGET', KEYS[1], ARGV[1])
if mine then
  local s, u = string.match(mine, '^(%d+) (%d+)$')
  since, till = tonumber(s), tonumber(u)
end
if since == 0 then since = now end
if till - now < ttl / 2 then
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f %.0f', since, now + ttl))
end
local ahead, all = 0, redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    local s, u = string.match(all[i + 1], '^(%d+) (%d+)$')
    if tonumber(u) < now then
      redis.call('HDEL', KEYS[1], all[i])
    elseif tonumber(s) < since or (tonumber(s) == since and all[i] < ARGV[1]) then
      ahead = ahead + 1
    end
  end
end
return ahead
"""
# A new identity for an index found lost (ARGV: the identity this server knew, "" if none; a new one), unless
# another server found it lost first and recorded one already: that one stands. The identity recorded.
_RENEW_EPOCH = """
local held = redis.call('get', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('set', KEYS[1], ARGV[2])
return ARGV[2]
"""
# Commands as script arguments (see script_words): "C", arity, words... for one command, or
# "F", name, member, count, keys... for one member added to / removed from many sets (an article's buckets).
_APPLY_LOOP = """
local i = {first}
while i <= #ARGV do
  if ARGV[i] == 'F' then
    local name, member, n = ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
    for j = i + 4, i + 3 + n do redis.call(name, ARGV[j], member) end
    i = i + 4 + n
  else
    local n = tonumber(ARGV[i + 1])
    redis.call(unpack(ARGV, i + 2, i + 1 + n))
    i = i + 2 + n
  end
end
return 1
"""
# Standalone commit: check the lease (the fence) and apply the batch's commands in one script, which Redis
# runs atomically and writes to the AOF as one MULTI/EXEC. ARGV: token, then per command its arity and words.
# The script marks the lease committed ("+" after the token), so that a copy of it sent again (a client's
# retry after its connection dropped with the commit sent) applies nothing twice: counts would double.
_APPLY = """
local held = redis.call('get', KEYS[1])
if held == ARGV[1] .. '+' then return 1 end
if held ~= ARGV[1] then
  return redis.error_reply('LEASE the writer lease lapsed before the commit')
end
redis.call('set', KEYS[1], ARGV[1] .. '+', 'KEEPTTL')
""" + _APPLY_LOOP.format(first=2)
# Cluster: one node's share of a phase, atomically on that node. Its keys live in many slots of this node,
# so they go undeclared in ARGV (allowed by the flag, Redis >= 7.0); the client routed them here by slot.
_NODE_APPLY = "#!lua flags=allow-cross-slot-keys\n" + _APPLY_LOOP.format(first=1)
# Per group of bucket keys, the union of their members (on a cluster, of the keys this node holds). ARGV: the
# limit, the share, then per group its number of keys and the keys. A bucket of up to `limit` members is read
# whole; of a bigger one (a story stored in more copies than that), `share` members picked at random
# (SRANDMEMBER: distinct, at least one). Reading all of them cost O(copies) for every further copy:
# at 3,000 copies, 31 ms of SUNION and 44 ms to rank them by signature. (A scan from a set's start would pick
# the same members from every bucket of one story, and scanning past them costs the square of the buckets.)
_BUCKET_UNIONS = """#!lua flags=allow-cross-slot-keys,no-writes
local limit, share, out, i = tonumber(ARGV[1]), tonumber(ARGV[2]), {}, 3
while i <= #ARGV do
  local n, seen, members = tonumber(ARGV[i]), {}, {}
  for j = i + 1, i + n do
    local found
    if redis.call('SCARD', ARGV[j]) <= limit then
      found = redis.call('SMEMBERS', ARGV[j])
    else
      found = redis.call('SRANDMEMBER', ARGV[j], share)
    end
    for _, m in ipairs(found) do
      if not seen[m] then seen[m] = true; members[#members + 1] = m end
    end
  end
  out[#out + 1] = members
  i = i + n + 1
end
return out
"""


# One retry of a command whose connection failed (a pooled connection Redis closed when it restarted), but none
# after a timeout: Redis, stalled, still runs the command it was sent, and a commit's counts would double.
def _retry() -> Retry:
    return Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))


Command = tuple[bytes | str, ...]
T = TypeVar("T")


def article_key(article_id: str) -> bytes:
    return b"nd:a:" + article_id.encode()


def held_key(article_id: str) -> bytes:
    return b"nd:h:" + article_id.encode()


def group_key(root: str) -> bytes:
    return b"nd:go:" + root.encode()


LEGACY_GROUPS = b"nd:g:*"  # layout 1: a group as a plain set of ids (`RedisStore._upgrade_groups` converts them)
_UNKNOWN_PUBLISHED = (1 << 64) - 1  # past any time shifted by 2^63 (protobuf's last, year 9999: 2^63 + 2.5e17 µs)


def group_entry(published_us: int | None, arrival: int, article_id: str) -> bytes:
    """An article as its group's sorted set holds it. Every score is 0, so the set is ordered by these bytes,
    which are `order_key`'s order: the publication time shifted to unsigned (unknown: last), then the arrival
    (StoredArticle.arrival), both big-endian, then the id."""
    return _order_prefix(published_us, arrival) + article_id.encode()


def _order_prefix(published_us: int | None, arrival: int) -> bytes:
    return struct.pack(">QQ", _UNKNOWN_PUBLISHED if published_us is None else published_us + (1 << 63), arrival)


def entry_id(entry: bytes) -> str:
    return entry[16:].decode()


def _entry_of(stored: StoredArticle) -> bytes:
    return group_entry(_us(stored.article.published), stored.arrival, stored.article.id)


def _first_after(after: OrderKey | None) -> bytes:
    """The least entry bytes that sort after `after` (no two stored articles have one arrival: from the next
    one on); b"" before all."""
    if after is None:
        return b""
    unknown, published_us, arrival = after
    # (A token's numbers are only known to be int64s: one below every arrival starts at that time's first entry.)
    return _order_prefix(None if unknown else published_us, max(arrival + 1, 0))


SHINGLE_GROUP_SHARDS = 16


def shingle_groups_key(shingle: int) -> bytes:
    """The shard of a sampled hash's count: on the bits above those sampling fixes at zero (`SAMPLE_SHIFT`).
    (Layout 2 took `shingle % 16`, which put every count in nd:sg:0 or nd:sg:8.)"""
    return b"nd:sg:%d" % ((shingle >> SAMPLE_SHIFT) % SHINGLE_GROUP_SHARDS)


def ids_key(article_id: str) -> bytes:
    # A stable shard (not Python's salted hash): every replica must pick the same key.
    return b"nd:ids:%d" % (zlib.crc32(article_id.encode()) % ID_SHARDS)


class RedisStore:
    """The Store protocol on Redis; see the module docstring for layout and atomicity."""

    kind = "redis"

    def __init__(
        self,
        url: str,
        params: DetectionParams,
        socket_timeout: float = 2.0,
        wait_replicas: int = 0,
        wait_seconds: float = 1.0,
        lease_ms: int = LEASE_MS,
        hold_ms: int = HOLD_MS,
    ) -> None:
        """`wait_replicas`: Redis replicas that must hold a write before it is acknowledged (0: none),
        waited for at most `wait_seconds` (see the module docstring). `lease_ms`: how long a writer may
        hold the writer lease (a write that needs over half of it is refused: `BatchTooLong`)."""
        self.url = url
        self.where = redacted_url(url)  # (in logs and messages, which reach clients: never the password)
        self.params = params
        self.lease_ms = lease_ms
        self.wait_replicas = wait_replicas
        self._wait_ms = max(1, round(wait_seconds * 1000))
        # (a reply to WAIT comes only after its timeout when replicas lag: the socket must wait longer)
        self._socket_timeout = socket_timeout + (wait_seconds if wait_replicas else 0.0)
        self._client: redis.Redis | redis.cluster.RedisCluster | None = None
        self._connecting = threading.RLock()
        self._policy: str | None = None  # Redis's maxmemory-policy when last asked
        self._unreleased: set[bytes] = set()  # lease tokens of this store's ended writes, left held (Redis stalled)
        self._epoch: bytes | None = None  # the identity (nd:epoch) of the index this server opened; None: not known yet
        # The highest nd:seq this server saw of that index (read, or reserved by its writes). nd:seq only rises: a
        # lower one means Redis went back to an older copy of the index (`_confirm_index`).
        self._seq_seen = 0
        self._confirming = threading.Lock()  # (a write and a health check that find the index gone at once: said once)
        self._ready = False  # connected, and the index is of this version's key layout
        self.cluster = False
        self._holder = secrets.token_hex(8).encode()  # this store's field in the nd:h:<id> hashes
        self.hold_ms = hold_ms  # how long a replica's hold of an id lasts unless set again (`hold`)
        # An index of an earlier scheme this version reads (storage.scheme_of_store) is read by its own when this
        # start finds it: the detector, made after, reads text so. Found later (Redis did not answer at the
        # start), it is refused as any other scheme is, saying to start again.
        self._at_start = True
        try:
            self._connect()
        except UrlRefused as exc:  # (a setting that cannot work: no point serving on it)
            raise ValueError(f"--redis-url: {exc}") from exc
        except (Unavailable, ResourceExhausted) as exc:  # start anyway: a stateless replica serves once Redis can
            log.warning("%s", _unusable_at_start(self.where, self.url, exc))
        finally:
            self._at_start = False

    # ---- connection ------------------------------------------------------------------------------

    def _connect(self) -> redis.Redis | redis.cluster.RedisCluster:
        if self._ready and self._client is not None:
            return self._client
        with self._connecting:  # (other threads wait here while a layout upgrade runs: it must end first)
            if self._client is not None:
                return self._client  # connected meanwhile, or this thread's own upgrade in progress
            client, layout = self._new_client()
            self._client = client
            try:
                if layout < LAYOUT or self.call(lambda: client.exists(CONVERTING)):
                    self._upgrade(layout)
            except BaseException:
                self._client = None  # (the next call connects again and goes on with what is left)
                client.close()
                raise
            self._ready = True
            return client

    def _new_client(self) -> tuple[redis.Redis | redis.cluster.RedisCluster, int]:
        """A client of the index's server or cluster, once its parameters are checked; the index's key layout."""
        opts: dict[str, Any] = {
            "socket_timeout": self._socket_timeout,
            "socket_connect_timeout": min(1.0, self._socket_timeout),
        }
        with _unavailable(self.where):
            probe = redis.Redis.from_url(self.url, retry=_retry(), **opts)
            self.cluster = bool(probe.info("cluster").get("cluster_enabled"))
            client: redis.Redis | redis.cluster.RedisCluster
            if self.cluster:
                probe.close()
                url = self.url.rsplit("/", 1)[0] if self.url.count("/") > 2 else self.url  # no db on a cluster
                client = redis.cluster.RedisCluster.from_url(url, retry=_retry(), **opts)
            else:
                client = probe
            try:
                if self._at_start:
                    self.params = _scheme_of_index(client, self.params)
                layout, self._epoch = _open_index(client, self.params)
                self._seq_seen = max(self._seq_seen, int(client.get(SEQ) or 0))
            except BaseException:
                client.close()
                raise
            self._policy = _warn_if_evicting(client, self.where, at_start=True)
            if self.wait_replicas and not self.cluster:
                _warn_if_no_replicas(client, self.wait_replicas, self.where)
            _warn_if_deciding_otherwise(client, self.params, self.where)
            return client, layout

    @property
    def client(self) -> Any:
        # Any: redis-py types replies as bytes | str (it depends on decode_responses); ours are always bytes.
        return self._connect()

    def run(self, commands: Sequence[Command]) -> list[Any]:
        """Send commands in one pipeline (one per node on a cluster); results in order."""
        if not commands:
            return []
        with _unavailable(self.where):
            if self.cluster:
                return self._run_on_nodes(commands)
            pipe = self.client.pipeline(transaction=False)
            for cmd in commands:
                pipe.execute_command(*cmd)
            return list(pipe.execute())

    def _run_on_nodes(self, commands: Sequence[Command]) -> list[Any]:
        """Route by slot ourselves and send each node a plain pipeline.

        redis-py's cluster pipeline spends ~0.1 ms of Python per command finding its node; this is the
        same routing (every command here names one key, at position 1) for a fraction of that.
        Commands keep their order on each node; across nodes the caller orders them by phases.
        """
        results: list[Any] = [None] * len(commands)
        with self._rerouting():
            for node, indexes in self._by_node([c[1] for c in commands]):
                pipe = node.redis_connection.pipeline(transaction=False)
                for index in indexes:
                    pipe.execute_command(*commands[index])
                for index, reply in zip(indexes, pipe.execute(), strict=True):
                    results[index] = reply
        return results

    def _by_node(self, keys: Sequence[bytes | str]) -> list[tuple[Any, list[int]]]:
        """Positions of `keys` grouped by the cluster node serving each key's slot."""
        manager = self.client.nodes_manager
        groups: dict[str, tuple[Any, list[int]]] = {}
        for index, key in enumerate(keys):
            node = manager.get_node_from_slot(key_slot(key.encode() if isinstance(key, str) else key))
            groups.setdefault(node.name, (node, []))[1].append(index)
        return list(groups.values())

    @contextmanager
    def _rerouting(self) -> Iterator[None]:
        """On a moved slot or a lost node (failover), relearn the slot map; the caller retries."""
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError) as exc:
            moved = str(exc).startswith(("MOVED", "ASK")) or "non local key" in str(exc)
            if moved or not isinstance(exc, redis.ResponseError):
                with contextlib.suppress(redis.RedisError):
                    self.client.nodes_manager.initialize()
            raise

    def apply(self, commands: Sequence[Command]) -> None:
        """Cluster: run commands as one script per node (atomic per node, one AOF fsync per node)."""
        with _unavailable(self.where), self._rerouting():
            for node, indexes in self._by_node([c[1] for c in commands]):
                words = script_words([commands[index] for index in indexes])
                node.redis_connection.eval(_NODE_APPLY, 0, *words)

    def bucket_members(self, groups: Sequence[Sequence[bytes]]) -> list[set[str]]:
        """For each group of bucket keys, the ids in any of them, each bucket of more than the candidate
        limit read only in part (`_BUCKET_UNIONS`): one script call, or one per node."""
        if not self.cluster:
            with _unavailable(self.where):
                replies = self.client.eval(_BUCKET_UNIONS, 0, *self._bucket_union_args(groups))
            return [{m.decode() for m in reply} for reply in replies]
        flat = [(g, key) for g, keys in enumerate(groups) for key in keys]
        found: list[set[str]] = [set() for _ in groups]
        with _unavailable(self.where), self._rerouting():
            for node, indexes in self._by_node([key for _, key in flat]):
                per_group: dict[int, list[bytes]] = {}
                for index in indexes:
                    per_group.setdefault(flat[index][0], []).append(flat[index][1])
                replies = node.redis_connection.eval(_BUCKET_UNIONS, 0, *self._bucket_union_args(per_group.values()))
                for g, members in zip(per_group, replies, strict=True):
                    found[g].update(m.decode() for m in members)
        return found

    def _bucket_union_args(self, groups: Iterable[Sequence[bytes]]) -> list[bytes | int]:
        """`_BUCKET_UNIONS`' arguments: the candidate limit, how many members of a bigger bucket are read,
        then per group its number of keys and the keys."""
        limit = self.params.candidate_limit()
        share = -(-SAMPLED_PER_LIMIT * limit // self.params.lsh_bands)  # (per bucket: a group holds one per band)
        words: list[bytes | int] = [limit, share]
        for keys in groups:
            words += [len(keys), *keys]
        return words

    def call(self, fn: Callable[[], T]) -> T:
        with _unavailable(self.where):
            return fn()

    # ---- transactions ----------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[_Tx]:
        yield _Tx(self, writable=False)

    @contextmanager
    def write(self) -> Iterator[_Tx]:
        token, acquired = self._acquire_lease()
        # Half the lease for the batch: room for the commit itself before the lease could lapse.
        deadline = acquired + self.lease_ms / 2000
        try:
            self.call(self._confirm_index)
            self._replay_journal()
            tx = _Tx(self, writable=True, deadline=deadline)
            yield tx
            _check_deadline(deadline)
            self._commit(tx.commands(), token)
        finally:
            self._release_lease(token)
        self._wait_for_replicas()  # (outside the lease: other writers need not wait for our replicas)

    def maintain(self) -> None:
        pass  # nothing held in memory to tidy

    def _acquire_lease(self) -> tuple[bytes, float]:
        """A new lease token, taken in turn: when no writer that asked before this one still waits (`_IN_LINE`).
        The lease alone stays the fence; the line only orders who tries for it. (With SET NX polls alone, a
        writer that had just released the lease took it again at once, while one waiting polled every 20 ms:
        a replica beside two streaming ones waited up to 11 s for the lease.)"""
        token = secrets.token_hex(8).encode()
        started = time.monotonic()
        line = _Place(self, token)
        turns: set[bytes] = set()  # the tokens seen holding the lease while this writer waited
        delay = 0.0005
        while True:
            now = time.monotonic()
            if line.first() and self._took_lease(token):
                line.leave()
                return token, now
            held: bytes | None = self.call(lambda: self.client.get(LOCK))
            if held == token:  # (the SET reached Redis, and its reply was lost)
                line.leave()
                return token, now
            if held is not None and held.removesuffix(b"+") in self._unreleased:
                self._release_lease(held.removesuffix(b"+"))  # ours, from a write that has ended: no need to wait
                continue
            if held is not None:
                turns.add(held.removesuffix(b"+"))
            if now - started > LEASE_WAIT_S:
                line.leave()
                raise Unavailable(_lease_not_got(now - started, len(turns), line.ahead))
            time.sleep(delay)  # back-off while another writer commits; the first in line looks more often
            delay = min(delay * 2, 0.002 if line.ahead == 0 else 0.02)

    def _took_lease(self, token: bytes) -> bool:
        try:
            return bool(self.call(lambda: self.client.set(LOCK, token, nx=True, px=self.lease_ms)))
        except Unavailable:
            self._unreleased.add(token)  # (the SET may reach Redis once it answers: ours to release then)
            raise

    def _release_lease(self, token: bytes) -> None:
        try:
            self.client.eval(_RELEASE, 1, LOCK, token)
            self._unreleased.discard(token)
        except (redis.RedisError, Unavailable) as exc:  # it expires by itself, or our next write releases it
            self._unreleased.add(token)
            log.warning("could not release the writer lease: %s", exc)

    def _commit(self, phases: list[list[Command]], token: bytes) -> None:
        if not any(phases):
            return
        _check_unpackable(phases)  # (before the journal: a cluster would replay a command it can never apply)
        with _unavailable(self.where):
            try:
                if self.cluster:
                    # The journal (one key, so written atomically) is the commit point; then the phases in order.
                    self.client.hset(JOURNAL, mapping={str(n): encode_commands(p) for n, p in enumerate(phases)})
                    try:
                        for phase in phases:
                            self.apply(phase)
                    except UrlRefused:
                        raise
                    except StoreFull as exc:  # (the journal holds it: the next write with room finishes it)
                        raise FullMidCommit(f"{exc} (the commit was cut short between its phases)") from exc
                    except Unavailable as exc:  # (a phase cut short: the next write finishes it from the journal)
                        raise self._unsure(exc) from exc
                    self.client.delete(JOURNAL)
                else:
                    self._commit_standalone([c for phase in phases for c in phase], token)
            except (redis.TimeoutError, redis.ConnectionError) as exc:
                if isinstance(exc, redis.AuthenticationError):
                    raise
                raise self._unsure(exc) from exc

    def _unsure(self, exc: Exception) -> CommitUnanswered:
        """A commit sent, or part sent, and not answered: one Redis may run its script once it answers again,
        and a cluster's next write finishes a commit from its journal. (What that means for the call, the
        engine adds: `_told`.)"""
        return CommitUnanswered(
            f"the shared Redis store at {self.where} did not answer the commit ({type(exc).__name__}: {exc})"
        )

    def _commit_standalone(self, commands: list[Command], token: bytes) -> None:
        words = [token, *script_words(commands)]
        try:
            self.client.eval(_APPLY, 1, LOCK, *words)
        except redis.ResponseError as exc:
            if "LEASE" in str(exc):
                raise Unavailable("the Redis writer lease lapsed before the commit, which was not applied") from exc
            raise

    def _wait_for_replicas(self) -> None:
        """With wait_replicas: return once that many Redis replicas of every primary hold all it wrote
        so far, this transaction's writes included (also when it wrote nothing: a retry of articles a
        failed wait left on the primary); raise Unavailable otherwise."""
        if not self.wait_replicas:
            return
        try:
            with self._rerouting() if self.cluster else contextlib.nullcontext():  # (a failover: relearn the map)
                keys = self._ack_keys()
            for primary, connection, key in keys:
                pipe = connection.pipeline(transaction=False)
                pipe.incr(key)
                pipe.execute_command("WAIT", self.wait_replicas, self._wait_ms)
                held = int(pipe.execute()[1])
                if held < self.wait_replicas:
                    raise ReplicasBehind(
                        f"the write is on the Redis primary {primary}, but only {held} of "
                        f"the {self.wait_replicas} Redis replicas required (--redis-wait-replicas) confirmed it "
                        f"within {self._wait_ms / 1000:g} s (check the replicas: INFO replication)"
                    )
        except redis.RedisError as exc:
            raise ReplicasBehind(
                f"the write reached the Redis store at {self.where}, but waiting for its Redis replicas failed "
                f"({type(exc).__name__}: {exc})"
            ) from exc

    def _ack_keys(self) -> list[tuple[str, Any, bytes]]:
        """Per primary, its name, a connection to it and a key it serves: standalone, the URL, the client
        and nd:ack; on a cluster, each primary's host:port, its node and the first nd:ack:<n> it holds."""
        if not self.cluster:
            return [(self.where, self.client, ACK)]
        manager = self.client.nodes_manager
        primaries = {node.name for node in self.client.get_primaries()}
        found: dict[str, tuple[str, Any, bytes]] = {}
        n = 0
        while primaries - found.keys() and n < 1 << 16:  # (3 primaries: a handful of tries)
            key = b"%s:%d" % (ACK, n)
            node = manager.get_node_from_slot(key_slot(key))
            found.setdefault(node.name, (node.name, node.redis_connection, key))
            n += 1
        return list(found.values())

    def _replay_journal(self) -> None:
        """Finish a cluster commit whose writer died mid-way (its commands are idempotent)."""
        if not self.cluster:
            return
        phases = self.call(lambda: self.client.hgetall(JOURNAL))
        if phases:
            log.warning("finishing a commit interrupted on another replica (%d phases)", len(phases))
            for n in sorted(phases, key=int):
                self.apply(decode_commands(phases[n]))
            self.call(lambda: self.client.delete(JOURNAL))

    def reserve_seqs(self, count: int) -> range:
        """`count` arrival numbers. Called under the lease, so they rise in commit order on all replicas."""
        with self._confirming:  # (a health check reading nd:seq meanwhile must not compare it with a later one)
            end = int(self.call(lambda: self.client.incrby(SEQ, count)))
            self._seq_seen = max(self._seq_seen, end)
        return range(end - count + 1, end + 1)

    # ---- layout upgrade --------------------------------------------------------------------------

    def _upgrade(self, layout: int) -> None:
        """Convert an index of an older key layout (or one whose conversion was cut short) to this one's."""
        if layout < 2:
            self._upgrade_groups()
        self._upgrade_shingle_groups()

    def _upgrade_groups(self) -> None:
        """Layout 1 -> 2: each group's set of ids becomes a sorted set of entries. A few hundred groups a turn
        of the writer lease, each turn committed like a batch (fenced, all or nothing), then the layout is
        recorded. A start after an interruption goes on with the groups left; writes wait for it, as this
        replica takes none before its start ends, and the other replicas of this version do the same."""
        log.warning("converting the groups of the Redis index at %s to key layout 2, once", self.where)
        started, converted = time.monotonic(), 0
        with _unavailable(self.where):  # (the scan goes on between turns: a key it returns again converts to nothing)
            keys = self.client.scan_iter(match=LEGACY_GROUPS, count=1000)
            while part := list(itertools.islice(keys, 500)):
                token, _ = self._acquire_lease()
                try:
                    self._replay_journal()
                    self._commit([self._converted(part)], token)
                finally:
                    self._release_lease(token)
                self._wait_for_replicas()
                converted += len(part)
        self._in_turn(lambda: ([[self._layout_recorded(2)]], None))
        log.warning("key layout 2: %d groups converted in %.1f s", converted, time.monotonic() - started)

    def _upgrade_shingle_groups(self) -> None:
        """Layout 2 -> 3: each boilerplate count moves to its layout-3 shard (`shingle_groups_key`). First layout 3
        is recorded, with the mark CONVERTING, in one turn of the writer lease: from then on a replica of layout 2
        refuses to write (it checks the layout under the lease before each write), so no count lands in an old
        shard behind the move. Then, per shard, `MOVE_TURN` counts a turn: read under the lease and moved in one
        fenced commit (all or nothing standalone, journalled on a cluster), each count set to its sum with what
        its new shard holds and deleted where it was, so a turn is never half done nor done twice. Last the mark
        goes. A start after an interruption finds the mark and goes on: a count moved is no longer where it was,
        and one in its own shard stays. Writes wait for it, as for the groups."""
        log.warning("moving the boilerplate counts of the Redis index at %s to key layout 3, once", self.where)
        started, moved = time.monotonic(), 0
        self._in_turn(lambda: ([[("SET", CONVERTING, b"3"), self._layout_recorded(3)]], None))
        for shard in range(SHINGLE_GROUP_SHARDS):
            key, cursor = b"nd:sg:%d" % shard, 0
            while True:
                cursor, count = self._in_turn(functools.partial(self._counts_moved, key, cursor))
                moved += count
                if cursor == 0:
                    break
        self._in_turn(lambda: ([[("DEL", CONVERTING)]], None))
        log.warning("key layout 3: %d boilerplate counts moved in %.1f s", moved, time.monotonic() - started)

    def _in_turn(self, build: Callable[[], tuple[list[list[Command]], T]]) -> T:
        """One turn of a conversion: under the writer lease, `build` reads and returns the phases to commit (and
        what the caller wants back), which are committed like a batch (fenced by the lease)."""
        token, _ = self._acquire_lease()
        try:
            self._replay_journal()
            phases, result = build()
            self._commit(phases, token)
        finally:
            self._release_lease(token)
        self._wait_for_replicas()
        return result

    def _layout_recorded(self, layout: int) -> Command:
        """The command recording `layout` in the index's nd:meta (read now: under the lease, in a turn)."""
        stored = json.loads(self.call(lambda: self.client.get(META)))
        return ("SET", META, json.dumps({**stored, "layout": layout}, sort_keys=True))

    def _counts_moved(self, key: bytes, cursor: int) -> tuple[list[list[Command]], tuple[int, int]]:
        """The next counts of a shard from `cursor` (HSCAN): the commands moving those not in their layout-3
        shard there (its count added to what that shard holds), then deleting them here; the next cursor, and
        how many counts move."""
        cursor, found = self.call(lambda: self.client.hscan(key, cursor, count=MOVE_TURN))
        misplaced = {int(h): int(n) for h, n in found.items() if shingle_groups_key(int(h)) != key}
        targets: dict[bytes, list[int]] = {}
        for h in misplaced:
            targets.setdefault(shingle_groups_key(h), []).append(h)
        held = self.run([("HMGET", target, *map(str, hs)) for target, hs in targets.items()])
        sets: list[Command] = []
        for (target, hs), there in zip(targets.items(), held, strict=True):
            fields = [
                (str(h).encode(), str(misplaced[h] + int(n or 0)).encode()) for h, n in zip(hs, there, strict=True)
            ]
            sets += [("HSET", target, *(w for f in part for w in f)) for part in _parts(fields)]
        gone = [str(h).encode() for h in misplaced]
        return [sets, [("HDEL", key, *part) for part in _parts(gone)]], (int(cursor), len(misplaced))

    def _converted(self, keys: list[bytes]) -> list[Command]:
        """The commands that turn these layout-1 groups into layout-2 ones (a member without a record is
        dropped: it was deleted, and a group listing leaves such a member out)."""
        members: list[set[bytes]] = self.run([("SMEMBERS", k) for k in keys])
        ids = sorted({m.decode() for found in members for m in found})
        metas = dict(zip(ids, self.run([("HGET", article_key(i), "m") for i in ids]), strict=True))
        commands: list[Command] = []
        for key, found in zip(keys, members, strict=True):
            described = [(m.decode(), json.loads(meta)) for m in found if (meta := metas[m.decode()]) is not None]
            entries = sorted(group_entry(meta["p"], _arrival(meta), aid) for aid, meta in described)
            target = group_key(key.removeprefix(LEGACY_GROUPS[:-1]).decode())
            commands += _zadds(target, entries)
            commands.append(("DEL", key))
        return commands

    # ---- maintenance -----------------------------------------------------------------------------

    def audit(self) -> list[str]:
        """Inconsistencies: bucket entries without an article, articles missing a bucket entry."""
        problems: list[str] = []
        ids = set(self.all_ids())
        keys: list[bytes] = self.call(lambda: list(self.client.scan_iter(match=b"nd:b:*", count=1000)))
        buckets = {k: {m.decode() for m in members} for k, members in zip(keys, self._smembers(keys), strict=True)}
        for key, members in buckets.items():
            problems += [f"bucket {key!r} points to missing article {m!r}" for m in members - ids]
        ordered = sorted(ids)
        for aid, sig in zip(ordered, self.signature_fields(ordered), strict=True):
            if sig is None:
                problems.append(f"id set lists {aid!r} but its record is missing")
                continue
            for key in bucket_keys(np.frombuffer(sig, dtype=np.uint32), self.params):
                if aid not in buckets.get(key, set()):
                    problems.append(f"article {aid!r} is missing from bucket {key!r}")
        return problems

    def signature_fields(self, ids: Sequence[str]) -> list[bytes | None]:
        """Each article's stored signature bytes (None: no record), one pipeline, not whole records."""
        return self.run([("HGET", article_key(i), "s") for i in ids])

    def _smembers(self, keys: list[bytes]) -> list[set[bytes]]:
        return self.run([("SMEMBERS", k) for k in keys])

    def all_ids(self) -> list[str]:
        results = self.run([("SMEMBERS", b"nd:ids:%d" % k) for k in range(ID_SHARDS)])
        return [m.decode() for members in results for m in members]

    def clear(self) -> None:
        """Delete every neardup key (tests and benchmarks)."""
        keys = self.call(lambda: list(self.client.scan_iter(match=b"nd:*", count=1000)))
        self.run([("DEL", k) for k in keys])
        _, self._epoch = _open_index(self.client, self.params)  # (a new index, this server's: not said to be lost)
        self._seq_seen = 0

    # ---- articles the replicas' streams hold undecided (service/holds.py) ---------------------------

    shared = True

    def hold(self, counts: Mapping[str, int]) -> None:
        """One pipeline of single-key commands (routed by slot on a cluster): this replica's field of each id's
        hash set to its count, or removed at 0 (Redis removes a hash left empty)."""
        commands: list[Command] = []
        for article_id, count in counts.items():
            key = held_key(article_id)
            if count > 0:
                commands += [("HSET", key, self._holder, str(count)), ("PEXPIRE", key, str(self.hold_ms))]
            else:
                commands.append(("HDEL", key, self._holder))
        self.run(commands)

    def held_elsewhere(self, article_ids: Iterable[str]) -> set[str]:
        ids = list(article_ids)
        replies = self.run([("HGETALL", held_key(article_id)) for article_id in ids])
        return {
            article_id
            for article_id, holders in zip(ids, replies, strict=True)
            if any(holder != self._holder and int(count) > 0 for holder, count in holders.items())
        }

    def check(self) -> None:
        """Confirm the index is this server's (`_confirm_index`), and watch Redis's eviction policy."""
        with _unavailable(self.where):
            try:
                self._confirm_index()
            except ResourceExhausted as exc:  # (its record could not be written again: reads go on)
                log.warning("%s", exc)
            self._policy = _warn_if_evicting(self.client, self.where, self._policy)  # (changed by CONFIG SET?)

    def _confirm_index(self) -> None:
        """The index must still be the one this server opened, and of its parameters: asked by the health check
        and by every write, under the lease. If it is gone (Redis restarted without persistence, or its
        database flushed), so are its articles: say so, loudly, record its parameters again, so that a server
        of other parameters is refused rather than mixing its shingles in, and take the index's new identity.
        The first server to find it gone draws that identity; every other one then finds an identity it did
        not open: the index was replaced (by that server, or by another copy put in its place), and it says so
        with what the index holds now. If a server of other parameters recorded the index as its own, refuse
        the write (IncompatibleIndex). If its write counter (nd:seq, which only rises) is below the highest this
        server saw, Redis went back to an older copy of the index (a snapshot or backup restored, a failover to
        a lagging replica): the writes acknowledged since are lost. Say so, and give the index a new identity,
        so that the other servers find it replaced and say so too."""
        client = self.client  # (connected first: a server learns the identity when it opens the index)
        with self._confirming:
            known = self._epoch
            epoch, raw, seq_raw = self.run([("GET", EPOCH), ("GET", META), ("GET", SEQ)])
            seq = int(seq_raw or 0)
            if raw is not None:
                _check_params(client, self.params, raw)  # (another server's parameters: refused, not called lost)
            if raw is not None and epoch is not None and known is not None and epoch != known:
                self._replaced()
                self._epoch, self._seq_seen = epoch, seq
                return
            gone = _why_gone(raw, epoch, known)
            if gone is not None:
                log.error(
                    "the Redis index at %s is gone (%s: Redis restarted without persistence, or its database was "
                    "flushed): the articles stored before are lost, and this server goes on with an empty index. "
                    "Ingest them again",
                    self.where,
                    gone,
                )
                if raw is None:
                    _check_params(client, self.params, raw)  # (recorded again)
                self._epoch, self._seq_seen = _renew_epoch(client, known), seq
                return
            if known is None:  # (Redis was full when this server opened an index recorded before identities)
                self._epoch = epoch if epoch is not None else _first_epoch(client)
            elif seq < self._seq_seen:
                self._went_back(seq)
                self._seq_seen = seq  # (said once, even if Redis, full, refuses the new identity)
                # A new identity: every other server then finds the index replaced and says so, also one whose
                # mark other servers' writes have passed since (it would not see nd:seq lower any more).
                self._epoch = _renew_epoch(client, known)
            self._seq_seen = max(self._seq_seen, seq) if self._epoch == known else seq

    def _replaced(self) -> None:
        """Say that the index is another copy than the one this server opened: what is known is that its identity
        changed, and what the index holds now (not that it is empty: a copy put back may hold every article)."""
        log.error(
            "the Redis index at %s was replaced under this server: its identity %s changed (another copy of the "
            "index is there now: Redis restarted on other data files, a backup put back, or another server found "
            "the index emptied or gone back to an older state and recorded it anew). It holds %d articles now, and "
            "this server goes on with it (it keeps no copy of the index in memory). Articles acknowledged before "
            "that it does not hold are lost: send them again; articles deleted before that it holds are back: "
            'delete them again (docs/redis.md, "Backup and restore")',
            self.where,
            EPOCH.decode(),
            self.article_count(),
        )

    def _went_back(self, seq: int) -> None:
        """Say that the index went back to an older copy of itself: its acknowledged writes since are lost."""
        log.error(
            "the Redis index at %s went back to an older state: its write counter %s is %d, and this server saw "
            "it at %d. Redis was given a copy of the index older than its last writes (an RDB snapshot loaded "
            "after a crash, a backup put back, or a failover to a Redis replica that lagged); it holds %d "
            "articles now. The articles acknowledged after that copy was made are lost: send them again; "
            'articles deleted after it are back: delete them again (docs/redis.md, "Backup and restore"). '
            "This server goes on with the index as it is (it keeps no copy of it in memory), under a new "
            "identity, so that every other server on it says so too",
            self.where,
            SEQ.decode(),
            seq,
            self._seq_seen,
            self.article_count(),
        )

    def article_count(self) -> int:
        """How many articles the index holds (16 SCARDs)."""
        return int(sum(self.run([("SCARD", b"nd:ids:%d" % k) for k in range(ID_SHARDS)])))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


class _Place:
    """A writer's place in the line for the writer lease (nd:line, `_IN_LINE`)."""

    def __init__(self, store: RedisStore, token: bytes) -> None:
        self.store, self.token = store, token
        self.ahead = -1  # writers ahead of this one when last asked (-1: not asked yet)
        self.renewed = 0.0

    def first(self) -> bool:
        """Whether no writer that came before this one still waits. Asked again only while some did, and to renew
        the place: a later writer never gets ahead of it."""
        if self.ahead != 0 or time.monotonic() - self.renewed > LINE_MS / 4000:
            self.renewed = time.monotonic()
            self.ahead = int(self.store.call(lambda: self.store.client.eval(_IN_LINE, 1, LINE, self.token, LINE_MS)))
        return self.ahead == 0

    def leave(self) -> None:
        """Out of the line: the lease is taken, or given up. If Redis does not hear it, the place lapses by itself."""
        with contextlib.suppress(Unavailable):
            self.store.call(lambda: self.store.client.hdel(LINE, self.token))


def _lease_not_got(waited: float, turns: int, ahead: int) -> str:
    """Why a writer gave up waiting for the lease: what it saw while it waited."""
    held = "one writer held it all that time" if turns == 1 else f"other writers took {turns} turns with it meanwhile"
    if ahead > 0:
        held += f", and {ahead} that asked before this one still wait"
    return (
        f"could not get the Redis writer lease ({LOCK.decode()}) within {waited:.0f} s ({held}); retry, and if "
        "this lasts, check the replicas' logs and Redis's latency"
    )


class UrlRefused(NeedsOperator):
    """What --redis-url says cannot work (Redis refused its credentials, or the client its TLS certificate):
    UNAVAILABLE to a call, but at start a setting to fix."""


class AclCutScript(UrlRefused, CommitUnanswered):
    """Redis's ACL refused a command a script ran. Redis undoes none of the commands the script ran before it, so a
    write may be partly applied (its record stored, say, and not its group's entries): the call may or may not have
    done what it asked, and the ACL is the operator's to mend."""


@contextmanager
def _unavailable(url: str) -> Iterator[None]:
    """Turn every Redis failure into UNAVAILABLE (RESOURCE_EXHAUSTED when Redis is out of memory) with a
    message an operator can act on."""
    try:
        yield
    except redis.exceptions.OutOfMemoryError as exc:
        # (Nothing of the write is applied, for an index and a delete alike: Redis refuses a script only at its
        # first write, and the commit script's first is the lease's SET, before any command of the batch (a
        # delete's DEL, which Redis would let through, comes after it); the test audits it. On a cluster, one
        # refused after the journal is written is not this: `_commit` says FullMidCommit. What it means for
        # the call, the engine adds: `_told`.)
        raise StoreFull(
            f"the shared Redis store at {url} is out of memory (its maxmemory is reached), so the write was not "
            "acknowledged. Raise its maxmemory, or free memory there"
        ) from exc
    except redis.exceptions.NoPermissionError as exc:  # (an ACL without a command or key neardup uses)
        raise _acl_refused(url, exc) from exc
    except redis.exceptions.AuthenticationError as exc:  # (a ConnectionError, but no retry mends it)
        raise UrlRefused(
            f"the shared Redis store at {url} refused neardup's credentials ({exc}): the server needs a user "
            "and password it accepts in --redis-url (NEARDUP_REDIS_URL), e.g. redis://user:password@host:6379/0"
        ) from exc
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        if isinstance(exc.__cause__ or exc.__context__, ssl.SSLCertVerificationError):
            raise UrlRefused(
                f"the shared Redis store at {url} presented a TLS certificate neardup does not trust ({exc}): name "
                "the CA that signed it in --redis-url (NEARDUP_REDIS_URL), e.g. "
                "rediss://host:6380/0?ssl_ca_certs=/etc/neardup/redis-ca.pem"
            ) from exc
        raise Unavailable(
            f"the shared Redis store at {url} is not answering ({type(exc).__name__}: {exc}); "
            "retry, and check that redis-server is running and reachable"
            f"{_scheme_hint(url, exc)}"
        ) from exc
    except redis.RedisError as exc:
        if _refused_by_acl_in_script(exc):
            raise _acl_refused(url, exc, AclCutScript) from exc
        if "DB index is out of range" in str(exc):  # (a database number this Redis does not have: no retry mends it)
            raise UrlRefused(
                f"the shared Redis store at {url} has no database of the number the URL ends with ({exc}): "
                "Redis has 16 (0 to 15) unless its `databases` setting says more; fix --redis-url (NEARDUP_REDIS_URL)"
            ) from exc
        raise Unavailable(
            f"the shared Redis store at {url} refused a command ({type(exc).__name__}: {exc}); retry"
        ) from exc


def _acl_refused(url: str, exc: redis.RedisError, refusal: type[UrlRefused] = UrlRefused) -> UrlRefused:
    """Redis's ACL does not let neardup's user run a command or touch a key it needs (AclCutScript: inside a
    write's script)."""
    return refusal(
        f"the shared Redis store at {url} does not let neardup's user run a command it needs ({exc}): give "
        "the user of --redis-url (NEARDUP_REDIS_URL) the ACL docs/redis.md lists: ~nd:* +@read +@write "
        "+@scripting +@connection +info +wait +config|get"
    )


def _refused_by_acl_in_script(exc: redis.RedisError) -> bool:
    """Whether Redis's ACL refused a command a script ran: Redis answers it ERR, not NOPERM (7.0: "The user
    executing the script can't run this command or subcommand" or "can't access at least one of the keys";
    7.2 on: "ACL failure in script"), so redis-py raises a plain ResponseError, which no retry mends either."""
    said = str(exc)
    return "The user executing the script can't" in said or "ACL failure in script" in said


def _scheme_hint(url: str, exc: redis.RedisError) -> str:
    """A likely mix-up of redis:// and rediss://: a TLS port resets a plaintext connection, and a plaintext port
    never answers a TLS handshake (so the connection times out)."""
    if url.startswith("redis://") and isinstance(exc.__cause__ or exc.__context__, ConnectionResetError):
        return " (if that port speaks TLS, the URL must begin with rediss://)"
    if url.startswith("rediss://") and isinstance(exc, redis.TimeoutError):
        return " (if that port does not speak TLS, the URL must begin with redis://)"
    return ""


def _unusable_at_start(where: str, url: str, exc: Unavailable | ResourceExhausted) -> str:
    """What the log says of a store that could not be used at start: no call was refused yet, and none stored."""
    cause = exc.__cause__ if isinstance(exc.__cause__, redis.RedisError) else None
    why = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
    if isinstance(exc, ResourceExhausted):
        return (f"the shared Redis store at {where} is out of memory at start ({why}): serving anyway; calls get "
                "RESOURCE_EXHAUSTED until Redis has room. Raise its maxmemory, or free memory there")  # fmt: skip
    hint = _scheme_hint(url, cause) if cause is not None else ""
    return (f"the shared Redis store at {where} could not be used at start ({why}){hint}: serving anyway; health "
            "reports NOT_SERVING and calls get UNAVAILABLE until it answers, and the server connects then. Check "
            "that redis-server is running and reachable")  # fmt: skip


def _check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise BatchTooLong("the write took longer than the Redis writer lease allows, and was not applied")


_UNREAD = object()


def _check_params(
    client: redis.Redis | redis.cluster.RedisCluster, params: DetectionParams, stored_raw: Any = _UNREAD
) -> int:
    """Refuse an index built with other parameters, or by a newer version; the index's layout otherwise. A
    new (or emptied) index is recorded as this one's. `stored_raw`: the record, if the caller has read it."""
    if stored_raw is _UNREAD:
        stored_raw = client.get(META)
    if stored_raw is None:  # (a write only for a new index: Redis over its maxmemory refuses any, even a no-op)
        client.set(META, json.dumps({**params.recorded(), "layout": LAYOUT}, sort_keys=True), nx=True)
        stored_raw = client.get(META)
    stored = json.loads(stored_raw) if stored_raw else {}
    layout = int(stored.pop("layout", 1))
    if layout > LAYOUT:
        raise IncompatibleIndex(
            f"the Redis index has key layout {layout}, written by a newer neardup; this one reads layouts up "
            f"to {LAYOUT}. Run the newer version, or point --redis-url at another database and re-ingest."
        )
    refuse_other_parameters(stored, params.recorded(), "Redis index", "--redis-url")
    return layout


def _scheme_of_index(client: redis.Redis | redis.cluster.RedisCluster, params: DetectionParams) -> DetectionParams:
    """`params`, reading text by the index's scheme if that is an earlier one this version reads
    (storage.scheme_of_store); its parameters are checked after (`_check_params`)."""
    raw = client.get(META)
    return scheme_of_store(json.loads(raw), params) if raw else params


def _open_index(client: redis.Redis | redis.cluster.RedisCluster, params: DetectionParams) -> tuple[int, bytes | None]:
    """Check the index's parameters (`_check_params`, which records them for a new index) and learn its identity:
    the key layout and the identity (None: Redis is full and refused to record one; a later check does). An index
    without a record gets a new identity: a new one, or one whose record went while servers ran on it, which then
    find it lost. One recorded by a version before identities gets one, without being called lost."""
    # (The identity is read first: with no record found after it, no identity was drawn for the new index before
    # this read, so two servers opening it at once draw one between them, `_renew_epoch`.)
    before: Any = client.get(EPOCH)
    raw = client.get(META)
    layout = _check_params(client, params, raw)
    if raw is None:
        return layout, _renew_epoch(client, before)
    return layout, before if before is not None else _first_epoch(client)


def _first_epoch(client: redis.Redis | redis.cluster.RedisCluster) -> bytes | None:
    """Record an identity for an index that has none (recorded by a version before identities): the one
    recorded, ours or another server's that was first. None if Redis is full (it refuses any write)."""
    mine = _new_epoch()
    try:
        before: Any = client.set(EPOCH, mine, nx=True, get=True)
    except redis.exceptions.OutOfMemoryError:
        return None
    return before if before is not None else mine


def _renew_epoch(client: redis.Redis | redis.cluster.RedisCluster, known: bytes | None) -> bytes:
    """A new identity for an index that is no longer the one `known` names (None: none known), or the one another
    server recorded for it first (`_RENEW_EPOCH`)."""
    return bytes(client.eval(_RENEW_EPOCH, 1, EPOCH, known or b"", _new_epoch()))


def _new_epoch() -> bytes:
    return secrets.token_hex(16).encode()


def _why_gone(raw: bytes | None, epoch: bytes | None, known: bytes | None) -> str | None:
    """Why the index a server opened (of identity `known`) is gone, given the record and identity found now;
    None if it is not."""
    if raw is None:
        return f"its record {META.decode()} is missing"
    if known is not None and epoch is None:  # (a server of a version before identities recorded the index again)
        return f"its identity {EPOCH.decode()} is missing"
    return None  # (another identity than `known` is not "gone": the index was replaced, `RedisStore._replaced`)


def _warn_if_deciding_otherwise(
    client: redis.Redis | redis.cluster.RedisCluster, params: DetectionParams, url: str
) -> None:
    """Record this server's decision thresholds in the index, and say so if the server that connected before
    it recorded others: servers behind one load balancer that decide differently answer one article
    differently depending on which one a call reaches (a rolling change of settings says so once a server)."""
    mine = json.dumps(params.decisions(), sort_keys=True)
    try:
        raw: Any = client.set(DECISIONS, mine, get=True)
    except redis.RedisError:
        return  # (Redis full, or an older Redis: a warning is not worth failing a start for)
    before = raw.decode() if isinstance(raw, bytes) else raw
    if before is not None and before != mine:
        log.warning(
            "the Redis index at %s was last opened by a server deciding with other thresholds (%s; this one: "
            "%s): servers of one index should decide alike, or an article's answer depends on the server asked",
            url,
            before,
            mine,
        )


def _warn_if_evicting(
    client: redis.Redis | redis.cluster.RedisCluster, url: str, before: str | None = None, at_start: bool = False
) -> str | None:
    """Say so if Redis may evict this index's keys when full (and its policy is not `before`, the one last
    seen): it would drop articles and buckets without a word (with noeviction, the default, a full Redis
    refuses writes instead: RESOURCE_EXHAUSTED). The policy, or None if Redis will not tell: said once, `at_start`
    (CONFIG is often forbidden, renamed or disabled on managed Redis: no reason to refuse the start)."""
    try:
        raw: Any = client.config_get("maxmemory-policy").get("maxmemory-policy", b"")
    except redis.RedisError as exc:
        if at_start and isinstance(exc, redis.ResponseError):  # (refused by the ACL, or renamed away)
            log.warning(
                "the Redis store at %s does not let neardup read its maxmemory-policy (CONFIG GET: %s), so this "
                "server cannot warn if Redis may evict the index's keys when full, dropping articles without a "
                "word: make sure Redis runs with maxmemory-policy noeviction (or give neardup's user +config|get)",
                url,
                exc,
            )
        return None
    policy = raw.decode() if isinstance(raw, bytes) else str(raw)
    if policy == before:
        return policy
    if policy.startswith("allkeys-"):
        log.warning(
            "the Redis store at %s evicts any key when full (maxmemory-policy %s): it may drop articles and "
            "buckets of this index without a word. Set maxmemory-policy noeviction",
            url,
            policy,
        )
    elif policy.startswith("volatile-"):
        log.warning(
            "the Redis store at %s evicts keys with a time to live when full (maxmemory-policy %s): neardup's "
            "writer lease is one, so when full every write fails saying the lease lapsed, not that Redis is "
            "out of memory. Set maxmemory-policy noeviction",
            url,
            policy,
        )
    return policy


def _warn_if_no_replicas(client: redis.Redis | redis.cluster.RedisCluster, wanted: int, url: str) -> None:
    """With --redis-wait-replicas, say so at once if Redis has fewer replicas than every write waits for."""
    try:
        connected = int(client.info("replication").get("connected_slaves", 0))
    except (redis.RedisError, TypeError, ValueError):
        return
    if connected < wanted:
        log.warning(
            "the Redis store at %s has %d replica(s) connected, and --redis-wait-replicas asks every write to "
            "wait for %d: writes answer UNAVAILABLE until enough replicas connect",
            url,
            connected,
            wanted,
        )


def bucket_keys(signature: U32Array, params: DetectionParams) -> list[bytes]:
    """One key per band: the band number and the band's rows, hex (no '{' that could form a hash tag)."""
    rows = params.lsh_rows
    raw = signature[: params.lsh_bands * rows].astype("<u4").tobytes()
    width = 4 * rows
    return [b"nd:b:%d:%s" % (band, raw[band * width : (band + 1) * width].hex().encode())
            for band in range(params.lsh_bands)]  # fmt: skip


def script_words(commands: Sequence[Command]) -> list[bytes | str | int]:
    """Commands as _APPLY_LOOP reads them; a run of SADD/SREM of one member becomes one fan-out."""
    words: list[bytes | str | int] = []
    i = 0
    while i < len(commands):
        cmd = commands[i]
        j = i
        if len(cmd) == 3 and cmd[0] in ("SADD", "SREM"):
            while j + 1 < len(commands) and len(commands[j + 1]) == 3 and commands[j + 1][::2] == cmd[::2]:
                j += 1
        if j > i:
            words += ["F", cmd[0], cmd[2], j - i + 1, *(c[1] for c in commands[i : j + 1])]
        else:
            words += ["C", len(cmd), *cmd]
        i = j + 1
    return words


def encode_commands(commands: Sequence[Command]) -> bytes:
    """Length-prefixed frames: count, then per command its arity and each argument."""
    out = [struct.pack("<I", len(commands))]
    for cmd in commands:
        out.append(struct.pack("<I", len(cmd)))
        for arg in cmd:
            data = arg.encode() if isinstance(arg, str) else arg
            out += [struct.pack("<I", len(data)), data]
    return b"".join(out)


def decode_commands(blob: bytes) -> list[Command]:
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        pos += n
        return blob[pos - n : pos]

    commands: list[Command] = []
    for _ in range(struct.unpack("<I", take(4))[0]):
        arity = struct.unpack("<I", take(4))[0]
        args = [take(struct.unpack("<I", take(4))[0]) for _ in range(arity)]
        commands.append((args[0].decode(), *args[1:]))  # redis-py routes by the command name as str
    return commands


# ---- records --------------------------------------------------------------------------------------


def record_fields(stored: StoredArticle) -> dict[str, bytes | str]:
    a, fp = stored.article, stored.fingerprint
    meta = {"t": a.title, "s": a.source, "u": a.url, "p": to_us(a.published) if a.published else None,
            "i": to_us(stored.indexed_at), "q": stored.seq}  # fmt: skip
    if stored.arrival != stored.seq:  # (a new version of an id: its first version's; `_arrival`)
        meta["a"] = stored.arrival
    return {"m": json.dumps(meta, separators=(",", ":")), "d": fp.body_digest, "s": fp.signature.tobytes(),
            "h": fp.shingles.tobytes(), "b": a.body, "r": stored.group_root}  # fmt: skip


def record_from(article_id: str, raw: dict[bytes, bytes]) -> StoredArticle | None:
    """The article, or None for an absent or partial hash (never shown half-written)."""
    if not raw or any(k not in raw for k in (b"m", b"d", b"s", b"h", b"b", b"r")):
        return None
    meta = json.loads(raw[b"m"])
    article = Article(article_id, raw[b"b"].decode(), meta["t"], meta["s"], meta["u"],
                      from_us(meta["p"]) if meta["p"] is not None else None)  # fmt: skip
    fingerprint = Fingerprint(np.frombuffer(raw[b"h"], dtype=np.uint32), np.frombuffer(raw[b"s"], dtype=np.uint32),
                              bytes(raw[b"d"]))  # fmt: skip
    return StoredArticle(article, fingerprint, from_us(meta["i"]), int(meta["q"]), raw[b"r"].decode(), _arrival(meta))


def _arrival(meta: dict[str, Any]) -> int:
    """StoredArticle.arrival from a record's m field: "a" for a new version of an id, else (an id's first version,
    and every record written before "a", when a new version was placed as a new arrival) its seq, "q"."""
    return int(meta.get("a", meta["q"]))


def _member_of(stored: StoredArticle) -> GroupMember:
    a = stored.article
    return GroupMember(a.id, a.title, a.source, a.url, a.published, stored.indexed_at, stored.arrival)


def _member_from(article_id: str, meta: dict[str, Any]) -> GroupMember:
    """A member from a record's m field (`record_fields`)."""
    published = from_us(meta["p"]) if meta["p"] is not None else None
    return GroupMember(article_id, meta["t"], meta["s"], meta["u"], published, from_us(meta["i"]), _arrival(meta))


@dataclass
class _Group:
    """What a batch did to one group's member set."""

    cleared: bool = False
    added: set[bytes] = field(default_factory=set)  # entries (`group_entry`)
    removed: set[bytes] = field(default_factory=set)


class _Tx:
    """Reads go to Redis, then see this batch's own writes (the overlay) on top."""

    def __init__(self, store: RedisStore, writable: bool, deadline: float | None = None) -> None:
        """`deadline`: a write's, as time.monotonic(): past it, the next write step fails the batch
        (`BatchTooLong`) instead of deciding on only to be refused at the commit."""
        self._store = store
        self._writable = writable
        self._deadline = deadline
        self._fetched: dict[str, StoredArticle | None] = {}  # committed state, as read
        self._final: dict[str, StoredArticle | None] = {}  # this batch's writes (None: deleted)
        self._roots: dict[str, str] = {}  # regrouped articles the batch did not rewrite
        self._groups: dict[str, _Group] = {}
        self._bucket_cache: dict[str, list[bytes]] = {}  # bucket keys of the batch's own articles
        self._overlay_buckets: dict[bytes, set[str]] = {}  # bucket key -> the batch's articles in it
        self._keys: dict[bytes, list[bytes]] = {}  # signature bytes -> its bucket keys (computed once)
        self._committed_hits: dict[bytes, set[str]] = {}  # signature bytes -> ids in its buckets, read ahead
        self._seqs: Iterator[int] = iter(())  # arrival numbers reserved for this batch
        self._shingle_groups: dict[int, int] = {}  # committed group counts, as read
        self._shingle_added: dict[int, int] = {}  # this batch's increments

    # ---- reads -----------------------------------------------------------------------------------

    def count(self) -> int:
        committed = self._store.article_count()
        self._load([i for i in self._final if i not in self._fetched])
        delta = sum((self._final[i] is not None) - (self._fetched[i] is not None) for i in self._final)
        return int(committed) + delta

    def get(self, article_id: str) -> StoredArticle | None:
        if article_id in self._final:
            return self._final[article_id]
        self._load([article_id])
        stored = self._fetched[article_id]
        root = self._roots.get(article_id)
        return replace(stored, group_root=root) if stored and root else stored

    def stored_ids(self, article_ids: Sequence[str]) -> set[str]:
        return {i for i in article_ids if self.get(i) is not None}  # (a batch's records are read ahead: `prefetch`)

    def prefetch(self, articles: Sequence[PreparedArticle]) -> None:
        """Read the batch's records, bucket members and candidates' records: three round trips per batch
        (one per node on a cluster), instead of three per article.

        Valid for the whole batch: the lease keeps other writers out, and the overlay covers our own writes.
        """
        ids = [p.article.id for p in articles]
        if self._writable:  # each article is inserted at most once per batch
            self._seqs = iter(self._store.reserve_seqs(len(articles)))
        self._load(ids)
        signatures = {p.fingerprint.signature.tobytes(): p.fingerprint.signature for p in articles}
        groups = [self._keys_for(sig) for sig in signatures.values()]
        self._committed_hits.update(zip(signatures, self._store.bucket_members(groups), strict=True))
        # A story stored in many copies is ranked in `candidates` first: only the best are read whole.
        limit = self._store.params.candidate_limit()
        self._load([i for hits in self._committed_hits.values() if len(hits) <= limit for i in hits])

    def _keys_for(self, signature: U32Array) -> list[bytes]:
        raw = signature.tobytes()
        if raw not in self._keys:
            self._keys[raw] = bucket_keys(signature, self._store.params)
        return self._keys[raw]

    def candidates(self, signature: U32Array, limit: int | None = None) -> set[str]:
        """Ids sharing a band (of a bucket bigger than the candidate limit, a sample: `bucket_members`);
        with `limit`, the committed ones are at most that many: those whose signatures agree with
        `signature` most (a union of buckets cannot count band hits, and reading a record whole for
        each of thousands of stored copies of one story cost ~30 ms an article)."""
        keys = self._keys_for(signature)
        found = self._committed_hits.get(signature.tobytes())
        if found is None:
            found = self._store.bucket_members([keys])[0]
        found = found - self._final.keys()  # the batch's own version of these decides below
        if limit is not None and len(found) > limit:
            found = self._most_alike(found, signature, limit)
        self._load(list(found))
        visible = {i for i in found if self._fetched[i] is not None}  # entries without a record are invisible
        for key in keys:
            visible |= self._overlay_buckets.get(key, set())
        return visible

    def band_hits(self, signatures: U32Array, band_keys: GivenKeys | None = None) -> BoolArray:
        found = []  # (Redis keys its buckets otherwise: `band_keys` are not used)
        for signature in signatures:
            keys = self._keys_for(signature)
            committed = self._committed_hits.get(signature.tobytes())
            if committed is None:
                committed = self._store.bucket_members([keys])[0]
            found.append(bool(committed) or any(key in self._overlay_buckets for key in keys))
        return np.array(found, dtype=np.bool_)

    def _most_alike(self, ids: set[str], signature: U32Array, limit: int) -> set[str]:
        """The `limit` of `ids` whose stored signatures agree with `signature` in the most places
        (ties: by id), reading only each one's signature field (0.5 KB, not the whole record)."""
        unread = [i for i in ids if i not in self._fetched]
        raw = dict(zip(unread, self._store.signature_fields(unread), strict=True))
        for aid in ids - raw.keys():
            stored = self._fetched[aid]
            raw[aid] = stored.fingerprint.signature.tobytes() if stored else None
        # Without a record (being written, or deleted) an id is not a candidate.
        present = sorted((i, r) for i, r in raw.items() if r is not None and len(r) == signature.nbytes)
        stored_signatures = np.frombuffer(b"".join(r for _, r in present), dtype=np.uint32)
        agree = (stored_signatures.reshape(len(present), signature.size) == signature).sum(axis=1)
        return {present[n][0] for n in np.argsort(-agree, kind="stable")[:limit].tolist()}

    def shingles(self, ids: Iterable[str]) -> dict[str, U32Array]:
        return {i: s.fingerprint.shingles for i, s in self._many(ids).items()}

    def earliest_member(self, group_root: str, excluding: str) -> str | None:
        for entry in sorted(self._members(group_root)):
            aid = entry_id(entry)
            if aid != excluding and self.get(aid) is not None:
                return aid
        return None

    def group_page(self, group_root: str, after: OrderKey | None, limit: int) -> tuple[int, list[GroupMember]]:
        """The group's size and up to `limit` members after `after`, in listing order: the entries come in
        order from where `after` left off (a batch that changed this group sorts its own view instead), then
        each one's description (not its text): three round trips a page (more if some are left out)."""
        if group_root in self._groups:
            entries, first = sorted(self._members(group_root)), _first_after(after)
            total, pages = len(entries), iter([[e for e in entries if e >= first]])
        else:
            total = int(self._store.call(lambda: self._store.client.zcard(group_key(group_root))))
            pages = self._committed_entries(group_root, b"[" + _first_after(after), limit)  # ("[": from, inclusive)
        listed: list[GroupMember] = []
        for entries in pages:
            listed += self._described(entries, group_root)[: limit - len(listed)]
            if len(listed) >= limit:
                break
        return total, listed

    def _committed_entries(self, group_root: str, bound: bytes, limit: int) -> Iterator[list[bytes]]:
        """The group's stored entries from `bound` on, `limit` at a time, until there are no more."""
        key, count = group_key(group_root), b"%d" % limit
        while True:
            entries: list[bytes] = self._store.run([("ZRANGEBYLEX", key, bound, b"+", b"LIMIT", b"0", count)])[0]
            if entries:
                yield entries
            if len(entries) < limit:
                return
            bound = b"(" + entries[-1]

    def _described(self, entries: list[bytes], group_root: str) -> list[GroupMember]:
        """Each entry's member, in the entries' order; one whose record is absent or names another root
        (being written or deleted, or a cluster commit between its phases) is left out."""
        ids = [entry_id(e) for e in entries]
        unread = [i for i in ids if i not in self._final]
        replies = dict(zip(unread, self._store.run([("HMGET", article_key(i), "m", "r") for i in unread]), strict=True))
        listed = []
        for aid in ids:
            if aid in self._final:
                stored = self._final[aid]
                if stored is not None and stored.group_root == group_root:
                    listed.append(_member_of(stored))
                continue
            meta, root = replies[aid]
            if meta is not None and root is not None and self._roots.get(aid, root.decode()) == group_root:
                listed.append(_member_from(aid, json.loads(meta)))
        return listed

    def _many(self, ids: Iterable[str]) -> dict[str, StoredArticle]:
        ids = list(ids)
        self._load([i for i in ids if i not in self._final])
        out = {}
        for i in ids:
            stored = self.get(i)
            if stored is not None:
                out[i] = stored
        return out

    def _load(self, ids: list[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i not in self._fetched]
        for aid, raw in zip(missing, self._store.run([("HGETALL", article_key(i)) for i in missing]), strict=True):
            self._fetched[aid] = record_from(aid, raw)

    def _members(self, root: str) -> set[bytes]:
        """The group's entries (`group_entry`): as stored, with this batch's changes."""
        group = self._groups.get(root, _Group())
        entries: set[bytes] = set()
        if not group.cleared:
            entries = set(self._store.call(lambda: self._store.client.zrange(group_key(root), 0, -1)))
        return (entries | group.added) - group.removed

    def _buckets_of(self, aid: str, stored: StoredArticle) -> list[bytes]:
        if aid not in self._bucket_cache:
            self._bucket_cache[aid] = self._keys_for(stored.fingerprint.signature)
        return self._bucket_cache[aid]

    def _unlist(self, aid: str) -> None:
        """Take the batch's own version of `aid` out of the overlay's buckets."""
        for key in self._bucket_cache.pop(aid, []):
            self._overlay_buckets[key].discard(aid)

    def learned_boilerplate(self, min_groups: int) -> None:
        # Exact only by scanning every shard of counts, too costly for a metrics scrape.
        return None

    def common_shingles(self, hashes: U32Array, min_groups: int) -> U32Array:
        values = hashes.tolist()
        self._load_shingle_groups([h for h in values if h not in self._shingle_groups])
        counts = [self._shingle_groups[h] + self._shingle_added.get(h, 0) for h in values]
        return np.array([h for h, n in zip(values, counts, strict=True) if n >= min_groups], dtype=np.uint32)

    def _load_shingle_groups(self, values: list[int]) -> None:
        if not values:
            return
        shards: dict[bytes, list[int]] = {}
        for h in values:
            shards.setdefault(shingle_groups_key(h), []).append(h)
        replies = self._store.run([("HMGET", key, *(str(h) for h in hs)) for key, hs in shards.items()])
        for hs, reply in zip(shards.values(), replies, strict=True):
            for h, n in zip(hs, reply, strict=True):
                self._shingle_groups[h] = int(n) if n is not None else 0

    # ---- writes (kept in the overlay until commit) ------------------------------------------------

    def count_groups(self, hashes: U32Array) -> None:
        self._require_writable()
        for h in hashes.tolist():
            self._shingle_added[h] = self._shingle_added.get(h, 0) + 1

    def count_groups_each(self, per_article: Sequence[U32Array]) -> None:
        for hashes in per_article:
            self.count_groups(hashes)

    def insert(
        self, prepared: PreparedArticle, indexed_at: datetime, group_root: str, arrival: int | None = None
    ) -> None:
        self._require_writable()
        aid = prepared.article.id
        self.get(aid)  # remember the committed version: its bucket entries may need removing
        self._unlist(aid)
        seq = self._next_seq()
        stored = StoredArticle(prepared.article, prepared.fingerprint, indexed_at, seq, group_root,
                               seq if arrival is None else arrival)  # fmt: skip
        self._final[aid] = stored
        for key in self._buckets_of(aid, stored):
            self._overlay_buckets.setdefault(key, set()).add(aid)
        entry = _entry_of(stored)
        self._group(group_root).added.add(entry)
        self._group(group_root).removed.discard(entry)

    def insert_new(
        self, articles: Sequence[PreparedArticle], indexed_at: datetime, band_keys: GivenKeys | None = None
    ) -> None:
        for prepared in articles:  # (`band_keys` are not used, as in `band_hits`)
            self.insert(prepared, indexed_at, prepared.article.id)

    def delete(self, article_id: str) -> None:
        self._require_writable()
        stored = self.get(article_id)
        if stored is None:
            return
        self._final[article_id] = None
        self._unlist(article_id)
        self._roots.pop(article_id, None)
        entry = _entry_of(stored)
        self._group(stored.group_root).removed.add(entry)
        self._group(stored.group_root).added.discard(entry)

    def regroup(self, old_roots: Iterable[str], new_root: str) -> None:
        self._require_writable()
        for root in {r for r in old_roots if r != new_root}:
            members = self._members(root)
            for aid in map(entry_id, members):
                stored = self._final.get(aid)
                if stored is not None:
                    self._final[aid] = replace(stored, group_root=new_root)
                else:
                    self._roots[aid] = new_root
            self._groups[root] = _Group(cleared=True)
            target = self._group(new_root)
            target.added |= members
            target.removed -= members

    def _present(self, aid: str) -> bool:
        """Whether a regrouped article is stored when the batch ends. One it did not read is: it was in a
        committed group, and a group's entries are committed with their records (in one phase on a cluster)."""
        if aid in self._final or aid in self._fetched:
            return self._final.get(aid, self._fetched.get(aid)) is not None
        return True

    def _next_seq(self) -> int:
        return next(self._seqs, None) or self._store.reserve_seqs(1)[0]

    def _group(self, root: str) -> _Group:
        return self._groups.setdefault(root, _Group())

    def _require_writable(self) -> None:
        if not self._writable:
            raise RuntimeError("write attempted in a read transaction")
        if self._deadline is not None:
            _check_deadline(self._deadline)

    def commands(self) -> list[list[Command]]:
        """The batch as Redis commands in visibility order: new buckets, records, stale buckets."""
        add: list[Command] = []
        records: list[Command] = []
        stale: list[Command] = []
        for aid, stored in self._final.items():
            before = self._fetched.get(aid)
            old = set(bucket_keys(before.fingerprint.signature, self._store.params)) if before else set()
            new = set(self._buckets_of(aid, stored)) if stored else set()
            add += [("SADD", k, aid) for k in sorted(new - old)]
            stale += [("SREM", k, aid) for k in sorted(old - new)]
            if stored is None:
                records += [("DEL", article_key(aid)), ("SREM", ids_key(aid), aid)]
            else:
                fields = record_fields(stored)
                records += [("HSET", article_key(aid), *(x for kv in fields.items() for x in kv)),
                            ("SADD", ids_key(aid), aid)]  # fmt: skip
        for aid, root in self._roots.items():
            if self._present(aid):
                records.append(("HSET", article_key(aid), "r", root))
        records += [("HINCRBY", shingle_groups_key(h), str(h), str(n)) for h, n in self._shingle_added.items()]
        for root, group in self._groups.items():
            key = group_key(root)
            if group.cleared:
                records.append(("DEL", key))
            records += _zadds(key, sorted(group.added))
            records += [("ZREM", key, *part) for part in _parts(sorted(group.removed))]
        return [add, records, stale]


# The apply loop unpacks a command's words onto Lua's stack, which holds about 8,000 values: past that the script
# fails at that command, after applying those before it. Commands are kept well under (`_parts`), and checked.
_MAX_COMMAND_WORDS = 4_000


def _check_unpackable(phases: list[list[Command]]) -> None:
    longest = max((cmd for phase in phases for cmd in phase), key=len)
    if len(longest) > _MAX_COMMAND_WORDS:
        raise ValueError(f"a {longest[0]!r} of {len(longest)} words, over the {_MAX_COMMAND_WORDS} a commit takes")


def _zadds(key: bytes, entries: list[bytes]) -> list[Command]:
    """ZADD commands adding `entries` to a group, all at score 0 (the entries' bytes give the order)."""
    return [("ZADD", key, *(word for e in part for word in (b"0", e))) for part in _parts(entries)]


def _parts(items: list[T], size: int = 1000) -> Iterator[list[T]]:
    """`items` in runs of at most `size`: a group's entries go in commands of up to 2,002 words
    (`_MAX_COMMAND_WORDS`)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _us(moment: datetime | None) -> int | None:
    return None if moment is None else to_us(moment)
