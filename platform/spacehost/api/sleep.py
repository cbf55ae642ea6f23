"""Sleep time, wake and pause of a space (docs/sleep.md)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from spacehost.api.secrets import _body, _platform, _space_id
from spacehost.appkeys import PLATFORM


async def set_sleeptime(request: web.Request) -> web.Response:
    """``POST .../sleeptime {"seconds": N}`` (-1: never sleep), as on Hugging Face; answers
    the runtime with its new ``gcTimeout``."""
    platform, space = _platform(request), _space_id(request)
    body = await _body(request)
    await asyncio.to_thread(platform.set_sleep_time, space, body.get("seconds"))
    return web.json_response(await asyncio.to_thread(platform.runtime_info, space))


async def wake(request: web.Request) -> web.Response:
    """``POST .../wake``: wake a sleeping space in the background (what a visit does; the
    router calls it). ``waking`` is false when the space does not sleep."""
    platform, space = _platform(request), _space_id(request)
    waking = await asyncio.to_thread(platform.wake, space)
    return web.json_response({"id": str(space), "waking": waking}, status=202 if waking else 200)


async def pause(request: web.Request) -> web.Response:
    """``POST .../pause``: stop the space until an explicit restart (stage PAUSED)."""
    platform, space = _platform(request), _space_id(request)
    await asyncio.to_thread(platform.pause, space)
    return web.json_response(await asyncio.to_thread(platform.runtime_info, space))


async def start_sleeper(app: web.Application) -> None:
    """Start the idle loop, and the watch on replicated spaces' endpoints, with the control
    plane (stopped with the platform)."""
    app[PLATFORM].sleeper.start()
    app[PLATFORM].replica_routes.start()
