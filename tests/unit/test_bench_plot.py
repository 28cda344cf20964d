"""neardup-bench's throughput over time: the last, partly run second is not a false drop, each rate stands at the
middle of the time it was counted over, and the axis starts at 0."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import loadtest
from benchmarks.loadtest import per_second
from benchmarks.plots import pyplot


def test_the_last_partial_second_is_scaled_by_the_part_run() -> None:
    finished = np.arange(250) / 100  # 100 answers a second for 2.5 s
    middles, rates = per_second(finished, wall=2.5)
    assert list(middles) == [0.5, 1.5, 2.25]  # (the last: the middle of the half second run)
    assert list(rates) == [100, 100, 100]  # (the last second held 50: it was plotted as 50/s)


def test_a_last_second_too_short_to_say_a_rate_is_left_out() -> None:
    finished = [*(np.arange(200) / 100), 2.01]
    middles, rates = per_second(finished, wall=2.05)
    assert list(middles) == [0.5, 1.5] and list(rates) == [100, 100]


def test_a_run_shorter_than_a_second_is_one_scaled_bin() -> None:
    middles, rates = per_second([0.01, 0.02, 0.03, 0.04], wall=0.05)
    assert list(middles) == [0.025] and list(rates) == [80]


def test_the_throughput_panel_starts_at_zero_and_puts_each_rate_at_the_middle_of_its_second() -> None:
    plt = pyplot()
    if plt is None:
        pytest.skip("matplotlib (the bench extra) is not installed")
    # 1,000 answers a second, then 950: fitted to its points, the axis began near 950, and a 5 % dip looked like a fall.
    finished = [*(np.arange(1000) / 1000), *(1 + np.arange(950) / 950)]
    report = {"timeline": [[t, 1.0, "index", "OK"] for t in finished], "seconds": 2.0, "errors": {}, "rss": [],
              "mode": "unary", "concurrency": 1, "throughput": 975.0}  # fmt: skip
    fig = loadtest.draw(plt, report)
    try:
        throughput = fig.axes[0]
        assert throughput.get_ylim()[0] == 0
        assert list(throughput.lines[0].get_xdata()) == [0.5, 1.5]
        assert "middle" in throughput.get_xlabel()
    finally:
        plt.close(fig)
