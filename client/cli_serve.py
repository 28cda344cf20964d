"""`neardup serve`: the server's run from the command line (`serve`): its settings read, its start, and its stops on
SIGTERM, SIGINT and SIGHUP (`_ServeStops`: the start abandoned, or a drain), with the lines it says as it starts or
cannot. The server's running parts are imported by `serve` as it runs, not here (client/cli.py imports this module
for every command)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from client.cli_base import EXIT_FAILED, EXIT_OK, say
from client.cli_connection import CONNECTION_VARIABLES

if TYPE_CHECKING:
    from service.grpc_server import RunningServer
    from service.settings import Settings


def serve(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from service import forkserver
    from service.settings import Settings, refuse_unknown_variables, unused_variables

    try:
        refuse_unknown_variables(env, CONNECTION_VARIABLES)  # (set beside the server's for the client commands)
        settings = Settings.from_namespace(args, env)
    except ValueError as exc:
        _refuse_start(str(exc), getattr(args, "log_format", "text"))
        return EXIT_FAILED
    # From here on a stop signal is heard (one the command's first step noted before, service/launch.py, is acted
    # on as the handlers are set): before, the handlers came only once the start had returned, and a SIGTERM
    # during the index's load (minutes at a million articles) ended the process at once, without a line; a SIGHUP,
    # at any time. During the start it abandons the start (`_StopRequested`), after it, it drains.
    from service.logs import configure as configure_logging

    configure_logging(settings.log_level, settings.log_format)
    stops = _ServeStops(settings.shutdown_delay_seconds)
    try:  # (the handlers are set inside it: a signal as soon as they are is an abandoned start, not a traceback)
        try:
            stops.arm()
            if settings.worker_processes(os.cpu_count()):
                forkserver.start_early()  # (its imports run beside the ones below)
            from service import waits
            from service.errors import IncompatibleIndex, StoreInUse
            from service.grpc_server import start_server

            try:
                for unused in unused_variables(env, settings):
                    logging.getLogger("neardup").warning("%s", unused)
                # (`started`: called as the start is done, before it lets go of its undoing; a signal then drains)
                running = start_server(settings, started=stops.started, bound=partial(_announce_ports, settings))
            except (IncompatibleIndex, StoreInUse, OSError, ValueError) as exc:
                stops.restore()
                _refuse_start(str(exc), settings.log_format)
                return EXIT_FAILED
        except _StopRequested as stop:
            stops.restore()
            logging.getLogger("neardup").info("%s received while starting: the start was abandoned and the store, if "
                                              "opened, closed", stop.name, extra={"signal": stop.name})  # fmt: skip
            return EXIT_OK
        try:
            # What start-up loaded (the band index's id list and dict: millions of entries) lives as long as
            # the process: out of the collector's reach, it no longer makes each full GC pass ~40 ms per
            # million articles, a latency spike for whichever call triggers one.
            gc.freeze()
            _announce_serving(settings, running)
            # A timed wait, looked at again and again: Python runs signal handlers in the main thread only, when
            # it is back in the interpreter, and a SIGTERM the kernel hands to another thread (gRPC's, the
            # writer's) does not end an untimed wait. The server then ignored it until killed.
            waits.until(stops.asked)  # (in slices of 0.2 s: service/waits.py)
            logging.getLogger("neardup").info("%s received: draining for up to %gs", stops.name,
                                              settings.grace_seconds, extra={"signal": stops.name})  # fmt: skip
        finally:  # (whatever ended the wait, the store is closed cleanly and the index saved)
            running.stop(settings.grace_seconds, settings.shutdown_delay_seconds, stops.again, stops.draining)
    finally:
        stops.restore()
    return EXIT_OK


class _StopRequested(BaseException):
    """A stop signal during serve's start, raised in the main thread to abandon the start (the index's load among
    it): not an Exception, so that no `except Exception` of the load takes it for a failure to work around."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# How long `restore` waits for the relay to have written the lines it was handed (it writes them in milliseconds).
_RELAY_WRITES_SECONDS = 1.0

# A signal that would exit at once, or cut a shutdown delay short, comes at least this long after the one that began
# the stop (or cut its delay short), or it is the same stop, delivered twice: a supervisor's (foreman, honcho: SIGINT
# to the process group and a SIGTERM forwarded to its child). It was an exit at once, or with a delay cut it short.
SAME_STOP_SECONDS = 1.0


