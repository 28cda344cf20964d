"""Bearer-token auth: every neardup call needs the token; health and reflection stay open."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article, NeardupClient, UnauthenticatedError
from client.cli import main
from client.errors import CLI_TOKEN_SETTINGS
from service import auth
from service.grpc_server import RunningServer, start_server
from tests import support
from tests.articles import WIRE
from tests.support import in_process_server

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")  # a trailing newline, as editors write it
    with in_process_server(tmp_path / "data", auth_token_file=str(token_file)) as (running, _client):
        yield running, token_file


def test_missing_token_is_unauthenticated_with_advice(secured: tuple[RunningServer, Path]) -> None:
    running, _ = secured
    with NeardupClient(f"127.0.0.1:{running.port}") as anonymous:
        with pytest.raises(UnauthenticatedError, match="authorization: Bearer") as caught:
            anonymous.index(Article("a", WIRE))
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED
        # The Python client's own setting, not the CLI's flags the server names (CLI_TOKEN_SETTINGS, its words)
        assert "(Python client: NeardupClient(token=...)" in caught.value.details
        assert CLI_TOKEN_SETTINGS not in caught.value.details
        with pytest.raises(UnauthenticatedError):
            list(anonymous.index_stream([Article("s", WIRE)]))
        assert anonymous.health() == "SERVING"  # probes need no token
    # The server's own words, as any client (grpcurl, another language's) and the CLI hear them.
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel, pytest.raises(grpc.RpcError) as refused:
        pb_grpc.NearDuplicateServiceStub(channel).GetStats(pb.GetStatsRequest(), timeout=10)
    assert CLI_TOKEN_SETTINGS in (refused.value.details() or "")


def test_wrong_token_is_unauthenticated_and_stores_nothing(secured: tuple[RunningServer, Path]) -> None:
    running, _ = secured
    target = f"127.0.0.1:{running.port}"
    with NeardupClient(target, token="not-the-token") as wrong, NeardupClient(target, token=TOKEN) as right:
        with pytest.raises(UnauthenticatedError, match="not accepted"):
            wrong.index(Article("a", WIRE))
        assert right.stats().articles == 0
        assert right.index(Article("a", WIRE)).id == "a"
        assert right.get("a").article.body == WIRE


def test_reflection_stays_open(secured: tuple[RunningServer, Path]) -> None:
    running, _ = secured
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    names = {s.name for s in response.list_services_response.service}
    assert "neardup.v1.NearDuplicateService" in names


def test_cli_reads_the_token_file_from_env(
    secured: tuple[RunningServer, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    running, token_file = secured
    target = f"127.0.0.1:{running.port}"
    assert main(["stats", "--server", target], env={}) == 2
    assert "UNAUTHENTICATED" in capsys.readouterr().err
    assert main(["stats", "--server", target], env={"NEARDUP_TOKEN_FILE": str(token_file)}) == 0
    assert '"articles": 0' in capsys.readouterr().out


def test_an_empty_token_file_stops_the_server_from_starting(tmp_path: Path) -> None:
    empty = tmp_path / "token"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="empty"), in_process_server(tmp_path / "d", auth_token_file=str(empty)):
        pass


def test_health_command_fails_with_exit_1_when_nothing_answers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--server", "127.0.0.1:1", "--timeout", "1"], env={}) == 1
    assert "unhealthy" in capsys.readouterr().err


def test_undecodable_bytes_without_the_token_are_unauthenticated(secured: tuple[RunningServer, Path]) -> None:
    running, _ = secured
    method = "/neardup.v1.NearDuplicateService/IndexArticle"
    garbage = b"\xff\xff\xff\xff"  # not a protobuf message
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        raw = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as anonymous:
            raw(garbage, timeout=10)
        with pytest.raises(grpc.RpcError) as authenticated:
            raw(garbage, timeout=10, metadata=(("authorization", f"Bearer {TOKEN}"),))
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED  # nothing learned about the bytes
    assert authenticated.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_token_given_with_its_newline_works_and_one_no_header_can_carry_is_refused_when_made(
    secured: tuple[RunningServer, Path],
) -> None:
    running, token_file = secured
    target = f"127.0.0.1:{running.port}"
    with NeardupClient(target, token=token_file.read_text()) as client:  # (as open(path).read() gives it)
        assert client.index(Article("read-whole", WIRE)).id == "read-whole"
    for unfit in ("s3cret\u00fc", "s3c\nret"):
        with pytest.raises(ValueError, match="which a gRPC header cannot carry"):
            NeardupClient(target, token=unfit)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("t\u00f6k\u00e9n\n".encode(), "which a gRPC header cannot carry"),
        (b"\xff\xfe token", "is not UTF-8 text"),
    ],
)
def test_a_token_file_no_client_could_send_stops_the_start_naming_the_flag(
    tmp_path: Path, content: bytes, why: str
) -> None:
    # (the server started, and every call then failed in the client: INTERNAL "Invalid metadata")
    token_file = tmp_path / "token"
    token_file.write_bytes(content)
    with pytest.raises(ValueError, match=f"--auth-token-file.*{why}"):
        start_server(support.test_settings(tmp_path / "data", auth_token_file=str(token_file)))


def test_the_cli_given_a_token_no_header_can_carry_says_so_in_one_line(
    secured: tuple[RunningServer, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running, _ = secured
    unfit = tmp_path / "unfit-token"
    unfit.write_text("t\u00f6ken\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["stats", "--server", f"127.0.0.1:{running.port}", "--token-file", str(unfit)], env={})
    assert exited.value.code == 2
    assert "which a gRPC header cannot carry" in capsys.readouterr().err


def test_refused_calls_are_logged_at_warning_once_a_minute_without_the_token_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    caplog.set_level(logging.WARNING, logger="neardup.rpc")
    with in_process_server(tmp_path / "data", auth_token_file=str(token_file), metrics_port=0) as (running, _):
        with NeardupClient(f"127.0.0.1:{running.port}", token="stale-token") as stale:
            for _ in range(3):  # a client retrying in a loop
                with pytest.raises(UnauthenticatedError):
                    stale.stats()
        assert running.metrics_port is not None
        metrics = support.scrape(running.metrics_port)
    [line] = [r.getMessage() for r in caplog.records if r.name == "neardup.rpc"]
    assert "refused a call from ipv4:127.0.0.1:" in line and "with a wrong token (UNAUTHENTICATED)" in line
    assert "stale-token" not in line and TOKEN not in line
    refused = (("code", "UNAUTHENTICATED"), ("method", "neardup.v1.NearDuplicateService/GetStats"))
    assert metrics[("neardup_rpc_calls_total", refused)] == 3


NO_SCHEME = ("the 'authorization' header does not start with 'Bearer ': the header must be 'authorization: Bearer "
             "<token>', the word Bearer and a space before the token")  # fmt: skip
NOT_ACCEPTED = ("the bearer token was not accepted: check that your token file holds the same token as the server's "
                "--auth-token-file")  # fmt: skip
EMPTY_TOKEN = ("the 'authorization' header carries no token after 'Bearer ': the token after it is empty (a variable "
               "or file meant to hold it, empty?); send 'authorization: Bearer <token>' with the token of the server's "
               "--auth-token-file (neardup CLI: --token-file FILE or NEARDUP_TOKEN_FILE)")  # fmt: skip


@pytest.mark.parametrize(
    ("header", "said"),
    [
        (f"bearer {TOKEN}", None),  # the scheme is case-insensitive (RFC 9110)
        (f"BEARER  {TOKEN}", None),
        (f"Bearer {TOKEN} ", None),
        (f"Basic {TOKEN}", NO_SCHEME),
        (f"Bearer {TOKEN}x", NOT_ACCEPTED),
        # The right token without its scheme was told to check that the token file held the same token.
        (TOKEN, NO_SCHEME),
        # "Bearer $TOKEN" with the variable empty was told to check the token file, as a wrong token is.
        ("Bearer", EMPTY_TOKEN),
        ("Bearer ", EMPTY_TOKEN),
        ("bearer   ", EMPTY_TOKEN),
    ],
)
def test_the_bearer_scheme_is_read_in_any_case_and_a_header_without_it_is_told_so(
    secured: tuple[RunningServer, Path], header: str, said: str | None
) -> None:
    running, _ = secured
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = pb_grpc.NearDuplicateServiceStub(channel)
        try:
            stub.GetStats(pb.GetStatsRequest(), metadata=(("authorization", header),), timeout=10)
            code, details = grpc.StatusCode.OK, None
        except grpc.RpcError as exc:
            code, details = exc.code(), exc.details()
    assert (code, details) == ((grpc.StatusCode.OK, None) if said is None else (grpc.StatusCode.UNAUTHENTICATED, said))


def test_a_token_file_of_several_lines_accepts_each_token_while_clients_move_to_a_new_one(tmp_path: Path) -> None:
    # One token only: moving every pipeline to a new one meant switching all at the instant the server did.
    token_file = tmp_path / "tokens"
    token_file.write_text("# old, until every pipeline has the new one\nold-token\n\nnew-token\n")
    token_file.chmod(0o600)
    with in_process_server(tmp_path / "data", auth_token_file=str(token_file)) as (running, _client):
        for token in ("old-token", "new-token"):
            with NeardupClient(f"127.0.0.1:{running.port}", token=token) as client:
                assert client.stats().articles == 0
        for refused in ("# old, until every pipeline has the new one", "other-token"):
            with (
                NeardupClient(f"127.0.0.1:{running.port}", token=refused) as client,
                pytest.raises(UnauthenticatedError),
            ):
                client.stats()


def test_a_call_carrying_two_authorization_headers_is_refused_whatever_their_order(
    secured: tuple[RunningServer, Path],
) -> None:
    # Only the first counted: a wrong token then the right one was refused, the right one then a wrong one let in.
    running, _ = secured
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = pb_grpc.NearDuplicateServiceStub(channel)
        for pair in ((TOKEN, "wrong"), ("wrong", TOKEN)):
            headers = tuple(("authorization", f"Bearer {t}") for t in pair)
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetStats(pb.GetStatsRequest(), metadata=headers, timeout=10)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert "2 'authorization' headers: send one" in (refused.value.details() or "")


def test_a_token_file_others_can_read_or_a_token_sent_in_clear_text_beyond_loopback_is_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="service.auth"):
        with in_process_server(tmp_path / "a", auth_token_file=str(token_file)):
            pass
        assert "can be read by other users of this machine: chmod 600 it" in caplog.text
        assert "clear text" not in caplog.text  # (on loopback: it never leaves the machine)
        caplog.clear()
        token_file.chmod(0o600)
        # (the check a start makes, without serving on every interface for it)
        auth.warn_of_exposed_tokens(support.test_settings(tmp_path / "b", host="0.0.0.0",
                                                                  auth_token_file=str(token_file)))  # fmt: skip
        assert "every caller's token crosses the network in clear text" in caplog.text
        assert "other users" not in caplog.text


def _accepted(port: int, token: str) -> bool:
    with NeardupClient(f"127.0.0.1:{port}", token=token, timeout=10) as client:
        try:
            client.stats()
        except UnauthenticatedError:
            return False
    return True


@pytest.fixture
def followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RunningServer, Path]]:
    """A server whose token file holds "old-token", looked at every 50 ms (TokenFile)."""
    monkeypatch.setattr(auth, "TOKEN_FILE_CHECK", 0.05)
    token_file = tmp_path / "tokens"
    token_file.write_text("old-token\n")
    with in_process_server(tmp_path / "data", auth_token_file=str(token_file)) as (running, _client):
        yield running, token_file


def test_a_changed_token_file_is_followed_without_a_restart_and_a_broken_one_keeps_the_tokens(
    followed: tuple[RunningServer, Path], caplog: pytest.LogCaptureFixture
) -> None:
    # Read at start only: adding a token, or revoking a leaked one, needed a restart.
    running, token_file = followed
    assert _accepted(running.port, "old-token") and not _accepted(running.port, "new-token")
    with caplog.at_level(logging.INFO, logger="service.auth"):
        token_file.write_text("new-token\n")  # the old one revoked
        assert support.until(lambda: _accepted(running.port, "new-token"), timeout=10)
    assert not _accepted(running.port, "old-token")
    assert "changed: 1 token accepted now" in caplog.text  # (not "1 tokens")
    with caplog.at_level(logging.ERROR, logger="service.auth"):
        token_file.unlink()  # (gone: the tokens are kept, and that is said)
        assert support.until(lambda: _accepted(running.port, "new-token") and "No such file" in caplog.text)
        caplog.clear()
        token_file.write_text("# being edited\n")
        # (a call makes the server look at the file: each one here is still let in)
        assert support.until(lambda: _accepted(running.port, "new-token") and "holds no token" in caplog.text)
        assert "the tokens before it are kept" in caplog.text


def test_a_token_file_mended_without_changing_its_stamp_is_read_again(
    followed: tuple[RunningServer, Path], caplog: pytest.LogCaptureFixture
) -> None:
    # A change that could not be read (mode 000, a byte that is not UTF-8) recorded its stamp as read, so the
    # mend (chmod, which changes no stamp of ours; here the same size and time) was never read again.
    running, token_file = followed
    with caplog.at_level(logging.ERROR, logger="service.auth"):
        token_file.write_bytes(b"new-t\xffken\n")
        assert support.until(
            lambda: _accepted(running.port, "old-token") and "is not UTF-8 text" in caplog.text, timeout=10
        )
    stamp = token_file.stat().st_mtime_ns
    with token_file.open("r+b") as mended:  # (in place: the same file, size and time)
        mended.write(b"new-token\n")
    os.utime(token_file, ns=(stamp, stamp))
    assert support.until(lambda: _accepted(running.port, "new-token"), timeout=10)
    assert not _accepted(running.port, "old-token")


def test_a_token_file_rewritten_keeping_its_size_and_time_is_seen(tmp_path: Path) -> None:
    """A token replaced in place by one as long, the mtime set back (`cp -p`, an archive's fixed times), was never
    accepted, nor the old one revoked: the file's ctime is in its stamp now, as in the TLS files' (auth._stamp)."""
    tokens = tmp_path / "tokens"
    tokens.write_text("old-token\n")
    now = [0.0]
    followed = auth.TokenFile(str(tokens), clock=lambda: now[0])
    before = tokens.stat()
    with tokens.open("r+b") as rewritten:
        rewritten.write(b"new-token\n")
    os.utime(tokens, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (tokens.stat().st_ino, tokens.stat().st_size) == (before.st_ino, before.st_size)
    now[0] += auth.TOKEN_FILE_CHECK
    assert followed.tokens() == [b"new-token"]


def test_the_cli_reads_a_token_file_as_the_server_does_and_sends_the_first_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (the server's own file, a shared secret mid-rotation, was read whole: one token holding a newline)
    server_file = tmp_path / "server-tokens"
    server_file.write_text("old-token\n")
    shared = tmp_path / "shared-tokens"
    shared.write_text("# rotating: clients send the first token\n\nold-token\nnew-token\n")
    moved = tmp_path / "moved-tokens"
    moved.write_text("new-token\nold-token\n")
    comments_only = tmp_path / "comments-only"
    comments_only.write_text("# no token yet\n\n")
    with in_process_server(tmp_path / "data", auth_token_file=str(server_file)) as (running, _):
        stats = ["stats", "--server", f"127.0.0.1:{running.port}", "--token-file"]
        assert main([*stats, str(shared)], env={}) == 0
        assert main([*stats, str(moved)], env={}) == 2  # (the first, new-token, is sent: this server refuses it)
        assert "UNAUTHENTICATED" in capsys.readouterr().err
        with pytest.raises(SystemExit) as exited:
            main([*stats, str(comments_only)], env={})
    assert exited.value.code == 2
    assert f"the token file {comments_only} holds no token (it is empty, or blank and # lines only)" in (
        capsys.readouterr().err
    )


def test_a_stream_refused_for_its_token_says_its_articles_were_not_stored(
    secured: tuple[RunningServer, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The token is checked before any handler runs: nothing the stream sent reached the store, and "may or may not be
    # stored" sent an operator to check what could not be there.
    running, _ = secured
    target = f"127.0.0.1:{running.port}"
    articles = [Article("s1", WIRE), Article("s2", WIRE + " And more.")]
    with NeardupClient(target, token="not-the-token") as wrong, pytest.raises(UnauthenticatedError) as caught:
        list(wrong.index_stream(articles))
    message, unanswered = str(caught.value), caught.value.unanswered
    # (as many as gRPC had read from the iterator when the refusal came: none, when it came first)
    assert unanswered in (0, 1, 2)
    assert "may or may not" not in message
    if unanswered:
        said = "2 articles sent on the stream were" if unanswered == 2 else "1 article sent on the stream was"
        assert f"{said} not stored" in message
    # The CLI, as an operator runs it, with a token file the server does not accept.
    bad = tmp_path / "bad-token"
    bad.write_text("not-the-token\n")
    bad.chmod(0o600)
    (tmp_path / "bad.jsonl").write_text("".join(f'{{"id": "{a.id}", "body": "{a.body}"}}\n' for a in articles))
    args = ["ingest", str(tmp_path / "bad.jsonl"), "--server", target, "--token-file", str(bad)]
    assert main(args, env={}) != 0
    err = capsys.readouterr().err
    assert "UNAUTHENTICATED" in err and "may or may not be stored" not in err
    with NeardupClient(target, token=TOKEN) as right:
        assert right.stats().articles == 0
