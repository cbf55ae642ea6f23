"""``GET /api/gpus``: this host's GPUs, the spaces that use them, and the GPU broker's leases
and queue (docs/gpu.md, docs/api.md)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.lifecycle.facade import Facade


async def gpus(request: web.Request) -> web.Response:
    """The GPU status; ``?space=owner/name`` keeps only that space's entries, leases and
    queue. No token needed: it shows what the gallery shows (names, stages) plus GPU use."""
    platform: Facade = request.app[PLATFORM]
    raw = request.query.get("space")
    space = SpaceId.parse(raw) if raw else None  # InvalidSpaceName answers 400
    return web.json_response(await asyncio.to_thread(platform.gpu_status, space))
