"""Waking a sleeping space from the router: one wake call per space to the control plane, and
the wait (polling the route table) until the space is live again.

The control plane keeps one wake in flight per space anyway; the router also shares the call
between the requests that arrive while it is under way, so a burst of N requests costs one.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from spacehost.router.controlcall import CALL_TIMEOUT_S, control_status
from spacehost.router.route_watch import route_looks
from spacehost.router.routes_file import RoutesFile
from spacehost.router.table import RouteEntry, is_live

POLL_S = 0.02  # how often a held request looks at the route table
WAKING_STAGES = frozenset({"SLEEPING", "APP_STARTING"})


async def post_wake(socket_path: str, space: str, timeout: float = CALL_TIMEOUT_S) -> int:
    """``POST /api/spaces/{space}/wake`` on the control plane's Unix socket; the status, or 0
    when the control plane cannot be reached. The router names the space in
    ``X-Spacehost-Space`` (a header no client can send): it has already let this visitor into a
    private space, so the control plane wakes it without credentials (server/visibility.py)."""
    owner, _, name = space.partition("/")
    target = f"/api/spaces/{quote(owner)}/{quote(name)}/wake"
    vouch = f"x-spacehost-space: {quote(owner)}/{quote(name)}\r\n".encode("latin-1")
    return await control_status(socket_path, "POST", target, vouch, timeout=timeout)


class Waker:
    """One wake call at a time per space.

    Args:
        socket_path: the control plane's Unix socket.
        routes: the route table the held requests watch.
    """

    def __init__(self, socket_path: str, routes: RoutesFile) -> None:
        self.socket_path = socket_path
        self.routes = routes
        self._calls: dict[str, asyncio.Task[int]] = {}
        self.calls = 0  # wake calls made (for tests and benchmarks)

    def wake(self, space: str) -> asyncio.Task[int]:
        """Ask the control plane to wake *space*, unless a call for it is under way."""
        task = self._calls.get(space)
        if task is None or task.done():
            self.calls += 1
            task = asyncio.get_running_loop().create_task(post_wake(self.socket_path, space))
            self._calls[space] = task
        return task

    def _failed(self, space: str) -> bool:
        task = self._calls.get(space)
        return task is not None and task.done() and (task.cancelled() or task.result() == 0)

    async def until_awake(self, space: str, deadline_s: float) -> RouteEntry | None:
        """Wake *space* and wait until its route is live: the live entry, or None when it
        stopped waking (an error, a pause) or its startup timeout passed (the space's own
        ``startup_duration_timeout`` when its route has one, else *deadline_s*)."""
        self.wake(space)
        known = self.routes.table.by_space.get(space)
        wait_s = known.startup_timeout if known and known.startup_timeout else deadline_s
        async for entry in route_looks(self.routes, space, wait_s, POLL_S):
            if entry is None:
                return None
            if is_live(entry):
                return entry
            if entry.stage not in WAKING_STAGES:
                return None
            if entry.asleep and self._failed(space):
                self.wake(space)  # the control plane was not there (restarting): ask again
        return None
