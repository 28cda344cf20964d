"""Ingest throughput of this branch against another git revision (default: main), in one run.

    python -m benchmarks.quality_throughput CORPUS.jsonl [--rev main] [--articles 1500] [--rounds 3]

Each round ingests the same first N articles of CORPUS through the real service (in-process
gRPC server on 127.0.0.1, port 0, fresh SQLite store, IndexArticles stream) once with the
working tree's code and once with `git archive REV`'s code, alternating, each in a fresh
Python process. Prints articles/s per run and the median ratio (this / rev). The machine is
shared and noisy: compare the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Uses only APIs both revisions have: start_server, Settings, the client's index_stream.
RUNNER = r"""
import gzip, json, sys, tempfile, time
from datetime import datetime
from pathlib import Path
from client import Article, NeardupClient
from service.grpc_server import start_server
from service.settings import Settings

opener = gzip.open if sys.argv[1].endswith(".gz") else open
rows = [r for r in map(json.loads, opener(sys.argv[1], "rt")) if r["body"].strip()][: int(sys.argv[2])]
arts = [Article(id=r["id"], body=r["body"], title=r.get("title", "")) for r in rows]
with tempfile.TemporaryDirectory() as tmp:
    # No fingerprint workers in either revision (older ones have no such setting; newer ones default to
    # using spare cores): the comparison is of the detection work, not of the process layout.
    same = {"fingerprint_workers": 0} if "fingerprint_workers" in Settings.__dataclass_fields__ else {}
    running = start_server(Settings(host="127.0.0.1", port=0, data_dir=Path(tmp), **same))
    with NeardupClient(f"127.0.0.1:{running.port}", timeout=600) as c:
        t = time.perf_counter()
        n = sum(1 for _ in c.index_stream(arts))
        took = time.perf_counter() - t
    running.stop(grace=5)
print(n / took)
"""


def export(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def rate(code: Path, corpus: Path, n: int) -> float:
    env = {"PYTHONPATH": f"{code}:{code / 'proto'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", RUNNER, str(corpus), str(n)], cwd=code, env=env,
                         check=True, capture_output=True, text=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--rev", default="main")
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        other = export(args.rev, Path(tmp))
        ratios = []
        for r in range(args.rounds):
            ours, theirs = rate(ROOT, args.corpus, args.articles), rate(other, args.corpus, args.articles)
            ratios.append(ours / theirs)
            print(f"round {r + 1}: this tree {ours:.0f} articles/s, {args.rev} {theirs:.0f} articles/s, "
                  f"ratio {ours / theirs:.2f}")  # fmt: skip
    print(f"median ratio (this / {args.rev}): {statistics.median(ratios):.2f} over {args.rounds} rounds")


if __name__ == "__main__":
    main()
