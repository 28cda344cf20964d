"""The public API over real gRPC on loopback, against a real server and SQLite store (Redis where named)."""

import json
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc

from benchmarks.loopback import redis_server
from client import (
    Article,
    ArticleFailure,
    Deletion,
    GroupMember,
    InvalidArgumentError,
    NeardupClient,
    NotFoundError,
    Passage,
    Retry,
    Verdict,
)
from client.cli import main
from service import detector as detector_module
from service.grpc_server import RunningServer
from service.settings import FINGERPRINT_SCHEME
from tests.articles import (
    OTHER_WITH_APPEAL,
    RELEASE,
    RELEASE_PARAGRAPHS,
    SAME_EVENT_A,
    SAME_EVENT_B,
    WIRE,
    WIRE_TITLE,
    WIRE_WITH_APPEAL,
)
from tests.support import frozen, in_process_server, writes_held

PUBLISHED = datetime(2026, 3, 17, 9, 30, tzinfo=UTC)


def test_index_then_copy_is_reported_with_scores(client: NeardupClient) -> None:
    first = client.index(Article("wire", WIRE, title=WIRE_TITLE, source="Agency", published=PUBLISHED))
    assert first.matches == () and first.duplicate_of is None
    copy = client.index(Article("copy", WIRE_WITH_APPEAL, source="Courier"))
    [match] = copy.matches
    assert match.id == "wire"
    assert 0.5 < match.jaccard < match.containment <= 1.0
    assert match.relation == "revised"
    assert copy.duplicate_of == "wire"


@pytest.mark.parametrize("batch", [0, 1, 64])
def test_each_index_answer_says_whether_it_stored_a_new_article_replaced_one_or_changed_nothing(
    client: NeardupClient, batch: int
) -> None:
    # A file holding one id twice kept its later article and said nothing of the earlier one.
    sent = [Article("a", WIRE), Article("a", WIRE), Article("a", SAME_EVENT_A), Article("b", SAME_EVENT_B)]
    if batch:
        answers = [v.outcome for v in client.index_stream(sent, batch=batch) if isinstance(v, Verdict)]
    else:
        answers = [client.index(a).outcome for a in sent]
    assert answers == ["new", "unchanged", "replaced", "new"]
    assert client.check(Article("a", SAME_EVENT_A)).outcome is None  # (a check stores nothing)


def test_check_compares_without_storing(client: NeardupClient) -> None:
    client.index(Article("wire", WIRE))
    verdict = client.check(Article("copy", WIRE_WITH_APPEAL))
    assert [m.id for m in verdict.matches] == ["wire"]
    assert client.stats().articles == 1
    with pytest.raises(NotFoundError):
        client.get("copy")


def test_evidence_gives_offsets_into_both_bodies(client: NeardupClient) -> None:
    client.index(Article("wire", WIRE))
    [match] = client.check(Article("copy", WIRE_WITH_APPEAL), evidence=True).matches
    assert match.passages
    p = match.passages[0]
    assert WIRE_WITH_APPEAL[p.start : p.end].split()[:4] == WIRE[p.other_start : p.other_end].split()[:4]
    assert client.check(Article("copy", WIRE_WITH_APPEAL)).matches[0].passages == ()


def test_evidence_of_copies_of_a_text_saying_a_phrase_twice_pairs_each_passage_with_where_it_stands(
    client: NeardupClient,
) -> None:
    # The ticker phrase under "About" was paired with the dateline's: a verbatim copy got three overlapping
    # passages, the middle one pointing at the dateline, and so did a copy with a paragraph moved.
    client.index(Article("release", RELEASE, source="Corvane newsroom", published=PUBLISHED))
    copy = client.check(Article("portal", RELEASE, source="Finance portal"), evidence=True)
    [match] = copy.matches
    assert (match.id, match.relation) == ("release", "identical")
    assert match.passages == (Passage(0, len(RELEASE) - 1, 0, len(RELEASE) - 1),)
    p = RELEASE_PARAGRAPHS
    moved = "\n\n".join([p[0], p[3], p[1], p[2], p[4], p[5]])
    [match] = client.check(Article("moved", moved), evidence=True).matches
    assert len(match.passages) == 4  # the opening, two paragraphs kept together, the moved one, the "About"
    for q in match.passages:  # each a stretch found once in each text, paired with where it is in the other
        shared = moved[q.start : q.end]
        assert RELEASE[q.other_start : q.other_end] == shared
        assert (moved.count(shared), RELEASE.count(shared)) == (1, 1)


def test_asking_for_evidence_does_not_change_the_verdict(client: NeardupClient) -> None:
    # A re-send with one figure corrected, 5 days on, was grouped without evidence and refused with it: the
    # template check ran only when the text was read for the passages.
    client.index(Article("wire", WIRE, published=PUBLISHED))
    corrected = Article("copy", WIRE.replace("seven to two", "eight to one"), published=PUBLISHED + timedelta(days=5))
    plain, with_evidence = client.check(corrected), client.check(corrected, evidence=True)
    assert [(m.id, m.relation, m.jaccard) for m in with_evidence.matches] == [
        (m.id, m.relation, m.jaccard) for m in plain.matches
    ]
    assert [m.id for m in plain.matches] == ["wire"] and with_evidence.matches[0].passages
    assert client.index(corrected, evidence=True).duplicate_of == "wire"


