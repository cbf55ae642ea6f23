"""The gallery at ``/``: a card per space."""

from __future__ import annotations

import asyncio
import html

from aiohttp import web

from spacehost.lifecycle import Platform
from spacehost.store import SpaceRecord
from spacehost.web.status import page

_COLORS = {"red": "#ef4444", "yellow": "#eab308", "green": "#22c55e", "blue": "#3b82f6",
           "indigo": "#6366f1", "purple": "#a855f7", "pink": "#ec4899", "gray": "#6b7280"}

_CARD_CSS = """
<style>.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.card{border-radius:12px;color:#fff;padding:16px;min-height:120px;text-decoration:none;
display:flex;flex-direction:column;justify-content:space-between}
.card h3{margin:0;font-size:1.15rem}.card .meta{font-size:.8rem;opacity:.9}
.emoji{font-size:2rem}</style>
"""


def _card(rec: SpaceRecord, base_url: str) -> str:
    m = rec.manifest
    c1 = _COLORS.get(str(m.get("colorFrom")), "#3b82f6")
    c2 = _COLORS.get(str(m.get("colorTo")), "#a855f7")
    e = html.escape
    sid = e(str(rec.id))
    return (f"<a class=card data-space='{sid}' href='{e(base_url)}/spaces/{sid}/'"
            f" style='background:linear-gradient(135deg,{c1},{c2})'>"
            f"<div class=emoji>{e(str(m.get('emoji', '')))}</div>"
            f"<h3>{e(str(m.get('title', rec.id.name)))}</h3>"
            f"<div>{e(str(m.get('short_description', '')))}</div>"
            f"<div class=meta>{e(str(rec.id))} · {e(str(m.get('sdk', '')))} · "
            f"<span class=stage-badge>{e(rec.stage.value)}</span></div></a>")


async def gallery(request: web.Request) -> web.Response:
    platform: Platform = request.app["platform"]
    recs = await asyncio.to_thread(platform.store.list_spaces)
    recs.sort(key=lambda r: (not r.manifest.get("pinned"), str(r.id)))
    cards = "".join(_card(r, "") for r in recs) or (
        "<p>No spaces yet. Push one: <code>spacehost push spaces/hello</code></p>")
    body = f"{_CARD_CSS}<h1>Spaces</h1><div class=grid>{cards}</div>"
    return web.Response(text=page("spacehost · spaces", body), content_type="text/html")
