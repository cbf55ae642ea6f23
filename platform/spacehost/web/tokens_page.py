"""``/settings/tokens``: the signed-in user's tokens (name, role, start, created, last used);
create one (shown once, with a copy button) and revoke one (after a confirmation). The page's
forms call the tokens API (api/accounts.py) with the session's CSRF value."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiohttp import web

from spacehost import access
from spacehost.identity import TokenInfo
from spacehost.web.account_kit import api_form, e, html_page, reveal_box, signed_in


def when(ts: float | None) -> str:
    """A time as ``YYYY-MM-DD HH:MM`` (UTC), or "never"."""
    if ts is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def token_row(t: TokenInfo) -> str:
    revoke = api_form(
        "DELETE",
        f"/api/tokens/{t.id}",
        "<button type=submit>Revoke</button>",
        klass="row",
        extra=f" data-confirm='Revoke the token {e(t.name, quote=True)}? Scripts using it will "
        "stop working.'",
    )
    return (
        f"<tr data-token={t.id}><td>{e(t.name)}</td><td>{t.role.value}</td>"
        f"<td><code>{e(t.shown)}</code></td><td>{when(t.created_at)}</td>"
        f"<td>{when(t.last_used_at)}</td><td>{revoke}</td></tr>"
    )


CREATE_FORM = api_form(
    "POST",
    "/api/tokens",
    "<label>Name <input name=name required maxlength=100 placeholder=ci-deploy></label>"
    "<label>Role <select name=role><option value=read>read</option>"
    "<option value=write>write</option></select></label>"
    "<button type=submit>Create token</button>",
    then="reveal",
    klass="row",
    extra=" id=new-token-form data-reveal=new-token data-key=token",
)


def render_tokens(tokens: Sequence[TokenInfo]) -> str:
    rows = "".join(token_row(t) for t in tokens)
    table = (
        "<table id=tokens><tr><th>Name</th><th>Role</th><th>Token</th><th>Created</th>"
        f"<th>Last used</th><th></th></tr>{rows}</table>"
        if tokens
        else "<p id=tokens>No tokens yet.</p>"
    )
    note = "Copy your new token now: it is not shown again. <a href='/settings/tokens'>Done</a>"
    return (
        "<h1>Access tokens</h1><p class=meta>Use a token as <code>Authorization: Bearer …</code>"
        ", with <code>hf auth login</code> or <code>spacehost login</code>. A read token reads "
        "what you may read; a write token may also push, restart and change your spaces.</p>"
        f"<section><h2>New token</h2>{CREATE_FORM}{reveal_box('new-token', note)}</section>"
        f"<section><h2>Your tokens</h2>{table}</section>"
    )


async def tokens_page(request: web.Request) -> web.Response:
    """``GET /settings/tokens`` (signed-in users; others go to the sign-in page)."""
    who = signed_in(request)
    tokens = await asyncio.to_thread(access.accounts(request).list_tokens, who.name or "")
    return html_page("tokens", render_tokens(tokens))
