"""neardup-bench refuses arguments that cannot make a run, naming the flag (they used to run, sending nothing)."""

from __future__ import annotations

import pytest

from benchmarks.loadtest import build_parser


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
        ("--timeout", "0", "0 is out of range: give a number above 0"),
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
    args = build_parser().parse_args(["--check-share", "0", "--republished", "1", "--preload", "0", "--count", "1"])
    assert (args.check_share, args.republished, args.preload, args.count) == (0.0, 1.0, 0, 1)


def test_the_window_help_says_a_batch_bigger_than_it_goes_alone() -> None:
    assert "a batch bigger than it goes alone" in " ".join(build_parser().format_help().split())
