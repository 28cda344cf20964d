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


def test_a_query_is_never_an_original_that_a_later_article_copies() -> None:
    # (the scaling benchmark's checks were made with `make`: a fifth of the next step's republications then
    # copied a text the index never held)
    generator = ArticleGenerator(GeneratorConfig(republished=0.5, seed=3, recent=50))
    stored = [generator.make(n) for n in range(100)]
    queries = [generator.make_query(100 + i) for i in range(100)]
    later = [generator.make(100 + n) for n in range(300)]
    assert all(q.id.startswith("gen-3-q") for q in queries) and {q.id for q in queries}.isdisjoint(
        a.id for a in stored + later
    )
    openings = {" ".join(q.body.split()[:12]) for q in queries if generator.kinds[q.id] == "original"}
    copied = [a for a in later if generator.kinds[a.id] != "original"]
    assert copied and openings
    assert not [a.id for a in copied if any(o in a.body for o in openings)]


def test_queries_made_between_articles_change_none_of_them() -> None:
    # (a store's articles are replayed without its queries: benchmarks.mixed, benchmarks.scaling --resume)
    plain, queried = ArticleGenerator(GeneratorConfig(seed=5)), ArticleGenerator(GeneratorConfig(seed=5))
    expected = [plain.make(n) for n in range(120)]
    got = [queried.make(n) for n in range(60)]
    queries = [queried.make_query(60 + i) for i in range(40)]
    got += [queried.make(n) for n in range(60, 120)]
    assert got == expected
    new_stories = {q.body for q in queries if queried.kinds[q.id] == "original"}
    assert len(new_stories) > 20 and not new_stories & {a.body for a in expected}  # (not the stored texts again)
