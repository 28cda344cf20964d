"""NeardupClient and the plain dataclasses it takes and returns."""

from __future__ import annotations

import enum
import ipaddress
import numbers
import operator
import socket
import ssl
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Final, Literal, NamedTuple, TypedDict

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client.errors import (
    CLI_TOKEN_SETTINGS,
    CLIENT_CERT_REFUSED,
    CLIENT_CERT_REQUIRED,
    CLOSED_AT_CONNECT,
    CONNECT_FAILED,
    CONNECTION_REFUSED,
    NEVER_SENT,
    NO_HANDSHAKE,
    NO_METHOD,
    NOT_GRPC,
    OUTCOME_UNKNOWN,
    SERVER_LOAD_ABANDONED,
    SERVER_LOAD_FAILED,
    TLS_ONLY_SERVER,
    TLS_PLAINTEXT_PEER,
    TLS_UNTRUSTED,
    ClientClosedError,
    InvalidArgumentError,
    NeardupClientError,
    StreamEndedEarlyError,
    article_error,
    error_for,
    from_rpc_error,
    lost_mid_call,
    reached_no_server,
    reworded,
)
from client.ordered import in_order
from client.resume import Retry, Unanswered

# Bytes of articles per IndexArticleBatches message: well under the server's receive limit (at least
# 4 MiB), so a batch of long articles is not refused whole as RESOURCE_EXHAUSTED.
MAX_BATCH_BYTES = 1 << 20
# The largest request a server takes by default (gRPC's default receive limit; a server started with
# --max-body-bytes above 1.5 MiB takes 2 x that + 1 MiB). A bigger message fails its whole stream,
# so the client answers such an article itself instead of sending it.
MAX_MESSAGE_BYTES = 4 << 20
# The least max_message_bytes: a request of an article whose title, source and url are at their 16 KiB limits, with a
# body beside them. Below it (0, 100, -1: a slip) every article was refused unsent, the limit named only there.
MIN_MESSAGE_BYTES = 64 << 10
MAX_DELETES_PER_CALL = 1000  # the most ids a DeleteArticles call may name
MAX_PAGE_SIZE = 1000  # the most members a ListGroupMembers call lists (it reads a larger page_size as this)
# The most articles an index stream has sent and not had answered: it reads no further ahead of its caller.
# Twice the server's per-stream window (service.servicer.STREAM_WINDOW, 1024), and over it by a whole
# batch (MAX_BATCH_ARTICLES): the server always has its window's worth, and the next batch waits ready.
STREAM_WINDOW = 2048
MAX_ID_BYTES = 512  # the longest id the server accepts, in UTF-8 bytes
# The longest timeout a call takes: about 31 years. gRPC's deadline overflows past ~9.2e9 s (a timeout of 1e10
# failed every call at once); None is the way to say "no bound".
MAX_TIMEOUT = 1e9
KEEPALIVE_SECONDS = 30.0  # a call that hears nothing this long pings; no answer as long again: UNAVAILABLE
# A server's --min-client-ping-seconds by default: a client pinging more often is sent GOAWAY too_many_pings,
# which ends its calls, so a keepalive_seconds below it is refused (unless min_keepalive_seconds says lower).
MIN_KEEPALIVE_SECONDS = 10.0
MAX_BATCH_ARTICLES = 1000  # the most articles an IndexArticleBatches message may carry (a larger batch is cut)
# The largest answer the client takes: a batch's answers are one message, which long ids and many matches make
# bigger than gRPC's default 4 MiB (the server sends up to this much).
MAX_ANSWER_BYTES = 64 << 20
# gRPC's details when the client's own deadline passed (the server said nothing): the second when it passed while
# the request was still being written (a big article, a very short timeout)
GRPC_DEADLINES = ("Deadline Exceeded", "Stream removed (Deadline Exceeded)")
_OWN_DEADLINE = "no answer came within the client's timeout"  # (what the client says instead)
# What a NeardupClient speaking plaintext to a TLS server says to change (TLS_ONLY_SERVER).
TLS_REMEDY = "connect with tls=True, or a ca_file"


@dataclass(frozen=True)
class TlsRemedies:
    """What to change when a TLS probe (tls_answer) tells why a server closed the connection: the Python client's
    settings (REMEDIES), or the CLI's flags and variables (client.cli_connection.CLI_REMEDIES)."""

    tls: str  # plaintext to a server that serves TLS only
    mtls: str  # plaintext to one that also requires a client certificate
    cert: str  # TLS with no client certificate to one that requires one (CLIENT_CERT_REQUIRED)
    other_cert: str  # a client certificate the server did not accept (CLIENT_CERT_REFUSED)
    # TLS to a plaintext server (TLS_PLAINTEXT_PEER), and a server certificate not trusted (TLS_UNTRUSTED), where gRPC's
    # words say neither plainly, and a port that speaks no gRPC (NOT_GRPC: the metrics port); None where the caller
    # hints at them itself (the CLI: client.cli_connection.cannot_talk_hint)
    plaintext: str | None = None
    untrusted: str | None = None
    not_grpc: str | None = None
    # What a call asks of `{target}` when its deadline passed before any connection there completed gRPC's handshake
    # (NEVER_SENT): whether it names neardup's main port, as the Python client's target or the CLI's --server.
    main_port: str = "is {target} neardup's main port?"
    # What a listener that took the connection and never began gRPC's handshake is (gRPC's NO_HANDSHAKE, an UNAVAILABLE
    # once its connect timeout passed, 20 s) when nothing there ever answered this client; None where the caller hints
    # at it itself (the CLI: client.cli_connection.connection_hint)
    no_handshake: str | None = None
    # What a server that has no such method is (gRPC's UNIMPLEMENTED "Method not found!", answered unread: neardup's
    # health port, another service, a neardup older than the client); None where the caller hints at it itself (the
    # CLI: client.cli_connection.cannot_talk_hint)
    no_method: str | None = None
    # What a port no process listens on is (CONNECTION_REFUSED); None where the caller hints at it itself (the CLI)
    refused: str | None = None


REMEDIES = TlsRemedies(
    tls=TLS_REMEDY,
    mtls="connect with a ca_file (or tls=True), a cert_file and a key_file",
    cert="give cert_file and key_file",
    other_cert="cert_file must be signed by a CA the server trusts (its --tls-client-ca), hold the intermediate CA "
    "certificates between them after its own, if any, and be valid now",
    plaintext="the server at {target} speaks plaintext: connect with tls=False, and no ca_file, cert_file or key_file",
    untrusted="the server's certificate was not accepted: signed by a CA this client does not trust (ca_file names "
    "the CA to trust), or expired or not yet valid",
    not_grpc="{target} is not a gRPC server: if it is neardup's metrics port, connect to its main one",
    no_handshake="something at {target} takes connections but never began gRPC's handshake: it is not a gRPC server "
    "(connect to neardup's main port), or a process that is hung or stopped",
    no_method="{target} does not serve this call: if it is neardup's health port, connect to its main one; "
    "otherwise it is another service, or a neardup server older than this client",
    refused="nothing listens at {target}: is neardup's server running there?",
)
# Why no connection completed gRPC's handshake, of a server that had answered this client on an earlier connection (the
# CLI says it in the same words: client.cli_connection.connection_hint).
HUNG = "the server at {target} had answered on an earlier connection: is it hung or stopped?"
# Why no connection completed gRPC's handshake, where nothing ever answered this client (after TlsRemedies.main_port).
SILENT = (
    "Something that is not a gRPC server, or a process that is hung or stopped, takes connections and never begins "
    "the handshake"
)
# A timeout under this may be too short for a connection to be made (a TLS one to a distant server takes several
# round trips), and for the call to be sent at all: said beside the causes above.
CONNECT_SECONDS = 1.0
DEFAULT_PORT = 50051  # the port `neardup serve` listens on unless told otherwise
# Its health is SERVING only while its store answers (readiness); the server's own, "", until it drains.
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NearDuplicateService"].full_name
OnRetry = Callable[[NeardupClientError, int, float], None]  # (the error, articles to send again, seconds to wait)
_ENVELOPE_BYTES = 1024  # field tags, timestamp, flags: generous, so an article that passes fits

# A Match's relation and a Verdict's outcome, as Literal types: a caller's type checker then catches a
# misspelt comparison (`m.relation == "identicl"`, always False). Each proto value has its own name.
Relation = Literal["identical", "additions", "truncated", "revised", "unspecified"]
IndexOutcome = Literal["new", "replaced", "unchanged", "unknown"]
_RELATION_NAMES: dict[int, Relation] = {
    pb.RELATION_UNSPECIFIED: "unspecified",  # (and a relation this client does not know, a newer server's)
    pb.RELATION_IDENTICAL: "identical",
    pb.RELATION_ADDITIONS: "additions",
    pb.RELATION_TRUNCATED: "truncated",
    pb.RELATION_REVISED: "revised",
}
_OUTCOME_NAMES: dict[int, IndexOutcome] = {
    pb.INDEX_OUTCOME_NEW: "new",
    pb.INDEX_OUTCOME_REPLACED: "replaced",
    pb.INDEX_OUTCOME_UNCHANGED: "unchanged",
}
# An index outcome this client does not know (a newer server's): told apart from a check's None, which said
# nothing was stored.
UNKNOWN_OUTCOME: Final = "unknown"


@dataclass(frozen=True)
class Article:
    """An article to index or check. `id` and `body` are str, and so are `title`, `source` and `url` when known:
    None for one of these three is read as "" (unknown), as a feed's JSON null for a missing title means. Any
    other type, or None for `id` or `body`, is a TypeError naming the field. `published`, if known, is an aware
    datetime (with tzinfo): a naive one is a ValueError, since Python reads it as local time and the server as
    UTC, and nothing says which was meant."""

    id: str
    body: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: datetime | None = None

    def __post_init__(self) -> None:
        _require_strings(self)
        _require_aware(self.published)

    def to_pb(self) -> pb.Article:
        msg = pb.Article(id=self.id, body=self.body, title=self.title, source=self.source, url=self.url)
        if self.published is not None:
            msg.published.FromDatetime(_in_utc(self.published))
        return msg

    @classmethod
    def from_pb(cls, msg: pb.Article) -> Article:
        published = msg.published.ToDatetime(tzinfo=UTC) if msg.HasField("published") else None
        return cls(msg.id, msg.body, msg.title, msg.source, msg.url, published)


@dataclass(frozen=True)
class Passage:
    start: int
    end: int
    other_start: int
    other_end: int


@dataclass(frozen=True)
class Match:
    id: str
    jaccard: float
    containment: float
    relation: Relation  # identical | additions | truncated | revised ("unspecified": one this client does not know)
    passages: tuple[Passage, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "jaccard": round(self.jaccard, 4),
                               "containment": round(self.containment, 4), "relation": self.relation}  # fmt: skip
        if self.passages:
            out["passages"] = [p.__dict__ for p in self.passages]
        return out


@dataclass(frozen=True)
class Verdict:
    """Matches and group of an article. `outcome`, in an index call's answer: "new" (stored under a new
    id), "replaced" (stored in place of the other version under its id) or "unchanged" (this very version
    was stored already: a retry or a re-send); None in a check's; UNKNOWN_OUTCOME ("unknown") for an outcome
    this client does not know, from a newer server (upgrade the client to learn what was done)."""

    id: str
    matches: tuple[Match, ...] = ()
    duplicate_of: str | None = None
    outcome: IndexOutcome | None = None

    @classmethod
    def from_pb(cls, msg: pb.Verdict) -> Verdict:
        matches = tuple(
            Match(m.id, m.jaccard, m.containment, _RELATION_NAMES.get(m.relation, "unspecified"),
                  tuple(Passage(p.start, p.end, p.other_start, p.other_end) for p in m.passages))
            for m in msg.matches
        )  # fmt: skip
        return cls(msg.id, matches, msg.duplicate_of or None, _outcome_name(msg.outcome))

    def as_dict(self) -> dict[str, Any]:
        described: dict[str, Any] = {"id": self.id}
        if self.outcome is not None:
            described["outcome"] = self.outcome
        return described | {"duplicate_of": self.duplicate_of, "matches": [m.as_dict() for m in self.matches]}


