"""Shared test helpers: real servers on loopback (port 0), waiting on conditions, not sleeps."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, Self, cast

import grpc
import pytest
from neardup.v1 import neardup_pb2_grpc as pb_grpc
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.corpus import GeneratorConfig, generated
from client import NeardupClient
from service import grpc_server, snapshot
from service.detector import Detector
from service.engine import Engine
from service.grpc_server import RunningServer, start_server
from service.model import Article, GroupMember, PreparedArticle, Verdict
from service.settings import Settings
from service.storage import Transaction, open_store
from tests.articles import WIRE, WIRE_WITH_APPEAL

_SERVING = re.compile(r"neardup serving on (\S+):(\d+)")

# Client deadlines for calls a test lets pass their deadline while the server holds them at a point the test controls
# (a held write, a held lock). The server answers such a call DEADLINE_EXCEEDED itself, saying what became of it, a
# fifth of the time left before the deadline and at most 1 s before it (`_before_the_caller_gives_up`, in
# service/servicer.py). With 0.5 s its answer had 0.1 s to reach the client (1 s: 0.2 s), and on a loaded host, or
# with its answer held up 0.15 s, the client's own bare "Deadline Exceeded" came first. 5 s leaves it the whole 1 s.
SERVER_ANSWERS_DEADLINE = 5.0
# Where the client sees the deadline pass by itself (the server is held and says nothing) or the test does not look
# at who said it, the call must still reach the point where it is held before the server's own cut-off, 4/5 of the
# way (a delete or an index the writer has not taken up by then is withdrawn, and says so). 0.4 s of 0.5 s was not
# enough with the server's handler held up 0.5 s; 2 s leaves 1.6 s, and costs the test 1.5 s more.
HELD_PAST_DEADLINE = 2.0


def until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `condition` every 5 ms until it holds (True) or `timeout` seconds pass (False): for states
    that nothing notifies, such as a thread starting to wait on a lock."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def calls_settle(running: RunningServer, in_flight: int) -> bool:
    """Wait until the server has `in_flight` calls in flight (True), or 10 s pass (False). A call answered is still
    in flight until its handler's future is done, which can come after its caller has the answer: a call made at
    once then takes one of --max-concurrent-rpcs' places, and under a small limit is refused RESOURCE_EXHAUSTED on
    a busy host."""
    calls = running.calls
    assert calls is not None
    return until(lambda: calls.in_flight == in_flight)


# The frames a blocked wait is in at its top (threading's and concurrent.futures' own).
BLOCKED_IN = frozenset({"wait", "join", "_wait_for_tstate_lock"})


class EndingCall:
    """A stand-in for a gRPC call's context of which only its end callbacks are asked (`add_callback`): `end()` runs
    them, as the call's end would."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []

    def add_callback(self, callback: Callable[[], None]) -> bool:
        self.callbacks.append(callback)
        return True

    def end(self) -> None:
        for callback in self.callbacks:
            callback()


def main_thread_waits_in(module: ModuleType) -> bool:
    """Is the main thread blocked in a wait (BLOCKED_IN at its top) called from `module` (not running the module's
    own code)? For a test sending a signal once the main thread waits."""
    frame = top = sys._current_frames().get(cast(int, threading.main_thread().ident))
    while frame is not None and frame.f_code.co_filename != module.__file__:
        frame = frame.f_back
    return frame is not None and top is not None and top.f_code.co_name in BLOCKED_IN


def writes_held(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, first_only: bool = True
) -> tuple[threading.Event, threading.Event]:
    """Holds the engine's store writes at their start until `release` is set, `entered` set as one begins to
    wait: the first write only (the later ones go at once), or every one. Returns (entered, release)."""
    write, entered, release = engine.store.write, threading.Event(), threading.Event()

    def held() -> AbstractContextManager[Transaction]:
        if not (first_only and entered.is_set()):
            entered.set()
            release.wait(timeout=60)
        return write()

    monkeypatch.setattr(engine.store, "write", held)
    return entered, release


def commit_held(engine: Engine, monkeypatch: pytest.MonkeyPatch, release: threading.Event) -> threading.Event:
    """Holds the writer's next commit, with the jobs it took, until `release` is set (60 s at most): what is queued
    meanwhile is taken after it, into one transaction. The event returned is set once it holds."""
    holding = threading.Event()
    commit = engine._commit

    def held_once(jobs: Any) -> None:
        if not holding.is_set():
            holding.set()
            release.wait(timeout=60)
        commit(jobs)

    monkeypatch.setattr(engine, "_commit", held_once)
    return holding


