"""The engine over a real SQLite store: grouping, replacement, idempotence, group commit."""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks import corpus
from benchmarks.corpus import core_article
from service import batching, novelty
from service import engine as engine_module
from service.detector import Detector, Prepared
from service.engine import Engine
from service.errors import Cancelled, DeadlineExceeded, InvalidArgument, NotFound, Unavailable
from service.model import Article, IndexOutcome, PreparedArticle, Verdict
from service.settings import DetectionParams
from service.sqlite_store import SqliteStore
from service.storage import Transaction
from tests.articles import (
    APPEAL,
    LIBRARY,
    LIBRARY_PARAGRAPHS,
    OTHER_WITH_APPEAL,
    ROUNDUP,
    SAME_EVENT_A,
    SAME_EVENT_B,
    WIRE,
    WIRE_PARAGRAPHS,
    WIRE_WITH_APPEAL,
)
from tests.quality_texts import RELEASE_BLOCK, RELEASES
from tests.redis_support import synthetic_articles
from tests.support import (
    CORRECTED_WIRE,
    LISTED_GROUP,
    correct_the_original,
    listed_across_corrections,
    purge_victims,
    until,
    whole_group,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def prep(engine: Engine, article_id: str, body: str, published: datetime | None = None) -> PreparedArticle:
    return engine.detector.prepare(Article(article_id, body, published=published))


def test_copy_is_reported_with_the_original_as_duplicate_of(engine: Engine) -> None:
    assert engine.index(prep(engine, "wire", WIRE)).matches == ()
    verdict = engine.index(prep(engine, "copy", WIRE_WITH_APPEAL))
    assert [m.id for m in verdict.matches] == ["wire"]
    assert verdict.duplicate_of == "wire"
    assert engine.get("copy").duplicate_of == "wire"


def test_trap_articles_do_not_match(engine: Engine) -> None:
    for aid, body in [("copy", WIRE_WITH_APPEAL), ("other", OTHER_WITH_APPEAL), ("a", SAME_EVENT_A)]:
        engine.index(prep(engine, aid, body))
    assert engine.index(prep(engine, "b", SAME_EVENT_B)).matches == ()
    assert engine.get("other").duplicate_of is None


def test_earliest_published_member_becomes_the_original_whatever_the_arrival_order(engine: Engine) -> None:
    engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, T0 + timedelta(hours=2)))
    verdict = engine.index(prep(engine, "wire", WIRE, T0))
    assert [m.id for m in verdict.matches] == ["copy"]  # "or that republish it"
    assert verdict.duplicate_of is None  # the new article is the original
    assert engine.get("copy").duplicate_of == "wire"


def test_without_publication_times_the_first_arrival_is_the_original(engine: Engine) -> None:
    engine.index(prep(engine, "copy", WIRE_WITH_APPEAL))
    assert engine.index(prep(engine, "wire", WIRE)).duplicate_of == "copy"


def test_groups_merge_when_an_article_bridges_them(engine: Engine) -> None:
    # two excerpts that overlap too little to match each other, each well inside the full story
    first_half = "\n\n".join(WIRE_PARAGRAPHS[:7])
    second_half = "\n\n".join(WIRE_PARAGRAPHS[4:])
    engine.index(prep(engine, "h1", first_half, T0 + timedelta(hours=1)))
    engine.index(prep(engine, "h2", second_half, T0))
    verdict = engine.index(prep(engine, "full", WIRE, T0 + timedelta(hours=5)))
    assert {m.id for m in verdict.matches} == {"h1", "h2"}
    assert verdict.duplicate_of == "h2"
    assert engine.get("h1").duplicate_of == "h2"


def test_a_roundup_holding_two_stories_whole_does_not_make_them_one_story(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE, T0))
    engine.index(prep(engine, "library", LIBRARY, T0 + timedelta(hours=1)))
    roundup = prep(engine, "roundup", ROUNDUP, T0 + timedelta(hours=9))
    checked = engine.check(roundup)
    verdict = engine.index(roundup)
    assert [m.id for m in verdict.matches] == ["wire", "library"]  # both stay its matches; the longer story first
    # It joins its strongest match's story, and the check said so too; the other story keeps its own group.
    assert verdict.duplicate_of == checked.duplicate_of == "wire"
    assert engine.get("library").duplicate_of is None
    assert engine.group_members("library").total == 1
    # A later copy of the second story is that story's, though it matches the roundup (in the first one's group).
    copy = prep(engine, "library-copy", APPEAL + "\n\n" + LIBRARY, T0 + timedelta(hours=12))
    assert engine.check(copy).duplicate_of == "library"
    verdict = engine.index(copy)
    assert {m.id for m in verdict.matches} == {"library", "roundup"}
    assert verdict.duplicate_of == "library"
    assert [m.id for m in engine.group_members("wire").members] == ["wire", "roundup"]
    assert [m.id for m in engine.group_members("library").members] == ["library", "library-copy"]


def test_an_appeal_pasted_on_two_stories_and_on_a_roundup_of_them_does_not_make_them_one_story(engine: Engine) -> None:
    # The publisher's appeal on both stories and on its roundup: in two groups only, so not learned yet.
    engine.index(prep(engine, "wire", f"{APPEAL}\n\n{WIRE}", T0))
    engine.index(prep(engine, "library", f"{APPEAL}\n\n{LIBRARY}", T0 + timedelta(hours=1)))
    verdict = engine.index(prep(engine, "roundup", f"{APPEAL}\n\n{ROUNDUP}", T0 + timedelta(hours=9)))
    assert {m.id for m in verdict.matches} == {"wire", "library"} and verdict.duplicate_of == "wire"
    assert engine.get("library").duplicate_of is None


def test_copies_of_one_story_stored_apart_are_still_joined_by_an_article_holding_their_shared_text(
    engine: Engine,
) -> None:
    # Two copies of the story's first six paragraphs, each with a long text of its own after it: they share too
    # little of themselves to match each other, but what they share with a longer lead of the story is the same.
    lead = "\n\n".join(WIRE_PARAGRAPHS[:6])
    engine.index(prep(engine, "tail-a", f"{lead}\n\n{LIBRARY}", T0 + timedelta(hours=1)))
    first = engine.index(prep(engine, "tail-b", f"{lead}\n\n{SAME_EVENT_A}", T0 + timedelta(hours=2)))
    assert first.matches == () and engine.get("tail-b").duplicate_of is None, "premise: stored apart"
    verdict = engine.index(prep(engine, "story", "\n\n".join(WIRE_PARAGRAPHS[:7]), T0 + timedelta(hours=3)))
    assert {m.id for m in verdict.matches} == {"tail-a", "tail-b"}
    assert verdict.duplicate_of == "tail-a"
    assert engine.get("tail-b").duplicate_of == "tail-a"


def test_excerpts_stored_apart_join_their_original_published_before_them_but_not_a_later_compilation(
    engine: Engine,
) -> None:
    # An opening and a closing excerpt that share too little to match, or to be one story through an article that
    # holds both. Their original, published before both, holds two copies of its own text: it joins them. An
    # article put together from them afterwards (part 1 and part 2 of a report) is not their story.
    opening, closing = "\n\n".join(WIRE_PARAGRAPHS[:5]), "\n\n".join(WIRE_PARAGRAPHS[4:])
    engine.index(prep(engine, "opening", opening, T0 + timedelta(hours=2)))
    engine.index(prep(engine, "closing", closing, T0 + timedelta(hours=3)))
    assert engine.get("closing").duplicate_of is None, "premise: stored apart"
    later = engine.check(prep(engine, "both-parts", WIRE, T0 + timedelta(hours=4)))
    assert {m.id for m in later.matches} == {"opening", "closing"}
    assert later.duplicate_of == later.matches[0].id
    verdict = engine.index(prep(engine, "wire", WIRE, T0))
    assert verdict.duplicate_of is None
    assert engine.get("opening").duplicate_of == engine.get("closing").duplicate_of == "wire"


