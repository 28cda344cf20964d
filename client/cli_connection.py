"""How the client commands reach the server: the connection flags and the NEARDUP_* variables they default from
(neardup-bench reads the same: add_connection_flags), the client they make (`connect`), and the hint a command adds
when it could not talk to the server as meant (`connection_hint`)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import grpc

from client.api import (
    DEFAULT_PORT,
    HUNG,
    MAX_MESSAGE_BYTES,
    NeardupClient,
    TlsRemedies,
    read_token_file,
    with_default_port,
)
from client.cli_base import fail, say
from client.errors import (
    CLOSED_BY_SERVER,
    NO_HANDSHAKE,
    NO_METHOD,
    NOT_GRPC,
    NOT_REACHED,
    TLS_PLAINTEXT_PEER,
    TLS_SAID,
    TLS_UNTRUSTED,
    NeardupClientError,
)
from client.jsonl import InputError

# gRPC's words when no connection was made (refused, unresolvable), and the client's when none was made in a wait
# (wait_ready), as against a server's UNAVAILABLE
_NOT_REACHED = (*NOT_REACHED, "no server at")
HINTED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED)  # codes of a server not reached as meant


def say_failed(exc: NeardupClientError | InputError, args: argparse.Namespace, answered: bool = False) -> None:
    """`answered`: the server had answered this run's calls (then it spoke these settings' TLS, or none)."""
    say(f"neardup: {exc}{hint_for_flags(exc, args, answered)}")


def hint_for_flags(exc: NeardupClientError | InputError, args: argparse.Namespace, answered: bool = False) -> str:
    """`connection_hint` for the server and client certificate a command's flags named (none for an input error)."""
    if not isinstance(exc, NeardupClientError):
        return ""
    return connection_hint(exc, with_default_port(args.server), answered, args.cert_file is not None)


def connection_hint(exc: NeardupClientError, where: str, answered: bool = False, cert: bool = False) -> str:
    """What to change when a command could not talk to the server at `where` at all: gRPC's words name the
    address it tried and the TLS library's complaint, not the flag that chose the address or the likely
    mistake. `answered`: it had answered the command's calls, so these settings could talk to it; a connection it
    closed then is a server gone, unless a TLS handshake there since completed (the client's error then says the
    server serves TLS only, and what to change: a server restarted with TLS). `cert`: a client certificate was
    given (cannot_talk_hint)."""
    if exc.code not in HINTED:
        return ""
    if any(words in exc.details for words in TLS_SAID):  # (the client's error says what to change: CLI_REMEDIES)
        return ""
    if answered and any(words in exc.details for words in CLOSED_BY_SERVER):
        return f" (the server at {where} closed the connection it had answered on: did it stop?)"
    if hint := cannot_talk_hint(exc, where, cert):
        return hint
    if NO_HANDSHAKE in exc.details and answered:  # (it had answered: no wrong port, but a server hung or stopped)
        return f" ({HUNG.format(target=where)})"  # (the Python client's words for it: client.api)
    if NO_HANDSHAKE in exc.details:  # (as ingest and check find by a probe: the other commands said "is it running?")
        return f" ({silent_listener(where)})"
    if any(s in exc.details for s in _NOT_REACHED):
        return f" (is `neardup serve` running at {where}? --server or NEARDUP_SERVER says where)"
    return ""


def cannot_talk_hint(exc: NeardupClientError, where: str, cert: bool = False) -> str:
    """The hint when something answers at `where` and these settings cannot talk to it (TLS spoken to a plaintext
    server, a certificate not trusted, no gRPC server, or not neardup's); "" otherwise, and for a TLS server spoken
    to in plaintext, whose error says what to change (TLS_FLAGS). The client commands and neardup-bench share it: both
    read the flags and the NEARDUP_* variables it names (add_connection_flags). `cert`: a client certificate was
    given, which turns TLS on by itself (--cert-file or NEARDUP_CERT_FILE), so is named too."""
    details = exc.details
    if TLS_PLAINTEXT_PEER in details and cert:
        return (f" (the server at {where} speaks plaintext: leave out --cert-file, --key-file (NEARDUP_CERT_FILE, "
                "NEARDUP_KEY_FILE), which turn TLS on, and --tls, --ca-file (NEARDUP_TLS, NEARDUP_CA_FILE); or give "
                "--no-tls, which sets aside the files those variables name)")  # fmt: skip
    if TLS_PLAINTEXT_PEER in details:
        return f" (the server at {where} speaks plaintext: leave out --tls, --ca-file (NEARDUP_TLS, NEARDUP_CA_FILE))"
    if TLS_UNTRUSTED in details:
        return (" (the server's certificate was not accepted: signed by a CA this command does not trust (--ca-file "
                "names the CA to trust), or expired or not yet valid)")  # fmt: skip
    if NOT_GRPC in details:
        return f" ({where} is not a gRPC server: if it is the metrics port, --server names the main one)"
    if exc.code == grpc.StatusCode.UNIMPLEMENTED and NO_METHOD in details:
        return f" ({where} does not serve neardup's calls: if it is the health port, --server names the main one)"
    return ""


