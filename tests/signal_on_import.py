"""`neardup` run as its installed command runs it (the function pyproject's [project.scripts] names), sending itself
the signal named in SIGNAL_ON_IMPORT (SIGTERM, SIGINT) as the command begins to import grpc: during the imports (0.3
to 1.3 s) made before serve's own handlers could be set. tests/support.py ServerProcess(..., signal_on_import=...)
runs `python -m tests.signal_on_import serve …`. Nothing heavy is imported here (tests/__init__.py is empty)."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import tomllib
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType


class _SignalAtGrpc:
    """A finder that finds nothing: asked for grpc (its first import), it raises the signal, once."""

    def __init__(self, sig: signal.Signals) -> None:
        self.sig = sig

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == "grpc":
            sys.meta_path.remove(self)
            signal.raise_signal(self.sig)  # (a handler runs here, before raise_signal returns)
        return None


if __name__ == "__main__":
    sig = signal.Signals[os.environ.pop("SIGNAL_ON_IMPORT")]
    scripts = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["neardup"].split(":")
    sys.meta_path.insert(0, _SignalAtGrpc(sig))
    sys.exit(getattr(importlib.import_module(module), function)())
