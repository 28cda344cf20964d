"""Puts the server together: the store, the engine, the fingerprint workers, the gRPC server with its
servicer (servicer.py), interceptors, health and reflection, the metrics port; and stops it cleanly.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent import futures
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from service import waits
from service.auth import TokenFile, tls_credentials, warn_of_exposed_tokens
from service.detector import Detector, operator_passages
from service.engine import Engine
from service.health import HealthService
from service.index_load import AfterLoad, IndexLoad
from service.interceptors import (
    BearerTokenAuth,
    CallPool,
    LimitCalls,
    LimitStreams,
    Observe,
    RejectUndecodable,
)
from service.metrics import Metrics
from service.servicer import (
    DEFAULT_RECEIVE_LIMIT,
    MAX_ANSWER_BYTES,
    NearDuplicateServicer,
    OpenStreams,
    largest_article_answer,
    receive_limit,
)
from service.settings import DetectionParams, Settings
from service.storage import open_store
from service.store_watch import StoreWatch
from service.workers import FingerprintPool

log = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NearDuplicateService"].full_name
# What the health service's names mean, for its NOT_FOUND answer to another name.
_HEALTH_NAMES = f" ('': the server's own, {SERVICE_NAME!r}: its readiness, SERVING only while its store answers)"
# gRPC binds with SO_REUSEPORT by default: a second server started on a port in use would bind it too
# and silently take half the connections (to another store). Off, it fails to start instead.
_EXCLUSIVE_PORT = ("grpc.so_reuseport", 0)
# A failed start's wait for the calls it held to be answered (a health watch, never ending by itself, waits it all).
_HELD_CALLS_GRACE_SECONDS = 5.0
# The part of a stop's grace kept for gRPC's stop, for the calls in flight (`stop_reserve`: this, or half a shorter
# grace); the index streams' drain may wait the rest for their final statuses (RunningServer._drain). A stream whose
# client reads no answers never sends its status: its drain waited the whole grace, and gRPC's stop, given none
# left, cancelled every IndexArticle and CheckArticle in flight at once ("Cancelling all calls"). Not half of any
# grace: a stream whose last answers wait on a slow write (≈5 s on Redis) then ended after gRPC's stop began, its
# connection closed under it ("Stream removed"), with the default 10 s grace.
_STOP_RESERVE_SECONDS = 2.0


def stop_reserve(grace: float) -> float:
    """The seconds of a stop's `grace` left to gRPC's stop after the streams' drain (which waits the rest)."""
    return min(_STOP_RESERVE_SECONDS, grace / 2)


