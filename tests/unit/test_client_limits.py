"""The client's defaults and limits are the server's: a server named without a port is looked for where
`neardup serve` listens by default, and the client cuts its messages where the server would refuse them."""

from __future__ import annotations

import gc
import inspect
import re
import socket
from fractions import Fraction

import numpy as np
import pytest

from client import NeardupClient, api
from client.api import DEFAULT_PORT, with_default_port
from client.cli import _parser, main
from service import detector, engine, servicer
from service.settings import Settings


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("localhost", f"localhost:{DEFAULT_PORT}"),
        ("10.0.0.7", f"10.0.0.7:{DEFAULT_PORT}"),
        ("[::1]", f"[::1]:{DEFAULT_PORT}"),
        ("::1", f"[::1]:{DEFAULT_PORT}"),  # (a bare IPv6 address: its colons are not a port's)
        ("2001:db8::7", f"[2001:db8::7]:{DEFAULT_PORT}"),
        ("dedup.internal.example", f"dedup.internal.example:{DEFAULT_PORT}"),
        ("localhost:7000", "localhost:7000"),
        ("[::1]:7000", "[::1]:7000"),
        ("[::1]:50051", "[::1]:50051"),
        ("ipv6:[::1]:7000", "ipv6:[::1]:7000"),
        ("unix:/run/neardup.sock", "unix:/run/neardup.sock"),
        ("dns:///dedup.example:7000", "dns:///dedup.example:7000"),
        # (gRPC's forms are kept as they are, a port left out too: gRPC's 443, an authority's port not checked)
        ("ipv4:127.0.0.1:1,127.0.0.2:65535", "ipv4:127.0.0.1:1,127.0.0.2:65535"),
        ("ipv4:127.0.0.1", "ipv4:127.0.0.1"),
        ("ipv6:::1", "ipv6:::1"),
        ("ipv6:[::1]:65535,[::2]:1", "ipv6:[::1]:65535,[::2]:1"),
        ("dns:dedup.example", "dns:dedup.example"),
        ("dns://8.8.8.8:53/dedup.example:7000", "dns://8.8.8.8:53/dedup.example:7000"),
        ("dns:///[::1]:7000", "dns:///[::1]:7000"),
        ("unix-abstract:neardup:99999", "unix-abstract:neardup:99999"),
        ("vsock:3:99999", "vsock:3:99999"),
        ("unix:/run/neardup data/nd.sock", "unix:/run/neardup data/nd.sock"),  # (a path may hold a space)
    ],
)
def test_a_port_is_added_only_to_a_bare_host(target: str, expected: str) -> None:
    assert with_default_port(target) == expected


def test_a_port_alone_is_refused_with_the_address_to_write_instead() -> None:
    with pytest.raises(ValueError, match=r"'46747' is a port alone: give a host too, e\.g\. 'localhost:46747'"):
        with_default_port("46747")


