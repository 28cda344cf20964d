"""Property-based fuzzing of request fields and of raw bytes on the wire.

The server must answer every request with a precise status (never INTERNAL or UNKNOWN), keep
serving, and leave the articles stored before the fuzzing exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from client import Article, NeardupClient
from service.grpc_server import RunningServer
from tests.articles import OTHER_WITH_APPEAL, SAME_EVENT_A, WIRE
from tests.support import in_process_server

SEEDED = {"seed-wire": WIRE, "seed-other": OTHER_WITH_APPEAL, "seed-event": SAME_EVENT_A}
SERVICE = "/neardup.v1.NearDuplicateService/"
PRECISE = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, grpc.Channel]]:
    with in_process_server(tmp_path_factory.mktemp("fuzz"), max_body_bytes=20_000) as (running, client):
        for article_id, body in SEEDED.items():
            client.index(Article(article_id, body))
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield running, channel
        _assert_seeded_intact(client)


def _assert_seeded_intact(client: NeardupClient) -> None:
    assert client.health() == "SERVING"
    for article_id, body in SEEDED.items():
        assert client.get(article_id).article.body == body


def _code(call: Callable[[], object]) -> grpc.StatusCode:
    try:
        call()
        return grpc.StatusCode.OK
    except grpc.RpcError as exc:
        return exc.code()


# Text that protobuf can carry: any code point but lone surrogates (they have no UTF-8 form).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
odd_text = st.one_of(
    any_text,
    st.sampled_from(["", " ", "\u200b\u200b", "\x00", "...!!!", "\u202e\u0301\u0301", "🦜 🦜 🦜", "ǅ ﬁ Ⅻ"]),
    st.text(st.sampled_from("aé中 \n\t\x00🦜"), min_size=1000, max_size=30_000),  # around the body limit
)
article_ids = st.one_of(odd_text, st.text(min_size=500, max_size=600))  # the id limit is 512 bytes


@st.composite
def articles(draw: st.DrawFn) -> pb.Article:
    article = pb.Article(id="fuzz-" + draw(article_ids), body=draw(odd_text), title=draw(any_text),
                         source=draw(any_text), url=draw(any_text))  # fmt: skip
    if draw(st.booleans()):
        article.published.seconds = draw(st.integers(-(2**63), 2**63 - 1))
        article.published.nanos = draw(st.integers(-(2**31), 2**31 - 1))
    return article


@FUZZ
@given(article=articles(), evidence=st.booleans())
def test_fuzzed_fields_get_precise_statuses(fuzzed: tuple[RunningServer, grpc.Channel], article: pb.Article,
                                            evidence: bool) -> None:  # fmt: skip
    stub = pb_grpc.NearDuplicateServiceStub(fuzzed[1])
    for call in (
        lambda: stub.CheckArticle(pb.CheckArticleRequest(article=article, include_evidence=evidence), timeout=30),
        lambda: stub.IndexArticle(pb.IndexArticleRequest(article=article, include_evidence=evidence), timeout=30),
        lambda: stub.GetArticle(pb.GetArticleRequest(id=article.id), timeout=30),
        lambda: stub.ListGroupMembers(pb.ListGroupMembersRequest(id=article.id, page_token=article.title), timeout=30),
    ):
        assert _code(call) in PRECISE


@settings(FUZZ, max_examples=200)  # cheap: most payloads fail to parse
@given(method=st.sampled_from(["IndexArticle", "CheckArticle", "GetArticle", "DeleteArticle", "DeleteArticles",
                               "GetStats", "ListGroupMembers"]),
       payload=st.one_of(st.binary(max_size=3000), st.builds(bytes.__add__, st.just(b"\x0a\xff\xff\xff\x0f"),
                                                              st.binary(max_size=64))))  # fmt: skip
def test_random_bytes_on_the_wire_get_precise_statuses(
    fuzzed: tuple[RunningServer, grpc.Channel], method: str, payload: bytes
) -> None:
    raw = fuzzed[1].unary_unary(SERVICE + method, request_serializer=None, response_deserializer=None)
    if _deletes_seeded(method, payload):
        return  # a random valid request to delete a seeded article is not an attack
    assert _code(lambda: raw(payload, timeout=30)) in PRECISE


def _deletes_seeded(method: str, payload: bytes) -> bool:
    try:
        if method == "DeleteArticle":
            return pb.DeleteArticleRequest.FromString(payload).id in SEEDED
        if method == "DeleteArticles":
            return any(i in SEEDED for i in pb.DeleteArticlesRequest.FromString(payload).ids)
    except Exception:
        pass  # (not a message of that kind: nothing is deleted)
    return False


def test_undecodable_bytes_are_invalid_argument_not_internal(fuzzed: tuple[RunningServer, grpc.Channel]) -> None:
    raw = fuzzed[1].unary_unary(SERVICE + "IndexArticle", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as caught:
        raw(b"\xff\xfe\xfd", timeout=30)  # (not protobuf at all)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = caught.value.details()
    assert details is not None
    assert details.startswith("the request is not a valid neardup.v1.IndexArticleRequest message (")
    assert "its bytes do not read as protobuf's wire format" in details
    health = fuzzed[1].unary_unary("/grpc.health.v1.Health/Check", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as caught:
        health(b"\x0a\x03\xff\xfe\xfd", timeout=30)  # (a service name that is not UTF-8: no twin says so there)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == ("the request is not a valid protobuf message for this method (Error parsing "
                                      "message with type 'grpc.health.v1.HealthCheckRequest': String field had bad "
                                      "UTF-8)")  # fmt: skip


def test_text_that_is_not_utf8_is_invalid_argument_naming_the_field(fuzzed: tuple[RunningServer, grpc.Channel]) -> None:
    # It said "not a valid protobuf message ...; use the neardup.v1 proto", to a client that did: protobuf refuses
    # a message whose string holds bytes that are not UTF-8, and a C++ or Go client can send those.
    for method, request, bad in (
        ("IndexArticle", pb.IndexArticleRequest(article=pb.Article(id="fuzz-latin1", body=WIRE, title="Xxx")), "title"),
        ("IndexArticle", pb.IndexArticleRequest(article=pb.Article(id="fuzz-Xxx", body=WIRE)), "id"),
        ("DeleteArticles", pb.DeleteArticlesRequest(ids=["fuzz-a", "fuzz-Xxx", "fuzz-Xxx"]), None),
    ):
        raw = fuzzed[1].unary_unary(SERVICE + method, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as caught:
            raw(request.SerializeToString().replace(b"Xxx", b"\xe9t\xe9"), timeout=30)  # ('été' in Latin-1)
        field = f"article.{bad}" if bad else "ids[1]"
        also = "" if bad else " (so are ids[2])"
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details() == (f"{field}: is not valid UTF-8: proto3 strings must be UTF-8; decode the "
                                          f"text from its charset before sending{also}")  # fmt: skip
    assert _code(lambda: pb_grpc.NearDuplicateServiceStub(fuzzed[1]).GetArticle(
        pb.GetArticleRequest(id="fuzz-latin1"), timeout=30)) == grpc.StatusCode.NOT_FOUND  # fmt: skip


def _latin1(request: pb.IndexArticleBatchesRequest, text: str) -> bytes:
    """The request's bytes, `text` (Xxx, in one place only) written 'été' in Latin-1: not UTF-8, so not proto3."""
    data = request.SerializeToString()
    assert data.count(text.encode()) == 1
    return data.replace(text.encode(), text.replace("Xxx", "été").encode("latin-1"))  # (as many bytes: 3)


