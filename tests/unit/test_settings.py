import os
import re
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, cast

import pytest

from client.cli import main
from client.cli_connection import CONNECTION_VARIABLES
from service.settings import (
    DetectionParams,
    Settings,
    build_parser,
    redacted_url,
    refuse_unknown_variables,
    setting_variables,
    unused_variables,
)


def test_flags_win_over_environment_which_wins_over_defaults() -> None:
    env = {"NEARDUP_PORT": "6000", "NEARDUP_DATA_DIR": "/tmp/x", "NEARDUP_SHINGLE_SIZE": "4"}
    s = Settings.from_args(["--port", "7000"], env)
    assert s.port == 7000
    assert s.data_dir == Path("/tmp/x")
    assert s.detection.shingle_size == 4
    assert Settings.from_args([], {}).port == Settings().port


def test_impossible_band_layout_is_refused() -> None:
    with pytest.raises(ValueError, match=r"--lsh-bands times --lsh-rows \(50 x 3 = 150\) exceeds --num-perm \(128\)"):
        Settings.from_args(["--lsh-bands", "50", "--lsh-rows", "3"], {})


def test_thresholds_are_not_recorded_parameters() -> None:
    a = DetectionParams(min_containment=0.5).recorded()
    b = DetectionParams(min_containment=0.7).recorded()
    assert a == b
    assert DetectionParams(shingle_size=4).recorded() != a


def test_fingerprint_workers_default_to_one_per_spare_core() -> None:
    auto = Settings.from_args([], {})
    assert [auto.worker_processes(cores) for cores in (None, 1, 2, 4, 64)] == [0, 0, 1, 3, 4]
    assert Settings.from_args(["--fingerprint-workers", "0"], {}).worker_processes(8) == 0  # asked: none
    assert Settings.from_args([], {"NEARDUP_FINGERPRINT_WORKERS": "2"}).worker_processes(1) == 2
    with pytest.raises(ValueError, match="fingerprint-workers"):
        Settings.from_args(["--fingerprint-workers", "-2"], {})


def test_check_lanes_default_to_one_on_the_embedded_store_and_no_limit_on_redis() -> None:
    assert Settings.from_args([], {}).check_limit() == 1
    assert Settings.from_args(["--store", "redis"], {}).check_limit() is None
    assert Settings.from_args(["--check-lanes", "3"], {}).check_limit() == 3
    assert Settings.from_args(["--store", "redis"], {"NEARDUP_CHECK_LANES": "2"}).check_limit() == 2
    for bad in ("0", "-2"):
        with pytest.raises(ValueError, match="check-lanes"):
            Settings.from_args(["--check-lanes", bad], {})


def test_redis_wait_is_off_by_default_and_refused_where_it_cannot_apply() -> None:
    default = Settings.from_args(["--store", "redis"], {})
    assert (default.redis_wait_replicas, default.redis_wait_seconds) == (0, 1.0)
    waiting = Settings.from_args(
        ["--store", "redis", "--redis-wait-seconds", "0.5"], {"NEARDUP_REDIS_WAIT_REPLICAS": "2"}
    )
    assert (waiting.redis_wait_replicas, waiting.redis_wait_seconds) == (2, 0.5)
    with pytest.raises(ValueError, match="applies to --store redis only"):
        Settings.from_args(["--redis-wait-replicas", "1"], {})
    with pytest.raises(ValueError, match="0 \\(do not wait\\) or more"):
        Settings.from_args(["--store", "redis", "--redis-wait-replicas", "-1"], {})
    with pytest.raises(ValueError, match="must be above 0"):
        Settings.from_args(["--store", "redis", "--redis-wait-seconds", "0"], {})