def test_get_returns_the_stored_article(client: NeardupClient) -> None:
    client.index(
        Article("wire", WIRE, title=WIRE_TITLE, source="Agency", url="https://a.example/1", published=PUBLISHED)
    )
    client.index(Article("copy", WIRE_WITH_APPEAL))
    stored = client.get("wire")
    assert stored.article == Article("wire", WIRE, WIRE_TITLE, "Agency", "https://a.example/1", PUBLISHED)
    assert stored.duplicate_of is None
    assert client.get("copy").duplicate_of == "wire"


def test_delete_removes_from_store_and_index(client: NeardupClient) -> None:
    client.index(Article("wire", WIRE))
    client.delete("wire")
    assert client.check(Article("copy", WIRE_WITH_APPEAL)).matches == ()
    with pytest.raises(NotFoundError, match="no article with id 'wire'"):
        client.delete("wire")
    with pytest.raises(NotFoundError):
        client.get("wire")


def test_delete_many_reports_each_id_and_refuses_a_malformed_one_whole(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    running, client = server
    list(client.index_stream([Article("wire", WIRE), Article("copy", WIRE_WITH_APPEAL), Article("a", SAME_EVENT_A)]))
    with pytest.raises(InvalidArgumentError, match=r"ids\[1\]: is required"):
        client.delete_many(["wire", ""])
    assert client.stats().articles == 3  # nothing of a refused call is deleted
    assert client.delete_many(["wire", "absent", "a", "wire"]) == [
        Deletion("wire", True), Deletion("absent", False), Deletion("a", True), Deletion("wire", False)
    ]  # fmt: skip
    assert client.get("copy").duplicate_of is None  # its original went: it is its own
    with pytest.raises(NotFoundError):
        client.get("a")
    # Over a call's 1,000 ids the client sends several calls; the server refuses a bigger one.
    many = [f"x{n}" for n in range(2_400)] + ["copy"]
    assert client.delete_many(many) == [Deletion(i, i == "copy") for i in many]
    assert client.stats().articles == 0
    with pytest.raises(grpc.RpcError) as refused:
        _stub(running).DeleteArticles(pb.DeleteArticlesRequest(ids=[f"x{n}" for n in range(1_001)]), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "1,001 articles, over the 1,000" in str(refused.value.details())


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_an_id_named_again_in_one_delete_call_is_answered_not_found_after_its_first_naming(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], store: str
) -> None:
    # DeleteArticles(ids=["dup", "dup"]) answered DELETED twice: two articles removed, to a caller counting them.
    with ExitStack() as stack:
        overrides: dict[str, Any] = {}
        if store == "redis":
            overrides = {"store": "redis", "redis_url": stack.enter_context(redis_server(tmp_path / "redis")).url}
        running, client = stack.enter_context(in_process_server(tmp_path / "data", **overrides))
        list(client.index_stream([Article("dup", WIRE), Article("other", SAME_EVENT_A)]))
        named = ["dup", "absent", "dup", "other", "dup", "absent"]
        answer = _stub(running).DeleteArticles(pb.DeleteArticlesRequest(ids=named), timeout=30)
        deleted, not_found = pb.DELETE_OUTCOME_DELETED, pb.DELETE_OUTCOME_NOT_FOUND
        assert [(r.id, r.outcome) for r in answer.results] == [
            ("dup", deleted), ("absent", not_found), ("dup", not_found), ("other", deleted), ("dup", not_found),
            ("absent", not_found),
        ]  # fmt: skip
        assert client.stats().articles == 0
        client.index(Article("dup", WIRE))
        assert client.delete_many(["dup", "dup"]) == [Deletion("dup", True), Deletion("dup", False)]
        # The CLI counts a repeat of an id it deleted as no missing article, within a call and across its calls of
        # 1,000 (a list of ids read from several sources names some twice).
        client.index(Article("dup", WIRE))
        assert main(["delete", *["dup"] * 1_001, "--server", f"127.0.0.1:{running.port}"], env={}) == 0
        said = capsys.readouterr()
        assert [json.loads(line)["deleted"] for line in said.out.splitlines()] == [True] + [False] * 1_000
        assert said.err == ""


@pytest.mark.parametrize("batch", [1, 3])  # 3: the bad articles fall inside and at the edge of batches
def test_stream_answers_in_order_and_goes_on_after_a_bad_article(client: NeardupClient, batch: int) -> None:
    articles = [
        Article("wire", WIRE),
        Article("", "no id here"),
        Article("copy", WIRE_WITH_APPEAL),
        Article("empty", "  "),
        Article("other", OTHER_WITH_APPEAL),
        Article("a", SAME_EVENT_A),
        Article("b", SAME_EVENT_B),
    ]
    outcomes = list(client.index_stream(articles, batch=batch))
    assert [o.id for o in outcomes] == ["wire", "", "copy", "empty", "other", "a", "b"]
    assert isinstance(outcomes[1], ArticleFailure) and "article.id" in str(outcomes[1].error)
    assert isinstance(outcomes[3], ArticleFailure) and "article.body" in str(outcomes[3].error)
    assert isinstance(outcomes[1].error, InvalidArgumentError)
    verdicts = {o.id: o for o in outcomes if isinstance(o, Verdict)}
    assert [m.id for m in verdicts["copy"].matches] == ["wire"]
    assert all(not verdicts[k].matches for k in ("wire", "other", "a", "b"))
    assert client.stats().articles == 5


@pytest.mark.parametrize("batch", [1, 64])
def test_an_article_too_big_for_one_message_is_refused_unsent_and_the_stream_goes_on(
    client: NeardupClient, batch: int
) -> None:
    huge = Article("huge", "word " * (1 << 20))  # 5 MiB: sent, it would fail the whole stream
    outcomes = list(client.index_stream([Article("wire", WIRE), huge, Article("copy", WIRE_WITH_APPEAL)], batch=batch))
    assert [o.id for o in outcomes] == ["wire", "huge", "copy"]
    assert isinstance(outcomes[1], ArticleFailure) and isinstance(outcomes[1].error, InvalidArgumentError)
    assert "5.0 MiB" in str(outcomes[1].error) and "max_message_bytes" in str(outcomes[1].error)
    assert isinstance(outcomes[2], Verdict) and [m.id for m in outcomes[2].matches] == ["wire"]
    with pytest.raises(InvalidArgumentError, match="not sent"):
        client.check(huge)
    assert client.stats().articles == 2


@pytest.mark.parametrize("batch", [1, 64])
def test_when_reading_the_articles_fails_those_read_are_answered_then_that_error_is_raised(
    client: NeardupClient, batch: int
) -> None:
    """Raised in gRPC's thread, the source's error would end the call as UNKNOWN "Exception iterating
    requests!", its own message lost, and the answers to the articles read before it with it."""

    def articles() -> Iterator[Article]:
        yield Article("wire", WIRE)
        yield Article("copy", WIRE_WITH_APPEAL)
        raise OSError("input.jsonl: disk read error")

    outcomes: list[Verdict | ArticleFailure] = []
    with pytest.raises(OSError, match="disk read error"):
        outcomes.extend(client.index_stream(articles(), batch=batch, retry=Retry()))
    assert [o.id for o in outcomes] == ["wire", "copy"]
    assert isinstance(outcomes[1], Verdict) and [m.id for m in outcomes[1].matches] == ["wire"]
    assert client.stats().articles == 2


@pytest.mark.parametrize("batch", [1, 64])
def test_an_article_that_is_not_text_is_refused_unsent_and_the_stream_goes_on(
    client: NeardupClient, batch: int
) -> None:
    # (JSON's "\\ud800" decodes to an unpaired surrogate, which protobuf cannot encode: raised in gRPC's
    # request thread, it ended the whole stream as UNKNOWN "Exception iterating requests!")
    broken = Article("broken", "a caf\ud800 story", title="ok")
    outcomes = list(
        client.index_stream([Article("wire", WIRE), broken, Article("copy", WIRE_WITH_APPEAL)], batch=batch)
    )
    assert [type(o).__name__ for o in outcomes] == ["Verdict", "ArticleFailure", "Verdict"]
    assert isinstance(outcomes[1], ArticleFailure) and isinstance(outcomes[1].error, InvalidArgumentError)
    assert "article.body: holds an unpaired surrogate (U+D800 at character 5)" in str(outcomes[1].error)
    with pytest.raises(InvalidArgumentError, match=r"article\.title: holds an unpaired surrogate \(U\+DC00"):
        client.check(Article("q", WIRE, title="\udc00"))
    with pytest.raises(InvalidArgumentError, match=r"article\.id: holds an unpaired surrogate"):
        client.index(Article("\ud83d", WIRE))
    assert client.stats().articles == 2


def test_stream_of_many_articles_is_acknowledged_only_when_stored(client: NeardupClient) -> None:
    bodies = [f"{SAME_EVENT_A} edition {i} " + " ".join(f"w{i}x{j}" for j in range(40)) for i in range(300)]
    outcomes = list(client.index_stream(Article(f"n{i}", b) for i, b in enumerate(bodies)))
    assert [o.id for o in outcomes] == [f"n{i}" for i in range(300)]
    assert all(isinstance(o, Verdict) for o in outcomes)
    assert client.stats().articles == 300
    assert client.get("n299").article.body == bodies[299]


def test_a_batch_stream_answers_each_message_with_its_articles_in_order(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server[0].port}") as channel:
        stub = pb_grpc.NearDuplicateServiceStub(channel)
        requests = [
            pb.IndexArticleBatchesRequest(articles=[pb.Article(id="wire", body=WIRE), pb.Article(id="", body="x")]),
            pb.IndexArticleBatchesRequest(),  # an empty batch gets an empty answer, in its place
            pb.IndexArticleBatchesRequest(
                articles=[pb.Article(id="copy", body=WIRE_WITH_APPEAL)], include_evidence=True
            ),
        ]
        responses = list(stub.IndexArticleBatches(iter(requests), timeout=30))
    assert [[r.id for r in response.results] for response in responses] == [["wire", ""], [], ["copy"]]
    assert responses[0].results[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    [match] = responses[2].results[0].verdict.matches
    assert match.id == "wire" and match.passages  # the batch's evidence flag applies to its articles


def test_a_batch_message_over_1000_articles_is_refused_whole_and_the_stream_goes_on(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    stub = _stub(server[0])
    too_many = pb.IndexArticleBatchesRequest(articles=[pb.Article(id=f"t{n}", body=f"{WIRE} {n}") for n in range(1001)])
    after = pb.IndexArticleBatchesRequest(articles=[pb.Article(id="wire", body=WIRE)])
    responses = list(stub.IndexArticleBatches(iter([too_many, after]), timeout=60))
    assert [len(r.results) for r in responses] == [1001, 1]
    assert {r.error.code for r in responses[0].results} == {grpc.StatusCode.INVALID_ARGUMENT.value[0]}
    assert "holds 1,001 articles, over the 1,000 one message may carry" in responses[0].results[0].error.message
    assert responses[1].results[0].HasField("verdict")
    assert server[1].stats().articles == 1


def test_a_batch_whose_answers_outgrow_4_mib_is_answered(client: NeardupClient) -> None:
    """320 copies of one story with 500-byte ids: 32 matches each make a 5 MiB answer, over gRPC's default
    4 MiB message, and the stream failed at every retry. (1,000 copies with 200-byte ids, and 5,000 short copies
    with short ids, did the same; 320 take a third of the time.)"""
    copies = [Article(id_, body) for id_, body in _copies_with_long_ids()]
    outcomes = list(client.index_stream(copies, batch=1000))
    assert [o.id for o in outcomes] == [a.id for a in copies]
    last = outcomes[-1]
    assert isinstance(last, Verdict) and len(last.matches) == 32  # (--max-candidates: as big as answers get)
    assert all(isinstance(o, Verdict) for o in outcomes)
    assert client.stats().articles == len(copies)


def test_a_batch_whose_answers_outgrow_4_mib_reaches_a_client_with_grpcs_default_limits(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    """A client in another language receives at most 4 MiB a message unless told otherwise: such a batch's
    answers come in parts under it, in order, each but the last marked more_follow."""
    running, client = server
    copies = [pb.Article(id=id_, body=body) for id_, body in _copies_with_long_ids()]
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:  # (gRPC's default limits)
        stub = pb_grpc.NearDuplicateServiceStub(channel)
        messages = list(stub.IndexArticleBatches(iter([pb.IndexArticleBatchesRequest(articles=copies)]), timeout=120))
    assert len(messages) >= 2 and all(m.ByteSize() < 4 << 20 for m in messages)
    assert [m.more_follow for m in messages] == [True] * (len(messages) - 1) + [False]
    results = [r for m in messages for r in m.results]
    assert [r.id for r in results] == [a.id for a in copies]
    assert len(results[-1].verdict.matches) == 32
    assert client.stats().articles == len(copies)


def _copies_with_long_ids() -> list[tuple[str, str]]:
    """(id, body) of copies of one story whose answers, 32 matches of 500-byte ids each, come to ≈5 MiB."""
    base = "Prime minister announces new harbour funding for coastal towns after storm damage last winter"
    return [(f"{n:04}" + "x" * 496, f"{base} ref {n}") for n in range(320)]


@pytest.mark.parametrize(
    ("article", "field"),
    [(pb.Article(body="text"), "article.id"), (pb.Article(id="x"), "article.body")],
)
def test_missing_fields_are_invalid_argument_naming_the_field(
    server: tuple[RunningServer, NeardupClient], article: pb.Article, field: str
) -> None:
    stub = _stub(server[0])
    with pytest.raises(grpc.RpcError) as err:
        stub.IndexArticle(pb.IndexArticleRequest(article=article))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = err.value.details()
    assert details is not None
    assert details.startswith(field)
    assert server[1].stats().articles == 0


@pytest.mark.parametrize(
    "body",
    ["<script>var x = 1; alert('hi there friend')</script>", "<!-- a long hidden comment with many words in it -->",
     "... — !!", "<p></p><br/>", "https://example.com/2026/03/harbour-plan?utm_source=feed", "www.example.com",
     "😀🎉 → ★", "<img src='harbour.jpg' alt=''>"],
)  # fmt: skip
def test_a_body_that_shows_no_words_is_refused_saying_what_does_not_count_as_words(
    client: NeardupClient, body: str
) -> None:
    # A script's or a comment's words were hidden, and the refusal said the body had "only punctuation or spaces";
    # so it said of a body that was only a URL, emoji or an <img> tag, which hold no punctuation-only text.
    with pytest.raises(InvalidArgumentError) as refused:
        client.check(Article("no-words", body))
    assert refused.value.details == (
        "article.body: contains no words to compare, only punctuation, spaces, symbols or emoji, URLs or HTML "
        "markup, none of which count as words (HTML is read as the text it shows: no tags, scripts, styles or "
        "comments)"
    )


@pytest.mark.parametrize(
    ("seconds", "nanos", "needle"),
    [(253402300800, 0, "outside years 0001..9999"), (0, 1_000_000_000, "nanos=1000000000")],
)
def test_impossible_timestamp_is_invalid_argument(
    server: tuple[RunningServer, NeardupClient], seconds: int, nanos: int, needle: str
) -> None:
    article = pb.Article(id="t", body="a perfectly fine body of text")
    article.published.seconds, article.published.nanos = seconds, nanos
    with pytest.raises(grpc.RpcError) as err:
        _stub(server[0]).CheckArticle(pb.CheckArticleRequest(article=article))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = err.value.details()
    assert details is not None
    assert "article.published" in details and needle in details


@pytest.mark.parametrize("seconds", [-62135596800, 0])  # Go's zero time.Time; a default Timestamp (1970)
def test_a_placeholder_date_is_read_as_unknown_and_does_not_make_the_original(
    server: tuple[RunningServer, NeardupClient], seconds: int
) -> None:
    running, client = server
    client.index(Article("wire", WIRE, published=PUBLISHED))
    copy = pb.Article(id="copy", body=WIRE_WITH_APPEAL)
    copy.published.seconds = seconds
    verdict = _stub(running).IndexArticle(pb.IndexArticleRequest(article=copy), timeout=30).verdict
    assert verdict.duplicate_of == "wire"
    assert client.get("copy").article.published is None
    assert client.get("wire").duplicate_of is None


@pytest.mark.parametrize(
    ("seconds", "placeholder"), [(-62135596800, "0001-01-01T00:00:00Z"), (0, "1970-01-01T00:00:00Z")]
)
def test_a_date_less_than_a_microsecond_after_a_placeholder_is_refused_not_stored_as_unknown(
    server: tuple[RunningServer, NeardupClient], seconds: int, placeholder: str
) -> None:
    # (kept to the microsecond, it was stored as the placeholder: GetArticle read it back as unknown, and the
    # article sent again as read back answered REPLACED, its date gone)
    stub = _stub(server[0])
    article = pb.Article(id="p1", body=WIRE)
    article.published.seconds, article.published.nanos = seconds, 500
    for call in (
        lambda: stub.IndexArticle(pb.IndexArticleRequest(article=article), timeout=30),
        lambda: stub.CheckArticle(pb.CheckArticleRequest(article=article), timeout=30),
    ):
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details() == (
            f"article.published: 500 ns after {placeholder}, which is read as unknown: publication times are kept "
            "to the microsecond, so it would be stored as that placeholder. Leave it unset if the date is unknown, "
            "or give the time to the microsecond"
        )
    assert server[1].stats().articles == 0
    article.published.nanos = 1000  # a microsecond on: a date, kept and read back as sent
    assert (
        stub.IndexArticle(pb.IndexArticleRequest(article=article), timeout=30).verdict.outcome == pb.INDEX_OUTCOME_NEW
    )
    stored = stub.GetArticle(pb.GetArticleRequest(id="p1"), timeout=30).article
    assert (stored.published.seconds, stored.published.nanos) == (seconds, 1000)
    resent = stub.IndexArticle(pb.IndexArticleRequest(article=stored), timeout=30).verdict.outcome
    assert resent == pb.INDEX_OUTCOME_UNCHANGED


def test_calls_without_a_deadline_work(server: tuple[RunningServer, NeardupClient]) -> None:
    article = pb.Article(id="t", body=WIRE)
    article.published.FromDatetime(PUBLISHED)
    response = _stub(server[0]).IndexArticle(pb.IndexArticleRequest(article=article))  # no timeout
    assert response.verdict.id == "t"
    assert server[1].get("t").article.published == PUBLISHED


def test_body_over_the_limit_is_rejected_and_nothing_changes(tmp_path: Path) -> None:
    with in_process_server(tmp_path, max_body_bytes=2000) as (_, client):
        client.index(Article("wire", WIRE[:1500]))
        with pytest.raises(
            InvalidArgumentError,
            match=r"article.body: is \d{1,3}(,\d{3})+ bytes, over the server's limit of 2,000 bytes",
        ):
            client.index(Article("wire", WIRE))
        assert client.get("wire").article.body == WIRE[:1500]
        assert client.stats().articles == 1


@pytest.mark.parametrize("field", ["title", "source", "url"])
def test_a_title_source_or_url_over_16_kib_is_invalid_argument_naming_it(client: NeardupClient, field: str) -> None:
    def with_(text: str) -> dict[str, Any]:
        return {field: text}

    client.index(Article("wire", WIRE, **with_("é" * (8 << 10))))  # 16 KiB in UTF-8: accepted
    with pytest.raises(InvalidArgumentError, match=rf"article\.{field}: is 16,386 bytes, over the 16,384 bytes"):
        client.index(Article("copy", WIRE_WITH_APPEAL, **with_("é" * (8 << 10) + "xx")))
    with pytest.raises(InvalidArgumentError, match=rf"article\.{field}:"):
        client.check(Article("copy", WIRE_WITH_APPEAL, **with_("x" * (20 << 10))))
    assert client.stats().articles == 1


def test_a_group_of_members_with_long_titles_is_listed_in_pages_that_fit_a_message(client: NeardupClient) -> None:
    """A page of 100 members with 48 KiB of title, source and url each is a 4.8 MiB message, over gRPC's 4 MiB
    limit: that listing failed with RESOURCE_EXHAUSTED unless the caller asked for small pages. Pages now stop
    at ~1 MiB of such text, and the listing goes on in the next page."""
    long: dict[str, Any] = {"title": "t" * (16 << 10), "source": "s" * (16 << 10), "url": "u" * (16 << 10)}
    ids = [f"c{n:03}" for n in range(100)]
    for n, aid in enumerate(ids):
        client.index(Article(aid, f"{WIRE} Update {n}.", published=PUBLISHED + timedelta(minutes=n), **long))
    pages = list(client.group_pages("c000"))  # (the server's default page size, 100)
    assert len(pages) >= 4 and all(0 < len(p.members) <= 1 + (1 << 20) // (48 << 10) for p in pages)
    assert [m.id for p in pages for m in p.members] == ids  # each once, in the group's order
    assert {p.total_size for p in pages} == {100}
    assert all(m.title == long["title"] for p in pages for m in p.members)


def test_a_group_is_listed_original_first_a_page_at_a_time(client: NeardupClient) -> None:
    client.index(Article("copy", WIRE_WITH_APPEAL, source="Courier", published=PUBLISHED + timedelta(hours=2)))
    url = "https://agency.example/harbour"
    client.index(Article("wire", WIRE, title=WIRE_TITLE, source="Agency", url=url, published=PUBLISHED))
    client.index(Article("other", SAME_EVENT_A))
    page = client.group_page("copy", page_size=1)
    assert (page.original, page.total_size, [m.id for m in page.members]) == ("wire", 2, ["wire"])
    [wire] = page.members
    assert wire == GroupMember("wire", WIRE_TITLE, "Agency", url, PUBLISHED, client.get("wire").indexed_at)
    last = client.group_page("copy", page_size=1, page_token=page.next_page_token)
    assert [m.id for m in last.members] == ["copy"] and last.members[0].published == PUBLISHED + timedelta(hours=2)
    assert last.next_page_token == ""
    assert [m.id for m in client.group_members("wire", page_size=1)] == ["wire", "copy"]
    assert [m.id for m in client.group_members("other")] == ["other"]


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        (pb.ListGroupMembersRequest(id="absent"), grpc.StatusCode.NOT_FOUND, "no article with id 'absent'"),
        (pb.ListGroupMembersRequest(), grpc.StatusCode.INVALID_ARGUMENT, "id: is required"),
        (pb.ListGroupMembersRequest(id="wire", page_size=-3), grpc.StatusCode.INVALID_ARGUMENT, "page_size: is -3"),
        (pb.ListGroupMembersRequest(id="wire", page_token="bm90IGEgdG9rZW4"), grpc.StatusCode.INVALID_ARGUMENT,
         "page_token: is not a token this server gave"),
    ],
)  # fmt: skip
def test_a_group_listing_it_cannot_answer_gets_a_status_saying_why(
    server: tuple[RunningServer, NeardupClient],
    request_: pb.ListGroupMembersRequest,
    code: grpc.StatusCode,
    needle: str,
) -> None:
    server[1].index(Article("wire", WIRE))
    with pytest.raises(grpc.RpcError) as err:
        _stub(server[0]).ListGroupMembers(request_, timeout=30)
    assert err.value.code() == code
    details = err.value.details()
    assert details is not None
    assert needle in details


def test_unknown_id_is_not_found(client: NeardupClient) -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        client.get("nope")


def test_an_id_with_a_line_end_or_outer_space_is_refused_and_nothing_is_stored(client: NeardupClient) -> None:
    refusal = (
        r"article.id: holds U\+000A <control> '\\n' as its 5th character, which does not print.*\(the id: 'wire\\n'\)"
    )
    with pytest.raises(InvalidArgumentError, match=refusal):
        client.index(Article("wire\n", WIRE))
    with pytest.raises(InvalidArgumentError, match="begins or ends with a space; strip it"):
        client.index(Article("wire ", WIRE))
    answers = list(client.index_stream([Article("   ", WIRE), Article("wire", WIRE)]))
    assert isinstance(answers[0], ArticleFailure) and isinstance(answers[0].error, InvalidArgumentError)
    assert isinstance(answers[1], Verdict) and answers[1].id == "wire"
    assert client.stats().articles == 1
    # Lookups still take such ids, so an article stored under one before this rule can be read and removed.
    with pytest.raises(NotFoundError):
        client.get("wire\n")
    assert client.delete_many(["wire\n"]) == [Deletion("wire\n", False)]


# Ids printing as one stored (café-9, a b9, inv9), or as anything, that were stored as new articles beside it.
PRINTED_ALIKE = [
    ("cafe\u0301-9", "U+0301 COMBINING ACUTE ACCENT", "send it in Unicode NFC"),  # NFD of the stored NFC
    ("a\u00a0b9", "U+00A0 NO-BREAK SPACE", "send U+0020 in its place"),
    ("inv9\u3164", "U+3164 HANGUL FILLER", "leave it out"),
    ("inv9\u034f", "U+034F COMBINING GRAPHEME JOINER", "leave it out"),
    ("in \ufe00v9", "U+FE00 VARIATION SELECTOR-1", "leave it out"),  # (with nothing before it to vary)
    ("inv9\ufe0f", "U+FE0F VARIATION SELECTOR-16", "leave it out"),  # (a digit is no emoji: it prints as inv9)
    ("inv9\uffff", "U+FFFF <noncharacter>", "leave it out"),
    ("inv9\ue000", "U+E000 <private use>", "leave it out"),
]


def test_an_id_printing_as_another_is_refused_by_every_call_that_would_store_it_and_nothing_is_stored(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    running, client = server
    stub = _stub(running)
    list(client.index_stream([Article("café-9", WIRE), Article("a b9", SAME_EVENT_A), Article("inv9", SAME_EVENT_B)]))
    refused = [pb.Article(id=sent, body=RELEASE) for sent, *_ in PRINTED_ALIKE]
    streamed = list(stub.IndexArticles(iter([pb.IndexArticlesRequest(article=a) for a in refused]), timeout=30))
    [batched] = stub.IndexArticleBatches(iter([pb.IndexArticleBatchesRequest(articles=refused)]), timeout=30)
    for (sent, named, advice), *answers in zip(PRINTED_ALIKE, streamed, batched.results, strict=True):
        article = pb.Article(id=sent, body=RELEASE)
        with pytest.raises(grpc.RpcError) as indexed:
            stub.IndexArticle(pb.IndexArticleRequest(article=article), timeout=30)
        said = indexed.value.details()
        assert indexed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert said is not None and said.startswith("article.id: "), said
        assert named in said and advice in said and said.endswith(f"(the id: {sent!a})"), said
        # A check stores nothing, and takes any id a lookup takes: it only names the stored version to leave out.
        checked = stub.CheckArticle(pb.CheckArticleRequest(article=article), timeout=30).verdict
        assert (checked.id, [m.id for m in checked.matches]) == (sent, []), checked
        for answer in answers:  # IndexArticles' and IndexArticleBatches': the article's own error
            assert (answer.id, answer.error.code, answer.error.message) == (sent, 3, said)
    assert client.stats().articles == 3
    # Lookups and deletes still take them (an article stored under one before these rules stays reachable).
    for sent, *_ in PRINTED_ALIKE:
        with pytest.raises(NotFoundError):
            client.get(sent)
    assert client.delete_many([sent for sent, *_ in PRINTED_ALIKE]) == [Deletion(s, False) for s, *_ in PRINTED_ALIKE]
    assert client.stats().articles == 3


def test_an_index_call_with_a_new_id_the_rules_refuse_is_answered_at_once_not_behind_the_writer(
    server: tuple[RunningServer, NeardupClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer applies the id rules (an id stored before them may still be re-sent), so an IndexArticle under a
    refused new id was queued, urgent, and waited for the writer: with the store refusing writes, the server
    stopping or a short deadline, its caller got UNAVAILABLE or DEADLINE_EXCEEDED, and retried, instead of
    INVALID_ARGUMENT. The id is now looked up first, and a new one refused at once: here while the writer is held."""
    running, client = server
    entered, release = writes_held(running.engine, monkeypatch)
    held = threading.Thread(target=client.index, args=(Article("held", WIRE),))
    held.start()
    try:
        assert entered.wait(30), "the held write did not begin"
        with pytest.raises(grpc.RpcError) as refused:
            _stub(running).IndexArticle(
                pb.IndexArticleRequest(article=pb.Article(id="wire\n", body=RELEASE)), timeout=5
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value
        assert "article.id: holds U+000A <control>" in (refused.value.details() or ""), refused.value.details()
        assert held.is_alive()  # (the writer was held throughout)
    finally:
        release.set()
        held.join(30)
    assert client.stats().articles == 1


# Articles stored before the id rules under ids they refuse: an NFD id (a macOS file name) and a Hangul filler.
NFD_ID, FILLER_ID, NEW_NFD_ID = "cafe\u0301-9", "inv9\u3164", "ne\u0301e-1"


@pytest.mark.parametrize(("store", "workers"), [("sqlite", 0), ("sqlite", 1), ("redis", 0)])
def test_an_article_stored_under_an_id_the_rules_refuse_is_re_sent_and_corrected_as_before_but_no_new_one_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str, workers: int
) -> None:
    # A re-run of an ingest file (the README's safe retry) got INVALID_ARGUMENT for them, where it answered
    # UNCHANGED or REPLACED before the rules: the rules now refuse an id only when it would name a new article.
    # (workers=1: the article is fingerprinted in a worker process, which has no store, and refused by the writer.)
    with ExitStack() as stack:
        overrides: dict[str, Any] = {"fingerprint_workers": workers}
        if store == "redis":
            overrides |= {"store": "redis", "redis_url": stack.enter_context(redis_server(tmp_path / "redis")).url}
        with monkeypatch.context() as before_the_rules:
            before_the_rules.setattr(detector_module, "id_character_problem", lambda _id: None)
            with in_process_server(tmp_path / "data", **(overrides | {"fingerprint_workers": 0})) as (_, old):
                stored = [Article(NFD_ID, WIRE), Article(FILLER_ID, SAME_EVENT_A)]
                assert [_outcome(a) for a in old.index_stream(stored)] == ["new", "new"]
        _, client = stack.enter_context(in_process_server(tmp_path / "data", **overrides))
        file = [
            Article(NFD_ID, WIRE), Article(NEW_NFD_ID, RELEASE), Article(FILLER_ID, SAME_EVENT_A, title="Corrected"),
            Article("fresh", SAME_EVENT_B),
        ]  # fmt: skip
        assert [_outcome(a) for a in client.index_stream(file)] == ["unchanged", "U+0301", "replaced", "new"]
        assert [_outcome(a) for a in client.index_stream(file, batch=4)] == ["unchanged", "U+0301"] + ["unchanged"] * 2
        assert client.index(Article(NFD_ID, WIRE, title="Corrected")).outcome == "replaced"
        with pytest.raises(InvalidArgumentError, match=r"U\+0301 COMBINING ACUTE ACCENT.*send it in Unicode NFC"):
            client.index(Article(NEW_NFD_ID, WIRE))
        # A check takes any id a lookup takes: under a stored one it leaves that version out, as for any id.
        assert client.check(Article(NFD_ID, WIRE)).matches == ()
        assert [m.id for m in client.check(Article(NEW_NFD_ID, WIRE)).matches] == [NFD_ID]
        assert client.stats().articles == 3
        with pytest.raises(NotFoundError):
            client.get(NEW_NFD_ID)
        assert client.get(FILLER_ID).article.title == "Corrected"
        assert [m.id for m in client.group_members(NFD_ID)] == [NFD_ID]
        client.delete(FILLER_ID)
        assert client.stats().articles == 2


def _outcome(answer: Verdict | ArticleFailure) -> str | None:
    """A stream's answer: its verdict's outcome, or the U+XXXX its INVALID_ARGUMENT names."""
    if isinstance(answer, Verdict):
        return answer.outcome
    assert isinstance(answer.error, InvalidArgumentError), answer
    named = re.search(r"article\.id: .*?(U\+[0-9A-F]{4,6})", str(answer.error))
    assert named is not None, answer
    return named.group(1)


def test_lookups_and_deletes_refuse_an_id_no_article_can_have_and_look_up_one_only_the_character_rules_refuse(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    # What the proto's GetArticle and the README say (they said "a stored article, or NOT_FOUND" and "any id"):
    # sent as another language's client sends it (the Python client refuses such an id itself, unsent).
    stub = _stub(server[0])
    lookups: list[tuple[Any, Any]] = [
        (stub.GetArticle, pb.GetArticleRequest), (stub.DeleteArticle, pb.DeleteArticleRequest),
        (stub.ListGroupMembers, pb.ListGroupMembersRequest),
    ]  # fmt: skip
    for method, request in lookups:
        for no_article_can_have in ("", "x" * 513):
            with pytest.raises(grpc.RpcError) as refused:
                method(request(id=no_article_can_have), timeout=30)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (method, len(no_article_can_have))
        with pytest.raises(grpc.RpcError) as absent:
            method(request(id="wire\n"), timeout=30)  # (refused for indexing by the character rules only)
        assert absent.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as refused:
        stub.DeleteArticles(pb.DeleteArticlesRequest(ids=["a", "x" * 513]), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_stats_describe_the_index(client: NeardupClient) -> None:
    client.index(Article("wire", WIRE))
    stats = client.stats()
    assert stats.articles == 1
    assert stats.store == "sqlite"
    assert stats.parameters["shingle_size"] == 5
    assert stats.parameters["lsh_bands"] * stats.parameters["lsh_rows"] <= stats.parameters["num_perm"]
    # (all an operator needs to tell two servers' settings apart: seed, scheme and the decision knobs too)
    assert (stats.parameters["seed"], stats.parameters["max_candidates"], stats.parameters["boilerplate_after"]) == (
        1,
        32,
        3,
    )
    assert stats.parameters["fingerprint_scheme"] == FINGERPRINT_SCHEME
    assert stats.uptime_seconds > 0
    # The version a client tells the features by: the newest the README's version table lists (it was 0.1.0 from
    # the first build on, through more_follow and Verdict.outcome, so it told a client nothing).
    assert stats.version == _newest_listed_version() != "0.1.0"
    assert (stats.max_body_bytes, stats.max_message_bytes) == (1 << 20, 4 << 20)  # (what a client must keep under)


def _newest_listed_version() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("| version | first with |") :]
    return table.splitlines()[2].split("|")[1].strip().strip("`")


def test_health_and_reflection_are_served(server: tuple[RunningServer, NeardupClient]) -> None:
    running, client = server
    assert client.health() == "SERVING"
    assert client.health("neardup.v1.NearDuplicateService") == "SERVING"
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        db = ProtoReflectionDescriptorDatabase(channel)
        services = set(db.get_services())
        assert {"neardup.v1.NearDuplicateService", "grpc.health.v1.Health"} <= services
        assert db.FindFileContainingSymbol("neardup.v1.NearDuplicateService").package == "neardup.v1"
        listed = health_pb2_grpc.HealthStub(channel).List(health_pb2.HealthListRequest(), timeout=10)
    assert {name: s.status for name, s in listed.statuses.items()} == {
        "": health_pb2.HealthCheckResponse.SERVING,
        "neardup.v1.NearDuplicateService": health_pb2.HealthCheckResponse.SERVING,
    }


def test_health_of_a_service_it_does_not_know_is_not_found_naming_those_it_knows(
    server: tuple[RunningServer, NeardupClient],
) -> None:
    running, client = server
    misspelt = "neardup.v1.NearDuplicateServce"
    with pytest.raises(NotFoundError) as typed:
        client.health(misspelt)
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel, pytest.raises(grpc.RpcError) as raw:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=misspelt), timeout=10)
    assert raw.value.code() == grpc.StatusCode.NOT_FOUND
    named = f"no service {misspelt!r} reports its health here; ask for one of '', 'neardup.v1.NearDuplicateService'"
    for details in (raw.value.details(), typed.value.details):  # (they were empty)
        assert details is not None and details.startswith(named), details
    assert client.health() == client.health("neardup.v1.NearDuplicateService") == "SERVING"


def _stub(running: RunningServer) -> pb_grpc.NearDuplicateServiceStub:
    return pb_grpc.NearDuplicateServiceStub(grpc.insecure_channel(f"127.0.0.1:{running.port}"))


def test_a_check_does_not_wait_for_the_fingerprint_workers(tmp_path: Path) -> None:
    """CheckArticle fingerprints in its own thread: with every worker stopped (as when they are busy
    with an ingest's batches), a check is still answered, with invalid input still refused."""
    with in_process_server(tmp_path / "data", fingerprint_workers=1) as (running, client):
        client.index(Article("wire", WIRE))  # (through the worker)
        assert running.pool is not None
        workers = list(running.pool._executor._processes)
        assert workers
        with frozen(*workers):
            verdict = client.check(Article("copy", WIRE_WITH_APPEAL))
            with pytest.raises(InvalidArgumentError, match="body"):
                client.check(Article("empty", ""))
    assert [m.id for m in verdict.matches] == ["wire"]
