"""How soon the client tries again to reach a server that went away: a restarted server is found within
seconds, not after gRPC's default backoff of up to 120 s (a real listening socket over loopback)."""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.loopback import free_port, wait_for
from client import Article, DeadlineExceededError, NeardupClient, Retry, UnavailableError
from client.api import RECONNECT_MAX_MS
from tests.articles import WIRE
from tests.support import closing_port, in_process_server, until


def test_a_server_that_went_away_is_tried_again_every_few_seconds_at_most() -> None:
    """With gRPC's defaults the gaps grow 1, 1.6, 2.6, 4.1, 6.6 s … up to 120 s: a server back from a 45 s restart
    was refused for 20 s more, past a Retry's attempts, while every call failed at once "Connection refused"."""
    with closing_port() as (port, came), NeardupClient(f"127.0.0.1:{port}") as client:
        with pytest.raises(UnavailableError):
            client.health()  # (the first attempt; gRPC goes on trying by itself)
        wait_for(lambda: len(came) >= 7, timeout=20, what="seven attempts to reach the server")
    gaps = [later - earlier for earlier, later in itertools.pairwise(came)]
    # The cap with its +20% jitter (2.4 s), and 2.1 s for a busy machine's delays: 4.5 s. With gRPC's defaults the
    # fifth wait, the last here, is 6.55 s less its 20% at most: 5.2 s or more. (1.75 times the cap, 3.5 s, left
    # 1.1 s: a gap stretched by a 2.5 s stop of this process passed it.)
    assert max(gaps) < 1.2 * RECONNECT_MAX_MS / 1000 + 2.1, gaps


def test_an_index_whose_retries_reached_no_server_says_it_was_not_stored_and_counts_its_retries() -> None:
    """It said "(the last of 3 attempts; an earlier attempt may have stored it …)" when no try had reached a
    server (gRPC could not connect: nothing was sent), and "3 attempts" of a Retry(attempts=2), whose attempts
    are retries."""
    retried: list[str] = []
    retry = Retry(attempts=2, first_wait=0, max_wait=0, jitter=0)
    with (
        closing_port() as (port, _came),
        NeardupClient(f"127.0.0.1:{port}", timeout=5) as client,
        pytest.raises(UnavailableError) as caught,
    ):
        client.index(Article("a", WIRE), retry=retry, on_retry=lambda error, _n, _wait: retried.append(error.details))
    assert len(retried) == 2
    assert "failed to connect to all addresses" in caught.value.details
    assert caught.value.details.endswith(
        " (after 2 retries, 3 tries in all; none reached a server, so it was not stored)"
    ), caught.value.details
    assert "may have stored" not in caught.value.details
    assert caught.value.retryable  # (a server starting behind a forwarder: worth trying again later)


def test_an_index_stream_that_reached_no_server_says_its_articles_were_not_stored() -> None:
    # (it said they "may or may not be stored", as of a stream cut once its articles were sent)
    with (
        closing_port() as (port, _came),
        NeardupClient(f"127.0.0.1:{port}", timeout=5) as client,
        pytest.raises(UnavailableError) as caught,
    ):
        list(client.index_stream([Article("a", WIRE)], retry=Retry(attempts=1, first_wait=0, max_wait=0, jitter=0)))
    assert "failed to connect to all addresses" in caught.value.details
    assert "may or may not" not in caught.value.details
    if caught.value.unanswered:  # (0 if gRPC failed the call before its thread read the article: said of none)
        assert caught.value.details.endswith("; 1 article sent on the stream was not stored"), caught.value.details
    assert caught.value.may_be_stored == 0  # (what ingest's closing line goes by)


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that takes connections and says nothing on them (a hung process): calls time out."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listener:
        yield listener.getsockname()[1]


def test_an_index_whose_last_try_passed_the_clients_deadline_counts_its_tries() -> None:
    # (the count came only after a try that may have stored the article, or when none reached a server: README says
    # index's error "says how many were made")
    with (
        silent_port() as port,
        NeardupClient(f"127.0.0.1:{port}", timeout=0.3) as client,
        pytest.raises(DeadlineExceededError) as caught,
    ):
        client.index(Article("a", WIRE), retry=Retry(attempts=2, first_wait=0, max_wait=0, jitter=0))
    # (no connection there ever completed gRPC's handshake, so no try was sent: "may or may not be stored" was wrong)
    target = f"127.0.0.1:{port}"
    assert caught.value.details == (
        f"no answer came within the client's timeout of 0.3 s, and no connection to {target} completed gRPC's "
        "handshake in that time, so the call reached no server, and it was not stored (a timeout of 0.3 s may be too "
        f"short to connect in; if not, is {target} neardup's main port? Something that is not a gRPC server, or a "
        "process that is hung or stopped, takes connections and never begins the handshake) (after 2 retries, 3 tries "
        "in all)"
    )


def test_a_deadline_that_passes_while_a_big_article_is_written_is_said_as_the_clients_timeout(tmp_path: Path) -> None:
    # (gRPC then says "Stream removed (Deadline Exceeded)", which was passed on as it was: neither the timeout nor
    # that the article may or may not be stored, as the README promises)
    body = " ".join(f"word{n % 5000}" for n in range(150_000))  # (≈1 MiB: still being written at the deadline)
    said = "no answer came within the client's timeout of 0.001 s, so the article may or may not be stored"
    with (
        in_process_server(tmp_path, max_body_bytes=2 << 20) as (running, _client),
        NeardupClient(f"127.0.0.1:{running.port}", timeout=0.001) as hasty,
    ):
        # (connected first: a call whose deadline passed before the connection was made was not sent, and says so)
        hasty.wait_ready(10)
        for n in range(5):
            with pytest.raises(DeadlineExceededError) as caught:
                hasty.index(Article(f"big{n}", body))
            assert caught.value.details.startswith(said), caught.value.details


def test_a_wait_ready_that_timed_out_leaves_no_thread_watching_the_channel() -> None:
    """gRPC's ready future watches the channel's state in a thread of its own until it is cancelled: one left
    after a timeout kept watching a dead address until the client closed (a pipeline probing a server it waits
    for, once a second, would gather them)."""
    with closing_port() as (port, _), NeardupClient(f"127.0.0.1:{port}") as client:
        before = set(threading.enumerate())
        with pytest.raises(UnavailableError, match="no server at"):
            client.wait_ready(0.2)
        assert until(lambda: set(threading.enumerate()) <= before, timeout=5)


def test_a_port_nothing_listens_on_is_said_to_be_so() -> None:
    """gRPC says "Connection refused" deep in its words; the CLI asks whether `neardup serve` runs there, and the
    Python client now says as much."""
    target = f"127.0.0.1:{free_port()}"
    with NeardupClient(target, timeout=5) as client:
        for call in (client.stats, lambda: client.index(Article("a", WIRE))):
            with pytest.raises(UnavailableError) as caught:
                call()
            assert caught.value.details.endswith(
                f"Connection refused (nothing listens at {target}: is neardup's server running there?)"
            ), caught.value.details
