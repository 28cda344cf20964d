"""Generated benchmark articles: seeded, news-length, with the asked share of republications."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import loadtest
from benchmarks.corpus import ArticleGenerator, GeneratorConfig, from_file, generated


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


def _file_with_lines_left_aside(path: Path) -> Path:
    """Ten lines: six articles, and four the bench leaves aside (two with an empty body, one not JSON, one with no
    id)."""
    rows = [json.dumps({"id": f"a{n}", "body": f"the body of article {n}"}) for n in range(10)]
    rows[2] = json.dumps({"id": "a2", "body": ""})
    rows[4] = "not json"
    rows[6] = json.dumps({"id": "a6", "body": " \n "})
    rows[8] = json.dumps({"title": "no id", "body": "words"})
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_lines_of_a_file_left_aside_are_said_once_counted_by_reason(tmp_path: Path) -> None:
    # (a 300-line file "held 279", saying nothing of the 21 lines left aside)
    path = _file_with_lines_left_aside(tmp_path / "a.jsonl")
    said: list[str] = []
    articles = from_file(path, None, said.append)
    assert [a.id for a in articles] == ["a0", "a1", "a3", "a5", "a7", "a9"]
    assert said == [
        f"4 lines of {path} left aside, not used: "
        "2 body: is empty (the first: line 3: body: is empty (or white space alone)); "
        "1 not valid JSON (the first: line 5: not valid JSON (Expecting value at column 1)); "
        "1 id: is missing (the first: line 9: id: is missing; the line has 'title', 'body' (neardup reads id, body, "
        "title, source, url, published))"
    ]
    said.clear()
    assert len(from_file(path, 3, said.append)) == 3  # (only the lines read are counted)
    assert said == [
        f"1 line of {path} left aside, not used: 1 body: is empty (the first: line 3: body: is empty "
        "(or white space alone))"
    ]


def test_neardup_bench_says_the_lines_of_its_articles_file_left_aside_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file_with_lines_left_aside(tmp_path / "a.jsonl")
    argv = ["--target", "127.0.0.1:1", "--wait-for-server", "0.1", "--articles", str(path), "--count", "6",
            "--report", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]  # fmt: skip
    with pytest.raises(SystemExit, match=r"cannot reach 127\.0\.0\.1:1"):  # (read before the server is asked)
        loadtest.main(argv)
    err = capsys.readouterr().err
    assert err.count("left aside") == 1
    assert f"neardup-bench: 4 lines of {path} left aside, not used: 2 body: is empty" in err


def test_lines_left_aside_for_one_cause_with_different_values_are_one_reason(tmp_path: Path) -> None:
    # (the value a refusal quotes made each line a reason of its own: the summary grew a reason a line)
    path = tmp_path / "times.jsonl"
    path.write_text("".join(json.dumps({"id": f"t{n}", "body": "b", "published": f"2025-02-{28 + n}"}) + "\n"
                            for n in range(1, 4)))  # fmt: skip
    said: list[str] = []
    assert from_file(path, None, said.append) == []
    assert said[0].startswith(f"3 lines of {path} left aside, not used: 3 published: … is written as ISO 8601"), said
