"""A --duration run's generated articles are made as it goes, a bounded lead ahead of the senders."""

from __future__ import annotations

from benchmarks import corpus
from benchmarks.loadtest import GeneratedArticles
from tests.support import until


def test_articles_are_made_a_bounded_lead_ahead_of_those_taken_and_are_the_generated_ones() -> None:
    lead = GeneratedArticles.LEAD
    generator = corpus.ArticleGenerator()
    preloaded = [generator.make(n) for n in range(3)]  # (as --preload 3 makes them, first)
    articles = GeneratedArticles(generator, first=3, cap=10_000_000)
    try:
        assert articles.made == lead  # made before the clock; no more until some are taken
        taken = [articles[n] for n in range(5)]
        assert until(lambda: articles.made == lead + 5)
        assert not until(lambda: articles.made > lead + 5, timeout=0.2)  # (it stays there)
        assert [*preloaded, *taken] == corpus.generated(8)  # the same articles as made up front
    finally:
        articles.close()


def test_a_paced_run_makes_no_more_than_it_can_send() -> None:
    articles = GeneratedArticles(corpus.ArticleGenerator(), first=0, cap=7)
    try:
        assert articles.made == 7 and len(articles) == 7
    finally:
        articles.close()
