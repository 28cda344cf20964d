"""neardup-bench's throughput over time: the last, partly run second is not a false drop."""

from __future__ import annotations

import numpy as np

from benchmarks.loadtest import per_second


def test_the_last_partial_second_is_scaled_by_the_part_run() -> None:
    finished = np.arange(250) / 100  # 100 answers a second for 2.5 s
    starts, rates = per_second(finished, wall=2.5)
    assert list(starts) == [0, 1, 2]
    assert list(rates) == [100, 100, 100]  # (the last second held 50: it was plotted as 50/s)


def test_a_last_second_too_short_to_say_a_rate_is_left_out() -> None:
    finished = [*(np.arange(200) / 100), 2.01]
    starts, rates = per_second(finished, wall=2.05)
    assert list(starts) == [0, 1] and list(rates) == [100, 100]


def test_a_run_shorter_than_a_second_is_one_scaled_bin() -> None:
    starts, rates = per_second([0.01, 0.02, 0.03, 0.04], wall=0.05)
    assert list(starts) == [0] and list(rates) == [80]
