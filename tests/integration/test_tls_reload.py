"""TLS files replaced under a running server (cert-manager, Vault agent): new connections get the new certificate
and client CAs without a restart; a replacement that cannot serve keeps the files before it (service/auth.py,
TlsFiles). Real server, real handshakes, certificates made here (test_tls.make_pki, test_mtls.make_clients)."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from client import NeardupClient, UnavailableError
from service import auth
from service.auth import TlsFiles
from tests.integration.test_mtls import Clients, make_clients
from tests.integration.test_tls import Pki, make_pki
from tests.support import in_process_server


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


def _said(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "service.auth" and r.levelno == level]


def test_new_connections_get_a_replaced_certificate_and_open_ones_keep_theirs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
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


def test_a_replaced_client_ca_decides_new_connections(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Mutual TLS: the clients' CA replaced, a certificate the new CA signed is accepted and one the old CA signed
    refused. A CA file holding no certificate on the way keeps the CA before it."""
    caplog.set_level(logging.INFO, logger="service.auth")
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
        [warned] = _said(caplog, logging.WARNING)
        assert f"--tls-client-ca {client_ca} holds no usable PEM certificate" in warned, warned
        _replace(client_ca, new.ca)
        assert accepted(new) and not accepted(old)
    assert _said(caplog, logging.INFO) == [f"TLS client CA certificates reloaded from {client_ca}, for new connections"]
    assert len(_said(caplog, logging.WARNING)) == 1


def test_a_key_that_is_not_the_certificates_keeps_the_pair_before_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The key replaced first (a rotation writing its files one by one, or a wrong key): the server serves A's pair
    on, says so once, and serves the new pair once the certificate that goes with the key is there."""
    caplog.set_level(logging.INFO, logger="service.auth")
    a, b, cert, key = _pkis(tmp_path)
    with in_process_server(tmp_path / "data", tls_cert=str(cert), tls_key=str(key)) as (running, _plain):
        target = f"127.0.0.1:{running.port}"
        _replace(key, b.key)
        for _ in range(3):  # (a WARNING for the change, not for each connection)
            assert _works(target, a.ca)
        [warned] = _said(caplog, logging.WARNING)
        assert f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: the key in --tls-key is not the key of the " \
            "certificate in --tls-cert" in warned, warned  # fmt: skip
        assert "new connections keep the certificate served before" in warned
        assert _said(caplog, logging.INFO) == []
        _replace(cert, b.cert)
        assert _works(target, b.ca)
        assert not _works(target, a.ca)
    assert len(_said(caplog, logging.WARNING)) == 1
    [reloaded] = _said(caplog, logging.INFO)
    assert reloaded.startswith(f"TLS certificate reloaded from {cert}"), reloaded


def test_an_unreadable_file_is_read_again_a_while_later_and_a_fetch_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that could not be read is tried again TLS_RETRY_SECONDS later though its stamp is the same (a chmod
    mends it, changing no stamp), with no second WARNING; and what goes wrong unforeseen is logged, not raised
    into gRPC core: the handshake keeps the configuration served."""
    _a, b, cert, key = _pkis(tmp_path)
    now = [0.0]
    files = TlsFiles(str(cert), str(key), clock=lambda: now[0])
    read = auth._setting_file
    refused = {str(key)}

    def unreadable(flag: str, path: str) -> bytes:
        if path in refused:
            raise OSError(f"{flag} {path}: cannot read it (Permission denied)")
        return read(flag, path)

    monkeypatch.setattr(auth, "_setting_file", unreadable)
    _replace(cert, b.cert)
    _replace(key, b.key)
    assert files.fetch() is None
    assert files.fetch() is None  # (not read again yet, nor said again)
    [warned] = _said(caplog, logging.WARNING)
    assert f"--tls-key {key}: cannot read it (Permission denied)" in warned, warned
    refused.clear()  # (the chmod)
    assert files.fetch() is None
    now[0] += auth.TLS_RETRY_SECONDS
    assert files.fetch() is not None
    assert files.fetch() is None  # (nothing changed since)

    def broken(_path: str) -> None:
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(auth, "_stamp", broken)
    assert files.fetch() is None
    assert files.fetch() is None
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "unforeseen" in logged.getMessage()
