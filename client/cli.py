"""The `neardup` command: serve, ingest, check, get, group, delete, stats, health.

Here: `main`, the parser and the dispatch to each command's run, and the runs of get, group, stats and health. The
other commands' runs have modules of their own: serve (cli_serve), ingest and check (cli_ingest_check, with their
output file, cli_output, and their wait for the server, cli_wait), and delete (cli_delete). What the client commands
share to reach the server is in cli_connection (neardup-bench reads it too), and what every command shares (exit
statuses, stderr, Ctrl-C and SIGTERM) in cli_base."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from client import cli_delete, cli_ingest_check, cli_serve
from client.api import (
    MAX_BATCH_ARTICLES,
    MAX_MESSAGE_BYTES,
    MAX_PAGE_SIZE,
    MAX_TIMEOUT,
    MIN_MESSAGE_BYTES,
    SERVICE_NAME,
)
from client.cli_base import (
    EXIT_ABSENT,
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_OK,
    OutputFailed,
    drop_standard_output,
    exit_status,
    how_stopped,
    print_out,
    say,
    terminated_as_interrupted,
)
from client.cli_connection import CONNECTION_VARIABLES, add_connection_flags, connect, hint_for_flags, say_failed
from client.errors import NeardupClientError, NotFoundError
from client.jsonl import InputError
from client.resume import Retry

# The server's running parts (grpc_server, the engine, the stores) are imported only by `serve`: the other commands
# start faster without them. Every command's parser imports `service` (its version) and `service.settings` (serve's
# flags), which need only the standard library.

DEFAULT_BATCH = 64  # articles per message: most of the per-message cost saved, answers still come often
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
        drop_standard_output()
        return EXIT_BROKEN_PIPE
    except OutputFailed as exc:  # (health fails 1, never 2: Docker reserves 2)
        say(f"neardup {args.command}: {exc}")
        drop_standard_output()
        return EXIT_ABSENT if args.command == "health" else EXIT_FAILED


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
    ingest.set_defaults(run=cli_ingest_check.ingest)


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
    check.set_defaults(run=cli_ingest_check.check)


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


def _get(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    with connect(args) as client:
        try:
            stored = client.get(args.id)
        except NotFoundError as exc:
            say(f"neardup: {exc.details}")
            return EXIT_ABSENT
    print_out(json.dumps(stored.as_dict(), ensure_ascii=False, indent=2))
    return EXIT_OK


def _group(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    with connect(args) as client:
        try:
            pages = list(client.group_pages(args.id, page_size=args.page_size))
        except NotFoundError as exc:
            say(f"neardup: {exc.details}")
            return EXIT_ABSENT
    members = [m.as_dict() for page in pages for m in page.members]
    print_out(json.dumps({"original": pages[0].original, "total_size": pages[0].total_size, "members": members},
                         ensure_ascii=False, indent=2))  # fmt: skip
    return EXIT_OK


def _stats(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    with connect(args) as client:
        s = client.stats()
    # (the limits too: a too-big article's error says to match --max-message-bytes to the server's; None: a
    # server too old to say)
    print_out(json.dumps({"articles": s.articles, "store": s.store, "uptime_seconds": round(s.uptime_seconds, 3),
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
            say(f"neardup: unhealthy: {exc}{hint_for_flags(exc, args)}")
            return EXIT_ABSENT
    print_out(status)
    return EXIT_OK if status == "SERVING" else EXIT_ABSENT


if __name__ == "__main__":
    sys.exit(main())