def test_an_article_published_before_a_group_it_shares_nothing_with_does_not_take_it_over(engine: Engine) -> None:
    # The library story's original arrives last, published before the wire: it matches the wire's group only
    # through the roundup, and shares none of the wire's story. It is its lead excerpt's original, not the wire's.
    lead = "\n\n".join(LIBRARY_PARAGRAPHS[:5])
    engine.index(prep(engine, "wire", WIRE, T0 + timedelta(hours=1)))
    engine.index(prep(engine, "lib-lead", lead, T0 + timedelta(hours=2)))
    engine.index(prep(engine, "roundup", ROUNDUP, T0 + timedelta(hours=8)))
    assert engine.get("roundup").duplicate_of == "wire" and engine.get("lib-lead").duplicate_of is None
    library = prep(engine, "library", LIBRARY, T0 + timedelta(minutes=30))
    checked = engine.check(library)
    verdict = engine.index(library)
    assert {m.id for m in verdict.matches} == {"lib-lead", "roundup"}
    assert verdict.duplicate_of is checked.duplicate_of is None
    assert engine.get("lib-lead").duplicate_of == "library"
    assert engine.get("wire").duplicate_of is None and engine.get("roundup").duplicate_of == "wire"
    copy = prep(engine, "wire-copy", f"{WIRE}\n\nFrom the wire.", T0 + timedelta(hours=10))
    assert engine.index(copy).duplicate_of == "wire"


def test_a_storys_update_arriving_after_a_later_excerpt_of_it_joins_its_first_version(engine: Engine) -> None:
    # The first version (three paragraphs), an excerpt of the update's end published later, then the update: it is
    # a copy of the first version and the excerpt's original, so all three are one story whose original is the first.
    engine.index(prep(engine, "first", "\n\n".join(WIRE_PARAGRAPHS[:3]), T0))
    engine.index(prep(engine, "tail", "\n\n".join(WIRE_PARAGRAPHS[4:]), T0 + timedelta(hours=3)))
    assert engine.get("tail").duplicate_of is None, "premise: stored apart"
    full = prep(engine, "full", WIRE, T0 + timedelta(hours=1))
    checked = engine.check(full)
    verdict = engine.index(full)
    assert {m.id for m in verdict.matches} == {"first", "tail"}
    assert verdict.duplicate_of == checked.duplicate_of == "first"
    assert engine.get("tail").duplicate_of == "first"
    assert [m.id for m in engine.group_members("first").members] == ["first", "full", "tail"]


def test_reindexing_the_same_body_is_a_no_op_with_the_same_answer(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE))
    first = engine.index(prep(engine, "copy", WIRE_WITH_APPEAL))
    indexed_at = engine.get("copy").indexed_at
    again = engine.index(prep(engine, "copy", WIRE_WITH_APPEAL))
    assert (first.outcome, again.outcome) == (IndexOutcome.NEW, IndexOutcome.UNCHANGED)
    assert replace(again, outcome=first.outcome) == first
    assert engine.get("copy").indexed_at == indexed_at
    assert engine.stats().articles == 2


def test_reindexing_with_a_corrected_description_stores_it_and_regroups_by_the_new_date(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE, published=T0))
    engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, published=T0 + timedelta(hours=2)))
    assert engine.get("copy").duplicate_of == "wire"
    # The copy's publication time was wrong: it ran first. Re-sent with the same text, it was answered and
    # its stored description kept as it was, so the group kept the wrong original.
    corrected = Article("copy", WIRE_WITH_APPEAL, title="Harbour plan approved", source="Courier",
                        url="https://courier.example/harbour", published=T0 - timedelta(hours=1))  # fmt: skip
    verdict = engine.index(engine.detector.prepare(corrected))
    assert verdict.duplicate_of is None and [m.id for m in verdict.matches] == ["wire"]
    stored = engine.get("copy")
    assert (stored.article.title, stored.article.source, stored.article.url) == (
        "Harbour plan approved",
        "Courier",
        "https://courier.example/harbour",
    )
    assert stored.article.published == T0 - timedelta(hours=1)
    assert engine.get("wire").duplicate_of == "copy"  # the earliest published is the original now
    assert engine.stats().articles == 2 and engine.learned_boilerplate() == 0


def test_reindexing_with_a_new_body_replaces_the_old_version(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE))
    engine.index(prep(engine, "x", WIRE_WITH_APPEAL))
    verdict = engine.index(prep(engine, "x", SAME_EVENT_A))
    assert verdict.matches == () and verdict.outcome is IndexOutcome.REPLACED
    assert engine.get("x").article.body == SAME_EVENT_A
    assert [m.id for m in engine.check(prep(engine, "q", WIRE)).matches] == ["wire"]  # old text of x is gone
    assert engine.stats().articles == 2


def test_revisions_of_one_story_do_not_make_its_text_boilerplate(engine: Engine) -> None:
    # Each version replaced the last and counted the story's text as seen in one more story: after three
    # (a developing story re-sent as it is updated), its text was learned as boilerplate and no longer counted,
    # so an excerpt of it matched nothing.
    for update in range(4):
        engine.index(prep(engine, "live", f"{WIRE}\n\nUpdate {update}: the council met again on day {update}."))
    assert engine.learned_boilerplate() == 0
    excerpt = engine.index(prep(engine, "excerpt", "\n\n".join(WIRE_PARAGRAPHS[:3])))
    assert [m.id for m in excerpt.matches] == ["live"] and excerpt.duplicate_of == "live"


def test_a_file_holding_two_versions_of_a_story_sent_again_and_again_counts_them_once(engine: Engine) -> None:
    # Each run put the first version back and then the second over it, and the second counted what it adds
    # to the first as seen in one more story: after three runs the update was boilerplate, and an excerpt
    # of it matched nothing.
    update = (
        "Update: late on Thursday the harbour board said the dredging contract would go to a second tender, "
        "after two of the three bidders withdrew over the cost of disposing of the silt at sea."
    )
    for _run in range(4):
        engine.index(prep(engine, "live", WIRE))
        engine.index(prep(engine, "live", f"{WIRE}\n\n{update}"))
    assert engine.learned_boilerplate() == 0
    excerpt = engine.check(prep(engine, "q", f"{WIRE_PARAGRAPHS[-1]}\n\n{update}"))
    assert [m.id for m in excerpt.matches] == ["live"]


def test_two_stories_sent_again_and_again_under_one_id_never_become_boilerplate(engine: Engine) -> None:
    # A reused id (a CMS slot, a live page): each story replaced the other and counted its whole text again.
    for _run in range(4):
        engine.index(prep(engine, "slot", SAME_EVENT_A))
        engine.index(prep(engine, "slot", SAME_EVENT_B))
    assert engine.learned_boilerplate() == 0
    assert [m.id for m in engine.check(prep(engine, "q", SAME_EVENT_B)).matches] == ["slot"]


