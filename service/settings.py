"""All settings in one typed object, built from CLI flags and environment variables.

Only the argument parser looks at the environment (`build_parser`, or `add_arguments` on
the CLI's own `serve` parser), for each flag's default, and it is handed the mapping by
the entry point; `Settings.from_namespace` makes the parsed flags a Settings, and
everything else receives a Settings instance.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from service.text import Reading

# Bumped whenever tokenisation or hashing changes, so an old store is refused (or, one of READABLE_SCHEMES, read
# as it was written) instead of silently compared with incompatible shingles.
# nd3: each letter of a script written without spaces (Chinese, Japanese, Thai, ...) is a token (nd2: a run of them).
# nd4: HTML character references read and tags separating; soft hyphens, zero-width characters, Arabic and
# Hebrew points and the tatweel dropped from words; Russian "ё" compared as "е".
# nd5: letters of the Latin, Greek and Cyrillic scripts compared without their diacritics ("hôpitaux" is
# "hopitaux", "Łódź" "lodz": service/text.py, `without_accents`); URLs (http://, https://, www.) count as nothing,
# as tags do (a Markdown copy's link targets and their tracking parameters: service/text.py, `without_urls`).
ND4_SCHEME = (
    "nd4:html-shown:nfkc-casefold-yo-words-unspaced-letters-invisibles-points-dropped:header-fields-blanked"
    ":xxh3-poly64:affine32"
)
FINGERPRINT_SCHEME = (
    "nd5:html-shown:urls-dropped:nfkc-casefold-yo-words-unspaced-letters-invisibles-points-dropped:accents-folded"
    ":header-fields-blanked:xxh3-poly64:affine32"
)
# Earlier schemes whose stores this version still reads, as they were written (a store's text is read by the scheme
# recorded in it: storage.scheme_of_store). nd4 differs from nd5 only in keeping diacritics and reading URLs as words.
READABLE_SCHEMES = (ND4_SCHEME,)
CANDIDATES_PER_VERIFIED = 4  # candidates the index ranks, per one the detector verifies

StoreKind = Literal["sqlite", "redis"]
PORT_MAX = 65535
# gRPC takes times in int32 milliseconds (24.8 days at most): a week is longer than any sane wait.
SECONDS_MOST = 7 * 24 * 3600


def _setting(default: Any, help: str, least: float | None = None, most: float | None = None) -> Any:
    """A setting's default, the sentence `neardup serve --help` shows for it, and the range (inclusive)
    its value must lie in, checked with a message naming the flag whenever the settings are made."""
    return field(default=default, metadata={"help": help, "least": least, "most": most})


@dataclass(frozen=True)
class DetectionParams:
    """Detection parameters. The first group shapes stored data and is recorded in the store.

    Defaults come from measurement (see README, "Choosing the parameters", and
    docs/quality.md): 5-word shingles separate same-event stories from copies as
    well as 3..8 while giving fewer chance collisions; 42 bands of 3 rows make a
    pair with Jaccard 0.4 (a 40 % excerpt, once boilerplate is known: signatures
    are over content) a candidate with probability 0.93. 64 x 2 finds more
    excerpts that still carry unlearned boilerplate (recall of original-copy
    pairs on the dev set 0.999 instead of 0.992) but costs a third of the ingest
    rate on boilerplate-heavy streams (4.6 candidates per query instead of 1.2).
    """

    shingle_size: int = _setting(5, "words per shingle (recorded in the store)", least=1)
    num_perm: int = _setting(128, "MinHash permutations per signature (recorded in the store)", least=1)
    lsh_bands: int = _setting(42, "LSH bands; bands times rows must not exceed --num-perm (recorded)", least=1)
    lsh_rows: int = _setting(3, "signature values per LSH band (recorded in the store)", least=1)
    seed: int = _setting(1, "seed of the MinHash permutations (recorded in the store)", least=0, most=2**32 - 1)
    # Decision thresholds: they change answers, not stored data, so may change freely.
    min_containment: float = _setting(
        0.5, "a candidate is a republication when shared content covers at least this share of the smaller article"
    )
    min_shared_shingles: int = _setting(
        8,
        "a republication also shares at least this many content shingles (a shorter flash: all of its own, "
        "re-sent whole)",
        least=1,
    )
    # Candidates verified per article: those sharing the most content shingles with it. A wire story
    # stored in a thousand copies makes each new copy a candidate of all of them; verifying every one
    # cost ~0.2 ms each, so each further copy took 0.2 s (docs/perf.md, "Syndicated stories").
    max_candidates: int = _setting(
        32, "candidates verified per article: those sharing the most content with it", least=1
    )
    # (Learned boilerplate: a sampled shingle found in this many distinct stories, groups, stops counting.)
    boilerplate_after: int = _setting(
        3, "a passage seen in this many different stories is learned as boilerplate and stops counting"
    )
    boilerplate_file: str = _setting(
        "", "a UTF-8 file of boilerplate passages, separated by blank lines, that never count (empty: none)"
    )
    # How text is read (no flag: a new store is written in FINGERPRINT_SCHEME, and a store of one of the
    # READABLE_SCHEMES is read by its own; the server takes the store's: storage.scheme_of_store).
    scheme: str = FINGERPRINT_SCHEME

    @property
    def reading(self) -> Reading:
        """How text is read into tokens (service/text.py, Reading): nd5 compares Latin, Greek and Cyrillic letters
        without their diacritics and counts URLs as nothing, as HTML tags; nd4 does neither."""
        from service.text import ND4_READING, ND5_READING  # (here: a client command loads settings, not the text)

        return ND4_READING if self.scheme == ND4_SCHEME else ND5_READING

    def candidate_limit(self) -> int:
        """How many candidates the index hands the detector for one article: a few times `max_candidates`,
        ranked by the index (shared bands, or signature agreement) for the detector to rank by content."""
        return CANDIDATES_PER_VERIFIED * self.max_candidates + 1

    def recorded(self) -> dict[str, int | str]:
        """The parameters a store must have been built with to be reused."""
        return {
            "scheme": self.scheme,
            "shingle_size": self.shingle_size,
            "num_perm": self.num_perm,
            "lsh_bands": self.lsh_bands,
            "lsh_rows": self.lsh_rows,
            "seed": self.seed,
        }

    def decisions(self) -> dict[str, float | int]:
        """The thresholds that decide answers but not stored data: servers of one index should share them."""
        return {
            "min_containment": self.min_containment,
            "min_shared_shingles": self.min_shared_shingles,
            "max_candidates": self.max_candidates,
            "boilerplate_after": self.boilerplate_after,
        }

    def __post_init__(self) -> None:
        """ValueError naming the flag of the first parameter that cannot work, however the parameters are made
        (flags, or built directly: a test, a benchmark, a program embedding the service)."""
        _check_ranges(self)
        if self.scheme != FINGERPRINT_SCHEME and self.scheme not in READABLE_SCHEMES:
            raise ValueError(f"this version reads no fingerprint scheme {self.scheme!r}")
        if self.shingle_size < 1:
            raise ValueError("--shingle-size must be at least 1")
        if self.lsh_bands * self.lsh_rows > self.num_perm:
            raise ValueError(
                f"--lsh-bands times --lsh-rows ({self.lsh_bands} x {self.lsh_rows} = {self.lsh_bands * self.lsh_rows}) "
                f"exceeds --num-perm ({self.num_perm}): each band takes its rows from the signature's values"
            )
        if self.boilerplate_after < 2:
            raise ValueError("--boilerplate-after must be at least 2 (one group is the story itself)")
        if not 0.0 < self.min_containment <= 1.0:
            raise ValueError(f"--min-containment must be above 0 and at most 1 (got {self.min_containment})")
        if self.max_candidates < 1:
            raise ValueError("--max-candidates must be at least 1")


MAX_AUTO_WORKERS = 4  # beyond this the one writer thread is the limit, not fingerprinting
# The embedded store saves its index beside the writes once this many articles were indexed since its last
# save (or a quarter of those stored, if more): a start after a crash then replays from SQLite only the rows
# written after that save, instead of rebuilding the whole index from rows scattered through the file
# (docs/ops.md, "Restarts"). At 1M articles a save writes ≈0.6 GB, every 250,000 indexed.
INDEX_SNAPSHOT_EVERY = 50_000


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "address to listen on (0.0.0.0 or :: for every interface)")
    port: int = _setting(50051, "gRPC port (0: any free port, printed at start)", least=0, most=PORT_MAX)
    store: StoreKind = _setting(
        "sqlite", "where articles are kept: sqlite (embedded, in --data-dir) or redis (at --redis-url)"
    )
    data_dir: Path = _setting(Path("neardup-data"), "directory of the embedded store (made if absent)")
    redis_url: str = _setting("redis://127.0.0.1:6379/0", "the Redis server of --store redis")
    # Redis WAIT. With 0, a failover to a replica that had not caught up loses the write (docs/redis.md,
    # "Durability").
    redis_wait_replicas: int = _setting(
        0, "--store redis: acknowledge a write once this many Redis replicas hold it (0: once the primary does)"
    )
    redis_wait_seconds: float = _setting(
        1.0, "how long a write waits for those replicas before it fails with UNAVAILABLE"
    )
    max_body_bytes: int = _setting(
        1 << 20,
        "the largest article body accepted, in UTF-8 bytes (a larger one: INVALID_ARGUMENT)",
        least=1,
        most=1 << 28,  # (gRPC's message limit, derived from it, is an int32; and no news article is 256 MiB)
    )
    max_batch: int = _setting(
        256,
        "articles the writer takes at once: one write transaction, one commit (IndexArticle calls waiting are "
        "taken besides, at most one a handler thread)",
        least=1,
    )
    max_workers: int = _setting(16, "gRPC handler threads", least=1)
    # Tokens, hashes and signatures in processes of their own, so all cores work (docs/perf.md: on 2 cores,
    # batched ingest with 1 worker ran at 1.6x the rate with none, and 2 workers did no better than 1).
    # CheckArticle fingerprints in its handler thread whatever this says (docs/perf.md, "CheckArticle latency").
    fingerprint_workers: int = _setting(
        -1,
        "processes that fingerprint articles being indexed (0: none, the server process does it; "
        "-1: one per core beyond the first, at most 4)",
    )
    # 1 on the embedded store: checks side by side cost more CPU each (in-process about twice; a server at its check
    # peak ≈10 %: docs/perf.md, "Checks one at a time"); more may help where checks wait for the disk (a
    # store larger than the page cache; not measured).
    # On Redis, -1 = no limit: there a check waits for the network, and a limit there is not measured.
    check_lanes: int = _setting(
        -1, "CheckArticle calls that run at once; the others wait their turn (-1: 1 on sqlite, no limit on redis)"
    )
    grace_seconds: float = _setting(
        10.0,
        "on SIGTERM, SIGINT or SIGHUP, how long calls in flight may take to finish (a further signal meanwhile, 1 s "
        "or more after the first or after the one that cut --shutdown-delay-seconds short, exits at once)",
        least=0,
        most=SECONDS_MOST,
    )
    # Kubernetes takes a pod out of its endpoints asynchronously, and a readiness probe sees NOT_SERVING only if it
    # asks during the stop: without a delay, both ports refused calls ~0.3 s after SIGTERM. docs/ops.md, "Stopping".
    shutdown_delay_seconds: float = _setting(
        0.0,
        "on SIGTERM, SIGINT or SIGHUP, report NOT_SERVING and go on serving this long before refusing new calls and "
        "draining, for load balancers to stop sending calls here (0: none; a further signal 1 s or more after the "
        "first cuts it short)",
        least=0,
        most=SECONDS_MOST,
    )
    # A start loads the snapshot and replays what SQLite logged after it (off: no snapshot file, ~0.6 GB at
    # 1M articles, and a slower start). docs/ops.md, "Restarts".
    index_snapshot: str = _setting(
        "on",
        "save the in-memory index at a clean close and beside the writes, and load it at a start "
        "(off: rebuild it from the store at every start)",
    )
    index_snapshot_every: int = _setting(
        INDEX_SNAPSHOT_EVERY,
        "save the index beside the writes once this many articles were indexed or deleted "
        "since the last save, or a quarter of those stored if more",
    )
    log_level: str = _setting("INFO", "DEBUG, INFO, WARNING or ERROR")
    # Operations (docs/ops.md).
    log_format: str = _setting("text", "text, or json: one JSON object a line")
    max_concurrent_rpcs: int = _setting(
        64,
        "calls in flight, running or queued; one more gets RESOURCE_EXHAUSTED (more than --max-streams: an open "
        "stream counts as a call)",
        least=1,
    )
    # A stream holds a handler thread for its whole life, so this stays below max_workers to leave threads
    # for checks and health probes.
    max_streams: int = _setting(
        -1, "request streams open at once; one more gets RESOURCE_EXHAUSTED (-1: three quarters of --max-workers)"
    )
    keepalive_seconds: float = _setting(
        60.0, "ping an idle connection this often, so that a dead peer is noticed", least=0.001, most=SECONDS_MOST
    )
    keepalive_timeout_seconds: float = _setting(
        20.0, "close a connection whose ping is unanswered this long", least=0.001, most=SECONDS_MOST
    )
    min_client_ping_seconds: float = _setting(
        10.0, "clients may ping this often without being told to slow down", least=0, most=SECONDS_MOST
    )
    # Files: an empty string means none (off), so that every setting stays a flag and an env variable.
    # (the three TLS files are looked at before a new connection's handshake, once a second at most, and read again if
    # one changed: service/auth.py, TlsFiles)
    tls_cert: str = _setting(
        "",
        "PEM certificate chain (RSA of 2048 bits or more, EC P-256/384/521 or Ed25519 key); with --tls-key, the server "
        "speaks TLS only (replaced, as cert-manager or Vault agent do, it is served to new connections within a "
        "second, without a restart, unless --tls-reload off)",
    )
    tls_key: str = _setting("", "PEM private key of --tls-cert (followed as --tls-cert is)")
    # Mutual TLS: the main port's callers must present a certificate a CA of this file signed (the health port stays
    # plaintext, for probes: docs/ops.md, "TLS and authentication").
    tls_client_ca: str = _setting(
        "",
        "PEM CA certificate(s): with --tls-cert and --tls-key, every caller of the main port must present a client "
        "certificate one of them signed (mutual TLS; the health port stays plaintext; replaced, it decides new "
        "connections without a restart, unless --tls-reload off)",
    )
    # Off: the files read at start are served with grpc.ssl_server_credentials, no callback; on, gRPC calls into Python
    # before each new connection's handshake, which waits for the GIL behind busy Python threads (docs/ops.md).
    tls_reload: str = _setting(
        "on",
        "on: --tls-cert, --tls-key and --tls-client-ca replaced are served to new connections without a restart; off: "
        "the files read at start are served until a restart, and no new connection's handshake waits for Python",
    )
    auth_token_file: str = _setting(
        "",
        "a file holding the bearer token every call must carry, health and reflection excepted (one a line, each "
        "accepted, to rotate them; no file named: no auth; a file holding no token is refused at start)",
    )
    metrics_port: int = _setting(
        -1, "serve Prometheus metrics at /metrics on this port (-1: off; 0: any free port)", least=-1, most=PORT_MAX
    )
    # No auth and no call limit there, so probes answer while --max-concurrent-rpcs calls fill the main port.
    health_port: int = _setting(
        -1,
        "serve the gRPC health service alone on this port too, plaintext, for probes (-1: off; 0: any free port)",
        least=-1,
        most=PORT_MAX,
    )
    store_check_seconds: float = _setting(
        5.0,
        "ask the store this often whether it answers; while it does not, health reports NOT_SERVING (0: never ask)",
        least=0,
    )
    detection: DetectionParams = field(default_factory=DetectionParams)

    @classmethod
    def from_args(cls, argv: Sequence[str] | None, env: Mapping[str, str]) -> Settings:
        """Flags win over NEARDUP_* environment variables, which win over defaults."""
        parser = build_parser(env)
        return cls.from_namespace(parser.parse_args(argv), env)

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
        """`env`: the variables the flags' defaults were read from, for refusals to name the variable a value
        came from (without it, they name the flag)."""
        # (`~` expanded in paths, from a flag or the environment, where docker -e and systemd leave it as it is)
        values = {k: os.path.expanduser(v) if k in _PATHS and v else v for k, v in vars(ns).items()}
        values["data_dir"] = Path(values["data_dir"])
        top = {f.name: values[f.name] for f in fields(cls) if f.name != "detection"}
        if env is not None:  # (before the checks of __post_init__: this one names each port's variable or flag)
            _check_ports_differ(top.__getitem__, lambda name: _source(name, top[name], env))
        try:
            return cls(**top, detection=DetectionParams(**{f.name: values[f.name] for f in _flagged(DetectionParams)}))
        except ValueError as exc:  # (__post_init__'s checks name flags: name the variables that gave their values)
            if env is None:
                raise
            raise ValueError(_naming_variables(str(exc), values, env)) from None

    def __post_init__(self) -> None:
        """ValueError naming the flag of the first setting that cannot work, however the settings are made
        (flags, or built directly: a test, a benchmark, a program embedding the service)."""
        _check_ranges(self)
        if not _bare_host(self.host):  # (gRPC said only "could not bind :0 ... another process may be using the port")
            raise ValueError("--host is empty: give an address to listen on (127.0.0.1, or 0.0.0.0 or :: for every "
                             "interface)")  # fmt: skip
        for name, choices in _CHOICES.items():  # (argparse checks a flag's, not a value given here)
            if getattr(self, name) not in choices:
                raise ValueError(f"{_flag(name)} must be one of {', '.join(choices)} (got {getattr(self, name)!r})")
        if self.fingerprint_workers < -1:
            raise ValueError("--fingerprint-workers is a number of processes: 0 or more, or -1 for one per spare core")
        if self.check_lanes < -1 or self.check_lanes == 0:
            raise ValueError("--check-lanes is how many checks run at once: 1 or more, or -1 for the store's default")
        _check_redis_wait(self)
        _check_redis_url(self)
        if self.index_snapshot_every < 1:
            raise ValueError(
                "--index-snapshot-every is a number of articles indexed or deleted between two saves: 1 or more"
            )
        if not (self.max_streams == -1 or 1 <= self.max_streams <= self.max_workers):
            raise ValueError(f"--max-streams must be between 1 and --max-workers ({self.max_workers}), "
                             "or -1 for three quarters of --max-workers")  # fmt: skip
        _check_calls_beside_streams(self)
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("--tls-cert and --tls-key go together: give both files or neither")
        if self.tls_client_ca and not self.tls_cert:
            raise ValueError("--tls-client-ca asks callers for a certificate during the TLS handshake: give "
                             "--tls-cert and --tls-key too (the server's own certificate and key)")  # fmt: skip
        if self.tls_reload == "off" and not self.tls_cert:
            raise ValueError("--tls-reload off says how --tls-cert and --tls-key are served: give them too, or leave "
                             "--tls-reload out (plaintext reloads nothing)")  # fmt: skip
        _check_ports_differ(lambda name: getattr(self, name))

    def worker_processes(self, cores: int | None) -> int:
        """How many fingerprint workers to start on a machine with `cores` cores."""
        if self.fingerprint_workers >= 0:
            return self.fingerprint_workers
        return max(0, min(MAX_AUTO_WORKERS, (cores or 1) - 1))

    def check_limit(self) -> int | None:
        """How many checks may run at once (see check_lanes); None: no limit."""
        if self.check_lanes > 0:
            return self.check_lanes
        return 1 if self.store == "sqlite" else None

    @property
    def bare_host(self) -> str:
        """--host as an address alone (`::1` for `[::1]`), as an HTTP server binds it."""
        return _bare_host(self.host)

    def address(self, port: int) -> str:
        """host:port as gRPC and people read it: an IPv6 address in brackets ([::]:50051, not :::50051)."""
        host = self.bare_host
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def stream_limit(self) -> int:
        """How many request streams may be open at once (see max_streams)."""
        return self.max_streams if self.max_streams > 0 else max(1, self.max_workers * 3 // 4)


_PATHS = frozenset({"data_dir", "tls_cert", "tls_key", "tls_client_ca", "auth_token_file", "boilerplate_file"})


def _check_ranges(settings: Settings | DetectionParams) -> None:
    for f in fields(settings):
        if "help" in f.metadata:  # (a setting of its own, not the detection parameters within Settings)
            _check_range(f, getattr(settings, f.name))


def _check_range(f: Field[Any], value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{_flag(f.name)} must be a finite number (got {value})")
    least, most = f.metadata.get("least"), f.metadata.get("most")
    if (least is not None and value < least) or (most is not None and value > most):
        bound = f"between {least} and {most}" if most is not None else f"at least {least}"
        raise ValueError(f"{_flag(f.name)} must be {bound} (got {value})")


def _check_ports_differ(number: Callable[[str], int], source: Callable[[str], str] | None = None) -> None:
    """Two of the server's own ports the same number could only fail to bind, and only after the whole index
    had loaded, as "another process may be using the port". (0, any free port, and -1, off, may repeat.)
    `number`: each port setting's value; `source`: what gave it, its flag (by default) or its variable."""
    source = source or _flag
    ports = ("port", "health_port", "metrics_port")
    for i, name in enumerate(ports):
        for other in ports[:i]:
            if number(name) > 0 and number(name) == number(other):
                given = source(name)
                shown = f"{given}={number(name)}" if given.startswith("NEARDUP_") else f"{given} {number(name)}"
                raise ValueError(f"{shown} is also {source(other)}: give each its own port")


