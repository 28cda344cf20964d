"""The four quality behaviours over real gRPC on loopback, with an operator boilerplate file."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from client import Article, NeardupClient
from service.settings import DetectionParams
from tests.articles import WIRE, WIRE_PARAGRAPHS, ZH_OTHER_WITH_APPEAL, ZH_SAME_EVENT, ZH_WIRE, ZH_WIRE_WITH_APPEAL
from tests.quality_texts import (
    FOOTER,
    SENTENCING_AGENCY,
    SENTENCING_LOCAL,
    STORIES,
    WIND_FARM_OTHER_OUTLET,
    WIND_FARM_REPORT,
    bare_notice,
    dividend,
)
from tests.support import in_process_server

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[NeardupClient]:
    listed = tmp_path / "boilerplate.txt"
    listed.write_text(FOOTER + "\n")
    with in_process_server(tmp_path / "data", detection=DetectionParams(boilerplate_file=str(listed))) as (_, c):
        yield c


def test_stories_sharing_only_listed_boilerplate_do_not_match(client: NeardupClient) -> None:
    client.index(Article("s0", STORIES[0] + "\n\n" + FOOTER))
    assert client.index(Article("s1", STORIES[1] + "\n\n" + FOOTER)).matches == ()


def test_excerpt_with_boilerplate_is_a_truncated_copy_with_evidence_outside_the_boilerplate(
    client: NeardupClient,
) -> None:
    client.index(Article("wire", WIRE + "\n\n" + FOOTER))
    excerpt = "\n\n".join(WIRE_PARAGRAPHS[4:9])  # about 40 % of the story, from its middle
    copy = " date 2026-03-02 " + excerpt + "\n\n" + FOOTER
    verdict = client.index(Article("excerpt", copy), evidence=True)
    [match] = verdict.matches
    assert match.id == "wire" and match.relation == "truncated"
    assert match.containment > 0.95 and match.jaccard < 0.5
    assert verdict.duplicate_of == "wire"
    stored = WIRE + "\n\n" + FOOTER
    [passage] = match.passages  # the footer is shared too, but it is not evidence
    assert copy[passage.start : passage.end] == excerpt.rstrip(".")
    assert stored[passage.other_start : passage.other_end] == excerpt.rstrip(".")


def test_template_items_are_different_articles_but_a_resend_is_identical(client: NeardupClient) -> None:
    first = dividend("Harwell Instruments Inc", "12", "April 15", "March 31")
    client.index(Article("harwell", first, published=T0))
    other = dividend("Obsidian Freight Corp", "27", "May 1", "April 17")
    assert client.index(Article("obsidian", other, published=T0 + timedelta(minutes=5))).matches == ()
    [match] = client.index(Article("harwell-2", first, published=T0 + timedelta(minutes=30))).matches
    assert match.id == "harwell" and match.relation == "identical"


def test_notices_named_only_in_titles_are_told_apart_by_the_stored_title(client: NeardupClient) -> None:
    # The title is read back from the store (SQLite here) for the candidate: the bodies are one template's.
    body = bare_notice("20", "April 15", "March 23")
    client.index(Article("harwell", body, title="HARWELL INSTRUMENTS INC <HWI> REGULAR DIVIDEND", published=T0))
    other = Article("obsidian", body, title="OBSIDIAN FREIGHT CORP <OBF> SETS QUARTERLY", published=T0)
    assert client.index(other).matches == ()
    copy = Article("harwell-2", body, title="Harwell Instruments keeps dividend", published=T0 + timedelta(hours=1))
    assert [m.id for m in client.index(copy).matches] == ["harwell"]


def test_chinese_copies_are_found_and_told_apart_over_grpc_with_evidence_in_the_callers_offsets(
    client: NeardupClient,
) -> None:
    client.index(Article("zh-wire", ZH_WIRE, published=T0))
    client.index(Article("zh-other", ZH_OTHER_WITH_APPEAL, published=T0))
    copy = client.index(Article("zh-copy", ZH_WIRE_WITH_APPEAL, published=T0 + timedelta(hours=1)), evidence=True)
    assert copy.duplicate_of == "zh-wire" and [m.id for m in copy.matches] == ["zh-wire"]
    first = copy.matches[0].passages[0]
    assert ZH_WIRE_WITH_APPEAL[first.start : first.end].startswith("安塞姆港务局周二批准")
    assert ZH_WIRE[first.other_start : first.other_end].startswith("安塞姆港务局周二批准")
    assert client.index(Article("zh-same-event", ZH_SAME_EVENT, published=T0)).matches == ()


def test_another_outlets_report_quoting_the_same_judgment_is_no_copy_but_a_republication_is(
    client: NeardupClient,
) -> None:
    client.index(Article("herald", WIND_FARM_REPORT, source="Selwyn Herald", published=T0))
    other = Article("coast", WIND_FARM_OTHER_OUTLET, source="Coast Daily", published=T0 + timedelta(hours=2))
    verdict = client.index(other, evidence=True)  # (it matched `herald` through the quoted judgment alone)
    assert verdict.matches == () and verdict.duplicate_of is None
    copy = Article(
        "wire", WIND_FARM_REPORT + "\n\n" + FOOTER, source="Brookvale Echo", published=T0 + timedelta(hours=3)
    )
    assert client.index(copy).duplicate_of == "herald"


def test_another_outlets_report_giving_the_same_statements_after_the_same_attribution_lines_is_no_copy(
    client: NeardupClient,
) -> None:
    client.index(Article("agency", SENTENCING_AGENCY, source="Western Wire", published=T0))
    local = Article("local", SENTENCING_LOCAL, source="Carrow Packet", published=T0 + timedelta(hours=2))
    verdict = client.index(local)  # (it matched `agency` through the statements and their attribution lines)
    assert verdict.matches == () and verdict.duplicate_of is None
    resent = Article(
        "resent", FOOTER + "\n\n" + SENTENCING_AGENCY, source="Moor Gazette", published=T0 + timedelta(hours=3)
    )
    assert client.index(resent).duplicate_of == "agency"