def _outcome_name(outcome: pb.IndexOutcome.ValueType) -> IndexOutcome | None:
    """An IndexOutcome's name in a Verdict: None for UNSPECIFIED (a check's), UNKNOWN_OUTCOME for a value
    this client's proto does not have."""
    if outcome == pb.INDEX_OUTCOME_UNSPECIFIED:
        return None
    return _OUTCOME_NAMES.get(outcome, UNKNOWN_OUTCOME)


@dataclass(frozen=True)
class ArticleFailure:
    """One article of a stream that the server rejected; the stream went on."""

    id: str
    error: NeardupClientError  # (its .code says why: INVALID_ARGUMENT for an article refused unsent)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "error": str(self.error)}


@dataclass(frozen=True)
class StoredArticle:
    article: Article
    duplicate_of: str | None
    indexed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        a = self.article
        return {
            "id": a.id, "title": a.title, "body": a.body, "source": a.source, "url": a.url,
            "published": a.published.isoformat() if a.published else None,
            "duplicate_of": self.duplicate_of, "indexed_at": self.indexed_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True)
class GroupMember:
    """A stored article as a group listing shows it: its description, not its text."""

    id: str
    title: str
    source: str
    url: str
    published: datetime | None
    indexed_at: datetime

    @classmethod
    def from_pb(cls, msg: pb.GroupMember) -> GroupMember:
        published = msg.published.ToDatetime(tzinfo=UTC) if msg.HasField("published") else None
        return cls(msg.id, msg.title, msg.source, msg.url, published, msg.indexed_at.ToDatetime(tzinfo=UTC))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source, "url": self.url,
                "published": self.published.isoformat() if self.published else None,
                "indexed_at": self.indexed_at.isoformat()}  # fmt: skip


@dataclass(frozen=True)
class GroupPage:
    """One page of a group: the original first, then by publication time and arrival."""

    original: str  # the group's earliest-published member
    total_size: int  # members in the group, the original included
    members: tuple[GroupMember, ...]
    next_page_token: str  # pass as page_token for the next page; empty on the last


@dataclass(frozen=True)
class Deletion:
    """What `delete_many` did with one id."""

    id: str
    deleted: bool  # False: no article with this id was stored (any more: a repeat), so nothing changed for it

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "deleted": self.deleted}


class IndexParameters(TypedDict):
    """The detection settings the server's index was built with (GetStats' IndexParameters)."""

    shingle_size: int  # words per shingle
    num_perm: int  # MinHash permutations per signature
    lsh_bands: int
    lsh_rows: int  # signature values per LSH band
    seed: int  # of the MinHash permutations
    min_containment: float  # the least containment of a match
    min_shared_shingles: int  # the fewest shared shingles of a match
    max_candidates: int  # candidates verified per article
    boilerplate_after: int  # a passage in this many stories is learned as boilerplate
    fingerprint_scheme: str  # how text becomes shingles and hashes


@dataclass(frozen=True)
class Stats:
    articles: int
    store: str
    uptime_seconds: float
    version: str
    parameters: IndexParameters
    max_body_bytes: int = 0  # the longest body the server takes (0: a server too old to say)
    max_message_bytes: int = 0  # the largest request message it receives


@dataclass
class _Started:
    """A call's start, as its error is read (NeardupClient._error_from): when its deadline passes (time.monotonic()'s;
    None: no timeout), its `timeout`, and whether the client's own channel was then known not to be READY (`unready`:
    no connection whose gRPC handshake had completed, the only kind gRPC sends a call on). `answered`: an answer came
    on the call (an index stream's), so it was sent."""

    deadline: float | None
    timeout: float | None
    unready: bool
    answered: bool = False
    # No other call of this client was in flight as it began, and `order` counts the calls begun until it: another
    # call begun since (another thread's) may have set the channel connecting after this one's connection ended.
    alone: bool = True
    order: int = 0


def _connectivity(channel: grpc.Channel) -> grpc.ChannelConnectivity | None:
    """`channel`'s state this moment, as gRPC's core holds it; None when it cannot be read (a channel that is not
    grpcio's own, as an intercepted one; a closed one). Read from the core channel, grpcio's private attribute (pinned
    in pyproject.toml): grpc.Channel tells its state only through `subscribe`, whose thread made each close() wait
    ~150 ms for its poll (0.2 s) to end, and could raise in that thread as the channel closed (grpc/grpc#18995), and
    which tells each change a moment late (of 300 calls on new channels to a server on this host, 15 were answered
    before READY was told)."""
    check = getattr(getattr(channel, "_channel", None), "check_connectivity_state", None)
    if check is None:
        return None
    try:
        return _CONNECTIVITY.get(check(False))
    except Exception:  # (closed: ValueError; another grpcio's private channel: nothing is told)
        return None


_CONNECTIVITY = {connectivity.value[0]: connectivity for connectivity in grpc.ChannelConnectivity}