def _source(name: str, value: Any, env: Mapping[str, str]) -> str:
    """What gave the setting NAME its `value`: its variable in `env` if that says it (a flag saying the same is
    named so too), else its flag (given, or at its default, as the refusals of a value given directly say)."""
    variable, raw = _variable(name), env.get(_variable(name))
    if raw is None or is_service_link(variable, raw):
        return _flag(name)
    said = _from_variable(name, _DEFAULTS[name], raw)
    return variable if said == value else _flag(name)


def _naming_variables(refusal: str, values: Mapping[str, Any], env: Mapping[str, str]) -> str:
    """A refusal of the settings `values`, which names flags, led by the variable and text of each of those whose
    value came from `env`: "NEARDUP_MIN_CONTAINMENT='2': --min-containment must be above 0 …". Without it, an
    operator who gave no flag read of one, and had to guess it was the variable (as with `_check_range`'s
    refusals, which named the variable: the checks of a value's range and of what settings allow together now
    name it alike)."""
    named = dict.fromkeys(flag[2:].replace("-", "_") for flag in re.findall(r"--[a-z][a-z0-9-]*", refusal))
    from_env = [name for name in named if name in values and _source(name, values[name], env) != _flag(name)]
    if not from_env:
        return refusal
    given = [_variable(name) for name in from_env]
    for name in from_env:  # (a refusal's "leave --tls-reload out": the variable gave it)
        refusal = refusal.replace(f"leave {_flag(name)} out", f"unset {_variable(name)}")
    shown = {variable: env[variable] for variable in given}
    if "NEARDUP_REDIS_URL" in shown:  # (its password, if any, is not for the log)
        shown["NEARDUP_REDIS_URL"] = redacted_url(shown["NEARDUP_REDIS_URL"])
    return ", ".join(f"{variable}={raw!r}" for variable, raw in shown.items()) + f": {refusal}"