@dataclass
class RunningServer:
    server: grpc.Server
    port: int
    engine: Engine
    health: HealthService
    metrics: Metrics = field(default_factory=Metrics)
    metrics_port: int | None = None  # None: not served over HTTP
    pool: FingerprintPool | None = None
    health_server: grpc.Server | None = None  # the health service on a port of its own
    health_port: int | None = None
    store_watch: StoreWatch | None = None
    streams: OpenStreams | None = None  # the index streams to drain
    calls: CallPool | None = None  # the handler threads, counting the calls in flight (--max-concurrent-rpcs)

    def stop(
        self,
        grace: float,
        delay: float = 0.0,
        cut_short: threading.Event | None = None,
        draining: Callable[[], None] | None = None,
    ) -> None:
        """Report NOT_SERVING, go on serving for `delay` seconds (--shutdown-delay-seconds: for load balancers to
        take the server out; ended early once `cut_short` is set), then refuse new calls, drain in-flight calls,
        close the store (`draining` is called as the drain begins: serve's stop signals then exit at once, if 1 s or
        more after the one that began the stop or cut the delay short). Unary calls finish; index streams take no
        more requests, answer the articles they took (up to a window each, 1,024 articles) and end UNAVAILABLE, so
        a continuous ingest holds the stop while those are decided (seconds under load), not for as long as it
        sends. The streams' drain waits at most the grace less `stop_reserve`
        (2 s, or half a grace under 4 s): a unary call in flight has at least that to answer."""
        self.health.enter_graceful_shutdown()
        if delay > 0:
            log.info("NOT_SERVING; serving on for %g s before refusing new calls (--shutdown-delay-seconds)", delay,
                     extra={"shutdown_delay_seconds": delay})  # fmt: skip
            serve_on(delay, cut_short)
        if draining is not None:
            draining()
        if self.store_watch:
            self.store_watch.close()
        began = time.monotonic()
        if self.streams:
            self._drain(self.streams, grace)
        stopped = self.server.stop(max(grace - (time.monotonic() - began), 0.0))  # (new calls refused from here on)
        waits.set_at_last(stopped)  # (in slices, as every wait of the main thread here: service/waits.py)
        if self.health_server:  # (kept answering NOT_SERVING while the main port drained)
            waits.set_at_last(self.health_server.stop(0))
        if self.pool:
            self.pool.close()
        self.engine.close()
        self.metrics.close()

    @staticmethod
    def _drain(streams: OpenStreams, grace: float) -> None:
        """End the index streams, each with its final status sent, before gRPC's stop (within part of `grace`).
        Its stop closes a connection once its calls have ended and the client has answered a ping sent
        after its GOAWAY; started first, the ping was often answered before a stream ended, so the
        connection was closed just after the stream's status was written. A client still sending on the
        stream (it sends until it reads that status) then had its connection reset by the server's close,
        and its gRPC often saw its own write fail ("Stream removed (sendmsg: Broken pipe)") before it read
        the status: the stream ended with that instead of "the server is shutting down", and the answers
        read with the status were lost. Pinged after the status, the client has read it by its answer.
        Waited for at most `grace` less `stop_reserve`: a stream whose client stops reading never ends by itself
        (gRPC's stop cancels it), and the rest of the grace is the unary calls'."""
        streams.drain(grace - stop_reserve(grace))


def serve_on(delay: float, cut_short: threading.Event | None = None) -> None:
    """Wait `delay` seconds, or until `cut_short` is set, in slices of 0.2 s: Python runs signal handlers in the main
    thread only, once it is back in the interpreter, and a signal the kernel hands another thread (gRPC's) does not
    end a wait of the main thread. In one wait of the whole delay, the signal that cut it short was acted on only
    once the delay had run out (a flaky e2e test's 120 s)."""
    waits.until(cut_short or threading.Event(), delay)


