"""The gRPC boundary: convert the request, call the engine, convert the result.

Errors become status codes through `status_for` (service/status.py); a call is ended with one by its `abort`,
which the interceptors use too. The server that serves it (its interceptors, ports, workers and health) is put
together in grpc_server.py.
"""

from __future__ import annotations

import functools
import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import grpc
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from service import __version__, waits
from service.convert import article_from_pb, deletions_to_pb, group_page_to_pb, stats_to_pb, stored_to_pb, verdict_to_pb
from service.detector import MAX_FIELD_BYTES, MAX_ID_BYTES, Prepared, check_id
from service.engine import Engine
from service.errors import Cancelled, DeadlineExceeded, InvalidArgument, Unavailable
from service.lenient import MendedRequest, Unreadable
from service.logs import Throttle
from service.model import Article, PreparedArticle, Verdict
from service.pending import PendingIds
from service.status import abort, article_status_for
from service.workers import FingerprintPool, copy_outcome

log = logging.getLogger(__name__)

# Articles one IndexArticleBatches message may carry. Its answer is one message too, and each answer can hold
# up to --max-candidates matches: 5,000 short copies of one story made a 4.7 MiB answer, over gRPC's 4 MiB.
MAX_BATCH_ARTICLES = 1000
# The largest message the server sends: a stored body under a raised --max-body-bytes (GetArticle). A batch's
# answers are cut into messages of at most ANSWER_PART_BYTES (answer_parts).
MAX_ANSWER_BYTES = 64 << 20
# gRPC's default receive limit, which every client library has unless its caller raises it.
DEFAULT_RECEIVE_LIMIT = 4 << 20
# A batch's answers can outgrow gRPC's default 4 MiB receive limit, which every client library has: 1,000
# copies of one story with 200-byte ids, 32 matches each, make 7 MiB. They go in parts of at most this, each
# but the last marked `more_follow`, with room left for the envelope.
ANSWER_PART_BYTES = (4 << 20) - (64 << 10)
NO_DEADLINE = 365 * 24 * 3600.0  # time_remaining() beyond this means the caller set no deadline
STREAM_WINDOW = 1024  # articles of one stream in flight at once: enough for group commits, bounded memory
WITHDRAWALS_LOGGED_EVERY = 10.0  # seconds: at most one line of streams' articles withdrawn (`_Pending.withdraw`)
# ... and at most this many bytes of their text (but always one article): 1,024 articles of 1 MiB each held
# ≈1 GiB for one stream whose answers were not read while fingerprinting lagged.
STREAM_WINDOW_BYTES = 32 << 20
# Share of a unary index call's time left that its answer is sent early by (_before_the_caller_gives_up).
ANSWER_MARGIN = 0.2
SHUTTING_DOWN = (
    "the server is shutting down: this stream's articles after the last answered were not read; send them "
    "again (to another server, or after the restart)"
)
_NOT_DELETED = "nothing was deleted; send the delete again once the stream has answered for it"

T = TypeVar("T")
R = TypeVar("R")
# What an index stream's reader takes: a request, or one whose text protobuf refused, read by its twin.
_StreamRequest = pb.IndexArticlesRequest | pb.IndexArticleBatchesRequest | MendedRequest


def receive_limit(max_body_bytes: int) -> int:
    """The largest request message the server takes: room to answer "body too long" ourselves."""
    return max(4 << 20, 2 * max_body_bytes + (1 << 20))


def largest_article_answer(max_body_bytes: int) -> int:
    """At most how many bytes a GetArticle answer takes for an article stored under this body limit: the body
    whole, beside the longest id, title, source, url and duplicate_of and both times."""
    widest = pb.GetArticleResponse(
        article=pb.Article(id="i" * MAX_ID_BYTES, title="t" * MAX_FIELD_BYTES, source="s" * MAX_FIELD_BYTES,
                           url="u" * MAX_FIELD_BYTES),
        duplicate_of="d" * MAX_ID_BYTES,
    )  # fmt: skip
    for time_field in (widest.article.published, widest.indexed_at):
        time_field.seconds, time_field.nanos = 253402300799, 999_999_999  # (9999-12-31: the widest varints)
    # The body's bytes, its tag and length (at most 1 + 5 bytes), and the article's length growing by up to 4.
    return widest.ByteSize() + max_body_bytes + 10


