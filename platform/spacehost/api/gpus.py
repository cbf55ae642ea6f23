"""``GET /api/gpus``: this host's GPUs, the spaces that use them, and the GPU broker's leases
and queue (docs/gpu.md, docs/api.md)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.identity import Kind
from spacehost.lifecycle.facade import Facade

_BROKER_LISTS = ("leases", "queue", "history")


async def gpus(request: web.Request) -> web.Response:
    """The GPU status; ``?space=owner/name`` keeps only that space's entries, leases and
    queue. No token needed: it shows what the gallery shows (names, stages) plus GPU use, so a
    private space is named only to those who may read it."""
    platform: Facade = request.app[PLATFORM]
    raw = request.query.get("space")
    space = SpaceId.parse(raw) if raw else None  # InvalidSpaceName answers 400
    status = await asyncio.to_thread(platform.gpu_status, space)
    private = await asyncio.to_thread(access.accounts(request).private_repos, Kind.SPACE.value)
    hidden = set(private) - set(access.visible(request, Kind.SPACE, sorted(private)))
    return web.json_response(without_spaces(status, hidden) if hidden else status)


def without_spaces(status: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """*status* with the spaces in *hidden* left out (a GPU process of one names no space)."""
    gpus = [
        {
            **gpu,
            "processes": [
                {**p, "space": None if p.get("space") in hidden else p.get("space")}
                for p in gpu.get("processes", [])
            ],
            "spaces": [s for s in gpu.get("spaces", []) if s not in hidden],
        }
        for gpu in status.get("gpus", [])
    ]
    spaces = [s for s in status.get("spaces", []) if s.get("space") not in hidden]
    broker = status.get("broker")
    if broker is not None:
        broker = {
            **broker,
            **{
                key: [x for x in broker.get(key, []) if x.get("space") not in hidden]
                for key in _BROKER_LISTS
                if key in broker
            },
        }
    holders = {
        gpu: ["a private space" if w.partition(" ")[2] in hidden else w for w in who]
        for gpu, who in status.get("holders", {}).items()
    }
    return {**status, "gpus": gpus, "spaces": spaces, "broker": broker, "holders": holders}
