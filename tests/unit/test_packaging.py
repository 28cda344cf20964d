"""The wheel carries what users' type checkers need: the py.typed markers (PEP 561) beside the client's
annotated code and the generated .pyi stubs. Without them `mypy --strict` calls the imports untyped."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _wheel(tmp_path: Path) -> zipfile.ZipFile:
    """A wheel built from a copy of the sources (a build in place would leave build/ and egg-info behind)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("client", "proto", "service", "benchmarks"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "out"))
    build = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", build, str(tmp_path / "dist")], cwd=source, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return zipfile.ZipFile(tmp_path / "dist" / done.stdout.strip().splitlines()[-1])


def test_the_wheel_marks_the_client_and_the_generated_code_as_typed(tmp_path: Path) -> None:
    with _wheel(tmp_path) as wheel:
        names = set(wheel.namelist())
    assert {"client/py.typed", "neardup/py.typed"} <= names
    assert {"client/api.py", "neardup/v1/neardup_pb2.pyi", "neardup/v1/neardup_pb2_grpc.pyi"} <= names


def test_the_installed_command_hears_serves_stop_signals_before_its_imports(tmp_path: Path) -> None:
    """`neardup` ran client.cli:main, whose imports (0.3 to 1.3 s) came before serve could set its handlers."""
    with _wheel(tmp_path) as wheel:
        names = set(wheel.namelist())
        (entry_points,) = (name for name in names if name.endswith(".dist-info/entry_points.txt"))
        scripts = wheel.read(entry_points).decode()
    assert "neardup = service.launch:main" in scripts.splitlines() and "service/launch.py" in names