def answer_parts(
    results: list[pb.IndexArticlesResponse], limit: int = ANSWER_PART_BYTES
) -> Iterator[pb.IndexArticleBatchesResponse]:
    """A batch's answers as messages of at most `limit` bytes, in order, all but the last `more_follow` (one
    answer alone over `limit` goes in a part of its own). Most batches are one message: sized once, in C."""
    whole = pb.IndexArticleBatchesResponse(results=results)
    if whole.ByteSize() <= limit:
        yield whole
        return
    part: list[pb.IndexArticlesResponse] = []
    size = 0
    for result in results:
        grows = result.ByteSize() + 6  # (its field tag and length)
        if part and size + grows > limit:
            yield pb.IndexArticleBatchesResponse(results=part, more_follow=True)
            part, size = [], 0
        part.append(result)
        size += grows
    yield pb.IndexArticleBatchesResponse(results=part)


def _checked_id(article_id: str, field: str = "id") -> str:
    check_id(field, article_id)
    return article_id


def _unary(handler: Callable[[NearDuplicateServicer, T, grpc.ServicerContext], R]) -> Callable[..., R]:
    def wrapped(self: NearDuplicateServicer, request: T, context: grpc.ServicerContext) -> R:
        try:
            return handler(self, request, context)
        except Exception as exc:
            abort(context, exc)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _streaming(
    handler: Callable[[NearDuplicateServicer, T, grpc.ServicerContext], Iterator[R]],
) -> Callable[..., Iterator[R]]:
    """A response stream that fails ends with status_for's code; grpc itself would say UNKNOWN."""

    def wrapped(self: NearDuplicateServicer, requests: T, context: grpc.ServicerContext) -> Iterator[R]:
        try:
            yield from handler(self, requests, context)
        except Exception as exc:
            abort(context, exc)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


