"""A TCP forwarder on a loopback port, for tests of a server that answered and then went silent: it passes bytes
both ways to a real server until `black_hole()`, which closes every connection it forwards (the client has to
connect again) and from then on takes new connections and never reads, forwards or answers anything on them, as
a process hung or stopped whose listening socket is still open. Bounded: at most `max_connections` connections in
all; every socket and thread is closed and joined when its with block ends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType
from typing import Self

_CHUNK = 65536
_ACCEPT_POLL = 0.05  # (the accept loop's socket timeout: how soon it sees the proxy closed)
_JOIN_SECONDS = 5.0


class BlackHoleProxy:
    def __init__(self, upstream: str, max_connections: int = 32) -> None:
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        self._listener.settimeout(_ACCEPT_POLL)
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._max_connections = max_connections
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._silent = False
        self._forwarded: list[socket.socket] = []  # (both ends of each forwarded connection)
        self._held: list[socket.socket] = []  # (connections taken in black-hole mode, never read)
        self._taken = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self.connections = 0  # taken in all

    def __enter__(self) -> Self:
        self._start(self._accepting)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def held(self) -> int:
        """How many connections were taken in black-hole mode."""
        with self._lock:
            return len(self._held)

    def black_hole(self) -> None:
        """Close every forwarded connection (both ends), and from now on take connections and do nothing more."""
        with self._lock:
            self._silent = True
            ends, self._forwarded = self._forwarded, []
        for end in ends:
            _close(end)

    def wait_held(self, count: int, timeout: float) -> bool:
        """Wait until `count` connections were taken in black-hole mode; False if `timeout` passed first."""
        with self._taken:
            return self._taken.wait_for(lambda: len(self._held) >= count, timeout)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            ends, self._forwarded = self._forwarded + self._held, []
            self._held = []
        for end in ends:
            _close(end)
        for thread in self._threads:
            thread.join(_JOIN_SECONDS)
        self._listener.close()
        alive = [thread.name for thread in self._threads if thread.is_alive()]
        assert not alive, f"proxy threads still running: {alive}"

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accepting(self) -> None:
        while not self._closed.is_set() and self.connections < self._max_connections:
            try:
                taken, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with self._lock:
                if self._closed.is_set():
                    _close(taken)
                    return
                if self._silent:
                    self._held.append(taken)  # (never read: the client waits for a handshake that never begins)
                    self._taken.notify_all()
                    continue
            try:
                upstream = socket.create_connection(self._upstream, timeout=_JOIN_SECONDS)
            except OSError:
                _close(taken)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._silent or self._closed.is_set():  # (black-holed meanwhile: not forwarded)
                    _close(taken)
                    _close(upstream)
                    continue
                self._forwarded += [taken, upstream]
            self._start(_pump, taken, upstream)
            self._start(_pump, upstream, taken)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Pass `source`'s bytes to `sink` until either ends; then close both."""
    try:
        while chunk := source.recv(_CHUNK):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(end: socket.socket) -> None:
    with suppress(OSError):
        end.shutdown(socket.SHUT_RDWR)  # (wakes a thread blocked in recv on it, which close alone may not)
    end.close()
