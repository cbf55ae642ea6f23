"""A daemon thread that calls one function every period until it is closed.

The platform's periodic work runs on it: the idle sleeper (lifecycle/sleep.py), the scheduled
jobs (lifecycle/jobschedule.py) and the replica routes with the node-loss check
(lifecycle/replica_routes.py). The first call comes one period after :meth:`Ticker.start`; an
exception from one call is logged and the next call comes as planned, so one bad tick never
ends the thread. Standard library only, so every layer may use it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

_log = logging.getLogger(__name__)

CLOSE_WAIT_S = 5.0  # how long close() waits for a call in progress to end


class Ticker:
    """Calls *tick* every *period_s* seconds in a daemon thread named *name*.

    Args:
        tick: the periodic work; what it returns is ignored.
        period_s: seconds from the end of one call to the start of the next.
        name: the thread's name.
        failed: the message logged (with the traceback) when *tick* raises.
        log: the logger to log it on (the caller's, so its records keep their origin).
    """

    def __init__(
        self,
        tick: Callable[[], object],
        period_s: float,
        *,
        name: str,
        failed: str,
        log: logging.Logger = _log,
    ) -> None:
        self._tick = tick
        self.period_s = period_s
        self.name = name
        self._failed = failed
        self._log = log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once: a second call does nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def close(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Stop: no call starts after this; waits up to *wait_s* for one in progress."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait_s)

    def wait(self, seconds: float) -> bool:
        """Wait *seconds*, less once closed (a tick's own pause that close must cut short);
        True when closed."""
        return self._stop.wait(seconds)

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self._tick()
            except Exception:  # the thread must outlive one bad tick
                self._log.exception(self._failed)
