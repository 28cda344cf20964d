"""TLS files replaced under a running server (cert-manager, Vault agent, a Kubernetes Secret volume): new connections
get the new certificate and client CAs without a restart; a replacement that cannot serve keeps the files before it
(service/auth.py, TlsFiles). Real server, real handshakes, certificates made here (test_tls.make_pki,
test_mtls.make_clients); the tests of timing drive TlsFiles with a clock of their own."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import ipaddress
import logging
import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import cast

import grpc
import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from client import NeardupClient, UnavailableError
from service import auth
from service.auth import TLS_LOOK_SECONDS, TLS_SETTLE_SECONDS, TlsFiles
from service.grpc_server import start_server
from tests import support
from tests.integration.test_mtls import Clients, make_clients
from tests.integration.test_tls import Pki, _name, make_pki
from tests.support import in_process_server


@pytest.fixture
def looks_at_each_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server looks at its TLS files before each new connection (once a second otherwise), so that a test's next
    connection meets what it just wrote."""
    monkeypatch.setattr(auth, "TLS_LOOK_SECONDS", 0.0)


def _replace(path: Path, source: Path) -> None:
    """Put `source`'s bytes at `path` as rotation tools do: written beside it, then renamed over it (a new inode,
    so the change shows whatever the file system's mtime granularity)."""
    beside = path.with_name(path.name + ".new")
    shutil.copyfile(source, beside)
    os.replace(beside, path)


def _pkis(tmp_path: Path) -> tuple[Pki, Pki, Path, Path]:
    """Two server certificates for 127.0.0.1, A and B, each signed by a CA of its own, and the two files the
    server is given, holding A's certificate and key."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = make_pki(tmp_path / "a"), make_pki(tmp_path / "b")
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    shutil.copyfile(a.cert, cert)
    shutil.copyfile(a.key, key)
    return a, b, cert, key


def _works(target: str, ca: Path, cert: Path | None = None, key: Path | None = None) -> bool:
    """Whether a new client (a new connection) trusting only `ca` (with this client certificate) is answered."""
    with NeardupClient(target, timeout=5, ca_file=ca, cert_file=cert, key_file=key) as client:
        try:
            return client.health() == "SERVING"
        except UnavailableError:
            return False


def _served(port: int) -> bytes:
    """The DER of the certificate a new connection is served (an OpenSSL client, which takes any key type)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as plain, context.wrap_socket(plain) as tls:
        served = tls.getpeercert(binary_form=True)
    assert served is not None
    return served


def _der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


def _said(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "service.auth" and r.levelno == level]


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_new_connections_get_a_replaced_certificate_and_open_ones_keep_theirs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, looks_at_each_connection: None
) -> None:
    caplog.set_level(logging.INFO, logger="service.auth")
    a, b, cert, key = _pkis(tmp_path)
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        target = f"127.0.0.1:{running.port}"
        with NeardupClient(target, timeout=5, ca_file=a.ca) as opened:
            assert opened.health() == "SERVING"
            _replace(cert, b.cert)
            _replace(key, b.key)
            assert _works(target, b.ca)
            assert opened.health() == "SERVING"  # (its connection keeps the session it made with A)
        assert not _works(target, a.ca)
        assert _works(target, b.ca)
    [reloaded] = _said(caplog, logging.INFO)
    assert reloaded.startswith(f"TLS certificate reloaded from {cert} (expires 20"), reloaded
    assert _said(caplog, logging.WARNING) == []


def test_a_replaced_client_ca_decides_new_connections(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, looks_at_each_connection: None
) -> None:
    """Mutual TLS: the clients' CA replaced, a certificate the new CA signed is accepted and one the old CA signed
    refused. A CA file holding no certificate on the way keeps the client CAs before it, and says so."""
    caplog.set_level(logging.DEBUG, logger="service.auth")
    pki = make_pki(tmp_path)
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old, new = make_clients(tmp_path / "old"), make_clients(tmp_path / "new")
    client_ca = tmp_path / "clients.pem"
    shutil.copyfile(old.ca, client_ca)
    settings = {"tls_cert": str(pki.cert), "tls_key": str(pki.key), "tls_client_ca": str(client_ca)}

    def accepted(clients: Clients) -> bool:
        return _works(target, pki.ca, clients.cert, clients.key)

    with in_process_server(tmp_path / "data", **settings) as (running, _plain):
        target = f"127.0.0.1:{running.port}"
        assert accepted(old) and not accepted(new)
        junk = tmp_path / "junk.pem"
        junk.write_text("# the CA is on its way\n")
        _replace(client_ca, junk)
        assert accepted(old) and not accepted(new)
        [said] = _said(caplog, logging.DEBUG)
        assert f"--tls-client-ca {client_ca} holds no usable PEM certificate" in said, said
        # (it said "keep the certificate served before": the client CAs are kept too)
        assert "new connections keep the certificate and the client CA certificates served before" in said, said
        _replace(client_ca, new.ca)
        assert accepted(new) and not accepted(old)
    assert _said(caplog, logging.INFO) == [f"TLS client CA certificates reloaded from {client_ca}, for new connections"]
    assert _said(caplog, logging.WARNING) == []


