"""The client commands' environment and flags as parsed: NEARDUP_TLS read as a yes or a no, never as "set";
file paths with `~`; seconds a command line can give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from client.cli import _parser, main
from client.cli_base import EXIT_FAILED


@pytest.mark.parametrize(
    ("value", "tls"),
    [("1", True), ("true", True), ("YES", True), (" on ", True),
     ("0", False), ("false", False), ("No", False), ("off", False), ("", False)],
)  # fmt: skip
def test_neardup_tls_is_read_as_yes_or_no(value: str, tls: bool) -> None:
    assert _parser({"NEARDUP_TLS": value}).parse_args(["stats"]).tls is tls


def test_without_neardup_tls_commands_speak_plaintext() -> None:
    assert _parser({}).parse_args(["stats"]).tls is False


@pytest.mark.parametrize("command", [["stats"], ["ingest", "in.jsonl"], ["health"]])
def test_a_flag_overrides_neardup_tls_either_way(command: list[str]) -> None:
    assert _parser({"NEARDUP_TLS": "1"}).parse_args([*command, "--no-tls"]).tls is False
    assert _parser({"NEARDUP_TLS": "0"}).parse_args([*command, "--tls"]).tls is True


def test_a_neardup_tls_that_is_not_yes_or_no_is_refused_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["stats"], env={"NEARDUP_TLS": "maybe"})
    assert stopped.value.code == EXIT_FAILED
    assert "NEARDUP_TLS='maybe' is not yes or no" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["token_file", "ca_file"])
def test_a_file_path_starting_with_a_tilde_is_in_the_home_directory_from_a_flag_or_the_environment(
    flag: str,
) -> None:
    # (docker -e and systemd's Environment= hand a `~` on unexpanded: the file was then looked for in "./~")
    variable = f"NEARDUP_{flag.upper()}"
    home = os.path.expanduser("~")
    assert getattr(_parser({variable: "~/.neardup/x"}).parse_args(["stats"]), flag) == f"{home}/.neardup/x"
    given = _parser({}).parse_args(["stats", f"--{flag.replace('_', '-')}", "~/y"])
    assert getattr(given, flag) == f"{home}/y"


@pytest.mark.parametrize(("given", "said"), [("0", "give seconds above 0"), ("inf", "give seconds above 0"),
                                             ("1e10", "give seconds above 0"),
                                             ("soon", "'soon' is not a number of seconds")])  # fmt: skip
def test_health_refuses_a_timeout_a_call_cannot_take_saying_what_to_give(
    given: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (the client's own refusal said "or None for no bound", which no command line can give)
    with pytest.raises(SystemExit) as stopped:
        main(["health", "--timeout", given], env={})
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and said in err and "None" not in err, err
    assert _parser({}).parse_args(["health", "--timeout", "0.5"]).timeout == 0.5


@pytest.mark.parametrize(("given", "said"), [("-1", "-1 is out of range: give from 1 to 1000"),
                                             ("0", "0 is out of range: give from 1 to 1000"),
                                             ("1001", "1001 is out of range: give from 1 to 1000"),
                                             ("many", "'many' is not a whole number")])  # fmt: skip
def test_group_refuses_a_page_size_out_of_the_servers_range_naming_the_flag(
    given: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (-1 was sent to the client, whose refusal named the request's page_size and its default, "0 (the server's
    # default, 100)": neither the flag nor its default, 1000)
    with pytest.raises(SystemExit) as stopped:
        main(["group", "x", "--page-size", given], env={})
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --page-size: {said}" in err and "page_size" not in err, err
    assert _parser({}).parse_args(["group", "x", "--page-size", "1000"]).page_size == 1000
    assert _parser({}).parse_args(["group", "x"]).page_size == 1000


@pytest.mark.parametrize("command", ["ingest", "check"])
@pytest.mark.parametrize("given", ["0", "100", "65535", "-1"])
def test_a_max_message_bytes_no_article_fits_in_is_refused_naming_the_flag(
    command: str, given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (it was taken, and every line was then rejected unsent, one error line each)
    with pytest.raises(SystemExit) as stopped:
        main([command, "in.jsonl", "--max-message-bytes", given], env={})
    assert stopped.value.code == 2
    assert f"argument --max-message-bytes: {given} is out of range: give 65536 or more" in capsys.readouterr().err
    assert _parser({}).parse_args([command, "in.jsonl", "--max-message-bytes", "65536"]).max_message_bytes == 65536


def test_a_misspelt_variable_is_said_by_a_client_command(capsys: pytest.CaptureFixture[str]) -> None:
    # (NEARDUP_SERVR was ignored without a word, and the command went to the default server.)
    main(["health", "--server", "127.0.0.1:1", "--timeout", "0.5"], env={"NEARDUP_SERVR": "127.0.0.1:2"})
    err = capsys.readouterr().err
    assert "neardup health: warning: NEARDUP_SERVR (did you mean NEARDUP_SERVER?): neardup reads no such" in err


def test_the_servers_variables_beside_a_client_command_are_not_said(capsys: pytest.CaptureFixture[str]) -> None:
    main(["health", "--server", "127.0.0.1:1", "--timeout", "0.5"], env={"NEARDUP_MAX_BATCH": "64"})
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "usage"),
    [(["check", "in.jsonl", "--bogus"], "usage: neardup check "), (["stats", "extra"], "usage: neardup stats "),
     (["serve", "--bogus"], "usage: neardup serve ")],
)  # fmt: skip
def test_an_argument_a_command_does_not_know_is_refused_with_that_commands_usage(
    argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (argparse handed it up to neardup's own parser, whose usage lists the commands and none of their flags)
    with pytest.raises(SystemExit) as stopped:
        main(argv, env={})
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert err.endswith(f"neardup {argv[0]}: error: unrecognized arguments: {argv[-1]}\n"), err


def test_health_exits_1_for_a_setting_that_cannot_work_as_docker_reserves_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (an unreadable token file ended it with 2, where its help promises 1 for anything but SERVING)
    missing = tmp_path / "no-such-token"
    assert main(["health", "--server", "127.0.0.1:9", "--token-file", str(missing)], env={}) == 1
    assert capsys.readouterr().err.startswith("neardup: cannot read the token file: ")
