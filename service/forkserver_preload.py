"""Imported by the forkserver alone, first of what it preloads (service/forkserver.py PRELOADED): SIGINT ignored.

multiprocessing's forkserver ignores SIGINT itself, but puts back in each child it forks the handler it found as it
began: Python's, which raises KeyboardInterrupt. A fingerprint worker so ignored a terminal's Ctrl-C (sent to the
whole process group) only once its initializer had run (service/workers.py `_init_worker`), and a Ctrl-C while a
worker was still starting (on a loaded host, after the server served) printed its KeyboardInterrupt traceback.
Ignored here, before the forkserver notes its handlers, every worker it forks ignores SIGINT from its first
instruction; a worker with no watch of its server (no pidfd) takes back the handler found here (`SIGINT_BEFORE`:
Python's, or SIG_IGN where the server was started with SIGINT ignored), as it had before (`_init_worker`)."""

from __future__ import annotations

import signal

SIGINT_BEFORE = signal.signal(signal.SIGINT, signal.SIG_IGN)