class NeardupClient:
    """A connection to one neardup server. Use as a context manager, or call close().

    Every call raises a NeardupClientError when it fails: besides what each method names, UnavailableError
    (no server reached, or it is restarting), DeadlineExceededError (over `timeout`: an index so failed may or
    may not have stored its article; sending it again is safe, and answers UNCHANGED if it had), UnauthenticatedError
    (a token missing or wrong), ResourceExhaustedError (the server full or busy), ClientClosedError (after,
    or cut off by, close())."""

    def __init__(
        self,
        target: str,
        *,
        timeout: float | None = 30.0,
        channel: grpc.Channel | None = None,
        tls: bool = False,
        ca_file: str | Path | None = None,
        cert_file: str | Path | None = None,
        key_file: str | Path | None = None,
        token: str | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        keepalive_seconds: float = KEEPALIVE_SECONDS,
        min_keepalive_seconds: float = MIN_KEEPALIVE_SECONDS,
    ) -> None:
        """`tls` (implied by `ca_file`, and by `cert_file`) speaks TLS, trusting `ca_file` or else the system's roots;
        `cert_file` and `key_file` (PEM, both or neither: a ValueError otherwise) are the client certificate and its
        key a server started with --tls-client-ca (mutual TLS) asks for; `token` is sent as
        `authorization: Bearer <token>` on every call; an article that would make a request over
        `max_message_bytes` (the server's receive limit) is refused here with InvalidArgumentError instead of being
        sent. A `target` without a port ("host", "::1", "[::1]") means DEFAULT_PORT; one gRPC would misread (a port
        outside 1-65535 or not a number, in gRPC's forms "ipv4:", "ipv6:" and "dns:" too, or a URL's scheme) is a
        ValueError.
        While a call is in flight and nothing arrives for `keepalive_seconds`, the connection is pinged, and
        dropped if the ping is not answered as long again: a call to a server that hangs (its host frozen, a
        network path gone) then fails UNAVAILABLE instead of waiting for ever. Servers allow a client ping every
        10 s (--min-client-ping-seconds), and end the connection of one that pings more often, so a
        `keepalive_seconds` below `min_keepalive_seconds` (10) is a ValueError: lower both only for a server
        started with a lower --min-client-ping-seconds. A `timeout` (seconds per call, and per attempt of a call
        made with `retry`, which may so take several; None: no bound) that is not above 0 is a ValueError too:
        every call would fail at once."""
        _require_settings(timeout, keepalive_seconds, min_keepalive_seconds)
        _require_message_bytes(max_message_bytes)
        self.target = target = with_default_port(target)
        self.timeout = timeout
        self.max_message_bytes = max_message_bytes
        self._metadata = bearer_metadata(token)
        tls = tls or ca_file is not None or cert_file is not None
        self._channel = channel or _channel(target, tls, ca_file, keepalive_seconds, cert_file, key_file)
        # (A channel the caller made may carry the caller's other calls, which move its state: not read, `_started`.)
        self._own_channel = channel is None
        self._flight = threading.Lock()  # (guards the two counts of the client's calls, `_started`)
        self._in_flight = self._begun = 0
        # Why a connection closed at its start may be TLS (a plaintext client of a TLS server), or the client's
        # certificate (none, or one the server does not accept): a TLS probe tells, on the client's own channel.
        self._tls_probe = None if channel is not None else _TlsProbe(target, tls, _pair(cert_file, key_file))
        self._closed = threading.Event()  # (an Event, so that close() ends a retry's back-off wait at once)
        # Has a connection to the server completed gRPC's handshake (its channel seen READY, or a call answered)? A
        # call that timed out before any did on a channel that never had is said to be to a port that is not gRPC's.
        self._answered = False
        self._stub = pb_grpc.NearDuplicateServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def __enter__(self) -> NeardupClient:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection. Calls made after it, those in flight and those waiting to retry raise
        ClientClosedError (a call in flight may have been carried out: its answer is lost)."""
        self._closed.set()  # (before the channel closes: the calls it cancels then read as closed by this)
        self._channel.close()
        if self._own_channel:
            _forget_connectivity_watch(self._channel)

    def _require_open(self) -> None:
        if self._closed.is_set():
            message = f"this client of {self.target} is closed (close(), or its with block ended): make a new one"
            raise ClientClosedError(grpc.StatusCode.CANCELLED, message)

    # What a client whose TLS settings cannot talk to the server is told to change (the CLI names its flags instead).
    _remedies: ClassVar[TlsRemedies] = REMEDIES
    # What a client the server refused for want of a token is told to set, in place of the CLI's flags the server names
    # (CLI_TOKEN_SETTINGS); None: the server's words stand (the CLI's client).
    _token_setting: ClassVar[str | None] = (
        "Python client: NeardupClient(token=...), the token itself or client.api.read_token_file(path)"
    )

    def _started(self, timeout: float | None) -> _Started:
        """A call's start (before gRPC is asked to make it), for its error: `timeout`, its own. Each is ended by
        `_ended` once the call is."""
        deadline = None if timeout is None else time.monotonic() + timeout
        connectivity = _connectivity(self._channel) if self._own_channel else None
        if connectivity is grpc.ChannelConnectivity.READY:
            self._answered = True
        unready = connectivity is not None and connectivity is not grpc.ChannelConnectivity.READY
        with self._flight:
            alone = self._in_flight == 0
            self._in_flight += 1
            self._begun += 1
            return _Started(deadline, timeout, unready, alone=alone, order=self._begun)

    def _ended(self) -> None:
        with self._flight:
            self._in_flight -= 1

    def _error_from(
        self, exc: grpc.RpcError, deadline_said: str | None = None, started: _Started | None = None
    ) -> NeardupClientError:
        """The client error for a failed call; ClientClosedError for one cancelled because close() ran. gRPC's
        bare "Deadline Exceeded" (GRPC_DEADLINES), its own deadline's, says `deadline_said` instead (which names the
        timeout), and, when no connection completed gRPC's handshake while the call was in flight (`started`: when
        it began), that the call reached no server (NEVER_SENT), and why that may be.
        A TLS probe waited for is not waited past `started`'s deadline."""
        error = from_rpc_error(exc)
        deadline = None if started is None else started.deadline
        if self._tls_probe is not None and closed_at_connect(error, self._tls_probe.tls):
            within = TLS_PROBE_SECONDS if deadline is None else min(TLS_PROBE_SECONDS, deadline - time.monotonic())
            probe = self._tls_probe
            error = said_of_tls(error, self.target, probe.answer(within), probe.tls, probe.has_cert, self._remedies)
        if hint := _tls_mismatch_hint(error, self._remedies) or _unreached_hint(error, self._remedies):
            return reworded(error, f"{error.details} ({hint.format(target=self.target)})")
        silent = self._remedies.no_handshake
        if silent is not None and error.code == grpc.StatusCode.UNAVAILABLE and NO_HANDSHAKE in error.details:
            said = HUNG if self._answered else silent  # (a server that had answered: not a wrong port)
            return reworded(error, f"{error.details} ({said.format(target=self.target)})")
        own_deadline = error.code == grpc.StatusCode.DEADLINE_EXCEEDED and error.details in GRPC_DEADLINES
        if own_deadline and started is not None and self._never_connected(started):
            return reworded(error, self._never_sent(deadline_said or error.details, started.timeout))
        if own_deadline and deadline_said:
            return reworded(error, deadline_said)
        unauthenticated = error.code == grpc.StatusCode.UNAUTHENTICATED
        if (setting := self._token_setting) and unauthenticated and CLI_TOKEN_SETTINGS in error.details:
            return reworded(error, error.details.replace(CLI_TOKEN_SETTINGS, f"({setting})"))
        if error.code == grpc.StatusCode.CANCELLED and self._closed.is_set():
            message = (
                f"this client of {self.target} was closed (close(), or its with block ended) while the call was "
                f"in flight, so its answer is lost ({error.details})"
            )
            return ClientClosedError(grpc.StatusCode.CANCELLED, message)
        return error

    def _never_connected(self, started: _Started) -> bool:
        """Did no connection to the server complete gRPC's handshake while the call `started` was in flight, so that
        it was not sent (gRPC sends a call only on a connection whose handshake completed: a READY channel)? So when
        the channel was not READY at its start, nothing was answered on it, and the channel is still CONNECTING
        (its state read from gRPC's core, not told late), as to a listener that never begins the handshake. Not
        when it was READY between the two (a connection made, then ended by the server's GOAWAY, with the call in
        flight on it): the channel is IDLE then, or READY again, or failed (TRANSIENT_FAILURE), unless another call
        set it connecting again; so only of a call no other call of the client's overlapped (`_Started.alone`,
        `order`), on the client's own channel (`unready` is never set of another)."""
        if not started.unready or started.answered or not started.alone:
            return False
        with self._flight:
            if self._begun != started.order:
                return False
        return _connectivity(self._channel) is grpc.ChannelConnectivity.CONNECTING

    def _never_sent(self, said: str, timeout: float | None) -> str:
        """The message of a call whose deadline passed (`said`) before any connection completed gRPC's handshake:
        it reached no server (NEVER_SENT), and why, as far as is known: a server that had answered this client may
        be hung or stopped; otherwise a port that is not gRPC's (`_remedies.main_port`), or a process hung or
        stopped; and a `timeout` under CONNECT_SECONDS may be too short to connect in."""
        if self._answered:
            why = HUNG.format(target=self.target)
        else:
            why = f"{self._remedies.main_port.format(target=self.target)} {SILENT}"
        if timeout is not None and timeout < CONNECT_SECONDS:
            why = f"a timeout of {timeout:g} s may be too short to connect in; if not, {why}"
        unshaken = f"no connection to {self.target} completed gRPC's handshake in that time"
        return f"{said}, and {unshaken}, {NEVER_SENT} ({why})"

    def index(
        self, article: Article, *, evidence: bool = False, retry: Retry | None = None, on_retry: OnRetry | None = None
    ) -> Verdict:
        """Compare with everything stored, store, and return the verdict (after it is durable). With `retry`, a
        call that fails with UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED (by a stopping server: the client's own
        cancel is ClientClosedError) or DEADLINE_EXCEEDED is made again, each attempt with its own `timeout`
        (indexing is idempotent), as the server's retry pushback allows (`Retry.pause`): a full store's
        RESOURCE_EXHAUSTED, whose server asks for no retry, is raised at once, saying "not retried" (send the
        article again once an operator has made room). DeadlineExceededError, raised without `retry` or once its
        attempts are spent:
        the article may or may not be stored; sending it again is safe (answered UNCHANGED if it was). The error
        raised once the retries are spent is the last try's, counting them ("after 2 retries, 3 tries in all":
        `retry.attempts` counts retries) and saying too when an earlier try may have stored the article (the
        server's "it was not stored" is of the last try alone), or that none did (no try reached a server).
        InvalidArgumentError, naming the field: an article the server refuses (an empty id or body, a body
        with no words or over its --max-body-bytes), or one refused before it is sent (an unpaired surrogate
        in its text, a published time outside the years 0001..9999 in UTC, a request over max_message_bytes)."""
        self._require_sendable(article)
        request = pb.IndexArticleRequest(article=article.to_pb(), include_evidence=evidence)
        return Verdict.from_pb(self._call(self._stub.IndexArticle, request, retry, on_retry, _STORED).verdict)

    def check(
        self, article: Article, *, evidence: bool = False, retry: Retry | None = None, on_retry: OnRetry | None = None
    ) -> Verdict:
        """The verdict the article would get, storing nothing. With `retry`, and the errors it raises, as `index`."""
        self._require_sendable(article)
        request = pb.CheckArticleRequest(article=article.to_pb(), include_evidence=evidence)
        return Verdict.from_pb(self._call(self._stub.CheckArticle, request, retry, on_retry).verdict)

    def index_stream(
        self,
        articles: Iterable[Article],
        *,
        evidence: bool = False,
        timeout: float | None = None,
        batch: int = 1,
        retry: Retry | None = None,
        on_retry: OnRetry | None = None,
        more_ready: Callable[[], bool] | None = None,
        stop_at_full_store: bool = False,
    ) -> Generator[Verdict | ArticleFailure]:
        """Iterate the outcomes, or nothing is sent: yields one outcome per article, in order, each once durable.

        Nothing is sent before the first outcome is asked for (a generator): `nd.index_stream(articles)` alone
        stores nothing, and a RuntimeWarning says so once the generator is garbage-collected unstarted; to
        index and keep no outcome, `for _ in nd.index_stream(articles): pass`. The settings are checked at
        once (a ValueError for a `timeout` no call could work with, or a `batch` below 1; a TypeError for a
        `batch` that is not a whole number).
        `articles` is read as the stream goes, never more than STREAM_WINDOW (2048) sent articles ahead of
        the outcomes taken: a caller that stops taking them stops the reading, and holds that many at most.
        (Articles refused unsent, each an ArticleFailure, are not counted: a long unbroken run of them is
        read at once, its failures held until taken.)

        With `batch` > 1, up to that many articles (and at most MAX_BATCH_BYTES) travel per
        message (IndexArticleBatches): the same outcomes, for much less CPU per article on both
        sides. A batch is sent once full, or once `more_ready()` (asked after each article, in gRPC's
        sending thread) says the next article is not to hand: `articles` read from a live feed are then
        answered as they come, not once `batch` of them have.
        With `retry`, a stream that fails with UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED or DEADLINE_EXCEEDED is
        opened again and its unanswered articles are sent again (indexing is idempotent), and so is an
        article answered with one of them (its store unreachable, or the server shutting down): it and the articles
        after it are sent again on a new stream. Every article is still answered exactly once, in order; once
        the retries are spent, the last error is raised, counting the tries in a row ("after 2 retries, 3 tries in
        all"). Not so a full store, whose server asks for no retry (gRPC's retry pushback, which `Retry.pause`
        obeys; an article answered RESOURCE_EXHAUSTED always means one): its error ends the stream at once, saying
        "not retried" and naming the article it answered ("that was the answer to article ...") and counting the
        rest of its batch reply (those refused with it, and those answered otherwise); its `unanswered` counts that
        article and those sent after it (send them again once an operator has made room; without `retry`, each is
        answered with its ArticleFailure, unless `stop_at_full_store`: the first then ends the stream as with
        `retry`, its error counting the articles sent after it).
        `on_retry(error, unanswered, wait)` hears of each retry (`unanswered`: 0 when the stream failed with
        every article sent on it answered, as between two articles of a slow feed).
        The error that ends the stream (with or without `retry`) counts the articles it sent and had no answer for
        in its `unanswered`, and its message says they may or may not be stored (sending them again is safe), or
        that they were not (each attempt that sent them reached no server): its `may_be_stored` counts the first.
        A stream that ends without error before every article is answered (a server or proxy cut it short) raises
        StreamEndedEarlyError, an UnavailableError: with `retry`, the articles left are sent again as above.
        An article too big to send is answered with an ArticleFailure in its place, unsent. If iterating
        `articles` raises, the articles before the failure are answered, then the same exception is raised.
        `timeout` bounds each stream as a whole, however long `articles` takes to yield (None, the default: no
        bound; a server that hangs is still noticed, through keepalive_seconds); with `retry`, each stream opened
        again has a `timeout` of its own. After DeadlineExceededError the articles unanswered may or may not be
        stored: sending them again is safe (answered UNCHANGED if they were). Anything in `articles` but an
        Article is a TypeError."""
        _require_timeout(timeout)
        batching = _Batching(_whole_batch(batch), more_ready)
        started = threading.Event()

        def send(sendable: Iterable[Article]) -> Iterator[Verdict | ArticleFailure]:
            return self._stream(sendable, evidence, timeout, batching, retry, on_retry, stop_at_full_store)

        def outcomes() -> Generator[Verdict | ArticleFailure]:
            started.set()
            yield from in_order((self._unsendable(a) or a for a in articles), Article, send)

        stream = outcomes()
        _warn_if_dropped_unstarted(stream, started)
        return stream

    def _stream(
        self,
        articles: Iterable[Article],
        evidence: bool,
        timeout: float | None,
        batch: _Batching,
        retry: Retry | None,
        on_retry: OnRetry | None,
        stop_at_full_store: bool = False,
    ) -> Iterator[Verdict | ArticleFailure]:
        unanswered: Unanswered[Article] = Unanswered(articles, STREAM_WINDOW)
        failures = 0
        sent_before = 0  # the first of the unanswered that an earlier, failed attempt sent: they may be stored
        refused: _Refused | None = None  # an article's refusal raised: the article, and the rest of its batch's reply
        reply = _Reply()  # (how many results of the batch reply being read are yet to be handed on)
        with closing(unanswered):  # (however the stream ends, a reader waiting for room stops)
            while True:
                try:
                    outcomes = self._outcomes(unanswered.attempt(), evidence, timeout, batch, reply)
                    with closing(outcomes):  # (left early: the stream is cancelled at once)
                        for outcome in outcomes:
                            _require_answer_to(unanswered.oldest(), outcome)
                            if (refusal := _refusal_to_raise(outcome, retry, stop_at_full_store)) is not None:
                                # The server could not store it just now (its store unreachable, full, or
                                # shutting down): send it and those after it again, as after a failed stream
                                # (a full store's refusal is raised at once: _back_off_or_raise).
                                # The rest of that batch's reply is read already (no wait): its articles were
                                # answered, most often with the same refusal, not left unanswered.
                                rest = [next(outcomes) for _ in range(reply.left)]
                                refused = _Refused(outcome.id, refusal, rest)
                                # (what on_retry hears: "resending N unanswered articles" counted it among them)
                                refusal.refused_article, refusal.rest_of_batch = outcome.id, len(rest)
                                raise refusal
                            unanswered.answered()
                            sent_before = max(0, sent_before - 1)
                            failures = 0
                            yield outcome
                    if not unanswered.all_answered:  # (ended OK, but too early: retried like a failed stream)
                        raise _ended_early(len(unanswered))
                    break
                except NeardupClientError as exc:
                    failures += 1
                    # (Counted before the wait: the failed attempt's gRPC thread may read one more article meanwhile,
                    # which it never sends. Counted after, that one was said to be sent, maybe stored.)
                    left = len(unanswered)
                    of_the_stream = partial(
                        _with_unanswered,
                        unanswered=left,
                        sent_before=sent_before,
                        failures=failures,
                        refused=refused if refused is not None and refused.error is exc else None,
                    )
                    _back_off_or_raise(exc, failures, retry, on_retry, left, self._closed, of_the_stream)
                    if not _stored_nothing(exc):
                        sent_before = left
        if unanswered.source_error is not None:
            raise unanswered.source_error  # (the caller's own error, raised as is: not retried)

    def _outcomes(
        self,
        articles: Iterable[Article],
        evidence: bool,
        timeout: float | None,
        batch: _Batching,
        reply: _Reply | None = None,
    ) -> Generator[Verdict | ArticleFailure]:
        started = self._started(timeout)
        try:
            for response in self._responses(articles, evidence, timeout, batch, reply or _Reply()):
                if not started.answered:  # (it was sent, on a connection whose handshake completed)
                    started.answered = self._answered = True
                if response.HasField("error"):
                    code = _status_code(response.error.code)
                    yield ArticleFailure(response.id, article_error(code, response.error.message))
                else:
                    yield Verdict.from_pb(response.verdict)
        except grpc.RpcError as exc:
            said = None if timeout is None else f"the stream's timeout of {timeout:g} s (its whole length) passed"
            raise self._error_from(exc, said, started) from None
        except ValueError:  # (gRPC's "Cannot invoke RPC on closed channel!": close() ran since the open check)
            self._require_open()
            raise
        finally:
            self._ended()

    def _responses(
        self, articles: Iterable[Article], evidence: bool, timeout: float | None, batch: _Batching, reply: _Reply
    ) -> Iterator[pb.IndexArticlesResponse]:
        """The stream's results, one by one; `reply.left` counts those of the batch reply being read that are yet
        to be handed on (read already: taking them waits on nothing)."""
        self._require_open()
        if batch.size <= 1:
            requests = (pb.IndexArticlesRequest(article=a.to_pb(), include_evidence=evidence) for a in articles)
            call = self._stub.IndexArticles(requests, timeout=timeout, metadata=self._metadata)
            with _cancelled_when_left(call):
                yield from call
            return
        batches = (
            pb.IndexArticleBatchesRequest(articles=chunk, include_evidence=evidence)
            for chunk in article_batches(articles, min(batch.size, MAX_BATCH_ARTICLES), more_ready=batch.more_ready)
        )
        batch_call = self._stub.IndexArticleBatches(batches, timeout=timeout, metadata=self._metadata)
        with _cancelled_when_left(batch_call):
            for response in batch_call:
                reply.left = len(response.results)
                for result in response.results:
                    reply.left -= 1
                    yield result

    def _unsendable(self, article: Article) -> ArticleFailure | None:
        try:
            self._require_sendable(article)
        except InvalidArgumentError as exc:
            return ArticleFailure(article.id, exc)
        return None

    def _require_sendable(self, article: Article) -> None:
        """Raise InvalidArgumentError if the article is not text protobuf can carry, or would make a request
        over max_message_bytes."""
        if not isinstance(article, Article):  # (a look-alike would pass the checks below and be mistaken for an answer)
            raise TypeError(f"expected a client.Article, got {type(article).__name__}: {article!r:.200}")
        _require_text(article)
        _require_published_in_range(article)
        limit = self.max_message_bytes - _ENVELOPE_BYTES
        fields = (article.id, article.body, article.title, article.source, article.url)
        if 4 * sum(len(f) for f in fields) <= limit:  # (at most 4 bytes a character: no need to encode)
            return
        size = article.to_pb().ByteSize()
        if size > limit:
            encoded, most = _sizes(size, self.max_message_bytes)
            raise InvalidArgumentError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"article.body: the article is {encoded} encoded, over the {most} a request to the server may "
                "carry, so it was not sent (the server stores bodies up to its --max-body-bytes, 1 MiB by "
                "default). Shorten it; if the server's limits were raised, raise max_message_bytes (neardup "
                "--max-message-bytes) to match its max_message_bytes (`neardup stats` shows it)",
            )

    def get(self, article_id: str) -> StoredArticle:
        """The stored article with this id, the article it was found to repeat (duplicate_of) and when it was
        stored; NotFoundError if no article with this id is stored (InvalidArgumentError, unsent, for one no
        article can have: empty, over MAX_ID_BYTES, or not text)."""
        require_id(article_id)
        response = self._call(self._stub.GetArticle, pb.GetArticleRequest(id=article_id))
        return StoredArticle(
            Article.from_pb(response.article),
            response.duplicate_of or None,
            response.indexed_at.ToDatetime(tzinfo=UTC),
        )

    def group_page(self, article_id: str, *, page_size: int = 0, page_token: str = "") -> GroupPage:
        """One page of the group `article_id` belongs to (NotFoundError if it is not stored). page_size 0:
        the server's default (100); one over MAX_PAGE_SIZE asks for that many (the most the server lists a
        page); a negative one is InvalidArgumentError, unsent."""
        require_id(article_id)
        if page_size < 0:  # (below int32's range it failed building the request, a bare ValueError)
            raise InvalidArgumentError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"page_size: is {page_size}; it must be 0 (the server's default, 100) or more, so it was not sent",
            )
        # (the server reads a size over MAX_PAGE_SIZE as MAX_PAGE_SIZE: so does the client, whose request
        # cannot carry one over int32's range)
        size = min(page_size, MAX_PAGE_SIZE)
        request = pb.ListGroupMembersRequest(id=article_id, page_size=size, page_token=page_token)
        r = self._call(self._stub.ListGroupMembers, request)
        members = tuple(GroupMember.from_pb(m) for m in r.members)
        return GroupPage(r.original, r.total_size, members, r.next_page_token)

    def group_pages(self, article_id: str, *, page_size: int = 0) -> Iterator[GroupPage]:
        """Every page of the group `article_id` belongs to, in order, each fetched when it is reached."""
        page = self.group_page(article_id, page_size=page_size)
        yield page
        while page.next_page_token:
            page = self.group_page(article_id, page_size=page_size, page_token=page.next_page_token)
            yield page

    def group_members(self, article_id: str, *, page_size: int = 0) -> Iterator[GroupMember]:
        """Every member of the group `article_id` belongs to, original first, fetched a page at a time."""
        for page in self.group_pages(article_id, page_size=page_size):
            yield from page.members

    def delete(self, article_id: str) -> None:
        """Delete the stored article with this id (its group keeps its other members); NotFoundError if no
        article with this id is stored. For many ids, delete_many: one call, and ids not stored are reported."""
        require_id(article_id)
        self._call(self._stub.DeleteArticle, pb.DeleteArticleRequest(id=article_id), unsure=_DELETED)

    def delete_many(self, article_ids: Sequence[str]) -> list[Deletion]:
        """Delete the stored articles among `article_ids`, MAX_DELETES_PER_CALL a DeleteArticles call (a
        commit each, not one per article); one Deletion per id, in order. Ids not stored are reported
        (deleted=False), not raised; so is an id named again after its article was deleted, so the Deletions
        with deleted=True count the articles removed. If a call fails, the calls before it have deleted their
        articles: sending the same ids again reports those as not stored. Ids the server would refuse (empty, over
        MAX_ID_BYTES) or protobuf cannot send (not text: an unpaired surrogate) raise InvalidArgumentError
        naming their position before any is sent."""
        if isinstance(article_ids, str):  # (a str is a Sequence[str] too: of its letters)
            raise TypeError("delete_many takes a list of ids, not one id: use delete(id), or delete_many([id])")
        for at, article_id in enumerate(article_ids):
            require_id(article_id, f"ids[{at}]")
        out: list[Deletion] = []
        for at in range(0, len(article_ids), MAX_DELETES_PER_CALL):
            request = pb.DeleteArticlesRequest(ids=article_ids[at : at + MAX_DELETES_PER_CALL])
            response = self._call(self._stub.DeleteArticles, request, unsure=_DELETED_MANY)
            out += [Deletion(r.id, r.outcome == pb.DELETE_OUTCOME_DELETED) for r in response.results]
        return out

    def stats(self) -> Stats:
        """The server's article count, store, uptime, version, detection parameters and size limits."""
        r = self._call(self._stub.GetStats, pb.GetStatsRequest())
        p = r.parameters
        parameters = IndexParameters(
            shingle_size=p.shingle_size, num_perm=p.num_perm, lsh_bands=p.lsh_bands, lsh_rows=p.lsh_rows,
            seed=p.seed, min_containment=p.min_containment, min_shared_shingles=p.min_shared_shingles,
            max_candidates=p.max_candidates, boilerplate_after=p.boilerplate_after,
            fingerprint_scheme=p.fingerprint_scheme,
        )  # fmt: skip
        uptime = r.uptime.ToTimedelta().total_seconds()
        return Stats(r.articles, r.store, uptime, r.version, parameters, r.max_body_bytes, r.max_message_bytes)

    def health(self, service: str = "") -> str:
        """SERVING, NOT_SERVING, ... as the standard gRPC health service reports it for `service`: "" the
        server's own (SERVING until it drains), SERVICE_NAME its readiness (SERVING only while its store
        answers). NotFoundError for a service it does not know."""
        response = self._call(self._health.Check, health_pb2.HealthCheckRequest(service=service))
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))

    def wait_ready(self, timeout: float) -> None:
        """Block until the channel connects, or raise UnavailableError. A `timeout` not above 0, infinite or past
        MAX_TIMEOUT is a ValueError, as the client's own (0 said "no server" of a server that was up, and nan
        waited for ever)."""
        _require_number("timeout", timeout)
        if not 0 < timeout <= MAX_TIMEOUT:
            raise ValueError(f"timeout={timeout!r}: give the seconds to wait for the server (above 0, at most "
                             f"{MAX_TIMEOUT:.0e})")  # fmt: skip
        self._require_open()
        self._started(timeout)  # (counted as a call: it sets the channel connecting)
        ready = grpc.channel_ready_future(self._channel)
        try:
            ready.result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise error_for(grpc.StatusCode.UNAVAILABLE, f"no server at {self.target} after {timeout}s") from None
        finally:
            ready.cancel()  # (ends its subscription to the channel's state: left, gRPC's thread went on watching it)
            self._ended()

    def _call(
        self,
        method: Any,
        request: Any,
        retry: Retry | None = None,
        on_retry: OnRetry | None = None,
        unsure: _Unsure | None = None,
    ) -> Any:
        """One unary call; with `retry`, made again after a retryable failure, backing off, up to its attempts.
        `unsure`, for a write: what its error says when the write may have happened unanswered."""
        failures = 0
        earlier_unsure = False  # did an earlier attempt fail after which the write may have happened?
        earlier_reached = False  # did an earlier attempt reach a server (which may have refused it unread)?
        while True:
            self._require_open()
            started = self._started(self.timeout)
            try:
                answer = method(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as exc:
                said = None if self.timeout is None else f"{_OWN_DEADLINE} of {self.timeout:g} s"
                error = self._error_from(exc, said, started)
            except ValueError:  # (as in _outcomes: close() ran since the open check)
                self._require_open()
                raise
            else:
                self._answered = True
                return answer
            finally:
                self._ended()
            failures += 1
            of_the_call = partial(_said_of_the_call, failures=failures, earlier_unsure=earlier_unsure,
                                  earlier_reached=earlier_reached, unsure=unsure)  # fmt: skip
            _back_off_or_raise(error, failures, retry, on_retry, 1, self._closed, of_the_call)
            earlier_unsure = earlier_unsure or _may_have_written(error)
            earlier_reached = earlier_reached or not reached_no_server(error)


def _warn_if_dropped_unstarted(stream: Generator[Any], started: threading.Event) -> None:
    """Have `stream`, once garbage-collected, warn if `started` was never set. The warning points at the line
    that called the caller (index_stream's caller)."""
    caller = sys._getframe(2)
    finalizer = weakref.finalize(stream, _warn_if_never_started, started, caller.f_code.co_filename, caller.f_lineno)
    finalizer.atexit = False  # (a stream still held at exit: no warning printed during shutdown)


def _warn_if_never_started(started: threading.Event, filename: str, lineno: int) -> None:
    """An index stream garbage-collected before its first outcome was asked for sent nothing: say so, as Python
    says of a coroutine never awaited (a RuntimeWarning, shown by default), at the line that made it."""
    if not started.is_set():
        message = (
            "index_stream(...) was never iterated, so none of its articles was sent or stored: iterate its "
            "outcomes (for outcome in nd.index_stream(...): ...)"
        )
        warnings.warn_explicit(message, RuntimeWarning, filename, lineno)


def _sizes(size: int, limit: int) -> tuple[str, str]:
    """Two sizes as people read them: MiB from 1 MiB up, bytes below (a limit of 10 bytes read "0.0 MiB"), and
    bytes for both when MiB would show one number for both ("4.0 MiB encoded, over the 4.0 MiB")."""

    def mib(n: int) -> str:
        return f"{n / 2**20:.1f} MiB"

    if min(size, limit) >= 2**20 and mib(size) != mib(limit):
        return mib(size), mib(limit)
    return f"{size:,} bytes", f"{limit:,} bytes"


def _require_answer_to(article: Article | None, outcome: Verdict | ArticleFailure) -> None:
    """An INTERNAL error if `outcome` does not answer `article`, the oldest sent and unanswered (None: none is):
    answers come in the order sent, each naming its article. A server or proxy that sent one answer too many, or
    dropped one, had every later answer taken for the article before it (a line's verdict written for another
    line's id), and a stray answer past the last raised a bare IndexError."""
    if article is not None and outcome.id == article.id:
        return
    expected = "no article was left unanswered" if article is None else f"article {article.id!r:.200} was next"
    raise error_for(grpc.StatusCode.INTERNAL, f"the server answered article {outcome.id!r:.200} where {expected}: its "
                    "answers no longer match the articles sent (a server or proxy that drops or repeats answers), so "
                    "the stream was ended")  # fmt: skip


def _ended_early(unanswered: int) -> StreamEndedEarlyError:
    """The error of a stream whose answers ended without error while it was not done: the server, or a proxy
    on the way, ended it too early. Nothing says the articles left were stored, so they are sent again."""
    left = (
        f"with {_counted(unanswered, 'article', 'articles')} unanswered"
        if unanswered
        else "before the client had finished sending (its articles may not all have been sent)"
    )
    return StreamEndedEarlyError(
        grpc.StatusCode.UNAVAILABLE,
        f"the server ended the stream {left} (with status OK: it, or a proxy on the way, cut the stream short)",
    )


def _with_unanswered(
    error: NeardupClientError,
    unanswered: int,
    sent_before: int = 0,
    failures: int = 1,
    refused: _Refused | None = None,
) -> NeardupClientError:
    """The error that ends an index stream, with its `unanswered` count, and saying what became of those articles
    (gRPC's "Stream removed" said nothing of them; StreamEndedEarlyError's message counts them already). A stream
    that reached no server (gRPC could not connect), or that the server held while it loaded its index, which then
    failed, reached no store: "may be stored" was wrong. But
    the first `sent_before` of them an earlier attempt sent too, and may have stored: "not stored" only of the
    others. After retries (`failures` attempts in a row failed), it counts them, as a unary call's error does.
    `refused`: the article whose refusal `error` is (a full store's, or one past the retries), the first of the
    `unanswered` (counted there, as one to send again): it was answered, with that refusal, whose message says what
    became of it; so were the articles after it in the same batch reply, most often with the same refusal ("nothing
    of the batch was stored"); "left unanswered" is said of the articles sent after those alone."""
    if failures > 1:
        error = reworded(error, f"{error.details} ({_tries(failures)})")
    if refused is not None and unanswered:
        return _refused_in_stream(error, refused, unanswered)
    stored_nothing = _stored_nothing(error)
    if unanswered and not isinstance(error, StreamEndedEarlyError):
        them = (_counted(unanswered, "article", "articles"), _were(unanswered), "it" if unanswered == 1 else "them")
        if stored_nothing and not sent_before:
            left = f"{them[0]} sent on the stream {them[1]} not stored"
        else:
            left = (
                f"{them[0]} sent on the stream {them[1]} left unanswered, and may or may not be stored: sending "
                f"{them[2]} again is safe, none is stored twice"
            )
            if stored_nothing and sent_before < unanswered:
                fresh = unanswered - sent_before
                left += f" (the last {fresh:,}, which no earlier attempt sent, {_were(fresh)} not stored)"
        error = reworded(error, f"{error.details}; {left}")
    error.unanswered = unanswered
    error.may_be_stored = min(sent_before, unanswered) if stored_nothing else unanswered
    return error


def _refused_in_stream(error: NeardupClientError, refused: _Refused, unanswered: int) -> NeardupClientError:
    """`_with_unanswered` of an index stream ended by the refusal of article `refused`, the first of `unanswered`,
    and the rest of its batch reply (answered: the same refusal, most often, or another answer, dropped)."""
    same = sum(isinstance(o, ArticleFailure) and o.error.code == error.code for o in refused.rest)
    other = len(refused.rest) - same
    said = f"that was the answer to article {refused.id!r}"
    if same:
        said += f" and to the {_counted(same, 'article', 'articles')} after it in the same batch (refused with it)"
    if other:
        its = "its answer" if other == 1 else "their answers"
        said += (f", and {_counted(other, 'other article', 'other articles')} of that batch {_were(other)} answered "
                 f"otherwise ({its} not kept: sent again, each is answered again)")  # fmt: skip
    after = max(unanswered - 1 - len(refused.rest), 0)
    if after:
        them = (f"{_counted(after, 'article', 'articles')} sent on the stream after "
                f"{'those' if refused.rest else 'it'} {_were(after)}")  # fmt: skip
        it = "it" if after == 1 else "them"
        left = (f"{them} left unanswered, and may or may not be stored: sending {it} again is safe, none is stored "
                "twice")  # fmt: skip
    else:
        left = f"none was sent after {'those' if refused.rest else 'it'}"
    error = reworded(error, f"{error.details}; {said}, and {left}")
    error.unanswered = error.may_be_stored = unanswered
    return error


@dataclass
class _Reply:
    """The results of the batch reply being read that are yet to be handed on (0 for one article a message)."""

    left: int = 0


@dataclass(frozen=True)
class _Refused:
    """An article's refusal an index stream raised: the article's id, the refusal, and the outcomes of the rest of
    its batch reply (read with it)."""

    id: str
    error: NeardupClientError
    rest: list[Verdict | ArticleFailure]


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _refusal_to_raise(
    outcome: Verdict | ArticleFailure, retry: Retry | None, stop_at_full_store: bool
) -> NeardupClientError | None:
    """The error of an article whose refusal ends the stream's attempt: with `retry`, any refusal for now (sent
    again, unless the retries are spent or its server asks for no retry); without, a full store's alone, with
    `stop_at_full_store` (else it is answered with its ArticleFailure, as any other refusal)."""
    refusal = _refusal_for_now(outcome)
    if retry is not None or refusal is None:
        return refusal
    return refusal if stop_at_full_store and refusal.store_full else None


def _refusal_for_now(outcome: Verdict | ArticleFailure) -> NeardupClientError | None:
    """The error of an article the server could not store just now (a retryable one: UNAVAILABLE, ...)."""
    error = outcome.error if isinstance(outcome, ArticleFailure) else None
    return error if error is not None and error.retryable else None


@contextmanager
def _cancelled_when_left(call: Any) -> Iterator[None]:
    """Cancel a stream left before its end (an answer to retry, or a caller that stopped reading), so the
    server stops reading and answering it now rather than when the call is garbage-collected."""
    try:
        yield
    finally:
        call.cancel()  # (a no-op once the call has ended)


def _back_off_or_raise(
    error: NeardupClientError,
    failures: int,
    retry: Retry | None,
    on_retry: OnRetry | None,
    unanswered: int,
    closed: threading.Event,
    said: Callable[[NeardupClientError], NeardupClientError] | None = None,
) -> None:
    """After `failures` failed attempts in a row, the last with `error`: raise it (as `said` words it, saying what
    it means for the whole call) unless `retry` allows another attempt (`Retry.pause`: its server's retry pushback
    may forbid one, or ask for a longer wait); otherwise tell `on_retry` and wait before it (the server is
    restarting or busy). The wait ends early when `closed` is set (close() ran): the next attempt then raises
    ClientClosedError."""
    wait = None if retry is None or not error.retryable else retry.pause(failures, error.retry_pushback)
    if wait is None:
        if retry is not None and error.retryable and failures <= retry.attempts:
            error = _pushed_back(error, retry)  # (its retries were not spent: the server's pushback forbade one)
        raise error if said is None else said(error)
    if on_retry is not None:
        on_retry(error, unanswered, wait)
    closed.wait(wait)


def _pushed_back(error: NeardupClientError, retry: Retry) -> NeardupClientError:
    """`error`, not retried though `retry` had tries left, saying why: its server's retry pushback (gRFC A6) asked
    for no retry (a full store), or for a wait over the longest `retry` grants one."""
    pushback = error.retry_pushback
    if pushback is None or pushback < 0:
        why = "the server asked for no retry"
    else:
        why = f"the server asked for a wait of {pushback:g} s, over the {retry.longest_pushback:g} s this Retry allows"
    return reworded(error, f"{error.details} (not retried: {why})")


def _may_have_written(error: NeardupClientError) -> bool:
    """Might the unary call that failed with `error` have done its write, its answer lost?"""
    return error.code in OUTCOME_UNKNOWN and not _stored_nothing(error)


def _stored_nothing(error: NeardupClientError) -> bool:
    """Did the call (a stream: the attempt) that failed with `error` store nothing, whatever it sent? So when it
    reached no server (gRPC could not connect: it sent nothing), a server held it while it loaded its index and
    the load failed or the server was stopped before it was done, or its token was refused (UNAUTHENTICATED,
    PERMISSION_DENIED: the server's interceptor, or a proxy, refuses the call before any handler reads it), or the
    server has no such method (UNIMPLEMENTED: the health port, another service; gRPC answers that unread)."""
    return (
        error.code in _REFUSED_UNREAD
        or reached_no_server(error)
        or any(words in error.details for words in (SERVER_LOAD_FAILED, SERVER_LOAD_ABANDONED))
    )


_REFUSED_UNREAD = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNIMPLEMENTED)


