"""A server that answered this client, and then, on a new connection, takes the TCP connection and never begins
gRPC's handshake (a process hung or stopped, its listening socket still open): the call that fails so says that it
reached no server, that nothing was stored, and that the server had answered (is it hung or stopped?), not that the
port may be a wrong one. A real server on a loopback port, behind a loopback forwarder that goes silent
(tests/proxy.py); the silent listener that never answered is tests/integration/test_client_silent_listener.py."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from client import Article, DeadlineExceededError, NeardupClient, UnavailableError
from client.api import _connectivity
from client.errors import reached_no_server
from service.grpc_server import RunningServer
from tests.articles import WIRE
from tests.proxy import BlackHoleProxy
from tests.support import until

# What a call whose 1 s timeout passed while its new connection to {target} never began gRPC's handshake says after
# its own words, of a server that had answered this client.
CAUSE = (
    "no connection to {target} completed gRPC's handshake in that time, so the call reached no server{stored} (the "
    "server at {target} had answered on an earlier connection: is it hung or stopped?)"
)


@pytest.fixture
def proxy(server: tuple[RunningServer, NeardupClient]) -> Iterator[BlackHoleProxy]:
    """A forwarder on a loopback port to a real server (in this process, on a port of its own)."""
    with BlackHoleProxy(f"127.0.0.1:{server[0].port}") as forwarder:
        yield forwarder


def _gone_silent(proxy: BlackHoleProxy, channel: grpc.Channel) -> None:
    """Black-hole `proxy`, and wait until `channel` saw its connection closed (a call made before would be sent on
    it, and fail otherwise)."""
    proxy.black_hole()
    assert until(lambda: _connectivity(channel) is not grpc.ChannelConnectivity.READY, timeout=5)


def test_a_check_to_a_server_that_answered_and_then_never_begins_the_handshake_asks_whether_it_is_hung(
    proxy: BlackHoleProxy,
) -> None:
    target = proxy.address
    with NeardupClient(target, timeout=1) as client:
        client.check(Article("c0", WIRE))  # (answered: a connection through the proxy completed the handshake)
        _gone_silent(proxy, client._channel)
        with pytest.raises(DeadlineExceededError) as caught:
            client.check(Article("c1", WIRE))
    error = caught.value
    assert proxy.held >= 1  # (the call's new connection was taken, and never answered)
    assert error.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert error.details == (
        f"no answer came within the client's timeout of 1 s, and {CAUSE.format(target=target, stored='')}"
    )
    assert "main port" not in error.details  # (it had answered there: not a wrong port)
    assert reached_no_server(error)
    assert error.retryable  # (a process stopped may come back, and nothing was sent)


def test_an_index_to_a_server_that_answered_and_then_never_begins_the_handshake_says_it_was_not_stored(
    proxy: BlackHoleProxy,
) -> None:
    target = proxy.address
    with NeardupClient(target, timeout=1) as client:
        assert client.index(Article("i0", WIRE)).outcome == "new"
        _gone_silent(proxy, client._channel)
        with pytest.raises(DeadlineExceededError) as caught:
            client.index(Article("i1", WIRE))
    assert caught.value.details == (
        "no answer came within the client's timeout of 1 s, and "
        f"{CAUSE.format(target=target, stored=', and it was not stored')}"
    )
    assert "may or may not" not in caught.value.details
    assert reached_no_server(caught.value)


def test_grpcs_own_give_up_on_a_server_that_had_answered_asks_whether_it_is_hung(proxy: BlackHoleProxy) -> None:
    # gRPC gives up a connection whose handshake did not begin after its connect timeout (1 s on this channel; 20 s
    # by default), failing the call UNAVAILABLE "… timed out before receiving SETTINGS frame": of a server that had
    # answered, no word of a wrong port.
    target = proxy.address
    channel = grpc.insecure_channel(target, options=[("grpc.min_reconnect_backoff_ms", 1000)])
    with NeardupClient(target, timeout=10, channel=channel) as client:
        assert client.health() == "SERVING"
        _gone_silent(proxy, channel)
        with pytest.raises(UnavailableError) as caught:
            client.health()
    assert caught.value.details.endswith(
        f"timed out before receiving SETTINGS frame (the server at {target} had answered on an earlier connection: "
        "is it hung or stopped?)"
    ), caught.value.details
    assert reached_no_server(caught.value)
