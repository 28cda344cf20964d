"""Server interceptors: a cap on calls in flight, call metrics and access log, bearer-token auth, a cap on
open streams, undecodable requests.

A call they end for a reason the core has an error for (a deadline passed or the caller gone while it
waited for a worker, a stream over the cap) ends with that error's status and trailers, through
status.abort, as the servicer's would. Two refusals are theirs alone: UNAUTHENTICATED and INVALID_ARGUMENT for request
bytes that are not a valid message.

Each wraps the method handler grpc found, keeping its kind (unary/stream), so the
servicer stays unaware of them. The chain is LimitCalls, then Observe, then BearerTokenAuth,
then LimitStreams, then RejectUndecodable: a call over the limit is refused before anything else runs
(as gRPC's own limit did; counted as Observe saw it arrive), rejected calls are counted and logged too,
a caller without the token hears UNAUTHENTICATED whatever bytes it sent, and takes no stream slot.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from functools import partial
from typing import Any, NamedTuple, ParamSpec, TypeVar

import grpc
from google.protobuf.message import DecodeError

from service.errors import Cancelled, DeadlineExceeded, ResourceExhausted
from service.lenient import mended, read_twin, refused_text, twin_of
from service.logs import Throttle
from service.metrics import Metrics
from service.servicer import NO_DEADLINE, deadline_passed, time_left
from service.status import abort

log = logging.getLogger("neardup.rpc")
_CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}
UNKNOWN_METHOD = "unknown"  # the method label of calls of a method this server lacks (a real one names its service)
MOST_METHOD_CHARACTERS = 200  # of such a method's name, as its DEBUG line gives it

Continuation = Callable[[grpc.HandlerCallDetails], "grpc.RpcMethodHandler[Any, Any] | None"]
Behavior = Callable[[Any, grpc.ServicerContext], Any]

# Probes and tooling must work without credentials: health for load balancers and
# container HEALTHCHECKs, reflection for grpcurl. Neither exposes stored data.
HEALTH_PREFIX, REFLECTION_PREFIX = "/grpc.health.v1.Health/", "/grpc.reflection."
OPEN_PREFIXES = (HEALTH_PREFIX, REFLECTION_PREFIX)
# Reflection streams open at once; one more gets RESOURCE_EXHAUSTED (LimitStreams).
REFLECTION_STREAMS = 2
_REFLECTION_FULL = (
    f"{REFLECTION_STREAMS} reflection streams are already open, this server's limit: close one (a tool that "
    "reflects keeps its stream only while it runs), or retry after a backoff"
)


class _Undecodable:
    """Stands in for a request whose bytes are not a valid message, so the call can answer INVALID_ARGUMENT (or,
    read by its twin, say which text is not UTF-8: service/lenient.py)."""

    def __init__(self, error: Exception, data: bytes) -> None:
        self.error, self.data = error, data


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """grpc answers INTERNAL when deserializing fails; we want INVALID_ARGUMENT with the reason."""
    if deserializer is None:
        return None
    parse = deserializer

    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except (DecodeError, ValueError, UnicodeDecodeError) as exc:
            return _Undecodable(exc, data)

    return deserialize


def _rewrap(
    handler: grpc.RpcMethodHandler[Any, Any],
    behavior_wrapper: Callable[[Behavior], Behavior],
    deserializer: Callable[[bytes], Any] | None,
) -> grpc.RpcMethodHandler[Any, Any]:
    """The same kind of handler with its behavior wrapped and its request deserializer replaced. A behavior
    that answers through a callback instead of holding a handler thread (health's Watch) is left as it is:
    wrapped, it lost the mark that tells grpc so, and each Watch held a thread for as long as it was open,
    so a few clients watching health left none for the calls that need a token."""
    h: Any = handler
    if _non_blocking(handler):
        return handler
    for kind, factory in (
        ("unary_unary", grpc.unary_unary_rpc_method_handler),
        ("unary_stream", grpc.unary_stream_rpc_method_handler),
        ("stream_unary", grpc.stream_unary_rpc_method_handler),
        ("stream_stream", grpc.stream_stream_rpc_method_handler),
    ):
        behavior = getattr(h, kind)
        if behavior is not None:
            made: grpc.RpcMethodHandler[Any, Any] = factory(
                behavior_wrapper(behavior),
                request_deserializer=deserializer,
                response_serializer=h.response_serializer,
            )
            return made
    return handler


def _non_blocking(handler: grpc.RpcMethodHandler[Any, Any]) -> bool:
    behavior = getattr(handler, "unary_stream", None)
    return bool(getattr(behavior, "experimental_non_blocking", False))


def _short(method: str) -> str:
    return method.lstrip("/")


class _Rewrapping(grpc.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """An interceptor that rewraps the method handler grpc found (an unknown method: nothing to wrap, `unknown`)."""

    def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            self.unknown(handler_call_details)
            return None
        return self.rewrap(handler_call_details, handler)

    def rewrap(
        self, details: grpc.HandlerCallDetails, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        raise NotImplementedError

    def unknown(self, details: grpc.HandlerCallDetails) -> None:
        """A call of a method the server lacks, which gRPC answers UNIMPLEMENTED: by default, nothing to do."""


class Observe(_Rewrapping):
    """Counts and times every call by method and status, counts reported matches, logs one line per call,
    and skips work whose caller has already gone. A call no handler of its own runs for is counted all the same
    (`Arrival`): one LimitCalls refuses, one gRPC ends while it waits for a handler thread."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def unknown(self, details: grpc.HandlerCallDetails) -> None:
        """Count a call of a method this server lacks (gRPC answers it UNIMPLEMENTED, on its polling thread): a
        client built for another version of the API, or a typo, shows in the metrics. Under one label, UNKNOWN_METHOD,
        as a caller can name any method; its name is in the DEBUG line. A fault in counting is logged: raised, gRPC
        would answer the call UNKNOWN, not UNIMPLEMENTED, and its caller would not learn what is wrong."""
        try:
            asked = _short(details.method)[:MOST_METHOD_CHARACTERS]
            self.count(asked, grpc.StatusCode.UNIMPLEMENTED.name, 0.0, lambda: None, label=UNKNOWN_METHOD)
        except Exception:
            log.exception("a call of a method this server does not have could not be counted")

    def rewrap(
        self, details: grpc.HandlerCallDetails, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        method = _short(details.method)
        h: Any = handler
        # (here, on gRPC's own thread as the call arrives: before it waits for a worker)
        arrival = Arrival(self, method, time.perf_counter(), time.time())
        _ARRIVING.latest = None if _non_blocking(handler) else arrival  # (not wrapped: no handler of ours runs)
        return _rewrap(
            handler,
            lambda behavior: self._observed(arrival, behavior, h.response_streaming),
            h.request_deserializer,
        )

    def _observed(self, arrival: Arrival, behavior: Behavior, response_streaming: bool) -> Behavior:
        method = arrival.method

        def run(request: Any, context: grpc.ServicerContext) -> Any:
            arrival.taken_up = True
            now, left = time.perf_counter(), time_left(context)
            # (the time the call had as it arrived: one that waited for a worker has little left as it starts)
            started = _Started(now, None if left is None else left + now - arrival.at)
            self.metrics.in_flight.inc()
            try:
                _give_up_if_caller_left(context)
                response = behavior(request, context)
            except BaseException as exc:
                self._finish(method, context, started, exc)
                raise
            if response_streaming:
                return self._observed_stream(method, response, context, started)
            self._count_matches(method, response)
            self._finish(method, context, started, None)
            return response

        return run

    def _observed_stream(
        self, method: str, responses: Iterator[Any], context: grpc.ServicerContext, started: _Started
    ) -> Iterator[Any]:
        finish = _Once(lambda error: self._finish(method, context, started, error))
        context.add_callback(lambda: finish(None))  # the call ended before the generator ran (cancelled early)
        error: BaseException | None = None
        try:
            for response in responses:
                self._count_matches(method, response)
                yield response
        except BaseException as exc:  # GeneratorExit too: the caller cancelled mid-stream
            error = exc
            raise
        finally:
            finish(error)

    def _count_matches(self, method: str, response: Any) -> None:
        for outcome in getattr(response, "results", (response,)):  # (a batch response holds many)
            verdict = getattr(outcome, "verdict", None)
            if verdict is not None and verdict.matches:
                self.metrics.matches.labels(method).inc(len(verdict.matches))
            if hasattr(outcome, "error") and outcome.HasField("error"):  # (a stream's article answered with an error)
                code = _CODE_NAMES.get(outcome.error.code, str(outcome.error.code))
                self.metrics.article_errors.labels(method, code).inc()

    def _finish(
        self, method: str, context: grpc.ServicerContext, started: _Started, error: BaseException | None
    ) -> None:
        elapsed = time.perf_counter() - started.at
        self.metrics.in_flight.dec()
        self.count(method, _code_name(context, error, started.time_given), elapsed, context.peer)

    def count(
        self, method: str, code: str, elapsed: float, peer: Callable[[], str | None], label: str | None = None
    ) -> None:
        """One call ended with `code` after `elapsed` seconds: counted and timed under `label` (by default its
        method), and logged at DEBUG."""
        self.metrics.calls.labels(label or method, code).inc()
        self.metrics.latency.labels(label or method, code).observe(elapsed)
        if log.isEnabledFor(logging.DEBUG):
            fields = {"method": method, "code": code, "ms": round(elapsed * 1000, 3), "peer": peer()}
            log.debug("rpc %s %s %.1fms", method, code, elapsed * 1000, extra=fields)


class Arrival:
    """A call Observe counts, as it arrived, until a handler thread takes it up. A unary call whose deadline passed
    (or whose caller cancelled) while it waited for a handler thread is ended by gRPC with no handler run: the pool
    it was handed to (CallPool) counts it then (`ended_unrun`), and LimitCalls counts one it refuses (`count`)."""

    def __init__(self, observe: Observe, method: str, at: float, wall: float) -> None:
        self.observe, self.method = observe, method
        self.at, self.wall = at, wall  # time.perf_counter() and time.time() as it arrived
        self._event: Any = None  # gRPC's request event of the call, once handed to the pool: its deadline
        self._peer: str | None = None  # its caller, as gRPC names it (noted for the DEBUG call line only)
        # Set by Observe's handler on the handler thread; read once the call's future is done, on that thread or
        # (if done already) on the thread that added the callback, after the future's lock: either way after the set.
        self.taken_up = False

    def handed(self, args: tuple[Any, ...]) -> bool:
        """Note gRPC's request event of the call among the arguments gRPC hands the pool with it: was it there?
        Those arguments are gRPC's own (grpc._server); where it hands them otherwise, False, and a call it then
        ends unrun is not counted (tests/integration/test_metrics.py fails: it counts one). (The event names no
        method to match: a registered method's is empty, its name in gRPC's tag.)"""
        self._event = next((arg for arg in args if hasattr(arg, "call_details")), None)
        if log.isEnabledFor(logging.DEBUG):  # (for the call's line; gRPC forgets it once the call has ended)
            self._peer = _peer_of(self._event)
        return self._event is not None

    def count(self, code: str, peer: Callable[[], str | None] = lambda: None) -> None:
        """Count the call as ended with `code`, timed from its arrival."""
        self.observe.count(self.method, code, time.perf_counter() - self.at, peer)

    def ended_unrun(self) -> None:
        """Count the call gRPC ended with no handler run: DEADLINE_EXCEEDED if its deadline had passed by the time a
        handler thread found it ended (within the rounding of its timeout, as `_code_name` allows), else CANCELLED."""
        past = self._past_deadline(time.time())
        self.count((grpc.StatusCode.DEADLINE_EXCEEDED if past else grpc.StatusCode.CANCELLED).name, lambda: self._peer)

    def _past_deadline(self, now: float) -> bool:
        """Has the server's deadline (the caller's, which gRPC sends rounded up) passed, or nearly?"""
        deadline = getattr(self._event.call_details, "deadline", None)  # (time.time()'s seconds, as grpc reckons it)
        if not isinstance(deadline, float) or deadline - self.wall > NO_DEADLINE:
            return False
        return deadline - now <= _rounding_allowance(deadline - self.wall)


def _peer_of(event: Any) -> str | None:
    peer = getattr(getattr(event, "call", None), "peer", lambda: None)()
    return peer.decode(errors="replace") if isinstance(peer, bytes) else None


# The call Observe saw arrive last on gRPC's polling thread, which then hands that call to CallPool.submit, on the
# same thread, before it takes up the next call (None: a call with no handler of Observe's to run).
_ARRIVING = threading.local()


def _taken_arrival() -> Arrival | None:
    arrival: Arrival | None = getattr(_ARRIVING, "latest", None)
    _ARRIVING.latest = None
    return arrival


class _Started(NamedTuple):
    at: float  # time.perf_counter()
    time_given: float | None  # the seconds the call had as it arrived (None: no deadline)


class _Once:
    """Calls `action` the first time only: a stream ends either in its generator or in grpc's done-callback."""

    def __init__(self, action: Callable[[BaseException | None], None]) -> None:
        self._action = action
        self._lock = threading.Lock()
        self._done = False

    def __call__(self, error: BaseException | None) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._action(error)


def _give_up_if_caller_left(context: grpc.ServicerContext) -> None:
    """A call that waited for a worker past its deadline (or was cancelled) is not worth starting."""
    if context.is_active():
        return
    if deadline_passed(context):
        abort(context, DeadlineExceeded("the deadline passed before a worker was free"))
    abort(context, Cancelled("the caller cancelled before a worker was free"))


class LimitStreams(_Rewrapping):
    """At most `limit` request streams at once; one more gets RESOURCE_EXHAUSTED at once.

    The sync gRPC server runs a stream on one handler thread for as long as it is open, and an
    ingest pipeline may hold one open for hours. Without a cap, as many streams as handler
    threads leave none for CheckArticle or the health service: probes time out and an
    orchestrator restarts a server that was only busy. The slot is taken on the handler
    thread (a call grpc refuses before running it takes none) and given back when the call
    ends, however it ends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        # Reflection streams need no token, so they have slots of their own, few: a tool such as grpcurl
        # holds one for a moment, but idle ones held open would otherwise take every handler thread.
        self._reflection_slots = threading.BoundedSemaphore(REFLECTION_STREAMS)

    def rewrap(
        self, details: grpc.HandlerCallDetails, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        h: Any = handler
        if not h.request_streaming or details.method.startswith(HEALTH_PREFIX):
            return handler
        if details.method.startswith(REFLECTION_PREFIX):
            return _rewrap(handler, self._limited(self._reflection_slots, _REFLECTION_FULL), h.request_deserializer)
        return _rewrap(handler, self._limited(self._slots, self._full_message()), h.request_deserializer)

    @staticmethod
    def _limited(slots: threading.BoundedSemaphore, full: str) -> Callable[[Behavior], Behavior]:
        def limited(behavior: Behavior) -> Behavior:
            def run(requests: Any, context: grpc.ServicerContext) -> Any:
                if not slots.acquire(blocking=False):
                    abort(context, ResourceExhausted(full))
                release = _Once(lambda _error: slots.release())
                if not context.add_callback(lambda: release(None)):  # the call has already ended
                    release(None)
                return behavior(requests, context)

            return run

        return limited

    def _full_message(self) -> str:
        streams = "request stream is" if self.limit == 1 else "request streams are"
        return (f"{self.limit} {streams} already open, this server's limit (--max-streams): "
                "retry after a backoff, send more articles per stream, or use another replica")  # fmt: skip


P = ParamSpec("P")
T = TypeVar("T")
REFUSING_THREADS = 2  # threads of LimitCalls' own, which answer the calls over its limit


class CallPool(futures.ThreadPoolExecutor):
    """The server's handler threads, counting the calls handed to them and not finished (running, or waiting
    for a thread), as gRPC counts them for its maximum_concurrent_rpcs: gRPC hands each call it runs to this
    pool's submit, and the call ends when its future does. Those waiting for a thread are counted apart too."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count_lock = threading.Lock()
        self._in_flight = self._waiting = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Calls handed to the pool that no thread has taken up yet."""
        return self._waiting

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> futures.Future[T]:
        arrival = _handed_arrival(args)
        queued = _Queued()
        self._count(1, 1)
        try:
            future = super().submit(self._taken_up, queued, partial(fn, *args, **kwargs))
        except BaseException:  # (a pool shut down, or its new thread not started: the work may run all the same)
            self._count(-1, 0)
            self._leave_queue(queued)
            raise
        future.add_done_callback(lambda _future: self._done(arrival, queued))
        return future

    def _taken_up(self, queued: _Queued, call: Callable[[], T]) -> T:
        self._leave_queue(queued)
        return call()

    def _done(self, arrival: Arrival | None, queued: _Queued) -> None:
        self._count(-1, 0)
        self._leave_queue(queued)  # (a future cancelled before a thread took it up: none are, but the count holds)
        if arrival is not None and not arrival.taken_up:
            arrival.ended_unrun()

    def _leave_queue(self, queued: _Queued) -> None:
        """The call waits for a thread no more (once only, whichever of taken up, done or refused comes first)."""
        with self._count_lock:
            if queued.waiting:
                queued.waiting = False
                self._waiting -= 1

    def _count(self, in_flight: int, waiting: int) -> None:
        with self._count_lock:
            self._in_flight += in_flight
            self._waiting += waiting


class _Queued:
    """Whether a call handed to CallPool still waits for a thread (changed under the pool's count lock)."""

    waiting = True


def _handed_arrival(args: tuple[Any, ...]) -> Arrival | None:
    """The call gRPC hands CallPool now, as Observe saw it arrive (None: not to be counted so). On gRPC's polling
    thread, outside what gRPC catches: a fault here would end that thread, and the server would take no more calls,
    so it is logged and the call goes uncounted if it ends unrun."""
    try:
        arrival = _taken_arrival()
        return arrival if arrival is not None and arrival.handed(args) else None
    except Exception:
        log.exception("a call's arrival could not be noted; if it ends before a handler runs, it is not counted")
        return None


class LimitCalls(grpc.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """At most `limit` calls in `pool` at once (--max-concurrent-rpcs); one more gets RESOURCE_EXHAUSTED at
    once, saying so. gRPC's own limit (grpc.server's maximum_concurrent_rpcs), which this replaces, counted
    the same calls but answered "Concurrent RPC limit exceeded!", naming neither the limit nor the flag.

    Decided as the call arrives, on gRPC's polling thread, before the call is handed to the pool; the refusal
    runs on threads of its own (gRPC's experimental_thread_pool, as the health service's Watch uses), so it is
    answered at once even while every handler thread is busy and calls wait for one. A health Watch counts
    only while its handler runs (a moment: it answers through a callback), as under gRPC's limit."""

    def __init__(self, pool: CallPool, limit: int) -> None:
        self._pool, self.limit = pool, limit
        message = self._full_message()

        def refuse(_request: Any, context: grpc.ServicerContext) -> Any:
            abort(context, ResourceExhausted(message))

        refuse.experimental_thread_pool = futures.ThreadPoolExecutor(  # type: ignore[attr-defined]
            REFUSING_THREADS, thread_name_prefix="neardup-refuse"
        )
        self._refuse = refuse

    def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None or self._pool.in_flight < self.limit:
            return handler
        _count_refusal(_taken_arrival())  # (the call as Observe, next in the chain, saw it arrive: no handler runs)
        h: Any = handler
        kind = ("stream_" if h.request_streaming else "unary_") + ("stream" if h.response_streaming else "unary")
        refusing: grpc.RpcMethodHandler[Any, Any] = getattr(grpc, f"{kind}_rpc_method_handler")(self._refuse)
        return refusing

    def _full_message(self) -> str:
        calls = "call is" if self.limit == 1 else "calls are"
        return (f"{self.limit} {calls} already in flight (running or waiting for a handler thread), this server's "
                "limit (--max-concurrent-rpcs): retry after a backoff, make fewer calls at once (an open stream "
                "counts as one for as long as it is open), or use another replica")  # fmt: skip


def _count_refusal(arrival: Arrival | None) -> None:
    """Count a call refused over the limit as it is refused (its caller may be gone before the refusal runs). A
    fault in counting is logged: gRPC would answer the call UNKNOWN for it, not RESOURCE_EXHAUSTED."""
    if arrival is None:
        return
    try:
        arrival.count(grpc.StatusCode.RESOURCE_EXHAUSTED.name)
    except Exception:
        log.exception("a call refused over --max-concurrent-rpcs could not be counted")


class RejectUndecodable(_Rewrapping):
    """Requests whose bytes are not a valid message get INVALID_ARGUMENT with the reason (grpc would say
    INTERNAL). Innermost, so that only a caller past authentication learns how its bytes were wrong.

    Most such requests carry text that is not UTF-8, which proto3 refuses: read by their twin (service/lenient.py),
    the answer names the field; in an index stream only the articles with such text are refused, each answered in
    its place, and the stream reads on, as for any other article refused."""

    def rewrap(
        self, details: grpc.HandlerCallDetails, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        h: Any = handler
        streaming, method = bool(h.request_streaming), details.method

        def checking(behavior: Behavior) -> Behavior:
            def run(request: Any, context: grpc.ServicerContext) -> Any:
                checked = _checked_stream(request, context, method) if streaming else _checked(request, context, method)
                return behavior(checked, context)

            return run

        return _rewrap(handler, checking, _tolerant(h.request_deserializer))


def _checked(request: Any, context: grpc.ServicerContext, method: str) -> Any:
    if isinstance(request, _Undecodable):
        twin = read_twin(request.data, method)
        refused = None if twin is None else refused_text(twin)
        if refused is not None:
            abort(context, refused)
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request {_not_wire_format(request, method)}")
    return request


def _checked_stream(requests: Iterator[Any], context: grpc.ServicerContext, method: str) -> Iterator[Any]:
    """A message with text that is not UTF-8 goes on read by its twin (its articles with such text refused, each
    answered in its place); the stream ends at the first message that is not protobuf at all, and the call then
    finishes INVALID_ARGUMENT after answering the articles before it."""
    for number, request in enumerate(requests, 1):
        if isinstance(request, _Undecodable):
            twin = read_twin(request.data, method)
            readable = None if twin is None else mended(twin)
            if readable is None:
                context.set_code(grpc.StatusCode.INVALID_ARGUMENT)
                context.set_details(_unread_stream(number, request, method))
                return
            yield readable
            continue
        yield request


def _not_wire_format(bad: _Undecodable, method: str) -> str:
    twin = twin_of(method)
    if twin is None:  # (health, reflection: no twin to tell what was wrong)
        return f"is not a valid protobuf message for this method ({bad.error})"
    kind = twin.DESCRIPTOR.full_name
    if read_twin(bad.data, method) is not None:  # (it reads as wire format: neither its text nor that is to blame)
        return f"is not a valid {kind} message ({bad.error})"
    return (f"is not a valid {kind} message ({bad.error}): its bytes do not read as protobuf's wire "
            "format, whatever their text; check the client's encoder (a message cut short, or of another type, "
            "reads so)")  # fmt: skip


def _unread_stream(number: int, bad: _Undecodable, method: str) -> str:
    return (f"message {number} of this stream (counting from 1) {_not_wire_format(bad, method)}. The answers sent "
            "before this status are those of the messages before it; this message and those after it were not "
            "read: send them again, mended, on a new stream")  # fmt: skip


# gRPC sends a call's timeout rounded up, by up to ≈1 % (10 ms of 1 s, 100 ms of 10 to 30 s, 5 s of 20 min), so the
# server's deadline comes after its caller's by up to that much: a call seen to end within it of the server's deadline
# was ended by its caller's gRPC at the caller's deadline (or cancelled in its last 1.5 %, which cannot be told apart).
DEADLINE_ROUNDING = 0.015
DEADLINE_SLACK_SECONDS = 0.005  # (and the time the end took to be seen)


def _rounding_allowance(time_given: float) -> float:
    """How long before the server's deadline a call with `time_given` seconds as it arrived, seen to end
    unanswered, still counts as ended by its deadline (above)."""
    return time_given * DEADLINE_ROUNDING + DEADLINE_SLACK_SECONDS


def _code_name(context: grpc.ServicerContext, error: BaseException | None, time_given: float | None = None) -> str:
    """The code a call is counted and logged with. One answered or ended once the server's deadline had passed,
    unless the server set a code of its own or the handler raised, is DEADLINE_EXCEEDED, as its caller's gRPC said. One
    that ended before it was answered (the context no longer active, a stream's generator closed), or that the server
    ended CANCELLED on seeing so, is DEADLINE_EXCEEDED too within the rounding of its timeout (`time_given`: the seconds
    it had as it arrived, None without a deadline) before the server's deadline; CANCELLED before that (the caller
    cancelled, or went away)."""
    code = getattr(context, "code", lambda: None)()
    set_by_server = isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.CANCELLED
    if set_by_server or (error is not None and not isinstance(error, GeneratorExit) and code is None):
        return code.name if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN.name
    ended = code is grpc.StatusCode.CANCELLED or isinstance(error, GeneratorExit) or not context.is_active()
    slack = 0.0 if time_given is None or not ended else _rounding_allowance(time_given)
    if time_given is not None and deadline_passed(context, within=slack):
        return grpc.StatusCode.DEADLINE_EXCEEDED.name
    return (grpc.StatusCode.CANCELLED if ended else grpc.StatusCode.OK).name


class BearerTokenAuth(_Rewrapping):
    """Every call except health and reflection must carry `authorization: Bearer <token>`."""

    def __init__(self, tokens: Callable[[], Sequence[bytes]]) -> None:
        """`tokens`: those accepted now, each (several while clients move from an old token to a new one);
        asked at every call, so a changed token file can be followed (see accepted_tokens)."""
        self._tokens = tokens
        self._refusals = RefusalLog()

    def rewrap(
        self, details: grpc.HandlerCallDetails, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        if details.method.startswith(OPEN_PREFIXES):
            return handler
        problem = self._problem(details.invocation_metadata)
        if problem is None:
            return handler
        h: Any = handler
        return _rewrap(handler, lambda _behavior: self._refuse(problem), h.request_deserializer)

    def _refuse(self, message: str) -> Behavior:
        def refuse(_request: Any, context: grpc.ServicerContext) -> Any:
            self._refusals.note(context.peer(), _refused_for(message))
            context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

        return refuse

    def _problem(self, metadata: Any) -> str | None:
        sent = [value for key, value in (metadata or ()) if key == "authorization"]
        if not sent:
            return (f"{_NO_TOKEN}: send metadata 'authorization: Bearer <token>' "
                    "(neardup CLI: --token-file FILE or NEARDUP_TOKEN_FILE)")  # fmt: skip
        if len(sent) > 1:  # (which one counts would depend on their order)
            return f"the call carried {len(sent)} 'authorization' headers: send one, 'authorization: Bearer <token>'"
        value = sent[0].encode() if isinstance(sent[0], str) else bytes(sent[0])
        scheme, _, credentials = value.strip().partition(b" ")
        # (the scheme is case-insensitive, RFC 9110 11.1: "bearer" and "BEARER" are "Bearer")
        if scheme.lower() != b"bearer":  # (a token sent alone, or under another scheme: told so, whatever it is)
            return (f"{_NO_SCHEME}: the header must be 'authorization: Bearer <token>', the word Bearer and a "
                    "space before the token")  # fmt: skip
        if not credentials.strip():  # ("Bearer $TOKEN" with the variable unset: no token was sent to compare)
            return (f"{_EMPTY_TOKEN}: the token after it is empty (a variable or file meant to hold it, empty?); "
                    "send 'authorization: Bearer <token>' with the token of the server's --auth-token-file "
                    "(neardup CLI: --token-file FILE or NEARDUP_TOKEN_FILE)")  # fmt: skip
        # (every token is compared, in constant time, so the time taken does not tell which one came close)
        if any([hmac.compare_digest(credentials.strip(), expected) for expected in self._tokens()]):
            return None
        return ("the bearer token was not accepted: check that your token file holds the same token as the "
                "server's --auth-token-file")  # fmt: skip


_NO_TOKEN = "this server requires a bearer token"
_NO_SCHEME = "the 'authorization' header does not start with 'Bearer '"
_EMPTY_TOKEN = "the 'authorization' header carries no token after 'Bearer '"


def _refused_for(message: str) -> str:
    """What a refusal's log line says the call sent (never the token)."""
    if message.startswith(_NO_TOKEN):
        return "no token"
    if message.startswith(_EMPTY_TOKEN):
        return "an empty token after 'Bearer '"
    return "no 'Bearer ' scheme" if message.startswith(_NO_SCHEME) else "a wrong token"


def accepted_tokens(text: str) -> list[bytes]:
    """The tokens a token file's text holds: one a line, blank lines and lines starting with # skipped.
    ValueError if there is none, or one no gRPC header could carry."""
    tokens = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not tokens:
        raise ValueError("holds no token (it is empty, or blank and # lines only): put the token in it")
    for token in tokens:
        if unfit := next((c for c in token if not " " <= c <= "~"), None):
            # (no client could send it: gRPC refuses such a header value before the call leaves)
            raise ValueError(
                f"holds a token with {unfit!r} (U+{ord(unfit):04X}) in it, which a gRPC header cannot carry: a "
                "token is one line of printable ASCII"
            )
    return [token.encode() for token in tokens]


class RefusalLog:
    """Logs refused credentials at WARNING, at most one line a `interval` seconds (service/logs.py, Throttle):
    an operator must see a client with a stale token, but one retrying in a loop must not fill the log. The
    line names the caller and counts the refusals left unlogged since the last line; it never shows the
    token sent."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._throttle = Throttle(interval, clock)

    def note(self, peer: str, what: str) -> None:
        unlogged = self._throttle.due()
        if unlogged is None:
            return
        held = f"; {unlogged} more refused since the last such line" if unlogged else ""  # (none before the first)
        log.warning(
            "refused a call from %s with %s (UNAUTHENTICATED)%s",
            peer, what, held, extra={"peer": peer, "refused_unlogged": unlogged},
        )  # fmt: skip
