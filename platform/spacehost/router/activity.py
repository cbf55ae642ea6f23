"""What the router tells the control plane about use: per space, the time of its last request
and how many streaming or tunnelled connections (SSE responses, websockets) it holds open.

The lifecycle's idle loop (:mod:`spacehost.lifecycle.sleep`) reads the file (its format:
:mod:`spacehost.activityfile`); the router writes it atomically, at most every
:data:`REPORT_INTERVAL_S`, and only when something changed (an open connection is activity now,
so a space holding one is reported each time).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from spacehost.activityfile import Activity, write_activity

log = logging.getLogger("spacehost.router")

REPORT_INTERVAL_S = 1.0


# Streams an open page holds without anyone using the space: Gradio's reload stream (every
# Gradio space runs under its reload watcher for hot reload: docs/pushing.md#hot-reload)
IDLE_STREAMS = ("/gradio_api/dev/reload", "/dev/reload")


def is_idle_stream(target: str) -> bool:
    """Whether the request-target (as sent to the space) is a stream that is not use."""
    return target.partition("?")[0] in IDLE_STREAMS


class ActivityRecorder:
    """Counts requests and open connections per space; :meth:`report` writes them out.

    Args:
        path: this router's activity file (``Settings.router_activity_file``).
        clock: wall-clock seconds (the control plane compares them with its own clock).
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self.last: dict[str, float] = {}
        self.open: dict[str, int] = {}
        self._dirty = False

    def touch(self, space: str) -> None:
        """A request for *space* arrived (whatever answers it)."""
        self.last[space] = self._clock()
        self._dirty = True

    def opened(self, space: str) -> None:
        """*space* now holds one more streaming or tunnelled connection."""
        self.open[space] = self.open.get(space, 0) + 1
        self.touch(space)

    def closed(self, space: str) -> None:
        """One of *space*'s open connections ended."""
        n = self.open.get(space, 0) - 1
        if n > 0:
            self.open[space] = n
        else:
            self.open.pop(space, None)
        self.touch(space)

    def snapshot(self) -> dict[str, Activity]:
        """The report: an open connection makes its space active now."""
        now = self._clock()
        for space in self.open:
            self.last[space] = now
        return {s: Activity(t, self.open.get(s, 0)) for s, t in self.last.items()}

    def report(self) -> bool:
        """Write the file if anything changed since the last write; True when written."""
        if not (self._dirty or self.open):
            return False
        self._dirty = False
        try:
            write_activity(self.path, self.snapshot())
        except OSError as exc:
            log.warning("cannot write %s: %s", self.path, exc)
            return False
        return True
