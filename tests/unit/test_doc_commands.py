"""Every benchmark command line README.md and docs/perf.md show parses with the module's own argparse parser: the
README's `python -m benchmarks.mixed --ingest-rate 677 ...` left out the --data-dir it requires, and failed."""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

from benchmarks import loadtest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/perf.md")
# `python -m benchmarks.X ...` (any python: .venv/bin/python too) or `neardup-bench ...`, up to a shell comment.
_COMMAND = re.compile(r"\s*(?:\S*python\S* -m (benchmarks(?:\.\w+)+)|neardup-bench)(?=\s|$)(.*)")
_BLOCK = re.compile(r"^```\w*\n(.*?)^```", re.DOTALL | re.MULTILINE)
# Words the docs write for a value of the reader's own, and a value of that kind to parse in their place.
PLACEHOLDERS = {"DIR": "/tmp/store", "FILE": "articles.jsonl", "N": "100", "B": "64"}


def doc_commands(doc: str) -> list[tuple[str, list[str]]]:
    """The benchmark commands `doc` shows, in code blocks (a backslash continues a line) and inline code (which may
    run over lines), as (module, arguments); `neardup-bench` is benchmarks.loadtest."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    lines = [line for block in _BLOCK.findall(text) for line in block.replace("\\\n", " ").splitlines()]
    spans = [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", _BLOCK.sub("", text))]
    found = []
    for command in lines + spans:
        # (Inline, a module alone names the benchmark, as in "`python -m benchmarks.mixed` measures this".)
        if (match := _COMMAND.match(command)) and (command in lines or match[2].strip()):
            words = shlex.split(match[2], comments=True)
            found.append((match[1] or "benchmarks.loadtest", [PLACEHOLDERS.get(w, w) for w in words]))
    return found


class _Parsed(Exception):
    """Raised once the module's parser has parsed the arguments: nothing after it runs."""


def parse_with_the_modules_parser(module_name: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """`argv` parsed by the parser `module_name`'s main builds (its main is stopped right after parsing), or the
    SystemExit argparse ends a command line it refuses with."""
    if module_name == "benchmarks.loadtest":
        return loadtest.build_parser().parse_args(argv)
    module = importlib.import_module(module_name)
    parse = argparse.ArgumentParser.parse_args
    parsed: list[argparse.Namespace] = []

    def parse_then_stop(self: argparse.ArgumentParser, args: Any = None, namespace: Any = None) -> NoReturn:
        parsed.append(parse(self, args, namespace))
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.setattr(sys, "argv", [module_name, *argv])  # (for the mains that read sys.argv)
    main = module.main
    with pytest.raises(_Parsed):
        main(argv) if main.__code__.co_argcount else main()
    return parsed[0]


COMMANDS = [(doc, module, argv) for doc in DOCS for module, argv in doc_commands(doc)]


def test_the_docs_show_the_benchmark_commands_this_test_parses() -> None:
    shown = {module for _, module, _ in COMMANDS}
    assert {"benchmarks.loadtest", "benchmarks.scaling", "benchmarks.mixed", "benchmarks.ingest_cli"} <= shown
    assert len(COMMANDS) > 50


@pytest.mark.parametrize(("doc", "module", "argv"), COMMANDS, ids=[f"{d}: {m} {' '.join(a)}" for d, m, a in COMMANDS])
def test_every_benchmark_command_the_docs_show_parses(
    doc: str, module: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        parse_with_the_modules_parser(module, argv, monkeypatch)
    except SystemExit:
        pytest.fail(f"{doc} shows `{module} {shlex.join(argv)}`, which its parser refuses: {capsys.readouterr().err}")
