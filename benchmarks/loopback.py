"""Local processes on loopback for the benchmarks and the tests: a free port, waiting for a condition
(not sleeping), and real redis-server processes, standalone or as a cluster."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def free_port() -> int:
    """A loopback port free now, for a server that must come back on the same port after a restart."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `condition` until it returns a truthy value; raise AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(delay)  # back-off between polls of a condition, not synchronisation by sleeping
        delay = min(delay * 2, 0.2)


REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
MISSING = (
    "redis-server / redis-cli are not installed: the Redis tests and benchmarks run a real server. "
    "Install them (apt-get install redis-server redis-tools; .ci/run does this)."
)


class PortTaken(AssertionError):
    """redis-server could not bind the port it was given."""


class RedisServer:
    """One redis-server on a free loopback port, its files in `workdir`; AOF with fsync at every write."""

    def __init__(self, workdir: Path, *extra: str, port: int = 0, cluster: bool = False) -> None:
        if REDIS_SERVER is None or REDIS_CLI is None:
            raise AssertionError(MISSING)
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self._port_chosen = not port  # (a port of our choosing may be taken before redis binds it: choose again)
        self.extra = list(extra)
        if cluster:
            self.extra += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                           "--cluster-node-timeout", "2000", "--cluster-port", str(free_port())]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        self._port_chosen = False  # (handed out: the port is kept from now on)
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for attempt in range(3):
            try:
                return self._start()
            except PortTaken:
                if not self._port_chosen or attempt == 2:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _start(self) -> RedisServer:
        args = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no",
                "--loglevel", "warning", "--logfile", "redis.log", *self.extra]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ready, timeout=20, what=f"redis-server on port {self.port}")
        self._port_chosen = False  # (a restart must come back on this port, the one its clients know)
        return self

    def ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
            if "Address already in use" in log:
                raise PortTaken(f"port {self.port} was taken before redis-server bound it: {log}")
            raise AssertionError(f"redis-server exited with {self.proc.returncode}: {log}")
        try:
            # (no retries: a port taken by another listener would hold each ping for its timeout, four times)
            with redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, retry=Retry(NoBackoff(), 0)) as r:
                return bool(r.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop hard (SIGKILL): what survives is what the AOF had fsynced."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def redis_with_replica(workdir: Path) -> Iterator[tuple[RedisServer, RedisServer]]:
    """A redis-server and one Redis replica of it, in sync when this yields."""
    with redis_server(workdir / "primary") as primary:
        replica = RedisServer(workdir / "replica", "--replicaof", "127.0.0.1", str(primary.port)).start()
        try:
            wait_for(lambda: replica_in_sync(replica), timeout=20, what="the Redis replica to sync")
            yield primary, replica
        finally:
            replica.stop()


@contextmanager
def redis_cluster(workdir: Path, nodes: int = 3, replicas: int = 0) -> Iterator[list[RedisServer]]:
    """A Redis Cluster of `nodes` primaries, each with `replicas` Redis replicas (in sync when this
    yields); slots spread by redis-cli. Which server is which: `role(server)`."""
    with ExitStack() as stack:
        servers = []
        for i in range(nodes * (1 + replicas)):
            server = RedisServer(workdir / f"node{i}", cluster=True).start()
            stack.callback(server.stop)
            servers.append(server)
        addresses = [f"127.0.0.1:{s.port}" for s in servers]
        subprocess.run([str(REDIS_CLI), "--cluster", "create", *addresses, "--cluster-replicas", str(replicas),
                        "--cluster-yes"], check=True, capture_output=True, timeout=60)  # fmt: skip
        wait_for(lambda: all(_cluster_ok(s.port, len(servers)) for s in servers), timeout=30, what="cluster state ok")
        wait_for(lambda: all(replica_in_sync(s) for s in servers if role(s) == "slave"), timeout=30,
                 what="the cluster's replicas to sync")  # fmt: skip
        yield servers


def role(server: RedisServer) -> str:
    """'master' or 'slave' (Redis's own words)."""
    return str(_replication(server)["role"])


def replica_in_sync(server: RedisServer) -> bool:
    """Is this Redis replica's link to its primary up?"""
    return _replication(server).get("master_link_status") == "up"


def _replication(server: RedisServer) -> dict[str, Any]:
    with redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=1, decode_responses=True) as r:
        return dict(r.info("replication"))


def _cluster_ok(port: int, nodes: int) -> bool:
    with redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, decode_responses=True) as r:
        info = r.cluster("info")
    return bool(info.get("cluster_state") == "ok" and int(info.get("cluster_known_nodes", 0)) == nodes)
