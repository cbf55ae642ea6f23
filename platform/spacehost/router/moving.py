"""Holding a request whose space's machine stopped answering, until the space has moved.

A space on a Swarm node whose engine died keeps its route for the second or two its control
plane takes to notice (lifecycle/node_loss.py): a request routed there meanwhile finds its
connection refused (or not accepted). For a route the control plane watches
(``RouteEntry.watched``), nothing was sent, so the router holds the request, as during a wake,
until the route no longer names that upstream — the space is starting elsewhere (the status
page, or a held wake), or serves from its new address — and then goes where the route says.
Only when the route does not change within :data:`MOVE_WAIT_S` is the answer a 502.
"""

from __future__ import annotations

from spacehost.router.route_watch import route_looks
from spacehost.router.routes_file import RoutesFile
from spacehost.router.table import is_live

MOVE_WAIT_S = 10.0  # the control plane looks once a second; this allows for a loaded machine
POLL_S = 0.05


def watched(routes: RoutesFile, space: str, upstream: str) -> bool:
    """Whether *space*'s route names *upstream* and its control plane watches it."""
    entry = routes.table.by_space.get(space)
    return entry is not None and entry.watched and upstream in entry.upstreams


async def until_moved(
    routes: RoutesFile, space: str, failed: str, deadline_s: float = MOVE_WAIT_S
) -> bool:
    """Wait until *space*'s route no longer sends requests to *failed* (``host:port``).

    Returns:
        True when it changed (another upstream, not live, or gone), False when *deadline_s*
        passed first.
    """
    async for entry in route_looks(routes, space, deadline_s, POLL_S):
        if entry is None or not is_live(entry) or failed not in entry.upstreams:
            return True
    return False
