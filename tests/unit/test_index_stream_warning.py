"""index_stream's RuntimeWarning for a stream garbage-collected unstarted (it sent nothing, though its caller may
think it did), and none for one its caller closed: closing it is saying not to send. Nothing is sent in either
case, so no server is needed (the client's target is never connected to)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Generator

import pytest

from client import Article, NeardupClient

NEVER_ITERATED = r"index_stream\(\.\.\.\) was never iterated"


def test_a_stream_closed_before_it_started_does_not_warn() -> None:
    # (it warned "was never iterated, so none of its articles was sent" though the caller had chosen not to send)
    with NeardupClient("127.0.0.1:9") as client, warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        stream = client.index_stream([Article("kept back", "a text not to send")])
        stream.close()
        with pytest.raises(StopIteration):  # (as a closed generator: nothing more comes)
            next(stream)
        del stream
        gc.collect()
    assert [w.message for w in warned if w.category is RuntimeWarning] == []


def test_a_stream_dropped_unstarted_without_close_still_warns() -> None:
    with NeardupClient("127.0.0.1:9") as client:
        stream = client.index_stream([Article("forgotten", "a text never sent")])
        with pytest.warns(RuntimeWarning, match=NEVER_ITERATED):
            del stream
            gc.collect()


def test_a_stream_is_a_generator_whose_throw_reaches_its_outcomes() -> None:
    with NeardupClient("127.0.0.1:9") as client, warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        stream = client.index_stream([Article("thrown", "a text never sent")])
        assert isinstance(stream, Generator) and iter(stream) is stream
        with pytest.raises(KeyError, match="stop here"):  # (thrown in before its first outcome: nothing was sent)
            stream.throw(KeyError("stop here"))
        with pytest.raises(StopIteration):
            next(stream)
        del stream
        gc.collect()
    assert [w.message for w in warned if w.category is RuntimeWarning] == []  # (not forgotten: thrown into)