@dataclass(frozen=True)
class _Unsure:
    """What a write's error says when the write may have happened though no answer said so."""

    now: str  # when this attempt's outcome is not known (the client's own deadline passed)
    earlier: str  # when an earlier attempt's is not (it may have reached a server, and its answer was lost)
    undone: str  # when no attempt did it (each reached no server, or was refused unread)


_STORED = _Unsure(
    "the article may or may not be stored: sending it again is safe, it is not stored twice",
    "an earlier try may have stored it: sending it again is safe, it is not stored twice",
    "it was not stored",
)
_DELETED = _Unsure(
    "the article may or may not be deleted: deleting it again is safe (NOT_FOUND if it was)",
    "an earlier try may have deleted it: deleting it again is safe (NOT_FOUND if it was)",
    "it was not deleted",
)
_DELETED_MANY = _Unsure(
    "this call's articles may or may not be deleted (the calls before it deleted theirs): deleting them again is "
    "safe (an id deleted is then reported not stored)",
    "an earlier try may have deleted them: deleting them again is safe (an id deleted is then reported not stored)",
    "this call's articles were not deleted (the calls before it deleted theirs)",
)


def _said_of_the_call(
    error: NeardupClientError, failures: int, earlier_unsure: bool, earlier_reached: bool, unsure: _Unsure | None
) -> NeardupClientError:
    """The error to raise for a call whose last of `failures` attempts failed with `error`: a server's message
    describes that attempt alone ("it was not stored"), while an earlier one may have done the write
    (`earlier_unsure`), and one that reached no server did nothing (`earlier_reached`: an earlier one reached one);
    gRPC's own deadline (reworded by _error_from) says nothing of the write, unless the call reached no server
    (NEVER_SENT: no connection completed gRPC's handshake in time), which did not do it. After retries, it counts
    them, and the tries in all (Retry's `attempts` counts the retries: Retry(attempts=2) makes 3 tries), whatever the
    error."""
    details = error.details
    tries = _tries(failures)
    deadline = error.code == grpc.StatusCode.DEADLINE_EXCEEDED
    if unsure is not None and deadline and reached_no_server(error) and not earlier_unsure:
        # (no connection completed gRPC's handshake in time: this try was not sent, nor was any earlier one that
        # might have done the write)
        details = details.replace(NEVER_SENT, f"{NEVER_SENT}, and {unsure.undone}", 1)
        details += f" ({tries})" if failures > 1 else ""
    elif unsure is not None and deadline and details.startswith(_OWN_DEADLINE) and not reached_no_server(error):
        details = f"{details}, so {unsure.now}" + (f" ({tries})" if failures > 1 else "")
    elif unsure is not None and lost_mid_call(error):  # (gRPC's "Stream removed (Socket closed)" said nothing of it)
        details = f"{details}: the connection was lost once the call was sent, so {unsure.now}"
        details += f" ({tries})" if failures > 1 else ""
    elif failures == 1:
        pass
    elif unsure is not None and earlier_unsure:  # (after its own deadline, the call has said the write may be done)
        details = f"{details} ({tries}; {unsure.earlier})"
    elif unsure is not None and reached_no_server(error):  # (and no earlier try may have done the write)
        done = "none reached a server" if not earlier_reached else "none did the write"
        details = f"{details} ({tries}; {done}, so {unsure.undone})"
    else:
        details = f"{details} ({tries})"
    return error if details == error.details else reworded(error, details)


