"""neardup-bench refuses arguments that cannot make a run, naming the flag (they used to run, sending nothing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from benchmarks import boilerplate_warmup, excerpts, purge, seeds_check, syndication
from benchmarks.loadtest import Feed, _reopen, build_parser, main, parse_args
from client.api import DEFAULT_PORT, with_default_port
from client.cli import _parser
from client.errors import RETRY_PUSHBACK, ResourceExhaustedError, retry_pushback_of
from client.resume import Retry


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--concurrency", "0", "0 is out of range: give 1 or more"),
        ("--count", "0", "0 is out of range: give 1 or more"),
        ("--count", "ten", "'ten' is not a whole number"),
        ("--duration", "-1", "-1 is out of range: give a number above 0"),
        ("--rate", "-5", "-5 is out of range: give a number above 0"),
        ("--rate", "nan", "nan is out of range"),
        ("--check-share", "3", "3 is out of range: give a number from 0 to 1"),
        ("--republished", "-0.1", "-0.1 is out of range: give a number from 0 to 1"),
        ("--batch", "0", "0 is out of range: give from 1 to 1000"),
        ("--window", "0", "0 is out of range: give 1 or more"),
        ("--preload", "-1", "-1 is out of range: give 0 or more"),
        ("--retries", "-1", "-1 is out of range: give 0 or more"),
        ("--timeout", "0", "0 is out of range: give a number above 0"),
        ("--wait-for-server", "-1", "-1 is out of range: give a number above 0"),
        ("--wait-for-server", "soon", "'soon' is not a number"),
    ],
)
def test_a_value_that_cannot_make_a_run_is_refused_naming_its_flag(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, says: str
) -> None:
    with pytest.raises(SystemExit) as ended:
        build_parser().parse_args([flag, value])
    assert ended.value.code == 2
    assert f"argument {flag}: {says}" in capsys.readouterr().err


def test_values_at_the_edges_are_taken() -> None:
    args = build_parser().parse_args(["--check-share", "0", "--republished", "1", "--preload", "0", "--count", "1",
                                      "--retries", "0"])  # fmt: skip
    assert (args.check_share, args.republished, args.preload, args.count, args.retries) == (0.0, 1.0, 0, 1, 0)


def test_a_failed_stream_is_reopened_as_often_as_neardup_ingest_reopens_it_unless_retries_says() -> None:
    assert parse_args([], {}).retries == Retry.attempts


def test_a_failed_stream_is_not_reopened_when_its_server_asks_for_no_retry() -> None:
    # What this models: a stream that a server ends RESOURCE_EXHAUSTED under the trailer "-1" (gRFC A6's "do not
    # retry"), read as the client reads a call's trailers. A neardup server ends none so (a full store refuses the
    # articles one by one inside the stream, and sends that trailer with the unary calls it ends:
    # tests/integration/test_bench_full_store.py runs the bench against a real full store); another server, or a
    # proxy, may. Such a stream is not reopened, as its server asks: reopened like a restart's, it was refused again
    # --retries times. --max-streams' refusal carries no trailer, and is reopened after the backoff.
    feed = Feed([], count=0, duration=None, rate=None)
    at_once = Retry(attempts=2, first_wait=0, max_wait=0, jitter=0)
    busy = ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, "1 request stream is already open (in this test)")
    busy.retry_pushback = retry_pushback_of(())
    assert _reopen(busy, 1, at_once, feed)  # (no pushback: reopened, after the backoff)
    full = ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, "the store is full (in this test)")
    full.retry_pushback = retry_pushback_of(((RETRY_PUSHBACK, "-1"),))
    assert full.store_full and not _reopen(full, 1, at_once, feed)


def test_the_window_help_says_a_batch_bigger_than_it_goes_alone() -> None:
    assert "a batch bigger than it goes alone" in " ".join(build_parser().format_help().split())


_ENVIRONMENTS = [
    {},
    {"NEARDUP_SERVER": "localhost", "NEARDUP_TLS": "yes"},
    {"NEARDUP_SERVER": "[::1]:7000", "NEARDUP_CA_FILE": "~/ca.pem", "NEARDUP_TOKEN_FILE": "/etc/neardup/token"},
    {"NEARDUP_SERVER": "", "NEARDUP_TLS": "0", "NEARDUP_CA_FILE": ""},  # (empty: unset, as the CLI reads them)
    {"NEARDUP_CA_FILE": "/ca.pem", "NEARDUP_CERT_FILE": "~/client.pem", "NEARDUP_KEY_FILE": "/etc/neardup/client.key"},
]


@pytest.mark.parametrize("env", _ENVIRONMENTS)
def test_the_bench_takes_its_connection_from_the_environment_the_cli_reads_as_the_cli_does(env: dict[str, str]) -> None:
    # (the bench read none of them: a user who exported them for `neardup ingest` benchmarked 127.0.0.1:50051 in
    # plaintext)
    bench = parse_args([], env)
    cli = _parser(env).parse_args(["ingest", "in.jsonl"])
    assert bench.target == with_default_port(cli.server)
    assert (bench.tls, bench.ca_file, bench.token_file) == (cli.tls, cli.ca_file, cli.token_file)
    assert (bench.cert_file, bench.key_file) == (cli.cert_file, cli.key_file)


def test_a_flag_overrides_the_environment_either_way() -> None:
    env = {"NEARDUP_SERVER": "127.0.0.1:7000", "NEARDUP_TLS": "1", "NEARDUP_TOKEN_FILE": "/t"}
    args = parse_args(["--server", "[::1]:8000", "--no-tls", "--token-file", "/u"], env)
    assert (args.target, args.tls, args.token_file) == ("[::1]:8000", False, "/u")
    assert parse_args(["--tls"], {"NEARDUP_TLS": "off"}).tls is True


def test_a_neardup_tls_that_is_not_yes_or_no_is_refused_naming_it_and_the_bench(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--count", "1"], env={"NEARDUP_TLS": "maybe"})
    assert ended.value.code == 2
    assert "neardup-bench: NEARDUP_TLS='maybe' is not yes or no" in capsys.readouterr().err


def test_spawn_leaves_the_environments_server_and_security_aside_saying_so(capsys: pytest.CaptureFixture[str]) -> None:
    # The spawned server gets no NEARDUP_* variable: plaintext on 127.0.0.1, with no token, unless --server-arg says.
    env = {"NEARDUP_SERVER": "127.0.0.1:7000", "NEARDUP_TLS": "1", "NEARDUP_CA_FILE": "", "NEARDUP_TOKEN_FILE": "/t"}
    args = parse_args(["--spawn"], env)
    assert (args.target, args.tls, args.ca_file, args.token_file) == (f"127.0.0.1:{DEFAULT_PORT}", False, None, None)
    said = " ".join(capsys.readouterr().err.split())
    assert "--spawn: NEARDUP_SERVER, NEARDUP_TLS, NEARDUP_TOKEN_FILE left aside" in said
    assert parse_args(["--spawn", "--tls", "--token-file", "/u"], env).token_file == "/u"  # (flags given still apply)
    assert parse_args(["--spawn"], {}).target == f"127.0.0.1:{DEFAULT_PORT}"
    assert "left aside" not in capsys.readouterr().err


def test_the_wait_for_the_server_is_five_seconds_unless_given() -> None:
    assert build_parser().parse_args([]).wait_for_server == 5.0
    assert build_parser().parse_args(["--wait-for-server", "60"]).wait_for_server == 60.0


# The other benchmarks: a value that cannot make a run is refused naming its flag (it ended in a traceback, or ran
# on nothing and reported it), and a corpus not there is said in one line naming the flag to give, exit 2.
_OTHERS: dict[str, Callable[[list[str]], int]] = {
    "syndication": syndication.main,
    "purge": purge.main,
    "boilerplate_warmup": boilerplate_warmup.main,
    "seeds_check": seeds_check.main,
}


@pytest.mark.parametrize(
    ("benchmark", "argv", "says"),
    [
        ("syndication", ["--copies", "10", "--step", "0"], "argument --step: 0 is out of range: give 1 or more"),
        ("syndication", ["--copies", "0"], "argument --copies: 0 is out of range: give 2 or more"),
        ("syndication", ["--copies", "1"], "argument --copies: 1 is out of range: give 2 or more"),
        ("syndication", ["--max-candidates", "0"], "argument --max-candidates: 0 is out of range: give 1 or more"),
        (
            "purge",
            ["--count", "50", "--delete", "10", "--callers", "0"],
            "argument --callers: 0 is out of range: give 1 or more",
        ),
        ("purge", ["--count", "ten"], "argument --count: 'ten' is not a whole number"),
        (
            "boilerplate_warmup",
            ["--stories", "0", "--orders", "1"],
            "argument --stories: 0 is out of range: give 2 or more",
        ),
        ("boilerplate_warmup", ["--orders", "0"], "argument --orders: 0 is out of range: give 1 or more"),
        ("seeds_check", ["--shuffles", "-1"], "argument --shuffles: -1 is out of range: give 0 or more"),
    ],
)
def test_the_other_benchmarks_refuse_a_value_that_cannot_make_a_run_naming_its_flag(
    capsys: pytest.CaptureFixture[str], benchmark: str, argv: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as ended:
        _OTHERS[benchmark](argv)
    assert ended.value.code == 2
    assert says in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("run", "flag", "says"),
    [
        (lambda p: seeds_check.main(["--seeds", str(p)]), "--seeds",
         "seeds_check: no seed files found in {} (expected the five NNN_*.txt of ../shared/seeds; give --seeds DIR)"),
        (lambda p: excerpts.main(["--lee", str(p)]), "--lee",
         "excerpts: no Lee corpus at {} (expected ../shared/corpora/lee_background.txt): give --lee FILE"),
        (lambda p: boilerplate_warmup.main(["--lee", str(p)]), "--lee",
         "boilerplate_warmup: no Lee corpus at {} (expected ../shared/corpora/lee_background.txt): give --lee FILE"),
    ],
    ids=["seeds_check", "excerpts", "boilerplate_warmup"],
)  # fmt: skip
def test_a_corpus_not_there_is_said_in_one_line_naming_the_flag_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run: Callable[[Path], int], flag: str, says: str
) -> None:
    # (Without ../shared beside the checkout: seeds_check said "FAILED in 12 of 12 orders", exit 1; the others
    # ended in a raw FileNotFoundError.)
    missing = tmp_path / "nowhere"
    assert run(missing) == 2
    captured = capsys.readouterr()
    assert captured.err == says.format(missing) + "\n"
    assert "FAIL" not in captured.out


def test_excerpts_says_a_missing_reuters_corpus_and_how_to_go_without_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lee = tmp_path / "lee.txt"
    lee.write_text("a story of a few words\n")
    monkeypatch.setattr(excerpts, "REUTERS", tmp_path / "reuters.jsonl.gz")
    assert excerpts.main(["--lee", str(lee)]) == 2
    assert "give --reuters 0 to index none" in capsys.readouterr().err


def test_boilerplate_warmup_says_it_has_fewer_stories_than_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (--stories 5000 silently ran on the 170 the corpus gives)
    lee = tmp_path / "lee.txt"
    lee.write_text("".join(" ".join(f"s{n}w{i}" for i in range(160)) + "\n" for n in range(3)))
    assert boilerplate_warmup.main(["--stories", "5000", "--orders", "1", "--lee", str(lee)]) == 0
    out = capsys.readouterr().out
    assert "3 different stories (all lee.txt gives; --stories asked 5000)" in out


def test_a_server_pid_of_no_process_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (--server-pid 999999 crashed at the run's start with a FileNotFoundError of /proc/999999/stat)
    gone = 2**22 + 1  # (above Linux's pid_max: no such process)
    argv = ["--target", "127.0.0.1:1", "--count", "10", "--server-pid", str(gone),
            "--report", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    with pytest.raises(SystemExit) as refused:  # (nothing listens at port 1: a run would have ended saying so, exit 1)
        main(argv)
    assert refused.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--server-pid {gone}: no such process; nothing was run" in err


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        # (the client cuts a message at 1,000 articles: a --batch 5000 run sent batches of 1,000, saying nothing)
        ("--batch", "5000", "5000 is out of range: give from 1 to 1000 (the most articles the client sends in one"),
        ("--duration", "inf", "inf is not a finite number (every run is bounded)"),  # (it ran unbounded)
        ("--rate", "inf", "inf is not a finite number"),
    ],
)
def test_a_batch_above_the_clients_cap_and_an_unbounded_number_are_refused(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, says: str
) -> None:
    with pytest.raises(SystemExit) as ended:
        parse_args([flag, value], {})
    assert ended.value.code == 2
    assert f"argument {flag}: {says}" in capsys.readouterr().err


def test_the_batch_cap_itself_is_taken() -> None:
    assert parse_args(["--mode", "batch", "--batch", "1000"], {}).batch == 1000


@pytest.mark.parametrize(
    ("mode", "given", "aside"),
    [
        ("unary", ["--check-share", "0.5", "--batch", "8"], "--check-share, --batch left aside in --mode unary"),
        ("check", ["--window", "4", "--retries", "2"], "--window, --retries left aside in --mode check"),
        ("batch", ["--check-share", "0.2"], "--check-share left aside in --mode batch"),
    ],
)
def test_a_flag_the_mode_does_not_read_is_said_once_to_be_left_aside(
    capsys: pytest.CaptureFixture[str], mode: str, given: list[str], aside: str
) -> None:
    # (they were taken and did nothing, saying nothing, while --republished with a file was said to be left aside)
    args = parse_args(["--mode", mode, *given], {})
    said = capsys.readouterr().err
    assert said.count("left aside") == 1 and said.startswith(f"neardup-bench: {aside} (")
    assert (args.check_share, args.batch, args.window, args.retries) == (0.5, 64, None, Retry.attempts)


def test_the_flags_a_mode_reads_are_taken_and_said_nothing_of(capsys: pytest.CaptureFixture[str]) -> None:
    mix = parse_args(["--mode", "mix", "--check-share", "0.2"], {})
    batch = parse_args(["--mode", "batch", "--batch", "8", "--window", "16", "--retries", "0"], {})
    assert capsys.readouterr().err == ""
    assert mix.check_share == 0.2 and (batch.batch, batch.window, batch.retries) == (8, 16, 0)
    assert parse_args([], {}).check_share == 0.5  # (the defaults, none given)