# Addresses gRPC would misread, each refused saying what to write.
MISREAD = [
    # (gRPC tried port 443)
    ("127.0.0.1:", "'127.0.0.1:' has no port after its colon: give host:port, e.g. '127.0.0.1:50051', or the "
                   "host alone for port 50051"),
    ("[::1]:", "'[::1]:' has no port after its colon"),
    # (gRPC said "Misformatted domain name")
    ("http://127.0.0.1:7000", "'http://127.0.0.1:7000' begins with http://: give host:port, no scheme, e.g. "
                              "'127.0.0.1:7000'"),
    ("https://dedup.example/", "begins with https://: give host:port, no scheme, e.g. 'dedup.example', with "
                               "--tls (tls=True) for TLS"),
    (" 127.0.0.1:7000", "' 127.0.0.1:7000' holds a space: give host:port without one, e.g. '127.0.0.1:7000'"),
    ("dedup .example:7000", "holds a space: give host:port without one, e.g. 'localhost:50051'"),
    ("127.0.0.1:7000,127.0.0.1:7001", "'127.0.0.1:7000,127.0.0.1:7001' names several: give one host:port, or a "
                                      "list in gRPC's form, 'ipv4:127.0.0.1:7000,127.0.0.1:7001'"),
    ("::1:37927", "'::1:37927' is an IPv6 address and a port without brackets: write '[::1]:37927'"),
]  # fmt: skip
# Ports outside 1-65535, each refused naming it.
OUT_OF_RANGE = [
    # (gRPC took the port modulo 65536: 127.0.0.1:99999 reached the server on port 34463)
    ("127.0.0.1:99999", "'127.0.0.1:99999' has port '99999', outside the range 1-65535: give host:port with a "
                        "port in it, e.g. '127.0.0.1:50051'"),
    ("localhost:65536", "port '65536', outside the range 1-65535"),
    ("[::1]:70000", "port '70000', outside the range 1-65535: give host:port with a port in it, e.g. "
                    "'[::1]:50051'"),
    ("127.0.0.1:0", "port '0', outside the range 1-65535"),
    # (failed each call UNAVAILABLE, retryable: a Retry spun on it ~45 s)
    ("127.0.0.1:abc", "'127.0.0.1:abc' has port 'abc', not a number in the range 1-65535"),
    ("[::1]:http", "port 'http', not a number in the range 1-65535"),
    ("dedup.example:-1", "port '-1', not a number"),
    # In gRPC's own forms, which were passed on unchecked: gRPC read their ports the same way.
    ("ipv4:127.0.0.1:99999", "'ipv4:127.0.0.1:99999' has port '99999', outside the range 1-65535: give host:port "
                             "with a port in it, e.g. 'ipv4:127.0.0.1:50051'"),
    ("ipv4:10.0.0.7:7000,10.0.0.8:0", "port '0', outside the range 1-65535: give host:port with a port in it, e.g. "
                                      "'ipv4:10.0.0.7:7000,10.0.0.8:50051'"),
    ("ipv4:127.0.0.1:", "port '', not a number in the range 1-65535"),
    ("dns:///dedup.example:99999", "port '99999', outside the range 1-65535: give host:port with a port in it, "
                                   "e.g. 'dns:///dedup.example:50051'"),
    ("dns://8.8.8.8:53/dedup.example:abc", "port 'abc', not a number in the range 1-65535: give host:port with a "
                                           "port in it, e.g. 'dns://8.8.8.8:53/dedup.example:50051'"),
    ("dns:dedup.example:65536", "port '65536', outside the range 1-65535"),
    ("dns:///[::1]:70000", "port '70000', outside the range 1-65535: give host:port with a port in it, e.g. "
                           "'dns:///[::1]:50051'"),
    ("ipv6:[::1]:0x", "'ipv6:[::1]:0x' has port '0x', not a number in the range 1-65535: give host:port with a "
                      "port in it, e.g. 'ipv6:[::1]:50051'"),
    ("ipv6:[::1]:7000,[::2]:99999", "port '99999', outside the range 1-65535"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "said"), [*MISREAD, *OUT_OF_RANGE])
def test_an_address_grpc_would_misread_or_a_port_outside_1_to_65535_is_refused_saying_what_to_write(
    target: str, said: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(said)):
        with_default_port(target)
    with pytest.raises(ValueError, match=re.escape(said)):
        NeardupClient(target)


@pytest.mark.parametrize("target", ["127.0.0.1:1", "localhost:65535", "[::1]:65535", "[2001:db8::7]:1"])
def test_the_ports_at_either_end_of_the_range_are_taken(target: str) -> None:
    assert with_default_port(target) == target


