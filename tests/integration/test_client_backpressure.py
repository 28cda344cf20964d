"""An index stream reads the caller's articles no further ahead of the answers the caller took than its
window: a caller that pauses does not have its whole source read into memory meanwhile (a real server on
loopback, the window made small so that the bound shows)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from client import Article, api
from client.resume import Unanswered
from tests.support import in_process_server, until

WINDOW = 8
ARTICLES = 60


@pytest.fixture
def streams(monkeypatch: pytest.MonkeyPatch) -> list[Unanswered[Article]]:
    """Each stream's record of its unanswered articles, as the client makes them, with a small window."""
    made: list[Unanswered[Article]] = []

    def recorded(source: Iterable[Article], window: int) -> Unanswered[Article]:
        made.append(Unanswered(source, window))
        return made[-1]

    monkeypatch.setattr(api, "STREAM_WINDOW", WINDOW)
    monkeypatch.setattr(api, "Unanswered", recorded)
    return made


class Source:
    """Articles, counting those read."""

    def __init__(self) -> None:
        self.read = 0

    def __iter__(self) -> Iterator[Article]:
        for n in range(ARTICLES):
            self.read += 1
            yield Article(f"bp{n}", f"Bulletin {n}: the ferry to the island leaves at {n % 24} o'clock from pier {n}.")


@pytest.mark.parametrize(("batch", "workers"), [(1, 0), (4, 0), (4, 1)])
def test_a_paused_caller_has_no_more_than_the_window_read_ahead(
    tmp_path: Path, streams: list[Unanswered[Article]], batch: int, workers: int
) -> None:
    source = Source()
    with in_process_server(tmp_path, fingerprint_workers=workers) as (_running, client):
        outcomes = client.index_stream(source, batch=batch)
        taken = [next(outcomes).id for _ in range(3)]
        # The caller pauses: the sending thread reads on until the window is full, then waits for an answer.
        assert until(lambda: streams[0].waiting_for_room)
        assert source.read == len(taken) + WINDOW
        taken += [o.id for o in outcomes]
    assert taken == [f"bp{n}" for n in range(ARTICLES)]  # (resumed: every article answered, in order)


@pytest.mark.parametrize("workers", [0, 1])
def test_a_stream_left_while_its_reader_waits_for_room_stops_reading(
    tmp_path: Path, streams: list[Unanswered[Article]], workers: int
) -> None:
    source = Source()
    with in_process_server(tmp_path, fingerprint_workers=workers) as (_running, client):
        outcomes = client.index_stream(source)
        next(outcomes)
        assert until(lambda: streams[0].waiting_for_room)
        outcomes.close()  # (the caller leaves: the reader must not wait for ever, holding gRPC's thread)
        assert until(lambda: not streams[0].waiting_for_room)
        assert source.read == 1 + WINDOW
