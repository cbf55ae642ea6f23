"""The response headers of the platform's own pages: ``X-Content-Type-Options: nosniff`` on
every control-plane response, and a Content-Security-Policy on every HTML page (docs/security.md,
"Pages (CSP)").

A page's inline scripts are allowed by their SHA-256 hash, never by ``'unsafe-inline'``: a page
passes each ``<script>…</script>`` element it ships through :func:`inline_script` (per request,
for scripts with values filled in) or :func:`script_constant` (once, for fixed ones). Markup that
reaches a page any other way -- an escaping bug, a hostile README -- is not hashed, so the
browser refuses to run it. Styles may be inline (the pages use ``<style>`` blocks and a few
``style`` attributes for colours); nothing else loads from anywhere but the platform, except the
space apps the space page frames (``frame-src`` the spaces' hosts).

Space responses never pass through here: the router forwards them untouched, they are the
user's app. Hub files carry their own sandboxing policy (api/hub.py), which is kept.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from aiohttp import web

from spacehost.appkeys import PLATFORM
from spacehost.settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CSP = "Content-Security-Policy"
NOSNIFF = ("X-Content-Type-Options", "nosniff")

_CONSTANT: set[str] = set()  # hashes of the fixed scripts, allowed on every page
_REQUEST: ContextVar[set[str] | None] = ContextVar("spacehost_csp_scripts", default=None)
_OPEN, _CLOSE = "<script>", "</script>"


def _hash(tag: str) -> str:
    text = tag.strip()
    if not (text.startswith(_OPEN) and text.endswith(_CLOSE)):
        raise ValueError("expected one whole <script>…</script> element")
    body = text[len(_OPEN) : -len(_CLOSE)]
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def script_constant(tag: str) -> str:
    """Allow the fixed inline script *tag* on every page; returns it unchanged."""
    _CONSTANT.add(_hash(tag))
    return tag


def inline_script(tag: str) -> str:
    """Allow the inline script *tag* on the page being rendered; returns it unchanged.

    Call it while handling the request (also from a thread started with ``asyncio.to_thread``,
    which copies the request's context)."""
    digest, hashes = _hash(tag), _REQUEST.get()
    if hashes is not None:
        hashes.add(digest)
    return tag


def page_policy(settings: Settings, scripts: set[str]) -> str:
    """The CSP of a platform page whose inline scripts hash to *scripts*."""
    scheme = settings.base_url.split("://", 1)[0]
    port = "" if settings.port in (80, 443) else f":{settings.port}"
    spaces = f"{scheme}://*.{settings.domain}{port}"
    script_src = " ".join(["'self'", *sorted(_CONSTANT | scripts)])
    return (
        f"default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; frame-src 'self' {spaces}; object-src 'none'; "
        "base-uri 'none'; form-action 'self'"
    )


def _is_html(resp: web.StreamResponse) -> bool:
    return resp.content_type == "text/html"


@web.middleware
async def page_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give an HTML page that sets no policy itself the page CSP, with its scripts' hashes."""
    token = _REQUEST.set(set())
    try:
        resp = await handler(request)
        scripts = _REQUEST.get() or set()
    finally:
        _REQUEST.reset(token)
    if not resp.prepared and _is_html(resp) and CSP not in resp.headers:
        resp.headers[CSP] = page_policy(request.app[PLATFORM].settings, scripts)
    return resp


async def nosniff(request: web.Request, resp: web.StreamResponse) -> None:
    """``on_response_prepare``: every response says what it is (no MIME sniffing)."""
    resp.headers.setdefault(*NOSNIFF)