def test_a_rotation_writing_the_key_then_the_certificate_is_said_at_debug_and_served_once_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, looks_at_each_connection: None
) -> None:
    """The key replaced first (a rotation writing its files one by one): the server serves A's pair on, and the new
    pair once the certificate that goes with the key is there. Unservable a moment, as nearly every such rotation
    is when a client connects in between, the files are said at DEBUG: it was a WARNING each time."""
    caplog.set_level(logging.DEBUG, logger="service.auth")
    a, b, cert, key = _pkis(tmp_path)
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        target = f"127.0.0.1:{running.port}"
        _replace(key, b.key)
        for _ in range(3):  # (said once for the change, not for each connection)
            assert _works(target, a.ca)
        [said] = _said(caplog, logging.DEBUG)
        assert f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: the key in --tls-key is not the key of the " \
            "certificate in --tls-cert" in said, said  # fmt: skip
        assert "new connections keep the certificate served before" in said
        assert _said(caplog, logging.INFO) == []
        _replace(cert, b.cert)
        assert _works(target, b.ca)
        assert not _works(target, a.ca)
    assert _said(caplog, logging.WARNING) == []
    [reloaded] = _said(caplog, logging.INFO)
    assert reloaded.startswith(f"TLS certificate reloaded from {cert}"), reloaded


def test_the_files_are_looked_at_at_most_once_a_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """gRPC calls the fetcher before each new connection, taking the GIL for it: with busy Python threads, stat'ing
    the files each time took a handshake's median from 1.3 ms to 20 ms. A look is made once a second at most, and
    every other call returns at once, before any file is stat'ed."""
    _a, b, cert, key = _pkis(tmp_path)
    clock = _Clock()
    files = TlsFiles(str(cert), str(key), clock=clock)
    stats: list[str] = []
    stamp = auth._stamp

    def counted(path: str) -> auth._Stamp:
        stats.append(path)
        return stamp(path)

    monkeypatch.setattr(auth, "_stamp", counted)
    _replace(cert, b.cert)
    _replace(key, b.key)
    for _ in range(100):  # (the start has just read the files)
        assert files.fetch() is None
    assert stats == []
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is not None  # (the replaced pair: seen at the first look)
    looked = len(stats)
    for _ in range(100):
        clock.now += TLS_LOOK_SECONDS / 200
        assert files.fetch() is None
    assert len(stats) == looked
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is None
    assert len(stats) == looked + 2  # (the two files, stat'ed once: unchanged)