@pytest.mark.parametrize(
    ("server", "said"),
    [
        ("50051", "neardup: the server address '50051' is a port alone: give a host too, e.g. 'localhost:50051'\n"),
        ("127.0.0.1:99999", "neardup: the server address '127.0.0.1:99999' has port '99999', outside the range "
                            "1-65535: give host:port with a port in it, e.g. '127.0.0.1:50051'\n"),
        ("127.0.0.1:", "neardup: the server address '127.0.0.1:' has no port after its colon"),
    ],
)  # fmt: skip
def test_the_cli_given_an_address_it_refuses_says_what_to_write_in_one_line(
    server: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["stats", "--server", server], env={})
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1 and err.endswith("\n"), err


def test_an_empty_neardup_server_means_the_default_address() -> None:
    # (it was taken as the address "", and connected to ":50051"; a blank one failed "Misformatted domain name")
    assert _parser({"NEARDUP_SERVER": ""}).parse_args(["stats"]).server == f"127.0.0.1:{DEFAULT_PORT}"
    assert _parser({"NEARDUP_SERVER": "  "}).parse_args(["stats"]).server == f"127.0.0.1:{DEFAULT_PORT}"
    assert _parser({"NEARDUP_SERVER": "nd.example:7000"}).parse_args(["stats"]).server == "nd.example:7000"


def test_the_default_port_is_the_one_the_server_listens_on() -> None:
    assert Settings().port == DEFAULT_PORT


def test_the_client_limits_are_the_server_limits() -> None:
    assert api.MAX_BATCH_ARTICLES == servicer.MAX_BATCH_ARTICLES  # (more: each article refused)
    assert api.MAX_DELETES_PER_CALL == engine.MAX_DELETED_AT_ONCE  # (more: the call refused)
    assert api.MAX_ANSWER_BYTES >= servicer.MAX_ANSWER_BYTES  # (less: a large answer fails the stream)
    assert api.MAX_ID_BYTES == detector.MAX_ID_BYTES  # (the client refuses what the server would)


def test_a_stream_reads_ahead_no_more_than_keeps_the_server_busy() -> None:
    # At least the server's window and a whole batch beyond it (a batch must fill to be sent: with less, a
    # stream of full batches would wait for answers its server never got); not much more, or memory grows.
    assert api.STREAM_WINDOW >= servicer.STREAM_WINDOW + api.MAX_BATCH_ARTICLES
    assert api.STREAM_WINDOW <= 4 * servicer.STREAM_WINDOW