def _tries(failures: int) -> str:
    """The tries a call made when the last of `failures` in a row failed ("after 2 retries, 3 tries in all")."""
    return f"after {_counted(failures - 1, 'retry', 'retries')}, {failures} tries in all"


def _counted(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _require_text(article: Article) -> None:
    """Raise InvalidArgumentError if a field holds an unpaired surrogate (JSON's "\\ud800" decodes to one): it
    is not text, protobuf cannot encode it, and raised while a stream is sent it would end the stream."""
    for name in ("id", "body", "title", "source", "url"):
        text: str = getattr(article, name)
        if text.isascii():
            continue
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise InvalidArgumentError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"article.{name}: holds an unpaired surrogate (U+{ord(text[exc.start]):04X} at character "
                f"{exc.start}), which is not text, so it was not sent; fix the text where it was made",
            ) from None


_REQUIRED_TEXT = ("id", "body")
_OPTIONAL_TEXT = ("title", "source", "url")  # None: not known, read as ""


def _require_strings(article: Article) -> None:
    """Read None as "" in the optional text fields; refuse anything else that is not a str, naming the field
    (found later, it was a bare AttributeError from deep in the checks, naming no field, and ended a stream)."""
    for name in _OPTIONAL_TEXT:
        if getattr(article, name) is None:
            object.__setattr__(article, name, "")  # (frozen: set as the dataclass's own __init__ does)
    for name in _REQUIRED_TEXT + _OPTIONAL_TEXT:
        value = getattr(article, name)
        if not isinstance(value, str):
            given = "None (it is required)" if value is None else f"{type(value).__name__} {value!r:.60}"
            raise TypeError(f"Article.{name}: expected a str, got {given}")