def test_unservable_files_are_warned_of_only_when_they_stay_so_and_said_when_mended(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Unservable files are said at DEBUG when first found; at WARNING if they still are TLS_SETTLE_SECONDS later,
    once; and when they are put back as they were, after a WARNING, INFO says the files served are usable again
    (nothing said it: the WARNING stood)."""
    caplog.set_level(logging.DEBUG, logger="service.auth")
    a, b, cert, key = _pkis(tmp_path)
    clock = _Clock()
    files = TlsFiles(str(cert), str(key), clock=clock)

    def look(after: float) -> grpc.ServerCertificateConfiguration | None:
        clock.now += after
        return files.fetch()

    # Put back before TLS_SETTLE_SECONDS: DEBUG alone.
    _replace(key, b.key)
    assert look(TLS_LOOK_SECONDS) is None
    assert look(TLS_SETTLE_SECONDS / 2) is None
    _replace(key, a.key)
    assert look(TLS_LOOK_SECONDS) is None
    assert len(_said(caplog, logging.DEBUG)) == 2  # (unservable, and usable again)
    assert _said(caplog, logging.WARNING) == _said(caplog, logging.INFO) == []
    # Left so: one WARNING, at a look TLS_SETTLE_SECONDS later.
    caplog.clear()
    _replace(key, b.key)
    assert look(TLS_LOOK_SECONDS) is None
    for _ in range(int(TLS_SETTLE_SECONDS / TLS_LOOK_SECONDS) - 1):
        assert look(TLS_LOOK_SECONDS) is None
    assert _said(caplog, logging.WARNING) == []
    assert look(TLS_LOOK_SECONDS) is None
    [warned] = _said(caplog, logging.WARNING)
    assert warned.startswith(
        "TLS files unservable for 10 s: new connections keep the certificate served before, until the files are "
        f"mended: --tls-cert {cert} and --tls-key {key} cannot serve TLS: the key in --tls-key is not the key of the "
        "certificate in --tls-cert ("
    ), warned
    for _ in range(3):
        assert look(TLS_SETTLE_SECONDS) is None
    assert len(_said(caplog, logging.WARNING)) == 1
    # Mended back to the key served (no new configuration): said.
    shutil.copyfile(a.key, key)
    assert look(TLS_LOOK_SECONDS) is None
    [mended] = _said(caplog, logging.INFO)
    assert mended.startswith(f"TLS files usable again; serving the certificate served before (from {cert}, expires")
    assert look(TLS_LOOK_SECONDS) is None
    assert len(_said(caplog, logging.INFO)) == 1


def test_lasting_trouble_is_warned_of_when_it_has_lasted_its_time_however_often_the_files_changed_meanwhile(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A second unservable replacement, read a few seconds into the trouble, held off its re-reading (and so the
    WARNING) for TLS_SETTLE_SECONDS after it: the WARNING came up to twice TLS_SETTLE_SECONDS after the trouble
    began."""
    caplog.set_level(logging.DEBUG, logger="service.auth")
    _a, b, cert, key = _pkis(tmp_path)
    clock = _Clock()
    files = TlsFiles(str(cert), str(key), clock=clock)
    clock.now += TLS_LOOK_SECONDS
    _replace(key, b.key)  # (not the certificate's key)
    assert files.fetch() is None
    began = clock.now
    clock.now += TLS_SETTLE_SECONDS / 2
    broken = tmp_path / "broken.key"
    broken.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbroken\n")
    _replace(key, broken)
    assert files.fetch() is None
    assert len(_said(caplog, logging.DEBUG)) == 2
    while clock.now + TLS_LOOK_SECONDS < began + TLS_SETTLE_SECONDS:
        clock.now += TLS_LOOK_SECONDS
        assert files.fetch() is None
    assert _said(caplog, logging.WARNING) == []
    clock.now = began + TLS_SETTLE_SECONDS
    assert files.fetch() is None
    [warned] = _said(caplog, logging.WARNING)
    assert warned.startswith("TLS files unservable for 10 s: "), warned
    for _ in range(int(2 * TLS_SETTLE_SECONDS / TLS_LOOK_SECONDS)):
        clock.now += TLS_LOOK_SECONDS
        assert files.fetch() is None
    assert len(_said(caplog, logging.WARNING)) == 1


def test_a_swap_landing_while_the_files_are_read_is_read_again_not_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Kubernetes Secret volume: tls.crt and tls.key are links through `..data`, which the kubelet swaps to a new
    directory. A swap landing between the read of the key and of the certificate (or during the check of a pair
    unservable for long) has the files read again, whole, and served at once; neither is said as unservable."""
    caplog.set_level(logging.DEBUG, logger="service.auth")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    a, b, c = make_pki(tmp_path / "a"), make_pki(tmp_path / "b"), make_pki(tmp_path / "c")
    secret = tmp_path / "secret"
    secret.mkdir()
    publish = _kubelet(secret)
    publish(a)
    clock = _Clock()
    files = TlsFiles(str(secret / "tls.crt"), str(secret / "tls.key"), clock=clock)
    read, swaps = auth._setting_file, [b]

    def racing(flag: str, path: str) -> bytes:
        data = read(flag, path)
        if flag == "--tls-key" and swaps:
            publish(swaps.pop())  # (the kubelet swaps here: this key is A's, the next certificate read B's)
        return data

    monkeypatch.setattr(auth, "_setting_file", racing)
    os.utime(secret / "..data" / "tls.key")  # (so that the next look reads)
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is not None  # (B, read again: it was thrown away, and served a second later only)
    assert _served_by(files) == _der(b.cert)
    # A pair unservable for long (C's key with B's certificate), mended by a swap landing during its check: the
    # check that failed is not warned of.
    monkeypatch.setattr(auth, "_setting_file", read)
    shutil.copyfile(c.key, secret / "..data" / "tls.key")
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is None
    checked = auth._require_usable_pair

    def mended_meanwhile(cert: str, key: str, chain: bytes) -> None:
        try:
            checked(cert, key, chain)
        finally:
            if not swaps:
                swaps.append(c)
                publish(c)

    monkeypatch.setattr(auth, "_require_usable_pair", mended_meanwhile)
    clock.now += TLS_SETTLE_SECONDS
    assert files.fetch() is not None
    assert _served_by(files) == _der(c.cert)
    assert _said(caplog, logging.WARNING) == []
    assert len(_said(caplog, logging.DEBUG)) == 1  # (C's key with B's certificate, when first found)


def _served_by(files: TlsFiles) -> bytes:
    return ssl.PEM_cert_to_DER_cert(files._pem.cert.decode())


def _kubelet(secret: Path) -> Callable[[Pki], None]:
    """What publishes a pair in `secret` as the kubelet's atomic writer does: the files in a new `..<n>` directory,
    `..data` a link to it swapped in by a rename, the old directory then removed; `tls.crt` and `tls.key` are links
    to `..data/tls.crt` and `..data/tls.key`."""
    published: list[Path] = []

    def publish(pki: Pki) -> None:
        directory = secret / f"..2026_01_01_00_00_{len(published):02d}"
        directory.mkdir()
        shutil.copyfile(pki.cert, directory / "tls.crt")
        shutil.copyfile(pki.key, directory / "tls.key")
        (secret / "..data_tmp").symlink_to(directory.name)
        os.replace(secret / "..data_tmp", secret / "..data")
        if published:
            shutil.rmtree(published[-1])
        else:
            (secret / "tls.crt").symlink_to("..data/tls.crt")
            (secret / "tls.key").symlink_to("..data/tls.key")
        published.append(directory)

    return publish


def test_a_kubernetes_secret_volume_updated_is_served_to_new_connections(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, looks_at_each_connection: None
) -> None:
    caplog.set_level(logging.DEBUG, logger="service.auth")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = make_pki(tmp_path / "a"), make_pki(tmp_path / "b")
    secret = tmp_path / "secret"
    secret.mkdir()
    publish = _kubelet(secret)
    publish(a)
    settings = {"tls_cert": str(secret / "tls.crt"), "tls_key": str(secret / "tls.key")}
    with in_process_server(tmp_path / "data", **settings) as (running, _plain):
        for pki in (b, a, b):
            publish(pki)
            assert _served(running.port) == _der(pki.cert)
        assert _works(f"127.0.0.1:{running.port}", b.ca)
    assert len(_said(caplog, logging.INFO)) == 3
    assert _said(caplog, logging.DEBUG) == _said(caplog, logging.WARNING) == []


def test_a_copy_keeping_the_size_and_time_of_the_file_it_replaces_is_seen(tmp_path: Path) -> None:
    """`cp -p` of a certificate of the same size over the one served, in place, keeps the inode, the size and the
    mtime (a release unpacked from an archive, all one fixed time): it was never picked up. The ctime changes."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = make_pki(tmp_path / "a"), make_pki(tmp_path / "b")
    while b.cert.stat().st_size != a.cert.stat().st_size:  # (an ECDSA signature's DER is 70 to 72 bytes long)
        b = make_pki(tmp_path / "b")
    assert b.key.stat().st_size == a.key.stat().st_size
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    shutil.copyfile(a.cert, cert)
    shutil.copyfile(a.key, key)
    clock = _Clock()
    files = TlsFiles(str(cert), str(key), clock=clock)
    for path, source in ((cert, b.cert), (key, b.key)):
        before = path.stat()
        with path.open("r+b") as rewritten:  # (cp -p: the same file, its bytes and times replaced)
            rewritten.write(source.read_bytes())
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns) == (
            before.st_ino, before.st_size, before.st_mtime_ns,
        )  # fmt: skip
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is not None
    assert _served_by(files) == _der(b.cert)