def test_every_flag_says_what_it_does_in_the_help() -> None:
    parser = build_parser({})
    flags = [a for a in parser._actions if a.dest != "help"]
    assert len(flags) == len(fields(Settings)) - 1 + len(fields(DetectionParams)) - 1  # (not the scheme: the store's)
    for action in flags:
        text = action.help or ""
        assert not text.startswith("(env "), f"{action.option_strings[0]} has no description"
        assert f"(env NEARDUP_{action.dest.upper()}; default" in text
    assert "gRPC port (0: any free port" in parser.format_help()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "99999"], "--port must be between 0 and 65535 (got 99999)"),  # gRPC would take 99999 - 65536
        (["--port", "-1"], "--port must be between 0 and 65535 (got -1)"),
        (["--health-port", "-2"], "--health-port must be between -1 and 65535"),
        (["--metrics-port", "70000"], "--metrics-port must be between -1 and 65535"),
        (["--max-batch", "0"], "--max-batch must be at least 1 (got 0)"),
        (["--max-workers", "0"], "--max-workers must be at least 1"),
        (["--max-body-bytes", "0"], "--max-body-bytes must be between 1 and"),
        (["--grace-seconds", "-1"], "--grace-seconds must be between 0 and"),
        (["--keepalive-seconds", "0"], "--keepalive-seconds must be between 0.001 and"),
        (["--num-perm", "0"], "--num-perm must be at least 1"),
        (["--shingle-size", "0"], "--shingle-size must be at least 1"),
        (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
        (["--min-containment", "0"], "--min-containment must be above 0 and at most 1 (got 0.0)"),
        (["--boilerplate-after", "1"], "--boilerplate-after must be at least 2"),
        # Beyond what gRPC's int32 milliseconds and byte counts hold: tracebacks at start, or at the drain.
        (["--max-body-bytes", "3000000000"], "--max-body-bytes must be between 1 and 268435456"),
        (["--keepalive-seconds", "1e10"], "--keepalive-seconds must be between 0.001 and 604800"),
        (["--min-client-ping-seconds", "1e10"], "--min-client-ping-seconds must be between 0 and 604800"),
        (["--grace-seconds", "1e12"], "--grace-seconds must be between 0 and 604800"),
        (["--grace-seconds", "inf"], "--grace-seconds must be a finite number (got inf)"),
        (["--keepalive-seconds", "nan"], "--keepalive-seconds must be a finite number (got nan)"),
        # A Redis URL redis-py would take wrongly: database 0 for "/abc", "not answering" for a missing CA file.
        (["--store", "redis", "--redis-url", "redis://127.0.0.1:6379/abc"], "ends with /abc, which is not a database"),
        (
            ["--store", "redis", "--redis-url", "rediss://h:6380/0?ssl_ca_certs=/nonexistent/ca.pem"],
            "--redis-url: ssl_ca_certs=/nonexistent/ca.pem names no file this server can read",
        ),
        (["--store", "redis", "--redis-url", "http://h:6379/0"], "--redis-url must begin redis://, rediss://"),
        # A port that is none: redis-py's "Port out of range 0-65535" named no setting.
        (
            ["--store", "redis", "--redis-url", "redis://:pw@127.0.0.1:99999/0"],
            "--redis-url gives the port '99999', which is not a port number (1 to 65535)",
        ),
        (["--store", "redis", "--redis-url", "rediss://h:abc/0"], "--redis-url gives the port 'abc', which is not a"),
        (["--store", "redis", "--redis-url", "redis://[::1]:0"], "--redis-url gives the port '0', which is not a port"),
        (["--store", "redis", "--redis-url", "redis://h:-1/0"], "--redis-url gives the port '-1', which is not a"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_flag(argv: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_args(argv, {})


def test_the_edges_of_each_range_are_accepted() -> None:
    s = Settings.from_args(
        ["--port", "65535", "--health-port", "-1", "--metrics-port", "0", "--grace-seconds", "0"], {}
    )
    assert (s.port, s.health_port, s.metrics_port, s.grace_seconds) == (65535, -1, 0, 0.0)


def test_an_environment_value_that_does_not_parse_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        Settings.from_args([], {"NEARDUP_PORT": "fifty"})
    assert exited.value.code == 2
    assert "NEARDUP_PORT='fifty' is not a valid value for --port: expected a whole number" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEARDUP_PORT": "70000"}, "NEARDUP_PORT='70000': --port must be between 0 and 65535 (got 70000)"),
        ({"NEARDUP_GRACE_SECONDS": "inf"}, "NEARDUP_GRACE_SECONDS='inf': --grace-seconds must be a finite number"),
        ({"NEARDUP_NUM_PERM": "0"}, "NEARDUP_NUM_PERM='0': --num-perm must be at least 1 (got 0)"),
        # (these named the flag alone: the checks of what settings allow together, or of a value beyond a range)
        ({"NEARDUP_MIN_CONTAINMENT": "2"}, "NEARDUP_MIN_CONTAINMENT='2': --min-containment must be above 0 and at"),
        ({"NEARDUP_LSH_BANDS": "100"}, "NEARDUP_LSH_BANDS='100': --lsh-bands times --lsh-rows (100 x 3 = 300) exceeds"),
        ({"NEARDUP_CHECK_LANES": "0"}, "NEARDUP_CHECK_LANES='0': --check-lanes is how many checks run at once"),
        ({"NEARDUP_INDEX_SNAPSHOT_EVERY": "0"}, "NEARDUP_INDEX_SNAPSHOT_EVERY='0': --index-snapshot-every is a"),
        ({"NEARDUP_FINGERPRINT_WORKERS": "-5"}, "NEARDUP_FINGERPRINT_WORKERS='-5': --fingerprint-workers is a number"),
        ({"NEARDUP_REDIS_WAIT_SECONDS": "0"}, "NEARDUP_REDIS_WAIT_SECONDS='0': --redis-wait-seconds must be above 0"),
        ({"NEARDUP_MAX_STREAMS": "0"}, "NEARDUP_MAX_STREAMS='0': --max-streams must be between 1 and --max-workers"),
        (
            {"NEARDUP_STORE": "redis", "NEARDUP_REDIS_URL": "http://x"},
            "NEARDUP_REDIS_URL='http://x': --redis-url must begin redis://, rediss:// (TLS) or unix://, not http://",
        ),
        (  # (its password is not shown)
            {"NEARDUP_STORE": "redis", "NEARDUP_REDIS_URL": "redis://:s3cret@127.0.0.1/x"},
            "NEARDUP_REDIS_URL='redis://:***@127.0.0.1/x': --redis-url ends with /x, which is not a database number",
        ),
        (  # (nor here)
            {"NEARDUP_STORE": "redis", "NEARDUP_REDIS_URL": "redis://:s3cret@127.0.0.1:99999/0"},
            "NEARDUP_REDIS_URL='redis://:***@127.0.0.1:99999/0': --redis-url gives the port '99999', which is not a",
        ),
        ({"NEARDUP_TLS_KEY": "key.pem"}, "NEARDUP_TLS_KEY='key.pem': --tls-cert and --tls-key go together"),
        (
            {"NEARDUP_TLS_CLIENT_CA": "clients.pem"},
            "NEARDUP_TLS_CLIENT_CA='clients.pem': --tls-client-ca asks callers for a certificate during the TLS "
            "handshake: give --tls-cert and --tls-key too",
        ),
        (
            {"NEARDUP_TLS_RELOAD": "off"},
            "NEARDUP_TLS_RELOAD='off': --tls-reload off says how --tls-cert and --tls-key are served: give them too, "
            "or unset NEARDUP_TLS_RELOAD (plaintext reloads nothing)\n",  # (it said "or leave --tls-reload out")
        ),
    ],
)
def test_a_value_refused_that_came_from_the_environment_names_the_variable(
    env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (a range check named the variable, the other checks the flag alone: "--min-containment must be above 0 and at
    # most 1 (got 2.0)" to an operator who had given no flag)
    assert main(["serve"], env) == 2
    assert capsys.readouterr().err.startswith(f"neardup serve: {message}")


def test_a_value_refused_that_a_flag_gave_names_the_flag_alone(capsys: pytest.CaptureFixture[str]) -> None:
    env = {"NEARDUP_MIN_CONTAINMENT": "0.3", "NEARDUP_PORT": "6000"}  # (overridden, or naming another setting)
    assert main(["serve", "--min-containment", "2"], env) == 2
    assert capsys.readouterr().err == "neardup serve: --min-containment must be above 0 and at most 1 (got 2.0)\n"
    assert main(["serve", "--tls-reload", "off"], {}) == 2
    assert capsys.readouterr().err == (
        "neardup serve: --tls-reload off says how --tls-cert and --tls-key are served: give them too, or leave "
        "--tls-reload out (plaintext reloads nothing)\n"
    )


def test_a_variable_out_of_range_that_a_flag_overrides_does_not_stop_the_start() -> None:
    # (refused before, though not used: as a variable a flag overrides is, it is said in a WARNING at start)
    env = {"NEARDUP_PORT": "70000"}
    settings = Settings.from_args(["--port", "5000"], env)
    assert settings.port == 5000
    [said] = unused_variables(env, settings)
    assert said.startswith("NEARDUP_PORT=70000 is not used: the flag --port 5000 wins over it")


@pytest.mark.parametrize(
    ("name", "value", "flag", "choices"),
    [
        # "true" once meant off here, and the start removed the index snapshot: every later start rebuilt.
        ("INDEX_SNAPSHOT", "true", "--index-snapshot", "on, off"),
        ("LOG_FORMAT", "xml", "--log-format", "text, json"),
        ("STORE", "Redis", "--store", "sqlite, redis"),
        ("LOG_LEVEL", "verbose", "--log-level", "DEBUG, INFO, WARNING, ERROR"),
        ("TLS_RELOAD", "false", "--tls-reload", "on, off"),
    ],
)
def test_an_environment_value_outside_a_settings_choices_names_the_variable(
    name: str, value: str, flag: str, choices: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        Settings.from_args([], {f"NEARDUP_{name}": value})
    assert exited.value.code == 2
    assert f"NEARDUP_{name}={value!r} is not a valid value for {flag}: choose from {choices}" in capsys.readouterr().err


def test_an_environment_value_refused_is_one_line_without_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    # (argparse's error printed "usage: neardup serve [-h] [--host HOST]" above it: the flags added so far)
    with pytest.raises(SystemExit) as exited:
        Settings.from_args([], {"NEARDUP_PORT": "abc"})
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "neardup serve: NEARDUP_PORT='abc' is not a valid value for --port: expected a whole number\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "51091", "--health-port", "51091"], "--health-port 51091 is also --port: give each its own port"),
        (["--metrics-port", "9100", "--port", "9100"], "--metrics-port 9100 is also --port: give each its own port"),
        (
            ["--health-port", "50052", "--metrics-port", "50052"],
            "--metrics-port 50052 is also --health-port: give each its own port",
        ),
    ],
)
def test_two_of_the_servers_ports_the_same_are_refused_naming_both(argv: list[str], message: str) -> None:
    # (they were found only after the whole index had loaded, as "another process may be using the port")
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_args(argv, {})


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ([], {"NEARDUP_METRICS_PORT": "50051"}, "NEARDUP_METRICS_PORT=50051 is also --port: give each its own port"),
        (["--port", "9100"], {"NEARDUP_METRICS_PORT": "9100"}, "NEARDUP_METRICS_PORT=9100 is also --port: give"),
        ([], {"NEARDUP_PORT": "7000", "NEARDUP_HEALTH_PORT": "7000"}, "NEARDUP_HEALTH_PORT=7000 is also NEARDUP_PORT:"),
        (["--health-port", "7000"], {"NEARDUP_PORT": "7000"}, "--health-port 7000 is also NEARDUP_PORT: give each"),
        # (a flag over a variable: the flag gave the value)
        (["--health-port", "7000"], {"NEARDUP_PORT": "7000", "NEARDUP_HEALTH_PORT": "8000"}, "--health-port 7000 is"),
    ],
)
def test_two_ports_the_same_are_refused_naming_the_variable_or_flag_each_came_from(
    argv: list[str], env: dict[str, str], message: str
) -> None:
    # (the refusal named flags, "--metrics-port 50051 is also --port", when the values came from NEARDUP_* variables)
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        Settings.from_args(argv, env)


