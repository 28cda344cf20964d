"""The Redis store against real redis-server processes (standalone and a 3-node cluster), in process."""

from __future__ import annotations

import itertools
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
import numpy as np
import pytest
import redis
from redis.crc import key_slot

from benchmarks.loopback import RedisServer, free_port, redis_cluster, redis_server, wait_for
from benchmarks.syndication import copies
from service import redis_store
from service.detector import Detector
from service.engine import Engine
from service.errors import FullMidCommit, IncompatibleIndex, NotFound, ResourceExhausted, StoreFull, Unavailable
from service.model import Article, GroupMember, PreparedArticle, Verdict, to_us
from service.paging import token_after
from service.redis_store import (
    EPOCH,
    JOURNAL,
    LEGACY_GROUPS,
    LINE,
    LOCK,
    META,
    RedisStore,
    article_key,
    bucket_keys,
    decode_commands,
    encode_commands,
    entry_id,
    group_entry,
    group_key,
    script_words,
)
from service.settings import ND4_SCHEME, DetectionParams
from service.sqlite_store import SqliteStore
from service.status import status_for
from service.storage import order_key
from tests.integration.test_tls import make_pki
from tests.redis_support import cleared_index_url, synthetic_articles
from tests.support import (
    LISTED_GROUP,
    correct_the_original,
    listed_across_corrections,
    purge_victims,
    until,
    whole_group,
)

PARAMS = DetectionParams()
T = TypeVar("T")
DETECTOR = Detector(PARAMS, 1 << 20)


@pytest.fixture(params=["standalone", "cluster"])
def redis_url(request: pytest.FixtureRequest) -> str:
    """A cleared index on the shared standalone server, or on the shared cluster."""
    return cleared_index_url(request, db=1)


def ingest(engine: Engine, articles: list[Article]) -> list[Verdict]:
    """Queue all at once, so the writer commits them in large batches (reads must see the batch's writes)."""
    futures: list[Future[Verdict]] = [engine.submit(DETECTOR.prepare(a)) for a in articles]
    return [f.result(timeout=120) for f in futures]


def edits(articles: list[Article]) -> list[Article]:
    """Re-sends, and new versions of stored ids (one becomes a copy of another story)."""
    by_id = {a.id: a for a in articles}
    resent = [by_id["s1"], by_id["s2"]]
    rewritten = [replace(by_id["s3"], body=by_id["s4"].body + " with an added closing line"),
                 replace(by_id["s5"], body="a short new text about nothing in particular at all today")]  # fmt: skip
    return resent + rewritten


def test_verdicts_and_groups_match_the_embedded_store(redis_url: str, tmp_path: Path) -> None:
    articles = synthetic_articles(70)
    embedded = Engine(DETECTOR, SqliteStore(tmp_path / "e.db", PARAMS))
    shared = Engine(DETECTOR, RedisStore(redis_url, PARAMS))
    try:
        for step in (articles, edits(articles)):
            assert ingest(shared, step) == ingest(embedded, step)
        for victim in ("s0", "s6", "s7"):  # deleting an original hands its group to the next earliest
            embedded.delete(victim)
            shared.delete(victim)
        later = synthetic_articles(12, seed=99, prefix="later")  # after deletes: candidates and groups must still agree
        assert ingest(shared, later) == ingest(embedded, later)
        ids = sorted({a.id for a in articles + later} - {"s0", "s6", "s7"})
        assert [embedded.get(i).group_root for i in ids] == [shared.get(i).group_root for i in ids]
        assert shared.stats().articles == embedded.stats().articles == len(ids)
        assert sum(1 for i in ids if shared.get(i).duplicate_of) > 10  # the corpus does exercise groups
        # Group listings, a few members a page: the same originals, sizes, members and order (each store
        # has its own arrival times).
        listed = {i: described(*whole_group(embedded, i, 2)) for i in ids}
        assert {i: described(*whole_group(shared, i, 2)) for i in ids} == listed
        assert max(total for _, total, _ in listed.values()) >= 3  # some listings took more than one page
        checks = [DETECTOR.prepare(a) for a in articles[:20]]
        assert [shared.check(p) for p in checks] == [embedded.check(p) for p in checks]
        assert isinstance(shared.store, RedisStore)
        assert shared.store.audit() == []
    finally:
        embedded.close()
        shared.close()


def test_a_story_in_more_copies_than_the_candidate_limit_reads_a_bounded_sample_and_keeps_one_group(
    redis_url: str, tmp_path: Path
) -> None:
    params = replace(PARAMS, max_candidates=2)  # a candidate limit of 9: buckets of 120 copies are sampled
    detector = Detector(params, 1 << 22)
    story = copies(120)
    embedded = Engine(detector, SqliteStore(tmp_path / "e.db", params))
    shared = Engine(detector, RedisStore(redis_url, params))
    try:
        for engine in (embedded, shared):
            verdicts = [engine.submit(detector.prepare(a)).result(timeout=120) for a in story]
            assert {v.duplicate_of for v in verdicts[1:]} == {"copy0"}
            assert all(0 < len(v.matches) <= params.max_candidates for v in verdicts[1:])
        assert isinstance(shared.store, RedisStore)
        keys = bucket_keys(detector.prepare(story[0]).fingerprint.signature, params)
        sampled = shared.store.bucket_members([keys])[0]
        # Every bucket holds all 120 copies; one copy of each is read (2 x the limit, over 42 buckets).
        assert 1 <= len(sampled) <= len(keys) < len(story)
        assert sampled <= {a.id for a in story}
        assert shared.store.audit() == []
    finally:
        embedded.close()
        shared.close()


