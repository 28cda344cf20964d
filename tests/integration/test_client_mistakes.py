"""What the Python client does with a caller's mistakes: each is refused with an error naming it, before
anything is sent, and no article sent beside it is lost (a real server over loopback)."""

from __future__ import annotations

import json
import warnings
from collections import namedtuple
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from client import (
    Article,
    ArticleFailure,
    ClientClosedError,
    InvalidArgumentError,
    NeardupClient,
    NotFoundError,
    Retry,
    Verdict,
)
from client.cli import main
from tests.articles import SAME_EVENT_A, SAME_EVENT_B, WIRE
from tests.support import in_process_server

# A placeholder date feeds use for "unknown", with an offset: before year 1 once in UTC.
BEFORE_YEAR_ONE = datetime(1, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=5)))


def test_a_published_time_outside_the_years_1_to_9999_in_utc_is_refused_naming_the_field(tmp_path: Path) -> None:
    with in_process_server(tmp_path) as (_running, client):
        for published in (BEFORE_YEAR_ONE, datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))):
            for call in (client.index, client.check):
                with pytest.raises(InvalidArgumentError, match=r"article\.published: .* outside the years"):
                    call(Article("dated", WIRE, published=published))
        with pytest.raises(NotFoundError):
            client.get("dated")
        # At the edges, in UTC, it is a time like any other (but 0001-01-01T00:00:00Z itself, Go's zero time,
        # which the server reads as unknown).
        edge = Article("edge", WIRE, published=datetime(1, 1, 1, 5, 0, 1, tzinfo=timezone(timedelta(hours=5))))
        assert client.index(edge).id == "edge"
        assert client.get("edge").article.published == datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_a_published_time_without_a_time_zone_is_refused_when_the_article_is_made() -> None:
    # (Python reads a naive datetime as local time, the server would read UTC: hours apart, silently)
    with pytest.raises(ValueError, match=r"Article\.published: 2026-03-17T09:00:00 has no time zone.*tzinfo=UTC"):
        Article("naive", WIRE, published=datetime(2026, 3, 17, 9, 0))
    with pytest.raises(TypeError, match=r"Article\.published: expected a datetime or None, got str"):
        Article("text", WIRE, published="2026-03-17T09:00:00Z")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"id": 123, "body": WIRE}, r"Article\.id: expected a str, got int 123"),
        ({"id": None, "body": WIRE}, r"Article\.id: expected a str, got None \(it is required\)"),
        ({"id": "a", "body": None}, r"Article\.body: expected a str, got None \(it is required\)"),
        ({"id": "a", "body": WIRE, "url": b"https://example.com"}, r"Article\.url: expected a str, got bytes"),
    ],
)
def test_a_text_field_that_is_not_a_str_is_refused_when_the_article_is_made_naming_it(
    fields: dict[str, object], refusal: str
) -> None:
    # (made, it failed later in index, check and index_stream with a bare AttributeError naming no field; in a
    # stream that ended the stream)
    with pytest.raises(TypeError, match=refusal):
        Article(**fields)  # type: ignore[arg-type]


def test_a_json_null_title_source_or_url_is_read_as_unknown_and_the_article_stored(tmp_path: Path) -> None:
    feed = {"id": "nulls", "body": WIRE, "title": None, "source": None, "url": None}  # (json.loads of a feed's nulls)
    article = Article(**feed)  # type: ignore[arg-type]
    assert (article.title, article.source, article.url) == ("", "", "")
    with in_process_server(tmp_path) as (_running, client):
        (outcome,) = client.index_stream([article])
        assert isinstance(outcome, Verdict) and outcome.outcome == "new"
        assert client.get("nulls").article == Article("nulls", WIRE)


def test_a_published_time_in_any_time_zone_is_stored_as_the_same_instant(tmp_path: Path) -> None:
    local = datetime(2026, 3, 17, 9, 0).astimezone()  # (this machine's zone, as the error advises)
    east = datetime(2026, 3, 17, 9, 0, tzinfo=timezone(timedelta(hours=5)))
    with in_process_server(tmp_path) as (_running, client):
        for article_id, published in (("local", local), ("east", east)):
            client.index(Article(article_id, f"{WIRE} ({article_id})", published=published))
            stored = client.get(article_id).article.published
            assert stored == published and stored is not None and stored.tzinfo == UTC


@pytest.mark.parametrize("batch", [1, 8])
def test_in_a_stream_that_article_is_answered_with_a_failure_and_the_others_are_stored(
    tmp_path: Path, batch: int
) -> None:
    articles = [
        Article("s1", WIRE),
        Article("s2", SAME_EVENT_A, published=BEFORE_YEAR_ONE),
        Article("s3", SAME_EVENT_B),
    ]
    with in_process_server(tmp_path) as (_running, client):
        outcomes = list(client.index_stream(articles, batch=batch))
        assert [type(o) for o in outcomes] == [Verdict, ArticleFailure, Verdict]
        assert [o.id for o in outcomes] == ["s1", "s2", "s3"]
        failure = outcomes[1]
        assert isinstance(failure, ArticleFailure) and "article.published" in str(failure.error)
        assert client.get("s1").article.body == WIRE and client.get("s3").article.body == SAME_EVENT_B
        with pytest.raises(NotFoundError):
            client.get("s2")