@contextmanager
def closing_port(
    read_first: bool = False, handle: Callable[[socket.socket], None] | None = None
) -> Iterator[tuple[int, list[float]]]:
    """A loopback port whose every connection is closed, as by a server going down or a forwarder with no server
    behind it (`read_first`: after reading the client's first bytes, as a TLS server closes a plaintext client's),
    and when each connection came. `handle`: given each connection instead, to close or keep (in the port's one
    thread: the next is taken once it returns)."""
    listener = socket.create_server(("127.0.0.1", 0))
    came: list[float] = []

    def close_each() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # (closed: the block is over)
            came.append(time.monotonic())
            if handle is not None:
                handle(conn)
                continue
            with conn:
                if read_first:
                    conn.recv(1024)

    threading.Thread(target=close_each, daemon=True).start()
    with listener:
        yield listener.getsockname()[1], came


@contextmanager
def frozen(*pids: int) -> Iterator[None]:
    """Processes stopped (SIGSTOP) for the block: alive and connected, but answering nothing."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def prepared_corpus(detector: Detector, count: int, seed: int) -> list[PreparedArticle]:
    """Generated articles, 40 % of them republications of the 20 before, fingerprinted: real matches to find."""
    corpus = generated(count, GeneratorConfig(republished=0.4, seed=seed, recent=20))
    return [detector.prepare(Article(a.id, a.body, a.title, published=a.published)) for a in corpus]


def whole_group(engine: Engine, article_id: str, page_size: int) -> tuple[str, int, list[GroupMember]]:
    """A group's original, size and members, following `Engine.group_members` from page to page; each page
    holds `page_size` members but the last, which holds 1 to `page_size`."""
    page = engine.group_members(article_id, page_size)
    original, total, members = page.original, page.total, list(page.members)
    while page.next_page_token:
        assert len(page.members) == page_size
        page = engine.group_members(article_id, page_size, page.next_page_token)
        assert 1 <= len(page.members) <= page_size
        members += page.members
    return original, total, members


# A wire story's correction (a new version under its id), and what the group listings hold across corrections.
CORRECTED_WIRE = WIRE + " An earlier version of this story gave the wrong date for the vote."
LISTED_GROUP = ["wire", "copy", "later", "undated"]  # `listed_across_corrections`' group, in its order


def correct_the_original(
    engine: Engine, published: datetime | None, corrected: datetime | None
) -> tuple[Verdict, Verdict]:
    """Index a wire story, then a copy of it under another id (both dated `published`), then the wire story's
    correction dated `corrected`: what a check of the correction answers, then what indexing it answers."""
    engine.index(engine.detector.prepare(Article("wire", WIRE, source="Wire", published=published)))
    copy = engine.index(engine.detector.prepare(Article("copy", WIRE_WITH_APPEAL, published=published)))
    assert copy.duplicate_of == "wire"
    correction = engine.detector.prepare(Article("wire", CORRECTED_WIRE, source="Wire", published=corrected))
    return engine.check(correction), engine.index(correction)


def listed_across_corrections(engine: Engine, published: datetime) -> tuple[str, list[str], list[str]]:
    """The group `LISTED_GROUP` (the wire story and its copy dated `published`, a copy an hour later, one
    undated), listed two a page with the wire story and its copy corrected (same dates) after the first page;
    then listed whole, one a page. The group's original, and each listing's ids."""
    dated = [("wire", WIRE, published), ("copy", WIRE_WITH_APPEAL, published),
             ("later", WIRE + "\n\nUpdated at 10:00.", published + timedelta(hours=1)),
             ("undated", WIRE + "\n\nFrom the archive.", None)]  # fmt: skip
    for article_id, body, when in dated:
        engine.index(engine.detector.prepare(Article(article_id, body, published=when)))
    first = engine.group_members("undated", page_size=2)
    for article_id, body in (("copy", WIRE_WITH_APPEAL + " Corrected."), ("wire", CORRECTED_WIRE)):
        engine.index(engine.detector.prepare(Article(article_id, body, published=published)))
    rest = engine.group_members("undated", page_size=2, page_token=first.next_page_token)
    original, total, whole = whole_group(engine, "undated", 1)
    assert total == len(LISTED_GROUP)
    return original, [m.id for m in first.members + rest.members], [m.id for m in whole]


def purge_victims(engine: Engine, article_ids: list[str], others: int) -> list[str]:
    """Ids to delete together that test a purge: the original of a group of 3 or more, then the member that
    takes over from it (deleted next, in the same write), then `others` articles of other groups."""
    big = next(page for page in map(engine.group_members, article_ids) if page.total >= 3)
    pair = [big.original, big.members[1].id]
    rest = [i for i in article_ids if engine.get(i).group_root != big.original][:others]
    assert len(rest) == others
    return pair + rest


def index_snapshot_token(db_path: Path) -> str | None:
    """The token of the index snapshot the store at `db_path` trusts (None: it trusts none)."""
    with closing(sqlite3.connect(db_path)) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'snapshot'").fetchone()
    return None if row is None else str(row[0])


def index_snapshot_file(db_path: Path) -> Path:
    """The file of the index snapshot the store at `db_path` trusts."""
    token = index_snapshot_token(db_path)
    assert token is not None, f"{db_path} trusts no index snapshot"
    return snapshot.file_for(db_path.parent, token)


def forget_index_snapshot(db_path: Path) -> None:
    """Make the next start of this store rebuild its index from SQLite whole, as when its snapshot is lost or
    damaged: the snapshot's token goes."""
    with closing(sqlite3.connect(db_path)) as db, db:
        db.execute("DELETE FROM meta WHERE key = 'snapshot'")