class _SlowToStore(Detector):
    """Takes `seconds` more for each article it stores: deciding a batch of copies of a story stored in
    thousands of copies takes that long on Redis (the work is slow; nothing waits for anything here)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(PARAMS, 1 << 20)
        self.seconds = seconds

    def remember(self, stored: PreparedArticle) -> None:
        time.sleep(self.seconds)
        super().remember(stored)


def test_a_batch_too_long_for_the_writer_lease_is_decided_in_parts_with_the_same_answers(
    redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    articles = synthetic_articles(24)
    reference = Engine(DETECTOR, SqliteStore(tmp_path / "e.db", PARAMS))
    # A batch may take half the lease, 0.4 s: the whole one needs about 20 ms x its 40-odd articles.
    slow = Engine(_SlowToStore(0.02), RedisStore(redis_url, PARAMS, lease_ms=800), max_batch=len(articles))
    try:
        futures = slow.submit_all([DETECTOR.prepare(a) for a in articles])  # one batch
        assert [f.result(timeout=120) for f in futures] == ingest(reference, articles)
        assert "too long to decide in one write" in caplog.text
        assert slow.stats().articles == len(articles)
        assert [slow.get(a.id).group_root for a in articles] == [reference.get(a.id).group_root for a in articles]
        assert isinstance(slow.store, RedisStore)
        assert slow.store.audit() == []
    finally:
        reference.close()
        slow.close()


def test_a_purge_on_redis_leaves_what_the_embedded_store_leaves_even_when_done_in_parts(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    articles = synthetic_articles(40)
    embedded = Engine(DETECTOR, SqliteStore(tmp_path / "e.db", PARAMS))
    shared = Engine(DETECTOR, RedisStore(redis_url, PARAMS, lease_ms=800))
    try:
        ingest(embedded, articles)
        ingest(shared, articles)
        ids = [a.id for a in articles]
        victims = [*purge_victims(embedded, ids, 38), "absent"]
        # Each removal 20 ms slower: the 40 of them need 0.8 s, and a write may take half the lease, 0.4 s.
        remove = redis_store._Tx.delete

        def slowly(tx: redis_store._Tx, article_id: str) -> None:
            time.sleep(0.02)  # (not a wait for anything: the work made slower)
            remove(tx, article_id)

        monkeypatch.setattr(redis_store._Tx, "delete", slowly)
        assert shared.delete_all(victims) == embedded.delete_all(victims) == [True] * 40 + [False]
        assert "too long for one write" in caplog.text
        kept = [i for i in ids if i not in victims]
        assert [shared.get(i).group_root for i in kept] == [embedded.get(i).group_root for i in kept]
        assert shared.stats().articles == embedded.stats().articles == len(kept)
        assert isinstance(shared.store, RedisStore)
        assert shared.store.audit() == []
    finally:
        embedded.close()
        shared.close()


def described(original: str, total: int, members: list[GroupMember]) -> tuple[str, int, list[tuple[object, ...]]]:
    return original, total, [(m.id, m.title, m.source, m.url, m.published) for m in members]


def test_interrupted_cluster_commit_is_finished_by_the_next_writer(redis_cluster_nodes: list[RedisServer]) -> None:
    store = RedisStore(redis_cluster_nodes[0].url, PARAMS)
    store.clear()
    engine = Engine(DETECTOR, store)
    try:
        ingest(engine, synthetic_articles(5))
        # A writer that dies after its journal and the first phase: its bucket entries exist, its records do not.
        wire = DETECTOR.prepare(Article("late", "words " * 3 + " ".join(f"t{i}" for i in range(80))))
        with store.read() as tx:
            tx._writable = True  # build a batch's commands the way write() does, without committing them
            tx.insert(wire, datetime.now(UTC), "late")
            phases = tx.commands()
        commands = [c for phase in phases for c in phase]
        store.client.hset(JOURNAL, mapping={str(n): encode_commands(p) for n, p in enumerate(phases)})
        store.apply(phases[0])
        key = bucket_keys(wire.fingerprint.signature, PARAMS)[0]
        assert store.client.smembers(key) == {b"late"}
        assert engine.check(wire).matches == ()  # bucket entries without a record are invisible
        assert store.audit() != []
        ingest(engine, [Article("next", "an unrelated text " + " ".join(f"u{i}" for i in range(40)))])
        assert store.client.exists(JOURNAL) == 0
        assert decode_commands(encode_commands(commands))[0] == ("SADD", key, b"late")
        assert engine.get("late").article.body == wire.article.body
        assert store.audit() == []
    finally:
        engine.close()


def test_redis_down_fails_fast_then_recovers_by_itself(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "r").start()
    engine = Engine(DETECTOR, RedisStore(server.url, PARAMS, socket_timeout=1.0))
    first, second = synthetic_articles(2, seed=3)[:2]
    try:
        ingest(engine, [first])
        server.stop()
        started = time.monotonic()
        with pytest.raises(Unavailable, match="redis-server is running"):
            engine.index(DETECTOR.prepare(second), timeout=30)
        with pytest.raises(Unavailable):
            engine.get(first.id)
        assert time.monotonic() - started < 5  # fails fast: no long retry loop
        server.start()  # same AOF: the acknowledged article is still there
        assert engine.get(first.id).article.body == first.body
        assert engine.index(DETECTOR.prepare(second), timeout=30).id == second.id
    finally:
        engine.close()
        server.stop()


def test_credentials_redis_refuses_stop_a_start_and_fail_later_calls_and_no_message_shows_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with redis_server(tmp_path / "r") as server:
        redis.Redis(host="127.0.0.1", port=server.port).config_set("requirepass", "right-secret")
        admin = redis.Redis(host="127.0.0.1", port=server.port, password="right-secret")
        with pytest.raises(ValueError, match=r"--redis-url: .* at redis://:\*\*\*@127.0.0.1:\d+/0 refused") as refused:
            RedisStore(f"redis://:wrong-secret@127.0.0.1:{server.port}/0", PARAMS)
        assert "in --redis-url (NEARDUP_REDIS_URL)" in str(refused.value)
        assert "wrong-secret" not in str(refused.value)
        engine = Engine(DETECTOR, RedisStore(f"redis://:right-secret@127.0.0.1:{server.port}/0", PARAMS))
        try:
            first, second = synthetic_articles(2, seed=3)[:2]
            ingest(engine, [first])
            admin.config_set("requirepass", "rotated-secret")  # (rotated on Redis, not in neardup's settings)
            admin.client_kill_filter(_type="normal", skipme=True)  # (connections made before keep their login)
            with pytest.raises(Unavailable, match="refused neardup's credentials") as later:
                engine.index(DETECTOR.prepare(second), timeout=30)
            assert "secret" not in str(later.value)
            # (What was not done, and not "send … again": sent again before --redis-url is fixed, it is refused.)
            assert str(later.value).endswith("redis://user:password@host:6379/0: nothing of the batch was stored")
            with pytest.raises(Unavailable, match=r"credentials .*: the article was not deleted$"):
                engine.delete(first.id)
        finally:
            engine.close()
            admin.close()
    assert "secret" not in caplog.text


def test_a_database_number_redis_does_not_have_stops_a_start(tmp_path: Path) -> None:
    with redis_server(tmp_path / "r") as server:
        # (it started, and every call answered UNAVAILABLE "refused a command" for as long as it ran)
        with pytest.raises(ValueError, match=r"--redis-url: .*/99 has no database of the number the URL ends with"):
            RedisStore(f"redis://127.0.0.1:{server.port}/99", PARAMS)
        RedisStore(f"redis://127.0.0.1:{server.port}/15", PARAMS).close()  # (the last of Redis's 16)


def test_redis_over_tls_works_by_rediss_an_untrusted_certificate_stops_a_start_a_mixed_up_scheme_is_named(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path)
    tls_port = free_port()
    server = RedisServer(tmp_path / "r", "--tls-port", str(tls_port), "--tls-cert-file", str(pki.cert),
                         "--tls-key-file", str(pki.key), "--tls-auth-clients", "no").start()  # fmt: skip
    try:
        engine = Engine(DETECTOR, RedisStore(f"rediss://127.0.0.1:{tls_port}/0?ssl_ca_certs={pki.ca}", PARAMS))
        try:
            [article] = synthetic_articles(1, seed=3)[:1]
            ingest(engine, [article])
            assert engine.get(article.id).article.body == article.body
        finally:
            engine.close()
        with pytest.raises(ValueError, match=r"--redis-url: .* presented a TLS certificate neardup does not trust"):
            RedisStore(f"rediss://127.0.0.1:{tls_port}/0?ssl_ca_certs={pki.other_ca}", PARAMS)
        mixed_up = [(f"redis://127.0.0.1:{tls_port}/0", "the URL must begin with rediss://"),
                    (f"rediss://127.0.0.1:{server.port}/0", "the URL must begin with redis://")]  # fmt: skip
        for url, hint in mixed_up:
            store = RedisStore(url, PARAMS, socket_timeout=0.5)  # (starts: Redis may just be down)
            try:
                with pytest.raises(Unavailable, match=hint), store.read() as tx:
                    tx.count()
            finally:
                store.close()
    finally:
        server.stop()


def test_a_replica_starts_while_redis_is_down_and_serves_once_it_is_up(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "r")  # not started yet
    store = RedisStore(server.url, PARAMS)  # (its default timeouts: a Redis that is down refuses at once)
    try:
        with pytest.raises(Unavailable), store.read() as tx:
            tx.count()
        server.start()
        with store.read() as tx:
            assert tx.count() == 0
    finally:
        store.close()
        server.stop()


def test_other_detection_parameters_are_refused(tmp_path: Path) -> None:
    with redis_server(tmp_path / "r") as server:
        RedisStore(server.url, PARAMS).close()
        with pytest.raises(IncompatibleIndex, match="num_perm: Redis index has 128, settings say 256"):
            RedisStore(server.url, replace(PARAMS, num_perm=256))


def test_an_index_of_scheme_nd4_found_at_start_is_read_as_nd4_and_one_found_later_is_refused(tmp_path: Path) -> None:
    nd4 = replace(PARAMS, scheme=ND4_SCHEME)
    with redis_server(tmp_path / "r") as server:
        RedisStore(server.url, nd4).close()  # (an index a version of scheme nd4 recorded)
        store = RedisStore(server.url, PARAMS)
        assert store.params == nd4
        with store.read() as tx:
            assert tx.count() == 0
        store.close()
    # Redis down at the start: the server reads as nd5, and cannot read the nd4 index it then finds
    server = RedisServer(tmp_path / "r2")
    store = RedisStore(server.url, PARAMS)
    try:
        assert store.params == PARAMS
        server.start()
        RedisStore(server.url, nd4).close()
        with pytest.raises(IncompatibleIndex, match="start it again while the Redis index answers"), store.read() as tx:
            tx.count()
    finally:
        store.close()
        server.stop()


def test_a_flushed_nd4_index_is_recorded_again_by_the_first_server_to_find_it_gone(tmp_path: Path) -> None:
    """A server reads nd4 for the index it found at its start. Flushed, the index is recorded again by the first
    server to find it gone, with the scheme that server reads: nd4 by this one (and every later start reads it as
    nd4); nd5 by a server started since, and this one is then refused, saying why it reads nd4 (not that this
    version does: it writes a new index as nd5) and to start it again, which reads the index as nd5."""
    nd4 = replace(PARAMS, scheme=ND4_SCHEME)
    with redis_server(tmp_path / "r") as server:
        flush = redis.Redis(host="127.0.0.1", port=server.port).flushall
        RedisStore(server.url, nd4).close()  # (an index a version of scheme nd4 recorded)
        store = RedisStore(server.url, PARAMS)
        try:
            assert store.params == nd4
            flush()
            store.check()  # (the health check finds it gone: recorded again, as nd4)
            later = RedisStore(server.url, PARAMS)
            assert later.params == nd4
            later.close()
            flush()
            later = RedisStore(server.url, PARAMS)  # (first to find it gone: recorded as nd5)
            assert later.params == PARAMS
            later.close()
            with pytest.raises(IncompatibleIndex) as refused:
                store.check()
        finally:
            store.close()
        message = str(refused.value)
        assert "reads text as fingerprint scheme nd4 because the Redis index it found at its start" in message
        assert "recorded again since, as nd5" in message and "start this server again" in message
        assert "This version reads" not in message
        again = RedisStore(server.url, PARAMS)
        assert again.params == PARAMS
        again.close()


def test_script_words_fan_out_one_member_over_many_sets() -> None:
    commands = [("SADD", b"b1", "x"), ("SADD", b"b2", "x"), ("SADD", b"b3", "y"), ("HSET", b"a", "r", "x")]
    assert script_words(commands) == ["F", "SADD", "x", 2, b"b1", b"b2", "C", 3, "SADD", b"b3", "y",
                                      "C", 4, "HSET", b"a", "r", "x"]  # fmt: skip


def test_a_cluster_node_down_fails_fast_and_the_store_recovers_consistent(tmp_path: Path) -> None:
    with redis_cluster(tmp_path / "cluster") as nodes:
        store = RedisStore(nodes[0].url, PARAMS, socket_timeout=1.0)
        engine = Engine(DETECTOR, store)
        articles = synthetic_articles(20, seed=8)
        try:
            ingest(engine, articles[:10])
            nodes[1].stop()  # a third of the slots (and of every article's buckets) is gone
            started = time.monotonic()
            with pytest.raises(Unavailable, match="is not answering"):
                engine.index(DETECTOR.prepare(articles[10]), timeout=30)
            assert time.monotonic() - started < 5
            nodes[1].start()  # same AOF
            wait_for(lambda: _indexed(engine, articles[10]), timeout=30, what="the cluster to serve again")
            ingest(engine, articles[11:])
            assert engine.stats().articles == len(articles)
            assert store.audit() == []
        finally:
            engine.close()


def _indexed(engine: Engine, article: Article) -> bool:
    try:
        return engine.index(DETECTOR.prepare(article), timeout=30).id == article.id
    except Unavailable:
        return False


def test_stored_ids_are_those_get_finds_in_the_write_and_after_its_commit(redis_url: str) -> None:
    store = RedisStore(redis_url, PARAMS)
    first, second, third = (DETECTOR.prepare(a) for a in synthetic_articles(3, seed=13)[:3])
    ids = [p.article.id for p in (first, second, third)] + ["absent"]
    try:
        with store.write() as tx:
            tx.prefetch([first, second])
            tx.insert_new([first, second], datetime.now(UTC))
            tx.delete(second.article.id)
            assert tx.stored_ids(ids) == {i for i in ids if tx.get(i) is not None} == {first.article.id}
        with store.read() as after:
            assert after.stored_ids(ids) == {first.article.id}
    finally:
        store.close()


def test_reads_inside_a_write_see_the_batch_own_writes_and_others_see_them_after_commit(redis_url: str) -> None:
    store = RedisStore(redis_url, PARAMS)
    first, second = (DETECTOR.prepare(a) for a in synthetic_articles(2, seed=12)[:2])
    try:
        with store.write() as tx:
            tx.prefetch([first, second])
            tx.insert(first, datetime.now(UTC), first.article.id)
            assert first.article.id in tx.candidates(first.fingerprint.signature)
            assert tx.count() == 1
            with store.read() as outside:  # not committed yet: invisible to everyone else
                assert outside.get(first.article.id) is None
                assert outside.candidates(first.fingerprint.signature) == set()
            tx.insert(second, datetime.now(UTC), second.article.id)
            tx.delete(second.article.id)
            assert second.article.id not in tx.candidates(second.fingerprint.signature)
            assert tx.count() == 1
        with store.read() as after:
            assert after.candidates(first.fingerprint.signature) == {first.article.id}
            assert after.get(second.article.id) is None
            assert after.count() == 1
        assert store.audit() == []
    finally:
        store.close()


def test_a_limited_query_returns_the_stored_copies_whose_signatures_agree_most(redis_url: str) -> None:
    """A story stored in many copies: with a limit, only that many candidates, the closest ones,
    and never one whose record is gone (ranked on signatures, without reading whole records)."""
    words = [f"w{i}" for i in range(300)]

    def copy(name: str, share: float) -> Article:  # the story's first words, then words of its own
        n = int(len(words) * share)
        return Article(name, " ".join(words[:n] + [f"{name}x{j}" for j in range(len(words) - n)]))

    close = [copy(f"close{i}", 0.95) for i in range(10)]
    loose = [copy(f"loose{i}", 0.7) for i in range(20)]
    signature = DETECTOR.prepare(Article("q", " ".join(words))).fingerprint.signature
    store = RedisStore(redis_url, PARAMS)
    try:
        with store.write() as tx:
            for article in close + loose:
                tx.insert(DETECTOR.prepare(article), datetime.now(UTC), article.id)
        with store.write() as tx:
            tx.delete("close0")
        with store.read() as tx:
            everything = tx.candidates(signature)
            best = tx.candidates(signature, limit=10)
    finally:
        store.close()
    assert {a.id for a in close[1:]} <= everything and len(everything - {a.id for a in close}) > 1
    assert "close0" not in everything | best
    assert len(best) == 10 and best <= everything
    assert {a.id for a in close[1:]} <= best  # the 9 close copies, then one of the looser ones


# ---- groups in listing order (key layout 2) --------------------------------------------------------


def _hand_written_group(store: RedisStore, root: str, size: int) -> list[str]:
    """`size` members of one group written straight to Redis (what a group listing and a regroup read of
    them: their `m` and `r` fields and their group entries), undated, pre-1970 and dated; their ids in
    listing order."""
    ids = [f"{root}-{n}" for n in range(size)]
    published = [[None, -86_400_000_000 * n, 10**15 + n % 7][n % 3] for n in range(size)]
    seqs = [size - n for n in range(size)]  # (ties of publication time go by arrival)
    metas = [
        json.dumps({"t": "", "s": "", "u": "", "p": p, "i": 0, "q": q}) for p, q in zip(published, seqs, strict=True)
    ]
    store.run([("HSET", article_key(i), "m", m, "r", root) for i, m in zip(ids, metas, strict=True)])
    entries = [group_entry(p, q, i) for p, q, i in zip(published, seqs, ids, strict=True)]
    for start in range(0, size, 500):
        store.run([("ZADD", group_key(root), *(w for e in entries[start : start + 500] for w in (b"0", e)))])
    order = sorted(range(size), key=lambda n: (published[n] is None, published[n] or 0, seqs[n]))
    return [ids[n] for n in order]


def _listed(store: RedisStore, root: str, page_size: int) -> tuple[int, list[str]]:
    """A group's size and members, page after page from where the last one ended."""
    with store.read() as tx:
        total, page = tx.group_page(root, None, page_size)
        listed = list(page)
        while len(page) == page_size:
            last = page[-1]
            after = order_key(None if last.published is None else to_us(last.published), last.arrival)
            _, page = tx.group_page(root, after, page_size)
            listed += page
    return total, [m.id for m in listed]