# Appeals of three outlets, each on top of its copy and not yet learned (no outlet ran it on three stories).
OUTLET_APPEALS = [
    "Our reporting is free for everyone to read because readers like you chip in each month. If this "
    "story mattered to you, join the thousands who keep the Harbour Courier independent, from as little "
    "as the price of a coffee; cancel whenever you like, and thank you for reading to the end.",
    "Sign up to the Morning Tide newsletter for the five coastal stories you need before breakfast, "
    "delivered to your inbox every weekday at seven, with a longer read on Saturdays and our pick of "
    "the week's best photographs from along the shore; unsubscribe at any time with one click.",
    "The Westcliff Gazette has served this coast since 1882 and we are still owned by the town. Become a "
    "member today and you will receive our printed weekend edition, invitations to reader evenings at "
    "the harbour office, and the satisfaction of keeping local journalism alive for another generation.",
]


def test_a_story_other_publishers_run_under_their_own_appeals_never_becomes_boilerplate(engine: Engine) -> None:
    # The copies match the wire at 0.5-0.8 (their appeals are content until learned), and each one counted the
    # story's text as seen in one more story: after two, its text was learned, and an excerpt matched nothing.
    engine.index(engine.detector.prepare(Article("wire", WIRE, source="PA", published=T0)))
    for n, appeal in enumerate(OUTLET_APPEALS):
        copy = f"{appeal}\n\n" + "\n\n".join(WIRE_PARAGRAPHS[:5])
        outlet = ("Harbour Courier", "Morning Tide", "Westcliff Gazette")[n]
        verdict = engine.index(engine.detector.prepare(Article(f"copy{n}", copy, source=outlet, published=T0)))
        assert verdict.duplicate_of == "wire" and all(0.5 <= m.containment < 0.8 for m in verdict.matches)
    assert engine.learned_boilerplate() == 0
    excerpt = engine.index(engine.detector.prepare(Article("excerpt", "\n\n".join(WIRE_PARAGRAPHS[:3]), source="X")))
    assert excerpt.duplicate_of == "wire"


def test_one_publishers_appeal_on_its_different_stories_is_still_learned(engine: Engine) -> None:
    stories = [WIRE, SAME_EVENT_A, SAME_EVENT_B, "\n\n".join(WIRE_PARAGRAPHS[6:])]
    for n, story in enumerate(stories):
        article = Article(f"s{n}", f"{OUTLET_APPEALS[0]}\n\n{story}", source="Harbour Courier")
        engine.index(engine.detector.prepare(article))
    assert (engine.learned_boilerplate() or 0) > 0  # the appeal: seen on three different stories
    verdict = engine.check(engine.detector.prepare(Article("q", f"{OUTLET_APPEALS[0]}\n\n{SAME_EVENT_A}")))
    assert [m.id for m in verdict.matches] == ["s1"]  # its own story, not the others through the appeal


REPUBLISHERS = ["Wire Desk", "Market Feed", "Sector Daily", "Investor Brief"]


def test_a_companys_releases_seen_through_other_republishers_days_apart_still_teach_its_closing_block(
    engine: Engine,
) -> None:
    # Each release is the company's news and the same long closing block (over half of it), seen through
    # another republisher: the releases match each other at 0.5-0.8 through the block. Counted as one story
    # run by other publishers, the block was never learned, and every release joined the first one's group.
    verdicts = []
    for n, release in enumerate(RELEASES):
        published = T0 + timedelta(days=7 * n)  # (other publishers' copies of one story run within days)
        article = Article(f"r{n}", f"{release}\n\n{RELEASE_BLOCK}", source=REPUBLISHERS[n], published=published)
        verdicts.append(engine.index(engine.detector.prepare(article)))
    assert all(0.5 <= m.containment < 0.8 for m in verdicts[1].matches) and verdicts[1].matches, "premise"
    assert (engine.learned_boilerplate() or 0) > 0  # the block: seen on three releases
    assert verdicts[3].duplicate_of is None and verdicts[3].matches == ()


def test_deleting_the_original_promotes_the_next_earliest(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE, T0))
    engine.index(prep(engine, "copy1", WIRE_WITH_APPEAL, T0 + timedelta(hours=1)))
    engine.index(prep(engine, "copy2", WIRE + "\n\nUpdated at 10:00.", T0 + timedelta(hours=2)))
    engine.delete("wire")
    assert engine.get("copy1").duplicate_of is None
    assert engine.get("copy2").duplicate_of == "copy1"
    with pytest.raises(NotFound, match="'wire'"):
        engine.get("wire")
    with pytest.raises(NotFound):
        engine.delete("wire")


def test_deleting_many_at_once_leaves_what_deleting_them_one_at_a_time_leaves_in_few_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "_DELETED_A_WRITE", 3)
    params = DetectionParams()
    at_once, one_by_one = (Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / f"{n}.db", params)) for n in "ab")
    try:
        articles = synthetic_articles(40)
        for e in (at_once, one_by_one):
            for future in e.submit_all([e.detector.prepare(a) for a in articles]):
                future.result(timeout=60)
        ids = [a.id for a in articles]
        victims = purge_victims(one_by_one, ids, 6)
        writes: list[int] = []
        write = at_once.store.write

        def counted() -> AbstractContextManager[Transaction]:
            writes.append(1)
            return write()

        monkeypatch.setattr(at_once.store, "write", counted)
        # (the repeat of victims[0] is not found: its first naming deleted it)
        assert at_once.delete_all([*victims, "absent", victims[0]]) == [True] * len(victims) + [False, False]
        assert len(writes) == 3  # a commit for each 3 of the 8 distinct ids, not one for each
        for victim in victims:
            one_by_one.delete(victim)
        kept = [i for i in ids if i not in victims]
        assert [at_once.get(i).group_root for i in kept] == [one_by_one.get(i).group_root for i in kept]
        assert at_once.stats().articles == one_by_one.stats().articles == len(kept)
        checks = [at_once.detector.prepare(a) for a in articles]
        assert [at_once.check(p) for p in checks] == [one_by_one.check(p) for p in checks]
    finally:
        at_once.close()
        one_by_one.close()