def test_an_article_whose_text_is_not_utf8_is_answered_in_its_place_and_the_batch_stream_goes_on(
    fuzzed: tuple[RunningServer, grpc.Channel],
) -> None:
    # One Latin-1 title ended the stream INVALID_ARGUMENT: its batch and every batch after it unread, unstored.
    def batch(k: int) -> pb.IndexArticleBatchesRequest:
        return pb.IndexArticleBatchesRequest(articles=[
            pb.Article(id=f"fuzz-b{k}-{i}", body=f"Batch {k} article {i}. {SAME_EVENT_A}", title=f"T{k}-{i} Xxx")
            for i in range(8)])  # fmt: skip

    raw = fuzzed[1].stream_stream(SERVICE + "IndexArticleBatches", request_serializer=None,
                                  response_deserializer=pb.IndexArticleBatchesResponse.FromString)  # fmt: skip
    sent = [batch(0).SerializeToString(), _latin1(batch(1), "T1-5 Xxx"), batch(2).SerializeToString()]
    answers = list(raw(iter(sent), timeout=60))  # (ends OK)
    assert [len(answer.results) for answer in answers] == [8, 8, 8]
    refused = answers[1].results[5]
    assert refused.id == "fuzz-b1-5" and refused.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert refused.error.message == ("article.title: is not valid UTF-8: proto3 strings must be UTF-8; decode the "
                                     "text from its charset before sending")  # fmt: skip
    stub = pb_grpc.NearDuplicateServiceStub(fuzzed[1])
    for k, answer in enumerate(answers):
        for i, result in enumerate(answer.results):
            if (k, i) != (1, 5):
                assert result.id == f"fuzz-b{k}-{i}" and result.HasField("verdict")
                assert stub.GetArticle(pb.GetArticleRequest(id=result.id), timeout=30).article.title == f"T{k}-{i} Xxx"
    assert _code(lambda: stub.GetArticle(pb.GetArticleRequest(id="fuzz-b1-5"), timeout=30)) == grpc.StatusCode.NOT_FOUND
    stub.DeleteArticles(pb.DeleteArticlesRequest(ids=[f"fuzz-b{k}-{i}" for k in range(3) for i in range(8)]))


