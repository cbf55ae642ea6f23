"""A space's page host (``page.{owner}-{name}.{domain}``, web/urls.py) serves that space's page
and the API calls its scripts make; any other path asked for there -- a link to the gallery, the
docs, a hub repo, another space's page -- is redirected to the platform's base URL, so a
visitor who follows a link leaves the page host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import InvalidSpaceName
from spacehost.hosts import page_host_label
from spacehost.lifecycle.facade import Facade

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def stays(path: str, label: str) -> bool:
    """True when *path* is answered on the page host of the space whose subdomain is *label*:
    its page ``/spaces/{owner}/{name}``, the API, the icon."""
    if path.startswith("/api/") or path == "/favicon.ico":
        return True
    parts = path.split("/")
    if len(parts) != 4 or parts[1] != "spaces":
        return False
    try:
        return SpaceId(parts[2], parts[3]).subdomain == label
    except InvalidSpaceName:
        return False


@web.middleware
async def page_host_links(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Send what a page host does not serve to the same path on the base URL (302)."""
    platform: Facade = request.app[PLATFORM]
    settings = platform.settings
    label = page_host_label(request.host, settings.domain)
    if label is None or stays(request.path, label):
        return await handler(request)
    raise web.HTTPFound(settings.base_url + request.path_qs)
