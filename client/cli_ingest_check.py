"""`neardup ingest` and `neardup check`: a JSONL file's lines answered in order, one result line each (`_run_file`),
what they say on stderr as they retry (`_StreamRetries`, `_RetryRounds`) and when they stop (how far they got, and
the --start-line to go on from), and their progress."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from typing import Any

import grpc
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from client.api import Article, ArticleFailure, OnRetry, Verdict
from client.cli_base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    STOPS,
    OutputFailed,
    drop_standard_output,
    exit_status,
    how_stopped,
    say,
    were,
    writing,
)
from client.cli_connection import connect, say_failed
from client.cli_output import STANDARD_OUTPUT, Writer, output
from client.cli_wait import wait_ready
from client.errors import NeardupClientError, reworded
from client.jsonl import BadLine, InputError, NumberedArticles, read_numbered_articles
from client.ordered import in_order, ordered_map
from client.resume import Retry

# What a run that stopped (on Ctrl-C or SIGTERM, or the server gone past --retries) says of the articles after
# the lines answered: _after_stopping
_AFTER_STOPPING = {
    "ingest": "Articles sent after those may be stored too",
    "check": "A check stores nothing",
}
_CHECKS_IN_FLIGHT = 8


def ingest(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    retry = Retry(attempts=args.retries) if args.retries > 0 else None
    retries = _StreamRetries(args.retries)
    lines = _read_input(args)  # (a file that cannot be read fails before any server is asked)
    with (
        output(args.output, args.file, args.append, args.start_line) as out,
        connect(args, timeout=None, max_message_bytes=args.max_message_bytes) as client,
    ):
        wait_ready(client, args)

        def send(articles: Iterable[Article]) -> Iterator[Verdict | ArticleFailure]:
            # (stop_at_full_store: with --retries 0 too, a full store's refusal ends the stream, its error counting
            # the articles sent after it; with retry, index_stream raises it so anyway)
            with closing(client.index_stream(articles, evidence=args.evidence, batch=args.batch, retry=retry,
                                             on_retry=retries.announce, more_ready=lines.ready,
                                             stop_at_full_store=True)) as outcomes:  # fmt: skip
                try:
                    for outcome in outcomes:
                        retries.answered()
                        yield outcome
                except NeardupClientError as exc:
                    if retry is None and exc.store_full:
                        raise _run_stopped_by(exc) from None
                    raise

        return _run_file(args, out, lines, lambda items: in_order((item for _, item in items), Article, send))


def _run_stopped_by(error: NeardupClientError) -> NeardupClientError:
    """The error that ends an ingest at an article a full store refused (`store_full`), without --retries (index_stream
    raised it, `stop_at_full_store`, naming the article and counting those sent after it). The refusal is the run's,
    not the line's (as `_the_articles_own` reasons for check): every article after it would be refused the same way
    until an operator makes room, and written as an error line each, a million for a million lines to send again. So
    the run stops there, as it does with --retries (whose Retry obeys the server's "no retry"): no output line is
    written for the article refused, and its line is the one to go on from once there is room."""
    return reworded(error, f"{error.details}; the run stops there: a full store refuses every article until there is "
                    "room, whatever --retries")  # fmt: skip


def _read_input(args: argparse.Namespace) -> NumberedArticles:
    def warn(message: str) -> None:  # (heard as lines are read, while checks in flight say their retries)
        say(f"neardup {args.command}: {message}")

    return read_numbered_articles(args.file, warn, args.start_line)


class _StreamRetries:
    """What ingest says on stderr of each retry of its stream (a failed stream, or an article the server could not
    store just now: both are sent again), counted as check counts a check's: "(retry 1 of 8)". The count starts
    again once an article is answered, as --retries does."""

    def __init__(self, attempts: int) -> None:
        self._attempts = attempts
        self._failures = 0  # retries in a row, no article answered in between

    def answered(self) -> None:
        self._failures = 0

    def announce(self, error: NeardupClientError, unanswered: int, wait: float) -> None:
        self._failures += 1
        # (none unanswered: the stream failed with every article sent on it answered, between two lines of a slow
        # feed or before the first was sent; "resending 0 unanswered articles" it said)
        again = (
            f"resending {unanswered:,} unanswered {'article' if unanswered == 1 else 'articles'}"
            if unanswered
            else "no article sent was left unanswered; opening the stream again"
        )
        if error.refused_article is not None:  # (an article's refusal: it was answered, not left unanswered)
            again = _resending_the_refused(error, unanswered)
        say(f"neardup ingest: {error}; {again} in {wait:.1f}s (retry {self._failures} of {self._attempts})")


def _resending_the_refused(error: NeardupClientError, unanswered: int) -> str:
    """What a retry sends again after the refusal of article `error.refused_article` (its store unreachable, say):
    that article and the rest of its batch reply (answered, each as it was; the plain refusal `on_retry` hears does
    not say how), then the articles sent after them, unanswered, all `unanswered` of them (it said "resending 1
    unanswered article" of the one refused, which was answered)."""
    n = error.rest_of_batch
    after = max(unanswered - 1 - n, 0)
    sent = ["it"]
    if n:
        sent.append(f"the {n:,} {'article' if n == 1 else 'articles'} after it in its batch")
    if after:
        articles = "article" if after == 1 else "articles"
        sent.append(f"the {after:,} unanswered {articles} sent after {'them' if n else 'it'}")
    listed = sent[0] if len(sent) == 1 else f"{', '.join(sent[:-1])} and {sent[-1]}"
    return f"that was the answer to article {error.refused_article!r}; resending {listed}"


class _RetryRounds:
    """What check says on stderr of the checks it sends again: one line a round (the first retry of the checks
    an outage failed, then their second, ...), as ingest says one a retry of its stream, naming the line whose
    check began the round. Each check in flight (8) said each of its retries, some 40 lines for a server down
    3 s, some run together, none naming a line. An outage is over once the server has answered a check since
    it began: a check that fails after that begins a new one, said from its first retry, even while a check of
    the last one still waits to be sent again (one unanswered in 30 s, at its third retry, hid a new outage's
    first three rounds; its own next rounds are said too, once each). A check answered that was sent before the
    outage began says nothing of it: its answer may have come before."""

    def __init__(self, attempts: int) -> None:
        self._attempts = attempts
        self._lock = threading.Lock()
        self._outage = _Outage()  # the last begun (none yet: one answered)

    @contextmanager
    def on_retry_of(self, number: int, article_id: str) -> Iterator[OnRetry]:
        """The `on_retry` of the check of line `number`, for as long as the check lasts."""
        failures = 0
        outage = self._outage  # (the outage it fails in, once it fails)

        def on_retry(error: NeardupClientError, _: int, wait: float) -> None:
            nonlocal failures, outage
            failures += 1
            with self._lock:
                if failures == 1:
                    if self._outage.answered:
                        self._outage = _Outage(answered=False)
                    outage = self._outage
                if failures <= outage.said:
                    return
                outage.said = failures
                say(f"neardup check: line {number:,} (id {article_id!r}): {error}; sending it, and each check "
                    f"in flight that fails with it, again in {wait:.1f}s (retry {failures} of "
                    f"{self._attempts})")  # fmt: skip

        yield on_retry
        with self._lock:  # (answered: of one sent before the outage began, maybe before it began)
            if outage is self._outage:
                outage.answered = True


class _Outage:
    """Checks failing together: the rounds said of their retries, and whether the server has answered a check
    since (then the next check to fail begins another)."""

    def __init__(self, answered: bool = True) -> None:
        self.said = 0
        self.answered = answered


def check(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    retry = Retry(attempts=args.retries) if args.retries > 0 else None
    rounds = _RetryRounds(args.retries)
    lines = _read_input(args)
    # The client closes before the pool: on Ctrl-C its close ends the checks waiting to retry at once, and the
    # pool drops those not begun. The other way round, the pool waited for every check it held to use up its
    # retries: minutes after Ctrl-C with the server down.
    with (
        output(args.output, args.file, args.append, args.start_line) as out,
        _dropping_the_rest(ThreadPoolExecutor(_CHECKS_IN_FLIGHT)) as pool,
        connect(args, max_message_bytes=args.max_message_bytes) as client,
    ):
        wait_ready(client, args)
        ended: list[NeardupClientError] = []  # the error that ended the run, once one has

        def check_one(numbered: tuple[int, Article | BadLine]) -> Verdict | ArticleFailure | BadLine:
            number, item = numbered
            if isinstance(item, BadLine):
                return item  # (in the same queue as the checks: a live feed's bad line is answered as it comes)
            if ended:  # (the checks queued behind it would be refused the same way: not sent)
                raise ended[0]
            try:
                with rounds.on_retry_of(number, item.id) as on_retry:
                    return client.check(item, evidence=args.evidence, retry=retry, on_retry=on_retry)
            except NeardupClientError as exc:
                if _the_articles_own(exc):
                    return ArticleFailure(item.id, exc)
                ended.append(exc)
                raise

        return _run_file(
            args, out, lines, lambda items: ordered_map(pool, check_one, items, 4 * _CHECKS_IN_FLIGHT, lines.ready)
        )


# The codes of a check refused for its article's own sake, answered in its line as ingest's stream answers an
# article it refuses: the article is invalid, too big for a message, or the server failed on it (a fault
# logged there). Any other failure is the run's, and ends it as a failed stream ends ingest (exit 2, an
# earlier --output left as it was if no line was answered): a token refused (UNAUTHENTICATED,
# PERMISSION_DENIED), a store that must not or cannot be used (FAILED_PRECONDITION, DATA_LOSS), a server
# without CheckArticle (UNIMPLEMENTED), and the server gone past --retries (UNAVAILABLE and the others
# retried): each would fail every line after it the same way, a million refused calls for a million lines.
# DEADLINE_EXCEEDED too: a check takes milliseconds, so one unanswered in the client's 30 s is a server not
# answering, not the line; ingest, whose streams have no deadline, stops the same way for a server that stops
# answering (keepalive fails the stream, UNAVAILABLE, past its retries).
_THE_ARTICLES_OWN = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL)


def _the_articles_own(error: NeardupClientError) -> bool:
    if error.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return not error.retryable  # (a message over a size limit: this article's size; else the server is full)
    return error.code in _THE_ARTICLES_OWN


@contextmanager
def _dropping_the_rest(pool: ThreadPoolExecutor) -> Iterator[ThreadPoolExecutor]:
    """The pool; on leaving, the work it has not begun is dropped (the calls begun are waited for)."""
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_file(
    args: argparse.Namespace,
    out: Writer,
    lines: Iterable[tuple[int, Article | BadLine]],
    answer: Callable[[Iterable[tuple[int, Article | BadLine]]], Iterable[Verdict | ArticleFailure | BadLine]],
) -> int:
    """Answer the file's lines (`answer`: one outcome per numbered item, in order), write one result line per
    non-blank input line, in input order, naming that line; EXIT_REJECTED if some line was answered with an
    error (said on stderr too: a pipeline may not read every line). Each result line is flushed as it is
    written: a live feed's answers are read as they come, and a run stopped by a signal leaves every line
    answered in the output (a write and a flush a line cost ≈4 µs, against ≈0.5 ms a line to ingest)."""
    answered = rejected = 0
    outcomes: Counter[str | None] = Counter()
    # The lines answered with an error that may pass (the server turned the article away for now: its store
    # unreachable, or the server stopping), by code: with --retries 0 they are written as rejected lines, and a run
    # that goes on from the line after them does not send them again. (Not a full store's refusal: it stops an
    # ingest at its line, whatever --retries, and a check stores nothing.)
    for_now: Counter[str] = Counter()
    numbers: deque[int] = deque()  # of the lines read and not yet answered, in order, as outcomes come
    # The first line not answered yet: where a run that stops is to go on from (--start-line). Answers come in
    # input order, so every line before it is answered (blank ones have no answer), and none after it.
    resume = args.start_line

    def noting_numbers() -> Iterator[tuple[int, Article | BadLine]]:  # (the lines as read, their numbers noted)
        for number, item in lines:
            numbers.append(number)
            yield number, item

    with _progress(args.command, args.no_progress) as progress:
        try:
            for outcome in answer(noting_numbers()):
                number = numbers.popleft()
                line = _output_line(_numbered(outcome, number))
                with STOPS.whole():  # (a stop between the write and the count: the output held one more)
                    _write(out, line, args.output)
                    answered += 1
                    resume = number + 1
                rejected += not isinstance(outcome, Verdict)
                outcomes[outcome.outcome if isinstance(outcome, Verdict) else None] += 1
                if isinstance(outcome, ArticleFailure) and outcome.error.retryable:
                    for_now[outcome.error.code.name] += 1
                progress.advance()
        except KeyboardInterrupt as stop:  # (Ctrl-C, or SIGTERM: _Terminated)
            # (what was sent after the lines answered is not known: a line read as the stop came may be sent yet)
            stopped = f"{how_stopped(stop)} once {_lines(answered)} {were(answered)} answered"
            _say_how_far(args, stopped, resume, for_now)
            return exit_status(stop)
        except OutputFailed as exc:
            # (the output file ends with the last whole line, which a run that goes on with --append, or >>, adds
            # after: write_whole takes a line that failed back out; an article stored is answered "unchanged")
            say(f"neardup {args.command}: {exc}")
            if out is STANDARD_OUTPUT:
                drop_standard_output()
            _say_how_far(args, _stopped_once(answered), resume, for_now)
            return EXIT_FAILED
        except InputError as exc:  # (the articles read before it are answered: index_stream and ordered_map wait)
            if not answered:
                raise  # (nothing to go on from: main says why)
            say(f"neardup {args.command}: {exc}")
            read = "Every article read before it was answered" if args.command == "ingest" else None
            _say_how_far(args, _stopped_once(answered), resume, for_now, after=read)
            return EXIT_FAILED
        except NeardupClientError as exc:
            if not exc.retryable and not answered:
                raise  # (the run could not start: a token refused, say; main says why)
            # (the server gone past --retries, or refusing every call from now on: what was answered, and
            # whether to run again, as on Ctrl-C)
            say_failed(exc, args, answered=answered > 0)
            _say_how_far(args, _stopped_once(answered), resume, for_now, exc)
            return EXIT_FAILED
    # Every line answered (a stream the server ended with lines unanswered raised a retryable error above):
    # an output file holds this run's lines only, so none for an input of no lines (emptied on the first
    # write, it kept an earlier run's results); with --append, it holds them after the earlier ones. A run that
    # goes on from a line and answered none (the input answered to its end already, or a --start-line past it)
    # leaves the output as it was.
    if answered or args.start_line == 1:
        out.write("")
    _say_if_started_past_the_end(args, getattr(lines, "lines_read", None), answered)
    _say_versions(outcomes)
    if rejected:
        why = "its output line says why" if rejected == 1 else "their output lines say why"
        say(f"neardup {args.command}: {rejected:,} of {_lines(answered)} {were(rejected)} rejected; {why}"
            f"{_turned_away(for_now, '; ')}")  # fmt: skip
        return EXIT_REJECTED
    if not progress.live:  # (the bar shows the total; without it, the run's end would say nothing)
        say(f"neardup {args.command}: {_lines(answered)} answered, none rejected")
    return EXIT_OK


def _stopped_once(answered: int) -> str:
    return f"stopped once {_lines(answered)} {were(answered)} answered"


def _write(out: Writer, line: str, path: object) -> None:
    """The line written and flushed; OutputFailed if it cannot be."""
    with writing("standard output" if path is None or str(path) == "-" else f"--output {path}"):
        out.write(line)
        out.flush()


def _say_versions(outcomes: Counter[str | None]) -> None:
    """After an ingest: how many lines replaced another version stored under their id, and how many were
    stored as sent already. A file holding one id twice keeps only its later article, silently otherwise."""
    if replaced := outcomes["replaced"]:
        its = "its id" if replaced == 1 else "their id"
        say(f"neardup ingest: {_lines(replaced)} replaced the other version stored under {its} "
            '(outcome "replaced"); that version is gone')  # fmt: skip
    if unchanged := outcomes["unchanged"]:
        them = "it" if unchanged == 1 else "them"
        say(f"neardup ingest: {_lines(unchanged)} {were(unchanged)} already stored just as sent: nothing new was "
            f'stored for {them} (outcome "unchanged")')  # fmt: skip


def _lines(count: int) -> str:
    """A count of lines as the messages say it: "1 line", "0 lines", "12,000 lines"."""
    return f"{count:,} line" if count == 1 else f"{count:,} lines"


def _say_if_started_past_the_end(args: argparse.Namespace, read: int | None, answered: int) -> None:
    """When --start-line is past the input's last line, of the `read` it has (None: not counted), nothing was
    answered: said, as the input answered to its end already (the line after its last, as a run stopped after
    its last answer names), or as a warning (a line number mistyped, or the input is not the one the run that
    stopped read)."""
    if answered or args.start_line == 1 or read is None or read >= args.start_line:
        return
    if args.start_line == read + 1:
        say(f"neardup {args.command}: --start-line {args.start_line} is the line after the input's last (it has "
            f"{_lines(read)}): the input was answered to its end already, and no line was answered")  # fmt: skip
        return
    say(f"neardup {args.command}: warning: --start-line {args.start_line} is past the input's end: it has "
        f"{_lines(read)}, and no line was answered")  # fmt: skip


def _say_how_far(
    args: argparse.Namespace,
    stopped: str,
    resume: int,
    for_now: Counter[str],
    error: NeardupClientError | None = None,
    after: str | None = None,
) -> None:
    """The closing line of a run that stopped: how far it got, what became of the articles after the lines it
    answered (`after`, if known otherwise than from `error`), how to go on from the first line it did not answer
    (`resume`), and which lines before it to send again (`for_now`: answered with an error that may pass, by
    code)."""
    going_on = _going_on(args, resume, error is not None and error.store_full)
    say(f"neardup {args.command}: {stopped}. {after or _after_stopping(args.command, error)}. {going_on}"
        f"{_turned_away(for_now, '. ', resume)}")  # fmt: skip


def _turned_away(for_now: Counter[str], after: str, resume: int | None = None) -> str:
    """What to say, after `after`, of the lines answered with an error that may pass, counted by code ("" if
    none): the server turned their articles away for now (with --retries 0 none is sent again), so the lines are
    to be sent again; a run that goes on from a later line (`resume`) does not send them."""
    if not for_now:
        return ""
    count = sum(for_now.values())
    codes = ", ".join(sorted(for_now))
    where = "" if resume is None else f" before line {resume:,}"
    them, its = ("it", "its output line names it") if count == 1 else ("them", "their output lines name them")
    return (f"{after}{_lines(count)}{where} {were(count)} answered with an error that may pass ({codes}): send "
            f"{them} again ({its})")  # fmt: skip


def _going_on(args: argparse.Namespace, resume: int, store_full: bool = False) -> str:
    """How to go on from line `resume`, the first a run left unanswered: the same command with --start-line, its
    results added to this run's (--append, or `>>` on standard output). Every line before it is answered in the
    output; an article after it that was sent and stored is sent again, and answered "unchanged" (indexing is
    idempotent); a check stores nothing. After a full store (`store_full`), once it has room: the server's message,
    said just before, says what is full and what to do."""
    when = " once the store has room (see the message above)" if store_full else ""
    sent = ' (an article sent again that was stored is answered "unchanged")' if args.command == "ingest" else ""
    if resume == args.start_line:  # (nothing answered: "go on from line 1 with --start-line 1" said nothing new)
        return f"To go on{when}, run the same command again{sent}"
    flags = f"--start-line {resume}"
    if args.output is not None and str(args.output) != "-":
        how = f"run the same command with {flags} --append"
    else:
        how = f"run the same command with {flags}, its output appended to this run's (>>, not >)"
    return f"To go on from line {resume:,}{when}, {how}{sent}"


def _after_stopping(command: str, error: NeardupClientError | None) -> str:
    """What a run that stopped says of the articles after the lines it answered. An index stream's `error` (None:
    a stop asked for) counts those sent and left unanswered, and those of them that may be stored: "may be stored
    too" was said when the error had just said they were not (a server gone, and not reached again)."""
    if command != "ingest":
        return _AFTER_STOPPING[command]
    unanswered = None if error is None else error.unanswered
    if error is not None and error.refused_article is not None and unanswered is not None:
        return _after_the_refused(error, unanswered)
    if unanswered == 0:
        return "Every article sent was answered, so none after those was stored"
    if unanswered is not None and error is not None and error.may_be_stored == 0:
        them = "article sent after those was" if unanswered == 1 else "articles sent after those were"
        return f"The {unanswered:,} {them} not stored"
    return _AFTER_STOPPING[command]


def _after_the_refused(error: NeardupClientError, unanswered: int) -> str:
    """`_after_stopping` of an ingest an article's refusal stopped (a full store's, or one past --retries): the
    article refused (and the rest of its batch reply, `rest_of_batch`) has no output line, and the articles sent after
    are counted (the error's `unanswered` counts the refused first): "Articles sent after those may be stored too"
    was all it said, though the refused article was not stored, and (with --retries 0) nothing counted the others."""
    n = error.rest_of_batch
    answered = 1 + n
    refused = ("The article refused has no output line" if answered == 1 else
               f"The article refused and the {n:,} {'article' if n == 1 else 'articles'} after it in its batch "
               f"({'its answer' if n == 1 else 'their answers'} not kept) have no output line")  # fmt: skip
    after = max(unanswered - answered, 0)
    if not after:
        return f"{refused}, and no article was sent after {'it' if answered == 1 else 'them'}"
    them = "article sent after" if after == 1 else "articles sent after"
    return f"{refused}; the {after:,} {them} {'it' if answered == 1 else 'them'} may or may not be stored"


def _output_line(record: dict[str, Any]) -> str:
    """The record as one line of JSON, in UTF-8 as it is written. An id read from JSON's "\\ud800" holds an unpaired
    surrogate, which UTF-8 cannot carry (its line is answered with an error, naming the id): such a line is escaped
    as the input had it, where writing it killed the command with the lines after it unanswered."""
    text = json.dumps(record, ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(record)
    return text + "\n"


def _numbered(outcome: Verdict | ArticleFailure | BadLine, line: int) -> dict[str, Any]:
    """The outcome's output record, with the number of the input line it answers after its id: an error
    from the server named no line, and blank lines skipped make output line N not input line N."""
    record = outcome.as_dict()
    return {"id": record.pop("id"), "line": line, **record}


class _progress:
    """Progress on stderr. On a terminal, a rich bar (count and rate; the total is unknown while streaming).
    Elsewhere (nohup, a log file) a bar, redrawn in place, shows nothing until the end: a plain line every
    `every` seconds instead. None with --no-progress."""

    def __init__(self, command: str, disabled: bool, every: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        # (the bar: it shows the total at the end; none with stderr closed, `2>&-`)
        self.live = not disabled and sys.stderr is not None and sys.stderr.isatty()
        self._plain = not disabled and not self.live
        self._command, self._every, self._clock = command, every, clock
        self._count = 0
        self._bar = Progress(
            TextColumn("articles"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[rate]}"), disable=not self.live, transient=False,
            console=_stderr_console() if self.live else None,
        )  # fmt: skip
        self._task = self._bar.add_task(command, total=None, rate="")

    def __enter__(self) -> _progress:
        self._bar.start()
        self._start = self._next_line = self._clock()
        self._next_line += self._every
        return self

    def advance(self) -> None:
        self._count += 1
        if self.live:
            elapsed = self._bar.tasks[0].elapsed or 0.0
            self._bar.update(self._task, advance=1, rate=_rate(self._count, elapsed))
        elif self._plain and (now := self._clock()) >= self._next_line:
            say(f"neardup {self._command}: {_lines(self._count)} answered in {now - self._start:,.0f} s "
                f"({_rate(self._count, now - self._start)})")  # fmt: skip
            self._next_line = now + self._every

    def __exit__(self, *exc: Any) -> None:
        self._bar.stop()


def _rate(count: int, seconds: float) -> str:
    if seconds <= 0:
        return ""
    rate = count / seconds
    return f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s"


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)