def test_any_free_port_or_off_may_repeat() -> None:
    s = Settings.from_args(["--port", "0", "--health-port", "0", "--metrics-port", "0"], {})
    assert (s.port, s.health_port, s.metrics_port) == (0, 0, 0)
    assert Settings.from_args(["--health-port", "-1", "--metrics-port", "-1"], {}).health_port == -1


def test_an_unknown_neardup_variable_is_refused_naming_the_closest_known_one() -> None:
    env = {"NEARDUP_MAX_BODY_SIZE": "5", "NEARDUP_METRIC_PORT": "9999", "NEARDUP_XYZZY": "1", "PATH": "/bin"}
    with pytest.raises(ValueError) as refused:
        refuse_unknown_variables(env, CONNECTION_VARIABLES)
    assert str(refused.value) == (
        "NEARDUP_MAX_BODY_SIZE (did you mean NEARDUP_MAX_BODY_BYTES?), NEARDUP_METRIC_PORT (did you mean "
        "NEARDUP_METRICS_PORT?), NEARDUP_XYZZY: neardup reads no such variable, so it would be ignored; rename or "
        "unset them (`neardup serve --help` names each setting's)"
    )


def test_every_variable_a_setting_or_a_client_command_reads_is_known() -> None:
    env = dict.fromkeys([*setting_variables(), *CONNECTION_VARIABLES], "x")
    assert {"NEARDUP_DATA_DIR", "NEARDUP_NUM_PERM", "NEARDUP_HEALTH_PORT", "NEARDUP_SERVER"} <= set(env)
    refuse_unknown_variables(env, CONNECTION_VARIABLES)  # (raises nothing)
    assert [f"--{v.removeprefix('NEARDUP_').lower().replace('_', '-')}" for v in setting_variables()] == [
        a.option_strings[0] for a in build_parser({})._actions if a.dest != "help"
    ]


