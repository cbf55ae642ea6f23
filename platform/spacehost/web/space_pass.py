"""How a private space's page hands a signed-in visitor's access to the space's own hosts
(docs/accounts.md, "Private spaces at the router"): the session cookie belongs to the
platform's host, so the app's host (``owner-name.DOMAIN``) and its page host
(``page.owner-name.DOMAIN``) get a per-space pass through :func:`spacehost.access.pass_url`.

- The page moving to its page host (web/urls.py ``frames_cross_site``) goes through the pass
  exchange there: the pass cookie is set for ``owner-name.DOMAIN``, so the page host and the
  app frame inside it both have it.
- A page that stays on the platform's host frames the app through the exchange.

Public spaces, and visitors without a session (a token, a pass, nobody), are left as they are.
"""

from __future__ import annotations

from aiohttp import web

from spacehost import access, spaceaccess
from spacehost.domain import SpaceId
from spacehost.identity import Via


def session_id(request: web.Request) -> str:
    """The visitor's sign-in session id when the request is signed in by it, else ""."""
    if access.actor(request).via is not Via.SESSION:
        return ""
    return access.cookies(request).get(spaceaccess.SESSION_COOKIE, "")


def page_host_target(request: web.Request, space: SpaceId, private: bool, page_url: str) -> str:
    """Where the page moving to its page host *page_url* sends the visitor: a signed-in visitor
    through the pass exchange (a private space's page host answers only with it; a public
    one's knows its writers by it and shows them the Settings link), others straight there."""
    sid = session_id(request)
    query = f"?{request.query_string}" if request.query_string else ""
    if not sid:
        return page_url + query
    return access.pass_url(request, space, sid, "page", f"/spaces/{space}{query}")


def app_frame_src(request: web.Request, space: SpaceId, private: bool, app_url: str) -> str:
    """The app frame's ``src`` on a page that stays on the platform's host: through the pass
    exchange for a private space and a signed-in visitor, the app's own URL otherwise."""
    sid = session_id(request) if private else ""
    return access.pass_url(request, space, sid, "app", "/") if sid else app_url
