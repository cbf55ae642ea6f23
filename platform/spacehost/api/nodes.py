"""``/api/nodes`` (platform admins): the machines spaces run on, their resources and what runs
on each; drain a node (its spaces move to the others) or take it back (docs/cluster.md,
runtime/nodes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from spacehost import access
from spacehost.appkeys import NODES
from spacehost.identity import Action, Actor, Kind, Resource


async def _admin(request: web.Request) -> Actor:
    return await access.require(request, Action.ADMIN, Resource(Kind.NAMESPACE, "*"))


async def list_nodes(request: web.Request) -> web.Response:
    """``GET /api/nodes``: ``{"backend": "docker"|"swarm", "nodes": [...]}``."""
    await _admin(request)
    source = request.app[NODES]
    nodes = await asyncio.to_thread(source.nodes)
    return web.json_response({"backend": source.backend, "nodes": [n.to_json() for n in nodes]})


def _set(availability: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        await _admin(request)
        node = request.match_info["node"]
        found = await asyncio.to_thread(request.app[NODES].set_availability, node, availability)
        return web.json_response(found.to_json())

    return handler


def add_node_routes(app: web.Application) -> None:
    app.router.add_get("/api/nodes", list_nodes)
    # POST /api/nodes/NODE/drain: its tasks move to the other nodes; activate takes it back
    app.router.add_post("/api/nodes/{node}/drain", _set("drain"))
    app.router.add_post("/api/nodes/{node}/activate", _set("active"))
