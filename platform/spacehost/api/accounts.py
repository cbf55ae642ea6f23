"""``/api/whoami-v2``, users, organizations, tokens, sign-up and repo visibility (docs/accounts.md).

whoami-v2 answers in Hugging Face's shape, so ``hf auth login``, ``hf auth whoami`` and
``huggingface_hub.whoami()`` work unchanged with ``HF_ENDPOINT`` pointed here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.api.hubjson import iso
from spacehost.errors import InvalidRequest, Unauthorized
from spacehost.identity import Action, Actor, Kind, Resource, Role, Signup, TokenInfo, User, Via
from spacehost.identity.accounts import OPERATOR_NAME


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as exc:
        raise InvalidRequest("the body is not JSON", hint="send a JSON object") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object", hint='e.g. {"name": "alice"}')
    return body


def _str(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise InvalidRequest(f'"{key}" must be a string', hint=f'send {{"{key}": "..."}}')
    return value


def _role(value: Any, allowed: frozenset[Role]) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role is None or role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise InvalidRequest(
            f"the role {value!r} is not one of {names}", hint=f"use one of {names}"
        )
    return role


def _signed_in(request: web.Request) -> Actor:
    who = access.actor(request)
    if not who.signed_in:
        raise Unauthorized("this needs a token or a signed-in browser", hint=access.TOKEN_HINT)
    return who


def user_json(user: User) -> dict[str, Any]:
    return {
        "type": "user",
        "name": user.name,
        "fullname": user.fullname or user.name,
        "email": user.email or None,
        "isAdmin": user.is_admin,
        "hasPassword": user.has_password,
        "createdAt": iso(user.created_at),
    }


def token_json(t: TokenInfo) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "role": t.role.value,
        "token": t.shown,
        "createdAt": iso(t.created_at),
        "lastUsedAt": iso(t.last_used_at) if t.last_used_at else None,
    }


def whoami_body(request: web.Request, who: Actor) -> dict[str, Any]:
    acc = access.accounts(request)
    try:
        user = acc.get_user(who.name or "")
        fullname, email = user.fullname or user.name, user.email or None
    except Exception:  # the operator token before any admin exists
        fullname, email = who.name or OPERATOR_NAME, None
    orgs = [
        {
            "type": "org",
            "name": org,
            "fullname": acc.get_org(org).fullname or org,
            "roleInOrg": role.value,
        }
        for org, role in who.orgs.items()
    ]
    token_role = (who.token_role or Role.WRITE).value
    auth: dict[str, Any] = {"type": "access_token" if who.via is not Via.SESSION else "session"}
    if who.via is not Via.SESSION:
        auth["accessToken"] = {"displayName": who.token_name or "session", "role": token_role}
    return {
        "type": "user",
        "id": who.name,
        "name": who.name,
        "fullname": fullname,
        "email": email,
        "emailVerified": bool(email),
        "isPro": False,
        "isAdmin": who.is_admin,
        "canPay": False,
        "periodEnd": None,
        "avatarUrl": "",
        "orgs": orgs,
        "auth": auth,
    }


async def whoami(request: web.Request) -> web.Response:
    """``GET /api/whoami-v2`` (HF's shape; 401 "Invalid user token" without a valid one)."""
    try:
        who = access.actor(request)
    except Unauthorized:
        who = None
    if who is None or not who.signed_in:
        return web.json_response({"error": "Invalid user token."}, status=401)
    return web.json_response(await asyncio.to_thread(whoami_body, request, who))


# -- users ---------------------------------------------------------------------------------


async def _admin(request: web.Request) -> Actor:
    return await access.require(request, Action.ADMIN, Resource(Kind.NAMESPACE, "*"))


async def list_users(request: web.Request) -> web.Response:
    await _admin(request)
    users = await asyncio.to_thread(access.accounts(request).list_users)
    return web.json_response([user_json(u) for u in users])


async def add_user(request: web.Request) -> web.Response:
    """``POST /api/users {"name", "password"?, "fullname"?, "email"?, "admin"?}`` (admins)."""
    await _admin(request)
    body = await _json(request)
    user = await asyncio.to_thread(
        access.accounts(request).add_user,
        _str(body, "name"),
        password=_str(body, "password", ""),
        fullname=_str(body, "fullname", ""),
        email=_str(body, "email", ""),
        admin=body.get("admin") is True,
    )
    return web.json_response(user_json(user), status=201)


async def get_user(request: web.Request) -> web.Response:
    user = await asyncio.to_thread(access.accounts(request).get_user, request.match_info["user"])
    body = user_json(user)
    body.pop("email")  # only the user and admins see it (below)
    who = access.actor(request)
    if who.is_admin or who.name == user.name:
        body["email"] = user.email or None
    return web.json_response(body)


async def update_user(request: web.Request) -> web.Response:
    """``PUT /api/users/NAME {"password"?, "admin"?}``: a user sets their own password; admins
    set anyone's and the admin flag."""
    name = request.match_info["user"]
    who = _signed_in(request)
    body = await _json(request)
    if "admin" in body or who.name != name:
        await _admin(request)
    else:
        await access.require(request, Action.WRITE, Resource(Kind.NAMESPACE, name))
    acc = access.accounts(request)
    if "password" in body:
        await asyncio.to_thread(acc.set_password, name, _str(body, "password"))
    if "admin" in body:
        await asyncio.to_thread(acc.set_admin, name, body["admin"] is True)
    return web.json_response(user_json(await asyncio.to_thread(acc.get_user, name)))


async def remove_user(request: web.Request) -> web.Response:
    await _admin(request)
    name = request.match_info["user"]
    await asyncio.to_thread(access.accounts(request).remove_user, name)
    return web.json_response({"name": name, "deleted": True})


# -- organizations -------------------------------------------------------------------------


async def list_orgs(request: web.Request) -> web.Response:
    orgs = await asyncio.to_thread(access.accounts(request).list_orgs)
    return web.json_response(
        [{"type": "org", "name": o.name, "fullname": o.fullname or o.name} for o in orgs]
    )


async def create_org(request: web.Request) -> web.Response:
    """``POST /api/orgs {"name", "fullname"?}``: any signed-in user (with a write credential)
    may make one and becomes its admin."""
    who = _signed_in(request)
    if not who.writes:
        await access.require(request, Action.WRITE, Resource(Kind.NAMESPACE, who.name or ""))
    await access.check_csrf(request)
    body = await _json(request)
    acc = access.accounts(request)
    owner = who.name if who.name and acc.namespace_kind(who.name) == "user" else None
    org = await asyncio.to_thread(
        acc.create_org, _str(body, "name"), owner, _str(body, "fullname", "")
    )
    return web.json_response(
        {"type": "org", "name": org.name, "fullname": org.fullname}, status=201
    )


async def members(request: web.Request) -> web.Response:
    found = await asyncio.to_thread(access.accounts(request).members, request.match_info["org"])
    return web.json_response([{"user": m.user, "role": m.role.value} for m in found])


async def _manage(request: web.Request) -> str:
    org = request.match_info["org"]
    await asyncio.to_thread(access.accounts(request).get_org, org)
    await access.require(request, Action.MANAGE, Resource(Kind.NAMESPACE, org))
    return org


async def set_member(request: web.Request) -> web.Response:
    """``PUT /api/orgs/ORG/members/USER {"role": "read"|"write"|"admin"}`` (the org's admins)."""
    org = await _manage(request)
    role = _role((await _json(request)).get("role"), frozenset(Role))
    m = await asyncio.to_thread(
        access.accounts(request).set_member, org, request.match_info["user"], role
    )
    return web.json_response({"org": m.org, "user": m.user, "role": m.role.value})


async def remove_member(request: web.Request) -> web.Response:
    org = await _manage(request)
    user = request.match_info["user"]
    await asyncio.to_thread(access.accounts(request).remove_member, org, user)
    return web.json_response({"org": org, "user": user, "removed": True})


async def delete_org(request: web.Request) -> web.Response:
    org = await _manage(request)
    await asyncio.to_thread(access.accounts(request).delete_org, org)
    return web.json_response({"name": org, "deleted": True})


# -- tokens --------------------------------------------------------------------------------


async def _own(request: web.Request) -> str:
    """The signed-in user managing their own tokens (a read token may only list them)."""
    who = _signed_in(request)
    if who.via is Via.OPERATOR and access.accounts(request).first_admin() is None:
        raise InvalidRequest(
            "the platform's token has no user yet, so it cannot hold tokens",
            hint="create the first admin: `spacehost users add NAME --admin`",
        )
    if request.method != "GET":
        await access.require(request, Action.WRITE, Resource(Kind.NAMESPACE, who.name or ""))
    return who.name or ""


async def list_tokens(request: web.Request) -> web.Response:
    user = await _own(request)
    found = await asyncio.to_thread(access.accounts(request).list_tokens, user)
    return web.json_response([token_json(t) for t in found])


async def create_token(request: web.Request) -> web.Response:
    """``POST /api/tokens {"name", "role": "read"|"write"}``: the value is in this answer only."""
    user = await _own(request)
    body = await _json(request)
    role = _role(body.get("role", "read"), frozenset({Role.READ, Role.WRITE}))
    new = await asyncio.to_thread(
        access.accounts(request).create_token, user, _str(body, "name"), role
    )
    return web.json_response({**token_json(new.info), "token": new.value}, status=201)


async def revoke_token(request: web.Request) -> web.Response:
    user = await _own(request)
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise InvalidRequest(
            f"{raw!r} is not a token id", hint="`spacehost tokens ls` shows the ids"
        )
    await asyncio.to_thread(access.accounts(request).revoke_token, user, int(raw))
    return web.json_response({"id": int(raw), "revoked": True})


# -- sign-up -------------------------------------------------------------------------------


async def get_signup(request: web.Request) -> web.Response:
    return web.json_response({"signup": access.accounts(request).signup().value})


async def set_signup(request: web.Request) -> web.Response:
    """``PUT /api/admin/signup {"signup": "closed"|"open"|"invite"}`` (admins)."""
    await _admin(request)
    raw = (await _json(request)).get("signup")
    try:
        mode = Signup(str(raw))
    except ValueError as exc:
        raise InvalidRequest(
            f"sign-up is closed, open or invite, not {raw!r}", hint='{"signup": "invite"}'
        ) from exc
    await asyncio.to_thread(access.accounts(request).set_signup, mode)
    return web.json_response({"signup": mode.value})


async def create_invite(request: web.Request) -> web.Response:
    who = await _admin(request)
    code = await asyncio.to_thread(access.accounts(request).create_invite, who.name or "")
    return web.json_response({"invite": code}, status=201)


# -- visibility ----------------------------------------------------------------------------


async def settings_private(request: web.Request) -> bool | None:
    """The visibility a ``PUT …/settings`` body asks for (None: it does not say)."""
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as exc:
        raise InvalidRequest("the body is not JSON", hint='send {"visibility": "private"}') from exc
    return requested_private(body if isinstance(body, dict) else {})


def requested_private(body: dict[str, Any]) -> bool | None:
    """The visibility a create or settings body asks for: newer clients send ``visibility``
    ("public"/"private"), older ones ``private: bool``; None when neither is there."""
    if "visibility" in body and body["visibility"] is not None:
        value = body["visibility"]
        if value not in ("public", "private"):
            raise InvalidRequest(
                f'"visibility" is "public" or "private", not {value!r}',
                hint='send {"visibility": "private"}',
            )
        return bool(value == "private")
    if "private" in body and body["private"] is not None:
        if not isinstance(body["private"], bool):
            raise InvalidRequest('"private" must be true or false', hint='{"private": true}')
        return bool(body["private"])
    return None


def add_account_routes(app: web.Application) -> None:
    app.router.add_get("/api/whoami-v2", whoami)
    app.router.add_get("/api/users", list_users)
    app.router.add_post("/api/users", add_user)
    app.router.add_get("/api/users/{user}", get_user)
    app.router.add_put("/api/users/{user}", update_user)
    app.router.add_delete("/api/users/{user}", remove_user)
    app.router.add_get("/api/orgs", list_orgs)
    app.router.add_post("/api/orgs", create_org)
    app.router.add_get("/api/orgs/{org}/members", members)
    app.router.add_put("/api/orgs/{org}/members/{user}", set_member)
    app.router.add_delete("/api/orgs/{org}/members/{user}", remove_member)
    app.router.add_delete("/api/orgs/{org}", delete_org)
    app.router.add_get("/api/tokens", list_tokens)
    app.router.add_post("/api/tokens", create_token)
    app.router.add_delete("/api/tokens/{id}", revoke_token)
    app.router.add_get("/api/admin/signup", get_signup)
    app.router.add_put("/api/admin/signup", set_signup)
    app.router.add_post("/api/admin/invites", create_invite)