def start_server(
    settings: Settings,
    started: Callable[[], None] | None = None,
    bound: Callable[[int | None, int | None], None] | None = None,
) -> RunningServer:
    """Bind the ports, answer health, open the store, build the engine and start serving; returns once serving.
    `started` is called once the start is done, just before what it took is kept: serve's signal handlers raise
    to abandon a start until then, and from then on note the signal and drain (an exception raised once what was
    taken is kept, with nothing left to undo it, left a serving server unclosed). `bound` is called with the
    metrics and health ports (None: not served) once they answer, before the index's load: serve names them then,
    as probes may use them during a load of minutes (named after it, a port 0 picked was not known until then).

    The ports are bound, and the health port answers, before the store is opened: the index's load (a
    snapshot, a replay, or a full rebuild: tens of seconds at a million articles, minutes on a slow disk)
    once kept every port closed, so a port in use was found only after it, and a liveness probe of the
    health port, refused, had the orchestrator kill the server mid-load again and again. During the load
    liveness ('') says SERVING and readiness NOT_SERVING, on both ports; the main port speaks gRPC, and its
    service's calls wait for the index (or their deadline): index_load.py."""
    metrics = Metrics()
    warn_of_big_answers(settings.max_body_bytes)
    calls = CallPool(settings.max_workers, thread_name_prefix="neardup-rpc")  # (threads start with the calls)
    metrics.count_waiting_with(lambda: calls.waiting)
    interceptors = _interceptors(settings, metrics, calls)  # read files before opening the store: bad paths fail fast
    credentials = tls_credentials(settings)
    # Read once: workers started again after one died sign with these, whatever the file holds by then.
    passages = operator_passages(settings.detection.boilerplate_file)
    # (no maximum_concurrent_rpcs: LimitCalls counts the same calls, and its refusal names the limit and the flag)
    server = grpc.server(calls, interceptors=interceptors, options=server_options(settings))
    health_servicer = HealthService(_HEALTH_NAMES)
    health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.NOT_SERVING)  # (until the index is loaded)
    load = IndexLoad(metrics.waiting_for_index)
    servicer = AfterLoad(load)  # (its calls wait for the index, made below once the store is open)
    # (a stand-in with every method of the generated base class: the cast says so to mypy)
    pb_grpc.add_NearDuplicateServiceServicer_to_server(cast(pb_grpc.NearDuplicateServiceServicer, servicer), server)
    # (not held for the load: a probe of the main port, Kubernetes' or grpc_health_probe's, timed out during a long
    # one, and a liveness probe so restarted the server mid-load; it answers as the health port does)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    with ExitStack() as undo:  # a start that fails lets go of what it took, last taken first
        undo.callback(metrics.close)
        port = _bind(server, settings, settings.port, credentials, "--port")
        # Started before the load: it speaks gRPC during it (the handshake tells a client a server is there),
        # and the calls wait in `load`.
        server.start()
        undo.push(lambda kind, _exc, _tb: _stop_unloaded(server, load, kind))
        metrics_port = _serve_metrics(settings, metrics) if settings.metrics_port >= 0 else None
        health_server, health_port = _health_server(settings, health_servicer)
        if health_server:
            undo.callback(lambda: waits.set_at_last(health_server.stop(0)))
        if bound is not None:
            bound(metrics_port, health_port)
        store = open_store(settings)
        # (closed if the start goes no further, a signal's abandoning it among that: from here on the engine's
        # close closes it too, and a store's close after the first does nothing)
        undo.callback(store.close)
        # The store's parameters: the settings', but a store of an earlier scheme this version reads is read by its
        # own (storage.scheme_of_store), here and in the fingerprint workers.
        params = store.params
        _say_scheme(params, settings)
        engine = Engine(Detector(params, settings.max_body_bytes, passages), metrics.timed(store), settings.max_batch,
                        check_lanes=settings.check_limit())  # fmt: skip
        undo.callback(engine.close)
        # (gRPC has threads by now; the workers come from the forkserver, so nothing is forked from this process)
        pool = _fingerprint_pool(settings, params, passages)
        if pool:
            undo.callback(pool.close)
            metrics.watch_workers(pool.worker_pids)
        servicer.target = serving = NearDuplicateServicer(engine, pool)
        metrics.count_articles_with(lambda: engine.stats().articles)
        metrics.count_boilerplate_with(engine.learned_boilerplate)
        if started is not None:  # (before the held calls go on: a stop it raises tells them the start was abandoned)
            started()
        load.finished()
        undo.pop_all()
    watch = _watch_store(settings, engine, health_servicer, metrics)
    return RunningServer(
        server, port, engine, health_servicer, metrics, metrics_port, pool, health_server, health_port,
        store_watch=watch, streams=serving.streams, calls=calls,
    )  # fmt: skip


def warn_of_big_answers(max_body_bytes: int) -> None:
    """A body limit raised towards 4 MiB lets a GetArticle answer outgrow the receive limit every gRPC client
    has by default: an article indexed without trouble then cannot be read back by a client in another language
    (RESOURCE_EXHAUSTED "Received message larger than max" there), unless it raised its limit."""
    largest = largest_article_answer(max_body_bytes)
    if largest <= DEFAULT_RECEIVE_LIMIT:
        return
    log.warning(
        "--max-body-bytes %d lets a GetArticle answer reach %d bytes, over the 4 MiB (%d bytes) a gRPC client "
        "receives by default: clients that read articles back must raise their receive limit to GetStats' "
        "max_message_bytes (%d) or more (Go: grpc.MaxCallRecvMsgSize; Java: maxInboundMessageSize; the Python "
        "client and the neardup CLI take up to %d), or their GetArticle of a long article fails RESOURCE_EXHAUSTED",
        max_body_bytes, largest, DEFAULT_RECEIVE_LIMIT, receive_limit(max_body_bytes), MAX_ANSWER_BYTES,
        extra={"max_body_bytes": max_body_bytes, "largest_answer_bytes": largest},
    )  # fmt: skip