def test_a_group_of_more_members_than_a_script_can_unpack_is_regrouped_whole(redis_url: str) -> None:
    """Redis's Lua unpacks at most ~8,000 words onto its stack: a commit must never give it one command
    with a whole big group (before, a regroup of 9,000 members failed the commit part-way)."""
    store = RedisStore(redis_url, PARAMS)
    try:
        expected = _hand_written_group(store, "big", 9_000)
        with store.write() as tx:
            tx.regroup(["big"], "new-root")
        assert _listed(store, "new-root", 1_000) == (9_000, expected)
        assert _listed(store, "big", 1_000) == (0, [])
        assert set(store.run([("HGET", article_key(i), "r") for i in expected])) == {b"new-root"}
    finally:
        store.close()


def test_a_commit_with_a_command_too_long_for_the_script_is_refused_before_anything_is_written(redis_url: str) -> None:
    """Past ~8,000 words Lua cannot unpack a command: the script would fail there with the commands before it
    applied (standalone), or leave a journal no writer can replay (cluster). The commit refuses it first."""
    store = RedisStore(redis_url, PARAMS)
    try:
        too_long: tuple[bytes | str, ...] = ("SADD", b"nd:test-set", *[b"%d" % n for n in range(9_000)])
        token, _ = store._acquire_lease()
        try:
            with pytest.raises(ValueError, match="'SADD' of 9002 words, over the 4000 a commit takes"):
                store._commit([[("SET", b"nd:test-first", b"1")], [too_long]], token)
        finally:
            store._release_lease(token)
        assert store.run([("EXISTS", b"nd:test-first"), ("EXISTS", b"nd:test-set"), ("EXISTS", JOURNAL)]) == [0, 0, 0]
    finally:
        store.close()


