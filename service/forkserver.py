"""The process that forks the fingerprint workers, started early with their code already imported.

The workers come from multiprocessing's forkserver (service/workers.py says why). A forkserver that
preloads the fingerprinting modules imports them once, and every worker it forks has them loaded: each
worker importing them itself (numpy, datasketch and the scipy it pulls in, the Unicode tables) took
~1.5 s, on every start and after every worker death. Started before the server imports its own
modules, the forkserver imports beside it, on the other core, and a server starts that much sooner.
Only the standard library here: `neardup serve` imports this module before anything heavy.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
from pathlib import Path

log = logging.getLogger(__name__)

# (service.workers, and through it the detector, numpy and datasketch; SIGINT ignored first: forkserver_preload.py)
PRELOADED = ["service.forkserver_preload", "service.workers"]
# Where this code is installed (site-packages, or a checkout): the forkserver is started from there.
_CODE_ROOT = Path(__file__).resolve().parent.parent


def start_early() -> None:
    """Start the forkserver now, preloading the workers' code, if it can start: a failure is met again, and
    told, when the pool starts. Call it before any thread starts: it changes the working directory a moment.

    The forkserver runs as `python -c`, so the directory it starts in comes first on its import path (Python
    3.11-3.13 ignore the path multiprocessing passes it): started in the caller's, a `service` package there
    was imported in place of neardup's, and every worker forked with it failed. It starts in the directory
    this code is installed in instead, where `service` is this one; the workers then move to the caller's
    directory and path, as multiprocessing sets them up. A forkserver started again later (if this one dies)
    preloads nothing: slower workers, but no other directory's modules."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    try:
        with contextlib.chdir(_CODE_ROOT):
            multiprocessing.forkserver.ensure_running()
    except OSError as exc:
        log.debug("forkserver not started early: %s", exc)
    finally:
        context.set_forkserver_preload([])