def _require_aware(published: datetime | None) -> None:
    """Refuse a `published` that is not a datetime, or one without a time zone (naive)."""
    if published is None:
        return
    if not isinstance(published, datetime):
        raise TypeError(f"Article.published: expected a datetime or None, got {type(published).__name__}")
    if published.utcoffset() is None:
        raise ValueError(
            f"Article.published: {published.isoformat()} has no time zone, so it could be local time or UTC: "
            "pass an aware datetime, e.g. datetime(..., tzinfo=UTC), or .astimezone() for this machine's local time"
        )


def _in_utc(moment: datetime) -> datetime:
    """`moment` (aware: Article refuses a naive one) in UTC."""
    return moment.astimezone(UTC)


def _require_published_in_range(article: Article) -> None:
    """Raise InvalidArgumentError if `published` falls outside the years 0001..9999 once in UTC (a placeholder
    such as 0001-01-01T00:00:00+05:00 does): no timestamp can carry it, and raised while a stream is sent,
    it would end the stream."""
    if article.published is None:
        return
    try:
        _in_utc(article.published)
    except OverflowError:
        raise InvalidArgumentError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"article.published: {article.published.isoformat()} is outside the years 0001..9999 in UTC, so it "
            "was not sent; leave it out if the date is unknown",
        ) from None


def require_id(article_id: str, name: str = "id") -> None:
    """Raise InvalidArgumentError, naming `name`, if the server would refuse `article_id` (empty, or over
    MAX_ID_BYTES in UTF-8), or protobuf could not send it (an unpaired surrogate: it raised UnicodeEncodeError
    while the request was built, after delete_many's earlier calls had deleted their ids). An id that is no str
    (5, b"a") is a TypeError naming `name`, as Article's is: it was an AttributeError from within."""
    if article_id is not None and not isinstance(article_id, str):
        raise TypeError(f"{name}: expected a str, got {type(article_id).__name__}")
    if not article_id:
        raise InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f"{name}: is required")
    try:
        encoded = article_id.encode()
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"{name}: holds an unpaired surrogate (U+{ord(article_id[exc.start]):04X} at character {exc.start} of "
            f"{article_id[:40]!r}{'…' if len(article_id) > 40 else ''}), which is not text, so it was not sent "
            "(a byte that is not UTF-8 in a command-line argument reads as one, as JSON's \\ud800 does)",
        ) from None
    if len(encoded) > MAX_ID_BYTES:
        raise InvalidArgumentError(
            grpc.StatusCode.INVALID_ARGUMENT, f"{name}: is longer than {MAX_ID_BYTES} bytes, so no article can have it"
        )


def _forget_connectivity_watch(channel: grpc.Channel) -> None:
    """Drop the closed channel's record of who watches its connectivity, which its __del__ locks at the interpreter's
    exit. gRPC's thread that watches it (started by wait_ready; it looks every 0.2 s) may still run then, and be
    frozen where it stands, that lock held: a process that had called wait_ready with a short timeout hung at exit, 1
    run in 10. The thread keeps the record it was given; a closed channel has no watcher to tell. (grpcio's own
    state, looked up defensively: a grpcio without it has nothing to drop.)"""
    if getattr(channel, "_connectivity_state", None) is not None:
        channel._connectivity_state = None  # type: ignore[attr-defined]


def _require_message_bytes(max_message_bytes: int) -> None:
    """TypeError for a max_message_bytes that is no whole number ("4194304", 4.5), ValueError for one below
    MIN_MESSAGE_BYTES: both were taken, and every article was then refused, "over the -1 bytes a request may carry",
    or the call failed comparing a string."""
    if isinstance(max_message_bytes, bool) or not isinstance(max_message_bytes, numbers.Integral):
        raise TypeError(f"max_message_bytes={max_message_bytes!r}: give the bytes as a whole number")
    if max_message_bytes < MIN_MESSAGE_BYTES:
        raise ValueError(f"max_message_bytes={max_message_bytes!r}: give at least {MIN_MESSAGE_BYTES} (an article with "
                         f"its title, source and url at their 16 KiB limits); the default is {MAX_MESSAGE_BYTES}, the "
                         "server's own")  # fmt: skip


def _require_settings(timeout: float | None, keepalive_seconds: float, min_keepalive_seconds: float) -> None:
    """ValueError, naming the setting, for a timeout or keepalive no call could work with."""
    _require_timeout(timeout)
    _require_number("keepalive_seconds", keepalive_seconds)
    _require_number("min_keepalive_seconds", min_keepalive_seconds)
    if not keepalive_seconds > 0:
        raise ValueError(f"keepalive_seconds={keepalive_seconds!r}: give the seconds between pings, above 0")
    if not keepalive_seconds >= min_keepalive_seconds:
        raise ValueError(
            f"keepalive_seconds={keepalive_seconds!r} is below the {min_keepalive_seconds:g} s a server allows "
            "between pings (its --min-client-ping-seconds): it would end the connection (GOAWAY too_many_pings). "
            "If the server was started with a lower --min-client-ping-seconds, pass that as min_keepalive_seconds"
        )


def _whole_batch(batch: int) -> int:
    """`batch` as an int: a TypeError if it is not a whole number, a ValueError if it is below 1 (0 and -3 were taken
    as 1, silently, and 2.5 as no count at all: only MAX_BATCH_BYTES cut the messages). Any integer type is taken
    (a numpy count, say), but not a bool, though Python counts one an int: True or False where a count of articles
    goes is a mix-up (a flag in the wrong place), which True taken as 1 would hide."""
    try:
        whole = operator.index(batch)
    except TypeError:
        whole = None
    if whole is None or isinstance(batch, bool):
        raise TypeError(f"batch={batch!r}: give a whole number of articles a message, 1 or more (1: a message each)")
    if whole < 1:
        raise ValueError(
            f"batch={batch!r}: give how many articles a message may carry, 1 or more (1: a message each; at most "
            f"{MAX_BATCH_ARTICLES} travel in one)"
        )
    return whole


def _require_timeout(timeout: float | None) -> None:
    """ValueError for a timeout no call could work with: not above 0, or infinite or past MAX_TIMEOUT (gRPC's
    deadline overflows, and it failed every call at once with a bare "Deadline Exceeded"); TypeError for one that is
    no number."""
    if timeout is not None:
        _require_number("timeout", timeout)
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
        raise ValueError(
            f"timeout={timeout!r}: give the seconds a call may take (above 0, at most {MAX_TIMEOUT:.0e}), "
            "or None for no bound"
        )