def test_the_client_pings_no_more_often_than_a_server_allows() -> None:
    # (more often, and the server would end the connection with GOAWAY "too many pings")
    assert Settings().min_client_ping_seconds <= api.KEEPALIVE_SECONDS
    assert Settings().min_client_ping_seconds == api.MIN_KEEPALIVE_SECONDS  # (the floor a client is held to)


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"timeout": 0}, r"timeout=0: give the seconds a call may take \(above 0, at most 1e\+09\), or None"),
        ({"timeout": -5.0}, r"timeout=-5\.0: "),
        ({"timeout": float("nan")}, r"timeout=nan: "),
        ({"timeout": float("inf")}, r"timeout=inf: .* or None for no bound"),  # (every call failed at once)
        ({"timeout": 1e10}, r"timeout=10000000000\.0: .* at most 1e\+09"),  # (gRPC's deadline overflowed)
        ({"keepalive_seconds": 2.0}, r"keepalive_seconds=2\.0 is below the 10 s a server allows .*too_many_pings"),
        ({"keepalive_seconds": 0, "min_keepalive_seconds": 0}, r"keepalive_seconds=0: .* above 0"),
    ],
)
def test_a_timeout_or_keepalive_no_call_could_work_with_is_refused_when_made(
    settings: dict[str, float], refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        NeardupClient("127.0.0.1:9", **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan"), float("inf")])
def test_a_wait_no_server_could_answer_in_is_refused_before_it_waits(timeout: float) -> None:
    # (0 said "no server at ... after 0.0s" of a server that was up, -1 "after -1.0s", nan waited for ever, inf was
    # a bare OverflowError)
    said = rf"^timeout={timeout!r}: give the seconds to wait for the server \(above 0, at most 1e\+09\)$"
    with NeardupClient("127.0.0.1:9") as client, pytest.raises(ValueError, match=said):
        client.wait_ready(timeout)
    with NeardupClient("127.0.0.1:9") as client, pytest.raises(TypeError, match=r"^timeout=None: give the seconds"):
        client.wait_ready(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("given", "error"), [(0, ValueError), (-1, ValueError), ((64 << 10) - 1, ValueError),
                                              (4.5, TypeError), ("4194304", TypeError), (True, TypeError)])  # fmt: skip
def test_a_message_limit_no_article_could_pass_is_refused_when_made(given: object, error: type[Exception]) -> None:
    # (taken, every article was then refused "over the -1 bytes a request may carry"; "4194304" failed at the call)
    with pytest.raises(error, match=rf"^max_message_bytes={re.escape(repr(given))}: give "):
        NeardupClient("127.0.0.1:9", max_message_bytes=given)  # type: ignore[arg-type]
    NeardupClient("127.0.0.1:9", max_message_bytes=api.MIN_MESSAGE_BYTES).close()
    NeardupClient("127.0.0.1:9", max_message_bytes=np.int64(8 << 20)).close()  # type: ignore[arg-type]


def test_seconds_of_numpy_or_fraction_are_taken_as_before() -> None:
    # (only int and float were taken at first: a timeout from numpy, fine before, was refused)
    for seconds in (np.int64(5), np.float32(5.5), Fraction(11, 2)):
        NeardupClient("127.0.0.1:9", timeout=seconds).close()  # type: ignore[arg-type]


@pytest.mark.parametrize("setting", ["timeout", "keepalive_seconds", "min_keepalive_seconds"])
@pytest.mark.parametrize("given", ["5", True])
def test_seconds_given_as_no_number_are_a_type_error_naming_the_setting(setting: str, given: object) -> None:
    # ("5" was a bare TypeError from a comparison: "'<' not supported between instances of 'int' and 'str'")
    with pytest.raises(TypeError, match=rf"^{setting}={given!r}: give the seconds as a number$"):
        NeardupClient("127.0.0.1:9", **{setting: given})  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1.0, float("inf")])
def test_a_stream_timeout_no_call_could_work_with_is_refused_before_anything_is_sent(timeout: float) -> None:
    with NeardupClient("127.0.0.1:9") as client, pytest.raises(ValueError, match=rf"timeout={timeout!r}: "):
        next(client.index_stream([], timeout=timeout))


@pytest.mark.parametrize(
    ("batch", "refusal", "said"),
    [
        (
            0,
            ValueError,
            r"batch=0: give how many articles a message may carry, 1 or more \(1: a message each; at "
            r"most 1000 travel in one\)",
        ),
        (-3, ValueError, r"batch=-3: "),
        (2.5, TypeError, r"batch=2\.5: give a whole number of articles a message, 1 or more"),
        (True, TypeError, r"batch=True: "),  # (an int to Python, but a flag in the wrong place)
        ("16", TypeError, r"batch='16': "),
    ],
)
def test_a_stream_batch_no_call_could_work_with_is_refused_when_the_stream_is_made(
    batch: object, refusal: type[Exception], said: str
) -> None:
    # (0 and -3 were taken as 1, silently; 2.5 as no count at all)
    with NeardupClient("127.0.0.1:9") as client, pytest.raises(refusal, match=said):
        client.index_stream([], batch=batch)  # type: ignore[arg-type]


def test_a_stream_batch_of_any_integer_type_is_taken_as_an_int() -> None:
    for batch in (1, np.int64(16), 1000):
        whole = api._whole_batch(batch)  # type: ignore[arg-type]
        assert whole == batch and type(whole) is int


def test_a_lower_keepalive_is_taken_for_a_server_that_allows_it() -> None:
    with NeardupClient("127.0.0.1:9", keepalive_seconds=2, min_keepalive_seconds=2, timeout=None) as client:
        assert client.timeout is None