def test_a_purge_of_a_groups_originals_in_order_hands_the_group_on_once_a_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handing a group on rewrites every member: a purge of a story's copies in publication order did it at
    each id (1,000 ids from a group of 6,000 took 16 s, and an ingest waited for all of it)."""
    params = DetectionParams()
    at_once, one_by_one = (Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / f"{n}.db", params)) for n in "ab")
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    copies = [Article(f"c{n:02}", WIRE + f" Edition {n}.", published=t0 + timedelta(minutes=n)) for n in range(30)]
    handed_on: list[str] = []
    write = at_once.store.write

    try:
        for e in (at_once, one_by_one):
            for future in e.submit_all([e.detector.prepare(a) for a in copies]):
                future.result(timeout=60)
        assert at_once.group_members("c29").original == "c00"

        @contextmanager
        def counting() -> Iterator[Transaction]:
            with write() as tx:
                regroup = tx.regroup

                def counted(old_roots: Iterable[str], new_root: str) -> None:
                    handed_on.append(new_root)
                    regroup(old_roots, new_root)

                monkeypatch.setattr(tx, "regroup", counted)
                yield tx

        monkeypatch.setattr(at_once.store, "write", counting)
        victims = [f"c{n:02}" for n in range(12)]  # the original, then each copy that takes over from it
        assert at_once.delete_all(victims) == [True] * 12
        assert handed_on == ["c12"]  # one write (of 100 ids), once
        for victim in victims:
            one_by_one.delete(victim)
        kept = [a.id for a in copies[12:]]
        assert [at_once.get(i).group_root for i in kept] == [one_by_one.get(i).group_root for i in kept] == ["c12"] * 18
    finally:
        at_once.close()
        one_by_one.close()


def test_a_delete_whose_second_write_fails_has_deleted_what_the_first_one_named(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "_DELETED_A_WRITE", 2)
    for n, body in enumerate([WIRE, SAME_EVENT_A, SAME_EVENT_B]):
        engine.index(prep(engine, f"a{n}", body))
    write = engine.store.write
    writes: list[int] = []

    def second_fails() -> AbstractContextManager[Transaction]:
        writes.append(1)
        if len(writes) == 2:
            raise Unavailable("the disk went away")
        return write()

    monkeypatch.setattr(engine.store, "write", second_fails)
    with pytest.raises(Unavailable, match="disk"):
        engine.delete_all(["a0", "a1", "a2"])
    assert engine.stats().articles == 1
    assert engine.get("a2").article.body == SAME_EVENT_B
    assert engine.delete_all(["a0", "a1", "a2"]) == [False, False, True]  # sent again: the rest goes


def test_a_delete_begins_no_write_once_its_caller_has_given_up(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_DELETED_A_WRITE", 2)
    for n, body in enumerate([WIRE, SAME_EVENT_A, SAME_EVENT_B]):
        engine.index(prep(engine, f"a{n}", body))
    with pytest.raises(DeadlineExceeded) as nothing_deleted:
        engine.delete_all(["a0", "a1", "a2"], deadline=time.monotonic() - 1)
    assert str(nothing_deleted.value) == (
        "the deadline passed before any id named was deleted, so none was: send the call again with a longer deadline"
    )  # (it told of "the articles it deleted", which were none)
    assert engine.stats().articles == 3
    answers = iter([True, False])  # wanted() is asked before each write: the caller cancels after the first
    with pytest.raises(Cancelled, match="after 2 of the 3 distinct ids named were dealt with"):
        engine.delete_all(["a0", "a1", "a0", "a2"], wanted=lambda: next(answers))
    assert engine.stats().articles == 1 and engine.get("a2").article.body == SAME_EVENT_B
    engine.index(prep(engine, "a0", WIRE))
    deadline = time.monotonic() + 0.5
    deleted_some = r"after 2 of the 3 distinct ids named were dealt with; the rest were not deleted: .*longer deadline "
    deleted_some += r"\(the articles it deleted are then answered NOT_FOUND\)$"
    with pytest.raises(DeadlineExceeded, match=deleted_some):
        # (wanted(), asked after the deadline is looked at before each write, outlasts it: the second write sees it)
        engine.delete_all(
            ["a0", "a1", "a2"], deadline=deadline, wanted=lambda: until(lambda: time.monotonic() > deadline)
        )
    assert engine.stats().articles == 1 and engine.get("a2").article.body == SAME_EVENT_B
    assert engine.delete_all(["a2"], deadline=time.monotonic() + 60, wanted=lambda: True) == [True]


def test_a_delete_of_over_a_thousand_ids_is_refused_whole(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE))
    with pytest.raises(InvalidArgument, match=r"ids: names 1,001 articles, over the 1,000"):
        engine.delete_all(["wire"] + [f"x{n}" for n in range(1000)])
    assert engine.get("wire").article.body == WIRE
    assert engine.delete_all([]) == []


def test_a_group_is_listed_original_first_then_by_publication_time_and_undated_copies_by_arrival(
    engine: Engine,
) -> None:
    engine.index(prep(engine, "undated-1", WIRE + "\n\nCorrection: a name was misspelt."))
    engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, T0 + timedelta(hours=2)))
    engine.index(prep(engine, "wire", WIRE, T0))
    engine.index(prep(engine, "undated-2", WIRE + "\n\nUpdated with the council's vote."))
    engine.index(prep(engine, "early-copy", "\n\n".join(WIRE_PARAGRAPHS[:-2]), T0 + timedelta(minutes=5)))
    engine.index(prep(engine, "archived", WIRE + "\n\nFrom the archive.", datetime(1969, 7, 20, tzinfo=UTC)))
    engine.index(prep(engine, "other", SAME_EVENT_A, T0))  # a story of its own
    expected = ["archived", "wire", "early-copy", "copy", "undated-1", "undated-2"]  # (1969: before the epoch)
    for named in expected:
        for page_size in (1, 2, 5, 100):
            original, total, members = whole_group(engine, named, page_size)
            assert (original, total, [m.id for m in members]) == ("archived", 6, expected)
    page = engine.group_members("other")
    assert (page.original, page.total, [m.id for m in page.members], page.next_page_token) == (
        "other",
        1,
        ["other"],
        "",
    )
    assert engine.group_members("copy").members[3].published == T0 + timedelta(hours=2)


def test_a_group_listing_goes_on_after_its_last_member_whatever_changed_between_pages(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE, T0))
    engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, T0 + timedelta(hours=2)))
    first = engine.group_members("copy", page_size=1)
    assert [m.id for m in first.members] == ["wire"] and first.next_page_token
    engine.delete("wire")  # the listed original goes; a later copy arrives
    engine.index(prep(engine, "late", WIRE + "\n\nUpdated.", T0 + timedelta(hours=3)))
    rest = engine.group_members("copy", page_size=5, page_token=first.next_page_token)
    assert [m.id for m in rest.members] == ["copy", "late"] and rest.next_page_token == ""
    assert (rest.original, rest.total) == ("copy", 2)


def test_a_group_listing_refuses_what_it_cannot_answer(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE, T0))
    engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, T0 + timedelta(hours=2)))
    token = engine.group_members("wire", page_size=1).next_page_token
    with pytest.raises(NotFound, match="'nothing'"):
        engine.group_members("nothing")
    with pytest.raises(InvalidArgument, match=r"page_token: .*same id"):
        engine.group_members("copy", page_size=1, page_token=token)  # a token given for another id
    with pytest.raises(InvalidArgument, match="page_size: is -1"):
        engine.group_members("wire", page_size=-1)
    assert engine.stats().articles == 2


def test_check_stores_nothing(engine: Engine) -> None:
    engine.index(prep(engine, "wire", WIRE))
    verdict = engine.check(prep(engine, "copy", WIRE_WITH_APPEAL))
    assert verdict.duplicate_of == "wire"
    assert engine.stats().articles == 1
    with pytest.raises(NotFound):
        engine.get("copy")


def test_a_burst_is_committed_in_few_transactions(engine: Engine) -> None:
    store = engine.store
    assert isinstance(store, SqliteStore)
    before = store.commits
    futures = [engine.submit(prep(engine, f"a{i}", f"{SAME_EVENT_A} variant {i} " * 2)) for i in range(200)]
    verdicts = [f.result(timeout=60) for f in futures]
    assert len(verdicts) == 200
    assert engine.stats().articles == 200
    assert store.commits - before <= 200 // 4  # group commit: far fewer fsyncs than articles
    # each article in the burst saw the ones queued before it
    assert verdicts[0].matches == ()
    assert {m.id for m in verdicts[1].matches} == {"a0"}


class _CommitFails(SqliteStore):
    """A real SQLite store whose write transactions fail at their commit while `failing` is set."""

    failing = True

    @contextmanager
    def write(self) -> Iterator[Any]:
        with super().write() as tx:
            yield tx
            if self.failing:
                raise sqlite3.OperationalError("disk I/O error")


def test_new_stories_of_a_batch_that_fails_to_commit_are_not_counted_as_stored(tmp_path: Path) -> None:
    params = DetectionParams()
    store = _CommitFails(tmp_path / "n.db", params)
    engine = Engine(Detector(params, 1 << 20), store)
    try:
        batch = [prep(engine, f"new-{i}", f"{WIRE} story {i} " * 2) for i in range(3)] + [
            prep(engine, "other", SAME_EVENT_A)
        ]
        for future in engine.submit_all(batch):
            with pytest.raises(Unavailable, match="failed to commit"):
                future.result(timeout=60)
        assert engine.stored_as_new == 0 and engine.stats().articles == 0
        store.failing = False
        # (another story: the band index may still answer "maybe" for the bands of the rolled-back batch)
        assert engine.index(prep(engine, "later", SAME_EVENT_B), timeout=60).matches == ()
        assert engine.stored_as_new == 1 and engine.stats().articles == 1
    finally:
        engine.close()


@pytest.mark.parametrize("screen_novel", [True, False])
def test_an_article_under_an_id_refused_as_new_is_refused_alone_in_its_batch_unless_its_id_is_stored(
    tmp_path: Path, screen_novel: bool
) -> None:
    # The id rules are kept with the prepared article (PreparedArticle.new_id_refusal), and applied by the writer:
    # an id already stored (before the rules) is re-sent and corrected as before; a new one is refused, and the
    # others of its transaction are decided as if it had not been sent, and answered in order.
    params = DetectionParams()
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params), screen_novel=screen_novel)
    stored_before_the_rules = replace(prep(engine, "inv9\u3164", WIRE), new_id_refusal=None)
    try:
        assert engine.index(stored_before_the_rules, timeout=60).outcome is IndexOutcome.NEW
        batch = [
            prep(engine, "new-0", f"{SAME_EVENT_A} story 0 " * 2),
            prep(engine, "ne\u0301e-1", f"{SAME_EVENT_B} a new story " * 2),  # (new: stored by a screen's run)
            prep(engine, "new-1", f"{OTHER_WITH_APPEAL} story 1 " * 2),
            prep(engine, "inv9\u3164", WIRE),  # a re-send
            prep(engine, "ne\u0301e-2", WIRE_WITH_APPEAL),  # a copy of a stored story
            prep(engine, "inv9\u3164", WIRE_PARAGRAPHS[0] + "\n\n" + WIRE),  # a correction
        ]
        assert batch[1].new_id_refusal is not None and batch[1].new_id_refusal.startswith("is not in Unicode NFC")
        outcomes: list[IndexOutcome | str | None] = []
        for future in engine.submit_all(batch):
            try:
                outcomes.append(future.result(timeout=60).outcome)
            except InvalidArgument as refused:
                assert refused.field == "article.id" and "U+0301 COMBINING ACUTE ACCENT" in str(refused), refused
                outcomes.append("refused")
        new, unchanged, replaced = IndexOutcome.NEW, IndexOutcome.UNCHANGED, IndexOutcome.REPLACED
        assert outcomes == [new, "refused", new, unchanged, "refused", replaced]
        assert engine.stats().articles == 3
        for refused_id in ("ne\u0301e-1", "ne\u0301e-2"):
            with pytest.raises(NotFound):
                engine.get(refused_id)
        assert [m.id for m in engine.group_members("inv9\u3164").members] == ["inv9\u3164"]
    finally:
        engine.close()


class _WriterHeldOnce(Detector):
    """Holds the writer inside its write at the first article it stores, until released."""

    def __init__(self, params: DetectionParams) -> None:
        super().__init__(params, 1 << 20)
        self.holding, self.release = threading.Event(), threading.Event()

    def remember(self, stored: PreparedArticle) -> None:
        if not self.holding.is_set():
            self.holding.set()
            self.release.wait(10)
        super().remember(stored)


def test_a_check_beside_a_write_in_progress_is_answered_at_once_from_the_last_commit(tmp_path: Path) -> None:
    """A check waits for no write: it reads the last commit while the writer decides a batch."""
    params = DetectionParams()
    detector = _WriterHeldOnce(params)
    engine = Engine(detector, SqliteStore(tmp_path / "n.db", params), max_batch=64)
    try:
        batch = [detector.prepare(Article(f"a{i}", f"{SAME_EVENT_A} variant {i} " * 2)) for i in range(20)]
        futures = engine.submit_all(batch)
        assert detector.holding.wait(WAIT)  # the writer is inside its write, with the first article stored
        answered = threading.Event()
        seen: list[tuple[int, Verdict]] = []

        def check() -> None:
            seen.append((engine.stats().articles, engine.check_article(Article("q", f"{SAME_EVENT_A} variant 0 " * 2))))
            answered.set()

        threading.Thread(target=check).start()
        assert answered.wait(WAIT)  # (before: it waited for the write, which waits 10 s for nothing)
        assert not futures[0].done()
        assert seen[0][0] == 0 and seen[0][1].matches == ()  # nothing of the write is committed
        detector.release.set()
        verdicts = [f.result(timeout=WAIT) for f in futures]
        assert [m.id for m in verdicts[1].matches] == ["a0"]
        assert engine.stats().articles == 20
        assert engine.check_article(Article("q", f"{SAME_EVENT_A} variant 0 " * 2)).matches[0].id == "a0"
    finally:
        detector.release.set()
        engine.close()


def test_an_urgent_article_is_decided_before_those_queued_earlier(tmp_path: Path) -> None:
    params = DetectionParams()
    detector = _WriterHeldOnce(params)
    engine = Engine(detector, SqliteStore(tmp_path / "n.db", params), max_batch=64)
    try:
        held = engine.submit(detector.prepare(Article("first", "a story of its own to hold the writer " * 3)))
        assert detector.holding.wait(WAIT)  # the writer is inside its write: what follows queues
        queued = engine.submit(detector.prepare(Article("wire", WIRE)))
        urgent = engine.submit(detector.prepare(Article("copy", WIRE_WITH_APPEAL)), urgent=True)
        detector.release.set()
        held.result(WAIT)
        # Neither is dated: the first decided is the original, so the copy queued later went first.
        assert queued.result(WAIT).duplicate_of == "copy" and urgent.result(WAIT).duplicate_of is None
    finally:
        detector.release.set()
        engine.close()


def test_an_urgent_article_queued_while_the_writer_takes_another_is_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the writer took the urgent queue once, then threw away the wake-ups it met: an urgent job queued between
    # the two waited for another call to wake the writer, or was lost at a stop)
    taken, go = threading.Event(), threading.Event()
    real_drain = batching.drain

    def held_first_drain(source: Any, batch: list[Any], limit: int) -> list[Any]:
        out = real_drain(source, batch, limit)
        if not taken.is_set():
            taken.set()
            go.wait(WAIT)  # (the writer, just after taking the urgent queue: a handler queues another now)
        return out

    monkeypatch.setattr(engine_module, "drain", held_first_drain)
    params = DetectionParams()
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params), max_batch=64)
    try:
        first = engine.submit(prep(engine, "a", SAME_EVENT_A), urgent=True)
        assert taken.wait(WAIT)
        second = engine.submit(prep(engine, "b", OTHER_WITH_APPEAL), urgent=True)
        go.set()
        assert first.result(WAIT).id == "a" and second.result(WAIT).id == "b"
    finally:
        go.set()
        engine.close()


def test_a_check_in_progress_does_not_hold_up_the_writer(tmp_path: Path) -> None:
    """The writer screens, decides and commits a batch while a check reads: it waits for no read."""
    params = DetectionParams()
    store = SqliteStore(tmp_path / "n.db", params)
    engine = Engine(Detector(params, 1 << 20), store, max_batch=64)
    try:
        texts = [("a", SAME_EVENT_A), ("wire", WIRE), ("other", OTHER_WITH_APPEAL)]  # three unrelated stories
        stories = [prep(engine, aid, body) for aid, body in texts]
        with store.read() as tx:  # a check in progress
            assert tx.count() == 0  # (its first statement: the state it reads from now on)
            futures = engine.submit_all(stories)
            assert [f.result(timeout=WAIT).matches for f in futures] == [(), (), ()]  # stored and acknowledged
            assert tx.count() == 0  # (while the check still reads the state it began with)
        assert engine.stored_as_new == 3 and store.commits == 1  # stored on the screen's word, in one write
    finally:
        engine.close()


def test_the_writer_merges_the_band_index_between_its_writes(engine: Engine) -> None:
    store = engine.store
    assert isinstance(store, SqliteStore)
    store._bands._merge_every = 2  # (due after two articles instead of 4,096; inserts alone merge at 8)
    for i, body in enumerate([WIRE, SAME_EVENT_A, SAME_EVENT_B, OTHER_WITH_APPEAL]):
        engine.index(prep(engine, f"a{i}", body))
    # (The writer starts the merge after resolving the futures; the store's merge thread makes it.)
    assert until(lambda: store._bands._recent == ())
    assert not store._bands.merge_due() and len(store._bands) == 4
    assert [m.id for m in engine.check(prep(engine, "copy", WIRE_WITH_APPEAL)).matches] == ["a0"]


WAIT = 10.0


def test_a_story_stored_in_many_copies_verifies_only_the_closest_and_keeps_one_group(tmp_path: Path) -> None:
    params = DetectionParams(max_candidates=8)
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params), max_batch=64)
    try:
        copies = [engine.submit(prep(engine, f"copy{i}", _local_copy(i))) for i in range(40)]
        verdicts = [f.result(30) for f in copies]
        assert max(len(v.matches) for v in verdicts) == 8  # not 39
        assert {v.duplicate_of for v in verdicts[1:]} == {"copy0"}  # one group, whatever was verified
        resend = engine.index(prep(engine, "again", _local_copy(39)))
        assert resend.matches[0].id == "copy39" and resend.matches[0].jaccard == 1.0  # the closest is always kept
    finally:
        engine.close()


def test_a_check_finds_the_exact_copy_of_a_story_stored_in_more_copies_than_it_verifies(tmp_path: Path) -> None:
    params = DetectionParams(max_candidates=8)
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params), max_batch=64)
    try:
        for f in [engine.submit(prep(engine, f"copy{i:02}", _local_copy(i))) for i in range(40)]:
            f.result(30)
        engine.index(prep(engine, "wire", WIRE))  # named after the 40 longer versions, which share all of it
        found = engine.check(prep(engine, "q", WIRE)).matches
        assert (found[0].id, found[0].jaccard) == ("wire", 1.0), [(m.id, m.jaccard) for m in found]
    finally:
        engine.close()


def _local_copy(n: int) -> str:
    return f"{WIRE}\n\nLocal note {n}: " + " ".join(f"n{n}w{j}" for j in range(30))


class _HeldDetector(Detector):
    """Holds every `prepare` until released, counting how many are inside at once."""

    def __init__(self, params: DetectionParams) -> None:
        super().__init__(params, 1 << 20)
        self.release = threading.Event()
        self.entered = 0
        self.inside = 0
        self.most_inside = 0
        self._lock = threading.Lock()

    def prepare(self, article: Article) -> Prepared:
        with self._lock:
            self.entered += 1
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        self.release.wait(10)
        with self._lock:
            self.inside -= 1
        return super().prepare(article)


@contextmanager
def _held_engine(tmp_path: Path, lanes: int | None) -> Iterator[tuple[Engine, _HeldDetector]]:
    """An engine whose check fingerprinting waits for `detector.release`; released and closed on leaving."""
    params = DetectionParams()
    detector = _HeldDetector(params)
    engine = Engine(detector, SqliteStore(tmp_path / "n.db", params), check_lanes=lanes)
    try:
        yield engine, detector
    finally:
        detector.release.set()
        engine.close()


@pytest.fixture
def let_go(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads that called the engine's `let_others_run`, one entry a call (it does nothing else)."""
    calls: list[str] = []
    monkeypatch.setattr(engine_module, "let_others_run", lambda: calls.append(threading.current_thread().name))
    return calls


