"""The writer's fast path (service/novelty.py) on batches built to need its subtler rules.

Each test queues a whole batch at once on a real SQLite store and compares the verdicts *and* what
was stored (signatures, groups, learned boilerplate) with an engine that decides every article in
full, one at a time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from service.detector import Detector
from service.engine import Engine
from service.errors import BatchTooLong
from service.lsh import BandKeys
from service.model import Article, Verdict
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from tests import support

PARAMS = DetectionParams()
_RNG = random.Random(20261122)
_VOCABULARY = [
    "".join(_RNG.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_RNG.randint(3, 9))) for _ in range(8000)
]


def _text(words: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCABULARY) for _ in range(words)) + "."


APPEAL = _text(400, 1)  # a publisher's passage pasted on unrelated stories


@dataclass
class Outcome:
    verdicts: list[tuple[str, str | None, list[str]]]
    stored: dict[str, tuple[bytes, str]]  # id -> (signature, group root)
    learned: int
    stored_as_new: int
    transactions: int  # those the batch was decided in
    refused: list[int] = field(default_factory=list)  # the sizes of the transactions refused as too long
    answered: list[str] = field(default_factory=list)  # the batch's ids, in the order their futures resolved


def _run(
    path: Path, before: list[Article], batch: list[Article], screen: bool, cut: bool = False, fits: int = 0
) -> Outcome:
    """`cut`: the batch's transaction is cut short after every decision, as for an urgent article waiting each time
    (`Engine._cut_short`), so that the batch is decided in one transaction an article. `fits`: the store refuses a
    transaction of more articles as too long (BatchTooLong, as Redis does one over half its writer lease)."""
    detector = Detector(PARAMS, 1 << 20)
    store = SqliteStore(path, PARAMS)
    sizes: list[int] = []  # (of every transaction, negated: refused)
    if fits:
        _refusing_when(store, lambda ids: len(ids) > fits, sizes)
    engine = Engine(detector, store, max_batch=len(batch), screen_novel=screen)
    try:
        for a in before:
            engine.index(detector.prepare(a))
        already_new = engine.stored_as_new
        if cut:
            engine._cut_short = lambda began: began is not None  # type: ignore[method-assign]
        transactions = 0
        commit_running = engine._commit_running

        def counted(jobs: Any, cut_short: bool) -> Any:
            nonlocal transactions
            transactions += 1
            return commit_running(jobs, cut_short)

        engine._commit_running = counted  # type: ignore[method-assign]
        futures = engine.submit_all([detector.prepare(a) for a in batch])  # decided in one transaction
        answered: list[str] = []
        for future, a in zip(futures, batch, strict=True):  # (one already resolved is added at once: in order still)
            future.add_done_callback(_appending(answered, a.id))
        verdicts: list[Verdict] = [f.result(timeout=60) for f in futures]
        stored = {}
        for a in before + batch:
            s = engine.get(a.id)
            stored[a.id] = (s.fingerprint.signature.tobytes(), s.group_root)
        learned = engine.learned_boilerplate() or 0
    finally:
        engine.close()
    plain = [(v.id, v.duplicate_of, [m.id for m in v.matches]) for v in verdicts]
    refused = [-size for size in sizes if size < 0]
    return Outcome(plain, stored, learned, engine.stored_as_new - already_new, transactions, refused, answered)


def _appending(answered: list[str], article_id: str) -> Callable[[Future[Verdict]], None]:
    return lambda _: answered.append(article_id)


def _both(tmp_path: Path, before: list[Article], batch: list[Article]) -> tuple[Outcome, Outcome]:
    return _run(tmp_path / "full.db", before, batch, False), _run(tmp_path / "fast.db", before, batch, True)


def test_boilerplate_learned_within_a_batch_is_applied_to_its_later_articles(tmp_path: Path) -> None:
    """The appeal reaches `boilerplate_after` (3) stories inside the batch: from the fourth story on it
    is boilerplate, so they are indexed without it, as one-by-one decisions would."""
    stories = [_text(1000, 100 + n) for n in range(6)]
    batch = [Article(f"appeal-{n}", APPEAL + " " + s) for n, s in enumerate(stories)]
    batch.append(Article("story-4-alone", stories[4]))
    full, fast = _both(tmp_path, [], batch)
    assert fast.verdicts == full.verdicts
    assert fast.stored == full.stored
    assert fast.learned == full.learned > 0
    assert full.verdicts[-1][2] == ["appeal-4"]
    assert fast.stored_as_new >= 2  # the first stories took the fast path, the later ones could not


def test_an_article_indexed_without_learned_boilerplate_is_found_by_a_later_one_in_the_batch(
    tmp_path: Path,
) -> None:
    """X carries the learned appeal; screened with it, X shares no band with Y, a copy of its story
    alone. X takes the full path (another article of the batch holds the appeal's samples) and is
    indexed on its story only, so Y must be decided in full too, and match X."""
    before = [Article(f"learn-{n}", APPEAL + " " + _text(1000, 200 + n)) for n in range(3)]
    story = _text(60, 300)
    batch = [
        Article("w-appeal-and-long-story", APPEAL + " " + _text(1000, 301)),
        Article("x-appeal-and-short-story", APPEAL + " " + story),
        Article("y-short-story", story),
    ]
    detector, keys = Detector(PARAMS, 1 << 20), BandKeys(PARAMS.lsh_bands, PARAMS.lsh_rows)
    x, y = (keys.of(detector.prepare(a).fingerprint.signature) for a in batch[1:])
    assert not np.isin(x, y).any()  # the scenario: as first fingerprinted, X and Y share no band
    full, fast = _both(tmp_path, before, batch)
    assert full.verdicts[2][2] == ["x-appeal-and-short-story"]
    assert fast.verdicts == full.verdicts
    assert fast.stored == full.stored
    assert fast.stored_as_new == 1  # W only


def test_a_stored_id_sent_with_an_unrelated_new_text_replaces_the_old_version(tmp_path: Path) -> None:
    before = [Article("kept-id", _text(300, 400))]
    batch = [Article("kept-id", _text(300, 401)), Article("other", _text(300, 402))]
    full, fast = _both(tmp_path, before, batch)
    assert fast.verdicts == full.verdicts
    assert fast.stored == full.stored
    assert fast.stored_as_new == 1  # "other"


def test_an_id_sent_twice_in_one_batch_with_unrelated_texts_keeps_the_second(tmp_path: Path) -> None:
    batch = [Article("twice", _text(300, 500)), Article("other", _text(300, 501)), Article("twice", _text(300, 502))]
    full, fast = _both(tmp_path, [], batch)
    assert fast.verdicts == full.verdicts
    assert fast.stored == full.stored
    assert fast.stored_as_new == 2  # the first "twice" and "other"


def test_a_batch_cut_short_after_every_decision_gets_the_answers_of_one_transaction(tmp_path: Path) -> None:
    """An urgent article cuts the writer's transaction short (the decided committed, the rest put back at the front
    of the queue): the batch's verdicts and what is stored are those of the reference, decided in one transaction.
    A mix of new stories (screened, stored in runs) and copies (decided in full), learning boilerplate within it."""
    stories = [_text(400, 600 + n) for n in range(6)]
    batch = [Article(f"appeal-{n}", APPEAL + " " + s) for n, s in enumerate(stories)]
    batch += [Article(f"copy-{n}", stories[n % 3] + f" Updated {n}.") for n in range(4)]
    batch.insert(3, Article("story-1-again", stories[1]))
    full = _run(tmp_path / "full.db", [], batch, screen=False)
    cut = _run(tmp_path / "cut.db", [], batch, screen=True, cut=True)
    assert cut.verdicts == full.verdicts
    assert cut.stored == full.stored
    assert cut.learned == full.learned > 0
    assert [v[1] for v in full.verdicts].count(None) < len(batch)  # (copies among them, matched)
    assert (full.transactions, cut.transactions) == (1, len(batch))


def test_a_batch_too_long_for_the_store_and_cut_short_is_not_refused_again_at_full_length(tmp_path: Path) -> None:
    """A batch the store refuses as too long is decided in halves; an urgent article cutting the first half short put
    its undecided rest and the second half back, and the writer took them again whole: refused again, halved again,
    at every cut (24 refusals for 20 articles, each ≈5 s of work thrown away on Redis, against 3 uncut). The writer
    now keeps to the length that fit until it has caught up: no more refusals than uncut, the same answers, in
    order."""
    stories = [_text(200, 700 + n) for n in range(10)]
    batch = [Article(f"story-{n}", s) for n, s in enumerate(stories)]
    batch += [Article(f"copy-{n}", stories[n] + f" Updated {n}.") for n in range(10)]
    full = _run(tmp_path / "full.db", [], batch, screen=False)
    uncut = _run(tmp_path / "uncut.db", [], batch, screen=True, fits=5)
    cut = _run(tmp_path / "cut.db", [], batch, screen=True, cut=True, fits=5)
    assert uncut.verdicts == cut.verdicts == full.verdicts
    assert cut.stored == full.stored
    assert [v[1] for v in full.verdicts[10:]] == [f"story-{n}" for n in range(10)]  # (copies, matched)
    assert uncut.refused == [20, 10, 10]
    assert len(cut.refused) <= len(uncut.refused), cut.refused
    assert max(cut.refused) == len(batch)  # (the scenario: the store did refuse the batch, and it was cut short)
    assert cut.answered == uncut.answered == [a.id for a in batch]
    assert cut.transactions >= len(batch)  # (cut after every decision)


def _refusing_when(store: SqliteStore, too_long: Callable[[list[str]], bool], sizes: list[int]) -> None:
    """`store`'s writes refuse a transaction as too long (BatchTooLong, at its read-ahead) when `too_long` of its ids;
    the size of each transaction appended to `sizes`, negated if refused."""
    write = store.write

    @contextmanager
    def refusing() -> Iterator[Any]:
        with write() as tx:
            prefetch = tx.prefetch

            def fitting(prepared: Any) -> Any:
                sizes.append(-len(prepared) if too_long([p.article.id for p in prepared]) else len(prepared))
                if sizes[-1] < 0:
                    raise BatchTooLong(f"{len(prepared)} articles would hold the store too long")
                return prefetch(prepared)

            tx.prefetch = fitting  # type: ignore[method-assign,assignment]
            yield tx

    store.write = refusing  # type: ignore[method-assign]


def _fed(tmp_path: Path, monkeypatch: Any, too_long: Callable[[list[str]], bool], ids: list[str]) -> list[int]:
    """The sizes of the transactions (negated: refused) that decide `ids`, queued one by one behind a held write so
    that the queue stays fed, as a back-pressured stream keeps it, on an engine of max_batch 32."""
    detector = Detector(PARAMS, 1 << 20)
    store = SqliteStore(tmp_path / "fed.db", PARAMS)
    sizes: list[int] = []
    _refusing_when(store, too_long, sizes)
    engine = Engine(detector, store, max_batch=32)
    try:
        entered, release = support.writes_held(engine, monkeypatch)
        first = engine.submit(detector.prepare(Article("first", _text(50, 799))))
        assert entered.wait(10)
        futures = [engine.submit(detector.prepare(Article(i, _text(50, 800 + n)))) for n, i in enumerate(ids)]
        release.set()
        for future in [first, *futures]:
            future.result(timeout=60)
    finally:
        engine.close()
    return sizes[1:]  # (those after the held write)


def test_transactions_capped_after_a_refusal_grow_back_to_max_batch_while_the_queue_stays_fed(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Four heavy articles first (two in one transaction are too long), then light ones: the cap set by halving the
    refused transactions down to one article lasted until the writer caught up, so with the queue kept fed the whole
    backfill went one article a transaction (≈10 times slower). The cap now doubles after each transaction committed
    whole at it, and is lifted at max_batch."""
    ids = [f"heavy-{n}" for n in range(4)] + [f"light-{n}" for n in range(200)]
    sizes = _fed(tmp_path, monkeypatch, lambda batch: sum(i.startswith("heavy") for i in batch) >= 2, ids)
    assert [s for s in sizes if s < 0] == [-32, -16, -8, -4, -2, -2], sizes
    grown = sizes[sizes.index(16) + 1 :]  # (after the refused first transaction's last half: capped at one article)
    assert grown[:6] == [1, 2, 4, 8, 16, 32], sizes
    assert grown[-2] == 32 and sum(grown) == 200 - 16 - 8 - 4, sizes