def test_an_unreadable_file_is_read_again_once_mended_and_a_fetch_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that could not be read is read again at the next look once a chmod mends it (its ctime changed), and
    TLS_SETTLE_SECONDS later if nothing changed it (an error that passes); and what goes wrong unforeseen is
    logged, not raised into gRPC core: the handshake keeps the configuration served."""
    caplog.set_level(logging.DEBUG, logger="service.auth")
    a, b, cert, key = _pkis(tmp_path)
    clock = _Clock()
    files = TlsFiles(str(cert), str(key), clock=clock)
    read = auth._setting_file
    refused = {str(key)}

    def unreadable(flag: str, path: str) -> bytes:
        if path in refused:
            raise OSError(f"{flag} {path}: cannot read it (Permission denied)")
        return read(flag, path)

    monkeypatch.setattr(auth, "_setting_file", unreadable)
    _replace(cert, b.cert)
    _replace(key, b.key)
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is None
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is None  # (not read again yet, nor said again)
    [said] = _said(caplog, logging.DEBUG)
    assert f"--tls-key {key}: cannot read it (Permission denied)" in said, said
    refused.clear()
    os.chmod(key, 0o600)  # (the mend)
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is not None
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is None  # (nothing changed since)
    # An error that passes, the files unchanged: read again TLS_SETTLE_SECONDS later.
    _replace(cert, a.cert)
    _replace(key, a.key)
    refused.add(str(key))
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is None
    refused.clear()
    clock.now += TLS_SETTLE_SECONDS - TLS_LOOK_SECONDS
    assert files.fetch() is None
    clock.now += TLS_LOOK_SECONDS
    assert files.fetch() is not None
    assert _said(caplog, logging.WARNING) == []

    def broken(_path: str) -> None:
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(auth, "_stamp", broken)
    for _ in range(2):
        clock.now += TLS_LOOK_SECONDS
        assert files.fetch() is None
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "unforeseen" in logged.getMessage()


# Key types, each with the certificate made for it: gRPC's TLS (BoringSSL) serves the first five, not the others
# (which Python's OpenSSL loads), and its own clients do not accept EC P-521 and Ed25519 (service/auth.py).
_KEYS: dict[str, Callable[[], CertificateIssuerPrivateKeyTypes]] = {
    "RSA": lambda: rsa.generate_private_key(65537, 2048),
    "EC P-256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EC P-384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "EC P-521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "Ed25519": ed25519.Ed25519PrivateKey.generate,
    "Ed448": ed448.Ed448PrivateKey.generate,
    "EC P-224": lambda: ec.generate_private_key(ec.SECP224R1()),
    "EC secp256k1": lambda: ec.generate_private_key(ec.SECP256K1()),
    "EC curve 1.3.36.3.3.2.8.1.1.7": lambda: ec.generate_private_key(ec.BrainpoolP256R1()),
}
# Made by OpenSSL's command (the cryptography package reads no EC key with explicit curve parameters).
_EXPLICIT = "EC with explicit curve parameters"
_SERVED = ("RSA", "EC P-256", "EC P-384", "EC P-521", "Ed25519")


def _self_signed(
    directory: Path, kind: str, make_key: Callable[[], CertificateIssuerPrivateKeyTypes] | None = None
) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 with a key of this kind, signed by that key, and the key: their files, named
    after `kind`. The key is made by `make_key`, or else by `_KEYS[kind]`."""
    if kind == _EXPLICIT:
        return _openssl_explicit(directory)
    key = (make_key or _KEYS[kind])()
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(_name("localhost"))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(san, critical=False)
        .sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256())
    )  # fmt: skip
    name = kind.replace(" ", "-")
    cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pkcs8 = serialization.PrivateFormat.PKCS8
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()))
    return cert_file, key_file


