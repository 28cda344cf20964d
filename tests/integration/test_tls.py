"""TLS with real certificates made here: a CA, and a server certificate it signed for 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client import Article, NeardupClient, Retry, UnauthenticatedError, UnavailableError
from client import api as client_api
from client.cli import _parser, main
from client.cli_wait import _asked, _Found
from service.grpc_server import RunningServer, start_server
from tests import support
from tests.articles import WIRE
from tests.support import closing_port, in_process_server

# What the CLI says of a TLS server it spoke plaintext to: its flags and variables alone.
CLI_TLS_REMEDY = "serves TLS only: add --tls or --ca-file, or set NEARDUP_TLS or NEARDUP_CA_FILE"


@dataclass
class Pki:
    ca: Path
    cert: Path
    key: Path
    other_ca: Path  # a CA that did not sign the server's certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return key, cert


def make_pki(directory: Path) -> Pki:
    ca_key, ca_cert = _ca("neardup test CA")
    _, other_cert = _ca("someone else's CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(san, critical=False).sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    pki = Pki(directory / "ca.pem", directory / "server.pem", directory / "server.key", directory / "other-ca.pem")
    pki.ca.write_bytes(ca_cert.public_bytes(pem))
    pki.other_ca.write_bytes(other_cert.public_bytes(pem))
    pki.cert.write_bytes(cert.public_bytes(pem))
    pki.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return pki


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[RunningServer, Pki]]:
    pki = make_pki(tmp_path)
    with in_process_server(tmp_path / "data", tls_cert=str(pki.cert), tls_key=str(pki.key)) as (running, _plain):
        yield running, pki


def test_client_trusting_the_ca_indexes_over_tls(tls_server: tuple[RunningServer, Pki]) -> None:
    running, pki = tls_server
    with NeardupClient(f"127.0.0.1:{running.port}", ca_file=pki.ca) as client:
        assert client.health() == "SERVING"
        assert client.index(Article("a", WIRE)).id == "a"
        assert client.get("a").article.body == WIRE


def test_plaintext_and_untrusted_clients_cannot_talk_to_a_tls_server(tls_server: tuple[RunningServer, Pki]) -> None:
    running, pki = tls_server
    target = f"127.0.0.1:{running.port}"
    for client in (NeardupClient(target, timeout=5), NeardupClient(target, timeout=5, ca_file=pki.other_ca)):
        with client, pytest.raises(UnavailableError):
            client.stats()


def test_the_python_client_says_which_of_its_settings_to_change_when_the_handshake_cannot_happen(
    tls_server: tuple[RunningServer, Pki], tmp_path: Path
) -> None:
    # (gRPC's "WRONG_VERSION_NUMBER: Invalid certificate verification context: OK" and "CERTIFICATE_VERIFY_FAILED"
    # were passed on alone: only the CLI said what to change)
    running, pki = tls_server
    with (
        NeardupClient(f"127.0.0.1:{running.port}", timeout=5, ca_file=pki.other_ca) as untrusting,
        pytest.raises(UnavailableError) as untrusted,
    ):
        untrusting.stats()
    assert untrusted.value.details.endswith(
        "(the server's certificate was not accepted: signed by a CA this client does not trust (ca_file names the CA "
        "to trust), or expired or not yet valid)"
    )
    with in_process_server(tmp_path / "plain") as (plain, _client):
        target = f"127.0.0.1:{plain.port}"
        with NeardupClient(target, timeout=5, ca_file=pki.ca) as speaking_tls, pytest.raises(UnavailableError) as tls:
            speaking_tls.stats()
    assert tls.value.details.endswith(
        f"(the server at {target} speaks plaintext: connect with tls=False, and no ca_file, cert_file or key_file)"
    )


def test_the_cli_says_which_tls_setting_to_change_when_the_handshake_cannot_happen(
    tls_server: tuple[RunningServer, Pki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running, pki = tls_server
    target = f"127.0.0.1:{running.port}"
    assert main(["stats", "--server", target], env={}) == 2
    # (it said "… serves TLS: connect with TLS (tls=True, or a ca_file)) (add --tls or --ca-file (NEARDUP_TLS,
    # NEARDUP_CA_FILE))": the Python client's settings, then the CLI's flags, in doubled parentheses)
    assert capsys.readouterr().err.endswith(f"Socket closed (the server at {target} {CLI_TLS_REMEDY})\n")
    assert main(["stats", "--server", target, "--ca-file", str(pki.other_ca)], env={}) == 2
    assert "--ca-file names the CA to trust" in capsys.readouterr().err
    with in_process_server(tmp_path / "plain") as (plain, _client):
        assert main(["stats", "--server", f"127.0.0.1:{plain.port}", "--ca-file", str(pki.ca)], env={}) == 2
        assert "speaks plaintext: leave out --tls, --ca-file" in capsys.readouterr().err
    assert main(["stats", "--server", target, "--ca-file", str(pki.ca)], env={}) == 0  # (the right CA: no hint)
    assert '"articles": 0' in capsys.readouterr().out


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_ingest_and_check_say_which_tls_setting_to_change_as_stats_does(
    command: str, tls_server: tuple[RunningServer, Pki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # They wait up to 10 s for a server to come up, and the handshake's failure was then "no server at ...".
    # A server that is there and cannot be talked to is now said at once: waiting for it cannot help.
    running, pki = tls_server
    articles = tmp_path / "in.jsonl"
    articles.write_text(json.dumps({"id": "a", "body": WIRE}) + "\n")
    run = [command, str(articles), "--output", str(tmp_path / "out.jsonl"), "--no-progress"]
    started = time.monotonic()
    assert main([*run, "--server", f"127.0.0.1:{running.port}"], env={}) == 2
    assert time.monotonic() - started < 9.5  # (the wait alone was 10 s)
    said = capsys.readouterr().err
    assert said.endswith(f"Socket closed (the server at 127.0.0.1:{running.port} {CLI_TLS_REMEDY})\n"), said
    with in_process_server(tmp_path / "plain") as (plain, _client):
        assert main([*run, "--server", f"127.0.0.1:{plain.port}", "--ca-file", str(pki.ca)], env={}) == 2
        assert "speaks plaintext: leave out --tls, --ca-file" in capsys.readouterr().err


def test_a_connection_closed_by_what_serves_no_tls_is_waited_on_and_a_tls_server_told_at_once(
    tls_server: tuple[RunningServer, Pki],
) -> None:
    """ingest and check probe the server once before waiting for it. A closed connection was taken for a TLS
    server: behind a forwarder (docker-proxy, a load balancer) whose server was not up yet, which closes
    connections too, they failed at once saying "if it serves TLS, add --tls" instead of waiting for it."""
    with closing_port(read_first=True) as (port, _came):
        not_up_yet = _parser({}).parse_args(["check", "-", "--server", f"127.0.0.1:{port}"])
        assert _asked(not_up_yet) is _Found.NONE  # (so the wait follows)
    running, _pki = tls_server
    with pytest.raises(UnavailableError, match="Socket closed"):  # (a TLS server: said at once)
        _asked(_parser({}).parse_args(["check", "-", "--server", f"127.0.0.1:{running.port}"]))


def test_tls_and_token_together_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pki = make_pki(tmp_path)
    token = tmp_path / "token"
    token.write_text("tls-and-token")
    settings = {"tls_cert": str(pki.cert), "tls_key": str(pki.key), "auth_token_file": str(token)}
    with in_process_server(tmp_path / "data", **settings) as (running, _plain):
        target = f"127.0.0.1:{running.port}"
        env = {"NEARDUP_CA_FILE": str(pki.ca)}
        assert main(["health", "--server", target], env=env) == 0  # health is open even with auth on
        assert capsys.readouterr().out.strip() == "SERVING"
        with NeardupClient(target, ca_file=pki.ca) as no_token, pytest.raises(UnauthenticatedError):
            no_token.stats()
        assert main(["stats", "--server", target, "--token-file", str(token)], env=env) == 0
        assert '"articles": 0' in capsys.readouterr().out


def test_cert_without_key_is_refused_at_startup() -> None:
    from service.settings import Settings

    with pytest.raises(ValueError, match="go together"):
        Settings.from_args(["--tls-cert", "server.pem"], env={})


def test_tls_settings_that_cannot_work_are_not_retried(tls_server: tuple[RunningServer, Pki], tmp_path: Path) -> None:
    running, pki = tls_server
    retries: list[float] = []
    retry = Retry(attempts=3, first_wait=5, max_wait=5)  # (retried, these would take 15 s)
    with in_process_server(tmp_path / "plain") as (plain, _client):
        for target, ca_file in ((f"127.0.0.1:{running.port}", pki.other_ca), (f"127.0.0.1:{plain.port}", pki.ca)):
            with NeardupClient(target, timeout=5, ca_file=ca_file) as client, pytest.raises(UnavailableError) as caught:
                client.index(Article("a", WIRE), retry=retry, on_retry=lambda _e, _n, wait: retries.append(wait))
            assert not caught.value.retryable
    assert retries == []


def test_a_plaintext_client_of_a_tls_server_is_told_so_at_once_and_not_retried(
    tls_server: tuple[RunningServer, Pki],
) -> None:
    """gRPC says "Socket closed", retryable, as of a forwarder whose server is not up yet: index(retry=Retry())
    spun 40 s and 9 attempts on it, saying nothing of TLS (the CLI alone added a hint)."""
    running, _pki = tls_server
    target = f"127.0.0.1:{running.port}"
    retries: list[float] = []
    retry = Retry(attempts=3, first_wait=5, max_wait=5)  # (retried, these would take 15 s)
    with NeardupClient(target, timeout=5) as client, pytest.raises(UnavailableError) as caught:
        client.index(Article("a", WIRE), retry=retry, on_retry=lambda _e, _n, wait: retries.append(wait))
    assert retries == [] and not caught.value.retryable
    assert caught.value.details.endswith(
        f"Socket closed (the server at {target} serves TLS only: connect with tls=True, or a ca_file)"
    ), caught.value.details
    with NeardupClient(target, timeout=5) as client, pytest.raises(UnavailableError) as streamed:
        list(client.index_stream([Article("a", WIRE)], retry=retry, on_retry=lambda _e, _n, w: retries.append(w)))
    assert retries == [] and not streamed.value.retryable and "serves TLS" in streamed.value.details


def test_a_connection_closed_by_what_serves_no_tls_stays_retryable_with_no_tls_hint() -> None:
    # (a forwarder whose server is not up yet closes a connection as a TLS server does: it is worth retrying)
    with (
        closing_port(read_first=True) as (port, _came),
        NeardupClient(f"127.0.0.1:{port}", timeout=5) as client,
        pytest.raises(UnavailableError) as caught,
    ):
        client.stats()
    assert "Socket closed" in caught.value.details and "TLS" not in caught.value.details
    assert caught.value.retryable


@contextmanager
def _closing_plaintext(hold_tls: bool = False) -> Iterator[tuple[int, list[socket.socket]]]:
    """A loopback port that closes each connection that opens with gRPC's preface, as a forwarder with no server
    behind it does, and counts the TLS handshakes begun on it (the client's TLS probes): each closed, or with
    `hold_tls` held open unanswered (an SNI router whose server is slow), until the block ends."""
    hellos: list[socket.socket] = []

    def handle(conn: socket.socket) -> None:
        first = conn.recv(1024)
        if first.startswith(b"PRI") or not first:
            conn.close()
            return
        hellos.append(conn)
        if not hold_tls:
            conn.close()

    try:
        with closing_port(handle=handle) as (port, _came):
            yield port, hellos
    finally:
        for conn in hellos:
            conn.close()


def test_the_tls_probe_of_a_failing_plaintext_client_is_made_once_for_its_many_failed_calls() -> None:
    """Each failed call made its own probe (a connection and a TLS handshake, ~28 ms of CPU with the system's CA
    store loaded each time): a loop of stats() against a forwarder whose server was down made 103 probes in 3 s."""
    with _closing_plaintext() as (port, hellos), NeardupClient(f"127.0.0.1:{port}", timeout=5) as client:

        def fail_calls(count: int) -> None:
            for _ in range(count):
                with pytest.raises(UnavailableError) as caught:
                    client.stats()
                assert caught.value.retryable and "TLS" not in caught.value.details

        fail_calls(10)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(fail_calls, [10] * 4))
        assert len(hellos) == 1


def test_a_tls_probe_left_unanswered_is_not_waited_for_again_by_each_retry_nor_past_a_streams_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against a port that closes gRPC's preface and holds a TLS handshake unanswered, index(retry=Retry(
    attempts=3, first_wait=0)) took 8 s: each of its 4 tries probed, waiting 2 s. And an index_stream with a
    timeout of 0.3 s took over 2 s: the probe was given the client's timeout, not the time left of the stream."""
    retry = Retry(attempts=3, first_wait=0, max_wait=0, jitter=0)
    with _closing_plaintext(hold_tls=True) as (port, hellos):
        with NeardupClient(f"127.0.0.1:{port}", timeout=30) as client, pytest.raises(UnavailableError) as caught:
            client.index(Article("a", WIRE), retry=retry)
        assert caught.value.retryable and "(after 3 retries, 4 tries in all;" in caught.value.details
        assert len(hellos) == 1
    # A probe's own bound made 30 s (its 2 s left only 1.7 s over the stream's 0.3 s, for a loaded host's delays):
    # a stream that waited it out would take 30 s; one given its time left takes about 0.3 s, and 15 s tells them
    # apart on however busy a host.
    monkeypatch.setattr(client_api, "TLS_PROBE_SECONDS", 30.0)
    with _closing_plaintext(hold_tls=True) as (port, hellos):
        with NeardupClient(f"127.0.0.1:{port}", timeout=30) as client, pytest.raises(UnavailableError) as streamed:
            started = time.monotonic()
            list(client.index_stream([Article("a", WIRE)], timeout=0.3))
        assert time.monotonic() - started < 15  # (it waited out the probe's whole bound, 30 s here: ~0.3 s now)
        assert streamed.value.retryable and "TLS" not in streamed.value.details


def test_a_certificate_and_key_that_cannot_serve_tls_stop_the_start_naming_both_flags(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for cert, key, why in (
        (garbage, pki.key, "must be a PEM certificate"),
        (pki.ca, pki.key, "is not the key of the certificate"),  # (the CA's certificate, the server's key)
        (pki.key, pki.cert, "must be a PEM certificate"),  # swapped
    ):
        # (the message once said the port might be taken)
        with pytest.raises(ValueError, match=rf"--tls-cert .* and --tls-key .* cannot serve TLS: .*{why}"):
            start_server(support.test_settings(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)))


def test_a_ca_file_without_a_certificate_is_refused_naming_it(
    tls_server: tuple[RunningServer, Pki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running, pki = tls_server
    garbage = tmp_path / "garbage-ca.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ValueError, match="holds no usable PEM certificate"):
        NeardupClient(f"127.0.0.1:{running.port}", ca_file=garbage)
    # (the command once said "is `neardup serve` running at ...?")
    for ca_file in (garbage, pki.key):  # (a key is not a certificate either)
        with pytest.raises(SystemExit) as exited:
            main(["stats", "--server", f"127.0.0.1:{running.port}", "--ca-file", str(ca_file)], env={})
        assert exited.value.code == 2
        assert f"neardup: the CA file {ca_file} holds no usable PEM certificate" in capsys.readouterr().err
