"""Waiting for a space's app to answer: APP_STARTING ends with the first HTTP answer on ``/``
that is not a server error.

As on Hugging Face, a space is up when its app answers on its port: an API-only app (a FastAPI
backend whose ``/`` is a 404) runs; a 5xx (an app still loading behind its server, a proxy
without its upstream) is not up yet.
"""

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


def answers(status: int | None) -> bool:
    """Whether a ``GET /`` status means the app is up: any answer but a server error."""
    return status is not None and status < 500


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
    """Poll the container until ``/`` :func:`answers`, it stops running, or *deadline_s* passes.

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
        if info.host and info.port and answers(probe(f"{info.host}:{info.port}")):
            return HealthResult(True, info)
        if clock() >= end:
            return HealthResult(False, info, "timeout")
        if cancelled():
            return HealthResult(False, info, "cancelled")
        pause(interval_s)
        info = inspect()
