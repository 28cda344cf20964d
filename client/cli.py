"""The `neardup` command: serve, ingest, check, get, group, delete, stats, health."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import grpc
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from client import cli_delete, cli_serve
from client.api import (
    MAX_BATCH_ARTICLES,
    MAX_MESSAGE_BYTES,
    MAX_PAGE_SIZE,
    MAX_TIMEOUT,
    SERVICE_NAME,
    Article,
    ArticleFailure,
    OnRetry,
    Verdict,
)
from client.cli_base import (
    EXIT_ABSENT,
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    STOPS,
    exit_status,
    how_stopped,
    say,
    terminated_as_interrupted,
    were,
)
from client.cli_connection import (
    CONNECTION_VARIABLES,
    add_connection_flags,
    connect,
    connection_hint_for,
    say_failed,
)
from client.cli_output import Writer, output
from client.cli_wait import wait_ready
from client.errors import (
    NeardupClientError,
    NotFoundError,
    reworded,
)
from client.jsonl import BadLine, InputError, NumberedArticles, read_numbered_articles
from client.ordered import in_order, ordered_map
from client.resume import Retry

# What a run that stopped (on Ctrl-C or SIGTERM, or the server gone past --retries) says of the articles after
# the lines answered: _after_stopping
_AFTER_STOPPING = {
    "ingest": "Articles sent after those may be stored too",
    "check": "A check stores nothing",
}
# The server's running parts (grpc_server, the engine, the stores) are imported only by `serve`: the other commands
# start faster without them. Every command's parser imports `service` (its version) and `service.settings` (serve's
# flags), which need only the standard library.


_CHECKS_IN_FLIGHT = 8
DEFAULT_BATCH = 64  # articles per message: most of the per-message cost saved, answers still come often
# The least --max-message-bytes: a request of an article whose title, source and url are at their 16 KiB limits,
# with a body beside them. Below it (0, 100: a slip) every line was rejected unsent, the limit named only there.
MIN_MESSAGE_BYTES = 64 << 10
_GROUP_PAGE = MAX_PAGE_SIZE  # members per ListGroupMembers call: the most a server lists at once, so the fewest calls


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    args = _parser(env).parse_args(argv)
    if args.command != "serve":  # (serve refuses them: its settings)
        _warn_of_unknown_variables(args.command, env)
    try:
        with terminated_as_interrupted(args.command != "serve"):  # (serve drains on SIGTERM: its own handler)
            return int(args.run(args, env))
    except (NeardupClientError, InputError) as exc:
        say_failed(exc, args)
        return EXIT_FAILED
    except KeyboardInterrupt as stop:  # (ingest and check say how far they got: _run_file)
        say(f"neardup {args.command}: {how_stopped(stop)}")
        return exit_status(stop)
    except BrokenPipeError:
        # Whoever read the output left (`neardup check ... | head`): stop quietly, as a process ended by
        # SIGPIPE would, instead of a traceback. Python would fail again flushing stdout at exit: point it
        # at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _warn_of_unknown_variables(command: str, env: Mapping[str, str]) -> None:
    """A warning on stderr naming each NEARDUP_* variable neither a client command nor the server reads (the two
    share an environment: a container's). A misspelt one (NEARDUP_SERVR) was ignored without a word, and the
    command went to the default server; serve refuses such a name, a client command goes on, said."""
    from service.settings import refuse_unknown_variables

    try:
        refuse_unknown_variables(env, CONNECTION_VARIABLES)
    except ValueError as unknown:
        said = str(unknown).split(" (`neardup serve --help`", 1)[0]  # (the client's variables are not there)
        say(f"neardup {command}: warning: {said}; the client commands read {', '.join(CONNECTION_VARIABLES)}, "
            "the server the variables `neardup serve --help` names")  # fmt: skip


_Commands = argparse._SubParsersAction  # (the subcommands' adder argparse returns: it names no public type)


class _CommandParser(argparse.ArgumentParser):
    """A command's parser, which refuses what it does not know with its own usage: argparse hands a command's unknown
    arguments up to `neardup`'s parser, whose usage lists the commands and none of the command's flags."""

    def parse_known_args(  # type: ignore[override]  # (the stubs overload it on the namespace's type)
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed, unknown


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neardup", description="Find republished copies of news articles.")
    from service import __version__  # (the server's version: GetStats reports the same)

    parser.add_argument("--version", action="version", version=f"neardup {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_CommandParser)
    for add in (_add_serve, _add_ingest, _add_check, _add_get, _add_group, _add_delete, _add_stats, _add_health):
        add(sub, env)
    return parser


def _add_serve(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    from service.settings import add_arguments  # the server's settings define serve's flags

    serve = sub.add_parser("serve", help="run the gRPC server")
    add_arguments(serve, env)
    serve.set_defaults(run=cli_serve.serve)


# The output format, for `ingest --help` and `check --help` (README, "neardup ingest and neardup check").
_OUTPUT_EPILOG = (
    "Output: one JSON line per non-blank input line, in input order. An answer: id (a string: 5 is output "
    "\"5\"), line (the input line's number){outcome}, duplicate_of (the id of the group's original; null when the "
    "article is the original or in no group) and matches ([] when none; each with id, jaccard and containment "
    "rounded to 4 decimals, relation, and with --evidence passages, only for a match that has some). An error "
    "line: id (null when the line gives none that can be read), line and error alone, no outcome, duplicate_of "
    "or matches; the error begins with its status code (INVALID_ARGUMENT: ...) for a refusal, with 'line N:' for "
    "a line that could not be read."
)


def _add_ingest(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    ingest = sub.add_parser(
        "ingest",
        help="stream a JSONL file through IndexArticleBatches (stores articles; exit 1 if a line was rejected)",
        epilog=_OUTPUT_EPILOG.format(outcome=", outcome (new, replaced or unchanged)")
        + " Load an archive oldest first; read its final groups with `neardup check` afterwards (README).",
    )
    ingest.add_argument("--batch", type=whole_number(1, MAX_BATCH_ARTICLES), default=DEFAULT_BATCH,
                        help="articles per message, at most 1000 (1: one IndexArticles message each; "
                             "default %(default)s)")  # fmt: skip
    ingest.add_argument("--retries", type=whole_number(0), default=Retry.attempts,
                        help="if the stream fails with UNAVAILABLE, RESOURCE_EXHAUSTED or CANCELLED (server "
                             "restarting, stopping or busy: --max-streams), or an article is answered UNAVAILABLE "
                             "(its store down), open it "
                             "again and resend what was not answered, up to this many times in a row, "
                             "backing off from 0.5 s to 10 s (0: fail at once; such articles then get error "
                             "lines; default %(default)s). A full store (an article answered RESOURCE_EXHAUSTED: a "
                             "disk full, Redis at its maxmemory) is never retried, as its server asks, whatever "
                             "this is: the run stops at its first article refused so (exit 2), saying what to "
                             "do and from which line to go on once the store has room")  # fmt: skip
    _add_file_flags(ingest, env)
    ingest.set_defaults(run=_ingest)


def _add_check(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    check = sub.add_parser(
        "check",
        help="compare a JSONL file with the index through CheckArticle (stores nothing; exit 1 if a line was rejected)",
        epilog=_OUTPUT_EPILOG.format(outcome=""),
    )
    check.add_argument("--retries", type=whole_number(0), default=Retry.attempts,
                       help="if a check fails with UNAVAILABLE, RESOURCE_EXHAUSTED or CANCELLED (server "
                            "restarting, stopping or busy) or DEADLINE_EXCEEDED (no answer in 30 s), send it "
                            "again, up to this many times in a row, backing "
                            "off from 0.5 s "
                            "to 10 s (0: fail at once; default %(default)s)")  # fmt: skip
    _add_file_flags(check, env)
    check.set_defaults(run=_check)


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0 (the client's own refusal offered `None` for no
    bound, which a command line cannot give)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text} is out of range: give seconds above 0, e.g. 5 or 0.5")
    return value


def whole_number(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from `least` to `most`, refused otherwise with the flag named (--batch
    1001 was cut to 1000 and --batch 0 raised to 1, --retries -1 taken as 0, all silently). The benchmarks'
    flags use it too (a bench --concurrency 0 or --count 0 ran, sent nothing, and exited 0)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least or (most is not None and value > most):
            bound = f"from {least} to {most}" if most is not None else f"{least} or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range: give {bound}")
        return value

    return parse


def _add_file_flags(cmd: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """What ingest and check share: the input file, the output, and how to reach the server."""
    cmd.add_argument("--max-message-bytes", type=whole_number(MIN_MESSAGE_BYTES), default=MAX_MESSAGE_BYTES,
                     help="answer an article that would make a bigger request as an error line instead of "
                          "sending it (the server's receive limit: 4 MiB, more if its --max-body-bytes "
                          f"was raised above 1.5 MiB; at least {MIN_MESSAGE_BYTES}; default %(default)s)")  # fmt: skip
    cmd.add_argument(
        "file",
        type=Path,
        help="JSONL, gzipped or not ('-': standard input): id, body, title, source, url, published",
    )
    add_connection_flags(cmd, env)
    cmd.add_argument("--output", type=Path,
                     help="write results here instead of stdout ('-': stdout); emptied when the first result "
                          "is written (unless --append), so a run that fails before it leaves the file as it was, "
                          "or none if there was none; not the input file, nor a file another process (a neardup "
                          "run) holds")  # fmt: skip
    cmd.add_argument("--append", action="store_true",
                     help="add this run's results to the end of --output instead of emptying it: a run resumed "
                          "with --start-line adds to the output of the run it goes on from (standard output: "
                          "let the shell append, >>)")  # fmt: skip
    cmd.add_argument("--start-line", type=whole_number(1), default=1, metavar="N",
                     help="answer the input from its line N on (1-based, blank lines counted, as the results' "
                          "`line` is): the lines before it are read past, neither parsed nor sent, and every "
                          "result keeps its line's number in the input; a run that stops (Ctrl-C, SIGTERM, the "
                          "server gone) says the --start-line to go on with; above 1, an --output that is not "
                          "empty is refused without --append (default %(default)s)")  # fmt: skip
    # (10 minutes, as the startup probe docs/ops.md gives: a rebuild at a million articles took up to 340 s)
    cmd.add_argument("--wait-for-load", type=_seconds, default=600.0, metavar="SECONDS",
                     help="how long to wait for a server that speaks gRPC and answers no neardup call yet (only "
                          "health checks), as a neardup server loading its index does, to serve (said on stderr; "
                          "default %(default)g)")  # fmt: skip
    cmd.add_argument("--evidence", action="store_true", help="include shared passages in each match")
    cmd.add_argument("--no-progress", action="store_true",
                     help="no progress on stderr (a bar, or off a terminal a line every 10 s); the total "
                          "is still said at the end")  # fmt: skip


def _add_get(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    get = sub.add_parser("get", help="print a stored article as JSON (exit 1 if absent)")
    get.add_argument("id")
    add_connection_flags(get, env)
    get.set_defaults(run=_get)


def _add_group(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    group = sub.add_parser(
        "group", help="print the stored copies of an article's story as JSON, original first (exit 1 if absent)"
    )
    group.add_argument("id", help="any stored article of the group")
    # (refused here, naming the flag: the client's refusal named the request's page_size, and its range and
    # default, 0 for the server's 100, are not the flag's)
    group.add_argument("--page-size", type=whole_number(1, MAX_PAGE_SIZE), default=_GROUP_PAGE,
                       help=f"members per call, from 1 to {MAX_PAGE_SIZE} (the most the server lists a call); all "
                            "are printed (default %(default)s)")  # fmt: skip
    add_connection_flags(group, env)
    group.set_defaults(run=_group)


def _add_delete(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    delete = sub.add_parser(
        "delete", help="delete stored articles, printing a JSON line per id (exit 1 if one was not stored)"
    )
    delete.add_argument("ids", nargs="*", metavar="id", help="ids of the articles to delete")
    delete.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                        help="also delete the ids in this file, one a line ('-': standard input)")  # fmt: skip
    delete.add_argument("--missing-ok", action="store_true", help="exit 0 even if some ids were not stored")
    add_connection_flags(delete, env)
    delete.set_defaults(run=cli_delete.delete)


def _add_stats(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    stats = sub.add_parser("stats", help="print index statistics as JSON")
    add_connection_flags(stats, env)
    stats.set_defaults(run=_stats)


def _add_health(sub: _Commands[_CommandParser], env: Mapping[str, str]) -> None:
    health = sub.add_parser("health", help="ask the gRPC health service; exit 0 if SERVING, else 1 (HEALTHCHECK)")
    add_connection_flags(health, env)
    health.add_argument("--timeout", type=_seconds, default=5.0,
                        help="seconds to wait for an answer (above 0; default %(default)s)")  # fmt: skip
    health.add_argument(
        "--service",
        default="",
        help="whose health: '' (default) the server's own, SERVING until it drains (liveness); "
        f"{SERVICE_NAME}: SERVING only while its store answers too (readiness)",
    )
    health.set_defaults(run=_health)


def _ingest(args: argparse.Namespace, env: Mapping[str, str]) -> int:
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
                                             on_retry=retries.say, more_ready=lines.ready,
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

    def say(self, error: NeardupClientError, unanswered: int, wait: float) -> None:
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


def _check(args: argparse.Namespace, env: Mapping[str, str]) -> int:
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
                    out.write(line)
                    out.flush()
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
        except NeardupClientError as exc:
            if not exc.retryable and not answered:
                raise  # (the run could not start: a token refused, say; main says why)
            # (the server gone past --retries, or refusing every call from now on: what was answered, and
            # whether to run again, as on Ctrl-C)
            say_failed(exc, args, answered=answered > 0)
            _say_how_far(args, f"stopped once {_lines(answered)} {were(answered)} answered", resume, for_now, exc)
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
) -> None:
    """The closing line of a run that stopped: how far it got, what became of the articles after the lines it
    answered, how to go on from the first line it did not answer (`resume`), and which lines before it to send
    again (`for_now`: answered with an error that may pass, by code)."""
    going_on = _going_on(args, resume, error is not None and error.store_full)
    say(f"neardup {args.command}: {stopped}. {_after_stopping(args.command, error)}. {going_on}"
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
        self.live = not disabled and sys.stderr.isatty()  # (the bar: it shows the total at the end)
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


def _get(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    with connect(args) as client:
        try:
            stored = client.get(args.id)
        except NotFoundError as exc:
            print(f"neardup: {exc.details}", file=sys.stderr)
            return EXIT_ABSENT
    print(json.dumps(stored.as_dict(), ensure_ascii=False, indent=2))
    return EXIT_OK


def _group(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    with connect(args) as client:
        try:
            pages = list(client.group_pages(args.id, page_size=args.page_size))
        except NotFoundError as exc:
            print(f"neardup: {exc.details}", file=sys.stderr)
            return EXIT_ABSENT
    members = [m.as_dict() for page in pages for m in page.members]
    print(json.dumps({"original": pages[0].original, "total_size": pages[0].total_size, "members": members},
                     ensure_ascii=False, indent=2))  # fmt: skip
    return EXIT_OK


def _stats(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    with connect(args) as client:
        s = client.stats()
    # (the limits too: a too-big article's error says to match --max-message-bytes to the server's; None: a
    # server too old to say)
    print(json.dumps({"articles": s.articles, "store": s.store, "uptime_seconds": round(s.uptime_seconds, 3),
                      "version": s.version, "max_body_bytes": s.max_body_bytes or None,
                      "max_message_bytes": s.max_message_bytes or None, "parameters": s.parameters},
                     indent=2))  # fmt: skip
    return EXIT_OK


def _health(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    try:
        connected = connect(args, timeout=args.timeout)
    except SystemExit as failed:  # (a setting that cannot work, said: 1 as for any other failure, as Docker reserves 2)
        if failed.code != EXIT_FAILED:
            raise
        return EXIT_ABSENT
    with connected as client:
        try:
            status = client.health(args.service)
        except NeardupClientError as exc:
            print(f"neardup: unhealthy: {exc}{connection_hint_for(exc, args)}", file=sys.stderr)
            return EXIT_ABSENT
    print(status)
    return EXIT_OK if status == "SERVING" else EXIT_ABSENT


if __name__ == "__main__":
    sys.exit(main())
