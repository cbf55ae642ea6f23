"""Noticing the container engine go away and come back (a Docker daemon restart).

Without live-restore every container stops with the daemon, and while it is down every engine
call fails. :class:`EngineWatch` probes the engine in a thread: every :data:`PROBE_EVERY_S`
while it answers, and with a growing delay (:data:`RETRY_FIRST_S` doubling to
:data:`RETRY_MAX_S`) once it does not. The platform also reports what it lost on its own
(:meth:`EngineWatch.lost`: a container's log stream ended and the engine did not answer, a
deploy failed for want of the engine), which makes the watch look at once. When the engine
answers again after an outage, or after something was lost, the watch calls ``on_back``
(``Recovery.recover``), which brings every space that should run back to its stage. A probe
or a recovery that fails never ends the thread: it is tried again, later.

The clock-free loop is driven by :meth:`EngineWatch.step` in unit tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from spacehost.errors import EngineUnavailable

log = logging.getLogger(__name__)

PROBE_EVERY_S = 2.0  # while the engine answers
RETRY_FIRST_S = 0.2  # while it does not: the first wait, doubled each time ...
RETRY_MAX_S = 0.5  # ... up to this (a refused connection costs nothing)


class EngineWatch:
    """Watches one engine for outages.

    Args:
        probe: a cheap engine call (a ping); raises when the engine does not answer.
        on_back: called on the watch's thread once the engine answers after an outage or a
            :meth:`lost` report; an :class:`EngineUnavailable` from it means the engine went
            away again (the watch keeps looking); any other exception is logged and the
            recovery is tried again after the next probe.
        clock: monotonic seconds (injected by tests).
    """

    def __init__(
        self,
        probe: Callable[[], object],
        on_back: Callable[[], None],
        *,
        every_s: float = PROBE_EVERY_S,
        retry_first_s: float = RETRY_FIRST_S,
        retry_max_s: float = RETRY_MAX_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._on_back = on_back
        self.every_s = every_s
        self.retry_first_s = retry_first_s
        self.retry_max_s = retry_max_s
        self._retry_s = retry_first_s
        self._clock = clock
        self._recovered_at: float | None = None
        self.down = False  # the last probe failed
        self._recover = False  # something was lost: run on_back once the engine answers
        self._guard = threading.Lock()
        self._nudge = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.outages = 0  # how many times the engine was found down (for tests and logs)

    def start(self) -> None:
        """Probe in a daemon thread until :meth:`close`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="engine-watch", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._nudge.set()

    def lost(self) -> None:
        """Something failed for want of the engine: look now, and recover once it answers."""
        with self._guard:
            self._recover = True
        self._nudge.set()

    def step(self) -> float:
        """Probe once (recovering when due); returns the seconds to wait before the next."""
        try:
            self._probe()
        except Exception as exc:  # whatever the client raises: the engine did not answer
            return self._failed(exc)
        with self._guard:
            was_down, due = self.down, self.down or self._recover
            # while a stopping daemon still answers, recoveries fail and report losses at once:
            # at most one recovery every retry_max_s, not a busy loop
            since = (
                self._clock() - self._recovered_at
                if self._recovered_at is not None
                else self.retry_max_s
            )
            if due and since < self.retry_max_s:
                return self.retry_max_s - since
            self.down = self._recover = False
        if due:
            self._recovered_at = self._clock()
            log.info(
                "%s: bringing spaces back",
                "the container engine answers again"
                if was_down
                else "spaces lost their containers",
            )
            try:
                self._on_back()
            except EngineUnavailable as exc:
                self.lost()
                return self._failed(exc)
            except Exception:
                log.exception("bringing spaces back after an engine outage failed; retrying")
                self.lost()
                return self.retry_max_s
        self._retry_s = self.retry_first_s
        return self.every_s

    def _failed(self, exc: Exception) -> float:
        with self._guard:
            first = not self.down
            self.down = True
        if first:
            self.outages += 1
            log.warning("the container engine does not answer (%s); retrying", exc)
        wait, self._retry_s = self._retry_s, min(self.retry_max_s, self._retry_s * 2)
        return wait

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.step()
            if self._nudge.wait(wait):
                self._nudge.clear()
