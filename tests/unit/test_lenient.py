"""The twins of service/lenient.py: each neardup.v1 request read with bytes for strings, to name text not UTF-8."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from neardup.v1 import neardup_pb2 as pb

from service.detector import MAX_ID_BYTES
from service.lenient import Unreadable, mended, not_utf8, read_twin, twin_of

SERVICE = pb.DESCRIPTOR.services_by_name["NearDuplicateService"]
PATH = f"/{SERVICE.full_name}/"


def _same_but_text(real: Descriptor, twin: Any) -> None:
    """Field for field the same message on the wire: the same numbers, names and types, bytes for strings."""
    assert [(f.number, f.name) for f in twin.fields] == [(f.number, f.name) for f in real.fields]
    for field in real.fields:
        twin_field = twin.fields_by_number[field.number]
        assert twin_field.is_repeated == field.is_repeated
        text = field.type == FieldDescriptor.TYPE_STRING
        assert twin_field.type == (FieldDescriptor.TYPE_BYTES if text else field.type)
        if field.message_type is not None:
            _same_but_text(field.message_type, twin_field.message_type)


def test_every_request_of_the_service_has_a_twin_that_follows_the_proto() -> None:
    for method in SERVICE.methods:
        twin = twin_of(PATH + method.name)
        assert twin is not None, method.name
        _same_but_text(method.input_type, twin.DESCRIPTOR)
    assert twin_of("/grpc.health.v1.Health/Check") is None and twin_of(PATH + "NoSuchMethod") is None


def test_the_fields_whose_text_is_not_utf8_are_named_by_their_path() -> None:
    articles = [pb.Article(id="Xxx", body="fine"), pb.Article(id="ok"), pb.Article(id="ok2", url="x/Xxx", title="Xxx")]
    request = pb.IndexArticleBatchesRequest(articles=articles)
    data = request.SerializeToString().replace(b"Xxx", b"\xe9t\xe9")
    twin = read_twin(data, PATH + "IndexArticleBatches")
    assert twin is not None
    assert list(not_utf8(twin)) == ["articles[0].id", "articles[2].title", "articles[2].url"]
    read = mended(twin)
    assert read is not None and read.batch
    first, second, third = read.articles
    assert isinstance(first, Unreadable) and first.id == "\ufffdt\ufffd" and first.error.field == "article.id"
    assert second == pb.Article(id="ok")
    assert isinstance(third, Unreadable) and third.id == "ok2" and third.error.field == "article.title"
    assert str(third.error).endswith("before sending (so are article.url)")


def test_bytes_that_are_not_wire_format_have_no_twin_reading() -> None:
    assert read_twin(b"\xff\xff\xff", PATH + "IndexArticles") is None
    valid = pb.IndexArticlesRequest(article=pb.Article(id="a", body="b")).SerializeToString()
    twin = read_twin(valid, PATH + "IndexArticles")
    assert twin is not None and mended(twin) is None  # (nothing to blame on text: not a request to mend)


def test_an_id_not_utf8_is_echoed_within_the_id_limit_cut_on_a_character() -> None:
    # (Each byte that is not UTF-8 is echoed as U+FFFD, three bytes: a 200-byte id came back as 600.)
    for sent, echoed in [(b"\xff" * 200, "\ufffd" * 170), (b"a" + b"\xff" * 200, "a" + "\ufffd" * 170)]:
        request = twin_of(PATH + "IndexArticles")
        assert request is not None
        built: Any = request()  # (the twin takes bytes where the message has text)
        built.article.id, built.article.body = sent, b"b"
        twin = read_twin(built.SerializeToString(), PATH + "IndexArticles")
        read = mended(twin) if twin is not None else None
        assert read is not None
        (unread,) = read.articles
        assert isinstance(unread, Unreadable) and unread.id == echoed
        assert len(unread.id.encode()) <= MAX_ID_BYTES
