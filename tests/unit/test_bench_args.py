"""neardup-bench refuses arguments that cannot make a run, naming the flag (they used to run, sending nothing)."""

from __future__ import annotations

import pytest

from benchmarks.loadtest import build_parser, main, parse_args
from client.api import DEFAULT_PORT, with_default_port
from client.cli import _parser
from client.resume import Retry


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--concurrency", "0", "0 is below 1"),
        ("--count", "0", "0 is below 1"),
        ("--count", "ten", "'ten' is not a whole number"),
        ("--duration", "-1", "-1 is out of range: give a number above 0"),
        ("--rate", "-5", "-5 is out of range: give a number above 0"),
        ("--rate", "nan", "nan is out of range"),
        ("--check-share", "3", "3 is out of range: give a number from 0 to 1"),
        ("--republished", "-0.1", "-0.1 is out of range: give a number from 0 to 1"),
        ("--batch", "0", "0 is below 1"),
        ("--window", "0", "0 is below 1"),
        ("--preload", "-1", "-1 is below 0"),
        ("--retries", "-1", "-1 is below 0"),
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
    assert build_parser().parse_args([]).retries == Retry.attempts


def test_the_window_help_says_a_batch_bigger_than_it_goes_alone() -> None:
    assert "a batch bigger than it goes alone" in " ".join(build_parser().format_help().split())


_ENVIRONMENTS = [
    {},
    {"NEARDUP_SERVER": "localhost", "NEARDUP_TLS": "yes"},
    {"NEARDUP_SERVER": "[::1]:7000", "NEARDUP_CA_FILE": "~/ca.pem", "NEARDUP_TOKEN_FILE": "/etc/neardup/token"},
    {"NEARDUP_SERVER": "", "NEARDUP_TLS": "0", "NEARDUP_CA_FILE": ""},  # (empty: unset, as the CLI reads them)
]


@pytest.mark.parametrize("env", _ENVIRONMENTS)
def test_the_bench_takes_its_connection_from_the_environment_the_cli_reads_as_the_cli_does(env: dict[str, str]) -> None:
    # (the bench read none of them: a user who exported them for `neardup ingest` benchmarked 127.0.0.1:50051 in
    # plaintext)
    bench = parse_args([], env)
    cli = _parser(env).parse_args(["ingest", "in.jsonl"])
    assert bench.target == with_default_port(cli.server)
    assert (bench.tls, bench.ca_file, bench.token_file) == (cli.tls, cli.ca_file, cli.token_file)


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