def test_a_log_level_is_taken_in_either_case() -> None:
    assert Settings.from_args(["--log-level", "debug"], {}).log_level == "DEBUG"
    assert Settings.from_args([], {"NEARDUP_LOG_LEVEL": "warning"}).log_level == "WARNING"


def test_a_url_password_is_shown_as_stars_and_the_rest_as_given() -> None:
    assert redacted_url("redis://:pw@10.0.0.7:6379/0") == "redis://:***@10.0.0.7:6379/0"
    assert redacted_url("rediss://neardup:p%40ss@cache.internal:6380/2") == "rediss://neardup:***@cache.internal:6380/2"
    assert redacted_url("unix:///run/redis.sock?db=1&password=pw") == "unix:///run/redis.sock?db=1&password=***"
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert redacted_url("redis://user@127.0.0.1:6379/0") == "redis://user@127.0.0.1:6379/0"
    # A / ? or # left unencoded in the password ends the host part there: the user part is hidden whole.
    assert redacted_url("redis://user:sec#ret@h:6379/0") == "redis://***@h:6379/0"
    assert redacted_url("rediss://u:a/b?c@h:6380/1") == "rediss://***@h:6380/1"


@pytest.mark.parametrize("password", ["sec#ret", "sec?ret", "sec/ret", "s/e?c#ret"])
@pytest.mark.parametrize("given", ["flag", "variable"])
def test_a_password_with_an_unencoded_slash_question_mark_or_hash_is_refused_and_never_echoed(
    password: str, given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The URL's syntax ends the host part at / ? #: "redis://user:sec#ret@h" was refused as giving "the port 'sec'",
    # part of the password, and NEARDUP_REDIS_URL's echo, which masks a password after "user:", showed it whole.
    url = f"redis://user:{password}@cache.internal:6379/0"
    if given == "flag":
        assert main(["serve", "--store", "redis", "--redis-url", url], {}) == 2
    else:
        assert main(["serve"], {"NEARDUP_STORE": "redis", "NEARDUP_REDIS_URL": url}) == 2
    err = capsys.readouterr().err
    assert "--redis-url has an '@' after its host part: percent-encode / ? # in the password (%2F %3F %23" in err
    assert "sec" not in err and "ret" not in err
    if given == "variable":
        assert err.startswith("neardup serve: NEARDUP_REDIS_URL='redis://***@cache.internal:6379/0': --redis-url")


@pytest.mark.parametrize("url", ["redis://::1:6379/0", "redis://fe80::1/0", "rediss://u:pw@::1:6380"])
def test_an_unbracketed_ipv6_address_is_refused_saying_to_bracket_it(url: str) -> None:
    with pytest.raises(ValueError, match=re.escape("bracket an IPv6 address (redis://[::1]:6379)")) as caught:
        Settings.from_args(["--store", "redis", "--redis-url", url], {})
    assert "pw" not in str(caught.value) and "gives the port" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "redis://h:6379/3",
        "redis://h:6379",
        "redis://:pw@h:6379/0/",
        "rediss://h:6380/0",
        "unix:///run/r.sock?db=2",
        # (a password may hold a colon, an IPv6 address colons; no port is 6379)
        "redis://:p:w@h:6379/0",
        "redis://[::1]:6379/0",
        "redis://[::1]/0",
        "redis://h/0",
        "redis://h:65535",
        # (an '@' a password holds, before the host's; or in a query field's value)
        "redis://:p@ss@h:6379/0",
        "redis://h:6379/0?password=p@ss",
        "unix:///run/redis/redis-server@main.sock?db=1",
    ],
)
def test_redis_urls_redis_reads_as_meant_are_taken(url: str) -> None:
    assert Settings.from_args(["--store", "redis", "--redis-url", url], {}).redis_url == url


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Settings(max_workers=16, max_streams=20), "--max-streams must be between 1 and --max-workers (16)"),
        (lambda: Settings(port=70000), "--port must be between 0 and 65535 (got 70000)"),
        (
            lambda: Settings(max_concurrent_rpcs=2, max_workers=4),
            "--max-concurrent-rpcs (2) must be more than the index "
            "streams that may be open at once (--max-streams -1: 3, three quarters of --max-workers 4): an open stream "
            "counts as a call, so idle streams would take every call and leave none for checks, GetStats and health "
            "probes. Raise --max-concurrent-rpcs to 4 or more, or --max-streams to 1 (open health Watch and reflection "
            "streams count as calls too, outside --max-streams: leave a margin for those a deployment keeps open)",
        ),
        (
            lambda: Settings(max_workers=100),
            "Raise --max-concurrent-rpcs to 76 or more, or --max-streams to 63 or less",
        ),
        (lambda: Settings(max_concurrent_rpcs=3, max_streams=3), "(--max-streams 3): an open stream counts as a call"),
        (lambda: Settings(tls_cert="server.pem"), "--tls-cert and --tls-key go together"),
        (lambda: Settings(tls_client_ca="clients.pem"), "--tls-client-ca asks callers for a certificate during the"),
        (lambda: Settings(tls_reload="off"), "--tls-reload off says how --tls-cert and --tls-key are served"),
        (lambda: Settings(store=cast(Any, "mysql")), "--store must be one of sqlite, redis (got 'mysql')"),
        # (gRPC said only "could not bind :0: another process may be using the port", of an empty host)
        (lambda: Settings(host=""), "--host is empty: give an address to listen on (127.0.0.1, or 0.0.0.0 or ::"),
        (lambda: Settings.from_args([], {"NEARDUP_HOST": " "}), "NEARDUP_HOST=' ': --host is empty"),
        (lambda: Settings(host="[]"), "--host is empty"),
        (lambda: replace(Settings(), fingerprint_workers=-2), "--fingerprint-workers is a number of processes"),
        (lambda: DetectionParams(lsh_bands=50, lsh_rows=3), "--lsh-bands times --lsh-rows (50 x 3 = 150) exceeds"),
        (lambda: DetectionParams(max_candidates=0), "--max-candidates must be at least 1 (got 0)"),
        (lambda: Settings(detection=replace(DetectionParams(), seed=-1)), "--seed must be between 0 and"),
    ],
)
def test_settings_built_directly_are_checked_as_flags_are(build: Callable[[], object], message: str) -> None:
    """Only Settings.from_namespace checked: a Settings or DetectionParams made in code (a test, a benchmark,
    a program embedding the service) took values the flags refuse, such as more streams than handler threads."""
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_paths_starting_with_a_tilde_are_in_the_home_directory_from_flags_or_the_environment() -> None:
    # (docker -e and systemd's Environment= hand a `~` on unexpanded: the server made a directory named "~")
    home = os.path.expanduser("~")
    env = {"NEARDUP_DATA_DIR": "~/srv", "NEARDUP_AUTH_TOKEN_FILE": "~/tokens", "NEARDUP_BOILERPLATE_FILE": ""}
    settings = Settings.from_args(["--tls-cert", "~/c.pem", "--tls-key", "~/k.pem", "--tls-client-ca", "~/ca.pem"], env)
    assert settings.data_dir == Path(home, "srv") and settings.auth_token_file == f"{home}/tokens"
    assert (settings.tls_cert, settings.tls_key) == (f"{home}/c.pem", f"{home}/k.pem")
    assert settings.tls_client_ca == f"{home}/ca.pem"
    assert settings.detection.boilerplate_file == ""  # (none given stays none)