def test_while_a_check_is_in_progress_the_writer_lets_it_have_the_gil_between_its_steps(
    tmp_path: Path, let_go: list[str]
) -> None:
    """A check waits for the GIL at each of its steps (service/gil.py). While one is in progress the
    writer lets the GIL go at each screen, each run of new stories and each article decided in full;
    before any check it does not (an ingest alone would only slow down)."""
    with _held_engine(tmp_path, lanes=1) as (engine, detector):
        plain = Detector(DetectionParams(), 1 << 20)

        def ingest(texts: list[tuple[str, str]]) -> list[Verdict]:
            futures = engine.submit_all([plain.prepare(Article(aid, body)) for aid, body in texts])  # one batch
            return [f.result(timeout=WAIT) for f in futures]

        ingest([("wire", WIRE), ("a", SAME_EVENT_A)])
        assert let_go == []  # no check yet
        check = threading.Thread(target=engine.check_article, args=(Article("query", SAME_EVENT_B),))
        check.start()
        assert until(lambda: detector.inside == 1)  # a check in progress (held in its fingerprinting)
        verdicts = ingest([("b", OTHER_WITH_APPEAL), ("copy", WIRE_WITH_APPEAL), ("copy2", WIRE_WITH_APPEAL + " x")])
        detector.release.set()
        check.join(WAIT)
    assert [m.id for m in verdicts[1].matches] == ["wire"]  # the copies: decided in full
    # the screen, the run of new stories before the copies, and each of the two full decisions
    assert len(let_go) >= 1 + 1 + 2
    assert set(let_go) == {"neardup-writer"}


