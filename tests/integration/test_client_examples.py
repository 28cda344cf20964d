"""The client's examples run as written (the README's "From Python", the client package's docstring), against
a real server on loopback at the address they name replaced by the test server's; the README's prints what the
README shows it prints."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import client
from tests.support import in_process_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_TARGET = "127.0.0.1:50051"


def _readme_section() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8").split("### From Python", 1)[1].split("\n### ", 1)[0]


def _readme_example() -> str:
    found = re.search(r"```python\n(.*?)```", _readme_section(), re.DOTALL)
    assert found, "no python block under 'From Python'"
    return found.group(1)


def _readme_output() -> str:
    """The output the README shows for its example: the text block after the python one."""
    found = re.search(r"```python\n.*?```\n.*?```text\n(.*?)```", _readme_section(), re.DOTALL)
    assert found, "no text block after the python block under 'From Python'"
    return found.group(1)


def _run(code: str, port: int) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code.replace(EXAMPLE_TARGET, f"127.0.0.1:{port}"), {})
    return printed.getvalue()


def _package_example() -> str:
    assert client.__doc__
    return client.__doc__.split("\n\n", 1)[1]  # (after the summary line)


@pytest.mark.parametrize("example", [_readme_example, _package_example], ids=["README", "client docstring"])
def test_the_example_runs_as_written(tmp_path: Path, example: Callable[[], str]) -> None:
    code = example()
    assert EXAMPLE_TARGET in code
    with in_process_server(tmp_path) as (running, stored):
        printed = _run(code, running.port)
        assert stored.get("a1").article.body  # (the example stores its story as a1)
    assert printed


def test_the_readme_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    # (It showed a one-sentence story and two copies with a line added: printed `a2 None`, `a3 a2` on a server
    # that had seen other stories opening with that sentence, and the group of a1 held a1 alone.)
    with in_process_server(tmp_path) as (running, stored):
        assert _run(_readme_example(), running.port) == _readme_output()
        assert stored.stats().articles == 3
