"""A Markdown copy whose links carry a partner's tracking parameters, over real gRPC: the plain original itself in a
new store (scheme nd5: URLs count as nothing), and a store of the earlier scheme nd4 read as it was written, its
URLs read as words, in the server and its workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import Article
from service.settings import FINGERPRINT_SCHEME, ND4_SCHEME, DetectionParams
from tests.support import in_process_server

# A story written for these tests, as the paper that wrote it sends it: plain text.
LIBRARY = """\
The central library in Harwick will close for eighteen months from June while its roof and heating are replaced,
the borough council said on Tuesday, and its lending service will move to a former bank on Castle Street.

The council's cabinet approved a budget of 7.2 million pounds for the work, of which 2.5 million pounds comes from
a national fund for public buildings. Surveys last year found that water had reached the building's archive
room twice in one winter, and that the boilers installed in 1974 could no longer be repaired.

"We know how much people rely on this building, and we did not take the decision lightly," said the councillor
responsible for culture, Priya Natarajan. "The alternative was to keep patching a roof that leaks onto a
collection we have a duty to protect."

Library staff will keep their jobs and move to the temporary site, which will open six days a week. The
children's reading groups and the homework club will run from two community centres, and the local history
archive will be stored by the county record office until the building reopens.

A group of residents has asked the council to publish the surveys in full. Its organiser, Tom Ashdown, said the
closure had been announced with too little notice for families who use the library's computers to apply for
jobs and benefits.
"""

# The same story as a partner's feed sends it: in Markdown, with emphasis and links whose targets carry that
# partner's tracking parameters, and an inline link in brackets. Nothing is added to the text.
LINKED = {
    "the borough council said": "[the borough council said](https://www.harwick.example.gov.uk/news/library-roof"
    "?utm_source={partner}&utm_medium=syndication&utm_campaign=spring)",
    "a national fund for public buildings.": "a [national fund for public buildings](https://www.example.gov.uk/"
    "public-buildings-fund?utm_source={partner}&utm_medium=syndication) (https://bit.ly/3hKwLib).",
    "Priya Natarajan.": "**Priya Natarajan**.",
    "the county record office": "[the county record office](https://records.example.org/?utm_source={partner})",
    "Tom Ashdown, said": "_Tom Ashdown_, said (see www.example.org/harwick-library, or HTTPS://EXAMPLE.ORG/PETITION)",
}


def markdown(partner: str) -> str:
    text = LIBRARY
    for plain, linked in LINKED.items():
        assert plain in text
        text = text.replace(plain, linked.format(partner=partner))
    return text


def test_a_markdown_copy_with_a_partners_tracking_links_is_its_plain_original(tmp_path: Path) -> None:
    with in_process_server(tmp_path / "data") as (_, client):
        client.index(Article("library", LIBRARY))
        verdict = client.check(Article("library-partner-a", markdown("partnerA")))
        assert {m.id: m.relation for m in verdict.matches} == {"library": "identical"}
        # Two partners' Markdown copies, differing only in their links' tracking parameters, are one text.
        client.index(Article("library-partner-a", markdown("partnerA")))
        verdict = client.check(Article("library-partner-b", markdown("partnerB")))
        relations = {m.id: (m.relation, m.jaccard) for m in verdict.matches}
        assert relations["library-partner-a"] == ("identical", 1.0)
        assert client.stats().parameters["fingerprint_scheme"] == FINGERPRINT_SCHEME


@pytest.mark.parametrize("workers", [0, 1])
def test_a_store_of_scheme_nd4_reads_urls_as_words_as_it_was_written(tmp_path: Path, workers: int) -> None:
    data = tmp_path / "data"
    partner_b = Article("library-partner-b", markdown("partnerB"))
    with in_process_server(data, detection=DetectionParams(scheme=ND4_SCHEME)) as (_, client):
        client.index(Article("library", LIBRARY))
        client.index(Article("library-partner-a", markdown("partnerA")))
        before = client.check(partner_b)
        # (nd4 reads each link's host, path and query string as words: the partners' copies differ)
        assert {m.id: m.relation for m in before.matches}["library-partner-a"] != "identical"
    # This version's settings (nd5), with fingerprint workers or without: the store is read as nd4.
    with in_process_server(data, fingerprint_workers=workers) as (_, client):
        assert client.stats().parameters["fingerprint_scheme"] == ND4_SCHEME
        assert client.check(partner_b) == before
        # A Markdown copy indexed now (fingerprinted in a worker, where there is one) is read as nd4 too.
        client.index(Article("library-partner-c", markdown("partnerC")))
        again = client.check(Article("library-partner-d", markdown("partnerD")))
        assert {m.id: m.relation for m in again.matches}["library-partner-c"] != "identical"
