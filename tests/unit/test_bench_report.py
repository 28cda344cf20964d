"""What neardup-bench reports beside its figures."""

from benchmarks.loadtest import host_cpu_shares


def test_host_cpu_shares_split_the_ticks_between_two_samples() -> None:
    # user nice system idle iowait irq softirq steal
    shares = host_cpu_shares([10, 0, 5, 100, 0, 0, 0, 2], [40, 0, 15, 150, 10, 0, 0, 12])
    assert shares == {"busy": 40 / 110, "idle": 60 / 110, "steal": 10 / 110}
