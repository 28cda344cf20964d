"""Requests that protobuf refuses because a text field is not UTF-8, read all the same to say which field.

proto3 requires a string field's bytes to be UTF-8, and protobuf refuses the whole message when one is not,
saying only "String field had bad UTF-8". Clients in other languages can send such bytes (a Latin-1 title from a
C++ or Go program, which check nothing as they encode): one such article ended a whole index stream, unread
after it, with an error that named neither the field nor the article.

Each neardup.v1 message has a twin here: the same message, but with bytes where it has strings. Both are
length-delimited on the wire, so the twin reads any bytes the message would, whatever their text, and the
server can name the field, and in a stream answer that article alone and read on. The twins are made once
from the generated code's descriptor, in a descriptor pool of their own: no second .proto to keep in step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor, FileDescriptor
from google.protobuf.message import DecodeError, Message
from neardup.v1 import neardup_pb2 as pb

from service.detector import MAX_ID_BYTES
from service.errors import InvalidArgument

NOT_UTF8 = "is not valid UTF-8: proto3 strings must be UTF-8; decode the text from its charset before sending"
_STRING = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
_BYTES = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
_SERVICE = pb.DESCRIPTOR.services_by_name["NearDuplicateService"]


@dataclass(frozen=True)
class Unreadable:
    """An article of a stream whose text is not UTF-8: not indexed, answered with `error` in its place."""

    id: str  # as sent, its bytes that are not UTF-8 shown as U+FFFD (an answer's id must be UTF-8), cut to MAX_ID_BYTES
    error: InvalidArgument


@dataclass(frozen=True)
class MendedRequest:
    """A request of an index stream that protobuf refused for text that is not UTF-8: each of its articles read,
    or, for one whose text is not UTF-8, the error that answers it."""

    articles: Sequence[pb.Article | Unreadable]
    include_evidence: bool
    batch: bool  # an IndexArticleBatchesRequest (else an IndexArticlesRequest: one article)


def _twin_file(file: FileDescriptor) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    proto.ClearField("service")  # (the twins are read, never served)
    for message in _all_messages(proto.message_type):
        for field in message.field:
            if field.type == _STRING:
                field.type = _BYTES
    return proto


def _all_messages(messages: Sequence[descriptor_pb2.DescriptorProto]) -> Iterator[descriptor_pb2.DescriptorProto]:
    for message in messages:
        yield message
        yield from _all_messages(message.nested_type)


def _twin_pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(file: FileDescriptor) -> None:  # (each file after the files it imports)
        if file.name in added:
            return
        for dependency in file.dependencies:
            add(dependency)
        pool.Add(_twin_file(file))
        added.add(file.name)

    add(pb.DESCRIPTOR)
    return pool


_TWINS = _twin_pool()


def _was_string(field: FieldDescriptor) -> bool:
    """Is this twin's field a string in the real message?"""
    return field.type == FieldDescriptor.TYPE_BYTES and (
        descriptor_pool.Default().FindFieldByName(field.full_name).type == FieldDescriptor.TYPE_STRING
    )


def twin_of(method: str) -> type[Message] | None:
    """The twin of the request type of `method` (a full method name, as gRPC gives it); None if not neardup.v1's."""
    service, _, name = method.lstrip("/").rpartition("/")
    if service != _SERVICE.full_name or name not in _SERVICE.methods_by_name:
        return None
    request_type = _SERVICE.methods_by_name[name].input_type.full_name
    return message_factory.GetMessageClass(_TWINS.FindMessageTypeByName(request_type))


def read_twin(data: bytes, method: str) -> Message | None:
    """`data` read as the twin of `method`'s request type; None if it is not neardup.v1's method, or if the bytes
    are not even protobuf's wire format (then no text is to blame)."""
    twin = twin_of(method)
    if twin is None:
        return None
    try:
        return twin.FromString(data)
    except DecodeError:
        return None


def not_utf8(twin: Message, path: str = "") -> Iterator[str]:
    """The fields of a twin message, as paths ("article.title", "ids[3]"), whose text is not UTF-8."""
    for field, value in twin.ListFields():
        name = path + field.name
        values: list[Any] = list(value) if field.is_repeated else [value]
        where = [f"{name}[{n}]" for n in range(len(values))] if field.is_repeated else [name]
        for place, item in zip(where, values, strict=True):
            if field.message_type is not None:
                yield from not_utf8(item, place + ".")
            elif _was_string(field) and not _is_utf8(item):
                yield place


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def refused_text(twin: Message, path: str = "") -> InvalidArgument | None:
    """The error naming the first field of `twin` whose text is not UTF-8 (and the others); None if none is."""
    bad = list(not_utf8(twin, path))
    if not bad:
        return None
    others = f" (so are {', '.join(bad[1:4])}{', …' if len(bad) > 4 else ''})" if len(bad) > 1 else ""
    return InvalidArgument(bad[0], NOT_UTF8 + others)


def mended(twin: Any) -> MendedRequest | None:
    """An index stream's request read by its twin: its articles, each read or refused for its text; None if no
    article's text is to blame (protobuf refused it for another reason), or it is no index stream's request."""
    kind = twin.DESCRIPTOR.full_name
    if kind not in (pb.IndexArticlesRequest.DESCRIPTOR.full_name, pb.IndexArticleBatchesRequest.DESCRIPTOR.full_name):
        return None
    batch = kind == pb.IndexArticleBatchesRequest.DESCRIPTOR.full_name
    articles = [_article(article) for article in (twin.articles if batch else [twin.article])]
    if not any(isinstance(article, Unreadable) for article in articles):
        return None
    return MendedRequest(articles, twin.include_evidence, batch)


def _article(twin: Any) -> pb.Article | Unreadable:
    error = refused_text(twin, "article.")
    if error is None:
        return pb.Article.FromString(twin.SerializeToString())
    return Unreadable(_echoed_id(twin.id), error)


def _echoed_id(sent: bytes) -> str:
    """An id as an answer echoes it: each byte that is not UTF-8 becomes U+FFFD, three bytes, so an id within the
    limit came back up to three times over it (a 200-byte id of \xff as 600); cut to MAX_ID_BYTES whole
    characters, as no answer's id is longer."""
    return sent.decode(errors="replace").encode()[:MAX_ID_BYTES].decode(errors="ignore")