def test_a_look_alike_of_an_article_in_a_stream_is_a_type_error_after_the_articles_before_it(tmp_path: Path) -> None:
    LookAlike = namedtuple("LookAlike", "id body title source url published")
    with in_process_server(tmp_path) as (_running, client):
        outcomes = client.index_stream([Article("real", WIRE), LookAlike("fake", SAME_EVENT_A, "", "", "", None)])  # type: ignore[list-item]
        assert next(outcomes).id == "real"
        with pytest.raises(TypeError, match=r"expected a client\.Article, got LookAlike"):
            next(outcomes)
        assert client.stats().articles == 1


@pytest.mark.parametrize("stop", [SystemExit(3), KeyboardInterrupt()], ids=["SystemExit", "KeyboardInterrupt"])
@pytest.mark.parametrize("retry", [None, Retry(attempts=2)], ids=["once", "retried"])
def test_a_feed_that_stops_with_systemexit_or_keyboardinterrupt_ends_the_stream_raising_it(
    tmp_path: Path, stop: BaseException, retry: Retry | None
) -> None:
    """Only an Exception was caught from the caller's articles: a generator that called sys.exit() (or raised
    KeyboardInterrupt itself) ended gRPC's sending thread, and the stream waited for ever, half-open."""

    def feed() -> Iterator[Article]:
        yield Article("first", WIRE)
        yield Article("second", SAME_EVENT_A)
        raise stop

    with in_process_server(tmp_path) as (_running, client):
        outcomes = client.index_stream(feed(), retry=retry, batch=1)
        assert [next(outcomes).id, next(outcomes).id] == ["first", "second"]
        with pytest.raises(type(stop)):
            next(outcomes)
        assert client.stats().articles == 2


def test_delete_many_checks_every_id_before_deleting_any_and_names_its_position(tmp_path: Path) -> None:
    with in_process_server(tmp_path) as (_running, client):
        client.index(Article("victim", WIRE))
        ids = ["victim"] + [f"none{i}" for i in range(1200)]
        with pytest.raises(InvalidArgumentError, match=r"ids\[1201\]: is required"):
            client.delete_many([*ids, ""])
        with pytest.raises(InvalidArgumentError, match=r"ids\[1201\]: is longer than 512 bytes"):
            client.delete_many([*ids, "x" * 513])
        with pytest.raises(TypeError, match="not one id"):
            client.delete_many("victim")
        assert client.get("victim").article.body == WIRE  # nothing was deleted
        assert [d.deleted for d in client.delete_many(ids)[:2]] == [True, False]


def test_an_id_that_is_not_text_is_refused_naming_it_before_anything_is_sent(tmp_path: Path) -> None:
    # (an unpaired surrogate: JSON's "\ud800", or a byte that is not UTF-8 in a command-line argument)
    with in_process_server(tmp_path) as (_running, client):
        client.index(Article("victim", WIRE))
        for call in (client.get, client.delete, client.group_page):
            with pytest.raises(InvalidArgumentError, match=r"^INVALID_ARGUMENT: id: holds an unpaired surrogate "
                               r"\(U\+D800 at character 1 of 'x\\ud800'\)"):  # fmt: skip
                call("x\ud800")
        # The unsendable id past the first call's 1,000: raised before that call deleted "victim".
        ids = ["victim"] + [f"none{i}" for i in range(1200)]
        with pytest.raises(InvalidArgumentError, match=r"ids\[1201\]: holds an unpaired surrogate"):
            client.delete_many([*ids, "x\ud800"])
        assert client.get("victim").article.body == WIRE