# What Kubernetes sets in a pod for a Service named neardup-redis, and for one named neardup (service links).
_SERVICE_LINKS = {
    "NEARDUP_REDIS_SERVICE_HOST": "10.0.0.7",
    "NEARDUP_REDIS_SERVICE_PORT": "6379",
    "NEARDUP_REDIS_SERVICE_PORT_REDIS": "6379",
    "NEARDUP_REDIS_PORT": "tcp://10.0.0.7:6379",
    "NEARDUP_REDIS_PORT_6379_TCP": "tcp://10.0.0.7:6379",
    "NEARDUP_REDIS_PORT_6379_TCP_ADDR": "10.0.0.7",
    "NEARDUP_REDIS_PORT_6379_TCP_PORT": "6379",
    "NEARDUP_REDIS_PORT_6379_TCP_PROTO": "tcp",
    "NEARDUP_SERVICE_HOST": "10.0.0.9",
    "NEARDUP_SERVICE_PORT": "50051",
    "NEARDUP_PORT": "tcp://10.0.0.9:50051",
    "NEARDUP_PORT_50051_TCP": "tcp://10.0.0.9:50051",
    "NEARDUP_HEALTH_PORT": "tcp://10.0.0.8:50052",
}


def test_the_variables_kubernetes_sets_for_services_neither_stop_a_start_nor_set_a_port() -> None:
    # (a Service named neardup-redis beside the server stopped its start: "NEARDUP_REDIS_PORT (did you mean
    # NEARDUP_REDIS_URL?) …: neardup reads no such variable")
    refuse_unknown_variables(_SERVICE_LINKS, CONNECTION_VARIABLES)  # (raises nothing)
    settings = Settings.from_args([], _SERVICE_LINKS)
    assert (settings.port, settings.health_port) == (Settings().port, Settings().health_port)


