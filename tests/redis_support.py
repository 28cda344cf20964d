"""Real redis-server processes for tests and benchmarks: standalone or a 3-node cluster, loopback only."""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from service.model import Article as ModelArticle
from service.redis_store import RedisStore
from service.settings import DetectionParams
from tests.support import free_port, wait_for

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
MISSING = (
    "redis-server / redis-cli are not installed: the Redis tests run a real server. "
    "Install them (apt-get install redis-server redis-tools; .ci/run does this)."
)


class RedisServer:
    """One redis-server on a free loopback port, its files in `workdir`; AOF with fsync at every write."""

    def __init__(self, workdir: Path, *extra: str, port: int = 0, cluster: bool = False) -> None:
        if REDIS_SERVER is None or REDIS_CLI is None:
            raise AssertionError(MISSING)
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.extra = list(extra)
        if cluster:
            self.extra += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                           "--cluster-node-timeout", "2000", "--cluster-port", str(free_port())]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no",
                "--loglevel", "warning", "--logfile", "redis.log", *self.extra]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ready, timeout=20, what=f"redis-server on port {self.port}")
        return self

    def ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"redis-server exited with {self.proc.returncode}: {log}")
        try:
            with redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1) as r:
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
def redis_cluster(workdir: Path, nodes: int = 3) -> Iterator[list[RedisServer]]:
    """A Redis Cluster of `nodes` primaries (no replicas), slots spread by redis-cli."""
    with ExitStack() as stack:
        servers = []
        for i in range(nodes):
            server = RedisServer(workdir / f"node{i}", cluster=True).start()
            stack.callback(server.stop)
            servers.append(server)
        addresses = [f"127.0.0.1:{s.port}" for s in servers]
        subprocess.run([str(REDIS_CLI), "--cluster", "create", *addresses, "--cluster-replicas", "0",
                        "--cluster-yes"], check=True, capture_output=True, timeout=60)  # fmt: skip
        wait_for(lambda: all(_cluster_ok(s.port, nodes) for s in servers), timeout=30, what="cluster state ok")
        yield servers


def _cluster_ok(port: int, nodes: int) -> bool:
    with redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, decode_responses=True) as r:
        info = r.cluster("info")
    return bool(info.get("cluster_state") == "ok" and int(info.get("cluster_known_nodes", 0)) == nodes)


# ---- project-generated articles: stories, copies and revisions, for comparing stores ---------------

_SYLLABLES = ["ka", "lo", "mi", "ren", "sa", "tu", "vel", "dor", "ni", "pra", "zu", "eth", "gar", "fin", "ol", "bri"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def synthetic_articles(stories: int, seed: int = 7, prefix: str = "s") -> list[ModelArticle]:
    """Made-up stories of made-up words, each with 0-3 republications (cut, prefixed, lightly edited).

    Publication times are shuffled so the earliest-published copy is not always the first to arrive.
    """
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    shared_appeal = " ".join(_word(rng) for _ in range(60))
    out: list[ModelArticle] = []
    for s in range(stories):
        words = [_word(rng) for _ in range(rng.randint(80, 260))]
        out.append(ModelArticle(f"{prefix}{s}", " ".join(words), title=f"story {s}",
                                published=base + timedelta(minutes=rng.randint(0, 5000))))  # fmt: skip
        for c in range(rng.choice([0, 0, 1, 2, 3])):
            copy = list(words[: int(len(words) * rng.uniform(0.5, 1.0))])
            for _ in range(rng.randint(0, 6)):  # light edits
                copy[rng.randrange(len(copy))] = _word(rng)
            body = (shared_appeal + " " if rng.random() < 0.4 else "") + " ".join(copy)
            published = base + timedelta(minutes=rng.randint(0, 5000)) if rng.random() < 0.8 else None
            out.append(ModelArticle(f"{prefix}{s}c{c}", body, source=f"outlet{c}", published=published))
    rng.shuffle(out)
    return out


def cleared_index_url(request: pytest.FixtureRequest, db: int) -> str:
    """URL of a cleared index: database `db` of the shared standalone server, or the shared cluster
    (for a fixture parametrised over "standalone" and "cluster")."""
    if request.param == "standalone":
        url = str(request.getfixturevalue("redis_standalone").url).replace("/0", f"/{db}")
    else:
        url = str(request.getfixturevalue("redis_cluster_nodes")[0].url)
    store = RedisStore(url, DetectionParams())
    store.clear()
    store.close()
    return url
