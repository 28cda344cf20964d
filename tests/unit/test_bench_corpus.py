"""Generated benchmark articles: seeded, news-length, with the asked share of republications."""

from __future__ import annotations

from benchmarks.corpus import ArticleGenerator, GeneratorConfig, generated


def test_generation_is_repeatable_and_news_length() -> None:
    first, second = generated(200), generated(200)
    assert first == second
    lengths = [len(a.body.split()) for a in first]
    assert 500 < sum(lengths) / len(lengths) < 800
    assert len({a.id for a in first}) == 200


def test_share_of_republications_is_about_what_was_asked() -> None:
    generator = ArticleGenerator(GeneratorConfig(republished=0.3, seed=3))
    for n in range(1000):
        generator.make(n)
    kinds = list(generator.kinds.values())
    share = 1 - kinds.count("original") / len(kinds)
    assert 0.25 < share < 0.35
    assert {"truncated", "appeal", "retitled", "edited"} <= set(kinds)