# What a command speaking plaintext to a TLS server is told to change: its flags and variables, where the Python
# client names its own settings (TLS_REMEDY). The client's error says it, once a TLS handshake there completed.
TLS_FLAGS = "add --tls or --ca-file, or set NEARDUP_TLS or NEARDUP_CA_FILE"
# What a command is told to change when a TLS probe tells why the server closed its connection (the Python client's
# remedies name its own settings: client.api.REMEDIES).
CLI_REMEDIES = TlsRemedies(
    tls=TLS_FLAGS,
    mtls="add --ca-file (or --tls), --cert-file and --key-file, or set NEARDUP_CA_FILE (or NEARDUP_TLS), "
    "NEARDUP_CERT_FILE and NEARDUP_KEY_FILE",
    cert="give --cert-file and --key-file (NEARDUP_CERT_FILE, NEARDUP_KEY_FILE)",
    other_cert="--cert-file (NEARDUP_CERT_FILE) must be signed by a CA the server trusts (its --tls-client-ca), hold "
    "the intermediate CA certificates between them after its own, if any, and be valid now",
    main_port="does --server (NEARDUP_SERVER) name neardup's main port?",
)


class _Client(NeardupClient):
    """The commands' client: its errors name the CLI's TLS flags, not the Python client's settings."""

    _remedies = CLI_REMEDIES
    _token_setting = None  # (the server's refusal names the CLI's flags already)


def add_connection_flags(
    cmd: argparse.ArgumentParser,
    env: Mapping[str, str],
    prog: str = "neardup",
    server_names: Sequence[str] = ("--server",),
    server_type: Callable[[str], str] = str,
    server_help: str = "host[:port], no scheme",
) -> None:
    """--server, --tls/--no-tls, --ca-file, --cert-file, --key-file and --token-file, their defaults from the
    NEARDUP_* variables in `env`:
    the client commands' and neardup-bench's (`prog`, which names itself when a variable is refused), so that one
    environment set up for `neardup ingest` targets the same server, the same way, from both."""
    default = env.get("NEARDUP_SERVER", "").strip() or f"127.0.0.1:{DEFAULT_PORT}"  # (empty or blank: unset)
    cmd.add_argument(*server_names, default=default,
                     type=server_type,
                     help=f"{server_help}; port {DEFAULT_PORT} if left out (env NEARDUP_SERVER; "
                          "default %(default)s)")  # fmt: skip
    cmd.add_argument("--tls", action=_GivenBoolean, default=_env_flag(env, "NEARDUP_TLS", prog),
                     help="connect with TLS, trusting the system's CA certificates; --no-tls: without, whatever "
                          "NEARDUP_TLS, NEARDUP_CA_FILE, NEARDUP_CERT_FILE and NEARDUP_KEY_FILE say (refused "
                          "beside --ca-file, --cert-file or --key-file) (env NEARDUP_TLS: 1, true, yes, on or 0, "
                          "false, no, off; default %(default)s)")  # fmt: skip
    # (`~` expanded here, and in the environment's values, which a shell leaves alone in docker -e or systemd)
    cmd.add_argument("--ca-file", action=_Given, default=env.get("NEARDUP_CA_FILE") or None, type=os.path.expanduser,
                     help="connect with TLS, trusting this PEM CA certificate (env NEARDUP_CA_FILE)")  # fmt: skip
    cmd.add_argument("--cert-file", action=_Given, default=env.get("NEARDUP_CERT_FILE") or None,
                     type=os.path.expanduser,
                     help="connect with TLS, presenting this PEM client certificate (chain), for a server started "
                          "with --tls-client-ca; with --key-file (env NEARDUP_CERT_FILE)")  # fmt: skip
    cmd.add_argument("--key-file", action=_Given, default=env.get("NEARDUP_KEY_FILE") or None, type=os.path.expanduser,
                     help="the PEM private key of --cert-file, unencrypted (env NEARDUP_KEY_FILE)")  # fmt: skip
    cmd.add_argument("--token-file", default=env.get("NEARDUP_TOKEN_FILE") or None, type=os.path.expanduser,
                     help="send the bearer token in this file, read as the server's --auth-token-file is (one "
                          "token a line, # comments): the first token it lists (env NEARDUP_TOKEN_FILE)")  # fmt: skip


# The namespace attribute naming the connection flags given on the command line (not a variable's default).
_GIVEN = "connection_flags_given"


