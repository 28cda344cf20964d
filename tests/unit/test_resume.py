"""Resending a failed stream's unanswered articles; batch messages capped in bytes; articles too big to send."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from client.api import MAX_BATCH_BYTES, Article, NeardupClient, article_batches
from client.errors import InvalidArgumentError
from client.resume import PUSHBACK_CAP, Retry, Unanswered
from tests.support import until


def test_a_new_attempt_resends_what_was_not_answered_then_reads_on() -> None:
    pending = Unanswered(range(10), window=100)
    first = pending.attempt()
    assert [next(first) for _ in range(4)] == [0, 1, 2, 3]
    assert pending.answered() == 0  # 0 answered (the item is handed back); 1, 2, 3 were sent when the stream failed
    second = pending.attempt()
    assert list(first) == []  # the failed attempt's iterator reads no more of the source
    assert [next(second) for _ in range(5)] == [1, 2, 3, 4, 5]
    assert len(pending) == 5


def test_an_item_read_by_the_failed_attempt_before_the_retry_is_resent_not_lost() -> None:
    pending = Unanswered(range(5), window=100)
    first = pending.attempt()
    assert next(first) == 0
    assert next(first) == 1  # read just before the failure was noticed: recorded all the same
    assert list(pending.attempt()) == [0, 1, 2, 3, 4]


def counted(read: list[int]) -> Iterator[int]:
    """0, 1, 2, ... recording in `read` each one read."""
    n = 0
    while True:
        read.append(n)
        yield n
        n += 1


def test_no_more_than_the_window_is_read_ahead_of_the_answers_and_an_answer_makes_room() -> None:
    read: list[int] = []
    pending = Unanswered(counted(read), window=3)
    requests = pending.attempt()
    assert [next(requests) for _ in range(3)] == [0, 1, 2]
    with ThreadPoolExecutor(1) as pool:
        fourth = pool.submit(next, requests)  # (gRPC's sending thread, asking for the next request)
        assert until(lambda: pending.waiting_for_room)
        assert read == [0, 1, 2] and not fourth.done()  # the source is not read while the window is full
        pending.answered()
        assert fourth.result(timeout=10) == 3
    assert read == [0, 1, 2, 3] and len(pending) == 3


@pytest.mark.parametrize("how", ["a new attempt", "close"])
def test_a_reader_waiting_for_room_stops_when_its_attempt_is_stale_or_the_stream_is_closed(how: str) -> None:
    read: list[int] = []
    pending = Unanswered(counted(read), window=2)
    first = pending.attempt()
    assert [next(first) for _ in range(2)] == [0, 1]
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(list, first)  # (the rest of the stale attempt's requests: none)
        assert until(lambda: pending.waiting_for_room)
        if how == "close":
            pending.close()
            assert waiting.result(timeout=10) == [] and read == [0, 1]
            return
        second = pending.attempt()
        assert waiting.result(timeout=10) == []
    assert read == [0, 1]
    # The new attempt resends the unanswered, and reads on only as answers make room.
    assert [next(second) for _ in range(2)] == [0, 1]
    pending.answered()
    assert next(second) == 2 and read == [0, 1, 2]


def test_the_wait_doubles_up_to_its_cap() -> None:
    retry = Retry(attempts=6, first_wait=0.5, max_wait=3.0)
    assert [retry.wait(n, draw=lambda: 0.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_waits_are_spread_so_pipelines_cut_off_together_do_not_come_back_together() -> None:
    # With no jitter, every pipeline a restart cut off came back at the same instants, wave after wave.
    retry = Retry(first_wait=0.5, max_wait=10.0, jitter=0.25)
    waits = [retry.wait(6) for _ in range(200)]  # (0.5 s doubled 5 times, capped: 10 s)
    assert all(7.5 < w <= 10.0 for w in waits)
    assert len(set(waits)) > 100
    assert Retry(jitter=0).wait(3) == 2.0


def test_a_servers_retry_pushback_decides_the_pause_before_the_next_try() -> None:
    # gRFC A6: a negative pushback asks for no retry; one of 0 or more for a retry after that long. (Retry waited its
    # backoff whatever the server said: a full store's "-1" was tried again, 8 times.)
    retry = Retry(attempts=3, first_wait=0.5, max_wait=2.0, jitter=0)
    assert [retry.pause(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, None]  # (no pushback: the backoff, 3 retries)
    assert retry.pause(1, -1.0) is None  # (no retry)
    assert retry.pause(1, -0.001) is None
    assert retry.pause(1, 1.5) == 1.5  # (longer than the backoff: the server's wait, not the backoff)
    assert retry.pause(2, 0.2) == 1.0  # (shorter: the backoff)
    assert retry.pause(1, 0.0) == 0.5
    assert retry.longest_pushback == 6.0 == retry.pause(1, 6.0)  # (3 times max_wait, PUSHBACK_CAP)
    assert retry.pause(1, 6.001) is None  # (longer: told at once, neither waited out nor tried sooner than asked)
    assert retry.pause(4, 1.0) is None  # (the retries spent, whatever the server says)
    jittered = Retry(first_wait=0.5, max_wait=10.0, jitter=0.25)
    assert jittered.pause(6, 8.0, draw=lambda: 0.99) == 8.0  # (the pushback is waited as asked, never cut)
    assert PUSHBACK_CAP * Retry().max_wait < sum(Retry(jitter=0).wait(n) for n in range(1, Retry().attempts + 1))


def test_the_waits_a_default_retry_makes_are_bounded_as_its_docs_say() -> None:
    # (Retry's docstring said "up to 45.5 s of waits" whatever the server's pushback: pushbacks of 30 s make 240 s)
    retry = Retry()
    tries = range(1, retry.attempts + 1)
    assert sum(retry.pause(n, draw=lambda: 0.0) or 0 for n in tries) == 45.5  # (no pushback: the backoff's)
    assert retry.longest_pushback == 30.0
    assert sum(retry.pause(n, 30.0) or 0 for n in tries) == 240.0  # (8 waits of the longest pushback)
    assert all(retry.pause(n, 30.001) is None for n in tries)  # (longer: raised at once, never waited)
    doc = " ".join((Retry.__doc__ or "").split())
    assert "up to 45.5 s of waits before its last error is raised, or up to 240 s of waits" in doc


def test_batches_are_capped_in_bytes_and_an_oversized_article_travels_alone() -> None:
    long = "word " * 60_000  # ~300 KB
    articles = [Article(f"a{i}", long) for i in range(7)] + [Article("huge", "x" * (MAX_BATCH_BYTES + 10))]
    articles += [Article(f"s{i}", "short text") for i in range(3)]
    batches = list(article_batches(articles, count=64))
    assert [[a.id for a in b] for b in batches] == [
        ["a0", "a1", "a2"], ["a3", "a4", "a5"], ["a6"], ["huge"], ["s0", "s1", "s2"]
    ]  # fmt: skip
    assert all(sum(a.ByteSize() for a in b) <= MAX_BATCH_BYTES for b in batches if len(b) > 1)
    assert [len(b) for b in article_batches([Article(f"s{i}", "x") for i in range(5)], count=2)] == [2, 2, 1]


def test_a_batch_is_handed_on_when_full_or_when_the_next_article_is_not_to_hand() -> None:
    read: list[str] = []

    def feed() -> Iterator[Article]:
        for i in range(5):
            read.append(f"s{i}")
            yield Article(f"s{i}", "short text")

    # A live feed pausing after s2: its batch waited for 64 articles, or the feed's end.
    batches = article_batches(feed(), count=64, more_ready=lambda: read[-1] != "s2")
    assert [a.id for a in next(batches)] == ["s0", "s1", "s2"]
    assert read[-1] == "s2"  # (handed on without waiting for the next)
    assert [[a.id for a in b] for b in batches] == [["s3", "s4"]]
    # A file's articles are always to hand: full batches, each handed on once full.
    read.clear()
    full = article_batches(feed(), count=2, more_ready=lambda: True)
    assert (len(next(full)), read) == (2, ["s0", "s1"])
    assert [len(b) for b in full] == [2, 1]


def test_an_article_is_refused_unsent_only_if_its_encoded_size_is_over_the_message_limit() -> None:
    with NeardupClient("127.0.0.1:9", max_message_bytes=100_000) as client:  # nothing is sent: no server needed
        fits = Article("e", "é" * 45_000)  # 4 bytes a character would be over; its 90,000 UTF-8 bytes fit
        assert client._unsendable(fits) is None
        failure = client._unsendable(Article("big", "é" * 50_000))
        assert failure is not None and failure.id == "big"
        assert isinstance(failure.error, InvalidArgumentError)
        assert "the article is 100,009 bytes encoded, over the 100,000 bytes a request" in str(failure.error)
        with pytest.raises(InvalidArgumentError, match="not sent"):
            client.index(Article("big", "x" * 100_000))


@pytest.mark.parametrize(
    ("body_bytes", "limit", "said"),
    [
        (70_000, 64 << 10, r"is 70,0\d\d bytes encoded, over the 65,536 bytes a request"),  # (was "0.1 MiB, ...")
        (5 << 20, 4 << 20, r"is 5\.0 MiB encoded, over the 4\.0 MiB a request"),
        (4 << 20, 4 << 20, r"is 4,194,3\d\d bytes encoded, over the 4,194,304 bytes a"),  # (was 4.0 MiB twice)
    ],
)
def test_an_article_too_big_to_send_says_both_sizes_so_they_can_be_told_apart(
    body_bytes: int, limit: int, said: str
) -> None:
    with NeardupClient("127.0.0.1:9", max_message_bytes=limit) as client:
        failure = client._unsendable(Article("big", "x" * body_bytes))
    assert failure is not None and re.search(said, str(failure.error)), failure
    assert "`neardup stats` shows it" in str(failure.error)
