"""Whether the store answers, asked again and again, so that health can say so.

A server whose store does not answer (Redis stopped, unreachable, or refusing the credentials it was
started with) can only answer UNAVAILABLE; one whose Redis index is another server's, of other parameters,
FAILED_PRECONDITION; one whose embedded store's file was removed, replaced or rewritten under it refuses reads
and writes. A load balancer or an orchestrator's readiness probe should send its callers elsewhere meanwhile. No
gRPC here: the server passes what to do on a change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from service import waits
from service.errors import IncompatibleIndex, NeardupError, StoreDamaged, StoreFileGone, Unavailable

log = logging.getLogger(__name__)


class StoreWatch:
    """Calls `probe` now, then every `every` seconds in a thread of its own, and `on_change(answers)` now
    and whenever the answer changes. A probe that raises `Unavailable` means the store does not answer;
    any other error is the probe's own, logged, and leaves the last answer as it was. A damaged store (one
    whose pages a call failed to read) does not answer either: its probe raises `StoreDamaged` from then on.
    The log says each change of the answer, and each new reason for NOT_SERVING while it lasts."""

    def __init__(self, probe: Callable[[], object], on_change: Callable[[bool], None], every: float) -> None:
        self._probe = probe
        self._on_change = on_change
        self._every = every
        self._stop = threading.Event()
        self.answers = True
        self._reason = ""  # why the store last failed to answer, as said in the log ("": it answers)
        self._look()
        on_change(self.answers)
        self._thread = threading.Thread(target=self._loop, name="neardup-store-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            if self._look():
                self._on_change(self.answers)

    def _look(self) -> bool:
        """Ask the store; True if its answer changed (said in the log)."""
        try:
            self._probe()
        # (IncompatibleIndex: another server's index replaced ours)
        except (Unavailable, IncompatibleIndex, StoreDamaged) as exc:
            self._say_failure(exc)
            changed, self.answers = self.answers, False
            return changed
        except Exception:  # (a bug of the probe's, not the store's answer: watch on)
            log.exception("could not ask the store whether it answers")
            return False
        if not self.answers:
            log.info("the store answers again: health reports SERVING")
        changed, self.answers, self._reason = not self.answers, True, ""
        return changed

    def _say_failure(self, exc: NeardupError) -> None:
        """Log why health reports NOT_SERVING: when it begins, and again when the reason changes (Redis answers
        once more, but with an index of other parameters): not at every look while it stays the same."""
        if str(exc) == self._reason:
            return
        self._reason = str(exc)
        # (A store file gone is for an operator to mend before the server stops: deleted, what it stored goes with it.)
        level = logging.ERROR if isinstance(exc, StoreFileGone) else logging.WARNING
        if self.answers:
            log.log(level, "health reports NOT_SERVING until the store answers: %s", exc)
        else:
            log.log(level, "health still reports NOT_SERVING, for another reason now: %s", exc)

    def close(self) -> None:
        self._stop.set()
        # (in slices, as every wait of a stop: service/waits.py; its thread may be in a probe of a store that
        # hangs, a Redis that does not answer until its socket timeout)
        waits.joined(self._thread)
