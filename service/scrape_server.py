"""The HTTP server behind --metrics-port: a WSGI app (prometheus_client's) served by a bounded number of threads.

prometheus_client's own `start_http_server` starts a thread per connection and never times one out: each
idle connection held a thread for ever, and 1,000 of them left the process unable to start threads for
gRPC. Here at most `MOST_CONNECTIONS` connections are open at once, each with a thread; a connection
that sends nothing for `IDLE_SECONDS` is closed, and when all are taken a new connection closes the
oldest one still waiting for its request, so a scraper (which asks at once) gets in past idle ones.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Iterable
from contextlib import suppress
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import make_wsgi_app
from prometheus_client.registry import CollectorRegistry

from service import waits

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

MOST_CONNECTIONS = 8  # scrapes are short and few: this many at once is plenty
IDLE_SECONDS = 5.0  # to send the request, and for each read or write after it
_WAIT_FOR_A_SLOT_SECONDS = 1.0  # when every connection is being answered, before a new one is refused
CONNECTION_THREAD = "metrics-connection"  # the name of each thread that answers a connection


def serve_registry(host: str, port: int, registry: CollectorRegistry) -> ScrapeServer:
    """/metrics for `registry` on host:port (0: a free port), answered from a thread of its own."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    server = ScrapeServer((host, port), family)
    server.set_app(_metrics_only(make_wsgi_app(registry)))
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server


METRICS_PATH = "/metrics"


def _metrics_only(app: WSGIApplication) -> WSGIApplication:
    """`app` at METRICS_PATH, 404 at any other path: prometheus_client's app answers every path with the metrics,
    so an HTTP probe pointed at the port by mistake (/, /healthz) passed whatever the server's state."""

    def answer(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # (the path alone: a request in absolute form, "GET http://host:port/metrics", as a proxy sends it and
        # HTTP/1.1 servers must take, has the whole URL there)
        if urlsplit(environ.get("PATH_INFO", "")).path == METRICS_PATH:
            return app(environ, start_response)
        body = f"Not Found: this port serves Prometheus metrics at {METRICS_PATH} only\n".encode()
        start_response(
            "404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return answer


class _Handler(WSGIRequestHandler):
    timeout = IDLE_SECONDS  # (StreamRequestHandler sets it on the connection: reads and writes time out)
    server: ScrapeServer

    def parse_request(self) -> bool:
        # The request line and headers have come in: from now on the connection is being answered,
        # and is no longer one to close for a newcomer.
        parsed = super().parse_request()
        self.server.answering(self.connection)
        return parsed

    def log_message(self, format: str, *args: Any) -> None:
        """Log no request: Prometheus scrapes every few seconds."""


class ScrapeServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # (and so no list of threads to join kept at close: `close` ends them instead)
    # Connections the kernel holds until accepted (socketserver's 5 made a burst of connections wait a second
    # each, for the client to try again): accepting one takes a slot at once, closing the oldest idle one.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily) -> None:
        self.address_family = family  # (read by TCPServer.__init__ to make the socket)
        self._slots = threading.BoundedSemaphore(MOST_CONNECTIONS)
        self._lock = threading.Lock()
        # Open connections, oldest first, each with whether its request has come in (then it is being answered).
        self._open: dict[socket.socket, bool] = {}
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._take_slot():
            self.shutdown_request(request)  # every connection is being answered: refused
            return
        with self._lock:
            self._open[request] = False
        try:
            super().process_request(request, client_address)  # (its thread gives the slot back)
        except BaseException:
            self._give_back(request)
            self.shutdown_request(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # Named, to be told from the process's other threads (in a thread dump, and by the tests that count them).
        threading.current_thread().name = CONNECTION_THREAD
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._give_back(request)

    def answering(self, connection: socket.socket) -> None:
        with self._lock:
            if connection in self._open:
                self._open[connection] = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Mostly a connection that timed out or was closed for a newcomer: not worth a traceback.
        log.debug("metrics connection from %s ended with an error", client_address, exc_info=True)

    def close(self) -> None:
        """Stop accepting, then end every open connection (their threads return at once). socketserver's shutdown
        waits untimed for its serve loop (up to its 0.5 s poll, and a second for a slot): in slices here, as every
        wait of a stop (service/waits.py). Not at the interpreter's exit (a close from a `__del__`): the serve loop's
        thread no longer runs then, and the shutdown would wait for it for ever."""
        if not sys.is_finalizing():
            waits.returned(self.shutdown)
        self.server_close()
        with self._lock:
            still_open = list(self._open)
        for connection in still_open:
            _hang_up(connection)

    def _take_slot(self) -> bool:
        if self._slots.acquire(blocking=False):
            return True
        self._close_oldest_waiting()
        return self._slots.acquire(timeout=_WAIT_FOR_A_SLOT_SECONDS)

    def _close_oldest_waiting(self) -> None:
        with self._lock:
            oldest = next((c for c, answering in self._open.items() if not answering), None)
            if oldest is not None:
                del self._open[oldest]  # (closed once: a second newcomer picks the next one)
        if oldest is not None:
            _hang_up(oldest)  # its thread reads the end of the stream and gives its slot back

    def _give_back(self, request: socket.socket) -> None:
        with self._lock:
            self._open.pop(request, None)
        self._slots.release()


def _hang_up(connection: socket.socket) -> None:
    """End a connection another thread may be reading: a shutdown wakes that read, which a close would not."""
    with suppress(OSError):  # (already closed by its thread)
        connection.shutdown(socket.SHUT_RDWR)