def _stop_unloaded(server: grpc.Server, load: IndexLoad, ended_by: type[BaseException] | None) -> None:
    """Stop a server whose start did not finish: the calls waiting for the index end UNAVAILABLE, and the port is
    let go. With a grace for those calls, woken at once and answered in milliseconds: stopped without one, gRPC
    cancelled them first ("Cancelling all calls"), and a held stream's client could not tell that nothing was
    stored. A start ended by what is no Exception (serve's stop signals raise one, KeyboardInterrupt is one) was
    abandoned, not failed: the held calls are told so (they were told the load failed)."""
    if ended_by is not None and not issubclass(ended_by, Exception):
        load.abandoned()
    else:
        load.failed()
    waits.set_at_last(server.stop(_HELD_CALLS_GRACE_SECONDS))


def _watch_store(settings: Settings, engine: Engine, servicer: HealthService, metrics: Metrics) -> StoreWatch | None:
    """The service's health (readiness) is SERVING while the store answers (asked every
    --store-check-seconds), NOT_SERVING while it does not: every call there would get UNAVAILABLE, so a
    readiness probe should send callers elsewhere. The server's own ("", liveness) stays SERVING until
    it drains: a restart would not bring the store back, and a liveness probe would restart it again and again."""

    def report(answers: bool) -> None:
        metrics.store_answers.set(int(answers))
        status = health_pb2.HealthCheckResponse.SERVING if answers else health_pb2.HealthCheckResponse.NOT_SERVING
        servicer.set(SERVICE_NAME, status)

    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    if settings.store_check_seconds == 0:
        report(True)
        return None
    return StoreWatch(engine.check_store, report, settings.store_check_seconds)


def _bind(
    server: grpc.Server, settings: Settings, port: int, credentials: grpc.ServerCredentials | None, flag: str
) -> int:
    """Bind --host at `port`; an OSError naming the flag to change if it is taken or not an address here."""
    address = settings.address(port)
    try:
        bound = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError:  # (newer grpcio raises where older returned 0)
        bound = 0
    if bound == 0:
        raise OSError(f"could not bind {address}: {_why_unbound(settings.bare_host, flag)}")
    return bound


def _why_unbound(host: str, flag: str) -> str:
    """Why a bind of `host` failed, as far as the resolver tells: a name it does not know was said to be an
    address not of this machine, or a port in use, and its cause only in a line of gRPC's own ("DNS resolution
    failed"). Asked only once the bind failed (the local resolver, as gRPC's bind asks it)."""
    try:
        if host:  # (none: every address, which gRPC binds without a lookup)
            socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:  # (UnicodeError: a name too long for the resolver to take)
        why = exc.strerror if isinstance(exc, socket.gaierror) else exc
        return f"the host {host!r} (--host / NEARDUP_HOST) does not resolve to an address: {why}"
    return (
        f"another process may be using the port (choose another with {flag}), or the host is not an address of this "
        "machine (--host)"
    )


def _serve_metrics(settings: Settings, metrics: Metrics) -> int:
    try:
        return metrics.serve(settings.bare_host, settings.metrics_port)
    except OSError as exc:
        raise OSError(
            f"could not serve metrics on {settings.address(settings.metrics_port)}: {exc.strerror or exc} "
            "(another process may be using the port: choose another with --metrics-port)"
        ) from exc