class _ServeStops:
    """serve's handlers of SIGTERM, SIGINT and SIGHUP (each a request to stop, exit 0), set while it runs (`arm`),
    but for a SIGHUP ignored when serve began (service/launch.py `left_ignored`); a signal the command's first step
    noted before they were set (service/launch.py) is acted on as `arm` sets them. During the start the first
    raises _StopRequested, saying at once that the start is being abandoned; a second before the abandoning is done
    (it waits for the index load's threads: tens of seconds on a cold store of a million articles) ends the process
    at once, 128 + its number (SQLite's log is durable: the next start replays it). After the start the first is
    noted (`asked`: the serve loop drains), a second during --shutdown-delay-seconds cuts the delay short
    (`again`), and one during the drain (`draining`: the delay over, or none) ends the process at once, 128 + its
    number, as while abandoning the start. A signal that would exit at once or cut the delay short but comes less
    than SAME_STOP_SECONDS after the one that began the stop (or cut its delay short) is the same stop delivered
    twice (a supervisor's SIGINT to the process group and the SIGTERM it forwards, ms apart): logged at INFO, and
    ignored. It skipped the drain and the index snapshot, or the delay the load balancers needed.

    Python drops what a handler raises when the signal lands inside a gc callback, a `__del__` or a weakref
    callback ("Exception ignored in ..."): the start went on, and a server whose start had been said to be
    abandoned served, then drained. `started` raises it again: the start is abandoned once its load is done (a
    further signal SAME_STOP_SECONDS or more after the first exits at once meanwhile, as the line said). Python's
    report of the dropped one is not printed (a traceback among the log's lines, under --log-format json too, for a
    stop that is carried out).

    The handler takes no lock and writes no log line: Python runs it in the main thread between any two
    bytecodes, and when it set `asked` itself, a signal landing while the main thread held that Event's own lock
    (for a few bytecodes of every `asked.wait(0.2)`) made the handler wait for its own thread for ever: that
    SIGTERM was never acted on, the server went on serving READY until it was killed, with no drain and no index
    saved (one CI run in some twenty). It hands each signal to a relay thread through a SimpleQueue, whose `put`
    is reentrant, and the relay sets the events and writes the lines; `restore` waits for it to have written them
    (a daemon thread: its "abandoning the start" came after main's "the start was abandoned", or never)."""

    def __init__(self, shutdown_delay: float = 0.0) -> None:
        self.asked, self.again = threading.Event(), threading.Event()
        self.name = ""
        self._starting = True
        self._abandoning = ""  # (the name of the signal that abandons the start)
        self._delaying = shutdown_delay > 0  # (until `draining`: a further signal cuts the delay short)
        self._stop_at, self._stop_by = 0.0, ""  # (when, and by which signal, the stop began or its delay was cut)
        self._heard_one = False  # (a stop signal came: `restore` leaves them ignored)
        self._before: dict[int, Any] = {}
        self._heard: queue.SimpleQueue[tuple[int, str, float] | None] = queue.SimpleQueue()
        self._relay_thread: threading.Thread | None = None
        self._unraisable_before: Callable[[sys.UnraisableHookArgs], object] | None = None

    def arm(self) -> None:
        """Set the handlers (main may run in another thread, a test's: only the main thread may set them). What
        was there before is read first, all of it, so `restore` puts it back however early a signal comes. A
        signal the command's first step noted before (service/launch.py) abandons the start now."""
        if threading.current_thread() is not threading.main_thread():
            return
        from service.launch import SERVE_STOPS, before_early, heard_early, left_ignored

        before = before_early({sig: signal.getsignal(sig) for sig in SERVE_STOPS})
        self._before = {sig: handler for sig, handler in before.items() if not left_ignored(sig, handler)}
        self._relay_thread = threading.Thread(target=self._relay, name="neardup-signals", daemon=True)
        self._relay_thread.start()
        self._unraisable_before = sys.unraisablehook
        sys.unraisablehook = self._unraisable
        for sig in self._before:
            signal.signal(sig, self._handle)
        early = heard_early()  # (once ours are set: none lands in between unheard)
        if early is not None:  # (timed from when it came, during the imports: not from now)
            self._heard_at(*early)

    def _handle(self, signum: int, frame: object) -> None:
        self._heard_at(signum, time.monotonic())  # (when it came, not when the relay reads it)

    def _heard_at(self, signum: int, at: float) -> None:
        """A stop signal that came at `at` (time.monotonic()): the handler's, or one noted before it was set."""
        self._heard_one = True
        if self._abandoning:
            self._heard.put((signum, "exit", at))
        elif self._starting:
            self._starting = False  # (one raise: the start's undoing is not cut by another)
            self._abandoning = signal.Signals(signum).name
            self._heard.put((signum, "abandon", at))
            raise _StopRequested(signal.Signals(signum).name)
        else:
            self._heard.put((signum, "stop", at))

    def _unraisable(self, unraisable: sys.UnraisableHookArgs) -> None:
        """Python's report of an exception it dropped: not of a _StopRequested (`started` raises it again)."""
        if isinstance(unraisable.exc_value, _StopRequested) and self._abandoning:
            return
        (self._unraisable_before or sys.__unraisablehook__)(unraisable)

    def _relay(self) -> None:
        """What the handler heard, in order, as events and log lines (until `restore` ends it)."""
        log = logging.getLogger("neardup")
        while (heard := self._heard.get()) is not None:
            signum, what, at = heard
            name = signal.Signals(signum).name
            cuts = what == "stop" and self.asked.is_set() and self._delaying and not self.again.is_set()
            exits = what == "exit" or (what == "stop" and self.asked.is_set() and not cuts)
            if (exits or cuts) and at - self._stop_at < SAME_STOP_SECONDS:  # (a supervisor's two signals, one stop)
                log.info("%s received %.3f s after %s: the same stop, ignored (a signal %g s or more after it %s)",
                         name, at - self._stop_at, self._stop_by, SAME_STOP_SECONDS,
                         "cuts the shutdown delay short" if cuts else "exits at once",
                         extra={"signal": name})  # fmt: skip
                continue
            if what == "exit":
                log.warning("%s received while abandoning the start: exiting at once (the store's log is durable: "
                            "the next start replays it)", name, extra={"signal": name})  # fmt: skip
                os._exit(128 + signum)
            if what == "abandon":
                self._stop_at, self._stop_by = at, name
                log.info("%s received while starting: abandoning the start (waiting for the index load's threads; "
                         "a further signal, %g s or more after this one, exits at once)", name, SAME_STOP_SECONDS,
                         extra={"signal": name})  # fmt: skip
            if self.asked.is_set():
                if cuts:
                    self._delaying = False  # (cut short: the drain begins, and what follows is timed from here)
                    log.info("%s received during the shutdown delay: cut short, the drain begins (a further signal, "
                             "%g s or more after this one, exits at once)", name, SAME_STOP_SECONDS,
                             extra={"signal": name})  # fmt: skip
                    self._stop_at, self._stop_by = at, name
                    self.again.set()
                    continue
                log.warning("%s received while draining: exiting at once, the calls in flight cut off (what was "
                            "acknowledged is stored: the next start reads the store as after a crash)", name,
                            extra={"signal": name})  # fmt: skip
                os._exit(128 + signum)
            self.name = name
            self._stop_at, self._stop_by = at, name
            self.asked.set()

    def started(self) -> None:
        """The start is done (start_server calls this before it lets go of its undoing): a signal from now on is
        noted, and the serve loop drains. A stop whose raise Python dropped (the handler ran inside a gc callback,
        a `__del__`) is raised now, and the start is abandoned after all."""
        self._starting = False
        if self._abandoning:
            raise _StopRequested(self._abandoning)

    def draining(self) -> None:
        """The shutdown delay is over (cut short by a further signal, or run out), or there was none: the drain
        begins, and a further signal, SAME_STOP_SECONDS or more after the first (or the one that cut the delay
        short), ends the process at once."""
        self._delaying = False

    def restore(self) -> None:
        """The handlers before are put back (main may run in someone else's process: a test's), once the relay has
        written what it was handed (at most _RELAY_WRITES_SECONDS). But once a stop signal was heard, the stop
        signals are left ignored until the process exits: put back (SIG_DFL, Python's KeyboardInterrupt), the same
        stop's second signal (a supervisor's, ms after the first) ended a stop carried out with 143 or a traceback
        as main returned. Every caller of a serve that heard one exits then (`neardup`, `python -m client.cli`, the
        tests' wrappers); no caller in the same process depends on getting them back after a stop (a test sending
        itself one puts back its own: tests/unit/test_launch.py), and put back at main's very end they would still
        be fatal through the interpreter's exit. A serve that heard none (a refused start: tests/unit/
        test_settings.py runs those in the test's process) puts them back."""
        for sig, handler in self._before.items():
            if self._heard_one:
                signal.signal(sig, signal.SIG_IGN)
            else:
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        if self._before:
            self._heard.put(None)  # (the relay's end, after whatever was heard before)
        self._before = {}
        if self._unraisable_before is not None:
            sys.unraisablehook, self._unraisable_before = self._unraisable_before, None
        if self._relay_thread is not None and self._relay_thread is not threading.current_thread():
            self._relay_thread.join(_RELAY_WRITES_SECONDS)
            self._relay_thread = None


