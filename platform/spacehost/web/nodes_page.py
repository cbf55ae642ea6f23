"""``/admin/nodes`` (platform admins only; a 404 to anyone else): the machines spaces run on,
their resources, their state and what runs on each, with Drain and Activate buttons that go
through the admin API (``POST /api/nodes/NODE/drain|activate``, api/nodes.py) with the
session's CSRF value."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import quote

from aiohttp import web

from spacehost.appkeys import NODES
from spacehost.runtime.nodes import NodeInfo
from spacehost.web.account_kit import api_form, e, html_page, not_found_page
from spacehost.web.usermenu import request_actor

HEAD = (
    "<tr><th>Node</th><th>Role</th><th>State</th><th>Availability</th><th>Address</th>"
    "<th>CPUs</th><th>Memory</th><th>GPUs</th><th>Engine</th><th>Running</th><th></th></tr>"
)


def _running(node: NodeInfo) -> str:
    items = "".join(
        f"<li data-kind={e(w.kind)}>"
        + (
            f"<a href='/spaces/{e(w.name, quote=True)}'>{e(w.name)}</a>"
            if w.kind == "space"
            else f"{e(w.kind)} {e(w.name)}"
        )
        + f" <span class=meta>{e(w.state)}</span></li>"
        for w in node.workloads
    )
    return f"<ul>{items}</ul>" if items else "<span class=meta>nothing</span>"


def _action(node: NodeInfo, swarm: bool) -> str:
    if not swarm:
        return ""
    drained = node.availability != "active"
    action, label = ("activate", "Activate") if drained else ("drain", "Drain")
    path = f"/api/nodes/{quote(node.id, safe='')}/{action}"
    return api_form("POST", path, f"<button type=submit>{label}</button>", klass="inline")


def node_row(node: NodeInfo, swarm: bool) -> str:
    gpus = ", ".join(f"{k}={v}" for k, v in sorted(node.gpus.items())) or "-"
    role = node.role + (" (leader)" if node.leader else "")
    return (
        f"<tr data-node='{e(node.hostname, quote=True)}'><td>{e(node.hostname)}<br>"
        f"<code class=meta>{e(node.id[:12])}</code></td><td>{e(role)}</td>"
        f"<td class=state>{e(node.state)}</td><td class=availability>{e(node.availability)}</td>"
        f"<td>{e(node.address)}</td><td>{node.cpus:g}</td>"
        f"<td>{node.memory_bytes / (1 << 30):.1f} GiB</td><td>{e(gpus)}</td>"
        f"<td>{e(node.engine_version)}</td><td class=running>{_running(node)}</td>"
        f"<td>{_action(node, swarm)}</td></tr>"
    )


def render_nodes(nodes: Sequence[NodeInfo], backend: str) -> str:
    swarm = backend == "swarm"
    where = (
        "the nodes of the Swarm spaces run on. Drain moves a node's spaces to the others "
        "(maintenance); Activate lets it take spaces again."
        if swarm
        else "the Docker backend runs every space on this one machine."
    )
    rows = "".join(node_row(n, swarm) for n in nodes)
    return (
        f"<h1>Nodes</h1><p class=meta>{len(nodes)} node(s): {where} "
        "<a href='/admin'>Admin</a> · <a href='/docs/cluster'>Running on a cluster</a></p>"
        f"<table id=nodes>{HEAD}{rows}</table>"
    )


async def nodes_page(request: web.Request) -> web.Response:
    """``GET /admin/nodes``: admins only; a 404 page for everyone else."""
    if not request_actor(request).is_admin:
        return not_found_page()
    source = request.app[NODES]
    nodes = await asyncio.to_thread(source.nodes)
    return html_page("nodes", render_nodes(nodes, source.backend))


def add_node_page(app: web.Application) -> None:
    """``/admin/nodes``: before the hub's ``/{owner}/{name}``, which would take it."""
    app.router.add_get("/admin/nodes", nodes_page)
