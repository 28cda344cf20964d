"""Who may call: the bearer tokens of --auth-token-file, read again when the file changes, and TLS credentials
(with --tls-client-ca, mutual TLS: a client certificate that CA signed).

The interceptor that checks a call's token is in interceptors.py (BearerTokenAuth); this module reads the
files the settings name, and refuses at start a pair of them that cannot work.
"""

from __future__ import annotations

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
from typing import TYPE_CHECKING, cast

import grpc

from service.interceptors import accepted_tokens
from service.settings import Settings

if TYPE_CHECKING:
    from cryptography import x509

log = logging.getLogger(__name__)

TOKEN_FILE_CHECK = 1.0  # seconds between two looks at whether --auth-token-file changed (TokenFile)

# A file's (inode, size, mtime_ns, ctime_ns), None if it cannot be stat'ed (_stamp).
_Stamp = tuple[int, int, int, int] | None


class TokenFile:
    """The tokens of --auth-token-file, read again within TOKEN_FILE_CHECK seconds of the file changing, so
    that tokens are added and revoked without a restart. A changed file that cannot be read, or holds no
    token a client could send, leaves the tokens as they were (logged at ERROR); at start it stops the start."""

    def __init__(self, path: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._path, self._clock = path, clock
        self._lock = threading.Lock()
        self._stamp = _stamp(path)
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
            stamp = _stamp(self._path)
            if stamp == self._stamp:
                return
            try:
                self._tokens = self._read()
            except (OSError, ValueError) as exc:
                # The stamp stays the one last read, so the file is tried again at the next look: mended in a way
                # that changes no stamp of it (a directory's permissions, an error that passes), it was otherwise
                # never read again.
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
    Vault agent) is served to new connections without a restart. With --tls-reload off, the files read at start
    are served until a restart, and gRPC calls no Python before a handshake (TlsFiles.fixed_credentials)."""
    if not settings.tls_cert:
        return None
    files = TlsFiles(settings.tls_cert, settings.tls_key, settings.tls_client_ca)
    if settings.tls_reload == "on":
        return files.credentials()
    log.info("TLS files read once (--tls-reload off): a certificate replaced is served after a restart only")
    return files.fixed_credentials()


# gRPC asks TlsFiles.fetch before each new connection's handshake, on one of its own threads, which takes the GIL
# for it (waiting behind busy Python threads): the files are stat'ed at most once per TLS_LOOK_SECONDS, and every
# other call returns at once, after a clock check.
TLS_LOOK_SECONDS = 1.0
# TLS files found unservable are said at DEBUG (a rotation writing its files one by one is unservable between the
# two), and at WARNING once they have been unservable this long; an unchanged unservable state is read again this
# often (an error that passes, too many open files for one, has the files served then).
TLS_SETTLE_SECONDS = 10.0
_TLS_READ_TRIES = 3  # reads of TLS files that changed while being read, before the next look is left to read them


@dataclass(frozen=True)
class _TlsPem:
    cert: bytes
    key: bytes
    client_ca: bytes | None  # None: no --tls-client-ca (no client certificate asked)

    def configuration(self) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration([(self.key, self.cert)], root_certificates=self.client_ca)


@dataclass
class _Unservable:
    """TLS files found unservable, since `since` (clock) and up to now, the last time read at `read`."""

    since: float
    read: float
    stamps: tuple[_Stamp, ...]  # of the files last found unservable
    said: tuple[_Stamp, ...] | None = None  # those last said at DEBUG
    warned: tuple[_Stamp, ...] | None = None  # those last said at WARNING


class TlsFiles:
    """--tls-cert, --tls-key and --tls-client-ca, read at start and again when one of them changes.

    gRPC calls `fetch` before each new connection's handshake (on one of its own threads, holding up that
    handshake). At most once per TLS_LOOK_SECONDS it stats the three files, and reads them only when one's stamp
    (inode, size, mtime, ctime) is not the one of the files served; every other call returns at once. Files that
    read well and pass the start's checks are served to new connections from then on (logged at INFO);
    connections already open keep their session. A replacement that does not (a rotation midway, caught
    half-written, a key that is not the new certificate's, a CA file with no certificate, a file gone) leaves the
    configuration served as it was: said at DEBUG, and at WARNING (once per change) if the files are still
    unservable TLS_SETTLE_SECONDS after they were first found so (however often they changed meanwhile). It is
    read again when it changes, or TLS_SETTLE_SECONDS later; mended back to the files served, that is said at INFO
    if a WARNING was."""

    def __init__(self, cert: str, key: str, client_ca: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self._cert, self._key, self._client_ca, self._clock = cert, key, client_ca, clock
        self._lock = threading.Lock()
        stamps, read = self._read_settled()
        if isinstance(read, Exception):
            raise read  # (at start, it stops the start, naming the flag)
        self._stamps, self._pem = stamps, read  # the files served, and their stamps when read
        _warn_of_clients_refusing(self._cert, read)
        self._bad: _Unservable | None = None  # files found unservable since the ones served were read
        self._broken = ""  # the last unexpected error of a fetch, logged once
        self._next = clock() + TLS_LOOK_SECONDS  # (clock) no look at the files before then

    def credentials(self) -> grpc.ServerCredentials:
        # (grpc-stubs types the fetcher's result without None, which grpcio's docs and code take: "no change")
        fetch = cast(Callable[[], grpc.ServerCertificateConfiguration], self.fetch)
        return grpc.dynamic_ssl_server_credentials(
            self._pem.configuration(), fetch, require_client_authentication=self._pem.client_ca is not None
        )

    def fixed_credentials(self) -> grpc.ServerCredentials:
        """The files as read at start, served until the server stops: no fetcher, so gRPC calls no Python (nor
        waits for the GIL) before a new connection's handshake, and a replaced file is not looked at."""
        pem = self._pem
        return grpc.ssl_server_credentials(
            [(pem.key, pem.cert)], root_certificates=pem.client_ca, require_client_auth=pem.client_ca is not None
        )

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """A new configuration for the handshake about to start, or None to keep the one served. Never raises:
        an exception would reach gRPC core, on its own thread."""
        if self._clock() < self._next:
            return None  # (the path of nearly every call: a clock read, no file looked at)
        if not self._lock.acquire(blocking=False):
            return None  # (another handshake is looking at the files: this one keeps the configuration served)
        try:
            now = self._clock()
            self._next = now + TLS_LOOK_SECONDS
            return self._look(now)
        except Exception as exc:  # (anything: the handshake goes on with the configuration served)
            if repr(exc) != self._broken:
                log.exception("TLS files: could not look for a new certificate; new connections keep the one "
                              "served (%s)", exc)  # fmt: skip
            self._broken = repr(exc)
            return None
        finally:
            self._lock.release()

    def _look(self, now: float) -> grpc.ServerCertificateConfiguration | None:
        stamps = self._stamps_now()
        bad = self._bad
        if stamps == self._stamps:
            if bad is not None:  # (as they were: a file that could not be stat'ed a moment, then could)
                self._bad = None
                self._usable_again(bad)
            return None
        if (
            bad is not None
            and stamps == bad.stamps
            and now - bad.read < TLS_SETTLE_SECONDS
            and (bad.warned == stamps or now - bad.since < TLS_SETTLE_SECONDS)
        ):
            # (the same unservable files, read lately; read again once they have been unservable TLS_SETTLE_SECONDS
            # unwarned of, however lately another unservable replacement was read)
            return None
        stamps, read = self._read_settled()
        if isinstance(read, Exception):
            self._unservable(now, stamps, read)
            return None
        before, self._pem, self._stamps, self._bad = self._pem, read, stamps, None
        said = []
        if (read.cert, read.key) != (before.cert, before.key):
            expires = _not_after(read.cert)
            said.append(f"certificate reloaded from {self._cert}" + (f" (expires {expires})" if expires else ""))
        if read.client_ca != before.client_ca:
            said.append(f"client CA certificates {'' if said else 'reloaded '}from {self._client_ca}")
        if not said:  # (the same bytes in other files: nothing to change)
            if bad is not None:
                self._usable_again(bad)
            return None
        log.info("TLS %s, for new connections", " and ".join(said))
        if (read.cert, read.key) != (before.cert, before.key):
            _warn_of_clients_refusing(self._cert, read)
        return read.configuration()

    def _unservable(self, now: float, stamps: tuple[_Stamp, ...], exc: Exception) -> None:
        bad = self._bad
        if bad is None:
            self._bad = bad = _Unservable(since=now, read=now, stamps=stamps)
        bad.read, bad.stamps = now, stamps
        lasted = now - bad.since
        if lasted >= TLS_SETTLE_SECONDS:
            # (still unservable at a later look, after a read whose files did not change while it was made: a
            # rotation midway, or a swap landing mid-read, is not said at WARNING)
            if stamps != bad.warned:
                log.warning("TLS files unservable for %.0f s: new connections keep %s, until the files are mended: "
                            "%s", lasted, self._kept(), exc)  # fmt: skip
            bad.warned = bad.said = stamps
        elif stamps != bad.said:
            log.debug("TLS files changed but cannot be served yet (a rotation midway?); new connections keep %s: "
                      "%s", self._kept(), exc)  # fmt: skip
            bad.said = stamps

    def _kept(self) -> str:
        """What new connections are served while the files cannot be."""
        if self._client_ca:
            return "the certificate and the client CA certificates served before"
        return "the certificate served before"

    def _usable_again(self, bad: _Unservable) -> None:
        """Files found unservable are mended back to the bytes served: no reload, but a WARNING said is closed."""
        expires = _not_after(self._pem.cert)
        log.log(logging.INFO if bad.warned is not None else logging.DEBUG,
                "TLS files usable again; serving %s (from %s%s), for new connections", self._kept(), self._cert,
                f", expires {expires}" if expires else "")  # fmt: skip

    def _stamps_now(self) -> tuple[_Stamp, ...]:
        return tuple(_stamp(path) for path in (self._cert, self._key, self._client_ca) if path)

    def _read_settled(self) -> tuple[tuple[_Stamp, ...], _TlsPem | Exception]:
        """The files read, or what is wrong with them, and their stamps, the same before the read and after it
        (a rotation landing mid-read, a Kubernetes `..data` swap between the key and the certificate, is read
        again, whole). Files changing at each of _TLS_READ_TRIES reads: the last one's stamps before it."""
        for _ in range(_TLS_READ_TRIES):
            stamps = self._stamps_now()
            try:
                read: _TlsPem | Exception = self._read()
            except (OSError, ValueError) as exc:
                read = exc
            if self._stamps_now() == stamps:
                break
        return stamps, read

    def _read(self) -> _TlsPem:
        """The three files, checked as the start checks them: an OSError or a ValueError naming the flag."""
        key, cert = _setting_file("--tls-key", self._key), _setting_file("--tls-cert", self._cert)
        _require_usable_pair(self._cert, self._key, cert)
        if not self._client_ca:
            return _TlsPem(cert, key, None)
        # Mutual TLS: a caller without a certificate this CA signed is refused in the handshake (its gRPC says only
        # "Socket closed"; the neardup client then probes, and says it needs --cert-file and --key-file).
        client_ca = _setting_file("--tls-client-ca", self._client_ca)
        _require_ca_certificates(self._client_ca)
        return _TlsPem(cert, key, client_ca)


def _stamp(path: str) -> _Stamp:
    """A file's stamp, which changes when the file does, or None if it cannot be stat'ed (gone, for one). The ctime
    with the mtime: a copy keeping the size that sets the mtime back (`cp -p`, an archive's fixed times) changes
    the ctime alone, as does a chmod mending an unreadable file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
# A block OpenSSL and gRPC read a certificate from: the first of them in --tls-cert is the certificate served (a
# block of another kind, a key's in a combined file, is passed over), the ones after it the rest of the chain.
_PEM_CERTIFICATE_LIKE = re.compile(
    rb"-----BEGIN ((?:TRUSTED |X509 )?CERTIFICATE)-----.+?-----END (?:TRUSTED |X509 )?CERTIFICATE-----", re.S
)


def _first_certificate(chain: bytes) -> x509.Certificate | None:
    """The first certificate of a PEM chain (the one served: the first certificate-like block, whatever blocks of
    other kinds come before it), None if it holds none that can be read."""
    from cryptography import x509  # (here: only a server serving TLS reads certificates; ~70 ms to import)

    found = _PEM_CERTIFICATE_LIKE.search(chain)
    if found is None:
        return None
    try:
        return x509.load_pem_x509_certificate(found.group(0))
    except Exception:  # (a block cryptography cannot read, an X.509 v2 one (InvalidVersion) among them: OpenSSL's)
        return None


def _not_after(chain: bytes) -> str | None:
    """When the first certificate of a PEM chain expires ("2026-05-09 07:35:25 UTC"); None if it cannot be read:
    it is only said."""
    cert = _first_certificate(chain)
    return None if cert is None else cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M:%S UTC")


# The key types gRPC's TLS (BoringSSL) serves, tried with a real server (grpcio 1.85): RSA, EC on the curves below,
# Ed25519. It refuses others (Ed448, RSA-PSS, DSA, other curves: P-224, secp256k1, brainpool; any curve given by
# its parameters, not named) when it makes its TLS configuration: at start it failed to bind the port, and a
# replacement was logged as reloaded while the certificate before it went on being served. Python's OpenSSL
# accepts them all.
_SERVABLE_CURVES = {"secp256r1": "EC P-256", "secp384r1": "EC P-384", "secp521r1": "EC P-521"}
_UNSERVABLE_CURVES = {"secp224r1": "EC P-224", "secp256k1": "EC secp256k1"}  # (only to name them)
# An EC key whose curve is given by its parameters, not named (`openssl ecparam -param_enc explicit`): gRPC serves
# none, whatever the curve. cryptography 43 refuses to read such a key, later releases read it as the named curve
# its parameters match: it is told by its SubjectPublicKeyInfo's AlgorithmIdentifier, id-ecPublicKey's OID
# followed by a SEQUENCE (the parameters) where a named curve has an OID.
_EC_EXPLICIT = "EC with explicit curve parameters"
_EC_PARAMETERS_DER = bytes.fromhex("06072a8648ce3d020130")
# Of the servable ones, the ones gRPC's own clients (C-core: Python, C++, Ruby, PHP, ...; the neardup client) do not
# accept: BoringSSL's clients do not offer their signature algorithms, and the handshake fails
# (NO_COMMON_SIGNATURE_ALGORITHMS). Go's, Java's and OpenSSL's clients accept them.
_KEYS_GRPC_CLIENTS_REFUSE = {"EC P-521", "Ed25519"}
# The smallest RSA key served, or accepted in --tls-cert's chain (_small_rsa_keys).
RSA_MIN_BITS = 2048


def _key_type(chain: bytes) -> tuple[str, bool] | None:
    """The type of the first certificate's key in a PEM chain ("EC P-256"; "of the algorithm 1.2.3" if unknown), and
    whether gRPC serves it; None for anything unexpected (OpenSSL read the certificate already: gRPC is left to
    judge)."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import PublicKeyAlgorithmOID

    cert = _first_certificate(chain)
    if cert is None:
        return None
    algorithm = cert.public_key_algorithm_oid
    # (named by their OID: an RSA-PSS key reads as an RSAPublicKey, and reading a DSA key warns of its deprecation)
    unservable = {
        PublicKeyAlgorithmOID.ED448: "Ed448",
        PublicKeyAlgorithmOID.RSASSA_PSS: "RSA-PSS",
        PublicKeyAlgorithmOID.DSA: "DSA",
    }
    if algorithm in unservable:
        return unservable[algorithm], False
    if algorithm == PublicKeyAlgorithmOID.EC_PUBLIC_KEY and _EC_PARAMETERS_DER in cert.tbs_certificate_bytes:
        return _EC_EXPLICIT, False
    try:
        key = cert.public_key()
    except UnsupportedAlgorithm as exc:  # (an algorithm or a curve cryptography does not read: none gRPC serves)
        if algorithm != PublicKeyAlgorithmOID.EC_PUBLIC_KEY:
            return f"of the algorithm {algorithm.dotted_string}", False
        curve = re.search(r"\d+(?:\.\d+)+", str(exc))  # ("Curve 1.3.132.0.6 is not supported")
        return f"EC curve {curve.group(0) if curve else 'unknown to cryptography'}", False
    except ValueError:
        return None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", True
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", True
    if isinstance(key, ec.EllipticCurvePublicKey):
        name = key.curve.name
        if name in _SERVABLE_CURVES:
            return _SERVABLE_CURVES[name], True
        oids = {  # (the curves cryptography reads, by their class)
            ec.get_curve_for_oid(oid): oid.dotted_string
            for oid in vars(ec.EllipticCurveOID).values()
            if isinstance(oid, x509.ObjectIdentifier)
        }
        return _UNSERVABLE_CURVES.get(name, f"EC curve {oids.get(type(key.curve), name)}"), False
    return f"of the algorithm {algorithm.dotted_string}", False


def _small_rsa_keys(chain: bytes) -> list[tuple[int, int, x509.Certificate]]:
    """The RSA keys under 2048 bits in a PEM chain's certificates: (the certificate's index, 0 for the one served,
    the key's size, the certificate). A block cryptography cannot read is OpenSSL's to judge."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    small = []
    for index, block in enumerate(_PEM_CERTIFICATE_LIKE.finditer(chain)):
        try:
            cert = x509.load_pem_x509_certificate(block.group(0))
            key = cert.public_key()
        except Exception:  # (not only ValueError: an X.509 v2 certificate raised InvalidVersion, and stopped the start)
            continue
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < RSA_MIN_BITS:  # (RSA-PSS too: it reads as RSA)
            small.append((index, key.key_size, cert))
    return small


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


def _require_usable_pair(cert: str, key: str, chain: bytes) -> None:
    """ValueError naming the flags if the certificate and key (`chain`: the bytes of --tls-cert) cannot serve TLS
    together, or gRPC cannot serve their key type: gRPC would only fail to bind the port, and the message said
    the port might be taken (and a replacement was logged as reloaded while the files before it were served).
    --tls-cert's own checks come before OpenSSL loads the pair: it refuses a small key (EE_KEY_TOO_SMALL) before
    they could name what is wrong (a TRUSTED CERTIFICATE block, an RSA-PSS key, the size of an RSA key)."""
    _require_plain_certificate(cert, chain)
    _require_served_key_type(cert, key, chain)
    _require_big_enough_rsa_keys(cert, key, chain)
    _require_loadable_pair(cert, key)


def _require_plain_certificate(cert: str, chain: bytes) -> None:
    """The first certificate-like block of --tls-cert is a plain CERTIFICATE, which the checks after it read."""
    first = _PEM_CERTIFICATE_LIKE.search(chain)
    if first is not None and first.group(1) != b"CERTIFICATE":
        # (OpenSSL and gRPC serve the first certificate-like block, whatever its label and whatever blocks of other
        # kinds come before it (a key's): the checks after this one read it as the certificate served, and refuse it
        # here rather than judge an OpenSSL TRUSTED one, which cryptography does not read (an Ed448 one followed by a
        # P-256 CA's passed them, and gRPC failed to bind the port), or an X509 one)
        raise _not_plain(cert, first.group(1).decode(), alone=_PEM_CERTIFICATE.search(chain, first.end()) is None)


def _require_served_key_type(cert: str, key: str, chain: bytes) -> None:
    """The certificate's key is of a type gRPC serves."""
    found = _key_type(chain)
    if found is not None and not found[1]:
        mend = (
            "; issue the key and certificate again with a named curve (`openssl ecparam -name prime256v1 "
            "-param_enc named_curve -genkey`, or `openssl ec -param_enc named_curve` to convert the key)"
            if found[0] == _EC_EXPLICIT
            else ""
        )
        raise ValueError(
            f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: theirs is {_a_key(found[0])}, which gRPC "
            "does not serve; it serves RSA, EC P-256, P-384 and P-521, and Ed25519 keys (and its own clients take "
            f"RSA, EC P-256 and P-384 ones only){mend}"
        )


def _require_big_enough_rsa_keys(cert: str, key: str, chain: bytes) -> None:
    """No RSA key in the chain, the certificate's own or a CA's, is under RSA_MIN_BITS."""
    # (checked here, not left to OpenSSL: its default security level, 112 bits, passed RSA-2000 and RSA-2047 keys and
    # refused RSA-1900 ones, and another build may set another level; gRPC itself serves RSA-1024, and its C-core
    # clients take it, while OpenSSL's verifying clients, Python's ssl among them, refuse it: "EE certificate key too
    # weak")
    for index, bits, small in _small_rsa_keys(chain):
        if index == 0:
            raise ValueError(
                f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: theirs is an RSA key of {bits} bits, and "
                f"the server takes RSA keys of {RSA_MIN_BITS} bits or more only (OpenSSL's clients, Python's ssl "
                "among them, refuse smaller ones at their default security level): issue the key and certificate "
                f"again with an RSA key of {RSA_MIN_BITS} bits or more, or an EC P-256 one"
            )
        subject = small.subject.rfc4514_string()
        whose, mend = (
            (f", of the CA {subject},", "issue that CA's certificate again")
            if _is_ca(small)
            else (f" of the chain ({subject})", "issue that certificate again")
        )
        raise ValueError(
            f"--tls-cert {cert} cannot serve TLS: its certificate {index + 1}{whose} has an RSA key of {bits} bits, "
            f"and the server takes RSA keys of {RSA_MIN_BITS} bits or more only, in the chain as in the certificate "
            "served (OpenSSL's clients refuse smaller ones at their default security level): "
            f"{mend} with an RSA key of {RSA_MIN_BITS} bits or more, or an EC P-256 one, and the certificates it signed"
        )


def _require_loadable_pair(cert: str, key: str) -> None:
    """OpenSSL loads the certificate and key as a pair: the key is the certificate's, unencrypted, PEM."""
    try:
        # (a password callback: without one, OpenSSL asks for an encrypted key's password on the terminal)
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key, password=lambda: b"")
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc):
            why = "the key in --tls-key is not the key of the certificate in --tls-cert"
        elif "EE_KEY_TOO_SMALL" in str(exc):
            # (no key type named: the key types gRPC does not serve, and RSA ones too small, were refused above, so
            # OpenSSL read another certificate than the checks did, and the type they read is not the one refused)
            why = (
                "the key of the certificate served is too small for OpenSSL's default security level: issue the key "
                f"and certificate again with an RSA key of {RSA_MIN_BITS} bits or more, or an EC P-256 one"
            )
        elif "CA_KEY_TOO_SMALL" in str(exc):
            why = (
                "a CA certificate in --tls-cert's chain has a key too small for OpenSSL's default security level: "
                f"issue it again with an RSA key of {RSA_MIN_BITS} bits or more, or an EC P-256 one, and the "
                "certificates it signed"
            )
        else:
            why = "they must be a PEM certificate (chain) and its PEM private key, unencrypted"
        raise ValueError(f"--tls-cert {cert} and --tls-key {key} cannot serve TLS: {why} ({exc})") from None