def _require_number(name: str, value: object) -> None:
    """TypeError naming the setting for seconds given as no number ("5", True): comparing them failed in Python's
    words."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):  # (numpy's numbers, Fraction: as before)
        raise TypeError(f"{name}={value!r}: give the seconds as a number")


def with_default_port(target: str) -> str:
    """`target` with neardup's port added when it names a host alone ("localhost", "10.0.0.7", "[::1]", "::1"):
    gRPC would otherwise try 443. Targets in gRPC's own forms ("unix:/path", "dns:///host:1") are kept.
    ValueError, saying what to write, for what gRPC would misread: a bare number (a port meant for some host,
    read as a host), a colon with no port after it (read as port 443), and a URL's scheme ("http://host:1",
    which gRPC refused as a "Misformatted domain name"), and a port that is not a number from 1 to 65535 ("host:abc"
    failed each call UNAVAILABLE, which reads like a server that is down; gRPC took "host:99999" as port 34463,
    99999 less 65536, another server's); in gRPC's own forms too ("ipv4:127.0.0.1:99999", "dns:///host:99999",
    "ipv6:[::1]:0x"), whose ports gRPC read the same way."""
    if target.startswith(_GRPC_SCHEMES):  # (a unix: path may hold a space)
        _require_ports(target)
        return target
    if any(c.isspace() for c in target):  # (gRPC: "Misformatted domain name", naming no space)
        stripped = target.strip()
        shown = stripped if stripped and not any(c.isspace() for c in stripped) else f"localhost:{DEFAULT_PORT}"
        raise ValueError(f"the server address {target!r} holds a space: give host:port without one, e.g. {shown!r}")
    scheme, slashes, rest = target.partition("://")
    if slashes:
        tls = ", with --tls (tls=True) for TLS" if scheme.lower() in ("https", "grpcs") else ""
        raise ValueError(
            f"the server address {target!r} begins with {scheme}://: give host:port, no scheme, e.g. "
            f"{rest.rstrip('/') or 'localhost:' + str(DEFAULT_PORT)!r}{tls}"
        )
    if target.isdigit():
        raise ValueError(f"the server address {target!r} is a port alone: give a host too, e.g. 'localhost:{target}'")
    if _is_ipv6_address(target):  # (its colons are not a port's: brackets set the port apart)
        return f"[{target}]:{DEFAULT_PORT}"
    if ":" not in target or (target.startswith("[") and target.endswith("]")):
        return f"{target}:{DEFAULT_PORT}"
    if target.endswith(":"):
        raise ValueError(
            f"the server address {target!r} has no port after its colon: give host:port, e.g. "
            f"'{target}{DEFAULT_PORT}', or the host alone for port {DEFAULT_PORT}"
        )
    _require_one_host(target)
    _require_ports(target)
    return target


def _require_one_host(target: str) -> None:
    """ValueError, saying what to write, for a host:port whose host gRPC cannot read: several addresses ("a:1,b:2",
    gRPC's list form is "ipv4:a:1,b:2"), or an IPv6 address before a port without brackets ("::1:7000"). gRPC said
    "Misformatted domain name" of both."""
    if "," in target:
        raise ValueError(f"the server address {target!r} names several: give one host:port, or a list in gRPC's "
                         f"form, 'ipv4:{target}' (or 'ipv6:' with bracketed addresses)")  # fmt: skip
    host, _, port = target.rpartition(":")
    if ":" in host and not host.startswith("["):
        raise ValueError(f"the server address {target!r} is an IPv6 address and a port without brackets: write "
                         f"'[{host}]:{port}'")  # fmt: skip


MAX_PORT = 65535
# The port gRPC gives an address named without one (https').
GRPC_DEFAULT_PORT = 443


class TargetAddress(NamedTuple):
    """A host:port that a server address names (target_addresses)."""

    host: str  # without an IPv6 address's brackets
    port: str | None  # as written (not checked); None when none is given, or where it begins is not clear
    text: str  # the host:port as the target writes it
    at: int  # where `text` begins in the target


def target_addresses(target: str) -> list[TargetAddress]:
    """The host:port addresses that the server address `target` names, in order: host:port or [IPv6]:port, and
    those of gRPC's forms that name some: "dns:[//authority/]host[:port]" (the authority, a DNS server's address,
    is not the target's), "ipv4:address[:port][,...]" and "ipv6:address|[address]:port[,...]"; [] for the forms
    that name none (unix:, unix-abstract: name paths, vsock: a cid and its own port). A port left out, or not told
    apart from a host holding colons of its own unbracketed ("ipv6:::1", "fe80::1:7000"), is None. Read both by
    with_default_port, which checks each port, and by the TLS probe, which connects to each address."""
    if not target.startswith(_GRPC_SCHEMES):
        return [_target_address(target, 0)]
    scheme, _, rest = target.partition(":")
    if scheme not in ("dns", "ipv4", "ipv6"):
        return []
    at = len(scheme) + 1
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        at, rest = at + 2 + len(authority) + len(slash), path
    named = []
    for text in rest.split(",") if scheme != "dns" else [rest]:
        if scheme == "ipv6" and not text.startswith("["):  # (ipv6:::1: an address alone, no port)
            named.append(TargetAddress(text, None, text, at))
        else:
            named.append(_target_address(text, at))
        at += len(text) + 1
    return named


def _target_address(text: str, at: int) -> TargetAddress:
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]:")
        if not bracket:
            return TargetAddress(text[1:].removesuffix("]"), None, text, at)
        return TargetAddress(host, port, text, at)
    host, colon, port = text.rpartition(":")
    if not colon or ":" in host:
        return TargetAddress(text, None, text, at)
    return TargetAddress(host, port, text, at)


def _port_number(port: str | None) -> int | None:
    """The port `port` names (GRPC_DEFAULT_PORT for None), or None for one that is not a whole number from 1 to
    MAX_PORT."""
    if port is None:
        return GRPC_DEFAULT_PORT
    return int(port) if port.isascii() and port.isdigit() and 1 <= int(port) <= MAX_PORT else None


def _require_ports(target: str) -> None:
    """ValueError, naming the port and what to write instead, for a host:port that `target` names
    (target_addresses) whose port is not a whole number from 1 to MAX_PORT: gRPC read one outside 1-65535 modulo
    65536, and one not a number failed each call. (A port left out is gRPC's 443, as before; a host holding colons
    of its own, not bracketed, is left to gRPC: where its port begins is not clear.)"""
    for address in target_addresses(target):
        port = address.port
        if port is None or _port_number(port) is not None:
            continue
        what = "outside" if port.isascii() and port.isdigit() else "not a number in"
        end = address.at + len(address.text)
        raise ValueError(
            f"the server address {target!r} has port {port!r}, {what} the range 1-{MAX_PORT}: give host:port with "
            f"a port in it, e.g. '{target[: end - len(port)]}{DEFAULT_PORT}{target[end:]}'"
        )


# The forms of target gRPC reads itself (its name resolvers): kept as they are.
_GRPC_SCHEMES = ("dns:", "unix:", "unix-abstract:", "vsock:", "ipv4:", "ipv6:")


def _is_ipv6_address(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False


RECONNECT_MAX_MS = 2000  # the longest gRPC waits between two attempts to reach the server (before jitter, ±20%)


def _channel(
    target: str,
    tls: bool,
    ca_file: str | Path | None,
    keepalive_seconds: float,
    cert_file: str | Path | None = None,
    key_file: str | Path | None = None,
) -> grpc.Channel:
    keepalive_ms = round(keepalive_seconds * 1000)
    options = [
        ("grpc.max_receive_message_length", MAX_ANSWER_BYTES),
        ("grpc.keepalive_time_ms", keepalive_ms),
        ("grpc.keepalive_timeout_ms", keepalive_ms),
        ("grpc.http2.ping_timeout_ms", keepalive_ms),  # (what the keepalive ping waits for, in grpcio 1.85: 60 s)
        # gRPC waits longer and longer between attempts to reach a server that is down (1 s, x1.6, to 120 s), and
        # fails each call at once meanwhile: a server back from a 45 s restart was still "Connection refused"
        # for 20 s more, past a Retry's attempts. Capped, the client finds it back within about 2 s.
        ("grpc.initial_reconnect_backoff_ms", 500),
        ("grpc.max_reconnect_backoff_ms", RECONNECT_MAX_MS),
    ]
    pair = _pair(cert_file, key_file)
    if not tls and pair is None:
        return grpc.insecure_channel(target, options)
    roots = Path(ca_file).read_bytes() if ca_file is not None else None
    if ca_file is not None:
        _require_certificates(ca_file)
    cert = key = None
    if pair is not None:
        cert, key = Path(pair[0]).read_bytes(), Path(pair[1]).read_bytes()  # (an OSError names the file)
        _require_client_pair(*pair)
    credentials = grpc.ssl_channel_credentials(root_certificates=roots, private_key=key, certificate_chain=cert)
    return grpc.secure_channel(target, credentials, options)


def open_channel(
    target: str,
    *,
    tls: bool = False,
    ca_file: str | Path | None = None,
    cert_file: str | Path | None = None,
    key_file: str | Path | None = None,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> grpc.Channel:
    """The channel a NeardupClient opens (`tls`, implied by `ca_file` and `cert_file`, trusting `ca_file` or else
    the system's roots; `cert_file` and `key_file`, both or neither, the client certificate a server started with
    --tls-client-ca asks for), for a tool that calls the stubs itself (neardup-bench): one place sets up TLS and
    keepalive."""
    tls = tls or ca_file is not None or cert_file is not None
    return _channel(with_default_port(target), tls, ca_file, keepalive_seconds, cert_file, key_file)


def _pair(cert_file: str | Path | None, key_file: str | Path | None) -> tuple[str, str] | None:
    """The client certificate and key files, or None for neither; a ValueError for one without the other (gRPC
    would send no certificate, and a server requiring one would only close each connection)."""
    if (cert_file is None) != (key_file is None):
        given, missing = ("cert_file", "key_file") if key_file is None else ("key_file", "cert_file")
        raise ValueError(f"{given} without {missing}: a client certificate goes with its key, give both or neither")
    return None if cert_file is None or key_file is None else (str(cert_file), str(key_file))


def _require_client_pair(cert_file: str, key_file: str) -> None:
    """ValueError naming both files if they cannot be a client certificate and its key: gRPC would fail each call
    UNAVAILABLE, as of a server that is down, or send no certificate at all."""
    try:
        # (a password callback: without one, OpenSSL asks for an encrypted key's password on the terminal)
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert_file, key_file, password=lambda: b"")
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc):
            why = f"the key in {key_file} is not the key of the certificate in {cert_file}"
        else:
            why = "they must be a PEM certificate (chain) and its PEM private key, unencrypted"
        raise ValueError(
            f"the client certificate {cert_file} and key {key_file} cannot be used: {why} ({exc})"
        ) from None


TLS_PROBE_SECONDS = 2.0  # the longest a TLS probe (resolving, connecting, the handshake) may take, or be waited for
TLS_PROBE_FRESH_SECONDS = 5.0  # how long a probe's answer stands: calls, threads and retries meanwhile take it


def closed_at_connect(error: NeardupClientError, tls: bool = False) -> bool:
    """Did `error` end a call whose connection was closed before gRPC's handshake was done ("Socket closed")? Of a
    plaintext call (not `tls`), a TLS server does so, and so does a forwarder whose server is not up yet: a TLS
    probe tells them apart. Of a TLS call, only a bare "Socket closed" counts: a server that refuses the client's
    certificate (or its absence) closes the connection after a TLS 1.3 handshake, which gRPC says so; a connection
    closed during the handshake (nothing listening behind a forwarder, a server that stopped) is gRPC's "Handshake
    read failed (Socket closed)", which no probe is made for (a probe cost up to TLS_PROBE_SECONDS and a thread)."""
    if not reached_no_server(error):
        return False
    if tls:  # ("… last error: UNAVAILABLE: ipv4:127.0.0.1:50051: Socket closed")
        return error.details.rsplit(": ", 1)[-1] == CLOSED_AT_CONNECT
    return CLOSED_AT_CONNECT in error.details


def said_to_serve_tls(error: NeardupClientError, target: str, remedy: str = TLS_REMEDY) -> NeardupClientError:
    """`error`, closed_at_connect by host:port `target` where a TLS handshake completes, saying the server serves
    TLS and `remedy` (what to change). Said so, the error is not retryable (TLS_ONLY_SERVER): no retry mends it."""
    return reworded(error, f"{error.details} (the server at {target} {TLS_ONLY_SERVER}: {remedy})")


class TlsAnswer(enum.Enum):
    """What a TLS probe of a port found (tls_answer)."""

    NONE = "none"  # no TLS handshake completed there (none within the time, nothing listening, plaintext)
    SERVES = "serves"  # a TLS handshake completes, and nothing says the client's certificate was refused
    REFUSES_CLIENT = "refuses the client"  # handshakes complete, but one ends at the client's certificate (or none)


def _unreached_hint(error: NeardupClientError, remedies: TlsRemedies) -> str | None:
    """Why a call reached no neardup server, where gRPC's words do not say it plainly: a server without the method
    (the health port) or a port no process listens on, as gRPC's own words open (a server's UNAVAILABLE may quote
    "Connection refused" of what it could not reach: neardup's of its Redis store)."""
    if error.code == grpc.StatusCode.UNIMPLEMENTED and NO_METHOD in error.details:
        return remedies.no_method
    refused = error.details.startswith(CONNECT_FAILED) and CONNECTION_REFUSED in error.details
    if error.code == grpc.StatusCode.UNAVAILABLE and refused:
        return remedies.refused
    return None


def _tls_mismatch_hint(error: NeardupClientError, remedies: TlsRemedies) -> str | None:
    """What to change for a TLS handshake that failed on a plaintext server or an untrusted certificate: gRPC says
    "WRONG_VERSION_NUMBER: Invalid certificate verification context: OK" and "CERTIFICATE_VERIFY_FAILED"; or for a
    port that speaks no gRPC ("Failed parsing HTTP/2": an HTTP server's answer, neardup's metrics port's)."""
    if error.code != grpc.StatusCode.UNAVAILABLE:
        return None
    if TLS_PLAINTEXT_PEER in error.details:
        return remedies.plaintext
    if NOT_GRPC in error.details:
        return remedies.not_grpc
    return remedies.untrusted if TLS_UNTRUSTED in error.details else None


def said_of_tls(
    error: NeardupClientError,
    target: str,
    answer: TlsAnswer,
    tls: bool,
    has_cert: bool,
    remedies: TlsRemedies = REMEDIES,
) -> NeardupClientError:
    """`error`, closed_at_connect by host:port `target`, saying why when a TLS probe's `answer` tells and what to
    change (`remedies`): of a plaintext client (not `tls`), that the server serves TLS only (TLS_ONLY_SERVER),
    and requires a client certificate too; of a TLS client, that the server requires a client certificate
    (CLIENT_CERT_REQUIRED, without one: not `has_cert`) or did not accept the one it was given
    (CLIENT_CERT_REFUSED). Said so, the error is not retryable. Otherwise `error` as it is (a forwarder whose server
    is not up yet closes connections too: retryable)."""
    if not tls:
        if answer is TlsAnswer.SERVES:
            return said_to_serve_tls(error, target, remedies.tls)
        if answer is TlsAnswer.REFUSES_CLIENT:
            said = f"{TLS_ONLY_SERVER}, and {CLIENT_CERT_REQUIRED}: {remedies.mtls}"
            return reworded(error, f"{error.details} (the server at {target} {said})")
        return error
    if answer is not TlsAnswer.REFUSES_CLIENT:
        return error
    if has_cert:
        return reworded(error, f"{error.details} (the server {CLIENT_CERT_REFUSED}: {remedies.other_cert})")
    return reworded(error, f"{error.details} (the server {CLIENT_CERT_REQUIRED}: {remedies.cert})")


def naming_a_tls_server(
    error: NeardupClientError,
    target: str,
    timeout: float = TLS_PROBE_SECONDS,
    remedies: TlsRemedies = REMEDIES,
    *,
    tls: bool = False,
    cert_file: str | Path | None = None,
    key_file: str | Path | None = None,
) -> NeardupClientError:
    """`error`, of a call to host:port `target` (plaintext, or with `tls` presenting `cert_file` and `key_file` if
    given), saying what a TLS probe within `timeout` tells (said_of_tls) when it was closed_at_connect."""
    pair = _pair(cert_file, key_file)
    if not closed_at_connect(error, tls or pair is not None):
        return error
    return said_of_tls(error, target, tls_answer(target, timeout=timeout, cert=pair), tls, pair is not None, remedies)


@dataclass
class _Probe:
    started: float  # time.monotonic()'s
    done: threading.Event
    answer: TlsAnswer = TlsAnswer.NONE


class _TlsProbe:
    """What TLS the server at `target` speaks with this client (tls_answer, presenting the client's
    certificate `cert`, if any), asked at most once every TLS_PROBE_FRESH_SECONDS: the failed calls meanwhile
    (retries, other threads) take its answer, or wait for the one under way. Each failed call cost a probe (a
    connection and a handshake, ~28 ms of CPU), and a retry waited for one again. `tls`: the client speaks TLS."""

    def __init__(self, target: str, tls: bool = False, cert: tuple[str, str] | None = None) -> None:
        self._target, self.tls, self._cert = target, tls, cert
        self.has_cert = cert is not None
        self._lock = threading.Lock()
        self._last: _Probe | None = None

    def answer(self, within: float) -> TlsAnswer:
        """The answer, waited for `within` seconds at most: NONE if none came by then (the probe goes on, up to
        TLS_PROBE_SECONDS, in a thread of its own, and the calls after this one take its answer)."""
        with self._lock:
            probe = self._last
            now = time.monotonic()
            if probe is None or (probe.done.is_set() and now - probe.started > TLS_PROBE_FRESH_SECONDS):
                probe = self._last = _Probe(now, threading.Event())
                threading.Thread(target=self._ask, args=(probe,), name="neardup-tls-probe", daemon=True).start()
        probe.done.wait(max(within, 0.0))
        return probe.answer

    def _ask(self, probe: _Probe) -> None:
        try:
            probe.answer = tls_answer(self._target, timeout=TLS_PROBE_SECONDS, cert=self._cert)
        finally:
            probe.done.set()


def takes_connections(target: str, *, timeout: float) -> bool:
    """Whether a TCP connection to the server address `target` (host:port, or gRPC's dns:, ipv4: or ipv6: form) is taken
    within `timeout` seconds in all (over its addresses): no default, as the callers' bounds differ (the CLI's probe of
    --server). Resolving the name is not bounded: a caller that must not wait longer asks in a thread (as _TlsProbe does
    for tls_answer)."""
    return _connection(target, time.monotonic() + timeout, None) is None


def tls_answer(target: str, *, timeout: float, cert: tuple[str, str] | None = None) -> TlsAnswer:
    """What TLS the server at `target` (host:port, or gRPC's dns:, ipv4: or ipv6: form) speaks, within `timeout` seconds
    in all (the name's resolution aside, as in takes_connections), presenting the client certificate and key files
    `cert` if given. A server that requires a client certificate and refuses the one sent (or none) completes a TLS 1.3
    handshake (the client's side of it ends before the server has read the certificate) and closes the connection
    unanswered, which gRPC calls "Socket closed", as of a forwarder whose server is not up; under TLS 1.2 it closes it
    within the handshake, where a forwarder that ends TLS itself completes it. So: a handshake that completes (the
    certificate unchecked), then one limited to TLS 1.2 that the server ends (closed, or an alert about the certificate)
    after its own part of the handshake (its hello, its certificate) is REFUSES_CLIENT; one that completes, or fails
    otherwise (as a server of TLS 1.3 only does, or a connection closed before the server said anything: a forwarder
    whose next connection went to a backend that is down) SERVES."""
    deadline = time.monotonic() + timeout
    if _connection(target, deadline, _probe_context(cert)) is not None:
        return TlsAnswer.NONE
    ended = _connection(target, deadline, _probe_context(cert, ssl.TLSVersion.TLSv1_2))
    return TlsAnswer.REFUSES_CLIENT if _refused_in_handshake(ended) else TlsAnswer.SERVES


# The TLS library's words for an alert a server sends when it does not accept a client's certificate (or its
# absence): bad, unknown or unsupported certificate, certificate required, unknown CA, access denied.
_CERTIFICATE_ALERTS = ("CERTIFICATE", "UNKNOWN_CA", "ACCESS_DENIED")


# What _connection says of a TLS handshake the other end ended (closed, or sent an alert or no TLS) before its hello.
_CLOSED_UNANSWERED = "ended before the server's hello"


def _refused_in_handshake(ended: OSError | str | None) -> bool:
    """Did a TLS handshake end because the server closed the connection, or sent an alert about the client's
    certificate, after its hello? (Not a timeout, nor an alert of another kind: a server of TLS 1.3 only refuses
    TLS 1.2; nor a connection closed before any answer, _CLOSED_UNANSWERED: no server there read a certificate.)"""
    if isinstance(ended, ssl.SSLEOFError | ConnectionResetError | BrokenPipeError):
        return True
    return isinstance(ended, ssl.SSLError) and any(words in str(ended) for words in _CERTIFICATE_ALERTS)


def _connection(target: str, deadline: float, context: ssl.SSLContext | None) -> OSError | str | None:
    """Try a TCP connection to the server address `target` (host:port, or one of gRPC's forms naming hosts and
    ports: target_addresses), to each address of each of its hosts until one is taken, as gRPC does, before
    `deadline` (time.monotonic()'s), with a TLS handshake on it when `context` is given: None if one was taken (and
    its handshake completed), else the last handshake's error (_CLOSED_UNANSWERED for a connection closed before
    the server sent its hello), or a word for why none was tried."""
    named = target_addresses(target)
    if not named:
        return "not host:port"  # (unix:, unix-abstract:, vsock:)
    addresses = []
    for host_port in named:
        port = _port_number(host_port.port)
        with suppress(OSError, ValueError):  # (ValueError: a name with a NUL in it)
            if port is not None:
                found = socket.getaddrinfo(host_port.host, port, type=socket.SOCK_STREAM)
                addresses += [(host_port.host, address) for address in found]
    if not addresses:
        return "not resolved"
    ended: OSError | str = "no connection taken"
    for hostname, (family, kind, protocol, _, address) in addresses:
        try:
            with socket.socket(family, kind, protocol) as raw:
                raw.settimeout(_left(deadline))
                raw.connect(address)
                if context is not None:
                    raw.settimeout(_left(deadline))  # (the handshake gets what the connection left)
                    if (handshake := _handshake(raw, context, hostname)) is not None:
                        ended = handshake
                        continue
                return None
        except OSError:
            continue
    return ended


def _handshake(raw: socket.socket, context: ssl.SSLContext, hostname: str | None) -> OSError | str | None:
    """A TLS handshake over the connected socket `raw` (its timeout set): None once it completes, else its error,
    or _CLOSED_UNANSWERED if the other end ended it before sending a TLS handshake record (its hello). Over memory
    buffers (ssl.SSLObject), as a wrapped socket does not tell whether the server said anything before it closed."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=hostname)
    first = b""  # (the first byte the server sent: 0x16 begins a TLS handshake record)
    try:
        while True:
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                data = raw.recv(65536)
                first = first or data[:1]
                if data:
                    incoming.write(data)
                else:
                    incoming.write_eof()
                continue
            raw.sendall(outgoing.read())  # (the client's last flight)
            return None
    except OSError as exc:  # (ssl.SSLError and TimeoutError are OSErrors)
        if first != _TLS_HANDSHAKE_RECORD and not isinstance(exc, TimeoutError):
            return _CLOSED_UNANSWERED
        return exc


_TLS_HANDSHAKE_RECORD = b"\x16"  # (a TLS record's first byte, its content type: 22, handshake)


def _left(deadline: float) -> float:
    """The seconds left before `deadline`; TimeoutError if none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _unchecked_tls() -> ssl.SSLContext:
    """A TLS context that checks no certificate, so loads none (create_default_context() loaded the system's CA
    store, ~28 ms of CPU, for each probe): a probe asks only whether a handshake completes."""
    unchecked = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    unchecked.check_hostname, unchecked.verify_mode = False, ssl.CERT_NONE
    unchecked.set_alpn_protocols(["h2"])
    return unchecked


_UNCHECKED_TLS: Final = _unchecked_tls()


def _probe_context(cert: tuple[str, str] | None, most: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """The unchecked context (_UNCHECKED_TLS), presenting the client certificate and key files `cert` if given, and
    speaking TLS `most` at most. (Made for each probe that needs one of its own: a probe is seldom made.)"""
    if cert is None and most is None:
        return _UNCHECKED_TLS
    context = _unchecked_tls()
    if cert is not None:
        with suppress(OSError, ValueError):  # (gone or changed since the channel read it: probe with none)
            context.load_cert_chain(*cert, password=lambda: b"")
    if most is not None:
        context.maximum_version = most
    return context


def bearer_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    """The metadata that sends `token` on a call (none without one), as a NeardupClient sends it; ValueError
    for a token a gRPC header cannot carry."""
    return (("authorization", f"Bearer {_header_safe(token)}"),) if token else ()


def _require_certificates(ca_file: str | Path) -> None:
    """ValueError naming the file if it holds no PEM certificate: gRPC would only fail each call UNAVAILABLE,
    which reads like a server that is down. (Read as a file, as OpenSSL reads a bundle: comments and all.)"""
    try:
        ssl.create_default_context(cafile=str(ca_file))
    except ssl.SSLError as exc:
        raise ValueError(
            f"the CA file {ca_file} holds no usable PEM certificate ({exc}): name the CA's PEM file"
        ) from None


def _header_safe(token: str) -> str:
    """The token without surrounding whitespace (as read from a file, it ends with a newline); ValueError if it
    holds a character a gRPC header cannot carry (every call would fail INTERNAL "Invalid metadata")."""
    token = token.strip()
    bad = next((c for c in token if not " " <= c <= "~"), None)
    if bad is not None:
        raise ValueError(
            f"the token holds {bad!r} (U+{ord(bad):04X}), which a gRPC header cannot carry: "
            "a token is printable ASCII; check that it is the one the server's --auth-token-file holds"
        )
    return token


def read_token_file(path: str | Path) -> str:
    """The bearer token to send, from a file read as the server reads its --auth-token-file: one token a line,
    blank lines and lines starting with # skipped, surrounding whitespace dropped (editors add a newline).
    The first token is the one sent: the server's own file (a shared secret, mid-rotation) read whole was one
    token holding a newline, refused with advice to use the file the client was using. ValueError if the
    file holds no token."""
    text = Path(path).read_text(encoding="utf-8")
    tokens = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not tokens:
        raise ValueError(f"the token file {path} holds no token (it is empty, or blank and # lines only)")
    return tokens[0]


def _status_code(value: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == value:
            return code
    return grpc.StatusCode.UNKNOWN


@dataclass(frozen=True)
class _Batching:
    size: int  # articles a message at most (1: IndexArticles, a message each)
    more_ready: Callable[[], bool] | None  # False: the next article is not to hand, so send the batch now


def article_batches(
    articles: Iterable[Article],
    count: int,
    max_bytes: int = MAX_BATCH_BYTES,
    more_ready: Callable[[], bool] | None = None,
) -> Iterator[list[pb.Article]]:
    """Consecutive messages' articles: at most `count`, and at most `max_bytes` unless one article is
    bigger on its own (it then travels alone). Read lazily; a batch is handed on as soon as it is full, or,
    with `more_ready`, as soon as it says the next article is not to hand (a live feed: its articles are
    not held back until `count` more come). A file's articles are always to hand: its batches stay full."""
    chunk: list[pb.Article] = []
    size = 0
    for article in articles:
        message = article.to_pb()
        length = message.ByteSize()
        if chunk and size + length > max_bytes:
            yield chunk
            chunk, size = [], 0
        chunk.append(message)
        size += length
        if len(chunk) == count or (more_ready is not None and not more_ready()):
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
