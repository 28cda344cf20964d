"""Mutual TLS (--tls-client-ca) with real certificates made here: the server's (test_tls.make_pki), a CA of the
clients and a client certificate it signed, and one signed by another CA."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from benchmarks.loadtest import connect
from client import Article, NeardupClient, Retry, UnavailableError, api
from client.api import TLS_PROBE_SECONDS, TlsAnswer, tls_answer
from client.cli import main
from service.grpc_server import RunningServer, start_server
from tests import support
from tests.articles import WIRE
from tests.integration.test_tls import Pki, _ca, _name, make_pki
from tests.support import closing_port, in_process_server
from tests.unit.test_container_lint import _instructions

# What the CLI says to a command that gave no client certificate to a server that requires one.
CLI_CERT_REMEDY = "the server requires a client certificate: give --cert-file and --key-file (NEARDUP_CERT_FILE, " \
    "NEARDUP_KEY_FILE)"  # fmt: skip


@dataclass
class Clients:
    ca: Path  # the CA the server trusts for its callers (--tls-client-ca)
    cert: Path  # a client certificate it signed, and its key
    key: Path
    other_cert: Path  # a client certificate another CA signed, and its key
    other_key: Path


def _client_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, name: str
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(name)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    return cert, key


def make_clients(directory: Path) -> Clients:
    pem = serialization.Encoding.PEM
    ca_key, ca_cert = _ca("neardup clients' CA")
    other_key, other_ca = _ca("someone else's clients' CA")
    clients = Clients(directory / "clients-ca.pem", directory / "client.pem", directory / "client.key",
                      directory / "stranger.pem", directory / "stranger.key")  # fmt: skip
    clients.ca.write_bytes(ca_cert.public_bytes(pem))
    for (cert, key), cert_path, key_path in (
        (_client_cert(ca_key, ca_cert, "ingest"), clients.cert, clients.key),
        (_client_cert(other_key, other_ca, "stranger"), clients.other_cert, clients.other_key),
    ):
        cert_path.write_bytes(cert.public_bytes(pem))
        key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return clients


@pytest.fixture
def mtls_server(tmp_path: Path) -> Iterator[tuple[RunningServer, Pki, Clients]]:
    pki, clients = make_pki(tmp_path), make_clients(tmp_path)
    settings = {"tls_cert": str(pki.cert), "tls_key": str(pki.key), "tls_client_ca": str(clients.ca), "health_port": 0}
    with in_process_server(tmp_path / "data", **settings) as (running, _plain):
        yield running, pki, clients


def test_a_client_with_a_certificate_the_clients_ca_signed_indexes(
    mtls_server: tuple[RunningServer, Pki, Clients],
) -> None:
    running, pki, clients = mtls_server
    target = f"127.0.0.1:{running.port}"
    with NeardupClient(target, ca_file=pki.ca, cert_file=clients.cert, key_file=clients.key) as client:
        assert client.health() == "SERVING"
        assert client.index(Article("a", WIRE)).id == "a"
        assert client.get("a").article.body == WIRE


def test_a_client_without_a_certificate_is_told_it_needs_one_at_once_and_not_retried(
    mtls_server: tuple[RunningServer, Pki, Clients],
) -> None:
    """gRPC says only "Socket closed", as of a forwarder whose server is not up yet (retryable): the client's TLS
    probe tells the server requires a client certificate."""
    running, pki, _clients = mtls_server
    retries: list[float] = []
    retry = Retry(attempts=3, first_wait=5, max_wait=5)  # (retried, these would take 15 s)
    started = time.monotonic()
    with NeardupClient(f"127.0.0.1:{running.port}", timeout=5, ca_file=pki.ca) as client:
        with pytest.raises(UnavailableError) as caught:
            client.index(Article("a", WIRE), retry=retry, on_retry=lambda _e, _n, wait: retries.append(wait))
        assert time.monotonic() - started < TLS_PROBE_SECONDS + 1
        assert retries == [] and not caught.value.retryable
        assert caught.value.details.endswith(
            "Socket closed (the server requires a client certificate: give cert_file and key_file)"
        ), caught.value.details
        with pytest.raises(UnavailableError) as streamed:
            list(client.index_stream([Article("a", WIRE)], retry=retry, on_retry=lambda _e, _n, w: retries.append(w)))
        assert retries == [] and not streamed.value.retryable
        assert "requires a client certificate" in streamed.value.details


@pytest.mark.parametrize("form", ["ipv4:127.0.0.1:{port}", "dns:///127.0.0.1:{port}"])
def test_the_probe_reads_the_port_of_a_target_in_grpcs_own_forms(
    mtls_server: tuple[RunningServer, Pki, Clients], form: str
) -> None:
    # (the probe read host:port alone, so a client of ipv4:/dns: targets was told a bare "Socket closed", retryable)
    running, pki, _clients = mtls_server
    with NeardupClient(form.format(port=running.port), timeout=5, ca_file=pki.ca) as client:
        with pytest.raises(UnavailableError) as caught:
            client.stats()
        assert not caught.value.retryable
        assert "the server requires a client certificate: give cert_file and key_file" in caught.value.details


def test_a_client_certificate_from_another_ca_is_refused_saying_so(
    mtls_server: tuple[RunningServer, Pki, Clients],
) -> None:
    running, pki, clients = mtls_server
    target = f"127.0.0.1:{running.port}"
    with (
        NeardupClient(target, timeout=5, ca_file=pki.ca, cert_file=clients.other_cert, key_file=clients.other_key) as c,
        pytest.raises(UnavailableError) as caught,
    ):
        c.stats()
    assert not caught.value.retryable
    assert caught.value.details.endswith(
        "(the server did not accept the client certificate: cert_file must be signed by a CA the server trusts "
        "(its --tls-client-ca), hold the intermediate CA certificates between them after its own, if any, and be valid "
        "now)"
    ), caught.value.details


def test_a_plaintext_client_is_told_of_tls_and_the_client_certificate_together(
    mtls_server: tuple[RunningServer, Pki, Clients],
) -> None:
    running, _pki, _clients = mtls_server
    target = f"127.0.0.1:{running.port}"
    with NeardupClient(target, timeout=5) as client, pytest.raises(UnavailableError) as caught:
        client.stats()
    assert not caught.value.retryable
    assert caught.value.details.endswith(
        f"(the server at {target} serves TLS only, and requires a client certificate: connect with a ca_file (or "
        "tls=True), a cert_file and a key_file)"
    ), caught.value.details


def test_the_health_port_stays_plaintext_for_probes(mtls_server: tuple[RunningServer, Pki, Clients]) -> None:
    running, _pki, _clients = mtls_server
    with NeardupClient(f"127.0.0.1:{running.health_port}", timeout=5) as probe:
        assert probe.health() == "SERVING"


@contextmanager
def _tls_then_closed(pki: Pki) -> Iterator[int]:
    """A loopback port that completes a TLS handshake (asking no client certificate) and then closes the connection,
    as a forwarder that ends TLS itself does while its server is not up yet."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert, pki.key)
    context.set_alpn_protocols(["h2"])

    def handle(conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except OSError:
            conn.close()

    with closing_port(handle=handle) as (port, _came):
        yield port


def test_a_tls_forwarder_with_no_server_behind_it_is_not_taken_for_one_that_wants_a_certificate(
    tmp_path: Path,
) -> None:
    """It closes connections after a completed TLS handshake, as a server refusing a client's certificate does under
    TLS 1.3; under TLS 1.2 it completes the handshake, where such a server ends it: retryable, nothing said."""
    pki, clients = make_pki(tmp_path), make_clients(tmp_path)
    with _tls_then_closed(pki) as port:
        for cert in (None, clients.cert):
            key = None if cert is None else clients.key
            with (
                NeardupClient(f"127.0.0.1:{port}", timeout=5, ca_file=pki.ca, cert_file=cert, key_file=key) as client,
                pytest.raises(UnavailableError) as caught,
            ):
                client.stats()
            assert caught.value.retryable and "certificate" not in caught.value.details, caught.value.details


@contextmanager
def _alternating(backend: int, live_first: bool) -> Iterator[tuple[int, list[str]]]:
    """A loopback port forwarding TCP, turn about, to nothing (a backend that is down: the connection closed at once)
    and to the port `backend`, as a round-robin forwarder over two backends, one down; and the turns taken."""
    turns: list[str] = []

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def forward(conn: socket.socket) -> None:
        live = (len(turns) % 2 == 0) == live_first
        turns.append("live" if live else "dead")
        if not live:
            conn.close()
            return
        behind = socket.create_connection(("127.0.0.1", backend), timeout=5)
        behind.settimeout(None)
        for source, sink in ((conn, behind), (behind, conn)):
            threading.Thread(target=pipe, args=(source, sink), daemon=True).start()

    with closing_port(handle=forward) as (port, _came):
        yield port, turns


def test_a_forwarder_turning_between_a_dead_backend_and_a_tls_server_is_not_taken_for_one_that_wants_a_certificate(
    tmp_path: Path,
) -> None:
    """The server asks no client certificate. A call that lands on the dead backend stays retryable, said nothing
    of a certificate: gRPC says "Handshake read failed (Socket closed)", which no server refusing a certificate
    makes, so no probe is made. And a probe whose TLS 1.2 handshake lands there (its 1.3 one on the server) does
    not read the close as a refused certificate: the server said nothing before it."""
    pki, clients = make_pki(tmp_path), make_clients(tmp_path)
    with in_process_server(tmp_path / "data", tls_cert=str(pki.cert), tls_key=str(pki.key)) as (running, _plain):
        with _alternating(running.port, live_first=False) as (port, turns):
            for cert, key in ((None, None), (clients.cert, clients.key)):
                with (
                    NeardupClient(f"127.0.0.1:{port}", timeout=5, ca_file=pki.ca, cert_file=cert, key_file=key) as c,
                    pytest.raises(UnavailableError) as caught,
                ):
                    c.stats()
                assert caught.value.retryable and "certificate" not in caught.value.details, caught.value.details
                turns.clear()  # (the next client lands on the dead backend first too)
        with _alternating(running.port, live_first=True) as (port, turns):
            assert tls_answer(f"127.0.0.1:{port}", timeout=TLS_PROBE_SECONDS) is TlsAnswer.SERVES
            assert turns == ["live", "dead"]


def _closed_once_read(conn: socket.socket) -> None:
    """Close `conn` once the client's first bytes (its TLS hello) are read: closed with them unread, it is reset."""
    with conn, suppress(OSError):
        conn.settimeout(0.2)
        while conn.recv(65536):
            pass


def test_a_tls_client_makes_no_probe_for_a_connection_closed_in_the_handshake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe is for a bare "Socket closed" only: each failure of a TLS client to reach a server cost up to 2 s
    (TLS_PROBE_SECONDS) and a thread, for no word to say."""
    pki = make_pki(tmp_path)
    probed: list[str] = []

    def answer(target: str, **_kw: object) -> TlsAnswer:
        probed.append(target)
        return TlsAnswer.NONE

    monkeypatch.setattr(api, "tls_answer", answer)
    with (
        closing_port(handle=_closed_once_read) as (port, came),
        NeardupClient(f"127.0.0.1:{port}", timeout=5, ca_file=pki.ca) as client,
    ):
        with pytest.raises(UnavailableError) as caught:
            client.stats()
        assert caught.value.retryable and "Handshake read failed (Socket closed)" in caught.value.details
        assert came and probed == []


def test_the_cli_names_its_flags_for_a_missing_or_refused_client_certificate(
    mtls_server: tuple[RunningServer, Pki, Clients], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running, pki, clients = mtls_server
    target = f"127.0.0.1:{running.port}"
    env = {"NEARDUP_CA_FILE": str(pki.ca)}
    assert main(["stats", "--server", target], env=env) == 2
    said = capsys.readouterr().err
    assert said.endswith(f"Socket closed ({CLI_CERT_REMEDY})\n"), said
    stranger = ["--cert-file", str(clients.other_cert), "--key-file", str(clients.other_key)]
    assert main(["stats", "--server", target, *stranger], env=env) == 2
    assert "did not accept the client certificate: --cert-file (NEARDUP_CERT_FILE) must be signed by a CA the " \
        "server trusts" in capsys.readouterr().err  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main(["stats", "--server", target, "--cert-file", str(clients.cert)], env=env)
    assert exited.value.code == 2
    assert "neardup: --cert-file without --key-file (NEARDUP_KEY_FILE): a client certificate goes with its key" in (
        capsys.readouterr().err
    )
    env |= {"NEARDUP_CERT_FILE": str(clients.cert), "NEARDUP_KEY_FILE": str(clients.key)}
    assert main(["stats", "--server", target], env=env) == 0
    assert '"articles": 0' in capsys.readouterr().out
    # ingest waits up to 10 s for a server to come up: one it cannot talk to is said at once
    articles = tmp_path / "in.jsonl"
    articles.write_text(json.dumps({"id": "a", "body": WIRE}) + "\n")
    started = time.monotonic()
    ingest = ["ingest", str(articles), "--output", str(tmp_path / "out.jsonl"), "--no-progress", "--server", target]
    assert main(ingest, env={"NEARDUP_CA_FILE": str(pki.ca)}) == 2
    assert time.monotonic() - started < 9.5
    assert capsys.readouterr().err.endswith(f"({CLI_CERT_REMEDY})\n")


def test_the_images_healthcheck_speaks_plaintext_to_the_health_port_with_mtls_variables_set(
    mtls_server: tuple[RunningServer, Pki, Clients], capsys: pytest.CaptureFixture[str]
) -> None:
    """A container set up for its client commands (NEARDUP_CA_FILE, NEARDUP_CERT_FILE, NEARDUP_KEY_FILE): they turned
    TLS on for its HEALTHCHECK too, which then spoke TLS to the plaintext health port, unhealthy for ever."""
    running, pki, clients = mtls_server
    env = {"NEARDUP_CA_FILE": str(pki.ca), "NEARDUP_CERT_FILE": str(clients.cert), "NEARDUP_KEY_FILE": str(clients.key),
           "NEARDUP_TLS": "1"}  # fmt: skip
    check = json.loads(next(i for i in _instructions() if i.startswith("HEALTHCHECK ")).split(" CMD ", 1)[1])
    assert check[:2] == ["neardup", "health"]
    moved = [f"127.0.0.1:{running.health_port}" if arg == "127.0.0.1:50052" else arg for arg in check[1:]]
    assert main(moved, env=env) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "SERVING\n"
    # (the same variables reach the main port, where the client certificate is asked for)
    assert main(["health", "--server", f"127.0.0.1:{running.port}"], env=env) == 0


def test_no_tls_sets_aside_the_variables_tls_files_and_is_refused_beside_such_a_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki, clients = make_pki(tmp_path), make_clients(tmp_path)
    env = {"NEARDUP_CERT_FILE": str(clients.cert), "NEARDUP_KEY_FILE": str(clients.key)}
    with in_process_server(tmp_path / "data") as (running, _plain):  # (plaintext)
        target = f"127.0.0.1:{running.port}"
        # a certificate, from the variables, turned TLS on: the hint names it, not only --tls and --ca-file
        assert main(["stats", "--server", target], env=env) == 2
        said = capsys.readouterr().err
        assert f"(the server at {target} speaks plaintext: leave out --cert-file, --key-file (NEARDUP_CERT_FILE, " \
            "NEARDUP_KEY_FILE), which turn TLS on, and --tls, --ca-file" in said, said  # fmt: skip
        assert main(["stats", "--server", target, "--no-tls"], env=env | {"NEARDUP_CA_FILE": str(pki.ca)}) == 0
        assert '"articles": 0' in capsys.readouterr().out
        for flags, named in (
            (["--ca-file", str(pki.ca)], "--ca-file: it connects"),
            (["--cert-file", str(clients.cert), "--key-file", str(clients.key)], "--cert-file, --key-file: they"),
        ):
            with pytest.raises(SystemExit) as exited:
                main(["stats", "--server", target, "--no-tls", *flags], env={})
            assert exited.value.code == 2
            assert f"neardup: --no-tls with {named}" in capsys.readouterr().err


def test_the_bench_says_a_client_certificate_is_required_and_connects_with_one(
    mtls_server: tuple[RunningServer, Pki, Clients],
) -> None:
    running, pki, clients = mtls_server
    target = f"127.0.0.1:{running.port}"
    with pytest.raises(SystemExit) as ended:
        connect(target, ca_file=str(pki.ca), wait=1)
    assert f"neardup-bench: cannot talk to {target}: " in str(ended.value.code)
    assert str(ended.value.code).endswith(f"({CLI_CERT_REMEDY})")
    connect(target, ca_file=str(pki.ca), wait=5, cert_file=str(clients.cert), key_file=str(clients.key)).close()


def test_client_certificate_settings_that_cannot_work_are_refused_at_once(tmp_path: Path) -> None:
    clients = make_clients(tmp_path)
    with pytest.raises(ValueError, match="cert_file without key_file: a client certificate goes with its key"):
        NeardupClient("127.0.0.1:1", cert_file=clients.cert)
    with pytest.raises(ValueError, match="key_file without cert_file"):
        NeardupClient("127.0.0.1:1", key_file=clients.key)
    with pytest.raises(ValueError, match="is not the key of the certificate"):
        NeardupClient("127.0.0.1:1", cert_file=clients.cert, key_file=clients.other_key)
    with pytest.raises(ValueError, match="must be a PEM certificate"):
        NeardupClient("127.0.0.1:1", cert_file=clients.key, key_file=clients.cert)  # swapped
    with pytest.raises(OSError) as unreadable:
        NeardupClient("127.0.0.1:1", cert_file=tmp_path / "absent.pem", key_file=clients.key)
    assert unreadable.value.filename == str(tmp_path / "absent.pem")


def test_a_client_ca_file_without_a_certificate_or_without_the_servers_own_stops_the_start(tmp_path: Path) -> None:
    pki, clients = make_pki(tmp_path), make_clients(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for client_ca in (garbage, clients.key):  # (a key is not a certificate either)
        settings = support.test_settings(tmp_path / "data", tls_cert=str(pki.cert), tls_key=str(pki.key),
                                         tls_client_ca=str(client_ca))  # fmt: skip
        with pytest.raises(ValueError, match=rf"--tls-client-ca {client_ca} holds no usable PEM certificate"):
            start_server(settings)
    settings = support.test_settings(tmp_path / "data", tls_cert=str(pki.cert), tls_key=str(pki.key),
                                     tls_client_ca=str(tmp_path / "absent.pem"))  # fmt: skip
    with pytest.raises(OSError, match=r"--tls-client-ca .*absent\.pem: cannot read it"):
        start_server(settings)
