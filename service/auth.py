"""Who may call: the bearer tokens of --auth-token-file, read again when the file changes, and TLS credentials
(with --tls-client-ca, mutual TLS: a client certificate that CA signed).

The interceptor that checks a call's token is in interceptors.py (BearerTokenAuth); this module reads the
files the settings name, and refuses at start a pair of them that cannot work.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

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
    if not settings.tls_cert:
        return None
    key, cert = _setting_file("--tls-key", settings.tls_key), _setting_file("--tls-cert", settings.tls_cert)
    _require_usable_pair(settings.tls_cert, settings.tls_key)
    if not settings.tls_client_ca:
        return grpc.ssl_server_credentials([(key, cert)])
    # Mutual TLS: a caller without a certificate this CA signed is refused in the handshake (its gRPC says only
    # "Socket closed"; the neardup client then probes, and says it needs --cert-file and --key-file).
    client_ca = _setting_file("--tls-client-ca", settings.tls_client_ca)
    _require_ca_certificates(settings.tls_client_ca)
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca, require_client_auth=True)


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
