"""Watching one space's route while a request is held: the entry, freshly read from the route
table, every poll until a deadline. A held request's wait reads it and decides when to stop
(router/wake.py: until the space is live; router/moving.py: until the route has moved)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from spacehost.router.routes_file import RoutesFile
from spacehost.router.table import RouteEntry


async def route_looks(
    routes: RoutesFile, space: str, deadline_s: float, poll_s: float
) -> AsyncIterator[RouteEntry | None]:
    """*space*'s route entry (None: it has none), checked against the file first, every
    *poll_s* seconds until *deadline_s* passed; the caller stops reading when it has seen
    enough."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while loop.time() < end:
        routes.check_now()
        yield routes.table.by_space.get(space)
        await asyncio.sleep(poll_s)
