"""What the account pages share: HTML answers, the not-found page, signing-in first, and the
small form markup the page script (web/pagescript.py) sends as JSON."""

from __future__ import annotations

import html
from urllib.parse import quote

from aiohttp import web

from spacehost.identity import Actor
from spacehost.web.layout import shell
from spacehost.web.pagescript import FORM_ERROR
from spacehost.web.usermenu import request_actor

e = html.escape

CSS = """<style>
.acct{max-width:760px}.acct form.stack{display:flex;flex-direction:column;gap:8px;max-width:360px}
.acct form.row{display:inline-flex;gap:6px;align-items:center;flex-wrap:wrap;margin:0}
.acct .reveal{background:#ecfdf5;border:1px solid #a7f3d0;border-radius:8px;padding:10px;
margin:8px 0}.acct .reveal code{word-break:break-all}.meta{color:#6b7280;font-size:.9rem}
.acct section{margin:18px 0}.acct ul.repos{padding-left:18px}
</style>"""


def html_page(title: str, body: str, status: int = 200) -> web.Response:
    """An account page: *body* (trusted HTML) in the shell."""
    text = shell(f"spacehost · {title}", f"{CSS}<div class=acct>{body}</div>", nav="")
    return web.Response(text=text, status=status, content_type="text/html")


def not_found_page() -> web.Response:
    """The 404 of a page that does not exist, or that this visitor may not know exists."""
    body = "<h1>404</h1><p>There is no such page here.</p><p><a href='/'>All spaces</a></p>"
    return html_page("not found", body, status=404)


def signed_in(request: web.Request) -> Actor:
    """The signed-in visitor; anyone else is sent to the sign-in page, coming back here."""
    who = request_actor(request)
    if not who.signed_in:
        raise web.HTTPSeeOther(f"/sign-in?next={quote(request.path_qs, safe='/')}")
    return who


def api_form(
    method: str,
    path: str,
    inner: str,
    *,
    then: str = "reload",
    klass: str = "stack",
    extra: str = "",
) -> str:
    """A form the page script sends as ``METHOD path`` (JSON, with the CSRF header); *inner*
    and *extra* (more attributes) are trusted HTML."""
    return (
        f"<form class={klass} data-api='{e(method)} {e(path, quote=True)}' "
        f"data-then='{e(then, quote=True)}'{extra}>{inner}{FORM_ERROR}</form>"
    )


def reveal_box(ident: str, note: str) -> str:
    """Where a value shown once appears (a new token, an invite link), with a copy button."""
    return (
        f"<div class=reveal id={ident} hidden><p>{note}</p><code data-value id={ident}-value>"
        f"</code> <button type=button data-copy={ident}-value>Copy</button></div>"
    )