@pytest.mark.parametrize(("flowing", "lets_go"), [(60.0, True), (0.0, False)])
def test_after_a_check_the_writer_lets_go_of_the_gil_while_checks_keep_coming(
    engine: Engine, let_go: list[str], monkeypatch: pytest.MonkeyPatch, flowing: float, lets_go: bool
) -> None:
    """A check also waits for the GIL before and after `check_article` (gRPC handing it in and out),
    where the writer cannot see it: the writer goes on letting go for _CHECKS_FLOWING after one ends."""
    monkeypatch.setattr(engine_module, "_CHECKS_FLOWING", flowing)
    engine.check_article(Article("query", WIRE))  # ended before the write below
    engine.index(prep(engine, "wire", WIRE))
    assert bool(let_go) is lets_go


def test_while_checks_come_in_the_writer_screens_fewer_articles_at_a_time_with_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screen is the writer's longest stretch between its chances to let a check in: while checks come
    in, it screens _SCREENED_BESIDE_CHECKS articles at a time instead of _SCREENED."""
    monkeypatch.setattr(engine_module, "_CHECKS_FLOWING", 60.0)
    screened: list[int] = []
    screen = novelty.screen

    def counted_screen(batch: list[PreparedArticle], *rest: Any) -> novelty.Screen:
        screened.append(len(batch))
        return screen(batch, *rest)

    monkeypatch.setattr(novelty, "screen", counted_screen)
    articles = [core_article(a) for a in corpus.generated(40, corpus.GeneratorConfig(republished=0.3, seed=3))]
    answers = []
    for checks in (False, True):
        params = DetectionParams()
        detector = Detector(params, 1 << 20)
        engine = Engine(detector, SqliteStore(tmp_path / f"{checks}.db", params))
        try:
            if checks:
                engine.check_article(Article("query", WIRE))  # ended, but checks are coming in
            futures = engine.submit_all([detector.prepare(a) for a in articles])  # one batch
            answers.append([f.result(timeout=WAIT) for f in futures])
        finally:
            engine.close()
        assert screened == ([16, 16, 8] if checks else [40])
        screened.clear()
    assert answers[0] == answers[1] and any(v.matches for v in answers[0])


@pytest.mark.parametrize("lanes", [1, 2])
def test_check_article_runs_at_most_check_lanes_checks_at_once(tmp_path: Path, lanes: int) -> None:
    with _held_engine(tmp_path, lanes) as (engine, detector):
        engine.index(Detector(DetectionParams(), 1 << 20).prepare(Article("wire", WIRE)))
        verdicts: list[str | None] = []

        def check(article_id: str) -> None:
            verdicts.append(engine.check_article(Article(article_id, WIRE)).duplicate_of)

        callers = [threading.Thread(target=check, args=(f"c{i}",)) for i in range(lanes + 2)]
        for caller in callers:
            caller.start()
        assert until(lambda: detector.inside == lanes)
        # The others wait for a lane: none gets in while the first `lanes` are held.
        assert not until(lambda: detector.inside > lanes, timeout=0.3)
        detector.release.set()
        for caller in callers:
            caller.join(10)
        assert verdicts == ["wire"] * (lanes + 2)
        assert detector.most_inside == lanes


def _second_check_given_up_while_it_waits(
    engine: Engine, detector: _HeldDetector, give_up: Callable[[], None], **options: Any
) -> list[BaseException | Verdict]:
    """Hold one check in the only lane, start a second with `options`, call `give_up` while it waits for
    the lane, then let the first go: what the second ended with."""
    first = threading.Thread(target=engine.check_article, args=(Article("first", WIRE),))
    first.start()
    assert until(lambda: detector.inside == 1)
    outcome: list[BaseException | Verdict] = []

    def second() -> None:
        try:
            outcome.append(engine.check_article(Article("second", WIRE), **options))
        except (DeadlineExceeded, Cancelled) as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=second)
    waiting.start()
    give_up()
    detector.release.set()
    for t in (first, waiting):
        t.join(10)
    return outcome


def test_a_check_that_gets_its_lane_after_its_deadline_is_not_made(tmp_path: Path) -> None:
    with _held_engine(tmp_path, 1) as (engine, detector):
        deadline = time.monotonic() + 0.2

        def pass_the_deadline() -> None:
            assert until(lambda: time.monotonic() > deadline)  # (it waits for the lane all this time)

        outcome = _second_check_given_up_while_it_waits(engine, detector, pass_the_deadline, deadline=deadline)
        assert len(outcome) == 1 and isinstance(outcome[0], DeadlineExceeded)
        assert "deadline passed while the check waited" in str(outcome[0])
        assert detector.entered == 1  # the late check was never fingerprinted
        # One whose deadline has not passed is made.
        assert engine.check_article(Article("timely", WIRE), deadline=time.monotonic() + 30).duplicate_of is None


def test_a_check_whose_deadline_had_passed_as_it_came_says_so_not_that_it_waited(tmp_path: Path) -> None:
    # (a 1 ms timeout on an idle server was told it "waited for its turn (behind other checks ...)": send checks at
    # a lower rate)
    with _held_engine(tmp_path, 1) as (engine, detector):
        detector.release.set()
        with pytest.raises(DeadlineExceeded) as refused:
            engine.check_article(Article("late", WIRE), deadline=time.monotonic() - 0.001)
        assert "the deadline had passed when the check reached the server" in str(refused.value)
        assert "waited for its turn" not in str(refused.value) and detector.entered == 0


def test_a_check_cancelled_while_it_waits_for_its_lane_is_not_made(tmp_path: Path) -> None:
    with _held_engine(tmp_path, 1) as (engine, detector):
        wanted = threading.Event()
        wanted.set()
        # Its twin was answered elsewhere: the caller cancels it while it waits.
        outcome = _second_check_given_up_while_it_waits(engine, detector, wanted.clear, wanted=wanted.is_set)
        assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
        assert "cancelled while the check waited" in str(outcome[0])
        assert detector.entered == 1  # the cancelled check was never fingerprinted
        assert engine.check_article(Article("wanted", WIRE), wanted=lambda: True).duplicate_of is None


def test_without_check_lanes_checks_run_side_by_side(tmp_path: Path) -> None:
    with _held_engine(tmp_path, None) as (engine, detector):
        callers = [threading.Thread(target=engine.check_article, args=(Article(f"c{i}", WIRE),)) for i in range(4)]
        for caller in callers:
            caller.start()
        assert until(lambda: detector.inside == 4)
        detector.release.set()
        for caller in callers:
            caller.join(10)
        assert not any(caller.is_alive() for caller in callers)


def test_checks_held_out_of_the_store_all_get_in_together_and_a_write_goes_on_beside_them(tmp_path: Path) -> None:
    """With one lane, the checks kept out while the store is held alone (a band-index merge's swap, say)
    all enter it together when it is let go, and take turns for the lane inside; a write meanwhile goes
    on beside them. (Queued for the lane before the store, they would enter one by one.)"""
    done: list[str] = []
    with _held_engine(tmp_path, 1) as (engine, detector):
        lock = engine.store._lock  # type: ignore[attr-defined]

        def check(article_id: str) -> None:
            engine.check_article(Article(article_id, WIRE))
            done.append("check")

        def index() -> None:
            engine.index(Detector(DetectionParams(), 1 << 20).prepare(Article("later", SAME_EVENT_A)))
            done.append("write")

        checks = [threading.Thread(target=check, args=(f"c{i}",)) for i in range(3)]
        with lock.exclusive():
            for t in checks:
                t.start()
            assert until(lambda: lock._readers_waiting == 3)
        assert until(lambda: lock._readers == 3)  # all inside the store,
        assert until(lambda: detector.inside == 1)  # one fingerprinting, two waiting for the lane
        writer = threading.Thread(target=index)
        writer.start()
        writer.join(10)
        assert done == ["write"]  # the write did not wait for them
        detector.release.set()
        for t in checks:
            t.join(10)
        assert done == ["write", "check", "check", "check"]


T0 = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "published", "original"),
    [
        (WIRE, T0, None),  # the stored version itself: still the original
        (WIRE, T0 + timedelta(hours=5), "copy"),  # re-dated after its copy: the copy is now the earliest
        (CORRECTED_WIRE, T0 + timedelta(hours=5), "copy"),  # corrected and re-dated
        (CORRECTED_WIRE, T0, None),  # corrected, same date
    ],
    ids=["same-version", "re-dated", "corrected-and-re-dated", "corrected"],
)
def test_a_check_of_a_new_version_of_an_original_answers_what_indexing_it_then_does(
    tmp_path: Path, body: str, published: datetime, original: str | None
) -> None:
    # (a check counted the id's old version, with its earlier date, as the group's original, and then answered
    # "original" because that old version has the same id; with the body unchanged it ignored the new date)
    params = DetectionParams()
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params))
    try:
        engine.index(prep(engine, "wire", WIRE, T0))
        assert engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, T0 + timedelta(hours=2))).duplicate_of == "wire"
        checked = engine.check(prep(engine, "wire", body, published))
        indexed = engine.index(prep(engine, "wire", body, published))
        assert checked.duplicate_of == indexed.duplicate_of == original
        assert [m.id for m in checked.matches] == [m.id for m in indexed.matches] == ["copy"]
    finally:
        engine.close()


def test_a_check_of_a_copy_re_dated_before_its_original_says_it_would_become_the_original(tmp_path: Path) -> None:
    # (with its text unchanged, a check answered as the stored version: a copy of the original)
    params = DetectionParams()
    engine = Engine(Detector(params, 1 << 20), SqliteStore(tmp_path / "n.db", params))
    try:
        engine.index(prep(engine, "wire", WIRE, T0))
        engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, T0 + timedelta(hours=2)))
        re_dated = prep(engine, "copy", WIRE_WITH_APPEAL, T0 - timedelta(hours=1))
        assert engine.check(re_dated).duplicate_of is None
        assert engine.index(re_dated).duplicate_of is None
        assert engine.get("wire").duplicate_of == "copy"
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("published", "corrected", "original"),
    [
        (None, None, "wire"),  # undated: the first to arrive stays the original
        (T0, T0, "wire"),  # the same date
        (T0, T0 + timedelta(hours=5), "copy"),  # re-dated after its copy: the copy ran first
    ],
    ids=["undated", "same-date", "re-dated-later"],
)
def test_a_wire_services_correction_of_its_story_keeps_it_the_original_unless_re_dated_after_its_copy(
    engine: Engine, published: datetime | None, corrected: datetime | None, original: str
) -> None:
    # (a new version was placed as a new arrival, after the copies of its old one: the correction was answered
    # duplicate_of its own copy, which took the group)
    checked, indexed = correct_the_original(engine, published, corrected)
    other = "copy" if original == "wire" else "wire"
    assert indexed.outcome is IndexOutcome.REPLACED and [m.id for m in indexed.matches] == ["copy"]
    assert checked.duplicate_of == indexed.duplicate_of == (None if original == "wire" else "copy")
    assert engine.get(other).duplicate_of == original
    for page_size in (1, 2):
        assert [m.id for m in whole_group(engine, "copy", page_size)[2]] == [original, other]


@pytest.mark.parametrize("published", [None, T0], ids=["undated", "same-date"])
def test_a_page_updated_with_a_wire_story_is_a_copy_of_it_not_its_original(
    engine: Engine, published: datetime | None
) -> None:
    # (a new version kept its id's first arrival whatever it became: a site's stub, stored before the wire story,
    # updated with the wire text took the wire story's group as its original)
    stub = "Breaking news: the harbour board is meeting tonight to vote on the terminal. More to follow shortly."
    engine.index(engine.detector.prepare(Article("site/123", stub, published=published)))
    engine.index(engine.detector.prepare(Article("wire", WIRE, source="Wire", published=published)))
    engine.index(engine.detector.prepare(Article("copy", WIRE_WITH_APPEAL, published=published)))
    update = engine.detector.prepare(Article("site/123", WIRE + "\n\nReporting by the Wire.", published=published))
    checked, indexed = engine.check(update), engine.index(update)
    assert indexed.outcome is IndexOutcome.REPLACED
    assert checked.duplicate_of == indexed.duplicate_of == "wire"
    assert engine.get("wire").duplicate_of is None
    assert [m.id for m in whole_group(engine, "wire", 1)[2]] == ["wire", "copy", "site/123"]


def test_a_group_listed_across_corrections_of_its_members_lists_each_once_in_its_place(engine: Engine) -> None:
    # (a corrected member was placed as a new arrival: listed again on a later page, and the original's
    # correction handed the group to its copy)
    assert listed_across_corrections(engine, T0) == ("wire", LISTED_GROUP, LISTED_GROUP)


def _answers_and_groups(engine: Engine, stream: list[Article]) -> tuple[list[object], dict[str, object]]:
    answers: list[object] = []
    for s in range(0, len(stream), 40):
        for future in engine.submit_all([engine.detector.prepare(a) for a in stream[s : s + 40]]):
            try:
                v = future.result(timeout=60)
                answers.append((v.id, v.outcome, v.duplicate_of, [(m.id, m.jaccard, m.relation) for m in v.matches]))
            except Unavailable as refused:
                answers.append(str(refused))
    groups: dict[str, object] = {}
    for aid in sorted({a.id for a in stream}):
        stored = engine.get(aid)
        groups[aid] = (stored.group_root, [m.id for m in engine.group_members(aid, page_size=50).members])
    return answers, groups


def test_a_detector_keying_bands_with_other_rows_than_the_store_gets_the_answers_of_keys_found_in_the_store(
    tmp_path: Path,
) -> None:
    """The writer hands the screen's band keys to the store only if they are the store's (the same bands and rows):
    with a detector of other rows (the same bands: keys of the same shape) the answers and groups are those of an
    engine whose store finds every key itself (one article at a time, no screen)."""
    store_params = DetectionParams()
    params = replace(store_params, lsh_rows=store_params.lsh_rows - 1)
    stream = synthetic_articles(60, seed=21)
    for n in range(3, len(stream) - 5, 11):
        stream.insert(n + 2, stream[n])  # a re-send
        stream.insert(n + 4, replace(stream[n + 1], body=stream[n + 3].body + " and a closing line"))  # a correction

    def run(name: str, screen_novel: bool) -> tuple[list[object], dict[str, object], int]:
        (tmp_path / name).mkdir()
        store = SqliteStore(tmp_path / name / "n.db", store_params)
        engine = Engine(Detector(params, 1 << 20), store, max_batch=64, screen_novel=screen_novel)
        try:
            return *_answers_and_groups(engine, stream), engine.stored_as_new
        finally:
            engine.close()

    screened_answers, screened_groups, stored_as_new = run("screened", True)
    found_answers, found_groups, _ = run("found", False)
    assert stored_as_new > 20  # the screen's runs were stored
    assert sum(1 for a in found_answers if isinstance(a, tuple) and a[3]) > 20  # copies were found
    assert screened_answers == found_answers
    assert screened_groups == found_groups


def test_a_decisions_reads_read_each_article_once_and_cannot_write(engine: Engine) -> None:
    """`_ReadOnce` (a full decision's reads): a second `get` of an id is the first one's row; it has no write
    methods, so a write through it (which would leave its rows stale) is an AttributeError."""
    engine.index(prep(engine, "wire", WIRE))
    with engine.store.write() as tx:
        reads = engine_module._ReadOnce(tx)
        first = reads.get("wire")
        assert first is not None and reads.get("wire") is first and reads.get("absent") is None
        assert reads.candidates(first.fingerprint.signature) == {"wire"}
        assert set(reads.shingles(["wire"])) == {"wire"}
        for write in ("insert", "insert_new", "delete", "regroup", "count_groups", "count_groups_each"):
            with pytest.raises(AttributeError):
                getattr(reads, write)


def test_a_full_decision_reads_each_stored_article_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy's full decision reads its match three times over: a candidate judged (`_matches`), then its group
    (`_roots_of`), then the group's original (`_root_for`); through `_ReadOnce` the store reads that row once."""
    engine.index(prep(engine, "wire", WIRE, T0))
    got: list[str] = []
    write = engine.store.write

    @contextmanager
    def counting_write() -> Iterator[Any]:
        with write() as tx:
            real_get = tx.get

            def get(article_id: str) -> Any:
                got.append(article_id)
                return real_get(article_id)

            monkeypatch.setattr(tx, "get", get)
            yield tx

    monkeypatch.setattr(engine.store, "write", counting_write)
    verdict = engine.index(prep(engine, "copy", WIRE_WITH_APPEAL, T0 + timedelta(hours=2)))
    assert verdict.duplicate_of == "wire"
    assert got.count("wire") == 1