def _is_ca(cert: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except Exception:  # (none, or one cryptography cannot read)
        return False


def _not_plain(cert: str, label: str, alone: bool) -> ValueError:
    """The refusal of a --tls-cert whose first certificate is a -----BEGIN `label`----- block (TRUSTED CERTIFICATE,
    X509 CERTIFICATE), with (alone) or without a -----BEGIN CERTIFICATE----- block after it."""
    if label == "TRUSTED CERTIFICATE":  # (`openssl x509 -trustout`'s)
        needs, what, dropping = "gRPC", "OpenSSL's own form, with trust settings", ", dropping the trust settings"
        # (gRPC failed to bind the port when no -----BEGIN CERTIFICATE----- block followed it)
        served = (
            ", which gRPC reads as the certificate served only while a -----BEGIN CERTIFICATE----- block follows it"
        )
    else:  # (gRPC serves it, alone or first, but the checks read -----BEGIN CERTIFICATE----- blocks)
        needs, what, dropping = "the server", "an old label of one, which gRPC reads but the server's checks do not", ""
        served = ""
    convert = f"`openssl x509 -in {cert} -out NEW.pem`"
    if alone:
        return ValueError(
            f"--tls-cert {cert} holds no -----BEGIN CERTIFICATE----- block, which {needs} needs (a -----BEGIN "
            f"{label}----- is {what}): {convert} writes it as one{dropping}"
        )
    return ValueError(
        f"--tls-cert {cert}'s first certificate is a -----BEGIN {label}----- block ({what}){served}: {convert} "
        f"writes that first certificate as one{dropping}; then copy the blocks after it in {cert} (the rest of the "
        "chain) to the end of NEW.pem"
    )


def _warn_of_clients_refusing(cert: str, pem: _TlsPem) -> None:
    """A WARNING if gRPC serves the certificate's key type but gRPC's own clients refuse it."""
    found = _key_type(pem.cert)
    if found is not None and found[0] in _KEYS_GRPC_CLIENTS_REFUSE:
        log.warning("--tls-cert %s holds %s: gRPC's C-core clients (Python, C++, Ruby, PHP; neardup's own "
                    "client) refuse it in the handshake (no common signature algorithm), where Go's and Java's accept "
                    "it; an RSA or EC P-256 key serves them all", cert, _a_key(found[0]))  # fmt: skip


def _a_key(named: str) -> str:
    """ "an Ed448 key", "a key of the algorithm 1.2.3", "an EC key with explicit curve parameters" (a key type as
    _key_type names it)."""
    if named.startswith("of "):
        return f"a key {named}"
    named, with_, what = named.partition(" with ")  # ("EC with explicit curve parameters")
    return ("an " if named[0] in "AEIRU" else "a ") + named + " key" + with_ + what


def _setting_file(flag: str, path: str) -> bytes:
    """The file a setting names; an OSError naming the setting if it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise OSError(f"{flag} {path}: cannot read it ({exc.strerror or exc})") from None
