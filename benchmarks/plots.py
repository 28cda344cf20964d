"""matplotlib, for the benchmarks' plots, when the `bench` extra is installed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchmarks import outputs


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


def save(plt: Any, fig: Any, path: Path, benchmark: str, dpi: int) -> None:
    """Write `fig` to `path` as a PNG marked as `benchmark`'s plot (its module, in the PNG's metadata: by the mark it
    writes over its own plots alone), and close it."""
    try:
        fig.savefig(path, dpi=dpi, metadata=outputs.plot_mark(benchmark))
    finally:
        plt.close(fig)