def _openssl_explicit(directory: Path) -> tuple[Path, Path]:
    """A P-256 key written with its curve's parameters, not its name, and a certificate for 127.0.0.1 it signed."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make an EC key with explicit curve parameters")
    cert_file, key_file = directory / "explicit.pem", directory / "explicit.key"
    run = functools.partial(subprocess.run, check=True, capture_output=True, timeout=60)
    run([openssl, "ecparam", "-name", "prime256v1", "-param_enc", "explicit", "-genkey", "-noout", "-out", key_file])
    run([openssl, "req", "-x509", "-new", "-key", key_file, "-out", cert_file, "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1"])  # fmt: skip
    return cert_file, key_file


@pytest.mark.parametrize("kind", [*_KEYS, _EXPLICIT])
def test_the_key_types_said_servable_are_the_ones_grpc_serves(tmp_path: Path, kind: str) -> None:
    """What TlsFiles refuses, tried with gRPC itself: a grpcio that serves other key types shows here."""
    cert, key = _self_signed(tmp_path, kind)
    assert auth._key_type(cert.read_bytes()) == (kind, kind in _SERVED)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    try:
        # (as the server makes them: TlsFiles.credentials)
        pair = grpc.ssl_server_certificate_configuration([(key.read_bytes(), cert.read_bytes())])
        unchanged = cast(Callable[[], grpc.ServerCertificateConfiguration], lambda: None)
        try:
            port = server.add_secure_port("127.0.0.1:0", grpc.dynamic_ssl_server_credentials(pair, unchanged))
        except RuntimeError:
            port = 0
        assert bool(port) == (kind in _SERVED)
        if port:
            server.start()
            assert _served(port) == _der(cert)
    finally:
        server.stop(None)


def test_a_key_type_grpc_cannot_serve_is_refused_at_start_and_not_said_reloaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, looks_at_each_connection: None
) -> None:
    """An Ed448 pair, which Python's OpenSSL loads: at start gRPC only failed to bind the port ("another process may
    be using the port"), and replacing a pair served it was logged as reloaded while the pair before it was served
    on."""
    ed_cert, ed_key = _self_signed(tmp_path, "Ed448")
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(ed_cert), tls_key=str(ed_key)))
    assert str(refused.value) == (
        f"--tls-cert {ed_cert} and --tls-key {ed_key} cannot serve TLS: theirs is an Ed448 key, which gRPC does not "
        "serve; it serves RSA, EC P-256, P-384 and P-521, and Ed25519 keys (and its own clients take RSA, EC P-256 and "
        "P-384 ones only)"
    )
    caplog.set_level(logging.DEBUG, logger="service.auth")
    a, _b, cert, key = _pkis(tmp_path)
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        _replace(key, ed_key)
        _replace(cert, ed_cert)
        for _ in range(2):
            assert _served(running.port) == _der(a.cert)
    assert _said(caplog, logging.INFO) == []
    [said] = _said(caplog, logging.DEBUG)
    assert "theirs is an Ed448 key, which gRPC does not serve" in said, said


def test_an_ec_key_with_explicit_curve_parameters_is_refused_naming_it_and_the_mend(tmp_path: Path) -> None:
    """It was said to be "an EC curve None key"."""
    cert, key = _self_signed(tmp_path, _EXPLICIT)
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(cert), tls_key=str(key)))
    said = str(refused.value)
    assert said.startswith(
        f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: theirs is an EC key with explicit curve parameters, "
        "which gRPC does not serve; "
    ), said
    assert said.endswith(
        "; issue the key and certificate again with a named curve (`openssl ecparam -name prime256v1 -param_enc "
        "named_curve -genkey`, or `openssl ec -param_enc named_curve` to convert the key)"
    ), said


def _trusted(pem: Path, directory: Path) -> Path:
    """The certificate as `openssl x509 -trustout -addtrust serverAuth` writes it: OpenSSL's TRUSTED CERTIFICATE,
    its DER followed by its trust settings (a SEQUENCE holding the SEQUENCE of trusted uses: serverAuth)."""
    server_auth = bytes.fromhex("06082b06010505070301")
    aux = b"\x30\x0c\x30\x0a" + server_auth
    body = base64.encodebytes(_der(pem) + aux).decode("ascii")
    trusted = directory / f"trusted-{pem.name}"
    trusted.write_text(f"-----BEGIN TRUSTED CERTIFICATE-----\n{body}-----END TRUSTED CERTIFICATE-----\n")
    return trusted


def test_a_trusted_certificate_pem_is_refused_at_start_and_at_reload_saying_how_to_convert_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, looks_at_each_connection: None
) -> None:
    """OpenSSL reads a -----BEGIN TRUSTED CERTIFICATE-----, so it passed the checks; gRPC does not: at start it
    failed to bind the port ("another process may be using the port"), and a replacement was said reloaded."""
    a, b, cert, key = _pkis(tmp_path)
    trusted = _trusted(b.cert, tmp_path)
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(trusted), tls_key=str(b.key)))
    assert str(refused.value) == (
        f"--tls-cert {trusted} holds no -----BEGIN CERTIFICATE----- block, which gRPC needs (a -----BEGIN TRUSTED "
        f"CERTIFICATE----- is OpenSSL's own form, with trust settings): `openssl x509 -in {trusted} -out NEW.pem` "
        "writes it as one, dropping the trust settings"
    )
    caplog.set_level(logging.DEBUG, logger="service.auth")
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        _replace(key, b.key)
        _replace(cert, trusted)
        for _ in range(2):
            assert _served(running.port) == _der(a.cert)
    assert _said(caplog, logging.INFO) == []
    [said] = _said(caplog, logging.DEBUG)
    assert f"--tls-cert {cert} holds no -----BEGIN CERTIFICATE----- block" in said, said


@pytest.mark.parametrize("kind", ["EC P-521", "Ed25519"])
def test_a_key_grpc_serves_but_its_own_clients_refuse_is_served_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.INFO, logger="service.auth")
    cert, key = _self_signed(tmp_path, kind)
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        assert _served(running.port) == _der(cert)  # (OpenSSL's client takes it)
        assert not _works(f"127.0.0.1:{running.port}", cert)  # (gRPC's does not)
    [warned] = _said(caplog, logging.WARNING)
    assert warned.startswith(f"--tls-cert {cert} holds an {kind} key: gRPC's C-core clients"), warned


@pytest.mark.parametrize("reload", ["on", "off"])
def test_with_reloading_off_a_replaced_certificate_is_not_served_and_no_handshake_calls_python(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, looks_at_each_connection: None,
    reload: str,
) -> None:  # fmt: skip
    """--tls-reload off: the files read at start are served with no fetcher, so a new connection's handshake calls
    no Python (it waited for the GIL behind busy threads: docs/ops.md), and a replaced pair waits for a restart."""
    caplog.set_level(logging.INFO, logger="service.auth")
    fetched: list[None] = []
    fetch = TlsFiles.fetch

    def counted(files: TlsFiles) -> grpc.ServerCertificateConfiguration | None:
        fetched.append(None)
        return fetch(files)

    monkeypatch.setattr(TlsFiles, "fetch", counted)
    a, b, cert, key = _pkis(tmp_path)
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key), tls_reload=reload) as (running, _):
        target = f"127.0.0.1:{running.port}"
        assert _works(target, a.ca)
        _replace(cert, b.cert)
        _replace(key, b.key)
        served = b if reload == "on" else a
        assert _served(running.port) == _der(served.cert)
        assert _works(target, served.ca)
        assert not _works(target, (a if reload == "on" else b).ca)
    if reload == "on":
        assert fetched
        [reloaded] = _said(caplog, logging.INFO)
        assert reloaded.startswith(f"TLS certificate reloaded from {cert}"), reloaded
    else:
        assert fetched == []
        assert _said(caplog, logging.INFO) == [
            "TLS files read once (--tls-reload off): a certificate replaced is served after a restart only"
        ]


def test_with_reloading_off_mutual_tls_still_asks_for_a_client_certificate(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    (tmp_path / "clients").mkdir()
    clients = make_clients(tmp_path / "clients")
    settings = {"tls_cert": str(pki.cert), "tls_key": str(pki.key), "tls_client_ca": str(clients.ca)}
    with in_process_server(tmp_path / "data", tls_reload="off", **settings) as (running, _plain):
        target = f"127.0.0.1:{running.port}"
        assert _works(target, pki.ca, clients.cert, clients.key)
        assert not _works(target, pki.ca)


def _rsa(directory: Path, bits: int) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 with an RSA key of `bits` bits, and the key: their files."""
    return _self_signed(directory, f"RSA-{bits}", lambda: rsa.generate_private_key(65537, bits))