def test_a_cap_that_stays_right_is_tried_longer_ever_more_rarely(tmp_path: Path, monkeypatch: Any) -> None:
    """Every article heavy (more than 4 in a transaction are too long): a longer transaction is tried after 1, 2, 4, 8
    and then 16 transactions at the cap, not after each, each try a refused write (on Redis ≈5 s of work lost)."""
    sizes = _fed(tmp_path, monkeypatch, lambda batch: len(batch) > 4, [f"heavy-{n}" for n in range(220)])
    assert sizes[:15] == [-32, -16, -8, 4, 4, -8, 4, 4, -16, -8, 4, 4, -8, 4, 4], sizes  # (the first transaction)
    assert all(s in (4, -8) for s in sizes[15:]), sizes
    # Between two refused transactions of 8 (each then decided in two of 4), the transactions of 4 committed whole:
    runs = "".join("r" if s < 0 else "." for s in sizes[15:]).replace("r..", "r").split("r")
    assert [len(r) for r in runs[:5]] == [1, 2, 4, 8, 16], sizes


def test_a_cap_that_grows_back_to_max_batch_keeps_its_backoff(tmp_path: Path, monkeypatch: Any) -> None:
    """More than 16 of max_batch 32 too long: the cap, doubled back to 32, was lifted there and forgot its backoff,
    so a transaction of 32 was tried, and refused, every fourth transaction for ever (on Redis ≈5 s of work lost
    each). It is kept at max_batch with its backoff: tried after 1, 2, 4, 8 whole transactions at 16."""
    sizes = _fed(tmp_path, monkeypatch, lambda batch: len(batch) > 16, [f"heavy-{n}" for n in range(600)])
    assert all(s in (16, -32) for s in sizes[:-1]), sizes
    # Each refused transaction of 32 is decided in two of 16; between them the transactions of 16 committed whole:
    runs = "".join("r" if s < 0 else "." for s in sizes).replace("r..", "r").split("r")
    assert [len(r) for r in runs[1:5]] == [1, 2, 4, 8], sizes
