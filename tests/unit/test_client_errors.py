"""The client's errors: which are retried (and how the server's retry pushback bears on it), and that they survive
pickling and copying (a process pool sends a worker's error back pickled)."""

from __future__ import annotations

import copy
import pickle
import re
import threading
from itertools import takewhile
from pathlib import Path
from typing import Any

import grpc
import pytest

from client import ArticleFailure, Retry, api, cli_connection, cli_ingest_check, errors

# Every error class the module defines, so that one added later is covered too.
ERROR_CLASSES = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.NeardupClientError)]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_an_error_is_the_same_after_pickling_or_copying(cls: type[errors.NeardupClientError]) -> None:
    error = cls(grpc.StatusCode.NOT_FOUND, "no article with id 'x' is stored")
    error.note = "set by the caller"  # type: ignore[attr-defined]
    for again in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(again) is cls
        assert (again.code, again.details, str(again)) == (error.code, error.details, str(error))
        assert again.note == "set by the caller"  # type: ignore[attr-defined]


def test_an_article_failure_survives_pickling() -> None:
    failure = ArticleFailure("a1", errors.InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, "article.body"))
    again = pickle.loads(pickle.dumps(failure))
    assert again.id == "a1" and type(again.error) is errors.InvalidArgumentError
    assert str(again.error) == "INVALID_ARGUMENT: article.body"


@pytest.mark.parametrize(
    ("details", "retryable"),
    [
        ("CANCELLED", True),  # a stopping server's, for a call its handlers never ran
        ("Locally cancelled by application!", False),  # this process cancelled it
        ("Stream removed (Channel closed!)", False),  # the caller closed the channel it gave the client
        ("Channel deallocated!", False),
    ],
)
def test_a_cancelled_call_is_retried_only_when_the_server_ended_it(details: str, retryable: bool) -> None:
    # (a caller closing its own channel during check(retry=...) waited out a back-off, then failed with
    # "Cannot invoke RPC on closed channel!" instead of the CANCELLED it got at once before)
    assert errors.NeardupClientError(grpc.StatusCode.CANCELLED, details).retryable is retryable


def test_the_codes_the_proto_says_to_send_index_again_after_are_retried() -> None:
    # (the proto said to send an IndexArticle that failed DEADLINE_EXCEEDED again, while the client called it
    # not retryable: retry=Retry() raised it, and a pipeline written from the client's docs dropped the article)
    said = re.search(r"fails ([A-Z_]+(?: or [A-Z_]+)*) may or may not have stored the article: send it again",
                     _comment_above("rpc IndexArticle("))  # fmt: skip
    assert said is not None, "IndexArticle's comment no longer says which failures to send again after"
    codes = [grpc.StatusCode[name] for name in said.group(1).split(" or ")]
    assert grpc.StatusCode.DEADLINE_EXCEEDED in codes
    for code in codes:
        assert errors.error_for(code, "Deadline Exceeded").retryable, code


def _comment_above(declaration: str) -> str:
    """The // comment lines just above `declaration` in the proto, as one line of text."""
    proto = (Path(__file__).parents[2] / "proto" / "neardup" / "v1" / "neardup.proto").read_text()
    above = proto.split(declaration)[0].rstrip().splitlines()
    lines = list(takewhile(lambda line: line.strip().startswith("//"), reversed(above)))
    return " ".join(line.strip().removeprefix("//").strip() for line in reversed(lines))


RETRIED = [
    # (the client's own deadline passed on the last try: it named the timeout, and no count)
    (grpc.StatusCode.DEADLINE_EXCEEDED, "no answer came within the client's timeout of 0.3 s", True),
    # (the server full, or refusing the message unread, each time)
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "the server is busy: too many calls in flight", True),
    # (the server gone after it had answered the earlier tries)
    (grpc.StatusCode.UNAVAILABLE, "Stream removed (Connection reset by peer)", True),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "the server is busy: too many calls in flight", False),  # (check: no write)
]


@pytest.mark.parametrize(("code", "details", "write"), RETRIED)
def test_the_error_of_a_call_retried_counts_its_tries_whatever_ended_it(
    code: grpc.StatusCode, details: str, write: bool
) -> None:
    # README says the error "says how many were made"; it did only after a try that may have written, or when
    # none reached a server.
    unsure = api._STORED if write else None
    said = api._said_of_the_call(errors.error_for(code, details), 3, False, True, unsure)
    assert said.code == code and said.details.startswith(details)
    assert said.details.endswith(" (after 2 retries, 3 tries in all)"), said.details
    once = api._said_of_the_call(errors.error_for(code, details), 1, False, False, unsure)
    assert "tries in all" not in once.details