def _note_given(namespace: argparse.Namespace, dest: str) -> None:
    vars(namespace).setdefault(_GIVEN, set()).add(dest)


class _Given(argparse.Action):
    """A flag's value, noted as given on the command line (settle_tls tells it from a NEARDUP_* variable's)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:  # fmt: skip
        setattr(namespace, self.dest, values)
        _note_given(namespace, self.dest)


class _GivenBoolean(argparse.BooleanOptionalAction):
    """--tls/--no-tls, noted as given on the command line (settle_tls)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:  # fmt: skip
        super().__call__(parser, namespace, values, option_string)
        _note_given(namespace, self.dest)


_TLS_FILES = ("ca_file", "cert_file", "key_file")


def settle_tls(args: argparse.Namespace, prog: str = "neardup") -> None:
    """--no-tls given on the command line wins over NEARDUP_TLS and over the files NEARDUP_CA_FILE,
    NEARDUP_CERT_FILE and NEARDUP_KEY_FILE name, which each turn TLS on: they are set aside (a container's
    variables, set for its client commands, made its HEALTHCHECK speak TLS to the plaintext health port). Given
    beside --ca-file, --cert-file or --key-file, which ask for TLS, it is refused, naming them (the file won)."""
    given = vars(args).get(_GIVEN, set())
    if args.tls or "tls" not in given:
        return
    if flags := [f"--{name.replace('_', '-')}" for name in _TLS_FILES if name in given and getattr(args, name)]:
        fail(f"--no-tls with {', '.join(flags)}: {'they connect' if len(flags) > 1 else 'it connects'} with TLS; "
             "give one or the other", prog)  # fmt: skip
    for name in _TLS_FILES:
        setattr(args, name, None)


# The variables add_connection_flags reads.
CONNECTION_VARIABLES = (
    "NEARDUP_SERVER",
    "NEARDUP_TLS",
    "NEARDUP_CA_FILE",
    "NEARDUP_CERT_FILE",
    "NEARDUP_KEY_FILE",
    "NEARDUP_TOKEN_FILE",
)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _env_flag(env: Mapping[str, str], name: str, prog: str = "neardup") -> bool:
    """The yes-or-no environment variable `name` (unset or empty: no). Anything but the usual words is refused,
    naming it: read as "set, so yes", NEARDUP_TLS=0 turned TLS on."""
    raw = env.get(name, "")
    word = raw.strip().lower()
    if word not in _TRUE + _FALSE:
        fail(f"{name}={raw!r} is not yes or no: set it to one of {', '.join(_TRUE)} or {', '.join(_FALSE[:-1])}",
             prog)  # fmt: skip
    return word in _TRUE


def connect(
    args: argparse.Namespace, timeout: float | None = 30.0, max_message_bytes: int = MAX_MESSAGE_BYTES
) -> NeardupClient:
    try:
        token = read_token_file(args.token_file) if args.token_file else None
    except (OSError, ValueError) as exc:
        fail(f"cannot read the token file: {exc}")
    settle_tls(args)
    if why := unpaired(args):
        fail(why)
    try:
        return _Client(args.server, timeout=timeout, tls=args.tls, ca_file=args.ca_file, cert_file=args.cert_file,
                       key_file=args.key_file, token=token, max_message_bytes=max_message_bytes)  # fmt: skip
    except OSError as exc:  # (the CA file, the client certificate and its key are read at once)
        fail(f"cannot read {unreadable_file(exc, args)}: {exc.strerror or exc}")
    except ValueError as exc:  # (a token, CA file or client certificate that cannot work: the message says which)
        fail(str(exc))


def unreadable_file(exc: OSError, args: argparse.Namespace) -> str:
    """Which of the connection flags' files `exc` could not read, named with its flag (neardup-bench's too)."""
    if exc.filename is not None and exc.filename in (args.cert_file, args.key_file):
        flag = "--cert-file" if exc.filename == args.cert_file else "--key-file"
        return f"the {flag} file {exc.filename}"
    return f"the CA file {args.ca_file}"


def unpaired(args: argparse.Namespace) -> str | None:
    """Why --cert-file and --key-file cannot work, one given without the other (from a flag or a variable); None
    when both or neither are given."""
    if (args.cert_file is None) == (args.key_file is None):
        return None
    given, missing = ("--cert-file", "--key-file") if args.key_file is None else ("--key-file", "--cert-file")
    variable = "NEARDUP_" + missing[2:].replace("-", "_").upper()
    return (f"{given} without {missing} ({variable}): a client certificate goes with its key, "
            "give both or neither")  # fmt: skip


def silent_listener(where: str) -> str:
    return (f"something at {where} takes connections but never began gRPC's handshake: it is not a gRPC server "
            "(--server names neardup's main port), or a process that is hung or stopped")  # fmt: skip