def test_an_index_of_key_layout_1_is_converted_once_at_start_and_lists_the_same(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    articles = synthetic_articles(30, seed=5)
    engine = Engine(DETECTOR, RedisStore(redis_url, PARAMS))
    ingest(engine, articles)
    before = {a.id: described(*whole_group(engine, a.id, 2)) for a in articles}
    store = engine.store
    assert isinstance(store, RedisStore)
    hand_written = _hand_written_group(store, "hand", 2_500)
    _back_to_layout_1(store)
    engine.close()
    assert not list(store.client.scan_iter(match=group_key("*")))

    with caplog.at_level(logging.WARNING, logger="service.redis_store"):
        upgraded = Engine(DETECTOR, RedisStore(redis_url, PARAMS))
        assert {a.id: described(*whole_group(upgraded, a.id, 2)) for a in articles} == before
    assert any("to key layout 2, once" in r.getMessage() for r in caplog.records)
    converted = upgraded.store
    assert isinstance(converted, RedisStore)
    assert _listed(converted, "hand", 1_000) == (2_500, hand_written)
    assert not list(converted.client.scan_iter(match=LEGACY_GROUPS))
    assert json.loads(converted.client.get(META))["layout"] == redis_store.LAYOUT  # (and on, to the latest)
    upgraded.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="service.redis_store"):
        RedisStore(redis_url, PARAMS).close()  # (it connects as it starts: the layout is read then)
    assert not caplog.records  # converted once


def _back_to_layout_1(store: RedisStore) -> None:
    """Turn the groups back into what a version before layout 2 wrote: plain sets of ids; nd:meta without a layout."""
    for key in list(store.client.scan_iter(match=group_key("*"))):
        ids = [entry_id(e) for e in store.client.zrange(key, 0, -1)]
        legacy = LEGACY_GROUPS[:-1] + key.removeprefix(group_key(""))
        store.run([("SADD", legacy, *ids), ("DEL", key)])
    meta = json.loads(store.client.get(META))
    del meta["layout"]
    store.client.set(META, json.dumps(meta, sort_keys=True))


def test_an_index_of_a_newer_key_layout_is_refused(tmp_path: Path) -> None:
    with redis_server(tmp_path / "r") as server:
        RedisStore(server.url, PARAMS).close()
        store = RedisStore(server.url, PARAMS)
        meta = json.loads(store.client.get(META))
        newer = redis_store.LAYOUT + 1
        store.client.set(META, json.dumps({**meta, "layout": newer}))
        store.close()
        with pytest.raises(IncompatibleIndex, match=f"key layout {newer}, written by a newer neardup"):
            RedisStore(server.url, PARAMS)