def _health_server(settings: Settings, servicer: HealthService) -> tuple[grpc.Server | None, int | None]:
    """The health service alone on --health-port (if set), started now.

    On the main port every call counts towards --max-concurrent-rpcs, so a server full of work
    answers its own probes RESOURCE_EXHAUSTED and an orchestrator restarts it for being busy.
    This server has no call limit and no interceptors, and serves nothing but health (which the
    main port also serves without a token). Plaintext: probes such as Kubernetes' gRPC probe
    speak no TLS, and a status is all it tells."""
    if settings.health_port < 0:
        return None, None
    pool = futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="neardup-health")
    server = grpc.server(pool, options=[_EXCLUSIVE_PORT])
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = _bind(server, settings, settings.health_port, None, "--health-port")
    server.start()
    return server, port


def _say_scheme(params: DetectionParams, settings: Settings) -> None:
    """Say, once at start, that the store is read by an earlier fingerprint scheme than new stores are."""
    if params.scheme == settings.detection.scheme:
        return
    log.warning(
        "the store was written with fingerprint scheme %s, and is read as it was written: accents are compared as "
        "written (\"José\" is not \"Jose\"), where a new store compares Latin, Greek and Cyrillic letters without "
        "their diacritics (%s), and finds a copy from a feed that drops them. To have that, ingest into a new store "
        "(docs/ops.md, \"Upgrading\")",
        params.scheme.split(":")[0], settings.detection.scheme.split(":")[0],
        extra={"fingerprint_scheme": params.scheme},
    )  # fmt: skip


def _fingerprint_pool(settings: Settings, params: DetectionParams, passages: list[str]) -> FingerprintPool | None:
    """The worker processes the settings ask for, reading text as `params` say (the store's). Where the default
    (one per spare core) cannot start them (no /dev/shm or no writable temp dir, as in some sandboxes), serve
    without: slower, not broken."""
    workers = settings.worker_processes(os.cpu_count())
    if workers == 0:
        return None
    try:
        return FingerprintPool(workers, params, settings.max_body_bytes, passages)
    except OSError as exc:
        if settings.fingerprint_workers > 0:  # asked for explicitly: say so rather than run otherwise
            raise OSError(
                f"could not start {workers} fingerprint worker process(es): {exc}. They need /dev/shm and a "
                f"temporary directory with a short path (TMPDIR, now {tempfile.gettempdir()!r}): the "
                "forkserver's socket goes there, and a socket path holds at most 107 bytes"
            ) from exc
        log.warning("fingerprint workers could not start (%s); fingerprinting in the server process", exc)
        return None


def server_options(settings: Settings) -> list[tuple[str, int]]:
    """Message size limits and keepalive: dead peers are found, and well-behaved client pings are allowed."""
    limit = receive_limit(settings.max_body_bytes)
    return [
        ("grpc.max_receive_message_length", limit),
        ("grpc.max_send_message_length", max(limit, MAX_ANSWER_BYTES)),
        ("grpc.keepalive_time_ms", int(settings.keepalive_seconds * 1000)),
        ("grpc.keepalive_timeout_ms", int(settings.keepalive_timeout_seconds * 1000)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", int(settings.min_client_ping_seconds * 1000)),
        ("grpc.http2.max_pings_without_data", 0),  # idle connections may be pinged: keepalive does exactly that
        _EXCLUSIVE_PORT,
    ]


def _interceptors(settings: Settings, metrics: Metrics, calls: CallPool) -> list[grpc.ServerInterceptor[Any, Any]]:
    chain: list[grpc.ServerInterceptor[Any, Any]] = [LimitCalls(calls, settings.max_concurrent_rpcs), Observe(metrics)]
    if settings.auth_token_file:
        tokens = TokenFile(settings.auth_token_file)  # (first: a file it cannot read stops the start, named)
        warn_of_exposed_tokens(settings)
        chain.append(BearerTokenAuth(tokens.tokens))
    chain.append(LimitStreams(settings.stream_limit()))
    chain.append(RejectUndecodable())
    return chain
