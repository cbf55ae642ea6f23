"""State shared by every client connection of one router: routes, pool, settings-derived facts."""

from __future__ import annotations

import asyncio
from typing import Protocol

from spacehost.router.match import Match, match_request
from spacehost.router.routes_file import RoutesFile
from spacehost.router.table import Upstream, parse_upstream
from spacehost.router.upstream import UpstreamPool
from spacehost.settings import Settings

# A keep-alive client connection may stay idle (or send its head) this long, as nginx's default.
CLIENT_IDLE_TIMEOUT_S = 75.0


class Closable(Protocol):
    idle_since: float | None

    def close(self) -> None: ...

    def abort(self) -> None: ...


class RouterContext:
    """What connections share.

    Args:
        loop: the event loop the router runs on.
        settings: the platform settings (domain, data dir, public URL).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, settings: Settings) -> None:
        self.loop = loop
        self.settings = settings
        self.routes = RoutesFile(settings.routes_file, loop.time)
        self.pool = UpstreamPool(loop)
        self.domain = settings.domain
        # Behind a TLS terminator the public URL says https; the router itself speaks plain HTTP.
        self.proto = "https" if settings.public_url.startswith("https://") else "http"
        self.control = Upstream("", 0, str(settings.control_socket))
        self.connections: set[Closable] = set()
        self.idle_timeout = CLIENT_IDLE_TIMEOUT_S
        self._upstreams: dict[str, Upstream] = {}

    def route(self, host: str, target: str) -> Match:
        """Match a request against the current route table."""
        return match_request(host, target, self.routes.current(), self.domain)

    def upstream(self, text: str) -> Upstream:
        """The parsed form of an entry's ``upstream`` (validated when the table was loaded)."""
        up = self._upstreams.get(text)
        if up is None:
            up = self._upstreams[text] = parse_upstream(text)
        return up

    def sweep(self) -> None:
        """Close idle upstream connections and client connections idle for too long."""
        self.pool.sweep()
        deadline = self.loop.time() - self.idle_timeout
        for conn in [c for c in self.connections if c.idle_since is not None]:
            if conn.idle_since is not None and conn.idle_since < deadline:
                conn.close()