def test_an_id_that_is_no_str_is_a_type_error_naming_it_before_anything_is_sent(tmp_path: Path) -> None:
    # (an AttributeError from within: "'int' object has no attribute 'encode'")
    with in_process_server(tmp_path) as (_running, client):
        client.index(Article("victim", WIRE))
        for call in (client.get, client.delete, client.group_page):
            with pytest.raises(TypeError, match=r"^id: expected a str, got int$"):
                call(5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^ids\[1\]: expected a str, got bytes$"):
            client.delete_many(["victim", b"x"])  # type: ignore[list-item]
        assert client.get("victim").article.body == WIRE


def test_the_cli_given_an_id_that_is_not_utf8_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    undecodable = b"ab\xff".decode(errors="surrogateescape")  # (how Python hands such an argument over)
    with in_process_server(tmp_path) as (running, client):
        client.index(Article("victim", WIRE))
        server = f"127.0.0.1:{running.port}"
        for command in (["get"], ["group"], ["delete", "victim"]):
            assert main([*command, undecodable, "--server", server]) == 2
            stderr = capsys.readouterr().err
            assert len(stderr.splitlines()) == 1 and "unpaired surrogate (U+DCFF at character 2" in stderr, stderr
        assert client.get("victim").article.body == WIRE  # (delete stopped before sending "victim" too)


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_a_jsonl_id_that_is_not_text_is_answered_with_an_error_line_and_the_lines_after_it_are_answered(
    tmp_path: Path, command: str
) -> None:
    # JSON's "\ud800" reads as an unpaired surrogate, which UTF-8 cannot carry: writing its error line, which names
    # the id, killed the command with a traceback, the lines after it unanswered.
    given = tmp_path / "in.jsonl"
    given.write_text('{"id": "before", "body": "a b c d e"}\n{"id": "x\\ud800", "body": "f g h i j"}\n'
                     '{"id": "after", "body": "k l m n o"}\n', encoding="utf-8")  # fmt: skip
    answers = tmp_path / "out.jsonl"
    with in_process_server(tmp_path / "data") as (running, _client):
        assert main([command, str(given), "--output", str(answers), "--server", f"127.0.0.1:{running.port}"]) == 1
    lines = answers.read_bytes().decode("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["before", "x\ud800", "after"]
    assert '"id": "x\\ud800"' in lines[1]  # (escaped, as the input had it)
    assert "article.id: holds an unpaired surrogate" in json.loads(lines[1])["error"]
    assert "error" not in json.loads(lines[2])


def test_a_page_size_over_the_servers_most_asks_for_its_most_and_a_negative_one_is_refused_naming_it(
    tmp_path: Path,
) -> None:
    with in_process_server(tmp_path) as (_running, client):
        client.index(Article("a0", WIRE))
        for size in (1001, 2**31, 2**64):  # (past int32's range: no request could carry it)
            assert [m.id for m in client.group_page("a0", page_size=size).members] == ["a0"]
        for size in (-1, -(2**31) - 1):
            with pytest.raises(InvalidArgumentError, match=rf"^INVALID_ARGUMENT: page_size: is {size}; it must be 0"):
                client.group_page("a0", page_size=size)


def test_a_closed_client_says_so_and_sends_nothing(tmp_path: Path) -> None:
    with in_process_server(tmp_path) as (running, _client):
        client = NeardupClient(f"127.0.0.1:{running.port}")
        client.close()
        for call in (
            lambda: client.index(Article("late", WIRE)),
            client.stats,
            lambda: list(client.index_stream([Article("late", WIRE)])),
            lambda: client.wait_ready(1),
        ):
            with pytest.raises(ClientClosedError, match="is closed"):
                call()
        assert _client.stats().articles == 0


def test_a_retry_that_cannot_work_is_refused_when_made() -> None:
    for bad in ({"attempts": -1}, {"first_wait": -1}, {"first_wait": 5, "max_wait": 1}):
        with pytest.raises(ValueError, match="must not be negative"):
            Retry(**bad)
    for jitter in (-0.1, 1.5):
        with pytest.raises(ValueError, match="jitter is the share"):
            Retry(jitter=jitter)


def test_an_index_stream_never_iterated_warns_where_it_was_made_and_stores_nothing(tmp_path: Path) -> None:
    # (a generator: called without iterating its outcomes, it sent and stored nothing, and nothing said so)
    with in_process_server(tmp_path) as (_running, client):
        with pytest.warns(RuntimeWarning, match=r"index_stream\(\.\.\.\) was never iterated") as warned:
            client.index_stream([Article("lazy", WIRE)], batch=64)  # (dropped at once: freed, so it warns)
        assert warned[0].filename == __file__ and "index_stream([Article" in _line(__file__, warned[0].lineno)
        with pytest.raises(NotFoundError):
            client.get("lazy")
        with pytest.raises(ValueError, match="timeout=0"):  # (its settings are checked when it is called)
            client.index_stream([Article("lazy", WIRE)], timeout=0)


def test_an_index_stream_started_or_read_to_its_end_does_not_warn(tmp_path: Path) -> None:
    with in_process_server(tmp_path) as (_running, client), warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        assert [v.id for v in client.index_stream([Article("whole", WIRE)])] == ["whole"]
        started = client.index_stream([Article("first", SAME_EVENT_A), Article("second", SAME_EVENT_B)])
        assert next(started).id == "first"
        started.close()  # (left after one outcome: the caller chose to)
        del started
        assert client.get("first").article.body == SAME_EVENT_A
    assert [w.message for w in warned if w.category is RuntimeWarning] == []


def _line(path: str, number: int) -> str:
    return Path(path).read_text().splitlines()[number - 1]