def test_a_server_answered_then_found_serving_tls_gets_one_hint_not_two() -> None:
    # (an ingest that had answered lines, its server back speaking TLS only: the "closed the connection it had
    # answered on: did it stop?" hint was added to an error saying to add --tls, two remedies for one error)
    target = "127.0.0.1:50051"
    closed = errors.error_for(
        grpc.StatusCode.UNAVAILABLE,
        "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:50051: Socket closed",
    )
    said = api.said_to_serve_tls(closed, target, cli_connection.TLS_FLAGS)
    assert cli_connection.connection_hint(said, target, answered=True) == ""
    assert "serves TLS only" in said.details and "did it stop?" not in said.details
    # (not said to serve TLS: a server gone, which the hint says)
    assert "did it stop?" in cli_connection.connection_hint(closed, target, answered=True)


@pytest.mark.parametrize(
    "words", ["Stream removed (Socket closed)", "Stream removed (recvmsg:Connection reset by peer (104))"]
)
def test_a_server_gone_from_a_connection_it_answered_on_is_said_to_have_stopped(words: str) -> None:
    # (a server killed with a call in flight resets the connection or closes it, as the kernel's timing has it; the
    # hint was given only for a close, so a reset said nothing of the server gone)
    gone = errors.error_for(grpc.StatusCode.UNAVAILABLE, words)
    assert cli_connection.connection_hint(gone, "127.0.0.1:50051", answered=True) == (
        " (the server at 127.0.0.1:50051 closed the connection it had answered on: did it stop?)"
    )


@pytest.mark.parametrize(
    ("tls", "has_cert", "answer", "said"),
    [
        (False, False, api.TlsAnswer.SERVES, "the server at 127.0.0.1:50051 serves TLS only: add --tls or --ca-file"),
        (False, False, api.TlsAnswer.REFUSES_CLIENT, "serves TLS only, and requires a client certificate: add"),
        (True, False, api.TlsAnswer.REFUSES_CLIENT, "the server requires a client certificate: give --cert-file"),
        (True, True, api.TlsAnswer.REFUSES_CLIENT, "the server did not accept the client certificate: --cert-file"),
    ],
)
def test_what_a_tls_probe_tells_is_said_once_and_not_retried(
    tls: bool, has_cert: bool, answer: api.TlsAnswer, said: str
) -> None:
    target = "127.0.0.1:50051"
    closed = errors.error_for(
        grpc.StatusCode.UNAVAILABLE,
        "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:50051: Socket closed",
    )
    told = api.said_of_tls(closed, target, answer, tls, has_cert, cli_connection.CLI_REMEDIES)
    assert said in told.details and not told.retryable
    assert (
        cli_connection.connection_hint(told, target) == ""
        and cli_connection.connection_hint(told, target, answered=True) == ""
    )


@pytest.mark.parametrize(("tls", "answer"), [(False, api.TlsAnswer.NONE), (True, api.TlsAnswer.NONE),
                                             (True, api.TlsAnswer.SERVES)])  # fmt: skip
