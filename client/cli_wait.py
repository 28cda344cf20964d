"""How ingest and check wait for the server before their first line (`wait_ready`): one starting beside them, one
loading its index (--wait-for-load), or none; and how they tell those apart from a server these settings cannot
talk to, or a listener that is no gRPC server."""

from __future__ import annotations

import argparse
import enum

import grpc

from client.api import NeardupClient, takes_connections, with_default_port
from client.cli_base import say
from client.cli_connection import HINTED, connect, silent_listener
from client.errors import NOT_GRPC, TLS_MISMATCH, NeardupClientError, UnavailableError


def _cannot_talk(exc: NeardupClientError) -> bool:
    """A server is there and these settings cannot talk to it: TLS on one side only, a certificate not trusted, or
    what answers is no gRPC server (an HTTP one: the metrics port).
    A closed connection alone does not say so: a forwarder (docker-proxy, a load balancer, a port-forward) whose
    server is not up yet closes it too; the client's error says TLS_ONLY_SERVER once a TLS handshake there
    completed."""
    if exc.code != grpc.StatusCode.UNAVAILABLE:
        return False
    return any(words in exc.details for words in (*TLS_MISMATCH, NOT_GRPC))


def wait_ready(client: NeardupClient, args: argparse.Namespace, seconds: float = 10) -> None:
    """Wait for the server to come up (ingest and check may start beside it), `seconds` for one to take connections,
    then --wait-for-load for one loading its index. Waiting swallows the handshake's error, and a TLS mismatch was
    then "no server" where `stats` says which flag to change (main hints from that error): one call on a new
    channel first says at once that a server is there and these settings cannot talk to it (it had waited the
    whole 10 s), and again after a wait in vain says why. A server loading its index speaks gRPC and holds its
    calls until it is loaded (seconds to minutes): it was "no server at … after 10s" (docs/ops.md, "The health
    port"). One that came up during the wait is asked again: it may be loading (the handshake alone said nothing,
    and the command's calls were held until their deadlines, --wait-for-load never reached)."""
    found = _asked(args)
    if found is _Found.NONE:
        try:
            _wait_for_connection(client, args, seconds)
        except NeardupClientError as not_ready:
            found = _asked(args, not_ready)
        else:
            found = _asked(args)
    if found is _Found.LOADING:
        _wait_for_load(args)


def _wait_for_connection(client: NeardupClient, args: argparse.Namespace, seconds: float) -> None:
    """`client.wait_ready(seconds)`, saying so once on stderr if nothing took the connection within _QUIET_SECONDS:
    the command sat silent for those 10 s before it said there was no server."""
    try:
        client.wait_ready(min(_QUIET_SECONDS, seconds))
        return
    except NeardupClientError:
        if seconds <= _QUIET_SECONDS:
            raise
    say(f"neardup {args.command}: nothing answers at {with_default_port(args.server)} yet: waiting for a server to "
        f"come up ({seconds:g} s in all)")  # fmt: skip
    try:
        client.wait_ready(seconds - _QUIET_SECONDS)
    except NeardupClientError:
        raise UnavailableError(
            grpc.StatusCode.UNAVAILABLE, f"no server at {client.target} after {seconds:g}s"
        ) from None


# (a server starting beside the command takes its connections within it, nothing said: gRPC's first reconnect after a
# refused connection comes ≈1 s later, jittered by ±20 %)
_QUIET_SECONDS = 2.0


class _Found(enum.Enum):
    """What answers at --server: a server answering calls; one that speaks gRPC and answers none yet, as a
    neardup server loading its index does; or none yet (nothing listening: refused)."""

    ANSWERS = "answers"
    LOADING = "loading"
    NONE = "none"


def _asked(args: argparse.Namespace, not_ready: NeardupClientError | None = None) -> _Found:
    """One GetStats call on a new channel: what answers at --server. A call of the service, not of health: a server
    loading its index holds the one and answers the other (probes must not time out during a load). Raises the
    error of a server there that these settings cannot talk to; after a wait in vain (`not_ready`), that error
    when none is there, one saying so of a listener that never began gRPC's handshake, or the call's own if it
    says more (UNAVAILABLE or UNIMPLEMENTED: main hints from it)."""
    with connect(args, timeout=_PROBE_SECONDS) as probe:
        try:
            probe.stats()
        except NeardupClientError as why:
            if _cannot_talk(why):
                raise
            silent = why.code == grpc.StatusCode.DEADLINE_EXCEEDED
            if silent and _handshaken(probe):
                return _Found.LOADING
            if not_ready is not None:
                no_grpc = _no_grpc(args) if silent else None
                raise no_grpc or (why if why.code in HINTED else not_ready) from None
            # (none answers yet, or one refused the call, a token or a store not answering: the command's calls say)
            return _Found.NONE
    return _Found.ANSWERS


# A server that answers does so in milliseconds, and one these settings cannot talk to fails its handshake as fast;
# a longer wait only delayed the word that a server is loading. (It bounds _no_grpc's plain TCP connection too.)
_PROBE_SECONDS = 2.0


def _handshaken(probe: NeardupClient) -> bool:
    """After a call unanswered in time: did the probe's channel complete gRPC's handshake? A neardup server
    loading its index does (its calls wait for the index: service/index_load.py), as does one too busy to answer
    in time. A silent listener never does: a wrong port, a hung or stopped process, a service that is not gRPC
    (taken for a loading server, they held the command 10 minutes)."""
    try:
        probe.wait_ready(0.05)
    except NeardupClientError:
        return False
    return True


def _no_grpc(args: argparse.Namespace) -> UnavailableError | None:
    """After a wait in vain and a call unanswered, the error for a listener there that takes connections and never
    began gRPC's handshake ("no server" was wrong of it); None if nothing takes a connection."""
    where = with_default_port(args.server)
    if not takes_connections(where, timeout=_PROBE_SECONDS):
        return None
    return UnavailableError(grpc.StatusCode.UNAVAILABLE, silent_listener(where))


def _wait_for_load(args: argparse.Namespace) -> None:
    """Wait up to --wait-for-load for a server that speaks gRPC and answers no neardup call yet (only health checks)
    to answer one; said once on stderr, and an UNAVAILABLE saying what it waited for if it does not. One GetStats
    call waits: the server holds it until its index is loaded (a channel's readiness said nothing here: its
    handshake is done; nor does its health service, which answers during the load). Any answer but the deadline's
    is the server answering: a store that stalled past the probe (Redis failing over) answers UNAVAILABLE, and the
    command's own calls and --retries ride that out (raised here, it ended the command at once, its retries never
    used)."""
    where, wait = with_default_port(args.server), args.wait_for_load
    say(f"neardup {args.command}: the server at {where} speaks gRPC but answers no neardup call yet (only health "
        f"checks), as a neardup server loading its index does; waiting up to {wait:g}s for it to serve "
        "(--wait-for-load)")  # fmt: skip
    with connect(args, timeout=wait) as waiting:
        try:
            waiting.stats()
        except NeardupClientError as why:
            if why.code != grpc.StatusCode.DEADLINE_EXCEEDED:
                return
            raise UnavailableError(
                grpc.StatusCode.UNAVAILABLE,
                f"the server at {where} spoke gRPC but answered no call in {wait:g}s: a neardup server still "
                'loading its index (a rebuild at a million articles takes 15 s to minutes: docs/ops.md, "The '
                "health port\"; its health service's readiness says when it serves), or one too busy to answer; wait "
                "longer with --wait-for-load",
            ) from None
