"""State shared by every client connection of one router: routes, pool, settings-derived facts."""

from __future__ import annotations

import asyncio
import ipaddress
import os
from typing import Protocol

from spacehost.hosts import subdomain_label
from spacehost.router.access import SpaceAccess, control_check
from spacehost.router.activity import ActivityRecorder
from spacehost.router.match import Match, is_page_host, match_host, match_path
from spacehost.router.replicas import Replicas
from spacehost.router.routes_file import RoutesFile
from spacehost.router.table import RouteEntry, RouteTable, Upstream, is_live
from spacehost.router.upstream import UpstreamPool
from spacehost.router.wake import Waker
from spacehost.settings import Settings

# Host header values whose match is remembered until the table changes.
HOST_CACHE_SIZE = 1024


def is_loopback(host: str) -> bool:
    """True for a listen address only this machine reaches."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Closable(Protocol):
    def check_timeouts(self, now: float) -> None: ...

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
        self.replicas = Replicas(loop.time)
        self.domain = settings.domain
        # Behind a TLS terminator the public URL says https; the router itself speaks plain HTTP.
        self.proto = "https" if settings.public_url.startswith("https://") else "http"
        # where users of a platform that listens on loopback only sign in (router/bounce.py)
        self.local_base = settings.base_url if is_loopback(settings.host) else ""
        self.control = Upstream("", 0, str(settings.control_socket))
        # The control plane hands off files under here only (spacehost.handoff).
        self.handoff_root = os.path.join(os.path.realpath(settings.hub_dir), "")
        self.activity = ActivityRecorder(settings.router_activity_file(settings.port))
        self.waker = Waker(str(settings.control_socket), self.routes)
        self.access = SpaceAccess(control_check(str(settings.control_socket)), loop.time)
        self.connections: set[Closable] = set()
        # client timeouts (docs/router.md#timeouts), seconds
        self.idle_timeout = settings.keepalive_timeout_s
        self.header_timeout = settings.header_timeout_s
        self.header_idle = settings.header_idle_s
        self.body_idle = settings.body_idle_s
        self._table: RouteTable | None = None
        self._hosts: dict[str, RouteEntry | None] = {}
        self._page_hosts: dict[str, bool] = {}

    def route(self, host: str, target: str) -> Match:
        """Match a request against the current route table.

        The same as :func:`spacehost.router.match.match_request`, with the host lookup cached
        (the same few hosts come again and again) until the table changes. A request for a space
        that is unknown or not live re-checks the file at once: the control plane publishes a
        route before it reports a space RUNNING, so a client told RUNNING is never sent to a
        status page by a table up to one check interval old.
        """
        found = self._route(host, target)
        if found.entry is None and found.space is not None and self.routes.check_now():
            found = self._route(host, target)
        return found

    def _route(self, host: str, target: str) -> Match:
        table = self.routes.current()
        if table is not self._table:
            self._table = table
            self._hosts.clear()
        if host and self._is_page_host(host):
            return Match(None, target)  # the control plane's pages only, never an app
        try:
            entry = self._hosts[host]
        except KeyError:
            if len(self._hosts) >= HOST_CACHE_SIZE:
                self._hosts.clear()
            entry = self._hosts[host] = match_host(host, table, self.domain) if host else None
        if entry is None:
            label = subdomain_label(host, self.domain) if host else None
            # an unknown space host is a 404 of that host, whatever the path
            return Match(None, target, space=label) if label else match_path(target, table)
        if is_live(entry):
            return Match(entry, target)
        return Match(None, target, space=entry.space)

    def _is_page_host(self, host: str) -> bool:
        try:
            return self._page_hosts[host]
        except KeyError:
            if len(self._page_hosts) >= HOST_CACHE_SIZE:
                self._page_hosts.clear()
            page = self._page_hosts[host] = is_page_host(host, self.domain)
            return page

    def addressed(self, m: Match) -> RouteEntry | None:
        """The entry of the space *m* is for (live or not), or None for the control plane's own
        requests and unknown spaces."""
        if m.entry is not None:
            return m.entry
        return self.routes.table.by_space.get(m.space) if m.space else None

    def as_unknown(self, host: str, target: str, space: str) -> Match:
        """The match of a request for *space* when that space did not exist: what a request
        the router will not serve to its visitor becomes (a private space, access denied), so
        that nothing tells it from a request for a space that is not there."""
        label = subdomain_label(host, self.domain) if host else None
        return Match(None, target, space=label or space)

    def is_unknown_host(self, host: str, m: Match) -> bool:
        """True when *m* sends a request for a space host (``{label}.{domain}``) to the control
        plane as a host no space has (:meth:`as_unknown` included)."""
        return (
            m.entry is None
            and m.space is not None
            and bool(host)
            and m.space == subdomain_label(host, self.domain)
        )

    def asleep(self, space: str) -> RouteEntry | None:
        """*space*'s entry when it sleeps (a request wakes it), else None."""
        entry = self.routes.table.by_space.get(space)
        return entry if entry is not None and entry.asleep else None

    @property
    def sweep_interval(self) -> float:
        """How often :meth:`sweep` runs: often enough that a timeout fires at most a quarter
        late (and at least every 2 s)."""
        shortest = min(self.idle_timeout, self.header_timeout, self.header_idle, self.body_idle)
        return max(0.02, min(2.0, shortest / 4))

    def sweep(self) -> None:
        """Close idle upstream connections, and client connections that kept the router
        waiting too long (idle, or a request head or body that does not arrive)."""
        self.pool.sweep()
        now = self.loop.time()
        for conn in list(self.connections):
            conn.check_timeouts(now)
