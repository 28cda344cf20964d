"""The client's examples run as written (the README's "From Python", the client package's docstring), against
a real server on loopback at the address they name replaced by the test server's."""

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


def _readme_example() -> str:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### From Python", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "no python block under 'From Python'"
    return found.group(1)


def _package_example() -> str:
    assert client.__doc__
    return client.__doc__.split("\n\n", 1)[1]  # (after the summary line)


@pytest.mark.parametrize("example", [_readme_example, _package_example], ids=["README", "client docstring"])
def test_the_example_runs_as_written(tmp_path: Path, example: Callable[[], str]) -> None:
    code = example()
    assert EXAMPLE_TARGET in code
    with in_process_server(tmp_path) as (running, stored):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code.replace(EXAMPLE_TARGET, f"127.0.0.1:{running.port}"), {})
        assert stored.get("a1").article.body.startswith("Harbour officials")
    assert printed.getvalue()