def test_a_misspelt_variable_beside_the_service_links_is_still_refused() -> None:
    with pytest.raises(ValueError, match=r"^NEARDUP_REDIS_ULR \(did you mean NEARDUP_REDIS_URL\?\): "):
        refuse_unknown_variables({**_SERVICE_LINKS, "NEARDUP_REDIS_ULR": "redis://x"}, CONNECTION_VARIABLES)
    assert Settings.from_args([], {"NEARDUP_PORT": "6000"}).port == 6000


def test_a_service_link_passed_over_for_a_setting_is_said_and_one_naming_no_setting_is_not() -> None:
    # (the image's NEARDUP_HEALTH_PORT=50052, replaced by a Service named neardup-health's address, turned the health
    # port off without a word: the pod's probes failed and it was restarted)
    env = {**_SERVICE_LINKS, "NEARDUP_METRICS_PORT": "tcp://10.0.0.6:9100"}
    said = unused_variables(env, Settings.from_args([], env))
    assert len(said) == 3  # NEARDUP_PORT, NEARDUP_HEALTH_PORT, NEARDUP_METRICS_PORT; not NEARDUP_REDIS_*
    health = next(line for line in said if line.startswith("NEARDUP_HEALTH_PORT="))
    assert health.startswith("NEARDUP_HEALTH_PORT=tcp://10.0.0.8:50052 is what Kubernetes sets for a Service named "
                             "neardup-health (a service link), not a value of --health-port: passed over, so "
                             "--health-port is its default, -1 (off)")  # fmt: skip
    assert "enableServiceLinks: false" in health
    # A flag given: the link changes nothing, and nothing is said of it.
    flagged = Settings.from_args(["--health-port", "50052", "--metrics-port", "9100", "--port", "50061"], env)
    assert unused_variables(env, flagged) == []


