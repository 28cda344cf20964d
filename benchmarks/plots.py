"""matplotlib, for the benchmarks' plots, when the `bench` extra is installed."""

from __future__ import annotations

import sys
from typing import Any


def pyplot() -> Any | None:
    """matplotlib.pyplot drawing to files (no display), or None, said on stderr, without the `bench` extra:
    a benchmark then still prints and saves its figures, only not the plot (it once failed at the end)."""
    try:
        import matplotlib
    except ImportError:
        print("no plot: matplotlib is not installed (.venv/bin/pip install -e '.[bench]')", file=sys.stderr)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
