"""Connections to upstreams (space containers, the control plane) and their keep-alive pool.

An :class:`UpstreamConnection` parses responses with ``httptools`` and hands each parser event to
its current listener (the exchange using it); after an upgrade (101) it only splices bytes to the
client. Idle connections wait in the :class:`UpstreamPool`, at most :data:`MAX_IDLE` per upstream
and for at most :data:`IDLE_TIMEOUT_S` (below uvicorn's default keep-alive of 5 s, so the router
rarely picks a connection the app is closing).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol, cast

import httptools

from spacehost.router.table import Upstream

log = logging.getLogger("spacehost.router")

CONNECT_TIMEOUT_S = 5.0
# A space is untrusted code: a response head larger than this is refused (the parser has no limit).
MAX_RESPONSE_HEAD_BYTES = 256 * 1024
IDLE_TIMEOUT_S = 4.0
MAX_IDLE = 64


class UpstreamListener(Protocol):
    """What an exchange answers to while it uses an :class:`UpstreamConnection`."""

    def on_response_head(
        self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], keep_alive: bool
    ) -> None: ...

    def on_response_body(self, body: bytes) -> None: ...

    def on_response_end(self) -> None: ...

    def on_upgraded(self, tail: bytes) -> None: ...

    def after_feed(self) -> None: ...

    def on_upstream_invalid(self) -> None: ...

    def on_upstream_lost(self, conn: UpstreamConnection) -> None: ...

    def pause_source(self) -> None: ...

    def resume_source(self) -> None: ...


class UpstreamConnection(asyncio.Protocol):
    """One HTTP/1.1 connection to an upstream.

    Args:
        pool: the pool it returns to when idle.
        key: the upstream's pool key.
    """

    def __init__(self, pool: UpstreamPool, key: str) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.listener: UpstreamListener | None = None
        self.tunnel: asyncio.Transport | None = None
        self.parser: Any = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.reason = b""
        self.head_size = 0
        self.received = False
        self.reused = False
        self.closed = False
        # a final response ended; a message starting after it (in the same read) means the
        # upstream sent more than it was asked for: never reuse the connection
        self.complete = False
        self.extra = False
        self.idle_since = 0.0
        self.reading_paused = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.tunnel is not None:
            self.tunnel.close()
        self.pool.forget(self)
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.on_upstream_lost(self)

    def eof_received(self) -> bool:
        return False

    def data_received(self, data: bytes) -> None:
        if self.tunnel is not None:
            self.tunnel.write(data)
            return
        listener = self.listener
        if listener is None:
            # Bytes while idle break the request/response pairing: never reuse this one.
            self.close()
            return
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            listener.on_upgraded(data[int(exc.args[0]) :])
            return
        except httptools.HttpParserError as exc:
            log.warning("invalid response from upstream %s: %s", self.key, exc.__context__ or exc)
            listener.on_upstream_invalid()
            return
        listener.after_feed()

    def pause_writing(self) -> None:
        if self.tunnel is not None:
            self.tunnel.pause_reading()
        elif self.listener is not None:
            self.listener.pause_source()

    def resume_writing(self) -> None:
        if self.tunnel is not None:
            self.tunnel.resume_reading()
        elif self.listener is not None:
            self.listener.resume_source()

    # httptools callbacks

    def on_message_begin(self) -> None:
        # on_headers_complete resets the head
        if self.complete:
            self.extra = True

    def on_status(self, status: bytes) -> None:
        self.reason += status
        self.head_size += len(status)
        if self.head_size > MAX_RESPONSE_HEAD_BYTES:
            raise ValueError(f"response status line from {self.key} is too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))
        self.head_size += len(name) + len(value) + 4
        if self.head_size > MAX_RESPONSE_HEAD_BYTES:
            raise ValueError(f"response head from {self.key} exceeds {MAX_RESPONSE_HEAD_BYTES}")

    def on_headers_complete(self) -> None:
        headers, reason = self.headers, self.reason
        self.headers, self.reason, self.head_size = [], b"", 0
        if self.listener is not None:
            self.listener.on_response_head(
                self.parser.get_status_code(), reason, headers, self.parser.should_keep_alive()
            )

    def on_body(self, body: bytes) -> None:
        if self.listener is not None:
            self.listener.on_response_body(body)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() >= 200:
            self.complete = True
        if self.listener is not None:
            self.listener.on_response_end()

    # used by exchanges

    def write(self, data: bytes) -> None:
        """Send *data* to the upstream."""
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def reset_parser(self) -> None:
        """Start a fresh parser: after a HEAD response, whose ``Content-Length`` the parser would
        otherwise wait to read a body for."""
        self.parser = httptools.HttpResponseParser(self)

    def pause_reading(self) -> None:
        if self.transport is not None and not self.reading_paused and not self.closed:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and self.reading_paused and not self.closed:
            self.reading_paused = False
            self.transport.resume_reading()

    def start_tunnel(self, client: asyncio.Transport) -> None:
        """From now on, copy every byte from the upstream to *client* (after a 101)."""
        self.listener = None
        self.tunnel = client
        self.resume_reading()

    def close(self) -> None:
        """Close the connection (it is not reused)."""
        self.listener = None
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        self.pool.forget(self)


class UpstreamPool:
    """Idle keep-alive connections, per upstream.

    Args:
        loop: the event loop.
        connect_timeout: seconds to wait for a new connection.
        idle_timeout: seconds an idle connection may wait for reuse.
        max_idle: idle connections kept per upstream.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        idle_timeout: float = IDLE_TIMEOUT_S,
        max_idle: int = MAX_IDLE,
    ) -> None:
        self._loop = loop
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.max_idle = max_idle
        self._idle: dict[str, list[UpstreamConnection]] = {}
        self._all: set[UpstreamConnection] = set()

    def take(self, upstream: Upstream) -> UpstreamConnection | None:
        """An idle connection to *upstream*, or None when there is none fresh enough."""
        idle = self._idle.get(upstream.key)
        if not idle:
            return None
        deadline = self._loop.time() - self.idle_timeout
        while idle:
            conn = idle.pop()
            if conn.idle_since >= deadline and not conn.closed:
                conn.reused = True
                conn.received = conn.complete = False
                return conn
            conn.close()
        return None

    def put(self, conn: UpstreamConnection) -> None:
        """Return *conn*, whose last exchange ended on a message boundary both ways, for reuse
        (or close it if the pool is full or the upstream sent more than one response)."""
        conn.listener = None
        idle = self._idle.get(conn.key)
        if idle is None:
            idle = self._idle[conn.key] = []
        if conn.closed or conn.extra or len(idle) >= self.max_idle:
            conn.close()
            return
        if conn.reading_paused:
            conn.resume_reading()
        conn.idle_since = self._loop.time()
        idle.append(conn)

    def forget(self, conn: UpstreamConnection) -> None:
        """Drop *conn* from the pool (it closed)."""
        self._all.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    async def connect(self, upstream: Upstream) -> UpstreamConnection:
        """Open a new connection to *upstream*.

        Args:
            upstream: where to connect.

        Returns:
            The connected :class:`UpstreamConnection`, not in the idle list.

        Raises:
            TimeoutError: no connection within ``connect_timeout``.
            OSError: the upstream refused or is unreachable (for a Unix socket: missing).
        """
        key = upstream.key

        def factory() -> UpstreamConnection:
            return UpstreamConnection(self, key)

        async with asyncio.timeout(self.connect_timeout):
            if upstream.unix_path:
                _, conn = await self._loop.create_unix_connection(factory, upstream.unix_path)
            else:
                _, conn = await self._loop.create_connection(factory, upstream.host, upstream.port)
        self._all.add(conn)
        return conn

    def sweep(self) -> None:
        """Close idle connections that waited longer than ``idle_timeout``."""
        deadline = self._loop.time() - self.idle_timeout
        for idle in self._idle.values():
            for conn in [c for c in idle if c.idle_since < deadline]:
                conn.close()

    def close(self) -> None:
        """Close every connection, idle or not."""
        for conn in list(self._all):
            conn.close()
        self._idle.clear()
