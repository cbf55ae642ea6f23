"""oEmbed 1.0 (https://oembed.com) for spaces: ``GET /api/oembed?url=...`` answers a "rich"
embed (an iframe of the app) for a space's page URL or any URL on its own host, so CMSs and chat
tools can unfurl a space link."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from spacehost import access
from spacehost.appkeys import PLATFORM
from spacehost.errors import InvalidRequest, NotFound, error_body
from spacehost.identity import Kind
from spacehost.lifecycle.facade import Facade
from spacehost.settings import Settings
from spacehost.store import SpaceRecord
from spacehost.web.urls import space_urls

DEFAULT_WIDTH, DEFAULT_HEIGHT = 800, 600
_PATH = re.compile(r"^/spaces/([^/]+)/([^/]+)(?:/.*)?$")


def _dimension(query: Mapping[str, str], key: str, default: int) -> int:
    raw = query.get(key, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidRequest(
            f"{key} must be a whole number of pixels", hint=f"e.g. {key}={default}"
        ) from exc
    if value <= 0:
        raise InvalidRequest(f"{key} must be positive", hint=f"e.g. {key}={default}")
    return min(default, value)


def find_target(url: str, recs: Sequence[SpaceRecord], settings: Settings) -> SpaceRecord:
    """The space *url* points at: ``.../spaces/{owner}/{name}[/...]`` or a URL on the space's
    own host ``{owner}-{name}.{domain}``.

    Raises:
        InvalidRequest: *url* is not an absolute http(s) URL.
        NotFound: no space answers at *url*.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(
            f"not an http(s) URL: {url[:200]!r}",
            hint="pass a space URL, e.g. url=http://127.0.0.1:8000/spaces/o/n",
        )
    host = parts.hostname.lower()
    suffix = "." + settings.domain.lower()
    if host.endswith(suffix):
        label = host[: -len(suffix)]
        for rec in recs:
            if rec.id.subdomain == label:
                return rec
    m = _PATH.match(parts.path)
    if m:
        for rec in recs:
            if rec.id.owner == m.group(1) and rec.id.name == m.group(2):
                return rec
    raise NotFound(
        f"no space at {url[:200]}",
        hint="use a space page URL (/spaces/OWNER/NAME) or a space's own host URL",
    )


def oembed_json(
    rec: SpaceRecord,
    settings: Settings,
    *,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
) -> dict[str, Any]:
    """The oEmbed answer for *rec* (raises NotFound when its README disables embedding)."""
    m = rec.manifest
    if m.get("disable_embedding"):
        raise NotFound(
            f"space {rec.id} cannot be embedded", hint="its README sets disable_embedding: true"
        )
    title = str(m.get("title") or rec.id.name)
    src = space_urls(rec.id, settings).host
    frame = (
        f'<iframe src="{html.escape(src, quote=True)}" '
        f'title="{html.escape(title, quote=True)}" width="{width}" height="{height}" '
        'frameborder="0" allow="clipboard-write; microphone; camera"></iframe>'
    )
    return {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "author_name": rec.id.owner,
        "provider_name": "spacehost",
        "provider_url": f"{settings.base_url}/",
        "html": frame,
        "width": width,
        "height": height,
    }


async def oembed(request: web.Request) -> web.Response:
    """``GET /api/oembed?url=...[&maxwidth=&maxheight=]``."""
    platform: Facade = request.app[PLATFORM]
    url = request.query.get("url", "")
    if not url:
        raise InvalidRequest("url is required", hint="e.g. /api/oembed?url=<space page URL>")
    fmt = request.query.get("format", "json")
    if fmt != "json":
        return web.json_response(
            error_body("not_implemented", f"format {fmt!r} is not supported", "use format=json"),
            status=501,
        )
    width = _dimension(request.query, "maxwidth", DEFAULT_WIDTH)
    height = _dimension(request.query, "maxheight", DEFAULT_HEIGHT)
    recs = await asyncio.to_thread(platform.queries.list_spaces)
    # a private space the visitor may not read is not there, as on every list (names do not leak)
    shown = set(access.visible(request, Kind.SPACE, [str(r.id) for r in recs]))
    rec = find_target(url, [r for r in recs if str(r.id) in shown], platform.settings)
    return web.json_response(oembed_json(rec, platform.settings, width=width, height=height))