def _bare_host(host: str) -> str:
    """--host as an address alone: `[::1]`, as written beside a port, is `::1`, which the metrics server needs."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        return host[1:-1]
    return host


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_calls_beside_streams(settings: Settings) -> None:
    """Open streams count as calls for as long as they are open: with as many calls allowed as streams, idle
    streams took every one, and GetStats, checks, health and reflection on the main port were refused
    RESOURCE_EXHAUSTED. What this guarantees is only that index streams alone cannot take every call: open health
    Watch and reflection streams count as calls too, outside the stream cap, so they can take the calls left (at
    --max-concurrent-rpcs one above the cap, one Watch beside full streams refuses GetStats); the message says so."""
    streams = settings.stream_limit()
    if settings.max_concurrent_rpcs > streams:
        return
    cap = (f"--max-streams {streams}" if settings.max_streams > 0
           else f"--max-streams -1: {streams}, three quarters of --max-workers {settings.max_workers}")  # fmt: skip
    fewer = settings.max_concurrent_rpcs - 1
    lower = "" if fewer < 1 else f", or --max-streams to {fewer}" + (" or less" if fewer > 1 else "")
    raise ValueError(
        f"--max-concurrent-rpcs ({settings.max_concurrent_rpcs}) must be more than the index streams that may be "
        f"open at once ({cap}): an open stream counts as a call, so idle streams would take every call and leave "
        f"none for checks, GetStats and health probes. Raise --max-concurrent-rpcs to {streams + 1} or more{lower} "
        "(open health Watch and reflection streams count as calls too, outside --max-streams: leave a margin for "
        "those a deployment keeps open)"
    )


def _check_redis_url(settings: Settings) -> None:
    """What a Redis URL says that cannot work, found before connecting: redis-py reads a database that is
    not a number as 0, and a TLS file it cannot open as Redis not answering."""
    if settings.store != "redis":
        return
    url = urlsplit(settings.redis_url)
    if url.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"--redis-url must begin redis://, rediss:// (TLS) or unix://, not {url.scheme or '…'}://")
    if url.scheme != "unix":
        if _user_part_cut_short(settings.redis_url) >= 0:
            raise ValueError(
                "--redis-url has an '@' after its host part: percent-encode / ? # in the password (%2F %3F %23; "
                "in the user name too), as unencoded they end the host part, and the password is read as the "
                "host and port"
            )
        _check_redis_port(url.netloc)
    database = url.path.strip("/")
    if url.scheme != "unix" and database and not database.isdigit():
        raise ValueError(f"--redis-url ends with /{database}, which is not a database number (0 to 15, as a rule)")
    for name, value in parse_qsl(url.query):
        if name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile") and not os.access(value, os.R_OK):
            raise ValueError(f"--redis-url: {name}={value} names no file this server can read")


def _check_redis_port(netloc: str) -> None:
    """A port that is not one (redis-py's own words named no setting: "Port out of range 0-65535"). Read from the
    text after the host (a password may hold any character, an IPv6 address colons), never shown whole."""
    host_and_port = netloc.rpartition("@")[2]
    _, colon, port = host_and_port.rpartition("]")[2].partition(":")
    if ":" in port:  # (an IPv6 address, or two ports)
        raise ValueError(
            f"--redis-url's host and port ({host_and_port!r}) are not host:port: bracket an IPv6 address "
            "(redis://[::1]:6379)"
        )
    if colon and port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= PORT_MAX):
        raise ValueError(f"--redis-url gives the port {port!r}, which is not a port number (1 to {PORT_MAX})")


def _check_redis_wait(settings: Settings) -> None:
    if settings.redis_wait_replicas < 0:
        raise ValueError("--redis-wait-replicas is a number of Redis replicas: 0 (do not wait) or more")
    if settings.redis_wait_replicas and settings.store != "redis":
        raise ValueError("--redis-wait-replicas applies to --store redis only (the embedded store fsyncs instead)")
    if settings.redis_wait_seconds <= 0:
        raise ValueError("--redis-wait-seconds must be above 0: how long a write waits for the Redis replicas")


def add_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """Add one flag per setting; each defaults to NEARDUP_<NAME> from env, else the built-in default."""
    for f, default in _settings_and_defaults():
        _add(parser, env, f, default)


def _settings_and_defaults() -> list[tuple[Field[Any], Any]]:
    """Each setting, the server's then detection's, with its built-in default: one flag and variable each."""
    defaults = Settings()
    top = [(f, getattr(defaults, f.name)) for f in fields(Settings) if f.name != "detection"]
    return top + [(f, getattr(defaults.detection, f.name)) for f in _flagged(DetectionParams)]


def _flagged(cls: type[DetectionParams]) -> list[Field[Any]]:
    """The detection parameters that are settings (a flag and a variable each): not the scheme, which the store
    decides."""
    return [f for f in fields(cls) if "help" in f.metadata]


_DEFAULTS = {f.name: f.default for f in (*fields(Settings), *_flagged(DetectionParams)) if f.name != "detection"}


def _variable(name: str) -> str:
    """The environment variable a setting is read from: NEARDUP_<NAME>."""
    return "NEARDUP_" + name.upper()


_CHOICES = {
    "store": ("sqlite", "redis"),
    "log_format": ("text", "json"),
    "index_snapshot": ("on", "off"),
    "tls_reload": ("on", "off"),
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
}


def _add(parser: argparse.ArgumentParser, env: Mapping[str, str], f: Field[Any], default: Any) -> None:
    name = f.name
    flag = _flag(name)
    env_name = _variable(name)
    kind = _kind(name, default)
    raw = env.get(env_name)
    if raw is not None and is_service_link(env_name, raw):
        raw = None  # (Kubernetes' address of a Service named neardup, not a port: said at start, unused_variables)
    try:
        value = kind(raw) if raw is not None else (str(default) if isinstance(default, Path) else default)
    except ValueError:
        _refuse_value(
            parser, f"{env_name}={raw!r} is not a valid value for {flag}: expected a {_KIND_NAMES[type(default)]}"
        )
    choices = _CHOICES.get(name)
    if raw is not None and choices is not None and value not in choices:  # (argparse checks flags' values only)
        _refuse_value(parser, f"{env_name}={raw!r} is not a valid value for {flag}: choose from {', '.join(choices)}")
    parser.add_argument(
        flag,
        dest=name,
        type=kind,
        default=value,
        choices=choices,
        help=f"{f.metadata['help']} (env {env_name}; default %(default)s)",
    )


def _kind(name: str, default: Any) -> Callable[[str], Any]:
    """What reads the setting NAME from a flag's or a variable's text."""
    return _PARSE.get(name) or (type(default) if not isinstance(default, Path) else str)


def _refuse_value(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """Exit 2 with one line, as a setting that cannot work does: argparse's own error printed the usage above it,
    cut short at the flags added so far, which said nothing of the variable."""
    parser.exit(2, f"{parser.prog}: {message}\n")


_KIND_NAMES = {int: "whole number", float: "number", str: "string"}
_PARSE = {"log_level": str.upper}  # (as logging spells them; `info` is taken as INFO)


def setting_variables() -> list[str]:
    """The environment variables the server's settings are read from, NEARDUP_<NAME> of each."""
    return [_variable(f.name) for f, _ in _settings_and_defaults()]


def refuse_unknown_variables(env: Mapping[str, str], also_read: Iterable[str]) -> None:
    """ValueError naming each NEARDUP_* variable in `env` that nothing reads (neither a setting's nor one of
    `also_read`, the client commands' in the same environment), with the known name closest to it. A misspelled
    one (NEARDUP_MAX_BODY_SIZE) was ignored, and the server ran on the default without a word, as no flag's
    misspelling does. The prefix is neardup's own, except in the variables Kubernetes sets for the Services of the
    namespace (is_service_link): those are passed over."""
    known = [*setting_variables(), *also_read]
    unknown = sorted(
        name
        for name, value in env.items()
        if name.startswith("NEARDUP_") and name not in known and not is_service_link(name, value)
    )
    if unknown:
        named = ", ".join(f"{name}{_closest(name, known)}" for name in unknown)
        these = "them" if len(unknown) > 1 else "it"
        raise ValueError(f"{named}: neardup reads no such variable, so it would be ignored; rename or unset {these} "
                         "(`neardup serve --help` names each setting's)")  # fmt: skip


# Kubernetes gives every pod variables for each Service of its namespace ("service links", on by default): a
# Service named neardup-redis sets NEARDUP_REDIS_SERVICE_HOST, NEARDUP_REDIS_SERVICE_PORT,
# NEARDUP_REDIS_PORT=tcp://10.0.0.7:6379 and NEARDUP_REDIS_PORT_6379_TCP(_ADDR, _PORT, _PROTO); one named neardup
# sets NEARDUP_PORT=tcp://…, a setting's own name, and neardup-health NEARDUP_HEALTH_PORT=tcp://…. Refused, they
# stopped a server beside such a Service from starting.
_SERVICE_LINK_NAME = re.compile(
    r"NEARDUP(?:_\w+?)?_(?:SERVICE_HOST|SERVICE_PORT(?:_\w+)?|PORT_\d+_(?:TCP|UDP|SCTP)(?:_ADDR|_PORT|_PROTO)?)"
)
_SERVICE_LINK_ADDRESS = re.compile(r"(?:tcp|udp|sctp)://\S+:\d+")


def is_service_link(name: str, value: str) -> bool:
    """Is NAME=VALUE one of the variables Kubernetes sets for a Service of the namespace (not a setting)?"""
    if _SERVICE_LINK_NAME.fullmatch(name):
        return True
    return name.endswith("_PORT") and _SERVICE_LINK_ADDRESS.fullmatch(value) is not None


def unused_variables(env: Mapping[str, str], settings: Settings) -> list[str]:
    """One line for each setting's NEARDUP_* variable set in `env` that `settings` do not follow, to be logged at
    start: a service link (is_service_link) passed over, its setting left at its built-in default (the image's
    NEARDUP_HEALTH_PORT=50052, replaced by a Service named neardup-health's address, turned the health port off
    without a word, and the pod's probes failed), or a value a flag overrode (flags win: the image's entrypoint
    gives the ports)."""
    said = []
    for f, default in _settings_and_defaults():
        variable, raw = _variable(f.name), env.get(_variable(f.name))
        if raw is None:
            continue
        used = getattr(settings.detection if f.name in _DETECTION else settings, f.name)
        if is_service_link(variable, raw):
            if used == default:
                said.append(_passed_over(variable, raw, f.name, default))
        elif _from_variable(f.name, default, raw) != used:
            hint = _IMAGE_HINT if f.name in _IMAGE_FLAGS else ""
            said.append(f"{variable}={raw} is not used: the flag {_flag(f.name)} {used} wins over it{hint}")
    return said


_DETECTION = frozenset(f.name for f in _flagged(DetectionParams))
# The settings the container image gives as flags of its entrypoint (Dockerfile), where a service link cannot replace
# them as it replaced the image's environment.
_IMAGE_FLAGS = frozenset({"port", "health_port", "metrics_port"})
_IMAGE_HINT = (" (the container image's entrypoint gives --port 50051, --health-port 50052 and --metrics-port 9100: "
               "to change one there, give its flag after the image name; the health port's with a --health-cmd "
               "asking it: docs/ops.md)")  # fmt: skip


def _passed_over(variable: str, raw: str, name: str, default: Any) -> str:
    service = variable.removesuffix("_PORT").lower().replace("_", "-")
    off = " (off)" if default == -1 else ""
    return (f"{variable}={raw} is what Kubernetes sets for a Service named {service} (a service link), not a value "
            f"of {_flag(name)}: passed over, so {_flag(name)} is its default, {default}{off}; set "
            f"enableServiceLinks: false in the pod spec, or give {_flag(name)} as a flag")  # fmt: skip


def _from_variable(name: str, default: Any, raw: str) -> Any:
    """The value NAME's variable holding `raw` gives the setting (as `_add` and `Settings.from_namespace` read it);
    None if it is not one (refused at start)."""
    try:
        value = _kind(name, default)(raw)
    except ValueError:
        return None
    if name in _PATHS and value:
        value = os.path.expanduser(value)
    return Path(value) if isinstance(default, Path) else value


def _closest(name: str, known: Sequence[str]) -> str:
    """ " (did you mean NEARDUP_…?)" naming the known variable most like `name`, or "" if none is much like it.
    (Compared without the prefix they all share, which made any name look like a short one.)"""
    suffixes = {k.removeprefix("NEARDUP_"): k for k in known}
    close = difflib.get_close_matches(name.removeprefix("NEARDUP_"), list(suffixes), n=1, cutoff=0.6)
    return f" (did you mean {suffixes[close[0]]}?)" if close else ""


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neardup serve", description="Run the neardup gRPC server.")
    add_arguments(parser, env)
    return parser


def redacted_url(url: str) -> str:
    """`url` with its password (in the user part or a `password=` query field) shown as ***. A user part cut short
    by a / ? or # it holds unencoded (urlsplit reads the text before it as the host) is hidden whole."""
    cut = _user_part_cut_short(url)
    if cut >= 0:
        url = f"{url.partition('://')[0]}://***{url[cut:]}"
    netloc = urlsplit(url).netloc
    user, at, host = netloc.rpartition("@")
    if at and ":" in user:
        url = url.replace(netloc, f"{user.split(':', 1)[0]}:***@{host}", 1)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url)


def _user_part_cut_short(url: str) -> int:
    """Where in the redis:// or rediss:// `url` the '@' ending its user part is when that part holds an unencoded
    / ? or # (the URL's syntax ends the host part there: "redis://user:sec#ret@h:6379" reads as host 'user', port
    'sec'), else -1. So when an '@' follows the host part urlsplit read, before any '=' (of a query field, whose
    value may hold one)."""
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in ("redis", "rediss"):
        return -1
    netloc = urlsplit(url).netloc
    after = len(scheme) + len(sep) + len(netloc)
    at, equals = url.find("@", after), url.find("=", after)
    return at if at >= 0 and (equals < 0 or at < equals) else -1