@pytest.mark.parametrize("bits", [1024, 2047])
def test_an_rsa_key_under_2048_bits_is_refused_naming_its_size(tmp_path: Path, bits: int) -> None:
    """gRPC serves an RSA-1024 pair (and its own clients take it), but OpenSSL refuses it at its default security
    level, loading it as the start's check does, and as a client verifying it: the start said only that the files
    "must be a PEM certificate (chain) and its PEM private key, unencrypted". That level (112 bits) passes RSA-2000
    and RSA-2047 keys: the floor said, 2048 bits, was not the one enforced."""
    cert, key = _rsa(tmp_path, bits)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    try:  # (gRPC itself serves it: a grpcio that stops doing so shows here)
        port = server.add_secure_port(
            "127.0.0.1:0", grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())])
        )
        server.start()
        assert _served(port) == _der(cert)
    finally:
        server.stop(None)
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(cert), tls_key=str(key)))
    assert str(refused.value) == (
        f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: theirs is an RSA key of {bits} bits, and the server "
        "takes RSA keys of 2048 bits or more only (OpenSSL's clients, Python's ssl among them, refuse smaller ones at "
        "their default security level): issue the key and certificate again with an RSA key of 2048 bits or more, "
        "or an EC P-256 one"
    )
    cert, key = _rsa(tmp_path, 2048)
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        assert _works(f"127.0.0.1:{running.port}", cert)


def _certificate(
    subject: str, key: CertificateIssuerPrivateKeyTypes,
    issuer: tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes] | None = None,
    *, is_ca: bool | None = None, for_loopback: bool = False,
) -> x509.Certificate:  # fmt: skip
    """A certificate of `subject` for `key`, valid from five minutes ago for a day, signed by `issuer` (its
    certificate and key), or by `key` itself. Its basic constraints (critical) say whether it is a CA, unless
    `is_ca` is None (then it has none); `for_loopback` names 127.0.0.1 as its subject alternative name."""
    now = dt.datetime.now(dt.UTC)
    built = (
        x509.CertificateBuilder().subject_name(_name(subject))
        .issuer_name(issuer[0].subject if issuer else _name(subject))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
    )  # fmt: skip
    if is_ca is not None:
        built = built.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    if for_loopback:
        built = built.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return built.sign(issuer[1] if issuer else key, hashes.SHA256())


def _leaf_and_ca(directory: Path, ca_key: CertificateIssuerPrivateKeyTypes, is_ca: bool = True) -> tuple[Path, Path]:
    """An RSA-2048 certificate for 127.0.0.1 followed by the certificate of the CA (of this key) that signed it, and
    the leaf's key: their files. (`is_ca` False: that certificate's basic constraints say it is no CA.)"""
    ca = _certificate("weak CA", ca_key, is_ca=is_ca)
    key = rsa.generate_private_key(65537, 2048)
    leaf = _certificate("localhost", key, (ca, ca_key), for_loopback=True)
    pem = serialization.Encoding.PEM
    cert_file, key_file = directory / "chain.pem", directory / "leaf.key"
    cert_file.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    pkcs8 = serialization.PrivateFormat.PKCS8
    key_file.write_bytes(key.private_bytes(pem, pkcs8, serialization.NoEncryption()))
    return cert_file, key_file


def test_a_chain_whose_ca_key_is_too_small_is_refused_naming_the_ca(tmp_path: Path) -> None:
    """An RSA-2048 leaf whose CA, in the chain, has an RSA-1024 (or an EC P-192) key: OpenSSL refuses it loading
    the pair (CA_KEY_TOO_SMALL), and the start said only that the files "must be a PEM certificate (chain) and its
    PEM private key, unencrypted"."""
    (tmp_path / "rsa").mkdir()
    cert, key = _leaf_and_ca(tmp_path / "rsa", rsa.generate_private_key(65537, 1024))
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(cert), tls_key=str(key)))
    assert str(refused.value) == (
        f"--tls-cert {cert} cannot serve TLS: its certificate 2, of the CA CN=weak CA, has an RSA key of 1024 bits, "
        "and the server takes RSA keys of 2048 bits or more only, in the chain as in the certificate served "
        "(OpenSSL's clients refuse smaller ones at their default security level): issue that CA's certificate again "
        "with an RSA key of 2048 bits or more, or an EC P-256 one, and the certificates it signed"
    )
    (tmp_path / "no-ca").mkdir()  # (it was said to be "of the CA" all the same)
    cert, key = _leaf_and_ca(tmp_path / "no-ca", rsa.generate_private_key(65537, 1024), is_ca=False)
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(cert), tls_key=str(key)))
    assert str(refused.value).startswith(
        f"--tls-cert {cert} cannot serve TLS: its certificate 2 of the chain (CN=weak CA) has an RSA key of 1024 "
        "bits, and the server takes RSA keys of 2048 bits or more only, in the chain as in the certificate served "
        "(OpenSSL's clients refuse smaller ones at their default security level): issue that certificate again with "
    ), str(refused.value)
    (tmp_path / "ec").mkdir()
    try:
        cert, key = _leaf_and_ca(tmp_path / "ec", ec.generate_private_key(ec.SECP192R1()))
    except UnsupportedAlgorithm:
        return  # (a cryptography without P-192)
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(cert), tls_key=str(key)))
    assert str(refused.value).startswith(
        f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: a CA certificate in --tls-cert's chain has a key "
        "too small for OpenSSL's default security level: issue it again with an RSA key of 2048 bits or more, or an "
        "EC P-256 one, and the certificates it signed ("
    ), str(refused.value)


