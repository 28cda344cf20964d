"""A write whose connection is lost once it was sent (the server killed mid-call) says the write may or may not be
done, as a call past its deadline does: gRPC's "Stream removed (Socket closed)" said nothing of it. And `neardup
delete` stopped so mid-purge says how far it got. A real gRPC server process that exits as a write reaches it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest

from client import Article, NeardupClient, UnavailableError
from tests.articles import WIRE


@contextmanager
def _dying_server(die_at: int = 1) -> Iterator[str]:
    """The address of tests/dying_server.py, which exits when the `die_at`th write reaches it."""
    command = [sys.executable, "-m", "tests.dying_server", "--die-at", str(die_at)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            yield f"127.0.0.1:{int(server.stdout.readline())}"
        finally:
            server.kill()


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda c: c.index(Article("a1", WIRE)), "the article may or may not be stored: sending it again is safe"),
        (lambda c: c.delete("a1"), "the article may or may not be deleted: deleting it again is safe"),
        (lambda c: c.delete_many(["a1", "a2"]), "this call's articles may or may not be deleted"),
    ],
    ids=["index", "delete", "delete_many"],
)
def test_a_write_whose_server_died_once_it_was_sent_may_or_may_not_be_done(call: object, said: str) -> None:
    with _dying_server() as target, NeardupClient(target, timeout=30) as client:
        client.wait_ready(10)
        with pytest.raises(UnavailableError) as raised:
            call(client)  # type: ignore[operator]
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert f"the connection was lost once the call was sent, so {said}" in raised.value.details


def test_a_check_whose_server_is_not_there_says_nothing_of_a_write() -> None:
    # (the words are for a call that reached a server; one that reached none did nothing)
    with NeardupClient("127.0.0.1:9", timeout=5) as client, pytest.raises(UnavailableError) as raised:
        client.index(Article("a1", WIRE))
    assert "may or may not" not in raised.value.details


def test_delete_stopped_by_a_server_gone_mid_purge_says_how_far_it_got() -> None:
    # (it said only "neardup: UNAVAILABLE: Stream removed (Socket closed)": 1,000 lines printed, and 400 ids of the
    # second call deleted with no word of them)
    ids = [f"d{i}" for i in range(1500)]
    with _dying_server(die_at=2) as target:
        ended = subprocess.run([sys.executable, "-m", "client.cli", "delete", *ids, "--server", target],
                               capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ended.returncode == 2, ended.stderr
    assert len(ended.stdout.splitlines()) == 1000
    said = ended.stderr.splitlines()
    assert "so this call's articles may or may not be deleted" in said[0]
    assert said[1] == ("neardup delete: stopped once 1,000 ids were answered (printed above), at a call of 500 ids. "
                       "To go on, run the same command again with --missing-ok (deleting again is safe: an id deleted "
                       "already is answered not stored)")  # fmt: skip
