"""The client commands' yes-or-no environment variable NEARDUP_TLS: read as a yes or a no, never as "set"."""

from __future__ import annotations

import pytest

from client.cli import EXIT_FAILED, _parser, main


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