@contextmanager
def serving(servicer: Any) -> Iterator[str]:
    """A gRPC server of its own for `servicer` (a test's, misbehaving on purpose) on a loopback port: its address."""
    server = grpc.server(futures.ThreadPoolExecutor(4))
    pb_grpc.add_NearDuplicateServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


def test_settings(data_dir: Path, **overrides: Any) -> Settings:
    # No worker processes unless a test asks: a process pool per in-process server would slow every test
    # (the e2e tests run `neardup serve` with its real default).
    base = Settings(host="127.0.0.1", port=0, data_dir=data_dir, grace_seconds=5.0, fingerprint_workers=0)
    return replace(base, **overrides)


@contextmanager
def in_process_server(data_dir: Path, **overrides: Any) -> Iterator[tuple[RunningServer, NeardupClient]]:
    """A real gRPC server in this process on a free loopback port, with a client connected to it."""
    running = start_server(test_settings(data_dir, **overrides))
    client = NeardupClient(f"127.0.0.1:{running.port}", timeout=30)
    try:
        yield running, client
    finally:
        client.close()
        running.stop(grace=5)


class HeldLoad:
    """A real server (start_server, in a thread of this process) whose index load waits for the test: its store is
    opened only once `release()` is called. Meanwhile its ports are bound and the main port speaks gRPC and holds
    its service's calls, as during a long index rebuild (a SQLite writer holding the store's lock holds the load
    only for SQLite's 5 s busy timeout, then fails it)."""

    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.settings = settings
        self.running: RunningServer | None = None
        self.error: BaseException | None = None  # what the start raised
        self._go = threading.Event()
        self._thread = threading.Thread(target=self._start, name="held-load", daemon=True)
        opened = open_store  # (the one grpc_server calls: replaced there)

        def held(settings: Settings) -> Any:
            self._go.wait(timeout=60)
            return opened(settings)

        monkeypatch.setattr(grpc_server, "open_store", held)

    def start(self) -> HeldLoad:
        self._thread.start()
        return self

    def release(self) -> None:
        self._go.set()

    def ended(self, timeout: float = 30.0) -> None:
        """Wait for the start to end, serving."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the server's start did not end in time"
        assert self.error is None, self.error

    def close(self) -> None:
        self.release()
        if self._thread.ident is not None:
            self.ended()
        if self.running is not None:
            self.running.stop(grace=5)

    def _start(self) -> None:
        try:
            self.running = start_server(self.settings)
        except BaseException as exc:  # (said by `ended`, in the test's thread)
            self.error = exc


@contextmanager
def held_load(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldLoad]:
    """A HeldLoad, not yet started; released, and stopped if it serves, when the block ends."""
    load = HeldLoad(settings, monkeypatch)
    try:
        yield load
    finally:
        load.close()


class ServerProcess:
    """`neardup serve` as a separate OS process, for crash, signal and CLI tests."""

    _module = "client.cli"  # what `python -m` runs (without `cwd`)
    _stdin: int | None = None  # (None: this process's)

    def __init__(
        self,
        data_dir: Path,
        *extra: str,
        port: int = 0,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        signal_at: str | None = None,
        ignored: tuple[signal.Signals, ...] = (),
        signal_on_import: signal.Signals | None = None,
        own_group: bool = False,
    ) -> None:
        """`cwd`: started there with the installed `neardup` command (`python -m` would import from there). `env`:
        variables set for it besides this process's (whose NEARDUP_* ones it does not get). `signal_at`: it sends
        itself SIGTERM at that moment of its start (tests/signal_at.py). `ignored`: signals it starts with ignored
        (as `nohup` starts a command with SIGHUP ignored). `signal_on_import`: run as the installed command runs
        it, it sends itself that signal as it begins to import grpc (tests/signal_on_import.py). `own_group`:
        started in a process group (and session) of its own, so a test can signal the group as a terminal's Ctrl-C
        does."""
        self.data_dir = data_dir
        self.env = dict(env or {})
        module = self._module
        if signal_at is not None:
            module, self.env["SIGNAL_AT"] = "tests.signal_at", signal_at
        if signal_on_import is not None:
            module, self.env["SIGNAL_ON_IMPORT"] = "tests.signal_on_import", signal_on_import.name
        self.ignored = ignored
        self.own_group = own_group
        command = [str(Path(sys.executable).with_name("neardup"))] if cwd else [sys.executable, "-m", module]
        self.args = [*command, "serve", "--host", "127.0.0.1", "--port", str(port),
                     "--data-dir", str(data_dir), "--log-level", "WARNING", *extra]  # fmt: skip
        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.log: list[str] = []  # the lines of its log (its stderr) read so far
        self._unread: list[str] = []  # those of them no read has looked at yet (come with an earlier one)
        self._partial = b""  # what came of the line after them
        self._ended = False  # (its output has ended)
        self._tmp = ""

    def start(self, timeout: float = 30.0) -> Self:
        return self.launch().serving(timeout)

    def launch(self) -> Self:
        """Start the process without waiting for it to serve (`serving` waits)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEARDUP_")} | self.env
        # A temporary directory of its own, removed once the process is reaped: multiprocessing's
        # forkserver puts its socket there, which a server stopped with SIGKILL (as most tests stop
        # theirs) never removes. (Short, in the system's: a socket's path must fit in 107 bytes.)
        env["TMPDIR"] = self._tmp = tempfile.mkdtemp(prefix="neardup-test-")
        self._unread, self._partial, self._ended = [], b"", False
        self.proc = subprocess.Popen(self._ignoring() + self.args, stdin=self._stdin, stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, text=True, env=env, cwd=self.cwd,
                                     start_new_session=self.own_group)  # fmt: skip
        return self

    def _ignoring(self) -> list[str]:
        """What starts the command with `ignored` ignored: a shell's `trap ''` sets them ignored, and its `exec`
        keeps them so (and the process id: the test signals the server itself). Not a `preexec_fn`: with one,
        Popen forks (not vforks) this process, whose gRPC then restarts its poller in the child, and the closing
        of the child's descriptors before the exec closed that poller's: gRPC aborted the child ('epoll_wait
        error: Bad file descriptor', grpc/grpc#43055), and the server 'exited (-6) before serving'."""
        if not self.ignored:
            return []
        names = " ".join(sig.name.removeprefix("SIG") for sig in self.ignored)
        return ["sh", "-c", f'trap "" {names} && exec "$@"', "sh"]

    def serving(self, timeout: float = 30.0) -> Self:
        """Read its log until it says it serves (and on which port)."""
        line = self._next_line_that(lambda line: _SERVING.search(line) is not None, timeout)
        assert self.proc is not None
        if line is None and self._ended:
            raise AssertionError(f"server exited ({self.proc.wait()}) before serving: {''.join(self.log)}")
        assert line is not None, f"server did not report its port in time: {''.join(self.log)}"
        match = _SERVING.search(line)
        assert match is not None
        self.port = int(match.group(2))
        return self

    def read_until(self, text: str, timeout: float = 30.0) -> None:
        """Read its log until a line holds `text` (an AssertionError if none does in time, or it exits first)."""
        found = self._next_line_that(lambda line: text in line, timeout)
        assert found is not None, f"no line holding {text!r} in its log: {''.join(self.log)}"

    def read_rest(self, timeout: float = 30.0) -> str:
        """What it writes from here until its output ends (it has exited), each line added to `log` too."""
        rest: list[str] = []
        deadline = time.monotonic() + timeout
        while (line := self._next_line(deadline)) is not None:
            rest.append(line)
        return "".join(rest)

    def _next_line_that(self, holds: Callable[[str], bool], timeout: float) -> str | None:
        """The next line of its log that `holds`, the lines before it read and passed over; None if its output ends
        first (it exited), or once `timeout` has passed."""
        deadline = time.monotonic() + timeout
        while (line := self._next_line(deadline)) is not None:
            if holds(line):
                return line
        return None

    def _next_line(self, deadline: float) -> str | None:
        """Its log's next line, read here, in this thread, as it comes (added to `log`); None at the deadline, or
        once its output ends. (Read in a thread, a readline does not time out: the thread that a read given up
        left behind went on reading the process's output, a later read's line included, for as long as the
        process wrote.) Read from the pipe itself, the lines already come stay in `_unread` for the next read:
        `proc.stderr`'s own buffer, which `select` does not see, is never filled, so read its output with
        `read_rest`, not `proc.stderr`."""
        assert self.proc is not None and self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        while not self._unread:
            if self._ended:
                return None
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            self._ended = not chunk
            self._partial += chunk
            *lines, self._partial = self._partial.split(b"\n")
            if self._ended and self._partial:  # (a last line with no newline)
                lines, self._partial = [*lines, self._partial], b""
            said = [line.decode(errors="replace") + "\n" for line in lines]
            self._unread.extend(said)
            self.log.extend(said)
        return self._unread.pop(0)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self, timeout: float = 30.0) -> NeardupClient:
        return NeardupClient(self.target, timeout=timeout)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self._reap(30)

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self._reap(timeout)

    def exits(self, timeout: float = 30.0) -> int:
        """Wait for the server to exit by itself (raises subprocess.TimeoutExpired if it does not)."""
        return self._reap(timeout)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self._reap(30)

    def _reap(self, timeout: float) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout=timeout)
        shutil.rmtree(self._tmp, ignore_errors=True)
        return code


