"""Conversions between neardup.v1 messages and the core's plain types."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from neardup.v1 import neardup_pb2 as pb

from service.errors import InvalidArgument
from service.model import Article, GroupMember, GroupPage, IndexOutcome, Match, Relation, Stats, StoredArticle, Verdict

_MIN_SECONDS = -62135596800  # 0001-01-01T00:00:00Z, the Timestamp range in the proto docs
_MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z
_RELATIONS = {
    Relation.IDENTICAL: pb.RELATION_IDENTICAL,
    Relation.ADDITIONS: pb.RELATION_ADDITIONS,
    Relation.TRUNCATED: pb.RELATION_TRUNCATED,
    Relation.REVISED: pb.RELATION_REVISED,
}
_OUTCOMES = {
    None: pb.INDEX_OUTCOME_UNSPECIFIED,
    IndexOutcome.NEW: pb.INDEX_OUTCOME_NEW,
    IndexOutcome.REPLACED: pb.INDEX_OUTCOME_REPLACED,
    IndexOutcome.UNCHANGED: pb.INDEX_OUTCOME_UNCHANGED,
}


# Timestamps that clients send for "unknown": Go's zero time.Time (0001-01-01T00:00:00Z) and a default
# Timestamp message set anyway (1970-01-01T00:00:00Z, as Java's getDefaultInstance() is). Taken as dates,
# they made the article the earliest of its group: its original, over the real one.
_PLACEHOLDERS = {(_MIN_SECONDS, 0), (0, 0)}


def article_from_pb(msg: pb.Article) -> Article:
    published = _published_from_pb(msg.published) if msg.HasField("published") else None
    return Article(msg.id, msg.body, msg.title, msg.source, msg.url, published)


def _published_from_pb(ts: Timestamp) -> datetime | None:
    """The publication time, kept to the microsecond; None for a placeholder of "unknown". A time less than a
    microsecond after a placeholder is refused: kept, it was stored as the placeholder, read back by
    GetArticle as unknown, and the article sent again as read back replaced it without its date."""
    if (ts.seconds, ts.nanos) in _PLACEHOLDERS:
        return None
    if (ts.seconds, 0) in _PLACEHOLDERS and 0 < ts.nanos < 1000:
        placeholder = datetime.fromtimestamp(ts.seconds, UTC).isoformat().replace("+00:00", "Z")
        raise InvalidArgument(
            "article.published",
            f"{ts.nanos} ns after {placeholder}, which is read as unknown: publication times are kept to the "
            "microsecond, so it would be stored as that placeholder. Leave it unset if the date is unknown, or "
            "give the time to the microsecond",
        )
    return timestamp_from_pb(ts, "article.published")


def timestamp_from_pb(ts: Timestamp, field: str) -> datetime:
    if not _MIN_SECONDS <= ts.seconds <= _MAX_SECONDS:
        raise InvalidArgument(field, f"seconds={ts.seconds} is outside years 0001..9999")
    if not 0 <= ts.nanos < 1_000_000_000:
        raise InvalidArgument(field, f"nanos={ts.nanos} must be in [0, 999999999]")
    return ts.ToDatetime(tzinfo=UTC)


def timestamp_to_pb(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def article_to_pb(article: Article) -> pb.Article:
    msg = pb.Article(id=article.id, body=article.body, title=article.title, source=article.source, url=article.url)
    if article.published is not None:
        msg.published.CopyFrom(timestamp_to_pb(article.published))
    return msg


def match_to_pb(match: Match) -> pb.Match:
    return pb.Match(
        id=match.id,
        jaccard=match.jaccard,
        containment=match.containment,
        relation=_RELATIONS[match.relation],
        passages=[pb.Passage(start=p.start, end=p.end, other_start=p.other_start, other_end=p.other_end)
                  for p in match.passages],
    )  # fmt: skip


def verdict_to_pb(verdict: Verdict) -> pb.Verdict:
    return pb.Verdict(
        id=verdict.id,
        matches=[match_to_pb(m) for m in verdict.matches],
        duplicate_of=verdict.duplicate_of or "",
        outcome=_OUTCOMES[verdict.outcome],
    )


def stored_to_pb(stored: StoredArticle) -> pb.GetArticleResponse:
    return pb.GetArticleResponse(
        article=article_to_pb(stored.article),
        duplicate_of=stored.duplicate_of or "",
        indexed_at=timestamp_to_pb(stored.indexed_at),
    )


def group_page_to_pb(page: GroupPage) -> pb.ListGroupMembersResponse:
    return pb.ListGroupMembersResponse(
        original=page.original,
        total_size=page.total,
        members=[member_to_pb(m) for m in page.members],
        next_page_token=page.next_page_token,
    )


def deletions_to_pb(article_ids: list[str], deleted: list[bool]) -> pb.DeleteArticlesResponse:
    outcomes = (pb.DELETE_OUTCOME_DELETED if d else pb.DELETE_OUTCOME_NOT_FOUND for d in deleted)
    results = [pb.DeletedArticle(id=i, outcome=o) for i, o in zip(article_ids, outcomes, strict=True)]
    return pb.DeleteArticlesResponse(results=results)


def member_to_pb(member: GroupMember) -> pb.GroupMember:
    msg = pb.GroupMember(id=member.id, title=member.title, source=member.source, url=member.url,
                         indexed_at=timestamp_to_pb(member.indexed_at))  # fmt: skip
    if member.published is not None:
        msg.published.CopyFrom(timestamp_to_pb(member.published))
    return msg


def stats_to_pb(stats: Stats, uptime_seconds: float, version: str) -> pb.GetStatsResponse:
    p = stats.parameters
    response = pb.GetStatsResponse(
        articles=stats.articles,
        store=stats.store,
        version=version,
        parameters=pb.IndexParameters(
            shingle_size=int(p["shingle_size"]), num_perm=int(p["num_perm"]), lsh_bands=int(p["lsh_bands"]),
            lsh_rows=int(p["lsh_rows"]), min_containment=float(p["min_containment"]),
            min_shared_shingles=int(p["min_shared_shingles"]), seed=int(p["seed"]),
            max_candidates=int(p["max_candidates"]), boilerplate_after=int(p["boilerplate_after"]),
            fingerprint_scheme=str(p["scheme"]),
        ),
    )  # fmt: skip
    response.uptime.FromNanoseconds(int(uptime_seconds * 1e9))
    return response
