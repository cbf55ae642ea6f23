"""``/setup``: the first start's page that creates the first admin (name, password) and signs
them in. It answers only while no admin user exists, and only to the platform's own machine;
to anyone else, and afterwards, it is a 404 like any unknown page.

"The platform's own machine": the router puts the visitor's address in ``X-Real-IP`` (and drops
any a client sent, router/headers.py), so a loopback address there is a browser on this host.
A request without it came over the control plane's Unix socket (a local process) or, in tests,
from the test client. Behind another reverse proxy on the same host every visitor looks local:
create the first admin from the CLI there (docs/accounts.md).

The form is sent as JSON only: a page of another site cannot send a JSON body without the
browser asking this origin first (CORS), which it never allows, so a local browser visiting a
hostile page cannot be made to create an admin.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.errors import InvalidRequest
from spacehost.web.account_kit import api_form, html_page, not_found_page

REAL_IP = "X-Real-IP"


def is_loopback(address: str) -> bool:
    """True for a loopback address, and for "" (a Unix socket peer: a process on this host)."""
    if not address:
        return True
    try:
        return ipaddress.ip_address(address.strip()).is_loopback
    except ValueError:
        return False


def from_this_machine(request: web.Request) -> bool:
    """True when the visitor is on the platform's own machine (see the module doc)."""
    return is_loopback(request.headers.get(REAL_IP, request.remote or ""))


def _open(request: web.Request) -> bool:
    return from_this_machine(request) and access.accounts(request).first_admin() is None


SETUP_FORM = api_form(
    "POST",
    "/setup",
    "<label>Admin user name <input name=name autocomplete=username required autofocus></label>"
    "<label>Password <input name=password type=password autocomplete=new-password required "
    "minlength=8></label><button type=submit>Create the admin and sign in</button>",
    then="go:/",
    extra=" id=setup",
)


async def setup_page(request: web.Request) -> web.Response:
    """``GET /setup``."""
    if not await asyncio.to_thread(_open, request):
        return not_found_page()
    body = (
        "<h1>Welcome to spacehost</h1><p>Create the platform's first admin. The platform's own "
        "token (<code>SPACEHOST_TOKEN</code>) becomes this admin's token. This page closes once "
        f"an admin exists.</p>{SETUP_FORM}"
    )
    return html_page("setup", body)


def _create_admin(request: web.Request, body: dict[str, Any]) -> tuple[str, str, str]:
    acc = access.accounts(request)
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not password:
        raise InvalidRequest(
            "the first admin needs a name and a password",
            hint='send {"name": "alice", "password": "a long passphrase"}',
        )
    user = acc.add_user(name, password=password, admin=True)
    sid, csrf = acc.new_session(user.name)
    return user.name, sid, csrf


async def setup_submit(request: web.Request) -> web.StreamResponse:
    """``POST /setup {"name", "password"}`` (JSON only): the first admin, signed in."""
    if request.content_type != "application/json" or not await asyncio.to_thread(_open, request):
        return not_found_page()
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidRequest("the body is not JSON", hint="send a JSON object") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object", hint='{"name": "alice"}')
    name, sid, csrf = await asyncio.to_thread(_create_admin, request, body)
    resp = web.json_response({"name": name, "admin": True}, status=201)
    access.set_session_cookies(request, resp, sid, csrf)
    return resp


def add_setup_pages(app: web.Application) -> None:
    app.router.add_get("/setup", setup_page)
    app.router.add_post("/setup", setup_submit)
