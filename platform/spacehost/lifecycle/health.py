"""Waiting for a space's app to answer: APP_STARTING ends with the first 200 on ``/``."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass

from spacehost.runtime.base import ContainerInfo


@dataclass(frozen=True)
class HealthResult:
    healthy: bool
    info: ContainerInfo | None  # the container's last state (None when it vanished)
    reason: str = ""  # why not healthy: "exited", "timeout", "gone"


def http_status(upstream: str, path: str = "/", timeout: float = 2.0) -> int | None:
    """The status of ``GET path`` at ``host:port``; None when nothing answers."""
    host, _, port = upstream.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "spacehost-health"})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_healthy(
    inspect: Callable[[], ContainerInfo | None],
    *,
    deadline_s: float,
    interval_s: float = 0.2,
    probe: Callable[[str], int | None] = http_status,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
    cancelled: Callable[[], bool] = lambda: False,
) -> HealthResult:
    """Poll the container until ``/`` answers 200, it stops running, or *deadline_s* passes.

    Args:
        inspect: returns the container's current state.
        deadline_s: seconds to wait at most (the space's startup_duration_timeout).
        probe: returns the HTTP status of ``GET /`` at an upstream (injected for tests).
    """
    end = clock() + deadline_s
    info = inspect()
    while True:
        if info is None:
            return HealthResult(False, None, "gone")
        if not info.is_running:
            return HealthResult(False, info, "exited")
        if info.host and info.port and probe(f"{info.host}:{info.port}") == 200:
            return HealthResult(True, info)
        if clock() >= end:
            return HealthResult(False, info, "timeout")
        if cancelled():
            return HealthResult(False, info, "cancelled")
        pause(interval_s)
        info = inspect()
