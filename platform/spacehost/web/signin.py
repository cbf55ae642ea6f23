"""``/sign-in`` and ``/sign-up``: the pages of the API's sign-in and sign-up (api/signin.py).

The form is sent by the page script (web/pagescript.py) as JSON, so a failure shows the API's
message in the page (a wrong password's 401, the throttle's 429 with its wait) and a success
goes on to ``next``. Without script the form still posts (``method=post``) and the API answers
a form post with a 303 to ``next``; a failure then shows the API's JSON error.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from spacehost import access
from spacehost.appkeys import PLATFORM
from spacehost.identity import Signup
from spacehost.settings import Settings
from spacehost.web.account_kit import api_form, e, html_page, not_found_page
from spacehost.web.pagescript import FORM_ERROR


def sign_in_form(nxt: str) -> str:
    """The sign-in form: script sends JSON; without script it is a plain form post."""
    return (
        f"<form class=stack method=post action='/api/auth/sign-in' id=sign-in "
        f"data-api='POST /api/auth/sign-in' data-then='go:{e(nxt, quote=True)}'>"
        "<label>User name <input name=name autocomplete=username required autofocus></label>"
        "<label>Password <input name=password type=password autocomplete=current-password "
        "required></label>"
        f"<input type=hidden name=next value='{e(nxt, quote=True)}'>"
        f"<button type=submit>Sign in</button>{FORM_ERROR}</form>"
    )


def single_sign_on(settings: Settings, nxt: str) -> str:
    """The button of the OpenID Connect provider, when one is configured (api/oidc.py)."""
    if not settings.oidc_issuer:
        return ""
    href = f"/auth/oidc/login?{urlencode({'next': nxt})}"
    return (
        f"<p><a id=sso href='{e(href, quote=True)}'>{e(settings.oidc_label)}</a></p>"
        "<p class=meta>or with a password:</p>"
    )


async def sign_in_page(request: web.Request) -> web.Response:
    """``GET /sign-in[?next=/path]``."""
    nxt = access.safe_next(request.query.get("next", "/"))
    mode = await asyncio.to_thread(access.accounts(request).signup)
    join = "<p class=meta>No account? <a href='/sign-up'>Sign up</a>.</p>"
    sso = single_sign_on(request.app[PLATFORM].settings, nxt)
    body = f"<h1>Sign in</h1>{sso}{sign_in_form(nxt)}{join if mode is Signup.OPEN else ''}"
    return html_page("sign in", body)


def sign_up_form(invite: str) -> str:
    fields = (
        "<label>User name <input name=name autocomplete=username required></label>"
        "<label>Password <input name=password type=password autocomplete=new-password "
        "required minlength=8></label>"
        "<label>Email (optional) <input name=email type=email autocomplete=email></label>"
        f"<input type=hidden name=invite value='{e(invite, quote=True)}'>"
        "<button type=submit>Create account</button>"
    )
    return api_form("POST", "/api/auth/sign-up", fields, then="go:/", extra=" id=sign-up")


async def sign_up_page(request: web.Request) -> web.Response:
    """``GET /sign-up[?invite=CODE]``: only while sign-up is open, or invite-only with a code
    (the API checks the code); a 404 otherwise."""
    mode = await asyncio.to_thread(access.accounts(request).signup)
    invite = request.query.get("invite", "")
    if mode is Signup.CLOSED or (mode is Signup.INVITE and not invite):
        return not_found_page()
    body = f"<h1>Create an account</h1>{sign_up_form(invite)}"
    return html_page("sign up", body)


def add_signin_pages(app: web.Application) -> None:
    app.router.add_get("/sign-in", sign_in_page)
    app.router.add_get("/sign-up", sign_up_page)
