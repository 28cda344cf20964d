"""How short an excerpt is still found: the lead of a stored story, as aggregators' teasers quote it.

    python -m benchmarks.excerpts [--reuters 2000] [--shares 0.1,0.15,0.2,0.25,0.3,0.4,0.5]

Indexes the 300 ABC stories of ../shared/corpora/lee_background.txt (and --reuters Reuters-21578 items
beside them, so the index is not only the stories asked about) through the real service (in-process gRPC
server on 127.0.0.1, port 0, fresh SQLite store), then checks, for each Lee story of at least
--min-words words, its first share of words (a teaser: the lead, cut at a word) and reports how often the
story itself is among the matches. Excerpts are found through LSH on Jaccard similarity, which for an
excerpt is about its share of the story: 42 bands of 3 rows make one of share s a candidate with
probability 1 - (1 - s³)⁴², printed beside the measured rate. Reads ../shared by path.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from itertools import islice
from pathlib import Path

from benchmarks.corpus import SHARED
from client.api import Article, NeardupClient
from service.grpc_server import start_server
from service.settings import Settings

LEE = SHARED / "corpora" / "lee_background.txt"
REUTERS = SHARED / "corpora" / "reuters21578.jsonl.gz"


def missing_corpus(lee: Path, reuters: int) -> str | None:
    """The line that says a corpus the run reads is not there, naming the flag to give (before any work: it
    ended in a raw FileNotFoundError without ../shared beside the checkout), or None."""
    if not lee.is_file():
        return f"excerpts: no Lee corpus at {lee} (expected ../shared/corpora/lee_background.txt): give --lee FILE"
    if reuters and not REUTERS.is_file():
        return f"excerpts: no Reuters corpus at {REUTERS} (indexed beside the stories): give --reuters 0 to index none"
    return None


def lee_stories(path: Path) -> list[Article]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Article(id=f"lee{n}", body=line) for n, line in enumerate(lines) if line.strip()]


def reuters_items(path: Path, count: int) -> list[Article]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = (json.loads(line) for line in f)
        wanted = (r for r in rows if len(r["body"].split()) >= 50)
        return [Article(id=f"r{r['id']}", body=r["body"]) for r in islice(wanted, count)]


def lead(story: Article, share: float) -> Article:
    words = story.body.split()
    return Article(id=f"{story.id}-lead", body=" ".join(words[: max(1, round(len(words) * share))]))


def candidate_chance(share: float, bands: int = 42, rows: int = 3) -> float:
    return 1.0 - (1.0 - share**rows) ** bands


def found_share(client: NeardupClient, stories: list[Article], share: float) -> float:
    found = sum(any(m.id == s.id for m in client.check(lead(s, share)).matches) for s in stories)
    return found / len(stories)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lee", type=Path, default=LEE)
    parser.add_argument("--reuters", type=int, default=2000, help="Reuters items indexed beside them (0: none)")
    parser.add_argument("--min-words", type=int, default=200, help="only stories at least this long are asked about")
    parser.add_argument("--shares", default="0.1,0.15,0.2,0.25,0.3,0.4,0.5")
    args = parser.parse_args(argv)
    if missing := missing_corpus(args.lee, args.reuters):
        print(missing, file=sys.stderr)
        return 2
    shares = [float(s) for s in args.shares.split(",")]
    stories = lee_stories(args.lee)
    others = reuters_items(REUTERS, args.reuters) if args.reuters else []
    asked = [s for s in stories if len(s.body.split()) >= args.min_words]
    with tempfile.TemporaryDirectory() as tmp:
        running = start_server(Settings(host="127.0.0.1", port=0, data_dir=Path(tmp)))
        try:
            with NeardupClient(f"127.0.0.1:{running.port}", timeout=600) as client:
                for _ in client.index_stream(stories + others, batch=64):
                    pass
                words = sorted(len(s.body.split()) for s in asked)
                print(f"{len(asked)} Lee stories of {args.min_words}+ words (median {words[len(words) // 2]}) "
                      f"among {len(stories) + len(others):,} indexed")  # fmt: skip
                print("lead share | found | LSH candidate chance at J = share")
                for share in shares:
                    print(f"{share:10.2f} | {found_share(client, asked, share):5.2f} | {candidate_chance(share):.2f}")
        finally:
            running.stop(grace=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