def test_a_variable_a_flag_overrides_is_said() -> None:
    env = {"NEARDUP_HEALTH_PORT": "6000", "NEARDUP_MAX_BATCH": "64", "NEARDUP_DATA_DIR": "~/d", "NEARDUP_SEED": "7"}
    settings = Settings.from_args(["--health-port", "50052", "--seed", "7"], env)
    said = unused_variables(env, settings)
    assert len(said) == 1 and said[0].startswith(
        "NEARDUP_HEALTH_PORT=6000 is not used: the flag --health-port 50052 wins over it (the container image's "
        "entrypoint gives --port 50051, --health-port 50052"
    )


def test_tls_reloading_is_on_unless_a_flag_or_its_variable_turns_it_off(capsys: pytest.CaptureFixture[str]) -> None:
    assert Settings.from_args([], {}).tls_reload == "on"
    pair = ["--tls-cert", "server.pem", "--tls-key", "server.key"]
    assert Settings.from_args(pair, {"NEARDUP_TLS_RELOAD": "off"}).tls_reload == "off"
    assert Settings.from_args([*pair, "--tls-reload", "on"], {"NEARDUP_TLS_RELOAD": "off"}).tls_reload == "on"
    with pytest.raises(SystemExit):
        build_parser({}).parse_args(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--tls-reload {on,off}" in shown
    assert "off: the files read at start are served until a restart" in shown
    assert "(env NEARDUP_TLS_RELOAD; default on)" in shown