def test_the_client_connects_to_the_default_port_of_a_bare_host() -> None:
    with NeardupClient("127.0.0.1") as client:
        assert client.target == f"127.0.0.1:{DEFAULT_PORT}"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        # (cut to 1000, raised to 1, and taken as 0 retries: all silently)
        (["ingest", "in.jsonl", "--batch", "1001"], "argument --batch: 1001 is out of range: give from 1 to 1000"),
        (["ingest", "in.jsonl", "--batch", "0"], "argument --batch: 0 is out of range: give from 1 to 1000"),
        (["ingest", "in.jsonl", "--retries", "-1"], "argument --retries: -1 is out of range: give 0 or more"),
        (["check", "in.jsonl", "--retries", "-1"], "argument --retries: -1 is out of range: give 0 or more"),
        (["ingest", "in.jsonl", "--batch", "lots"], "argument --batch: 'lots' is not a whole number"),
    ],
)
def test_a_count_out_of_range_is_refused_naming_its_flag(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser({}).parse_args(argv)
    assert exited.value.code == 2
    assert said in capsys.readouterr().err


def test_the_edges_of_the_counts_are_taken() -> None:
    edges = _parser({}).parse_args(["ingest", "in.jsonl", "--batch", "1000", "--retries", "0"])
    assert (edges.batch, edges.retries) == (1000, 0)
    assert _parser({}).parse_args(["ingest", "in.jsonl", "--batch", "1"]).batch == 1


def test_an_index_stream_is_a_real_generator() -> None:
    # (A wrapper object once stood in for it, to keep close() from warning: callers and frameworks that dispatch
    # on inspect.isgenerator took the stream for something else.)
    with NeardupClient("127.0.0.1:9") as client:
        stream = client.index_stream([])
        assert inspect.isgenerator(stream)
        with pytest.warns(RuntimeWarning, match="was never iterated"):  # (dropped unstarted: nothing was sent)
            del stream
            gc.collect()


@pytest.mark.parametrize(
    ("target", "named"),
    [
        ("localhost:7000", [("localhost", "7000")]),
        ("[::1]:7000", [("::1", "7000")]),
        ("ipv4:127.0.0.1:1,127.0.0.2", [("127.0.0.1", "1"), ("127.0.0.2", None)]),
        ("ipv6:[::1]:7000,::2", [("::1", "7000"), ("::2", None)]),
        ("dns:///dedup.example:7000", [("dedup.example", "7000")]),
        ("dns://8.8.8.8:53/[::1]:abc", [("::1", "abc")]),  # (the authority is a DNS server's: not the target's)
        ("dns:dedup.example", [("dedup.example", None)]),
        ("unix:/run/neardup.sock", []),
        ("vsock:3:7000", []),
    ],
)
def test_the_hosts_and_ports_a_target_names_are_read_in_one_place(
    target: str, named: list[tuple[str, str | None]]
) -> None:
    # (the port check of with_default_port and the TLS probe each read targets their own way: the probe read
    # host:port alone, and took nothing from gRPC's forms)
    addresses = api.target_addresses(target)
    assert [(a.host, a.port) for a in addresses] == named
    assert all(target[a.at : a.at + len(a.text)] == a.text for a in addresses)


@pytest.mark.parametrize("form", ["127.0.0.1:{port}", "ipv4:127.0.0.1:{port}", "dns:///127.0.0.1:{port}",
                                  "ipv4:127.0.0.1:{closed},127.0.0.1:{port}"])  # fmt: skip
def test_a_connection_is_tried_to_the_port_of_a_target_in_grpcs_own_forms(form: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening, socket.create_server(("127.0.0.1", 0)) as closed:
        port, closed_port = listening.getsockname()[1], closed.getsockname()[1]
        closed.close()
        assert api.takes_connections(form.format(port=port, closed=closed_port), timeout=5)
    assert not api.takes_connections("unix:/nowhere/neardup.sock", timeout=5)
