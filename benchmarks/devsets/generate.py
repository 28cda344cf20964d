"""Generate the 'republication with transformations' dev set from real articles.

    python -m benchmarks.devsets.generate --out /tmp/devset [--seed 7] [--originals 900]

Originals are real articles from ../shared/corpora (the ABC articles of
lee_background.txt and the longer Reuters items), read by path and never copied into
the repository. Each original is published by one fictional outlet, which wraps it in
its own boilerplate (benchmarks/devsets/boilerplate_texts.py). About half of the
originals are republished by one to four other outlets, each copy transformed the way
news pages really change a story: the outlet's boilerplate around it, a scraper header
line, the tail cut, a middle excerpt, a new title line, one figure corrected, an extra
paragraph, straightened quotes, re-flowed whitespace. The other originals are
distractors: different stories carrying the same boilerplate.

Writes corpus.jsonl (id, title, body, source, published) in a shuffled arrival order,
clusters.json (lists of ids that are one story) and operator_boilerplate.txt (the
passages an operator would list; the rest must be learned).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.corpus import SHARED
from benchmarks.devsets.boilerplate_texts import OPERATOR_LIST, OUTLETS

CORPORA = SHARED / "corpora"
MIN_WORDS = 150


@dataclass
class Item:
    id: str
    title: str
    body: str
    source: str
    published: datetime


def originals(limit: int, rng: random.Random) -> list[tuple[str, str]]:
    """(title, body) of real articles long enough to be republished, near-duplicates dropped."""
    lee = [line.strip() for line in (CORPORA / "lee_background.txt").read_text().splitlines() if line.strip()]
    candidates = [(" ".join(body.split()[:8]), body) for body in lee]
    with gzip.open(CORPORA / "reuters21578.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)
            body = r["body"].replace(" Reuter\n", "").strip()
            candidates.append((r["title"].title(), _reflow_reuters(body)))
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for title, body in candidates:
        words = body.lower().split()
        grams = {" ".join(words[i : i + 8]) for i in range(max(1, len(words) - 7))}
        # Both corpora hold their own re-sends, corrections and follow-ups: keep one of each,
        # so that the gold (generated copies only) stays true.
        if len(words) >= MIN_WORDS and len(grams & seen) < 0.05 * len(grams):
            seen |= grams
            found.append((title, body))
    rng.shuffle(found)
    return found[:limit]


def _reflow_reuters(body: str) -> str:
    """Reuters wraps lines at 65 columns; join them into paragraphs as a web page would show them."""
    paragraphs = re.split(r"\n\s{3,}", body)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def wrap(body: str, outlet: str, rng: random.Random) -> str:
    """The outlet's page: some of its boilerplate above and below the story."""
    passages = OUTLETS[outlet]
    top = [p for name, p in passages.items() if name in ("appeal", "cookies", "listen") and rng.random() < 0.7]
    bottom = [p for name, p in passages.items() if name not in ("appeal", "cookies", "listen") and rng.random() < 0.7]
    if rng.random() < 0.5 and "appeal" in passages and passages["appeal"] in top:  # appeals also come last
        top.remove(passages["appeal"])
        bottom.insert(0, passages["appeal"])
    return "\n\n".join([*top, body, *bottom])


def header(published: datetime) -> str:
    return f" date {published:%Y-%m-%d} "


def paragraphs(body: str) -> list[str]:
    parts = [p for p in body.split("\n\n") if p.strip()]
    if len(parts) >= 4:
        return parts
    sentences = re.split(r"(?<=[.!?])\s+", body)  # one-paragraph articles: cut on sentences
    return [s for s in sentences if s]


def truncate(body: str, rng: random.Random) -> str:
    """The first paragraphs (at least 40 % of the words): pages cut the tail."""
    parts = paragraphs(body)
    return _join(parts[: _enough(parts, 0, rng.uniform(0.4, 0.85))], body)


