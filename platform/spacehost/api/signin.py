"""Sign-in sessions and private spaces' passes (docs/accounts.md):

- ``POST /api/auth/sign-in`` / ``sign-out`` / ``sign-up``: the session cookie (``HttpOnly``,
  ``SameSite=Lax``, ``Secure`` over https) and its CSRF cookie;
- ``GET spaceaccess.CHECK_PATH``: the router's question "may these credentials read this space?";
- ``GET spaceaccess.BOUNCE_PATH`` (on the platform's host): a browser sent here by the router
  for a space host goes back with a per-space pass when its session may read the space, without
  one otherwise (an unknown space the same way, so the detour tells nothing);
- ``GET /api/auth/space-cookie?ticket=…`` (on the space's page host): turns a ticket into the
  per-space cookie for ``{label}.{domain}`` (the app and its page host) and goes on.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from spacehost import access, headernames, spaceaccess
from spacehost.api.accounts import _json, _str
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest
from spacehost.hosts import host_name, page_host_label
from spacehost.identity import Action, Kind, can
from spacehost.identity.accounts import SESSION_TTL_S
from spacehost.lifecycle.contract import space_host

_https, _scheme, SPACE_COOKIE_PATH = access.https, access.scheme, access.SPACE_COOKIE_PATH
set_session_cookies, safe_next = access.set_session_cookies, access.safe_next


def _client(request: web.Request) -> str:
    forwarded = request.headers.get("X-Forwarded-For", "")
    return forwarded.rsplit(",", 1)[-1].strip() or (request.remote or "")


async def _credentials(request: web.Request) -> tuple[str, str, str]:
    if request.content_type == "application/json":
        body = await _json(request)
        return _str(body, "name"), _str(body, "password"), _str(body, "next", "/")
    form = await request.post()
    return str(form.get("name", "")), str(form.get("password", "")), str(form.get("next", "/"))


async def sign_in(request: web.Request) -> web.StreamResponse:
    """JSON ``{"name", "password"}`` → ``{"name", "csrf"}``; a form post → 303 to ``next``."""
    name, password, nxt = await _credentials(request)
    acc = access.accounts(request)
    sid, csrf = await asyncio.to_thread(acc.sign_in, name, password, _client(request))
    resp: web.StreamResponse
    if request.content_type == "application/json":
        resp = web.json_response({"name": name, "csrf": csrf})
    else:
        resp = web.HTTPSeeOther(safe_next(nxt))
    set_session_cookies(request, resp, sid, csrf)
    return resp


async def sign_up(request: web.Request) -> web.StreamResponse:
    """``{"name", "password", "invite"?, "email"?}``: an account when sign-up is open (or with
    an invite); signed in at once."""
    body = await _json(request)
    acc = access.accounts(request)
    user = await asyncio.to_thread(
        acc.register,
        _str(body, "name"),
        _str(body, "password"),
        invite=_str(body, "invite", ""),
        email=_str(body, "email", ""),
    )
    sid, csrf = await asyncio.to_thread(acc.new_session, user.name)
    resp = web.json_response({"name": user.name, "csrf": csrf}, status=201)
    set_session_cookies(request, resp, sid, csrf)
    return resp


async def sign_out(request: web.Request) -> web.StreamResponse:
    await access.check_csrf(request)
    sid = access.cookies(request).get(spaceaccess.SESSION_COOKIE, "")
    if sid:
        await asyncio.to_thread(access.accounts(request).sign_out, sid)
    resp = web.json_response({"signedOut": True})
    for name in (spaceaccess.SESSION_COOKIE, spaceaccess.CSRF_COOKIE):
        resp.del_cookie(name, path="/")
    return resp


async def space_access(request: web.Request) -> web.Response:
    """The router's check (spaceaccess.CHECK_PATH): 204 when the request's credentials may read
    the space in ``X-Spacehost-Space``, 404 otherwise (also for a token that is not valid)."""
    try:
        space = SpaceId.parse(request.headers.get(headernames.SPACE, ""))
        who = access.actor(request)
    except Exception:
        return web.Response(status=spaceaccess.DENIED)
    resource = access.repo(request, Kind.SPACE, space.owner, space.name)
    allowed = await asyncio.to_thread(can, who, Action.READ, resource)
    return web.Response(status=spaceaccess.ALLOWED if allowed else spaceaccess.DENIED)


def _space_of_label(request: web.Request, label: str) -> SpaceId | None:
    for rec in request.app[PLATFORM].queries.list_spaces():
        if rec.id.subdomain == label:
            return rec.id
    return None


def _with_param(path: str, key: str, value: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{urlencode({key: value})}"


async def bounce(request: web.Request) -> web.StreamResponse:
    """``GET BOUNCE_PATH?host=LABEL&next=PATH`` on the platform's host (see module doc)."""
    label, nxt = request.query.get("host", "").lower(), safe_next(request.query.get("next", "/"))
    settings = request.app[PLATFORM].settings
    scheme = _scheme(request)
    port = "" if settings.port in (80, 443) else f":{settings.port}"
    app_url = f"{scheme}://{label}.{settings.domain}{port}"
    back = app_url + _with_param(nxt, spaceaccess.BOUNCED_PARAM, "1")
    if not label or "." in label or "/" in label:
        raise InvalidRequest("the bounce needs host=LABEL", hint="follow the link the router gave")
    space = await asyncio.to_thread(_space_of_label, request, label)
    sid = access.cookies(request).get(spaceaccess.SESSION_COOKIE, "")
    if space is None or not sid or access.actor(request).via.value != "session":
        raise web.HTTPFound(back)
    resource = access.repo(request, Kind.SPACE, space.owner, space.name)
    if not can(access.actor(request), Action.READ, resource):
        raise web.HTTPFound(back)
    raise web.HTTPFound(await asyncio.to_thread(access.pass_url, request, space, sid, "app", nxt))


async def space_cookie(request: web.Request) -> web.StreamResponse:
    """``GET /api/auth/space-cookie?ticket=T&to=app|page&next=PATH`` on a space's page host."""
    settings = request.app[PLATFORM].settings
    label = page_host_label(request.host, settings.domain)
    nxt = safe_next(request.query.get("next", "/"))
    to = request.query.get("to", "app")
    space: SpaceId | None = None
    if label:
        space = await asyncio.to_thread(_space_of_label, request, label)
    if space is None:
        raise InvalidRequest(
            "this link is for a space's page host", hint="open the space from its page"
        )
    scheme = _scheme(request)
    host = space_host(space, settings)
    target = f"{scheme}://{'page.' if to == 'page' else ''}{host}"
    value = await asyncio.to_thread(
        access.accounts(request).redeem_ticket, request.query.get("ticket", ""), str(space)
    )
    resp = web.HTTPFound(target + _with_param(nxt, spaceaccess.BOUNCED_PARAM, "1"))
    if value is not None:
        resp.set_cookie(
            spaceaccess.SPACE_COOKIE,
            value,
            max_age=SESSION_TTL_S,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=_https(request),
            domain=host_name(host),
        )
    raise resp


def add_signin_routes(app: web.Application) -> None:
    app.router.add_post("/api/auth/sign-in", sign_in)
    app.router.add_post("/api/auth/sign-up", sign_up)
    app.router.add_post("/api/auth/sign-out", sign_out)
    app.router.add_get(spaceaccess.CHECK_PATH, space_access)
    app.router.add_get(spaceaccess.BOUNCE_PATH, bounce)
    app.router.add_get(SPACE_COOKIE_PATH, space_cookie)
