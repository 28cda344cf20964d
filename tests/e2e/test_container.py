"""Build the real image with podman on a local Debian base, then run the server from its root filesystem.

No Docker engine and no registry here: mmdebstrap makes a bookworm base with python3, `podman import`
turns it into an image, and the Dockerfile is built on it through its PYTHON_IMAGE argument. The
server is then started from a container's mounted root filesystem with chroot, as the image's user
and with the image's environment, and called over loopback through the client. Needs root, podman
and mmdebstrap (.ci/run installs them); Debian's and PyPI's package servers must be reachable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest

from client import Article, NeardupClient
from tests.articles import WIRE

ROOT = Path(__file__).resolve().parents[2]
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")  # the host's trust store, for pip behind a TLS proxy

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="podman --isolation=chroot and chroot need root"),
    pytest.mark.skipif(not (shutil.which("podman") and shutil.which("mmdebstrap")), reason="podman/mmdebstrap"),
    pytest.mark.timeout(900),
]


def run(*cmd: str, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-4000:]}"
    return result.stdout.strip()


@dataclass
class Image:
    name: str
    config: dict[str, object]
    rootfs: Path  # a container's mounted root filesystem (writable, like `docker run`)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    tag = uuid.uuid4().hex[:10]
    base, name = f"localhost/neardup-test-base:{tag}", f"localhost/neardup-test:{tag}"
    work = tmp_path_factory.mktemp("image")
    # A private image store: nothing is cached between runs and nothing is left in the machine's store.
    # (Its runroot in a short directory of its own: podman refuses one of over 50 characters, as pytest's
    # temporary directories are under pytest-xdist.)
    runroot = tempfile.mkdtemp(prefix="nd-podman-")
    podman = ["podman", "--root", str(work / "storage"), "--runroot", runroot]
    container = ""
    try:
        run("mmdebstrap", "--variant=minbase", "--include=python3,python3-venv", "--quiet",
            "bookworm", str(work / "base.tar"))  # fmt: skip
        run(*podman, "import", str(work / "base.tar"), base)
        (work / "base.tar").unlink()
        pip_ca = ["-v", f"{HOST_CA}:/run/host-ca.crt:ro", "--build-arg", "PIP_CERT=/run/host-ca.crt"]
        run(*podman, "build", "--isolation=chroot", "--format=docker", "--pull=never", "--network=host",
            *(pip_ca if HOST_CA.exists() else []), "--build-arg", f"PYTHON_IMAGE={base}",
            "-t", name, str(ROOT))  # fmt: skip
        inspected = json.loads(run(*podman, "image", "inspect", name))[0]
        config = {**inspected["Config"], "Healthcheck": inspected["Healthcheck"]}  # podman keeps it outside Config
        container = run(*podman, "create", name)
        yield Image(name, config, Path(run(*podman, "mount", container)))
    finally:
        if container:
            subprocess.run([*podman, "umount", container], capture_output=True, timeout=60)
        subprocess.run([*podman, "system", "reset", "--force"], capture_output=True, timeout=300)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)


def test_image_metadata_is_production_shaped(image: Image) -> None:
    c = image.config
    assert c["User"] == "10001:10001"
    assert "/data" in c["Volumes"]  # type: ignore[operator]
    # (the entrypoint's health port, no variable: NEARDUP_HEALTH_PORT moves the check, not the server)
    check = c["Healthcheck"]["Test"]  # type: ignore[index]
    assert check == ["CMD", "neardup", "health", "--server", "127.0.0.1:50052", "--timeout", "5", "--no-tls"]
    # (the ports as flags: a Service named neardup-health replaced an ENV NEARDUP_HEALTH_PORT=50052 in a pod)
    ports = ["--port", "50051", "--health-port", "50052", "--metrics-port", "9100"]
    assert c["Entrypoint"] == ["neardup", "serve", *ports]
    assert c["StopSignal"] == "SIGTERM"
    site = next((image.rootfs / "opt/neardup/lib").glob("python3*/site-packages"))
    assert (site / "grpc").is_dir() and (site / "prometheus_client").is_dir()
    assert not (site / "grpc_tools").exists() and not (site / "pytest").exists()  # no dev dependencies
    assert not (image.rootfs / "opt/neardup/bin/pip").exists()


def test_image_user_and_group_are_10001(image: Image) -> None:
    etc = image.rootfs / "etc"
    assert "neardup:x:10001:" in (etc / "group").read_text().splitlines()  # the process's gid has a name
    assert any(line.startswith("neardup:x:10001:10001:") for line in (etc / "passwd").read_text().splitlines())
    data = (image.rootfs / "data").stat()
    assert (data.st_uid, data.st_gid) == (10001, 10001)  # as docs/ops.md says to chown a bind-mounted /data


def test_server_from_the_image_serves_health_and_indexes(image: Image) -> None:
    env = dict(item.split("=", 1) for item in cast("list[str]", image.config["Env"]))  # (from podman's JSON)
    chroot = ["chroot", "--userspec=10001:10001", str(image.rootfs)]
    proc = subprocess.Popen([*chroot, "neardup", "serve", "--host", "127.0.0.1", "--port", "0", "--metrics-port",
                             "0", "--health-port", "0"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)  # fmt: skip
    try:
        health_port, port = _announced_ports(proc)
        with NeardupClient(f"127.0.0.1:{port}", timeout=30) as client:
            assert client.health() == "SERVING"
            assert client.index(Article("from-container", WIRE)).id == "from-container"
            assert client.get("from-container").article.body == WIRE
        # The image's HEALTHCHECK command, its port swapped for the one the server took (as --health-cmd moves it).
        healthcheck = image.config["Healthcheck"]["Test"][1:]  # type: ignore[index]
        moved = [f"127.0.0.1:{health_port}" if arg == "127.0.0.1:50052" else arg for arg in healthcheck]
        assert run(*chroot, *moved, timeout=60, env=env) == "SERVING"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0  # drained and closed the store cleanly
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    db = image.rootfs / "data" / "neardup.db"
    assert db.stat().st_uid == 10001  # written by the unprivileged user into the volume directory


def _announced_ports(proc: subprocess.Popen[str]) -> tuple[int, int]:
    """The health port and the main port, from the lines `neardup serve` writes when it is ready."""
    assert proc.stderr is not None
    seen, health = [], None
    for line in proc.stderr:
        seen.append(line)
        if found := re.search(r"neardup health service on \S+:(\d+)", line):
            health = int(found.group(1))
        if (found := re.search(r"neardup serving on \S+:(\d+)", line)) and health is not None:
            return health, int(found.group(1))
    raise AssertionError(f"the server from the image exited ({proc.wait()}):\n{''.join(seen)}")