def excerpt(body: str, rng: random.Random) -> str:
    """A run of paragraphs from anywhere (at least 40 % of the words)."""
    parts = paragraphs(body)
    start = rng.randint(0, len(parts) // 2)
    while start and sum(len(p.split()) for p in parts[start:]) < 0.4 * len(body.split()):
        start -= 1
    return _join(parts[start : _enough(parts, start, rng.uniform(0.4, 0.7))], body)


def _enough(parts: list[str], start: int, share: float) -> int:
    """End index so that parts[start:end] hold at least `share` of all words."""
    total, have, end = sum(len(p.split()) for p in parts), 0, start
    while end < len(parts) and have < share * total:
        have += len(parts[end].split())
        end += 1
    return end


def _join(parts: list[str], body: str) -> str:
    return "\n\n".join(parts) if "\n\n" in body else " ".join(parts)


def correct_one_figure(body: str, rng: random.Random) -> str:
    numbers = list(re.finditer(r"\b\d+\b", body))
    if not numbers:
        return body
    m = rng.choice(numbers)
    return body[: m.start()] + str(int(m.group()) + rng.randint(1, 9)) + body[m.end() :]


def restyle(body: str, rng: random.Random) -> str:
    """Typographic quotes straightened or curled, whitespace re-flowed."""
    if rng.random() < 0.5:
        body = body.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    else:
        body = re.sub(r'"(\w)', "\u201c\\1", body).replace('"', "\u201d").replace("'", "\u2019")
    return re.sub(r"[ ]+", lambda m: " " if rng.random() < 0.9 else "  ", body).replace("\n\n", "\n \n")


def extend(body: str, rng: random.Random) -> str:
    extra = rng.choice([
        "This story has been updated with further details since it was first published.",
        "Additional reporting by our regional correspondents. Our reporters contacted all the parties named "
        "in this article; some had not responded by the time of publication.",
        "An earlier version of this article misstated the date of the meeting. It has been corrected.",
    ])  # fmt: skip
    return body + "\n\n" + extra


TRANSFORMS = {
    "truncate": truncate,
    "excerpt": excerpt,
    "correct_figure": correct_one_figure,
    "restyle": restyle,
    "extend": extend,
}


def republish(title: str, body: str, outlet: str, published: datetime, rng: random.Random) -> tuple[str, str]:
    """A copy by another outlet: one to three transformations, retitled half the time, wrapped."""
    names = rng.sample(sorted(TRANSFORMS), k=rng.randint(1, 3))
    if "truncate" in names and "excerpt" in names:
        names.remove("excerpt")
    for name in names:
        body = TRANSFORMS[name](body, rng)
    if rng.random() < 0.5:
        title = "UPDATED: " + title if rng.random() < 0.5 else title.upper()
        body = title + "\n\n" + body
    page = wrap(body, outlet, rng)
    return title, (header(published) + page if rng.random() < 0.6 else page)


def generate(n_originals: int, seed: int) -> tuple[list[Item], list[list[str]]]:
    rng = random.Random(seed)
    outlets = sorted(OUTLETS)
    items: list[Item] = []
    clusters: list[list[str]] = []
    start = datetime(2025, 3, 1, tzinfo=UTC)
    for n, (title, body) in enumerate(originals(n_originals, rng)):
        outlet = rng.choice(outlets)
        published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        page = wrap(body, outlet, rng)
        if rng.random() < 0.5:
            page = header(published) + page
        items.append(Item(f"o{n}", title, page, outlet, published))
        if rng.random() < 0.5:
            continue  # a distractor: nobody republishes it
        cluster = [f"o{n}"]
        others = [o for o in outlets if o != outlet]
        for c, copier in enumerate(rng.sample(others, k=rng.randint(1, 4))):
            when = published + timedelta(minutes=rng.randint(5, 60 * 36))
            copy_title, copy_body = republish(title, body, copier, when, rng)
            items.append(Item(f"o{n}-c{c}", copy_title, copy_body, copier, when))
            cluster.append(f"o{n}-c{c}")
        clusters.append(cluster)
    rng.shuffle(items)  # arrival order is not publication order
    return items, clusters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--originals", type=int, default=900)
    args = parser.parse_args()
    items, clusters = generate(args.originals, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "corpus.jsonl").open("w") as f:
        for it in items:
            row = {"id": it.id, "title": it.title, "body": it.body, "source": it.source,
                   "published": it.published.isoformat().replace("+00:00", "Z")}  # fmt: skip
            f.write(json.dumps(row) + "\n")
    (args.out / "clusters.json").write_text(json.dumps(clusters, indent=0))
    (args.out / "operator_boilerplate.txt").write_text("\n\n".join(OPERATOR_LIST) + "\n")
    copies = sum(len(c) - 1 for c in clusters)
    print(f"{len(items)} articles ({copies} copies in {len(clusters)} clusters) -> {args.out}")


if __name__ == "__main__":
    main()