def test_a_closed_connection_a_tls_probe_does_not_explain_stays_retryable(tls: bool, answer: api.TlsAnswer) -> None:
    # (a forwarder whose server is not up yet: plain, or ending TLS itself)
    closed = errors.error_for(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses; Socket closed")
    assert api.said_of_tls(closed, "127.0.0.1:50051", answer, tls, False) is closed and closed.retryable


def test_a_tls_call_is_probed_only_for_a_bare_socket_closed() -> None:
    """A server refusing a TLS client's certificate closes the connection after a TLS 1.3 handshake: gRPC says a
    bare "Socket closed". One closed during the handshake (a forwarder's dead backend, a server that stopped) is
    "Handshake read failed (Socket closed)": no certificate was read there, and a probe would cost up to 2 s."""
    last = "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:50051: "
    bare = errors.error_for(grpc.StatusCode.UNAVAILABLE, last + "Socket closed")
    in_handshake = errors.error_for(grpc.StatusCode.UNAVAILABLE, last + "Handshake read failed (Socket closed)")
    assert api.closed_at_connect(bare, tls=True) and api.closed_at_connect(bare)
    assert not api.closed_at_connect(in_handshake, tls=True)
    assert api.closed_at_connect(in_handshake)  # (a plaintext client has no handshake of gRPC's: as before)


class _Failed(grpc.RpcError, grpc.Call):
    """A call that failed with `code` and `details`, its trailing metadata `trailers`: what gRPC raises."""

    def __init__(
        self,
        code: grpc.StatusCode,
        trailers: tuple[tuple[str, str], ...] | None,
        details: str = "refused (in this test)",
    ) -> None:
        self._code = code
        self._trailers = trailers
        self._details = details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> Any:  # (None too: what the client must bear)
        return self._trailers

    def initial_metadata(self) -> tuple[tuple[str, str], ...]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float:
        return 0.0

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


PUSHBACK = errors.RETRY_PUSHBACK
# (trailers, the error's retry_pushback): gRFC A6, "Pushback"
PUSHBACKS = [
    pytest.param(None, None, id="no-trailers"),
    pytest.param((("other", "1"),), None, id="absent"),
    pytest.param(((PUSHBACK, "-1"),), errors.NO_RETRY_PUSHBACK, id="no-retry"),  # (neardup's, for a full store)
    pytest.param(((PUSHBACK, "250"),), 0.25, id="wait"),
    pytest.param(((PUSHBACK, "0"),), 0.0, id="at-once"),
    # "If the value for pushback is negative or unparseable, then it will be seen as the server asking the client
    # not to retry at all": gRPC's core hands on an unparseable one as the most negative int64
    pytest.param(((PUSHBACK, "-9223372036854775808"),), errors.NO_RETRY_PUSHBACK, id="malformed-as-core-hands-it-on"),
    pytest.param(((PUSHBACK, "soon"),), errors.NO_RETRY_PUSHBACK, id="not-a-number"),
    pytest.param(((PUSHBACK, "1.5"),), errors.NO_RETRY_PUSHBACK, id="fraction"),
    pytest.param(((PUSHBACK, " 5"),), errors.NO_RETRY_PUSHBACK, id="padded"),
    pytest.param(((PUSHBACK, "2147483648"),), errors.NO_RETRY_PUSHBACK, id="over-int32"),
    pytest.param(((PUSHBACK, "5"), (PUSHBACK, "7")), errors.NO_RETRY_PUSHBACK, id="several"),  # (Go's reading)
]


@pytest.mark.parametrize(("trailers", "pushback"), PUSHBACKS)
def test_the_retry_pushback_of_a_failed_call_is_read_from_its_trailers(
    trailers: tuple[tuple[str, str], ...] | None, pushback: float | None
) -> None:
    error = errors.from_rpc_error(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, trailers))
    assert type(error) is errors.ResourceExhaustedError and error.details == "refused (in this test)"
    assert error.retry_pushback == pushback
    assert pickle.loads(pickle.dumps(error)).retry_pushback == pushback  # (a process pool sends errors back so)


def test_a_streamed_articles_full_store_carries_the_no_retry_its_call_would() -> None:
    # (an ArticleError has no trailer; in a stream, RESOURCE_EXHAUSTED always means a full store: proto)
    assert errors.article_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "full").retry_pushback == errors.NO_RETRY_PUSHBACK
    assert errors.article_error(grpc.StatusCode.UNAVAILABLE, "down").retry_pushback is None


def test_a_full_stores_refusal_is_told_by_its_code_and_no_retry_pushback() -> None:
    # (what ends an ingest whatever --retries, and a bench run in any mode: RESOURCE_EXHAUSTED under "-1")
    assert errors.article_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "full").store_full
    assert errors.from_rpc_error(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, ((PUSHBACK, "-1"),))).store_full
    assert not errors.from_rpc_error(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, None)).store_full  # (a limit's)
    assert not errors.from_rpc_error(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, ((PUSHBACK, "250"),))).store_full
    assert not errors.from_rpc_error(_Failed(grpc.StatusCode.UNAVAILABLE, ((PUSHBACK, "-1"),))).store_full


def _tried(trailers: tuple[tuple[str, str], ...] | None, retry: Retry) -> tuple[list[float], str | None]:
    """A call failed RESOURCE_EXHAUSTED with `trailers` once: the waits `retry` began before its next try (none or
    one), and the error raised instead (None: it was to be tried again)."""
    error = errors.from_rpc_error(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, trailers))
    waits: list[float] = []
    at_once = threading.Event()
    at_once.set()  # (a wait ends at once: as after close())
    try:
        api._back_off_or_raise(error, 1, retry, lambda _e, _n, wait: waits.append(wait), 1, at_once)
    except errors.NeardupClientError as raised:
        return waits, raised.details
    return waits, None


