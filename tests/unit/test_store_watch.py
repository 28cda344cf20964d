"""StoreWatch with plain functions: what it reports, and when."""

from __future__ import annotations

import threading

import pytest

from service.errors import IncompatibleIndex, Unavailable
from service.store_watch import StoreWatch
from tests.support import until


class _Store:
    """A probe whose next answers the test sets; counts the times it was asked."""

    def __init__(self) -> None:
        self.failure: Exception | None = None
        self.asked = 0
        self._lock = threading.Lock()

    def probe(self) -> None:
        with self._lock:
            self.asked += 1
            if self.failure is not None:
                raise self.failure

    def asked_twice_more(self) -> bool:
        seen = self.asked
        return until(lambda: self.asked >= seen + 2, timeout=10)


def test_reports_at_start_then_only_each_change() -> None:
    store, reports = _Store(), list[bool]()
    watch = StoreWatch(store.probe, reports.append, every=0.01)
    try:
        assert reports == [True]
        assert store.asked_twice_more() and reports == [True]  # no change: nothing reported
        store.failure = Unavailable("redis is down")
        assert until(lambda: reports == [True, False], timeout=10)
        assert store.asked_twice_more() and reports == [True, False] and not watch.answers
        store.failure = None
        assert until(lambda: reports == [True, False, True], timeout=10)
    finally:
        watch.close()


def test_a_probe_failing_otherwise_leaves_the_answer_as_it_was(caplog: pytest.LogCaptureFixture) -> None:
    store, reports = _Store(), list[bool]()
    store.failure = Unavailable("down at start")
    watch = StoreWatch(store.probe, reports.append, every=0.01)
    try:
        assert reports == [False]
        store.failure = RuntimeError("a bug in the probe")
        assert store.asked_twice_more() and reports == [False] and not watch.answers
        assert "could not ask the store" in caplog.text
    finally:
        watch.close()


def test_close_ends_its_thread() -> None:
    watch = StoreWatch(_Store().probe, lambda _answers: None, every=60)  # (close must not wait out `every`)
    assert "neardup-store-watch" in {t.name for t in threading.enumerate()}
    watch.close()
    assert "neardup-store-watch" not in {t.name for t in threading.enumerate()}


def test_an_index_of_other_parameters_is_not_serving_said_once_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, reports = _Store(), list[bool]()
    watch = StoreWatch(store.probe, reports.append, every=0.01)
    try:
        store.failure = IncompatibleIndex("the Redis index was built with other detection parameters (...)")
        assert until(lambda: reports == [True, False], timeout=10)
        assert store.asked_twice_more() and reports == [True, False]
        said = [r for r in caplog.records if "other detection parameters" in r.getMessage()]
        assert len(said) == 1 and said[0].levelname == "WARNING" and said[0].exc_info is None
    finally:
        watch.close()


def test_a_new_reason_for_not_serving_is_said_and_the_same_one_only_once(caplog: pytest.LogCaptureFixture) -> None:
    store, reports = _Store(), list[bool]()
    store.failure = Unavailable("the shared Redis store is not answering")
    watch = StoreWatch(store.probe, reports.append, every=0.01)
    try:
        assert store.asked_twice_more()
        store.failure = IncompatibleIndex("the Redis index was built with other detection parameters (seed ...)")
        assert until(lambda: "other detection parameters" in caplog.text, timeout=10)
        assert store.asked_twice_more() and reports == [False] and not watch.answers  # (no change of the answer)
        assert [r.getMessage() for r in caplog.records] == [
            "health reports NOT_SERVING until the store answers: the shared Redis store is not answering",
            "health still reports NOT_SERVING, for another reason now: the Redis index was built with other "
            "detection parameters (seed ...)",
        ]
    finally:
        watch.close()