def test_an_rsa_pss_key_too_small_for_openssl_is_refused_as_rsa_pss(tmp_path: Path) -> None:
    """OpenSSL refused an RSA-PSS 1024 pair loading it (EE_KEY_TOO_SMALL), before the key type was looked at: the
    start said only that the files "must be a PEM certificate (chain) and its PEM private key, unencrypted"."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make an RSA-PSS key")
    cert, key = tmp_path / "pss.pem", tmp_path / "pss.key"
    run = functools.partial(subprocess.run, check=True, capture_output=True, timeout=60)
    run([openssl, "genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:1024", "-out", key])
    run([openssl, "req", "-x509", "-new", "-key", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"])
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(cert), tls_key=str(key)))
    assert str(refused.value).startswith(
        f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: theirs is an RSA-PSS key, which gRPC does not serve"
    ), str(refused.value)


def test_a_chain_whose_first_certificate_is_a_trusted_certificate_is_refused_at_start_and_at_reload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, looks_at_each_connection: None
) -> None:
    """A TRUSTED CERTIFICATE followed by -----BEGIN CERTIFICATE----- blocks passed the checks, which read the first
    of those (its key type, its expiry) where OpenSSL and gRPC serve the TRUSTED one: an Ed448 certificate followed
    by a CA's passed, and gRPC failed to bind the port."""
    a, b, cert, key = _pkis(tmp_path)
    ed_cert, ed_key = _self_signed(tmp_path, "Ed448")
    small_cert, small_key = _rsa(tmp_path, 1024)  # (OpenSSL refused it first, said to be the next one's size)
    big_cert, _big_key = _rsa(tmp_path, 4096)
    for first, its_key, then in (
        (b.cert, b.key, b.ca),
        (ed_cert, ed_key, b.ca),
        (small_cert, small_key, b.ca),
        (small_cert, small_key, big_cert),
    ):
        chain = tmp_path / f"chain-{first.name}-{then.name}"
        chain.write_bytes(_trusted(first, tmp_path).read_bytes() + then.read_bytes())
        with pytest.raises(ValueError) as refused:
            start_server(support.test_settings(tmp_path / "refused", tls_cert=str(chain), tls_key=str(its_key)))
        assert str(refused.value) == (
            f"--tls-cert {chain}'s first certificate is a -----BEGIN TRUSTED CERTIFICATE----- block (OpenSSL's own "
            "form, with trust settings), which gRPC reads as the certificate served only while a -----BEGIN "
            f"CERTIFICATE----- block follows it: `openssl x509 -in {chain} -out NEW.pem` writes that first "
            f"certificate as one, dropping the trust settings; then copy the blocks after it in {chain} (the rest of "
            "the chain) to the end of NEW.pem"
        )
    caplog.set_level(logging.DEBUG, logger="service.auth")
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        _replace(key, b.key)
        _replace(cert, tmp_path / f"chain-{b.cert.name}-{b.ca.name}")
        for _ in range(2):
            assert _served(running.port) == _der(a.cert)
    assert _said(caplog, logging.INFO) == []
    [said] = _said(caplog, logging.DEBUG)
    assert f"--tls-cert {cert}'s first certificate is a -----BEGIN TRUSTED CERTIFICATE----- block" in said, said


def _relabelled(pem: Path, label: str, directory: Path) -> Path:
    """The certificate in a -----BEGIN `label`----- block (X509 CERTIFICATE: an old label OpenSSL and gRPC read)."""
    relabelled = directory / f"{label.replace(' ', '-')}-{pem.name}"
    relabelled.write_text(pem.read_text().replace("BEGIN CERTIFICATE", f"BEGIN {label}").replace(
        "END CERTIFICATE", f"END {label}"
    ))  # fmt: skip
    return relabelled


