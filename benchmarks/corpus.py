"""Articles for benchmarks: read from a JSONL(.gz) file, or generated.

Generated articles are news-length (about 650 words, drawn Zipf-like from a
made-up vocabulary, so shingles behave like prose: most 5-grams are unique,
common words repeat). A chosen share are republications of an earlier
generated article, the way wire copy is reused: truncated, with an appeal
paragraph on top, retitled, or lightly edited. Everything is seeded, so a
run can be repeated exactly.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeGuard

import numpy as np

from client.api import Article
from client.jsonl import BadLine, InputError, read_numbered_articles
from service.model import Article as CoreArticle

# The workplace's shared data (corpora, seeds) beside the project checkout: ../shared, read by path.
SHARED = Path(__file__).resolve().parents[2] / "shared"
_SYLLABLES = "ka lo mi ren sto va de pru ul tem gar si no bel th or an quis et dor mel ar pen ti cas ro fin el um bra"
_KINDS = ("truncated", "appeal", "retitled", "edited")
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _vocabulary(size: int, rng: random.Random) -> list[str]:
    syllables = _SYLLABLES.split(" ")
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    vocab = sorted(words)
    rng.shuffle(vocab)  # frequency rank independent of spelling
    return vocab


@dataclass
class GeneratorConfig:
    words: int = 650  # mean body length
    republished: float = 0.15  # share of articles that republish an earlier one
    seed: int = 7
    vocabulary: int = 30_000
    recent: int = 5_000  # republications copy one of the last `recent` originals


class ArticleGenerator:
    """Seeded stream of generated news-length articles with a share of republications."""

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or GeneratorConfig()
        self._rng = random.Random(self.config.seed)
        self._np = np.random.default_rng(self.config.seed)
        self._vocab = np.array(_vocabulary(self.config.vocabulary, self._rng), dtype=object)
        ranks = np.arange(1, len(self._vocab) + 1, dtype=np.float64)
        weights = 1.0 / ranks**1.07  # Zipf-like, as in English prose
        self._cdf = np.cumsum(weights / weights.sum())
        self._appeal = self._sentences(60)
        query_seed = [self.config.seed, 0x9E3779B9]  # (the queries' own streams: make_query)
        self._query_streams = random.Random(str(query_seed)), np.random.default_rng(query_seed)
        self._originals: list[Article] = []
        self.kinds: dict[str, str] = {}  # article id -> "original" or the kind of republication

    def _sentences(self, count: int) -> str:
        picks = np.searchsorted(self._cdf, self._np.random(count))
        picks = np.minimum(picks, len(self._vocab) - 1)
        words = self._vocab[picks]
        out: list[str] = []
        for start in range(0, count, 15):  # sentences of ~15 words, so the text has punctuation
            sentence = " ".join(words[start : start + 15])
            out.append(sentence[:1].upper() + sentence[1:] + ".")
        return " ".join(out)

    def __iter__(self) -> Iterator[Article]:
        for n in itertools.count():
            yield self.make(n)

    def make(self, n: int) -> Article:
        return self._make(f"gen-{self.config.seed}-{n}", _EPOCH + timedelta(minutes=n), remember=True)

    def make_query(self, n: int) -> Article:
        """An article to check, not to store: its id is of its own kind (`…-q<n>`), it never becomes an original
        that a later article copies (one would copy a text the index never held), and it draws on random
        streams of its own, so the articles `make` gives are the same with queries made between them or not
        (a benchmark replaying a store's articles makes none)."""
        stored_streams = self._rng, self._np
        self._rng, self._np = self._query_streams
        try:
            return self._make(f"gen-{self.config.seed}-q{n}", _EPOCH + timedelta(minutes=n), remember=False)
        finally:
            self._query_streams = self._rng, self._np
            self._rng, self._np = stored_streams

    def _make(self, aid: str, published: datetime, remember: bool) -> Article:
        if self._originals and self._rng.random() < self.config.republished:
            source = self._rng.choice(self._originals[-self.config.recent :])
            kind = self._rng.choice(_KINDS)
            self.kinds[aid] = kind
            return replace(republish(source, kind, self._rng, self._appeal, self._vocab), id=aid, published=published)
        length = max(50, int(self._rng.gauss(self.config.words, self.config.words / 5)))
        article = Article(id=aid, title=self._sentences(8)[:-1], body=self._sentences(length), published=published)
        if not remember:
            self.kinds[aid] = "original"
            return article
        self._originals.append(article)
        if len(self._originals) > 2 * self.config.recent:
            del self._originals[: self.config.recent]
        self.kinds[aid] = "original"
        return article


def republish(
    source: Article, kind: str, rng: random.Random, appeal: str, vocabulary: Sequence[str] | np.ndarray
) -> Article:
    """`source` republished as `kind` says (one of _KINDS): truncated, under an `appeal` paragraph, lightly edited
    with words of `vocabulary`, or retitled; its id and date are the source's."""
    words = source.body.split(" ")
    if kind == "truncated":
        body = " ".join(words[: int(len(words) * rng.uniform(0.5, 0.9))])
    elif kind == "appeal":
        body = appeal + "\n\n" + " ".join(words[: int(len(words) * rng.uniform(0.7, 1.0))])
    elif kind == "edited":
        for _ in range(max(1, len(words) // 100)):
            words[rng.randrange(len(words))] = str(vocabulary[rng.randrange(len(vocabulary))])
        body = " ".join(words)
    else:  # retitled: same text under another headline
        return replace(source, title="Update: " + source.title)
    return replace(source, body=body)


def copy_of(source: Article, aid: str, rng: random.Random) -> Article:
    """A republication of `source` under id `aid`, of a kind drawn as generated ones are, its appeal paragraph and
    edits drawn from the source's own words: any article can be copied, a file's too (neardup-bench's mix mode
    checks copies of the articles its run has stored)."""
    words = source.body.split(" ")
    appeal = " ".join(rng.choice(words) for _ in range(60)) + "."
    return replace(republish(source, rng.choice(_KINDS), rng, appeal, words), id=aid)


def generated(count: int, config: GeneratorConfig | None = None) -> list[Article]:
    generator = ArticleGenerator(config)
    return [generator.make(n) for n in range(count)]


def from_file(path: Path, count: int | None = None, warn: Callable[[str], None] | None = None) -> list[Article]:
    """Articles of a JSONL(.gz) file, up to `count`. The lines that are none (refused by the reader, or with an empty
    id or body) are left aside, and `warn` hears once how many and why: a 300-line file "held 279", saying nothing
    of the 21 others."""
    aside = LeftAside()
    good = (a for n, a in read_numbered_articles(path) if aside.keeps(a, n))
    articles = list(itertools.islice(good, count))
    if warn is not None and aside.reasons:
        warn(aside.said(path))
    return articles


class LeftAside:
    """The lines of a file left aside, counted by reason, with the first line's whole error for each."""

    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()
        self.first: dict[str, str] = {}

    def keeps(self, item: Article | BadLine, number: int) -> TypeGuard[Article]:
        """Whether `item`, read from line `number`, is an article to send (if not, it is counted)."""
        if isinstance(item, BadLine):
            error = item.error
        elif not item.id:
            error = f"line {number}: id: is empty"
        elif not item.body.strip():
            error = f"line {number}: body: is empty (or white space alone)"
        else:
            return True
        reason = _reason(error)
        self.reasons[reason] += 1
        self.first.setdefault(reason, error)
        return False

    def said(self, path: Path) -> str:
        """One line: how many lines were left aside, and why, the commonest reason first."""
        total = sum(self.reasons.values())
        why = "; ".join(f"{n:,} {reason} (the first: {self.first[reason]})" for reason, n in self.reasons.most_common())
        return f"{total:,} {'line' if total == 1 else 'lines'} of {path} left aside, not used: {why}"


def _reason(error: str) -> str:
    """A BadLine's error without its line number and details ("line 5: not valid JSON (Expecting value…)": "not
    valid JSON"), to count the lines by; a value it quotes is left out ("published: '2025-02-30' is …"), or each
    line would be a reason of its own."""
    return re.split(r" \(|; ", re.sub(r"'[^']*'", "…", error.split(": ", 1)[-1]), maxsplit=1)[0]


def load(
    source: str, count: int, republished: float = 0.15, seed: int = 7, warn: Callable[[str], None] | None = None
) -> list[Article]:
    """`source` is "generated" or a path to a JSONL(.gz) file (`warn`: `from_file`'s)."""
    if source == "generated":
        return generated(count, GeneratorConfig(republished=republished, seed=seed))
    return from_file(Path(source), count, warn)


def articles_or_exit(prog: str, source: str, count: int, republished: float = 0.15, seed: int = 7) -> list[Article]:
    """`load`'s articles for a benchmark command named `prog`: a file's lines left aside said on stderr under its name,
    and the run ended with a one-line reason when there is no article to run (a file missing or unreadable, or none in
    it). Each command had its own copy of this; two of them left a file's bad lines aside without a word, and one
    ended an empty file in a ZeroDivisionError."""
    try:
        articles = load(source, count, republished, seed, warn=lambda line: print(f"{prog}: {line}", file=sys.stderr))
    except InputError as exc:
        raise SystemExit(f"{prog}: {exc}") from None
    if not articles:
        raise SystemExit(f"{prog}: no article in {source}: each line must be a JSON object with an id and a body")
    return articles


def core_article(a: Article) -> CoreArticle:
    """The client's article as the detection core takes it (what the server's conversion makes of it)."""
    return CoreArticle(a.id, a.body, a.title, a.source, a.url, a.published)


def write_jsonl(articles: list[Article], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for a in articles:
            row = {
                "id": a.id,
                "title": a.title,
                "body": a.body,
                "published": a.published.isoformat() if a.published else None,
            }
            out.write(json.dumps(row) + "\n")


def main(argv: list[str] | None = None) -> int:
    """python -m benchmarks.corpus --count 20000 --out articles.jsonl: generated articles for `neardup ingest`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description=main.__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--republished", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_jsonl(generated(args.count, GeneratorConfig(republished=args.republished, seed=args.seed)), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