class HeldLoadProcess(ServerProcess):
    """HeldLoad in a process of its own: `neardup serve` (tests/held_serve.py) whose store is opened only once
    `release()` is called. Meanwhile its ports are bound, the health and metrics ports answer, and the main port
    speaks gRPC and holds its service's calls, as during a long index rebuild, for as long as the test needs
    (a SQLite writer holding the store's lock holds the load only for SQLite's 5 s busy timeout, then fails it;
    released with that writer still holding it, the load fails so, at a time the test chose)."""

    _module = "tests.held_serve"
    _stdin = subprocess.PIPE

    def __init__(self, data_dir: Path, *extra: str, port: int = 0, at: str = "open") -> None:
        """`at`: "open", the store is opened only once released; "load", it is opened at once and its index's load
        is held ("held: the index load is under way" in its log: tests/held_serve.py); "drain", the start is not
        held, the stop's drain is ("held: the drain is under way")."""
        # (no `cwd`: that runs the installed `neardup`, not `python -m tests.held_serve` from this tree)
        super().__init__(data_dir, *extra, port=port, env={"HELD_SERVE_AT": at})

    def release(self) -> None:
        """The load goes on: the store is opened."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.close()  # (said, and nothing more to say)

    def signal_the_load(self, sig: signal.Signals) -> None:
        """The held index load's thread (at="load") sends `sig` to itself, a thread other than the main one, as the
        kernel hands a process's signal to one of its threads; the load stays held."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(f"{sig.name}\n")
        self.proc.stdin.flush()

    def _reap(self, timeout: float) -> int:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        return super()._reap(timeout)


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """A server's /metrics over real HTTP: each sample by (name, sorted labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