def test_an_article_whose_id_is_not_utf8_is_answered_in_its_place_and_the_stream_goes_on(
    fuzzed: tuple[RunningServer, grpc.Channel],
) -> None:
    raw = fuzzed[1].stream_stream(SERVICE + "IndexArticles", request_serializer=None,
                                  response_deserializer=pb.IndexArticlesResponse.FromString)  # fmt: skip

    def request(article_id: str, body: str) -> pb.IndexArticlesRequest:
        return pb.IndexArticlesRequest(article=pb.Article(id=article_id, body=body))

    bad = request("fuzz-Xxx", SAME_EVENT_A + " Latin.").SerializeToString().replace(b"Xxx", b"\xe9t\xe9")
    sent = [request("fuzz-before", SAME_EVENT_A + " Before.").SerializeToString(), bad,
            request("fuzz-after", SAME_EVENT_A + " After.").SerializeToString()]  # fmt: skip
    answers = list(raw(iter(sent), timeout=60))  # (ends OK)
    assert [(a.id, a.WhichOneof("outcome")) for a in answers] == [
        ("fuzz-before", "verdict"), ("fuzz-\ufffdt\ufffd", "error"), ("fuzz-after", "verdict")]  # fmt: skip
    assert answers[1].error.message.startswith("article.id: is not valid UTF-8: proto3 strings must be UTF-8")
    pb_grpc.NearDuplicateServiceStub(fuzzed[1]).DeleteArticles(
        pb.DeleteArticlesRequest(ids=["fuzz-before", "fuzz-after"])
    )


def test_garbage_in_a_stream_ends_it_invalid_argument_after_answering_the_good_ones(
    fuzzed: tuple[RunningServer, grpc.Channel],
) -> None:
    raw = fuzzed[1].stream_stream(SERVICE + "IndexArticles", request_serializer=None, response_deserializer=None)
    good = pb.IndexArticlesRequest(
        article=pb.Article(id="fuzz-stream-ok", body=SAME_EVENT_A + " More.")
    ).SerializeToString()
    call = raw(iter([good, b"\xff\xfe not protobuf", good]), timeout=30)
    answers = []
    with pytest.raises(grpc.RpcError) as caught:
        for answer in call:
            answers.append(pb.IndexArticlesResponse.FromString(answer))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = caught.value.details()
    assert details is not None
    # (which message, that its bytes are no protobuf whatever their text, and that it and those after were not read)
    assert details.startswith("message 2 of this stream (counting from 1) is not a valid "
                              "neardup.v1.IndexArticlesRequest message (")  # fmt: skip
    assert "its bytes do not read as protobuf's wire format" in details
    assert details.endswith("The answers sent before this status are those of the messages before it; this message "
                            "and those after it were not read: send them again, mended, on a new stream")  # fmt: skip
    assert [a.id for a in answers] == ["fuzz-stream-ok"] and answers[0].HasField("verdict")
