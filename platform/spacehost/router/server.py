"""Starting and stopping the router: the platform's only public listener."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from types import TracebackType

from spacehost.errors import SpacehostError
from spacehost.router.activity import REPORT_INTERVAL_S
from spacehost.router.connection import ClientConnection
from spacehost.router.context import RouterContext
from spacehost.settings import Settings

log = logging.getLogger("spacehost.router")

# On close, connections get this long to send what is buffered before they are cut.
CLOSE_GRACE_S = 1.0
BACKLOG = 1024


class Router:
    """A running router.

    Use :func:`start_router` to make one; ``await router.close()`` (or ``async with``) stops it.

    Args:
        server: the listening server.
        ctx: the shared state of its connections.
    """

    def __init__(self, server: asyncio.Server, ctx: RouterContext) -> None:
        self._server = server
        self.ctx = ctx
        self._sweeper = ctx.loop.create_task(self._sweep())
        self._reporter = ctx.loop.create_task(self._report())

    @property
    def port(self) -> int:
        """The TCP port it listens on (the real one when ``Settings.port`` was 0)."""
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """``http://host:port`` of the listener."""
        host = self.ctx.settings.host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.ctx.sweep_interval)
            self.ctx.sweep()

    async def _report(self) -> None:
        while True:
            await asyncio.sleep(REPORT_INTERVAL_S)
            self.ctx.activity.report()

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening and close every client and upstream connection."""
        for task in (self._sweeper, self._reporter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.ctx.activity.report()
        self._server.close()
        for conn in list(self.ctx.connections):
            conn.close()
        self.ctx.pool.close()
        await self._until_closed(CLOSE_GRACE_S)
        for conn in list(self.ctx.connections):
            conn.abort()
        await self._until_closed(CLOSE_GRACE_S)
        await self._server.wait_closed()

    async def _until_closed(self, timeout: float) -> None:
        # Transports report connection_lost on a later loop iteration; give them that long.
        deadline = self.ctx.loop.time() + timeout
        while self.ctx.connections and self.ctx.loop.time() < deadline:
            await asyncio.sleep(0.01)

    async def __aenter__(self) -> Router:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def start_router(settings: Settings) -> Router:
    """Start listening on ``settings.host:settings.port`` on the running event loop.

    Args:
        settings: host, port (0 for a free one), domain, data dir (route table and control
            socket) and public URL.

    Returns:
        The running :class:`Router`.

    Raises:
        SpacehostError: when the address cannot be bound (in use, not local, no permission).
    """
    loop = asyncio.get_running_loop()
    ctx = RouterContext(loop, settings)
    ctx.routes.refresh()
    try:
        server = await loop.create_server(
            lambda: ClientConnection(ctx),
            settings.host,
            settings.port,
            reuse_address=True,
            backlog=BACKLOG,
        )
    except OSError as exc:
        raise SpacehostError(
            f"the router cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}",
            hint="choose another --port/--host, or stop what listens there",
        ) from exc
    # its report of use is named by the port it got (settings.port may be 0: any free one)
    ctx.activity.path = settings.router_activity_file(server.sockets[0].getsockname()[1])
    router = Router(server, ctx)
    log.info("router listening on %s (domain %s)", router.url, settings.domain)
    return router


async def _serve(settings: Settings) -> None:
    router = await start_router(settings)
    # Everything imported so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise rescan it while requests churn young objects.
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await router.close()


def serve(settings: Settings) -> None:
    """Run the router until SIGTERM or SIGINT, on uvloop when it is installed.

    Args:
        settings: see :func:`start_router`.

    Raises:
        SpacehostError: when the address cannot be bound.
    """
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(settings))
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(settings))
