"""The user menu at the right of every page's top bar: "Sign in", or the signed-in user's name
opening My spaces, Tokens, Organizations, Admin (admins) and Sign out.

:func:`layout.shell` is pure and called from many pages, so the menu reaches it the way the CSP
hashes do (web/csp.py): :func:`user_menu` (a middleware) works out who the request is and keeps
the menu's HTML in a context variable for the request; :func:`current` reads it.
"""

from __future__ import annotations

import html
from contextvars import ContextVar
from urllib.parse import quote

from aiohttp import web

from spacehost import access, headernames
from spacehost.appkeys import PLATFORM
from spacehost.errors import Unauthorized
from spacehost.hosts import page_host_label
from spacehost.identity import Actor
from spacehost.web.csp import Handler
from spacehost.web.pagescript import FORM_ERROR

SIGN_IN = "<a class=user-menu href='/sign-in'>Sign in</a>"
_MENU: ContextVar[str] = ContextVar("spacehost_user_menu", default=SIGN_IN)

MENU_CSS = """
.user-menu{margin-left:auto;position:relative}
.user-menu summary{cursor:pointer;font-weight:600;list-style:none}
.user-menu .items{position:absolute;right:0;z-index:10;display:flex;flex-direction:column;
gap:6px;min-width:160px;padding:10px;background:#fff;border:1px solid #e5e7eb;border-radius:8px}
.user-menu form{margin:0}.form-error{color:#991b1b}
"""


def menu_html(who: Actor) -> str:
    """The menu for *who*: a "Sign in" link for an anonymous visitor."""
    if not who.signed_in or who.name is None:
        return SIGN_IN
    name = html.escape(who.name)
    admin = "<a href='/admin'>Admin</a>" if who.is_admin else ""
    return (
        f"<details class=user-menu><summary id=user-name>{name}</summary><div class=items>"
        f"<a href='/{quote(who.name)}'>Profile</a><a href='/settings/spaces'>My spaces</a>"
        "<a href='/new-space'>New space</a>"
        "<a href='/settings/tokens'>Tokens</a><a href='/organizations'>Organizations</a>"
        f"{admin}<form data-api='POST /api/auth/sign-out' data-then='go:/'>"
        f"<button type=submit id=sign-out>Sign out</button>{FORM_ERROR}</form></div></details>"
    )


def current() -> str:
    """The menu of the request being rendered ("Sign in" outside one)."""
    return _MENU.get()


def request_actor(request: web.Request) -> Actor:
    """Who a page's visitor is; a token that is not valid counts as anonymous on a page."""
    try:
        return access.actor(request)
    except Unauthorized:
        return Actor()


def _off_platform_host(request: web.Request) -> bool:
    """A status page on a space's host, or a space's page host: the platform's session is not
    there (a space host gets a per-space pass at most), so no menu."""
    domain = request.app[PLATFORM].settings.domain
    return headernames.SPACE in request.headers or page_host_label(request.host, domain) is not None


@web.middleware
async def user_menu(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep the menu of *request*'s visitor for the page it renders (pages only: not /api/)."""
    if request.path.startswith("/api/"):
        return await handler(request)
    menu = "" if _off_platform_host(request) else menu_html(request_actor(request))
    token = _MENU.set(menu)
    try:
        return await handler(request)
    finally:
        _MENU.reset(token)
