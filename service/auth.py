"""Who may call: the bearer tokens of --auth-token-file, read again when the file changes, and TLS credentials
(with --tls-client-ca, mutual TLS: a client certificate that CA signed).

The interceptor that checks a call's token is in interceptors.py (BearerTokenAuth); this module reads the
files the settings name, and refuses at start a pair of them that cannot work.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import grpc

from service.interceptors import accepted_tokens
from service.settings import Settings

log = logging.getLogger(__name__)

TOKEN_FILE_CHECK = 1.0  # seconds between two looks at whether --auth-token-file changed (TokenFile)


class TokenFile:
    """The tokens of --auth-token-file, read again within TOKEN_FILE_CHECK seconds of the file changing, so
    that tokens are added and revoked without a restart. A changed file that cannot be read, or holds no
    token a client could send, leaves the tokens as they were (logged at ERROR); at start it stops the start."""

    def __init__(self, path: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._path, self._clock = path, clock
        self._lock = threading.Lock()
        self._stamp = self._stamp_now()
        # The stamp of a changed file that could not be read (None: it was gone), logged once; _UNFAILED: none.
        self._failed: object = _UNFAILED
        self._tokens = self._read()
        self._checked = clock()

    def tokens(self) -> list[bytes]:
        if self._clock() - self._checked >= TOKEN_FILE_CHECK:
            self._follow()
        return self._tokens

    def _follow(self) -> None:
        with self._lock:
            if self._clock() - self._checked < TOKEN_FILE_CHECK:
                return  # (another call looked meanwhile)
            self._checked = self._clock()
            stamp = self._stamp_now()
            if stamp == self._stamp:
                return
            try:
                self._tokens = self._read()
            except (OSError, ValueError) as exc:
                # The stamp stays the one last read, so the file is tried again at the next look: mended by a
                # chmod, which changes no stamp of it, it was otherwise never read again.
                if stamp != self._failed:
                    log.error("--auth-token-file %s changed, and the tokens before it are kept: %s", self._path, exc)
                self._failed = stamp
                return
            self._stamp, self._failed = stamp, _UNFAILED
            accepted = len(self._tokens)
            log.info(
                "--auth-token-file %s changed: %d token%s accepted now",
                self._path,
                accepted,
                "" if accepted == 1 else "s",
            )

    def _stamp_now(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _read(self) -> list[bytes]:
        raw = _setting_file("--auth-token-file", self._path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"--auth-token-file {self._path}: is not UTF-8 text ({exc.reason})") from None
        try:
            return accepted_tokens(text)
        except ValueError as exc:
            raise ValueError(f"--auth-token-file {self._path}: {exc}") from None


_UNFAILED = object()


def warn_of_exposed_tokens(settings: Settings) -> None:
    if not settings.tls_cert and not _is_loopback(settings.bare_host):
        log.warning("--auth-token-file without TLS on %s: every caller's token crosses the network in clear text, "
                    "for anyone on the path to read and reuse; serve TLS (--tls-cert, --tls-key)",
                    settings.bare_host)  # fmt: skip
    if os.stat(settings.auth_token_file).st_mode & 0o077:
        log.warning("--auth-token-file %s can be read by other users of this machine: chmod 600 it",
                    settings.auth_token_file)  # fmt: skip


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def tls_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """The main port's TLS credentials (None: plaintext). A file that cannot serve stops the start, naming its
    flag; after the start the files are followed (TlsFiles), so a certificate replaced in place (cert-manager,
    Vault agent) is served to new connections without a restart."""
    if not settings.tls_cert:
        return None
    return TlsFiles(settings.tls_cert, settings.tls_key, settings.tls_client_ca).credentials()


TLS_RETRY_SECONDS = 1.0  # seconds between two reads of TLS files found bad that have not changed since (TlsFiles)

# A file's (inode, size, mtime_ns), None if it cannot be stat'ed (gone, for one).
_Stamp = tuple[int, int, int] | None


@dataclass(frozen=True)
class _TlsPem:
    cert: bytes
    key: bytes
    client_ca: bytes | None  # None: no --tls-client-ca (no client certificate asked)

    def configuration(self) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration([(self.key, self.cert)], root_certificates=self.client_ca)


class TlsFiles:
    """--tls-cert, --tls-key and --tls-client-ca, read at start and again when one of them changes.

    gRPC asks `fetch` for a configuration before each new connection's handshake (on one of its own threads,
    holding up that handshake): it stats the three files, and reads them only when one's (inode, size,
    mtime_ns) is not the one of the files served. Files that read well and pass the start's checks are served
    to new connections from then on (logged at INFO); connections already open keep their session. A
    replacement that does not (caught half-written, a key that is not the new certificate's, a CA file with
    no certificate, a file gone) leaves the configuration served as it was, logged at WARNING once per change,
    and is read again when it changes, or TLS_RETRY_SECONDS after (a chmod mends an unreadable file without
    changing its stamp)."""

    def __init__(self, cert: str, key: str, client_ca: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self._cert, self._key, self._client_ca, self._clock = cert, key, client_ca, clock
        self._lock = threading.Lock()
        self._stamps = self._stamps_now()  # (taken before the read: a change meanwhile is read at the next look)
        self._pem = self._read()  # (at start, what it raises stops the start)
        self._failed: tuple[_Stamp, ...] | None = None  # the stamps of a change found bad, logged; None: none
        self._tried = 0.0  # when that change was last read (clock)
        self._broken = ""  # the last unexpected error of a fetch, logged once

    def credentials(self) -> grpc.ServerCredentials:
        # (grpc-stubs types the fetcher's result without None, which grpcio's docs and code take: "no change")
        fetch = cast(Callable[[], grpc.ServerCertificateConfiguration], self.fetch)
        return grpc.dynamic_ssl_server_credentials(
            self._pem.configuration(), fetch, require_client_authentication=self._pem.client_ca is not None
        )

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """A new configuration for the handshake about to start, or None to keep the one served. Never raises:
        an exception would reach gRPC core, on its own thread."""
        if not self._lock.acquire(blocking=False):
            return None  # (another handshake is reading the files: this one keeps the configuration served)
        try:
            return self._follow()
        except Exception as exc:  # (anything: the handshake goes on with the configuration served)
            if repr(exc) != self._broken:
                log.exception("TLS files: could not look for a new certificate; new connections keep the one "
                              "served (%s)", exc)  # fmt: skip
            self._broken = repr(exc)
            return None
        finally:
            self._lock.release()

    def _follow(self) -> grpc.ServerCertificateConfiguration | None:
        stamps = self._stamps_now()
        if stamps == self._stamps:
            self._failed = None
            return None
        if stamps == self._failed and self._clock() - self._tried < TLS_RETRY_SECONDS:
            return None
        self._tried = self._clock()
        try:
            pem = self._read()
        except (OSError, ValueError) as exc:
            if stamps != self._failed:
                log.warning("TLS files changed, but new connections keep the certificate served before, until the "
                            "files are mended: %s", exc)  # fmt: skip
            self._failed = stamps
            return None
        if self._stamps_now() != stamps:
            return None  # (a file changed while it was read and checked: what was read is read again, whole)
        before, self._pem, self._stamps, self._failed = self._pem, pem, stamps, None
        said = []
        if (pem.cert, pem.key) != (before.cert, before.key):
            expires = _not_after(pem.cert)
            said.append(f"certificate reloaded from {self._cert}" + (f" (expires {expires})" if expires else ""))
        if pem.client_ca != before.client_ca:
            said.append(f"client CA certificates {'' if said else 'reloaded '}from {self._client_ca}")
        if not said:
            return None  # (the same bytes in other files: nothing to change, nor to say)
        log.info("TLS %s, for new connections", " and ".join(said))
        return pem.configuration()

    def _stamps_now(self) -> tuple[_Stamp, ...]:
        return tuple(_stamp(path) for path in (self._cert, self._key, self._client_ca) if path)

    def _read(self) -> _TlsPem:
        """The three files, checked as the start checks them: an OSError or a ValueError naming the flag."""
        key, cert = _setting_file("--tls-key", self._key), _setting_file("--tls-cert", self._cert)
        _require_usable_pair(self._cert, self._key)
        if not self._client_ca:
            return _TlsPem(cert, key, None)
        # Mutual TLS: a caller without a certificate this CA signed is refused in the handshake (its gRPC says only
        # "Socket closed"; the neardup client then probes, and says it needs --cert-file and --key-file).
        client_ca = _setting_file("--tls-client-ca", self._client_ca)
        _require_ca_certificates(self._client_ca)
        return _TlsPem(cert, key, client_ca)


def _stamp(path: str) -> _Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


def _not_after(chain: bytes) -> str | None:
    """When the first certificate of a PEM chain expires ("2026-05-09 07:35:25 UTC"), read from its DER
    (Certificate > TBSCertificate > validity > notAfter); None for anything unexpected: it is only said."""
    try:
        found = _PEM_CERTIFICATE.search(chain)
        if not found:
            return None
        der = base64.b64decode(b"".join(found.group(1).split()))
        _, start, _ = _der(der, 0)  # Certificate
        _, at, _ = _der(der, start)  # TBSCertificate
        tag, _, end = _der(der, at)
        if tag == 0xA0:  # version, [0] EXPLICIT, absent in a v1 certificate
            _, _, at = _der(der, at)
        for _field in ("serialNumber", "signature", "issuer"):
            _, _, at = _der(der, at)
        _, at, _ = _der(der, at)  # validity
        _, _, at = _der(der, at)  # notBefore
        tag, start, end = _der(der, at)
        text = der[start:end].decode("ascii")
        if tag == 0x17:  # UTCTime: YYMMDDHHMMSSZ, the years 1950 to 2049 (RFC 5280)
            text = ("19" if int(text[:2]) >= 50 else "20") + text
        when = dt.datetime.strptime(text, "%Y%m%d%H%M%SZ")
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _der(der: bytes, at: int) -> tuple[int, int, int]:
    """The DER element at `at`: its tag, where its content starts and where it ends."""
    tag, length, at = der[at], der[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(der[at : at + count], "big"), at + count
    if at + length > len(der):
        raise ValueError("truncated DER")
    return tag, at, at + length


def _require_ca_certificates(path: str) -> None:
    """ValueError naming --tls-client-ca if its file holds no PEM certificate: gRPC would only fail to bind the
    port, and the message said the port might be taken. (Read as OpenSSL reads a bundle: comments and all.)"""
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        raise ValueError(
            f"--tls-client-ca {path} holds no usable PEM certificate ({exc}): name the PEM file of the CA (or CAs) "
            "that signed the clients' certificates"
        ) from None


def _require_usable_pair(cert: str, key: str) -> None:
    """ValueError naming the flags if the certificate and key cannot serve TLS together: gRPC would only
    fail to bind the port, and the message said the port might be taken."""
    try:
        # (a password callback: without one, OpenSSL asks for an encrypted key's password on the terminal)
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key, password=lambda: b"")
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc):
            why = "the key in --tls-key is not the key of the certificate in --tls-cert"
        else:
            why = "they must be a PEM certificate (chain) and its PEM private key, unencrypted"
        raise ValueError(f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: {why} ({exc})") from None


def _setting_file(flag: str, path: str) -> bytes:
    """The file a setting names; an OSError naming the setting if it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise OSError(f"{flag} {path}: cannot read it ({exc.strerror or exc})") from None