class NearDuplicateServicer(pb_grpc.NearDuplicateServiceServicer):
    def __init__(self, engine: Engine, pool: FingerprintPool | None = None) -> None:
        self.engine = engine
        self.pool = pool
        self.streams = OpenStreams()
        self.pending = PendingIds()  # the streams' articles not yet decided: IndexArticle and deletes wait on theirs

    def _prepare_and_submit(self, article: pb.Article, evidence: bool) -> futures.Future[Verdict]:
        """Queue a streamed article for indexing, in the reader's thread (without worker processes)."""
        return self.engine.submit(self.engine.detector.prepare(article_from_pb(article)), evidence)

    def _prepare_now(self, article: pb.Article) -> PreparedArticle:
        """For a caller waiting for this one answer: fingerprinted in this thread when the workers have a
        backlog (an ingest's streams), instead of waiting behind it (seconds, at full ingest)."""
        if self.pool and not self.pool.backlogged():
            return self.pool.prepare(article_from_pb(article)).result()
        return self.engine.detector.prepare(article_from_pb(article))

    @_unary
    def IndexArticle(self, request: pb.IndexArticleRequest, context: grpc.ServicerContext) -> pb.IndexArticleResponse:
        prepared = self._prepare_now(request.article)
        if refusal := self.engine.refusal_of_new_id(prepared):  # (answered at once, not behind the writer)
            raise refusal
        ends = _answer_by(context)
        self._after_earlier_versions(
            [request.article.id], context,
            "this one was not stored; send it again once the stream has answered for the earlier one",
        )  # fmt: skip
        # (urgent: decided in the writer's next transaction, not behind what the streams have queued)
        future = self.engine.submit(prepared, request.include_evidence, urgent=True)
        try:
            verdict = future.result(timeout=None if ends is None else max(ends - time.monotonic(), 0.0))
        except futures.TimeoutError:
            if future.cancel():  # the caller gave up, and the writer had not taken it: it is never stored
                raise DeadlineExceeded(
                    "the deadline passed before the article was taken up: it was not stored"
                ) from None
            raise DeadlineExceeded(
                "the deadline passed while the article was being stored: it may be stored; sending it again is "
                "safe (the same article re-sent stores nothing twice)"
            ) from None
        return pb.IndexArticleResponse(verdict=verdict_to_pb(verdict))

    def _after_earlier_versions(
        self, article_ids: Sequence[str], context: grpc.ServicerContext, otherwise: str
    ) -> None:
        """Wait for the streams' articles of these ids read before this call, by this replica or another one
        sharing the store (a correction sent alone jumped ahead of them and was overwritten by the older
        version; a delete was undone): DeadlineExceeded saying
        `otherwise` if the time runs out first, Cancelled if the call ended meanwhile (the server stopping after
        its grace, or the caller gone: what it asked is then not done, as no one would hear it was)."""
        these = "this article" if len(article_ids) == 1 else "some of these articles"
        ends = _answer_by(context)
        if not self.pending.wait_for(article_ids, _left(ends)):
            raise DeadlineExceeded(
                f"the deadline passed while an earlier version of {these}, sent in a stream, waited to be stored: "
                f"{otherwise}"
            )
        # Then for those another replica sharing the store read (behind a load balancer, the usual case).
        if not self.engine.holds.wait_elsewhere(article_ids, _left(ends), context.is_active):
            raise DeadlineExceeded(
                f"the deadline passed while an earlier version of {these}, sent in a stream to another replica, "
                f"waited to be stored there: {otherwise}"
            )
        if not context.is_active():
            raise Cancelled(f"the call ended while an earlier version of {these} waited to be stored: {otherwise}")

    @_unary
    def CheckArticle(self, request: pb.CheckArticleRequest, context: grpc.ServicerContext) -> pb.CheckArticleResponse:
        # Fingerprinted in this thread, not by the workers: for one article the round trip to a worker
        # costs more CPU than the fingerprint itself, and a check must not queue behind an ingest's
        # batches at the workers (docs/perf.md, "CheckArticle latency").
        article, deadline = article_from_pb(request.article), _deadline(context)
        verdict = self.engine.check_article(article, request.include_evidence, deadline, context.is_active)
        return pb.CheckArticleResponse(verdict=verdict_to_pb(verdict))

    @_streaming
    def IndexArticles(
        self, request_iterator: Iterator[pb.IndexArticlesRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.IndexArticlesResponse]:
        with self.streams.opened(context) as pending:
            threading.Thread(target=self._read_stream, args=(request_iterator, pending), daemon=True).start()
            for item in pending:
                assert isinstance(item, _Item)
                response = _stream_response(item)
                if pending.withdrawn:  # (the call has ended: an answer now is sent to no one, nor counted)
                    return
                yield response
            pending.raise_failure()

    @_streaming
    def IndexArticleBatches(
        self, request_iterator: Iterator[pb.IndexArticleBatchesRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.IndexArticleBatchesResponse]:
        with self.streams.opened(context) as pending:
            threading.Thread(target=self._read_stream, args=(request_iterator, pending), daemon=True).start()
            items = iter(pending)
            for size in items:  # each batch's articles follow its size in the hand-off
                assert isinstance(size, _BatchSize)
                batch = [item for item in itertools.islice(items, size.articles) if isinstance(item, _Item)]
                answers = [_stream_response(item) for item in batch]
                if pending.withdrawn:  # (the call has ended: answers now are sent to no one, nor counted)
                    return
                if len(batch) < size.articles:  # cancelled, or the reader failed, mid-batch
                    if batch and pending.failure is not None:  # (those taken may be stored: say so)
                        yield from answer_parts(answers)
                    break
                yield from answer_parts(answers)
            pending.raise_failure()

    def _read_stream(self, requests: Iterator[_StreamRequest], pending: _Pending) -> None:
        """Fingerprint and queue each article as it arrives, so the writer can batch them. In a batch
        stream a batch's size goes first; the window counts articles either way, not messages. Once the
        server drains the stream, no request is taken after the one being taken."""
        try:
            for request in requests:
                if not pending.begin_request():
                    return
                self._take(request, pending)
                pending.end_request()
                if pending.cancelled.is_set():
                    return
        except grpc.RpcError:
            pass  # the client went away; what was queued is still stored and answered if it can be
        except Exception as exc:  # (a bug) the call must not end OK with the articles after it unanswered
            pending.failure = exc
        finally:
            pending.close()

    def _take(self, request: _StreamRequest, pending: _Pending) -> None:
        """Queue one request's articles (a batch's size first)."""
        if isinstance(request, pb.IndexArticlesRequest):
            self._queue([request.article], request.include_evidence, pending)
            return
        if isinstance(request, MendedRequest) and not request.batch:
            self._queue(request.articles, request.include_evidence, pending)
            return
        pending.put(_BatchSize(len(request.articles)))
        if len(request.articles) > MAX_BATCH_ARTICLES:
            for item in _too_many(request.articles):
                pending.put(item)
            return
        self._queue(request.articles, request.include_evidence, pending)

    def _queue(self, articles: Sequence[pb.Article | Unreadable], evidence: bool, pending: _Pending) -> None:
        """Queue a request's articles one by one, each pending under its id from now until it is decided (an
        IndexArticle or a delete of the same id waits for it). With worker processes, the articles queued in a row
        go to them together (`_ToPrepare`): sent before the reader would wait for room in the window, and at the
        end, so the answers it waits for are on their way."""
        ids = [article.id for article in articles]
        read, held = self.pending.read(ids), self.engine.holds.read(ids)  # (held: told to the other replicas)
        to_prepare = _ToPrepare(self.pool, self.engine, evidence, pending) if self.pool else None
        try:
            for article in articles:
                if pending.withdrawn:  # (the call ended: the rest of its request is neither fingerprinted nor queued)
                    break
                item = self._item(article, evidence, to_prepare, pending)
                read.follow(item.outcome)
                held.follow(item.outcome)
                if to_prepare is not None and not pending.has_room(item):
                    to_prepare.send()
                pending.put(item)
        finally:
            if to_prepare is not None:
                to_prepare.send()
            read.stop_following()
            held.stop_following()

    def _item(
        self, article: pb.Article | Unreadable, evidence: bool, to_prepare: _ToPrepare | None, pending: _Pending
    ) -> _Item:
        if isinstance(article, Unreadable):  # (its text was not UTF-8: RejectUndecodable)
            return _Item(article.id, article.error)
        try:
            # (its size in bytes as sent: counted in characters, text of 4-byte characters went 4× over)
            if to_prepare is None:
                queued = self._prepare_and_submit(article, evidence)
                pending.track(queued)
                return _Item(article.id, queued, article.ByteSize())
            return _Item(article.id, to_prepare.add(article_from_pb(article)), article.ByteSize())
        except Exception as exc:  # this article's own failure (INTERNAL for a bug: status_for); the stream goes on
            return _Item(article.id, exc)

    @_unary
    def GetArticle(self, request: pb.GetArticleRequest, context: grpc.ServicerContext) -> pb.GetArticleResponse:
        return stored_to_pb(self.engine.get(_checked_id(request.id)))

    @_unary
    def DeleteArticle(
        self, request: pb.DeleteArticleRequest, context: grpc.ServicerContext
    ) -> pb.DeleteArticleResponse:
        article_id = _checked_id(request.id)
        self._after_earlier_versions([article_id], context, _NOT_DELETED)
        self.engine.delete(article_id, _answer_by(context), context.is_active)
        return pb.DeleteArticleResponse(id=request.id)

    @_unary
    def DeleteArticles(
        self, request: pb.DeleteArticlesRequest, context: grpc.ServicerContext
    ) -> pb.DeleteArticlesResponse:
        ids = [_checked_id(article_id, f"ids[{n}]") for n, article_id in enumerate(request.ids)]
        self._after_earlier_versions(ids, context, _NOT_DELETED)
        return deletions_to_pb(ids, self.engine.delete_all(ids, _answer_by(context), context.is_active))

    @_unary
    def ListGroupMembers(
        self, request: pb.ListGroupMembersRequest, context: grpc.ServicerContext
    ) -> pb.ListGroupMembersResponse:
        page = self.engine.group_members(_checked_id(request.id), request.page_size, request.page_token)
        return group_page_to_pb(page)

    @_unary
    def GetStats(self, request: pb.GetStatsRequest, context: grpc.ServicerContext) -> pb.GetStatsResponse:
        response = stats_to_pb(self.engine.stats(), self.engine.uptime(), __version__)
        response.max_body_bytes = self.engine.detector.max_body_bytes
        response.max_message_bytes = receive_limit(self.engine.detector.max_body_bytes)
        return response


def time_left(context: grpc.ServicerContext) -> float | None:
    """Seconds until the caller's deadline, or None without one (gRPC then reports a huge number)."""
    remaining = context.time_remaining()
    return None if remaining is None or remaining > NO_DEADLINE else max(remaining, 0.0)


def deadline_passed(context: grpc.ServicerContext, within: float = 0.0) -> bool:
    """Has the caller's deadline passed (or is it at most `within` seconds away)? False without a deadline."""
    remaining = context.time_remaining()
    return remaining is not None and remaining <= within


def _before_the_caller_gives_up(left: float | None) -> float | None:
    """How long to wait for an answer so that "it may be stored" or "it was not stored" reaches the caller
    before its own deadline does: answered exactly at the deadline, the caller's gRPC often ended the call
    first, with a bare "Deadline Exceeded" that says neither (ANSWER_MARGIN of the time left, at most 1 s)."""
    return None if left is None else left - min(ANSWER_MARGIN * left, 1.0)


def _answer_by(context: grpc.ServicerContext) -> float | None:
    """When to answer at the latest (a `time.monotonic()` value; None without a deadline): the caller's deadline less
    the margin that gets the answer to it first (`_before_the_caller_gives_up`). A delete not taken up by the writer
    by then is not made, and says so: at the caller's deadline itself, the caller's gRPC ended the call first with a
    bare "Deadline Exceeded", which does not say whether the article was deleted."""
    give_up = _before_the_caller_gives_up(time_left(context))
    return None if give_up is None else time.monotonic() + give_up


def _left(ends: float | None) -> float | None:
    """Seconds until `ends` (a `time.monotonic()` value; None: no bound), at least 0."""
    return None if ends is None else max(ends - time.monotonic(), 0.0)


def _deadline(context: grpc.ServicerContext) -> float | None:
    """The caller's deadline as a `time.monotonic()` value, or None without one."""
    left = time_left(context)
    return None if left is None else time.monotonic() + left


@dataclass
class _Item:
    id: str
    outcome: futures.Future[Verdict] | Exception  # (an exception: the article failed before it was queued)
    size: int = 0  # the article's size as sent, in bytes, while it is in flight


class _ToPrepare:
    """A stream's articles on their way to the fingerprint workers, sent together: one request to the pool, and
    once they are back (in submission order) one `submit_all` to the engine, for those the workers did not refuse.
    Each article's verdict future is made as it is added (a stream's answer waits on it), resolved with the
    engine's verdict, or with the error that stopped it before."""

    def __init__(self, pool: FingerprintPool, engine: Engine, evidence: bool, stream: _Pending) -> None:
        self._pool, self._engine, self._evidence, self._stream = pool, engine, evidence, stream
        self._articles: list[Article] = []
        self._verdicts: list[futures.Future[Verdict]] = []

    def add(self, article: Article) -> futures.Future[Verdict]:
        verdict: futures.Future[Verdict] = futures.Future()
        self._articles.append(article)
        self._verdicts.append(verdict)
        return verdict

    def send(self) -> None:
        """Send the articles added since the last send (none: nothing to do)."""
        if not self._articles:
            return
        articles, verdicts = self._articles, self._verdicts
        self._articles, self._verdicts = [], []
        try:
            self._pool.prepare_all(articles, lambda outcomes: self._submit_prepared(outcomes, verdicts))
        except Exception as exc:  # (a bug: the articles fail, their stream goes on and answers for them)
            for verdict in verdicts:
                verdict.set_exception(exc)

    def _submit_prepared(
        self, outcomes: Sequence[Prepared | BaseException], verdicts: list[futures.Future[Verdict]]
    ) -> None:
        """In the pool's result thread, in submission order: the engine sees a stream's articles in the order sent."""
        ready: list[Prepared] = []
        waiting: list[futures.Future[Verdict]] = []
        for outcome, verdict in zip(outcomes, verdicts, strict=True):
            if isinstance(outcome, BaseException):
                verdict.set_exception(outcome)  # (as it is: status_for tells a retry from a fault)
            else:
                ready.append(outcome)
                waiting.append(verdict)
        if not ready:
            return
        if self._stream.withdrawn:  # (the call ended while they were fingerprinted: `_Pending.withdraw`)
            for verdict in waiting:
                verdict.cancel()
            return
        try:
            submitted = self._engine.submit_all(ready, self._evidence)
        except Exception as error:
            for verdict in waiting:
                verdict.set_exception(error)
            return
        for source, verdict in zip(submitted, waiting, strict=True):
            source.add_done_callback(functools.partial(copy_outcome, target=verdict))
            self._stream.track(source)


@dataclass
class _BatchSize:
    """In a batch stream's hand-off, before a batch's articles: how many follow."""

    articles: int


class _Pending:
    """Bounded, ordered hand-off from a stream's reader thread to its response generator."""

    _END = object()

    def __init__(self, context: grpc.ServicerContext, withdrawals: Throttle) -> None:
        self._queue: queue.Queue[_Item | _BatchSize | object] = queue.Queue(maxsize=STREAM_WINDOW)
        self.cancelled = threading.Event()
        # The engine's futures of the articles this stream queued and the writer has not answered, to withdraw those
        # it has not taken up once the call ends (`withdraw`): those answered leave from the front (`track`), as the
        # writer answers a stream's articles in order.
        self._queued: deque[futures.Future[Verdict]] = deque()
        self._queued_lock = threading.Lock()  # (`cancelled` is set under it too: `track` reads it so)
        self._withdrawals = withdrawals  # (the server's streams': one log line a WITHDRAWALS_LOGGED_EVERY at most)
        self._room = threading.Condition()
        self._bytes = 0  # of the articles put and not yet taken
        # What stopped the reader before the requests ended: a bug, or the server draining the stream.
        self.failure: Exception | None = None
        self._state = threading.Lock()
        self._draining = False
        self._taking = False  # the reader is queueing a request's articles
        if not context.add_callback(self.withdraw):
            self.withdraw()  # (the call had ended already)

    def track(self, future: futures.Future[Verdict]) -> None:
        """An article this stream queued for the writer (the engine's future): withdrawn at once if the call has
        ended (queued as it ended: the reader's or the fingerprint workers' last)."""
        with self._queued_lock:
            if not self.cancelled.is_set():
                while self._queued and self._queued[0].done():
                    self._queued.popleft()
                self._queued.append(future)
                return
        if future.cancel():
            self._said_withdrawn(1)

    @property
    def withdrawn(self) -> bool:
        """The call has ended (`withdraw`): its articles not taken up are withdrawn, and nothing more is answered."""
        return self.cancelled.is_set()

    def withdraw(self) -> None:
        """The call ended (gRPC's callback): the stream's articles the writer has not taken up are withdrawn, never
        stored. Ended early, by its client's cancel or deadline (or cut at the end of a stop's grace), a stream's
        queue (up to STREAM_WINDOW articles, each stream opened again by a retrying client queueing its own) was
        decided all the same, for no one: a minute of a writer's work on near-copies, which every stream behind it
        waited for. Its client was told they may or may not be stored; the answers of a call that ended whole are
        all in (none withdrawn), as are those of a stream a stop drained."""
        with self._queued_lock:
            self.cancelled.set()
            queued, self._queued = self._queued, deque()
        self._said_withdrawn(sum(future.cancel() for future in queued))

    def _said_withdrawn(self, count: int) -> None:
        """Log `count` articles withdrawn: at most one line a WITHDRAWALS_LOGGED_EVERY for all the server's streams
        (each retry of a client at an outage ends its stream so), counting those held back since the last."""
        if not count or (held := self._withdrawals.due(count)) is None:
            return
        more = (
            f" ({held:,} more since the last such line; at most one a {WITHDRAWALS_LOGGED_EVERY:g} s)" if held else ""
        )
        log.info("a stream ended before its answers: %s its client had sent, not yet taken up by the writer, withdrawn "
                 "(not stored)%s", f"{count:,} {'article' if count == 1 else 'articles'}", more)  # fmt: skip

    def drain(self) -> None:
        """Take no request after the one being taken; the generator ends once every article taken is answered."""
        with self._state:
            self._draining = True

    def begin_request(self) -> bool:
        """The reader read a request: False (and it is not taken) once draining."""
        with self._state:
            self._taking = not self._draining
            if self._draining:
                self._shut_down()
            return self._taking

    def end_request(self) -> None:
        """The reader queued a request's articles. Even when draining it reads on: if that request was the
        client's last, the requests end and the call ends OK (a complete stream told "not read" would be sent
        again); if another comes, `begin_request` refuses it, and if none does, `_drained` ends the call."""
        with self._state:
            self._taking = False

    def _drained(self) -> bool:
        """Draining, with nothing queued, and the reader waiting for a request it will not take (a client
        keeping its stream open without sending): every article taken is answered, the call can end."""
        with self._state:
            if self._draining and not self._taking and self._queue.empty():
                self._shut_down()
                return True
            return False

    def _shut_down(self) -> None:
        if self.failure is None:
            self.failure = Unavailable(SHUTTING_DOWN)

    def has_room(self, item: _Item) -> bool:
        """Would `put` take this article now, without waiting for room in the window? (Only the reader puts: the
        room it sees only grows until it puts.)"""
        return not self._queue.full() and not self._over_window(item.size)

    def _over_window(self, size: int) -> bool:
        """Would an article of `size` bytes take the window's articles over STREAM_WINDOW_BYTES? (Never when the
        window holds none: one article always gets in.) The one byte test of `has_room` and `put`."""
        return bool(self._bytes) and self._bytes + size > STREAM_WINDOW_BYTES

    def put(self, item: _Item | _BatchSize) -> None:
        if isinstance(item, _Item):
            self._wait_for_bytes(item.size)
        self._offer(item)

    def _wait_for_bytes(self, size: int) -> None:
        """Wait while the articles in the window hold STREAM_WINDOW_BYTES (one article always gets in)."""
        with self._room:
            while self._over_window(size) and not self.cancelled.is_set():
                self._room.wait(0.25)
            self._bytes += size

    def _taken(self, item: _Item) -> None:
        with self._room:
            self._bytes -= item.size
            self._room.notify()

    def raise_failure(self) -> None:
        """Once every item is taken: the reader's failure, if one stopped it (the articles it had not read
        were never answered, so the call must not end OK)."""
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        # The window may be full when the request stream ends (the answers lag the reads): wait for
        # room like put() does, or the generator never sees the end and the call hangs.
        self._offer(self._END)

    def _offer(self, item: object) -> None:
        """Wait for room in the window; give up only when cancelled (the generator then stops reading)."""
        while not self.cancelled.is_set():
            try:
                self._queue.put(item, timeout=0.25)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[_Item | _BatchSize]:
        while True:
            try:
                item = self._queue.get(timeout=0.25)
            except queue.Empty:
                # A cancelled call's reader gives up without an end marker (close()); stop too, or
                # this handler thread waits forever and holds up the server's shutdown.
                if self.cancelled.is_set() or self._drained():
                    return
                continue
            if item is self._END or self.cancelled.is_set():  # (ended: its answers would reach no one)
                return
            assert isinstance(item, _Item | _BatchSize)
            if isinstance(item, _Item) and item.size:
                self._taken(item)
            yield item


class OpenStreams:
    """The index streams open now, so that a stopping server can drain them (RunningServer.stop): each stops
    reading requests, answers the articles it took, and ends UNAVAILABLE saying to send the rest again. Left
    alone, a stream that kept sending was fed for the whole grace period, then cut off with gRPC's bare
    "Cancelling all calls", and every stop of a server under continuous ingest took the whole grace."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._open: set[_Pending] = set()
        self._unfinished: set[_Pending] = set()  # their calls not yet ended, final status sent (gRPC's callback)
        self._withdrawals = Throttle(WITHDRAWALS_LOGGED_EVERY)  # (the log lines of the streams' withdrawn articles)
        self._draining = False

    @contextmanager
    def opened(self, context: grpc.ServicerContext) -> Iterator[_Pending]:
        pending = _Pending(context, self._withdrawals)
        with self._lock:
            self._open.add(pending)
            self._unfinished.add(pending)
            if self._draining:  # (opened as the server stopped)
                pending.drain()
        if not context.add_callback(lambda: self._finished(pending)):
            self._finished(pending)  # (the call had ended already)
        try:
            yield pending
        finally:
            with self._lock:
                self._open.discard(pending)

    def drain(self, timeout: float) -> bool:
        """Drain the streams open now, and wait until each has ended, its final status sent (False: `timeout`
        passed first). Those opened from now on are drained as they open, not waited for."""
        with self._lock:
            self._draining = True
            streams = set(self._open)
        for pending in streams:
            pending.drain()
        with self._lock:  # (in slices: the main thread's wait, where a stop signal's handler runs)
            return waits.waited_for(self._lock, lambda: not streams & self._unfinished, timeout)

    def _finished(self, pending: _Pending) -> None:
        with self._lock:
            self._unfinished.discard(pending)
            self._lock.notify_all()


def _too_many(articles: Sequence[pb.Article | Unreadable]) -> Iterator[_Item]:
    """A batch message over MAX_BATCH_ARTICLES, each of its articles refused, unstored."""
    error = InvalidArgument(
        "articles",
        f"the message holds {len(articles):,} articles, over the {MAX_BATCH_ARTICLES:,} one message may carry "
        "(their answers would outgrow a message); nothing of it was stored: send smaller batches",
    )
    return (_Item(article.id, error) for article in articles)


def _stream_response(item: _Item) -> pb.IndexArticlesResponse:
    outcome: Verdict | Exception
    try:
        outcome = item.outcome if isinstance(item.outcome, Exception) else item.outcome.result()
    except futures.CancelledError:  # (withdrawn: `_Pending.withdraw`; the call has ended, so no one hears this)
        outcome = Cancelled("the stream ended before the writer took the article up: it was not stored")
    except Exception as exc:  # the article's own failure; the stream goes on
        outcome = exc
    if isinstance(outcome, Verdict):
        return pb.IndexArticlesResponse(id=item.id, verdict=verdict_to_pb(outcome))
    code, message = article_status_for(outcome)  # (RESOURCE_EXHAUSTED: a full store alone, as clients read it)
    return pb.IndexArticlesResponse(id=item.id, error=pb.ArticleError(code=code.value[0], message=message))