def test_calls_wait_for_a_layout_upgrade_another_call_began(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica that found Redis down at its start upgrades at its first call; no call may read or write
    the index before that upgrade ends."""
    server = RedisServer(tmp_path / "r")  # not started yet
    lazy = RedisStore(server.url, PARAMS)
    server.start()
    try:
        builder = RedisStore(server.url, PARAMS)
        expected = _hand_written_group(builder, "hand", 1_200)
        _back_to_layout_1(builder)
        builder.close()
        upgrading, go_on = threading.Event(), threading.Event()
        upgrade = lazy._upgrade_groups

        def held_upgrade() -> None:
            upgrading.set()
            assert go_on.wait(30)
            upgrade()

        monkeypatch.setattr(lazy, "_upgrade_groups", held_upgrade)
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(_listed, lazy, "hand", 500)
            assert upgrading.wait(30)
            second = pool.submit(_listed, lazy, "hand", 500)
            assert not _done_within(second, 0.3)  # it waits for the upgrade (unconverted: it would list none)
            go_on.set()
            assert first.result(30) == second.result(30) == (1_200, expected)
    finally:
        lazy.close()
        server.stop()


def _done_within(future: Future[tuple[int, list[str]]], seconds: float) -> bool:
    return bool(wait([future], timeout=seconds).done)


def test_a_page_token_of_extreme_numbers_lists_from_where_it_says_on_both_stores(
    redis_url: str, tmp_path: Path
) -> None:
    """A token is only checked to carry int64s: the numbers at their ends must list (from the start, the
    undated members, or nothing), not fail, and the two stores must agree."""
    articles = synthetic_articles(12, seed=3)
    embedded = Engine(DETECTOR, SqliteStore(tmp_path / "e.db", PARAMS))
    engines = [embedded, Engine(DETECTOR, RedisStore(redis_url, PARAMS))]
    try:
        for engine in engines:
            ingest(engine, articles)
        members = {a.id: embedded.group_members(a.id, 100).members for a in articles}
        big = max(members, key=lambda i: (sum(m.published is None for m in members[i]), len(members[i])))
        low, high = -(2**63), 2**63 - 1
        keys = [(False, low, low), (False, low, high), (True, low, low), (True, high, high), (False, high, high)]
        listings = [[[m.id for m in e.group_members(big, 100, token_after(big, k)).members] for k in keys]
                    for e in engines]  # fmt: skip
        assert listings[0] == listings[1]
        everything = [m.id for m in members[big]]
        undated = [m.id for m in members[big] if m.published is None]
        assert listings[0] == [everything, everything, undated, [], []]
        assert len(everything) > len(undated) > 0  # (a group with dated and undated copies)
    finally:
        for engine in engines:
            engine.close()


@contextmanager
def _engine_on_its_own_redis(tmp_path: Path) -> Iterator[tuple[RedisServer, redis.Redis, RedisStore, Engine]]:
    """An engine on a redis-server of its own, with a client to administer it (its maxmemory): closed and stopped
    at the end whatever happened."""
    with redis_server(tmp_path / "redis") as server:
        admin = redis.Redis(host="127.0.0.1", port=server.port)
        store = RedisStore(server.url, PARAMS)
        engine = Engine(DETECTOR, store)
        try:
            yield server, admin, store, engine
        finally:
            engine.close()


def test_redis_out_of_memory_refuses_writes_with_resource_exhausted_and_keeps_every_commit_whole(
    tmp_path: Path,
) -> None:
    with _engine_on_its_own_redis(tmp_path) as (server, admin, store, engine):
        used = int(admin.info("memory")["used_memory"])
        admin.config_set("maxmemory", used + (2 << 20))  # (noeviction, the default: refuse, never evict)
        articles = synthetic_articles(1500, seed=11)
        acknowledged: list[Article] = []
        refusal: ResourceExhausted | None = None
        for article in articles:
            try:
                engine.index(DETECTOR.prepare(article), timeout=30)
            except ResourceExhausted as exc:
                refusal = exc
                break
            acknowledged.append(article)
        assert refusal is not None and acknowledged, "Redis was expected to fill up part way"
        assert f"the shared Redis store at {server.url} is out of memory" in str(refusal)
        assert str(refusal).endswith(
            "Raise its maxmemory, or free memory there: nothing of the batch was stored: send the articles again"
        )
        assert store.audit() == []  # no article without its buckets, no bucket without its article
        assert engine.stats().articles == len(acknowledged)
        # A replica started (or restarted) meanwhile serves reads too: it failed to start, its "is this index
        # of my parameters" write refused though the index's record was there.
        late = RedisStore(server.url, PARAMS)
        with late.read() as tx:
            assert tx.count() == len(acknowledged) and tx.get(acknowledged[0].id) is not None
        late.close()

        admin.config_set("maxmemory", 0)
        ingest(engine, articles[len(acknowledged) :])
        assert engine.stats().articles == len(articles)
        assert store.audit() == []


def test_a_delete_redis_refuses_out_of_memory_says_the_delete_was_not_done_not_to_send_articles(
    tmp_path: Path,
) -> None:
    """The store's refusal said "then send the articles again", to a DeleteArticle and a DeleteArticles too."""
    with _engine_on_its_own_redis(tmp_path) as (server, admin, store, engine):
        articles = synthetic_articles(6, seed=11)
        ingest(engine, articles)
        admin.config_set("maxmemory", int(admin.info("memory")["used_memory"]) // 2)  # (noeviction: refuse)
        with pytest.raises(StoreFull) as one:
            engine.delete(articles[0].id)
        with pytest.raises(StoreFull) as several:
            engine.delete_all([a.id for a in articles[:3]])
        full = f"the shared Redis store at {server.url} is out of memory (its maxmemory is reached)"
        assert str(one.value).startswith(full)
        assert str(one.value).endswith("Raise its maxmemory, or free memory there: the article was not deleted: "
                                       "send the delete again")  # fmt: skip
        assert str(several.value).endswith("none of the ids named was deleted: send the call again")
        for refusal in (one.value, several.value):
            assert "send the articles" not in str(refusal)
            assert status_for(refusal)[0] == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert engine.stats().articles == len(articles)  # (not deleted, as said)

        admin.config_set("maxmemory", 0)
        engine.delete(articles[0].id)  # the delete sent again, once there is room
        assert engine.delete_all([a.id for a in articles[:3]]) == [False, True, True]
        assert engine.stats().articles == len(articles) - 3 and store.audit() == []


def test_a_cluster_commit_cut_short_out_of_memory_says_the_delete_may_be_done(tmp_path: Path) -> None:
    """After the journal is written (the commit point), a node out of memory refuses its part: the delete is
    finished from the journal once there is room, so "not deleted" would be wrong."""
    with redis_cluster(tmp_path / "cluster") as nodes:
        store = RedisStore(nodes[0].url, PARAMS)
        engine = Engine(DETECTOR, store)
        articles = synthetic_articles(6, seed=11)
        try:
            ingest(engine, articles)
            manager = store.client.nodes_manager
            before_commit = {manager.get_node_from_slot(key_slot(k)).name for k in (LOCK, LINE, JOURNAL, META, EPOCH)}
            full = next(n for n in nodes if f"127.0.0.1:{n.port}" not in before_commit)  # (each article has keys on it)
            admin = redis.Redis(host="127.0.0.1", port=full.port)
            admin.config_set("maxmemory", int(admin.info("memory")["used_memory"]) // 2)
            with pytest.raises(FullMidCommit) as refused:
                engine.delete(articles[0].id)
            said = str(refused.value)
            assert "is out of memory" in said and "the commit was cut short between its phases" in said
            assert said.endswith("the article may or may not be deleted: sent again, the delete answers NOT_FOUND "
                                 "if it was")  # fmt: skip
            assert status_for(refused.value)[0] == grpc.StatusCode.RESOURCE_EXHAUSTED

            admin.config_set("maxmemory", 0)
            with pytest.raises(NotFound):  # the next write finished it from the journal
                engine.delete(articles[0].id)
            assert engine.stats().articles == len(articles) - 1 and store.audit() == []
        finally:
            engine.close()


def test_a_redis_that_evicts_any_key_when_full_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    evicting = RedisServer(tmp_path / "lru", "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru").start()
    try:
        with caplog.at_level(logging.WARNING, logger="service.redis_store"):
            RedisStore(evicting.url, PARAMS).close()
        assert (
            f"the Redis store at {evicting.url} evicts any key when full (maxmemory-policy allkeys-lru)" in caplog.text
        )
        caplog.clear()
        admin = redis.Redis(host="127.0.0.1", port=evicting.port)
        admin.config_set("maxmemory-policy", "volatile-lru")  # (it evicts the writer lease, whose TTL is its point)
        with caplog.at_level(logging.WARNING, logger="service.redis_store"):
            RedisStore(evicting.url, PARAMS).close()
        assert "evicts keys with a time to live when full (maxmemory-policy volatile-lru)" in caplog.text
        caplog.clear()
        admin.config_set("maxmemory-policy", "noeviction")
        with caplog.at_level(logging.WARNING, logger="service.redis_store"):
            store = RedisStore(evicting.url, PARAMS)
            store.check()
        assert "evicts" not in caplog.text
        admin.config_set("maxmemory-policy", "allkeys-lfu")  # changed under a running server
        with caplog.at_level(logging.WARNING, logger="service.redis_store"):
            store.check()  # (what health asks every --store-check-seconds)
            store.check()
        assert caplog.text.count("evicts any key when full (maxmemory-policy allkeys-lfu)") == 1
        store.close()
    finally:
        evicting.stop()


def _learned_counts(url: str) -> dict[int, int]:
    """How many sampled shingles have each group count (nd:sg:*, HINCRBY'd once per story by a commit)."""
    counts: dict[int, int] = {}
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=b"nd:sg:*"):
        for value in client.hvals(key):
            counts[int(value)] = counts.get(int(value), 0) + 1
    client.close()
    return counts


def test_a_commit_redis_stalls_on_is_applied_once_and_the_caller_told_it_may_be_stored(tmp_path: Path) -> None:
    """redis-py's retry sent a commit again after its socket timed out on a stalled Redis, and Redis ran
    both once it went on: one story's counts doubled, so its text was learned as boilerplate early."""
    first, second = synthetic_articles(2, seed=5)[:2]
    with _engine_on_a_redis_to_stall(tmp_path) as (server, store, engine):
        store._commit_standalone = _nth_on_a_stalled_redis(server, 1, 1.5, store._commit_standalone)  # type: ignore[method-assign]
        with pytest.raises(Unavailable, match="may or may not be stored; send them again"):
            engine.index(DETECTOR.prepare(first), timeout=30)
        wait_for(lambda: _redis_answers(server.url), what="the stalled Redis to answer again")
        assert set(_learned_counts(server.url)) == {1}  # the commit ran once, after Redis went on
        started = time.monotonic()
        assert engine.index(DETECTOR.prepare(first), timeout=30).id == first.id  # the re-send the message asks for
        assert time.monotonic() - started < 5  # the stalled write's lease, left held, is released, not waited out
        assert engine.index(DETECTOR.prepare(second), timeout=30).id == second.id
        assert set(_learned_counts(server.url)) == {1}
        assert engine.get(first.id).article.body == first.body


def _nth_on_a_stalled_redis(server: RedisServer, n: int, seconds: float, call: Callable[..., T]) -> Callable[..., T]:
    """`call`, whose `n`th run (from 1) finds Redis stalled (SIGSTOP) for `seconds`: alive, connected, answering
    nothing."""
    runs = itertools.count(1)

    def stalled_at_n(*args: Any) -> T:
        if next(runs) == n and server.proc is not None:
            server.proc.send_signal(signal.SIGSTOP)
            threading.Timer(seconds, server.proc.send_signal, (signal.SIGCONT,)).start()
        return call(*args)

    return stalled_at_n


@contextmanager
def _engine_on_a_redis_to_stall(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisStore, Engine]]:
    """An engine on a redis-server of its own, which the test may stall (SIGSTOP): woken, closed and stopped at the
    end whatever happened."""
    server = RedisServer(tmp_path / "r").start()
    assert server.proc is not None
    store = RedisStore(server.url, PARAMS, socket_timeout=0.3)
    engine = Engine(DETECTOR, store)
    try:
        yield server, store, engine
    finally:
        server.proc.send_signal(signal.SIGCONT)
        engine.close()
        server.stop()


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=0.2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def test_an_index_emptied_under_a_running_server_is_said_and_recorded_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis restarted without persistence (or flushed) under a running server: its record of the index's
    parameters went too, so a server of other parameters started and mixed its shingles into the index."""
    with redis_server(tmp_path / "redis") as server:
        store = RedisStore(server.url, PARAMS)
        engine = Engine(DETECTOR, store)
        try:
            ingest(engine, synthetic_articles(3, seed=2))
            engine.check_store()
            redis.Redis(host="127.0.0.1", port=server.port).flushall()
            with caplog.at_level(logging.ERROR, logger="service.redis_store"):
                engine.check_store()  # (what health asks every --store-check-seconds)
            assert "is gone (its record nd:meta is missing" in caplog.text and "Ingest them again" in caplog.text
            assert engine.stats().articles == 0
            with pytest.raises(IncompatibleIndex, match="num_perm: Redis index has 128, settings say 64"):
                RedisStore(server.url, replace(PARAMS, num_perm=64, lsh_bands=16, lsh_rows=4))
            first = synthetic_articles(1, seed=9)[0]
            assert engine.index(DETECTOR.prepare(first), timeout=30).id == first.id  # and it goes on
        finally:
            engine.close()


def _flushed(admin: redis.Redis) -> None:
    admin.flushdb()


def _record_evicted(admin: redis.Redis) -> None:
    admin.delete(META)


def _recorded_again_by_an_older_server(admin: redis.Redis) -> None:
    """What a version before identities does on finding the index gone: it records the parameters, no identity."""
    admin.flushdb()
    admin.set(META, json.dumps({**PARAMS.recorded(), "layout": redis_store.LAYOUT}, sort_keys=True))


@pytest.mark.parametrize("empty", [_flushed, _record_evicted, _recorded_again_by_an_older_server])
def test_every_server_on_an_emptied_index_says_once_that_its_articles_are_lost(
    empty: Callable[[redis.Redis], None], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two servers on one Redis: each finds out, whichever looks first. Only the first did: it recorded the
    index again, and the other then found the record there and said nothing."""
    with redis_server(tmp_path / "redis") as server:
        first, second = (Engine(DETECTOR, RedisStore(server.url, PARAMS)) for _ in range(2))
        try:
            ingest(first, synthetic_articles(3, seed=2))
            admin = redis.Redis(host="127.0.0.1", port=server.port)
            empty(admin)
            left = len(list(admin.scan_iter(match=b"nd:a:*")))  # (0 but when the record alone was evicted)
            with caplog.at_level(logging.ERROR, logger="service.redis_store"):
                for engine in (first, second, first, second):  # (what health asks every --store-check-seconds)
                    engine.check_store()
            said = [r.getMessage() for r in caplog.records if _said_lost(r.getMessage())]
            # The first to look finds the index gone and records it anew; the other then finds it replaced.
            assert len(said) == 2 and "is gone" in said[0] and "the articles stored before are lost" in said[0], said
            assert "was replaced" in said[1] and f"It holds {left} articles now" in said[1], said
            late = synthetic_articles(1, seed=9, prefix="late")[0]
            assert second.index(DETECTOR.prepare(late), timeout=30).id == late.id  # both go on with the new index
            assert first.get(late.id).article.body == late.body
            assert first.stats().articles == second.stats().articles == left + 1
            assert len([r for r in caplog.records if _said_lost(r.getMessage())]) == 2  # (a write checks it too)
        finally:
            first.close()
            second.close()


def _said_lost(message: str) -> bool:
    """Whether a log message says the index a server opened is gone, or was replaced by another copy."""
    return "is gone" in message or "was replaced" in message


def test_a_server_finding_the_index_gone_in_several_threads_at_once_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Its writer (under the lease) and its health check both look: one of them says it, the other finds the new
    identity."""
    with redis_server(tmp_path / "redis") as server:
        store = RedisStore(server.url, PARAMS)
        redis.Redis(host="127.0.0.1", port=server.port).flushdb()
        at_once = threading.Barrier(8)

        def check() -> None:
            at_once.wait(timeout=10)
            store.check()

        with caplog.at_level(logging.ERROR, logger="service.redis_store"), ThreadPoolExecutor(8) as pool:
            for done in [pool.submit(check) for _ in range(8)]:
                done.result(timeout=30)
        assert caplog.text.count("is gone") == 1 and "was replaced" not in caplog.text, caplog.text
        store.close()


def test_an_index_recorded_before_identities_gets_one_and_is_not_called_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Servers opening it at once agree on one identity: none of them takes another's for a loss."""
    with redis_server(tmp_path / "redis") as server:
        engine = Engine(DETECTOR, RedisStore(server.url, PARAMS))
        articles = synthetic_articles(3, seed=2)
        ingest(engine, articles)
        engine.close()
        admin = redis.Redis(host="127.0.0.1", port=server.port)
        admin.delete(redis_store.EPOCH)  # (as a version before identities left it)
        with caplog.at_level(logging.ERROR, logger="service.redis_store"), ThreadPoolExecutor(4) as pool:
            stores = list(pool.map(lambda _: RedisStore(server.url, PARAMS), range(4)))  # opened at once
            for store in stores + stores:
                store.check()
            assert not _said_lost(caplog.text)
            assert admin.get(redis_store.EPOCH) is not None
            with stores[0].read() as tx:
                assert tx.count() == len(articles)
        for store in stores:
            store.close()


def test_servers_opening_a_new_index_at_once_take_one_identity(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each finds no record and draws an identity: one of them stands, and no server takes it for a loss."""
    with redis_server(tmp_path / "redis") as server:
        with caplog.at_level(logging.ERROR, logger="service.redis_store"), ThreadPoolExecutor(6) as pool:
            stores = list(pool.map(lambda _: RedisStore(server.url, PARAMS), range(6)))
            for store in stores + stores:
                store.check()
        assert not _said_lost(caplog.text)
        for store in stores:
            store.close()


def test_the_acl_the_docs_give_is_enough_and_one_without_a_command_stops_a_start_or_a_write(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as server:
        admin: Any = redis.Redis(host="127.0.0.1", port=server.port)  # (execute_command is untyped)
        least = "~nd:* +@read +@write +@scripting +@connection +info +wait +config|get".split()
        admin.execute_command("ACL", "SETUSER", "neardup", "on", ">s3cret", *least)
        admin.execute_command("ACL", "SETUSER", "lacking", "on", ">s3cret", *[w for w in least if w != "+info"])
        url = f"redis://neardup:s3cret@127.0.0.1:{server.port}/0"
        engine = Engine(DETECTOR, RedisStore(url, PARAMS))
        try:
            articles = synthetic_articles(4, seed=3)
            verdicts = ingest(engine, articles)
            assert engine.stats().articles == len(articles) and any(v.matches for v in verdicts)
            engine.check_store()
            assert engine.get(verdicts[0].id).article.id == verdicts[0].id
            # An ACL narrowed under the server, refusing a command the write's script runs after others: Redis undoes
            # none of those, so the delete may or may not be done (it said "the article was not deleted").
            admin.execute_command("ACL", "SETUSER", "neardup", "-hincrby")
            # Sent again before the ACL is mended, it is refused again: said so, not "send them again" alone.
            with pytest.raises(Unavailable, match=r"run a command it needs .*\+config\|get: the articles may or may "
                               r"not be stored; send them again .*, but only once the operator has done as this says "
                               r"\(sent before, it is refused again\)$"):  # fmt: skip
                ingest(engine, synthetic_articles(1, seed=4))
        finally:
            engine.close()
        with pytest.raises(ValueError, match=r"--redis-url: .* does not let neardup's user run a command it needs"):
            RedisStore(f"redis://lacking:s3cret@127.0.0.1:{server.port}/0", PARAMS)


def test_a_user_that_may_not_read_the_eviction_policy_starts_and_is_warned_once_that_it_cannot_be_checked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Managed Redis services often forbid CONFIG: the start goes on. Before, the eviction check silently did
    nothing, and the docs said a user missing any command of the ACL stops the start."""
    with redis_server(tmp_path / "redis") as server:
        admin: Any = redis.Redis(host="127.0.0.1", port=server.port)  # (execute_command is untyped)
        without_config = "~nd:* +@read +@write +@scripting +@connection +info +wait".split()
        admin.execute_command("ACL", "SETUSER", "narrow", "on", ">s3cret", *without_config)
        admin.config_set("maxmemory-policy", "allkeys-lru")  # (what it cannot see)
        with caplog.at_level(logging.WARNING, logger="service.redis_store"):
            engine = Engine(DETECTOR, RedisStore(f"redis://narrow:s3cret@127.0.0.1:{server.port}/0", PARAMS))
            try:
                ingest(engine, synthetic_articles(2, seed=3))  # it serves
                engine.check_store()
                engine.check_store()
            finally:
                engine.close()
        said = [r.getMessage() for r in caplog.records if "maxmemory-policy" in r.getMessage()]
        assert len(said) == 1 and "cannot warn if Redis may evict" in said[0] and "noeviction" in said[0], said


def test_a_server_deciding_with_other_thresholds_than_the_one_before_it_is_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with redis_server(tmp_path / "redis") as server:
        with caplog.at_level(logging.WARNING, logger="service.redis_store"):
            RedisStore(server.url, PARAMS).close()
            RedisStore(server.url, PARAMS).close()
            assert "other thresholds" not in caplog.text
            RedisStore(server.url, replace(PARAMS, min_containment=0.95, boilerplate_after=50)).close()
        assert "was last opened by a server deciding with other thresholds" in caplog.text
        assert '"min_containment": 0.5' in caplog.text and '"min_containment": 0.95' in caplog.text


def test_waiting_for_more_replicas_than_redis_has_is_warned_of_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with redis_server(tmp_path / "redis") as server, caplog.at_level(logging.WARNING, logger="service.redis_store"):
        RedisStore(server.url, PARAMS, wait_replicas=1).close()
    assert "has 0 replica(s) connected, and --redis-wait-replicas asks every write to wait for 1" in caplog.text


def test_a_cluster_commit_cut_short_after_its_journal_tells_its_caller_it_may_be_stored(
    redis_cluster_nodes: list[RedisServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RedisStore(redis_cluster_nodes[0].url, PARAMS)
    store.clear()
    engine = Engine(DETECTOR, store)
    apply, cut = store.apply, threading.Event()

    def first_phase_cut_short(commands: list[redis_store.Command]) -> None:
        if not cut.is_set():
            cut.set()
            raise Unavailable("the shared Redis store is not answering; nothing was stored by this call")
        apply(commands)

    try:
        monkeypatch.setattr(store, "apply", first_phase_cut_short)
        first, second = synthetic_articles(2, seed=8)[:2]
        with pytest.raises(Unavailable, match="may or may not be stored; send them again"):
            engine.index(DETECTOR.prepare(first), timeout=30)
        assert store.client.exists(JOURNAL) == 1
        assert engine.index(DETECTOR.prepare(second), timeout=30).id == second.id  # which finishes the first
        assert engine.get(first.id).article.body == first.body
        assert store.audit() == []
    finally:
        engine.close()


def test_a_lease_whose_request_redis_stalled_on_is_released_by_the_next_write_not_waited_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _engine_on_a_redis_to_stall(tmp_path) as (server, store, engine):
        monkeypatch.setattr(store, "_took_lease", _nth_on_a_stalled_redis(server, 1, 1.0, store._took_lease))
        first, second = synthetic_articles(2, seed=4)[:2]
        with pytest.raises(Unavailable):
            engine.index(DETECTOR.prepare(first), timeout=30)
        wait_for(lambda: _redis_answers(server.url), what="the stalled Redis to answer again")
        held = redis.Redis.from_url(server.url).get(redis_store.LOCK)
        started = time.monotonic()
        assert engine.index(DETECTOR.prepare(second), timeout=30).id == second.id
        assert held is not None and time.monotonic() - started < 5  # (the lease lasts 10 s)


def test_a_server_does_not_write_into_an_index_a_server_of_other_parameters_recorded_as_its_own(
    tmp_path: Path,
) -> None:
    with redis_server(tmp_path / "redis") as server:
        engine = Engine(DETECTOR, RedisStore(server.url, PARAMS))
        try:
            ingest(engine, synthetic_articles(2, seed=6))
            redis.Redis(host="127.0.0.1", port=server.port).flushall()
            RedisStore(server.url, replace(PARAMS, num_perm=64, lsh_bands=16, lsh_rows=4)).close()  # first to record
            late = synthetic_articles(1, seed=12)[0]
            with pytest.raises(IncompatibleIndex, match="num_perm: Redis index has 64, settings say 128"):
                engine.index(DETECTOR.prepare(late), timeout=30)
            assert redis.Redis(host="127.0.0.1", port=server.port).exists(article_key(late.id)) == 0
        finally:
            engine.close()


@pytest.fixture(params=["standalone"])
def standalone_url(request: pytest.FixtureRequest) -> str:
    return cleared_index_url(request, db=2)


def test_a_group_listed_while_it_moves_away_and_back_is_always_listed_whole(standalone_url: str) -> None:
    # An earlier-published copy indexed, then deleted, moves the group to it and back. The record, the group's
    # size and its members are read in turns, so a listing between them read the group empty, short, or
    # without the article asked for (9 % of listings), where the embedded store reads one snapshot.
    engine = Engine(DETECTOR, RedisStore(standalone_url, PARAMS))
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    members = [replace(a, published=t0 + timedelta(hours=1 + n)) for n, a in enumerate(copies(4))]
    earliest, members = replace(members[0], id="early", published=t0), members[1:]
    answers: list[tuple[str, int, list[str]]] = []
    try:
        for article in members:
            engine.index(DETECTOR.prepare(article))
        done = threading.Event()

        def move_the_group_away_and_back() -> None:
            try:
                for _ in range(60):
                    engine.index(DETECTOR.prepare(earliest))
                    engine.delete("early")
            finally:
                done.set()

        mover = threading.Thread(target=move_the_group_away_and_back)
        mover.start()
        while not done.is_set():
            page = engine.group_members("copy1", 100)
            answers.append((page.original, page.total, [m.id for m in page.members]))
        mover.join()
    finally:
        engine.close()
    assert len(answers) >= 50
    wrong = [a for a in answers if a[1] != len(a[2]) or "copy1" not in a[2] or a[2][0] != a[0]]
    assert wrong == []
    assert {original for original, _, _ in answers} == {"copy1", "early"}  # (both states were listed)


def test_a_replica_asking_for_the_writer_lease_gets_it_within_a_turn_of_a_replica_writing_back_to_back(
    redis_url: str,
) -> None:
    # The lease was a race of SET NX polls: a replica that had just released it took it again at once, while one
    # waiting polled every 20 ms, so it waited up to 11 s (tens of the busy replica's turns) beside two streams.
    busy, other = RedisStore(redis_url, PARAMS), RedisStore(redis_url, PARAMS)
    commits, stop = [0], threading.Event()

    def write_back_to_back() -> None:
        while not stop.is_set():
            with busy.write() as tx:
                tx.count_groups(np.array([commits[0]], dtype=np.uint32))  # (something to commit)
            commits[0] += 1

    writer = threading.Thread(target=write_back_to_back)
    writer.start()
    turns_waited = []
    try:
        assert until(lambda: commits[0] >= 3)
        for n in range(20):
            asked = commits[0]
            with other.write() as tx:
                turns_waited.append(commits[0] - asked)  # the busy replica's commits while this one waited
                tx.count_groups(np.array([1_000_000 + n], dtype=np.uint32))
    finally:
        stop.set()
        writer.join()
        busy.close()
        other.close()
    assert commits[0] > 20  # (it did write back to back all along)
    assert max(turns_waited) <= 2, turns_waited


def test_a_purge_whose_commit_redis_stalls_on_says_which_ids_may_be_deleted_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # It answered with the index's wording ("the articles may or may not be stored; send them again") though 200
    # ids were deleted, and the replica logged nothing.
    articles = synthetic_articles(120, seed=13)[:230]
    ids = [a.id for a in articles]
    with _engine_on_a_redis_to_stall(tmp_path) as (server, store, engine):
        ingest(engine, articles)
        store._commit_standalone = _nth_on_a_stalled_redis(server, 3, 1.5, store._commit_standalone)  # type: ignore[method-assign]
        with pytest.raises(Unavailable) as cut:
            engine.delete_all(ids)
        said = str(cut.value)
        assert "200 of the 230 distinct ids named were dealt with before it (those stored are deleted)" in said
        assert "its own ids (up to 100) may or may not be deleted" in said
        assert "the call answers NOT_FOUND for every id deleted" in said
        assert "stored twice" not in said and "send them again" not in said
        assert "a delete of 230 articles was cut short after 200" in caplog.text
        wait_for(lambda: _redis_answers(server.url), what="the stalled Redis to answer again")
        # Sent again: NOT_FOUND for those deleted (the stalled commit ran once Redis went on), and none left.
        assert engine.delete_all(ids) == [False] * 230
        assert engine.stats().articles == 0


def test_a_delete_whose_commit_redis_stalls_on_says_the_article_may_be_deleted(tmp_path: Path) -> None:
    article = synthetic_articles(1, seed=14)[0]
    with _engine_on_a_redis_to_stall(tmp_path) as (server, store, engine):
        ingest(engine, [article])
        store._commit_standalone = _nth_on_a_stalled_redis(server, 1, 1.5, store._commit_standalone)  # type: ignore[method-assign]
        with pytest.raises(Unavailable, match="the article may or may not be deleted: sent again, the delete answers "
                           "NOT_FOUND if it was") as cut:  # fmt: skip
            engine.delete(article.id)
        assert "stored" not in str(cut.value)
        wait_for(lambda: _redis_answers(server.url), what="the stalled Redis to answer again")
        with pytest.raises(NotFound):
            engine.delete(article.id)


def test_reads_and_the_health_check_on_a_stalled_redis_say_nothing_of_storing(tmp_path: Path) -> None:
    # GetStats, GetArticle and the health check said "nothing was stored by this call", as did the health warning.
    with _engine_on_a_redis_to_stall(tmp_path) as (server, _, engine):
        assert server.proc is not None
        server.proc.send_signal(signal.SIGSTOP)
        said = []
        for read in (engine.stats, lambda: engine.get("any"), engine.check_store):
            with pytest.raises(Unavailable, match=r"is not answering .*; retry") as failed:
                read()
            said.append(str(failed.value))
        assert [s for s in said if "stored" in s] == []


@pytest.mark.parametrize("published", [None, datetime(2026, 3, 17, 9, tzinfo=UTC)], ids=["undated", "dated"])
def test_a_correction_of_the_original_under_its_id_keeps_it_the_original(
    redis_url: str, published: datetime | None
) -> None:
    # (a new version was placed as a new arrival, after the copies of its old one, which took the group)
    engine = Engine(DETECTOR, RedisStore(redis_url, PARAMS))
    try:
        checked, indexed = correct_the_original(engine, published, published)
        assert checked.duplicate_of is None and indexed.duplicate_of is None
        assert engine.get("copy").duplicate_of == "wire"
        assert [m.id for m in whole_group(engine, "copy", 1)[2]] == ["wire", "copy"]
    finally:
        engine.close()


def test_a_group_listed_across_corrections_of_its_members_lists_each_once_in_its_place(redis_url: str) -> None:
    engine = Engine(DETECTOR, RedisStore(redis_url, PARAMS))
    try:
        assert listed_across_corrections(engine, datetime(2026, 3, 17, 9, tzinfo=UTC)) == (
            "wire",
            LISTED_GROUP,
            LISTED_GROUP,
        )
        store = engine.store
        assert isinstance(store, RedisStore) and store.audit() == []
        meta = {i: json.loads(store.client.hget(article_key(i), "m")) for i in ("wire", "later")}
        assert meta["wire"]["a"] < meta["wire"]["q"]  # a new version: its first version's arrival
        assert "a" not in meta["later"]  # a first version: its seq, as every record before "a" was written
    finally:
        engine.close()