def test_the_first_certificate_like_block_is_the_one_checked_whatever_its_label_and_whatever_comes_before_it(
    tmp_path: Path,
) -> None:
    """OpenSSL and gRPC serve the first block labelled CERTIFICATE, TRUSTED CERTIFICATE or X509 CERTIFICATE, passing
    over a key's before it; the checks looked at the first block of any kind: a combined file (the key, then a
    TRUSTED CERTIFICATE, then a CA's) passed them and gRPC failed to bind the port, so did an X509 CERTIFICATE Ed448
    certificate followed by a CA's, and an X509 CERTIFICATE alone was explained as a TRUSTED CERTIFICATE."""
    b = make_pki(tmp_path)
    ed_cert, ed_key = _self_signed(tmp_path, "Ed448")
    combined = tmp_path / "combined.pem"
    combined.write_bytes(ed_key.read_bytes() + _trusted(ed_cert, tmp_path).read_bytes() + b.ca.read_bytes())
    old_first = tmp_path / "old-first.pem"
    old_first.write_bytes(_relabelled(ed_cert, "X509 CERTIFICATE", tmp_path).read_bytes() + b.ca.read_bytes())
    old_alone = _relabelled(b.cert, "X509 CERTIFICATE", tmp_path)
    for chain, its_key, said in (
        (
            combined,
            ed_key,
            f"--tls-cert {combined}'s first certificate is a -----BEGIN TRUSTED CERTIFICATE----- block (OpenSSL's own "
            "form, with trust settings), which gRPC reads as the certificate served only while a -----BEGIN "
            "CERTIFICATE----- block follows it: ",
        ),
        (
            old_first,
            ed_key,
            f"--tls-cert {old_first}'s first certificate is a -----BEGIN X509 CERTIFICATE----- block (an old label of "
            f"one, which gRPC reads but the server's checks do not): `openssl x509 -in {old_first} -out NEW.pem` "
            f"writes that first certificate as one; then copy the blocks after it in {old_first} (the rest of the "
            "chain) to the end of NEW.pem",
        ),
        (
            old_alone,
            b.key,
            f"--tls-cert {old_alone} holds no -----BEGIN CERTIFICATE----- block, which the server needs (a -----BEGIN "
            "X509 CERTIFICATE----- is an old label of one, which gRPC reads but the server's checks do not): "
            f"`openssl x509 -in {old_alone} -out NEW.pem` writes it as one",
        ),
    ):
        with pytest.raises(ValueError) as refused:
            start_server(support.test_settings(tmp_path / "refused", tls_cert=str(chain), tls_key=str(its_key)))
        assert str(refused.value).startswith(said), str(refused.value)
    # (a key before a -----BEGIN CERTIFICATE----- chain, as haproxy's combined files: served)
    combined.write_bytes(b.key.read_bytes() + b.cert.read_bytes() + b.ca.read_bytes())
    with in_process_server(tmp_path / "data", tls_cert=str(combined), tls_key=str(b.key)) as (running, _plain):
        assert _served(running.port) == _der(b.cert)
        assert _works(f"127.0.0.1:{running.port}", b.ca)


@pytest.mark.parametrize("reload", ["on", "off"])
def test_a_chain_holding_a_certificate_cryptography_cannot_read_is_left_to_openssl_and_served(
    tmp_path: Path, reload: str
) -> None:
    """An X.509 v2 certificate after a valid chain (a leaf, an EC intermediate, an RSA root): cryptography refuses
    to read it with InvalidVersion, which is no ValueError, and the start stopped with a traceback where OpenSSL
    and gRPC serve the chain."""
    root_key, int_key, leaf_key = rsa.generate_private_key(65537, 3072), ec.generate_private_key(ec.SECP256R1()), (
        rsa.generate_private_key(65537, 2048)
    )  # fmt: skip
    root = _certificate("test root", root_key, is_ca=True)
    intermediate = _certificate("EC intermediate", int_key, (root, root_key), is_ca=True)
    leaf = _certificate("localhost", leaf_key, (intermediate, int_key), is_ca=False, for_loopback=True)
    der = serialization.Encoding.DER
    v2 = intermediate.public_bytes(der).replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x01", 1)  # (v3 -> v2)
    v2_block = ssl.DER_cert_to_PEM_cert(v2).encode("ascii")
    with pytest.raises(Exception) as unread:
        x509.load_pem_x509_certificate(v2_block)
    assert not isinstance(unread.value, ValueError), unread.value  # (InvalidVersion: what the checks did not catch)
    pem = serialization.Encoding.PEM
    cert, key, ca = tmp_path / "chain.pem", tmp_path / "leaf.key", tmp_path / "root.pem"
    cert.write_bytes(b"".join(c.public_bytes(pem) for c in (leaf, intermediate, root)) + v2_block)
    pkcs8 = serialization.PrivateFormat.PKCS8
    key.write_bytes(leaf_key.private_bytes(pem, pkcs8, serialization.NoEncryption()))
    ca.write_bytes(root.public_bytes(pem))
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key), tls_reload=reload) as (
        running,
        _plain,
    ):
        assert _served(running.port) == leaf.public_bytes(der)
        assert _works(f"127.0.0.1:{running.port}", ca)
    # (and a v2 certificate served: its expiry and key type are not said, OpenSSL and gRPC judge it)
    assert auth._first_certificate(v2_block + cert.read_bytes()) is None


def test_a_key_too_small_for_openssl_in_a_certificate_the_checks_did_not_read_names_no_key_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When OpenSSL refuses the certificate served as too small (EE_KEY_TOO_SMALL) and the checks, reading another
    one, found nothing wrong (as with a TRUSTED CERTIFICATE after a key, before they read the first certificate-like
    block), the key type they read is not the one refused: "theirs is an EC P-256 key too small" was said of an
    RSA-1024 key. (Made here by the checks reading a P-256 certificate where the pair is RSA-1024.)"""
    cert, key = _rsa(tmp_path, 1024)
    monkeypatch.setattr(auth, "_small_rsa_keys", lambda chain: [])
    monkeypatch.setattr(auth, "_key_type", lambda chain: ("EC P-256", True))
    with pytest.raises(ValueError) as refused:
        start_server(support.test_settings(tmp_path / "refused", tls_cert=str(cert), tls_key=str(key)))
    assert str(refused.value).startswith(
        f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: the key of the certificate served is too small for "
        "OpenSSL's default security level: issue the key and certificate again with an RSA key of 2048 bits or more, "
        "or an EC P-256 one (["
    ), str(refused.value)