@pytest.mark.parametrize(
    ("trailers", "waits", "said"),
    [
        (None, [0.5], None),  # (the backoff: a limit's refusal, no pushback)
        (((PUSHBACK, "-1"),), [], "refused (in this test) (not retried: the server asked for no retry)"),
        (((PUSHBACK, "soon"),), [], "refused (in this test) (not retried: the server asked for no retry)"),
        (((PUSHBACK, "5"), (PUSHBACK, "7")), [], "refused (in this test) (not retried: the server asked for no retry)"),
        (((PUSHBACK, "2500"),), [2.5], None),  # (longer than the backoff: the pushback)
        (((PUSHBACK, "100"),), [0.5], None),  # (shorter: the backoff)
        (((PUSHBACK, "30000"),), [30.0], None),  # (3 times max_wait: the longest one granted)
        (
            ((PUSHBACK, "30001"),),
            [],
            "refused (in this test) (not retried: the server asked for a wait of 30.001 s, "
            "over the 30 s this Retry allows)",
        ),
    ],
    ids=["absent", "no-retry", "malformed", "several", "longer", "shorter", "longest", "too-long"],
)
def test_a_retry_obeys_the_pushback_of_the_error_it_retries(
    trailers: tuple[tuple[str, str], ...] | None, waits: list[float], said: str | None
) -> None:
    assert _tried(trailers, Retry(first_wait=0.5, max_wait=10.0, jitter=0)) == (waits, said)


def test_a_call_whose_retries_are_spent_says_so_not_that_the_server_forbade_one() -> None:
    error = errors.from_rpc_error(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, ((PUSHBACK, "100"),)))
    with pytest.raises(errors.ResourceExhaustedError) as raised:
        api._back_off_or_raise(error, 3, Retry(attempts=2), None, 1, threading.Event())
    assert raised.value.details == "refused (in this test)"


def test_an_error_reworded_by_the_client_or_the_cli_keeps_all_it_carries() -> None:
    # (api's _reworded and cli's _run_stopped_by each copied the error's attributes, written twice: one helper now)
    error = errors.ResourceExhaustedError(grpc.StatusCode.RESOURCE_EXHAUSTED, "the store is full")
    error.retry_pushback, error.unanswered, error.may_be_stored = errors.NO_RETRY_PUSHBACK, 9, 9
    error.refused_article, error.rest_of_batch = "n4", 3
    error.added_later = "kept"  # type: ignore[attr-defined]  # (an attribute a later change adds: copied alike, wherever the error is reworded)
    for again in (errors.reworded(error, "said otherwise"), cli_ingest_check._run_stopped_by(error)):
        assert type(again) is errors.ResourceExhaustedError and again.code == error.code and again.store_full
        assert again.details != error.details
        kept = {k: v for k, v in vars(again).items() if k not in ("code", "details")}
        assert kept == {k: v for k, v in vars(error).items() if k not in ("code", "details")}
    assert str(errors.reworded(error, "said otherwise")) == "RESOURCE_EXHAUSTED: said otherwise"


@pytest.mark.parametrize("details", ["Deadline Exceeded", "Stream removed (Deadline Exceeded)"])
def test_the_clients_own_deadline_is_said_in_its_words_however_grpc_words_it(details: str) -> None:
    # (gRPC says the second when the deadline passed while the request was still written: it was passed on as it was)
    with api.NeardupClient("127.0.0.1:9") as client:
        error = client._error_from(
            _Failed(grpc.StatusCode.DEADLINE_EXCEEDED, (), details), deadline_said="said instead"
        )
    assert error.details == "said instead"


def test_a_server_that_had_answered_and_now_never_begins_the_handshake_is_said_to_be_hung_not_the_wrong_port() -> None:
    # (gRPC's words for a connection taken and never answered; said of a server that had answered this run's calls,
    # the hint named a wrong port, "not a gRPC server")
    gone = errors.UnavailableError(
        grpc.StatusCode.UNAVAILABLE,
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:9: connection attempt timed out "
        "before receiving SETTINGS frame",
    )
    assert cli_connection.connection_hint(gone, "127.0.0.1:9", answered=True) == (
        " (the server at 127.0.0.1:9 had answered on an earlier connection: is it hung or stopped?)"
    )
    assert "it is not a gRPC server" in cli_connection.connection_hint(gone, "127.0.0.1:9", answered=False)


def test_connection_refused_is_said_of_the_server_only_where_grpc_could_not_connect() -> None:
    """A neardup server's own UNAVAILABLE may quote "Connection refused" of what it could not reach (its Redis store):
    the client said of it that nothing listened at neardup's port."""
    refused = errors.error_for(
        grpc.StatusCode.UNAVAILABLE,
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:9: Failed to connect to remote host: "
        "Connection refused",
    )
    assert api._unreached_hint(refused, api.REMEDIES) == api.REMEDIES.refused
    redis_down = errors.error_for(
        grpc.StatusCode.UNAVAILABLE,
        "the shared Redis store at redis://127.0.0.1:6391/0 is not answering (ConnectionError: Error 111 connecting to "
        "127.0.0.1:6391. Connection refused.); retry, and check that redis-server is running and reachable",
    )
    assert api._unreached_hint(redis_down, api.REMEDIES) is None
    assert api._unreached_hint(refused, cli_connection.CLI_REMEDIES) is None  # (the CLI says it itself)
