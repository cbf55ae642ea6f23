"""Automatic restarts of crashed spaces, with exponential backoff.

A space whose container stops while RUNNING is restarted after ``initial`` seconds, then
``2*initial``, ``4*initial`` ... up to ``max`` for each further crash in a row. A run that
stays up for ``reset`` seconds ends the sequence: its next crash waits ``initial`` again. An
explicit restart, push or delete cancels a pending restart. The clock and the timer are
injected so tests can drive time by hand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from spacehost.domain import SpaceId


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Timer(Protocol):
    """Calls *fn* once after *delay* seconds, unless the handle it returns is cancelled."""

    def __call__(self, delay: float, fn: Callable[[], None]) -> Cancellable: ...


def thread_timer(delay: float, fn: Callable[[], None]) -> Cancellable:
    """The real :class:`Timer`: a daemon ``threading.Timer``."""
    t = threading.Timer(delay, fn)
    t.daemon = True
    t.start()
    return t


@dataclass(frozen=True)
class Backoff:
    """The schedule: ``delay(n)`` is the wait before restart number *n* (0-based)."""

    initial_s: float = 1.0
    max_s: float = 60.0
    reset_s: float = 120.0

    def delay(self, attempt: int) -> float:
        # capped before the power grows without bound
        return float(min(self.max_s, self.initial_s * 2 ** min(attempt, 62)))


@dataclass
class _State:
    crashes: int = 0  # crashes in a row
    live_since: float | None = None
    pending: Cancellable | None = None
    token: object = field(default_factory=object)


class CrashRestarts:
    """Schedules restarts of crashed spaces.

    Args:
        backoff: the schedule.
        restart: called (on the timer's thread) with the space and the crash count when its
            wait is over.
        clock: monotonic seconds.
        timer: schedules a call (:func:`thread_timer`).
    """

    def __init__(
        self,
        backoff: Backoff,
        restart: Callable[[SpaceId, int], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        timer: Timer = thread_timer,
    ):
        self.backoff = backoff
        self._restart = restart
        self._clock = clock
        self._timer = timer
        self._lock = threading.Lock()
        self._states: dict[SpaceId, _State] = {}

    def went_live(self, space: SpaceId) -> None:
        """The space has a healthy container since now."""
        with self._lock:
            self._states.setdefault(space, _State()).live_since = self._clock()

    def crashed(self, space: SpaceId) -> float:
        """The space's container stopped while running: schedule its restart; returns the
        wait in seconds."""
        with self._lock:
            st = self._states.setdefault(space, _State())
            if st.live_since is not None and self._clock() - st.live_since >= self.backoff.reset_s:
                st.crashes = 0  # it ran healthy long enough: this is a new sequence
            st.live_since = None
            return self._schedule(space, st)

    def start_failed(self, space: SpaceId) -> float | None:
        """A start failed. If it was an automatic restart, schedule the next one (returns its
        wait); otherwise None: a failed explicit start stays failed."""
        with self._lock:
            st = self._states.get(space)
            if st is None or st.crashes == 0 or st.pending is not None:
                return None
            return self._schedule(space, st)

    def _schedule(self, space: SpaceId, st: _State) -> float:
        if st.pending is not None:
            st.pending.cancel()
        delay = self.backoff.delay(st.crashes)
        st.crashes += 1
        token = st.token = object()
        st.pending = self._timer(delay, lambda: self._fire(space, token))
        return delay

    def _fire(self, space: SpaceId, token: object) -> None:
        with self._lock:
            st = self._states.get(space)
            if st is None or st.token is not token or st.pending is None:
                return  # cancelled after the timer had already started to fire
            st.pending = None
            crashes = st.crashes
        self._restart(space, crashes)

    def pending(self, space: SpaceId) -> bool:
        with self._lock:
            st = self._states.get(space)
            return st is not None and st.pending is not None

    def crashes(self, space: SpaceId) -> int:
        """Crashes in a row of *space* (0 when it is not crash-looping)."""
        with self._lock:
            st = self._states.get(space)
            return st.crashes if st else 0

    def cancel(self, space: SpaceId) -> None:
        """Forget *space*'s crashes and cancel its pending restart."""
        with self._lock:
            st = self._states.pop(space, None)
        if st is not None and st.pending is not None:
            st.pending.cancel()

    def close(self) -> None:
        with self._lock:
            states, self._states = list(self._states.values()), {}
        for st in states:
            if st.pending is not None:
                st.pending.cancel()