def _refuse_start(message: str, log_format: str) -> None:
    """serve's last word when it cannot start, on stderr in the log's format: a JSON object under --log-format
    json (it was plain text, which a JSON log pipeline could not parse), else "neardup serve: <message>"."""
    if log_format == "json":
        from service.logs import JsonFormatter

        record = logging.LogRecord("neardup", logging.ERROR, __file__, 0, "neardup serve: %s", (message,), None)
        say(JsonFormatter().format(record))
    else:
        say(f"neardup serve: {message}")


def _announce_serving(settings: Settings, running: RunningServer) -> None:
    from service.logs import announce
    from service.settings import redacted_url

    where = settings.data_dir if settings.store == "sqlite" else redacted_url(settings.redis_url)
    logging.getLogger("neardup").info("serving on %s (store %s at %s)", settings.address(running.port), settings.store,
                                      where, extra={"address": settings.address(running.port), "port": running.port,
                                                    "store": settings.store, "store_at": str(where)})  # fmt: skip
    announce(f"neardup serving on {settings.address(running.port)}", settings.log_format)


def _announce_ports(settings: Settings, metrics_port: int | None, health_port: int | None) -> None:
    """The metrics and health ports, named as soon as they answer: before the index's load, which may take minutes."""
    from service.logs import announce

    if metrics_port is not None:
        announce(f"neardup metrics on http://{settings.address(metrics_port)}/metrics", settings.log_format)
    if health_port is not None:
        announce(f"neardup health service on {settings.address(health_port)}", settings.log_format)
