"""What neardup-bench reports beside its figures."""

import time

import pytest

from benchmarks import loadtest
from benchmarks.loadtest import host_cpu_shares
from client import Article
from tests.support import until


def test_host_cpu_shares_split_the_ticks_between_two_samples() -> None:
    # user nice system idle iowait irq softirq steal
    shares = host_cpu_shares([10, 0, 5, 100, 0, 0, 0, 2], [40, 0, 15, 150, 10, 0, 0, 12])
    assert shares == {"busy": 40 / 110, "idle": 60 / 110, "steal": 10 / 110}


def test_the_recipe_rate_is_called_a_mean_of_two_runs_only_when_there_were_two(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = loadtest.RunConfig("127.0.0.1:1", "batch", 1, None, 2.0, None, 0, 1, None)
    report = loadtest.summarise(config, loadtest.Record(), 2.0, [])
    report["host_cpu"] = {"busy": 0.5, "idle": 0.5, "steal": 0.0}
    compared = {"articles": 10, "checks": 0, "indexed_before": 0, "recipe": "query then insert",
                "datasketch_rate": 463.0, "core_rate": 900.0, "core_vs_datasketch": 1.9,
                "grpc_vs_datasketch": 0.0}  # fmt: skip
    report["compare"] = {**compared, "datasketch_runs": [463.0]}  # (a --duration run: after the load only)
    loadtest.print_table(report)
    said = " ".join(capsys.readouterr().out.split())
    assert "datasketch recipe 463/s (query then insert; timed after the load)" in said and "mean of" not in said
    report["compare"] = {**compared, "datasketch_runs": [426.0, 500.0]}
    loadtest.print_table(report)
    assert "; mean of 426 and 500/s: before and after the load)" in " ".join(capsys.readouterr().out.split())


def test_an_article_sent_on_several_reopened_streams_counts_once_as_resent() -> None:
    # (attempts refused at once while a server restarted each took the same batch again: a run whose streams
    # held 200 articles unanswered reported "1,000 sent again")
    record = loadtest.Record()
    lane = loadtest.StreamLane(loadtest.Feed([Article("a", "x y z")], 1, None, None), record, 4, 2)
    sent = loadtest.Sent(Article("a", "x y z"))
    for _ in range(5):  # the first send, then four attempts
        lane._sending([sent])
    assert record.resent == 1 and sent.resent


def test_a_paced_batch_times_its_articles_from_when_its_last_was_due_not_each_ones_own() -> None:
    # (a batch leaves once full: timed from each article's own due time, the wait for the rest of its batch counted
    # as the server's, and a batch of 64 at 950/s read ≈35 ms slower at p50 than the same run from its send)
    lane = loadtest.StreamLane(loadtest.Feed([], None, None, None), loadtest.Record(), 4, 2)
    base = time.monotonic()
    first, last = loadtest.Sent(Article("a", "x"), due=base - 0.05), loadtest.Sent(Article("b", "y"), due=base - 0.01)
    lane._sending([first, last])
    assert first.due == last.due == base - 0.01
    held = loadtest.Sent(Article("c", "z"), due=base - 2.0)  # (a batch a stalled server held back 2 s: counted)
    lane._sending([held])
    assert held.at is not None and held.latency(held.at) >= 2.0


@pytest.mark.parametrize("mode", ["check", "mix", "unary"])
def test_the_matches_are_said_once(capsys: pytest.CaptureFixture[str], mode: str) -> None:
    # (check mode said "verdicts with a match: 7", then "checks with a match: 7 of 10": the same count twice)
    config = loadtest.RunConfig("127.0.0.1:1", mode, 1, 10, None, None, 1.0 if mode == "check" else 0.5, 1, None)
    record = loadtest.Record()
    record.matched = 7
    record.checks.update({"answered": 10, "with_a_match": 7 if mode == "check" else 3})
    report = loadtest.summarise(config, record, 2.0, [])
    report["host_cpu"] = {"busy": 0.5, "idle": 0.5, "steal": 0.0}
    loadtest.print_table(report)
    said = capsys.readouterr().out
    if mode == "check":
        assert "verdicts with a match" not in said and said.count("checks with a match: 7 of 10") == 1
    elif mode == "mix":
        assert "verdicts with a match (index and check calls): 7" in said and "checks with a match: 3 of 10" in said
    else:
        assert "verdicts with a match: 7" in said and "checks with a match" not in said


RATE, DURATION = 20.0, 1.0  # a paced --duration run: 20 articles fall due in it, 50 ms apart


def _paced_feed() -> loadtest.Feed:
    return loadtest.Feed([Article(f"a{n}", "x y z") for n in range(1000)], None, DURATION, RATE)


def test_a_paced_run_whose_sender_keeps_up_leaves_no_due_article_unsent() -> None:
    feed = _paced_feed()
    taken = sum(1 for _ in feed.paced())  # (one sender asking as soon as it has sent: each article at its due time)
    assert taken == RATE * DURATION  # (one due a moment before the end and handed out late is still the run's)
    assert feed.due_not_sent(time.monotonic()) == 0


def test_the_articles_due_while_every_sender_was_held_up_past_the_end_are_counted_unsent() -> None:
    feed = _paced_feed()
    paced = feed.paced()
    for _ in range(5):  # (the first 5, due in the run's first 0.25 s)
        next(paced)
    # The sender is held up (a call a stalled server does not answer) until --duration has passed.
    assert until(feed.over, timeout=10)
    assert next(paced, None) is None  # (asked after the end: not sent)
    assert feed.due_not_sent(time.monotonic()) == RATE * DURATION - 5
    # A run that ended before --duration (its senders gone) counts only what fell due until then: 11 by 0.51 s.
    assert feed.due_not_sent(feed.start + 0.51) == 11 - 5


def test_a_run_stopped_by_a_full_store_counts_none_unsent_for_its_pace() -> None:
    feed = _paced_feed()
    next(feed.paced())
    feed.stop()  # (a full store: the rest of the run was never to be sent)
    assert next(feed.paced(), None) is None
    assert feed.due_not_sent(feed.start + DURATION) == 0
    assert loadtest.Feed([Article("a", "x")], None, DURATION, None).due_not_sent(time.monotonic()) is None
