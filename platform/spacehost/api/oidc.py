"""Sign-in through an OpenID Connect provider (docs/accounts.md#single-sign-on-openid-connect):

- ``GET /auth/oidc/login?next=PATH`` → the provider's authorization page (state, nonce and PKCE
  kept in a signed, ten-minute cookie);
- ``GET /auth/oidc/callback?code&state`` → the code exchanged at the provider's token endpoint,
  the ID token checked (identity/oidc.py), the user found by (issuer, subject) or made, and a
  session started as a password sign-in would;
- ``GET /api/auth/providers`` → what the sign-in page offers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jwt
import requests
from aiohttp import web

from spacehost import access
from spacehost.api.signin import safe_next, set_session_cookies
from spacehost.appkeys import PLATFORM
from spacehost.errors import Forbidden, NotFound, Unauthorized
from spacehost.identity import oidc
from spacehost.settings import Settings

COOKIE = "spacehost_oidc"
PENDING_TTL_S = 600
CALLBACK = "/auth/oidc/callback"
_PROVIDER = web.AppKey("oidc_provider", dict)


def _settings(request: web.Request) -> Settings:
    settings: Settings = request.app[PLATFORM].settings
    if not settings.oidc_issuer:
        raise NotFound("single sign-on is not configured", hint="sign in with a password")
    return settings


def _discover(issuer: str) -> oidc.Provider:
    try:
        resp = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
        resp.raise_for_status()
        return oidc.Provider.from_discovery(resp.json())
    except (requests.RequestException, ValueError) as exc:
        raise Unauthorized(
            f"cannot reach the sign-in provider {issuer}: {exc}",
            hint="try again; an operator should check SPACEHOST_OIDC_ISSUER",
        ) from exc


async def _provider(
    request: web.Request, settings: Settings
) -> tuple[oidc.Provider, jwt.PyJWKClient]:
    cache: dict[str, Any] = request.app[_PROVIDER]
    if settings.oidc_issuer not in cache:
        provider = await asyncio.to_thread(_discover, settings.oidc_issuer)
        cache[settings.oidc_issuer] = (
            provider,
            jwt.PyJWKClient(provider.jwks_uri, cache_keys=True),
        )
    found: tuple[oidc.Provider, jwt.PyJWKClient] = cache[settings.oidc_issuer]
    return found


def _redirect_uri(request: web.Request) -> str:
    return request.app[PLATFORM].settings.base_url + CALLBACK


async def providers(request: web.Request) -> web.Response:
    settings: Settings = request.app[PLATFORM].settings
    if not settings.oidc_issuer:
        return web.json_response({"oidc": None})
    return web.json_response({"oidc": {"label": settings.oidc_label, "login": "/auth/oidc/login"}})


async def login(request: web.Request) -> web.StreamResponse:
    settings = _settings(request)
    provider, _ = await _provider(request, settings)
    url, pending = oidc.start(
        provider,
        settings.oidc_client_id,
        _redirect_uri(request),
        safe_next(request.query.get("next", "/")),
    )
    value = json.dumps([pending.state, pending.nonce, pending.verifier, pending.next])
    resp = web.HTTPFound(url)
    resp.set_cookie(
        COOKIE,
        access.accounts(request).sign(value, PENDING_TTL_S),
        max_age=PENDING_TTL_S,
        path="/auth/oidc/",
        httponly=True,
        samesite="Lax",
        secure=access.https(request),
    )
    raise resp


def _pending(request: web.Request) -> oidc.Pending:
    raw = access.accounts(request).unsign(access.cookies(request).get(COOKIE, ""))
    if raw is None:
        raise Unauthorized(
            "this sign-in expired or was started in another browser", hint="sign in again"
        )
    state, nonce, verifier, nxt = json.loads(raw)
    return oidc.Pending(state, nonce, verifier, nxt)


def _exchange(
    settings: Settings, provider: oidc.Provider, code: str, verifier: str, redirect: str
) -> str:
    try:
        resp = requests.post(
            provider.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect,
                "code_verifier": verifier,
            },
            auth=(settings.oidc_client_id, settings.oidc_client_secret),
            timeout=15,
        )
        body = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise Unauthorized(f"the sign-in provider did not answer: {exc}", hint="try again") from exc
    if resp.status_code != 200 or "id_token" not in body:
        raise Unauthorized(
            f"the sign-in provider refused the code: {body.get('error', resp.status_code)}",
            hint="sign in again; an operator should check the client id and secret",
        )
    return str(body["id_token"])


async def callback(request: web.Request) -> web.StreamResponse:
    settings = _settings(request)
    pending = _pending(request)
    if request.query.get("state") != pending.state:
        raise Unauthorized(
            "the sign-in provider's answer is not for this sign-in", hint="sign in again"
        )
    if "error" in request.query:
        raise Unauthorized(
            f"the sign-in provider said: {request.query['error']}", hint="sign in again"
        )
    provider, keys = await _provider(request, settings)
    id_token = await asyncio.to_thread(
        _exchange,
        settings,
        provider,
        request.query.get("code", ""),
        pending.verifier,
        _redirect_uri(request),
    )
    claims = await asyncio.to_thread(
        oidc.verify_id_token, id_token, provider, settings.oidc_client_id, pending.nonce, keys
    )
    acc = access.accounts(request)
    name = await asyncio.to_thread(acc.external_user, provider.issuer, str(claims["sub"]))
    if name is None:
        if not settings.oidc_create_users:
            raise Forbidden(
                "there is no account for this identity on this platform",
                hint="ask an admin to create one (SPACEHOST_OIDC_CREATE_USERS is off)",
            )
        user = await asyncio.to_thread(
            acc.add_external_user,
            provider.issuer,
            str(claims["sub"]),
            oidc.user_name(claims),
            str(claims.get("name", "")),
            str(claims.get("email", "")),
        )
        name = user.name
    sid, csrf = await asyncio.to_thread(acc.new_session, name)
    resp = web.HTTPSeeOther(pending.next)
    set_session_cookies(request, resp, sid, csrf)
    resp.del_cookie(COOKIE, path="/auth/oidc/")
    raise resp


def add_oidc_routes(app: web.Application) -> None:
    app[_PROVIDER] = {}
    app.router.add_get("/api/auth/providers", providers)
    app.router.add_get("/auth/oidc/login", login)
    app.router.add_get(CALLBACK, callback)
