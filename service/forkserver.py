"""The process that forks the fingerprint workers, started early with their code already imported.

The workers come from multiprocessing's forkserver (service/workers.py says why). A forkserver that
preloads the fingerprinting modules imports them once, and every worker it forks has them loaded: each
worker importing them itself (numpy, datasketch and the scipy it pulls in, the Unicode tables) took
~1.5 s, on every start and after every worker death. Started before the server imports its own
modules, the forkserver imports beside it, on the other core, and a server starts that much sooner.
Only the standard library here: `neardup serve` imports this module before anything heavy.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
from multiprocessing.context import ForkServerContext

log = logging.getLogger(__name__)

# What the forkserver imports: the workers' module (and through it the detector); "__main__" as by default.
PRELOADED = ["__main__", "service.workers"]


def context() -> ForkServerContext:
    """The forkserver start method, set to preload the workers' code (before the forkserver starts)."""
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOADED)
    return forkserver


def start_early() -> None:
    """Start the forkserver now, if it can start: a failure is met again, and told, when the pool starts."""
    context()
    try:
        multiprocessing.forkserver.ensure_running()
    except OSError as exc:
        log.debug("forkserver not started early: %s", exc)
