"""An aiohttp application served on a real loopback port from a thread of its own, for clients
that must reach it over TCP from other processes (huggingface_hub, hf_xet)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from aiohttp import web

from tests.support.polling import wait_for


@contextlib.contextmanager
def served(app: web.Application) -> Iterator[str]:
    """Serve *app* on ``127.0.0.1`` (a free port) until the block ends; yields its base URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    ports: list[int] = []
    stop = asyncio.Event()

    async def serve() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        ports.append(int(runner.addresses[0][1]))
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    wait_for(lambda: bool(ports), timeout=30)
    try:
        yield f"http://127.0.0.1:{ports[0]}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
