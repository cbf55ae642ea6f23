"""Who a control-plane request is, and whether it may do what it asks: the request side of
:mod:`spacehost.identity` for the API and the pages (both read it; neither imports the other).

A request proves who it is with, in this order: ``Authorization`` (``Bearer`` token, or ``Basic``
whose password is a token, as git sends it), ``X-HF-Authorization`` (gradio_client), the sign-in
session cookie, the per-space cookie (reads its one space). A token that is not valid is refused
(401) rather than read as anonymous, as Hugging Face does; a value without a platform token's
shape (``hf_…``, ``sh_…``) is not a claim to be one (a space's own API may use its own).
A write authenticated by the session cookie also needs the session's CSRF value in
``X-CSRF-Token`` (or the form field ``csrf_token``): a cookie is sent by the browser whatever
page asks, a header or field only by the platform's own pages.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode

from aiohttp import web

from spacehost import headernames, spaceaccess
from spacehost.appkeys import ACCOUNTS, PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import Forbidden, NotFound, RepoNotFound, SpaceNotFound, Unauthorized
from spacehost.identity import ANONYMOUS, Accounts, Action, Actor, Kind, Resource, Via, can
from spacehost.identity.accounts import SESSION_TTL_S
from spacehost.identity.credentials import same
from spacehost.lifecycle.contract import space_host

_ACTOR = web.RequestKey("actor", Actor)
_CSRF = web.RequestKey("csrf", str)
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SPACE_COOKIE_PATH = "/api/auth/space-cookie"
TOKEN_HINT = (
    "send a token as 'Authorization: Bearer hf_…' (`spacehost login`, `hf auth login`), or sign "
    "in; the platform's own token (SPACEHOST_TOKEN, ~/.spacehost/token) is an admin's"
)


def accounts(request: web.Request) -> Accounts:
    return request.app[ACCOUNTS]


def cookies(request: web.Request) -> dict[str, str]:
    """The request's cookies (a malformed ``Cookie`` header counts as none)."""
    raw = request.headers.get("Cookie", "")
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


def _token_actor(acc: Accounts, header: str) -> Actor | None:
    value = spaceaccess.bearer_value(header)
    if not spaceaccess.is_platform_token(value):
        return None  # not ours (a space's own scheme): no claim, read as no credential
    found = acc.actor_for_token(value)
    if found is None:
        raise Unauthorized("the token is not valid (unknown, revoked or mistyped)", hint=TOKEN_HINT)
    return found


def _find_actor(request: web.Request) -> tuple[Actor, str]:
    acc = accounts(request)
    for header in ("Authorization", spaceaccess.HF_AUTHORIZATION):
        if header in request.headers:
            found = _token_actor(acc, request.headers[header])
            if found is not None:
                return found, ""
    jar = cookies(request)
    sid = jar.get(spaceaccess.SESSION_COOKIE)
    if sid:
        session = acc.session(sid)
        if session is not None:
            return session
    space_pass = jar.get(spaceaccess.SPACE_COOKIE)
    if space_pass:
        found = acc.space_pass(space_pass)
        if found is not None:
            return found, ""
    return ANONYMOUS, ""


def actor(request: web.Request) -> Actor:
    """Who *request* is (worked out once per request). Raises :class:`Unauthorized` for a token
    that is not valid."""
    if _ACTOR in request:
        return request[_ACTOR]
    who, csrf = _find_actor(request)
    request[_ACTOR], request[_CSRF] = who, csrf
    return who


def session_csrf(request: web.Request) -> str:
    """The CSRF value of the request's sign-in session ("" without one)."""
    actor(request)
    csrf: str = request.get(_CSRF, "")
    return csrf


async def check_csrf(request: web.Request) -> None:
    """Refuse a cookie-authenticated write that lacks the session's CSRF value."""
    who = actor(request)
    if who.via is not Via.SESSION or request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = str((await request.post()).get(CSRF_FIELD, ""))
    if not given or not same(given, session_csrf(request)):
        raise Forbidden(
            "this form or call came without the page's CSRF value",
            hint="reload the page and try again (a write from a signed-in browser must come "
            "from the platform's own pages)",
        )


def not_found(resource: Resource) -> NotFound:
    """The error a hidden (private) resource answers with: exactly the one a missing resource
    answers with (the store's words: store/db.py get_space, store/hub.py), so nothing in the
    answer tells the two apart."""
    if resource.kind is Kind.SPACE:
        return SpaceNotFound(
            f"space {resource.repo_id} does not exist", hint="list spaces with `spacehost ls`"
        )
    if resource.kind is Kind.NAMESPACE:
        return NotFound(f"no user or organization {resource.namespace!r}", hint="check the name")
    kind, plural = resource.kind.value, f"{resource.kind.value}s"
    return RepoNotFound(
        f"no {kind} {resource.repo_id!r} on this platform",
        hint=f"push it with: spacehost push DIR --type {kind} --name {resource.repo_id} "
        f"(see the {plural} with: spacehost ls --type {kind})",
    )


