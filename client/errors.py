"""The client's own errors, one per status code a caller may want to handle."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import grpc


class NeardupClientError(Exception):
    """A call failed; `code` is the gRPC status code, the message is the server's. `unanswered`, on the error that ended
    an index stream (raised by index_stream's iteration): how many articles it had sent and not had answered
    (counting first, when the error is an article's refusal, a full store's say, that article: answered with the
    refusal, and to send again with them), which may or may not be stored (sending them again is safe; none is when
    the server failed to load its index, or refused the call's token, UNAUTHENTICATED or PERMISSION_DENIED, or has
    no such method, UNIMPLEMENTED: the message says so); None on other errors. `may_be_stored`, beside it: how many
    of those may be stored (0: none was, each sent only on attempts that reached no server or no store, or whose
    token or method was refused, as the message says).
    `retry_pushback`: the server's word on retrying the call (gRPC's retry pushback, gRFC A6: `retry_pushback_of`),
    which `Retry` obeys: None when it said nothing; NO_RETRY_PUSHBACK (negative) when it asked for no retry (a full
    store: "-1"); else the seconds to wait at least before the retry. `store_full` tells a full store's refusal.
    `refused_article`, on an article's refusal an index stream raised (the error that ended it, or the one its
    `on_retry` hears before the article is sent again): the id of that article, and `rest_of_batch`, how many results
    the rest of its batch reply held, the articles after it in that batch, each answered whatever its answer (most
    often the same refusal, but not always: the message of the error that ended the stream tells those refused with
    it from those answered otherwise; the refusal `on_retry` hears does not),
    read with it and not handed on (0 for a stream of one article a message). Those articles come first in
    `unanswered` after the refused one, and were answered; the rest of `unanswered` were not. None and 0 on other
    errors."""

    unanswered: int | None = None
    may_be_stored: int | None = None
    refused_article: str | None = None
    rest_of_batch: int = 0
    retry_pushback: float | None = None

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.details = message

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce calls the class with `args`, the one formatted message, which __init__ does not
        # take: pickling (a process pool sending a worker's error back) and copying would fail.
        return type(self), (self.code, self.details), self.__dict__

    @property
    def retryable(self) -> bool:
        """Might the same call succeed later (the server restarting, full, or slow)? DEADLINE_EXCEEDED is: a
        `timeout` bounds one attempt, and each call that takes `retry` is safe to send again (an index that failed
        so may or may not have stored the article; sent again, it answers UNCHANGED if it had). So is one that
        reached no server (NEVER_SENT: no connection completed gRPC's handshake in time), as is UNAVAILABLE's
        NO_HANDSHAKE: a wrong port is not told apart from a server hung, stopped or slow to connect, which may
        answer the next attempt (gRPC goes on connecting meanwhile), and nothing was sent, so sending again is safe;
        the last attempt's error names the likely causes (the CLI, which probes and waits first, treats such a
        listener as a setting to change). Not when TLS
        settings cannot work (TLS to a plaintext port, plaintext to a TLS one, a server certificate from a CA the
        client does not trust, no client certificate, or one not accepted, for a server that requires one), nor for
        a port that does not speak gRPC (NOT_GRPC: the metrics port, say),
        nor for a message over a size limit (RESOURCE_EXHAUSTED too): the same message is refused again each time.
        CANCELLED is retryable when the server sent it: gRPC ends so the calls that reached a server that had
        begun to stop (docs/ops.md, "Calls cut by a stop"). Not when this process cancelled the call: this
        client's close() (ClientClosedError), or the caller's own channel closed or cancelling it.
        A full store's RESOURCE_EXHAUSTED is retryable too (it passes once an operator makes room: sent again
        then, the call succeeds), but its server asks for no automatic retry (`retry_pushback`), so `Retry` makes
        none."""
        if any(words in self.details for words in (*TLS_MISMATCH, MESSAGE_TOO_LARGE, NOT_GRPC, *CANCELLED_HERE)):
            return False
        return self.code in RETRYABLE_CODES

    @property
    def store_full(self) -> bool:
        """Is this a full store's refusal: RESOURCE_EXHAUSTED under a retry pushback that asks for no retry? A neardup
        server sends it so for a full store alone (a disk full, Redis at its maxmemory), a call's with the trailer
        "-1", an index stream's article's in its ArticleError (`article_error`); its limits' RESOURCE_EXHAUSTED carry
        no pushback (proto: NearDuplicateService). It passes once an operator makes room, not before: a run that
        meets it stops (the refusal is the run's, not its article's), and sends the rest once there is room."""
        pushback = self.retry_pushback
        return self.code == grpc.StatusCode.RESOURCE_EXHAUSTED and pushback is not None and pushback < 0


RETRYABLE_CODES = (
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.CANCELLED,
    # (gRPC's own retry policy never retries it, as its deadline spans every attempt; this client's `timeout`
    # bounds each attempt, as a per-attempt deadline does in Google's API clients, which retry it for
    # idempotent calls. The proto's IndexArticle says to send such a call again.)
    grpc.StatusCode.DEADLINE_EXCEEDED,
)
# The codes of a failed write that may have been done nonetheless (its answer lost): the client's deadline passed
# while the server worked, the connection dropped, the server stopped. (RESOURCE_EXHAUSTED refuses it unread; an
# UNAVAILABLE that reached_no_server, or SERVER_LOAD_FAILED's or SERVER_LOAD_ABANDONED's, did nothing either.)
OUTCOME_UNKNOWN = (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
# What the server's refusal of a call with no token says to give, in the neardup CLI's flags (service/interceptors.py;
# tests/integration/test_auth.py holds the two to the same words): the Python client says its own setting instead.
CLI_TOKEN_SETTINGS = "(neardup CLI: --token-file FILE or NEARDUP_TOKEN_FILE)"
# gRPC's words for a peer that answered with something other than HTTP/2 (an HTTP/1 server: neardup's metrics port). The
# same call to it fails the same way each time: not retryable.
NOT_GRPC = "Failed parsing HTTP/2"
# gRPC's words for a call to a method the server does not have (UNIMPLEMENTED, answered unread).
NO_METHOD = "Method not found"
# The system's words, in gRPC's CONNECT_FAILED, for a connection no process was listening to take.
CONNECTION_REFUSED = "Connection refused"
# gRPC's own words for a connection it could not make (an UNAVAILABLE's opening; a server's message may quote others').
CONNECT_FAILED = "failed to connect to all addresses"
# gRPC's words, in an UNAVAILABLE's details, for a call it never sent: no connection to the server could be made
# (refused, closed during the handshake, the TLS handshake failed) or its name was not resolved. A call cut once
# sent says something else ("Stream removed (Socket closed)", "Connection reset by peer").
NOT_REACHED = (CONNECT_FAILED, "errors resolving", "DNS resolution failed")


# gRPC's words, in an UNAVAILABLE's details, for a connection lost once a call was sent on it (the server killed or
# its host gone, a proxy that cut it): the call may have been carried out, its answer lost.
LOST_MID_CALL = ("Stream removed", "Socket closed", "Connection reset", "Broken pipe", "GOAWAY")


def lost_mid_call(error: NeardupClientError) -> bool:
    """Did `error` end a call whose connection was lost after the call was sent (so it may have been carried out)?"""
    return (
        error.code == grpc.StatusCode.UNAVAILABLE
        and not reached_no_server(error)
        and any(words in error.details for words in LOST_MID_CALL)
    )


def reworded(error: NeardupClientError, details: str) -> NeardupClientError:
    """The same error (its class, code, and all else it carries: its retry pushback, its counts...) saying `details`:
    every attribute is copied, so one added to the class later is kept by each caller alike."""
    again = type(error)(error.code, details)
    again.__dict__.update((k, v) for k, v in vars(error).items() if k not in ("code", "details"))
    return again


# gRPC's words, after NOT_REACHED's, for a connection the other end took and never began gRPC's handshake on (sent no
# HTTP/2 SETTINGS frame) within gRPC's connect timeout (20 s): not a gRPC server, or a process hung or stopped.
NO_HANDSHAKE = "timed out before receiving SETTINGS frame"
# The client's words (client.api) in a DEADLINE_EXCEEDED's details for a call whose deadline passed while no connection
# to the server had completed gRPC's handshake: its channel was never READY while the call was in flight, and gRPC
# sends a call only on a connection that is, so nothing it asked was done (a silent listener: NO_HANDSHAKE's, before
# gRPC gives up its connection).
NEVER_SENT = "so the call reached no server"


def reached_no_server(error: NeardupClientError) -> bool:
    """Did `error` end a call that no server received (gRPC found none to send it to, or the call's deadline passed
    before a connection to one was made: NEVER_SENT), so nothing it asked was done?"""
    if error.code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return NEVER_SENT in error.details
    return error.code == grpc.StatusCode.UNAVAILABLE and any(words in error.details for words in NOT_REACHED)


# gRPC's words, in a CANCELLED's details, for a call this process cancelled: a channel the caller gave the
# client and closed (a retry fails on it), or an interceptor's cancel.
CANCELLED_HERE = ("Locally cancelled", "Channel closed", "Channel deallocated")
# The server's words (service/index_load.py), in an UNAVAILABLE's details, ending a call it held while it loaded its
# index when the load failed: the call never reached the service, so nothing sent on it was stored.
SERVER_LOAD_FAILED = "the server failed to load its index"
# Its words when it was stopped (a signal) before its index was loaded, ending the calls it held: none stored either.
SERVER_LOAD_ABANDONED = "the server is stopping before its index was loaded"
# The TLS library's words, in an UNAVAILABLE's details, for settings no retry mends.
TLS_PLAINTEXT_PEER = "WRONG_VERSION_NUMBER"  # TLS spoken to a plaintext port
TLS_UNTRUSTED = "CERTIFICATE_VERIFY_FAILED"  # the server's certificate is signed by a CA not trusted here
# The client's words when a plaintext connection was closed before gRPC's handshake and a TLS handshake on the same
# port completes: the server serves TLS (gRPC says only "Socket closed", as of a forwarder whose server is not up),
# followed by what to change (the Python client's words, or the CLI's flags).
TLS_ONLY_SERVER = "serves TLS only"
# The client's words when a TLS connection was closed at its start ("Socket closed") and a TLS probe tells that the
# server requires a client certificate (mutual TLS, its --tls-client-ca) and refused the connection without one, or
# did not accept the one sent (signed by another CA, expired), followed by what to change.
CLIENT_CERT_REQUIRED = "requires a client certificate"
CLIENT_CERT_REFUSED = "did not accept the client certificate"
# The client's own words, after a TLS probe, saying why a server closed the connection (and what to change).
TLS_SAID = (TLS_ONLY_SERVER, CLIENT_CERT_REQUIRED, CLIENT_CERT_REFUSED)
TLS_MISMATCH = (TLS_PLAINTEXT_PEER, TLS_UNTRUSTED, *TLS_SAID)
# gRPC's words, after NOT_REACHED's, for a connection the other end closed before gRPC's handshake was done.
CLOSED_AT_CONNECT = "Socket closed"
# gRPC's words for a connection the server ended once it had answered on it: closed, or reset when the process was
# killed with calls in flight (which of the two depends on the kernel's timing).
CLOSED_BY_SERVER = (CLOSED_AT_CONNECT, "Connection reset by peer")
# gRPC's words for a message over a receive or send limit ("Received message larger than max (5242896 vs. 4194304)").
MESSAGE_TOO_LARGE = "message larger than max"


class InvalidArgumentError(NeardupClientError):
    pass


class NotFoundError(NeardupClientError):
    pass


class ResourceExhaustedError(NeardupClientError):
    pass


class UnavailableError(NeardupClientError):
    pass


class UnauthenticatedError(NeardupClientError):
    pass


class DeadlineExceededError(NeardupClientError):
    """The call's deadline (the client's `timeout`, or index_stream's) passed before its answer came.
    After an `index` or `index_stream` that failed so, the articles not answered may or may not be stored (the
    server may have stored one after the caller gave up): send them again, which is safe, and answers UNCHANGED
    for one that was. Not so when no connection to the server completed gRPC's handshake while the call was in
    flight (NEVER_SENT: a port that is not gRPC's, a process hung or stopped): the message says so, and that they
    were not stored (`may_be_stored` 0). Retryable: with `retry`, the client sends them again itself, each attempt
    with its own `timeout`."""


class FailedPreconditionError(NeardupClientError):
    """The server's store is in a state the call cannot work in: its index was built with other detection
    parameters, or by a newer neardup (docs/redis.md). Not retryable: an operator must act."""


class DataLossError(NeardupClientError):
    """The server's store is damaged: what the call needed could not be read from it. Not retryable: the
    message names the store's file; an operator must restore it from a backup."""


class ClientClosedError(NeardupClientError):
    """A call on a NeardupClient made after its close(), in flight when it ran, or waiting to retry. One made
    after it was not sent; one in flight may have been carried out by the server: its answer is lost."""

    @property
    def retryable(self) -> bool:
        return False  # (CANCELLED by this client: a new attempt on it would be refused too)


class StreamEndedEarlyError(UnavailableError):
    """An index stream ended without error (status OK) while articles sent on it were unanswered, or before all
    were sent: the server, or a proxy on the way, cut it short. Retryable, as UNAVAILABLE (its code): nothing
    says the articles left were stored, and sending them again on a new stream is safe (indexing is idempotent).
    Its `unanswered` counts the articles sent and left unanswered, as on any error that ends an index stream."""


_BY_CODE: dict[grpc.StatusCode, type[NeardupClientError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.DATA_LOSS: DataLossError,
}


def error_for(code: grpc.StatusCode, message: str) -> NeardupClientError:
    return _BY_CODE.get(code, NeardupClientError)(code, message)


def from_rpc_error(exc: grpc.RpcError) -> NeardupClientError:
    """The client error for a failed call, unary or streamed, with the retry pushback its trailers carry."""
    call = exc if isinstance(exc, grpc.Call) else None
    code = call.code() if call else grpc.StatusCode.UNKNOWN
    details = call.details() if call else str(exc)  # (a call's str() is a many-line repr: not a message)
    error = error_for(code, details or "(the server sent no details)")
    error.retry_pushback = retry_pushback_of(call.trailing_metadata() if call else None)
    return error


def article_error(code: grpc.StatusCode, message: str) -> NeardupClientError:
    """The error of one article an index stream answered with an error (its ArticleError). Such an error carries no
    trailer, but its RESOURCE_EXHAUSTED always means a full store (proto: NearDuplicateService), which a call is ended
    with under the pushback "-1": it gets NO_RETRY_PUSHBACK, as the call's error would (the server pins it so:
    service/status.py, `article_status_for`)."""
    error = error_for(code, message)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        error.retry_pushback = NO_RETRY_PUSHBACK
    return error


# gRPC's retry pushback trailer (gRFC A6, "Pushback"): a server's word on retrying the call it ended, in milliseconds,
# "an ASCII encoded signed 32-bit integer": negative, do not retry (neardup sends "-1" with a full store's
# RESOURCE_EXHAUSTED: service/status.py); 0 or more, retry after that long. "If the value for pushback is negative or
# unparseable, then it will be seen as the server asking the client not to retry at all" (gRFC A6), as gRPC's own
# retry policy does: gRPC's C core, under this client, hands the application a value it cannot parse as
# "-9223372036854775808" (and keeps the last of several values), Java reads one as -1, and Go retries neither one
# it cannot parse nor several values.
RETRY_PUSHBACK = "grpc-retry-pushback-ms"
NO_RETRY_PUSHBACK = -1.0  # (retry_pushback of a server that asked for no retry)
_PUSHBACK_MS = re.compile(r"-?[0-9]+")
_INT32 = range(-(2**31), 2**31)


def retry_pushback_of(trailers: Iterable[tuple[str, str | bytes]] | None) -> float | None:
    """The retry pushback in a call's trailing metadata, as NeardupClientError.retry_pushback holds it: None when
    there is none; NO_RETRY_PUSHBACK for a negative value, and, as gRFC A6 says, for one that is no 32-bit integer,
    or several (Go's reading: gRPC's C core keeps only the last); else seconds (a whole number of ms, 0 or more)."""
    values = [value for key, value in trailers or () if key == RETRY_PUSHBACK]
    if not values:
        return None
    value = values[0].decode("ascii", "replace") if isinstance(values[0], bytes) else values[0]
    if len(values) > 1 or not _PUSHBACK_MS.fullmatch(value) or int(value) not in _INT32 or int(value) < 0:
        return NO_RETRY_PUSHBACK
    return int(value) / 1000