def repo(request: web.Request, kind: Kind, namespace: str, name: str) -> Resource:
    """The resource a repo names, with its visibility."""
    private = accounts(request).is_private(kind.value, f"{namespace}/{name}")
    return Resource(kind, namespace, name, private)


def hidden(request: web.Request, resource: Resource) -> bool:
    """True when *resource* is private and the request may not read it (so it must look as if
    it did not exist)."""
    return resource.private and not can(actor(request), Action.READ, resource)


async def require(request: web.Request, action: Action, resource: Resource) -> Actor:
    """The request's actor when it may do *action* on *resource*; else the error to answer:
    not found for a private thing it may not read, 401 without credentials, 403 otherwise.
    Writes by a signed-in browser must carry its CSRF value."""
    who = actor(request)
    if hidden(request, resource):
        raise not_found(resource)
    if can(who, action, resource):
        await check_csrf(request)
        return who
    if not who.signed_in:
        raise Unauthorized(
            f"{action.value} access to {resource.repo_id} needs a token", hint=TOKEN_HINT
        )
    if who.token_role is not None and not who.writes:
        raise Forbidden(
            f"this token ({who.token_name!r}) is read-only",
            hint="create a token with the write role (`spacehost tokens create NAME --role write`)",
        )
    raise Forbidden(
        f"{who.name} may not {action.value} {resource.repo_id}",
        hint=f"ask an admin of {resource.namespace} for the write role, or use your own namespace",
    )


async def require_namespace_write(
    request: web.Request, kind: Kind, namespace: str, name: str
) -> Actor:
    """Write access to a repo that a push or a duplicate may create; an admin writing into a
    namespace that nobody holds makes it an organization (earlier versions let any owner name be
    used). A private repo that the caller may not read is refused exactly as a missing one
    would be (401 or 403 for the namespace): a 404 here would tell that the name is taken."""
    resource = repo(request, kind, namespace, name)
    if hidden(request, resource):
        resource = Resource(kind, namespace, name, private=False)
    who = await require(request, Action.WRITE, resource)
    accounts(request).ensure_namespace(who, namespace)
    return who


def visible(request: web.Request, kind: Kind, repo_ids: list[str]) -> list[str]:
    """The ids of *repo_ids* the request may see (private ones only to those who may read)."""
    private = accounts(request).private_repos(kind.value)
    if not private:
        return repo_ids
    who = actor(request)
    out = []
    for rid in repo_ids:
        ns, _, name = rid.partition("/")
        if rid not in private or can(who, Action.READ, Resource(kind, ns, name, True)):
            out.append(rid)
    return out


def https(request: web.Request) -> bool:
    """True when the visitor came over https (the router's ``X-Forwarded-Proto``, else the
    platform's base URL)."""
    proto = request.headers.get(headernames.FORWARDED_PROTO)
    base = request.app[PLATFORM].settings.base_url
    return (proto or base.split("://", 1)[0]) == "https"


def scheme(request: web.Request) -> str:
    return "https" if https(request) else "http"


def safe_next(value: str) -> str:
    """A local path to go on to after signing in (never another site: ``//x``, a scheme or a
    backslash give ``/``)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def set_session_cookies(
    request: web.Request, resp: web.StreamResponse, sid: str, csrf: str
) -> None:
    """Give *resp* the sign-in session's cookies: the session (``HttpOnly``, ``SameSite=Lax``)
    and its CSRF value (readable by the pages' script, ``SameSite=Strict``); ``Secure`` over
    https. Used by the API's sign-in and sign-up and by the first-start page (web/setup.py)."""
    secure = https(request)
    resp.set_cookie(
        spaceaccess.SESSION_COOKIE,
        sid,
        max_age=SESSION_TTL_S,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
    resp.set_cookie(
        spaceaccess.CSRF_COOKIE,
        csrf,
        max_age=SESSION_TTL_S,
        path="/",
        samesite="Strict",
        secure=secure,
    )


def pass_url(request: web.Request, space: SpaceId, sid: str, to: str, nxt: str) -> str:
    """Where a page sends a signed-in visitor so that *space*'s hosts get its per-space pass:
    the space's page host's cookie exchange (api/signin.py), going on to its app (``to=app``)
    or its page (``to=page``) at the path *nxt*."""
    settings = request.app[PLATFORM].settings
    ticket = accounts(request).issue_ticket(sid, str(space))
    query = urlencode({"ticket": ticket, "to": to, "next": nxt})
    return f"{scheme(request)}://page.{space_host(space, settings)}{SPACE_COOKIE_PATH}?{query}"
