"""``/admin`` (platform admins only; a 404 to anyone else, so the page tells nothing): users
(add with an optional password, make or unmake admin, set a password, remove), organizations,
the sign-up mode (closed, open, invite) and invite links. Every change goes through the admin
API (api/accounts.py) with the session's CSRF value."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from urllib.parse import quote

from aiohttp import web

from spacehost import access
from spacehost.appkeys import PLATFORM
from spacehost.identity import Org, Signup, User
from spacehost.web.account_kit import api_form, e, html_page, not_found_page, reveal_box
from spacehost.web.usermenu import request_actor


def _body(value: object) -> str:
    return f" data-body='{e(json.dumps(value), quote=True)}'"


def user_row(u: User) -> str:
    path = f"/api/users/{quote(u.name)}"
    toggle = api_form(
        "PUT",
        path,
        f"<button type=submit>{'Remove admin' if u.is_admin else 'Make admin'}</button>",
        klass="row",
        extra=_body({"admin": not u.is_admin}),
    )
    password = api_form(
        "PUT",
        path,
        "<input name=password type=password autocomplete=new-password required minlength=8 "
        "aria-label='new password' placeholder='new password'>"
        "<button type=submit>Set password</button>",
        klass="row",
    )
    remove = api_form(
        "DELETE",
        path,
        "<button type=submit>Remove</button>",
        klass="row",
        extra=f" data-confirm='Remove the user {e(u.name, quote=True)}, their tokens and "
        "sessions?'",
    )
    return (
        f"<tr data-user='{e(u.name, quote=True)}'><td><a href='/{quote(u.name)}'>{e(u.name)}"
        f"</a></td><td>{'admin' if u.is_admin else ''}</td>"
        f"<td>{'yes' if u.has_password else 'no'}</td><td>{toggle}</td><td>{password}</td>"
        f"<td>{remove}</td></tr>"
    )


ADD_USER_FORM = api_form(
    "POST",
    "/api/users",
    "<input name=name required placeholder='user name' aria-label='user name'>"
    "<input name=password type=password autocomplete=new-password "
    "placeholder='password (optional)' aria-label=password>"
    "<label><input name=admin type=checkbox> admin</label><button type=submit>Add user</button>",
    klass="row",
    extra=" id=add-user",
)


def signup_form(mode: Signup) -> str:
    options = "".join(
        f"<option{' selected' if m is mode else ''}>{m.value}</option>" for m in Signup
    )
    return api_form(
        "PUT",
        "/api/admin/signup",
        f"<select name=signup aria-label='sign-up'>{options}</select>"
        "<button type=submit>Save</button>",
        klass="row",
        extra=" id=signup",
    )


def invite_form(base_url: str) -> str:
    form = api_form(
        "POST",
        "/api/admin/invites",
        "<button type=submit>Create an invite link</button>",
        then="reveal",
        klass="row",
        extra=f" id=invite data-reveal=invite-link data-key=invite "
        f"data-prefix='{e(base_url, quote=True)}/sign-up?invite='",
    )
    note = "Send this link to one person: it makes one account (while sign-up is invite)."
    return form + reveal_box("invite-link", note)


def render_admin(users: Sequence[User], orgs: Sequence[Org], mode: Signup, base_url: str) -> str:
    rows = "".join(user_row(u) for u in users)
    org_items = "".join(f"<li><a href='/{quote(o.name)}'>{e(o.name)}</a></li>" for o in orgs)
    return (
        "<h1>Admin</h1><p><a href='/admin/nodes'>Nodes</a>: the machines spaces run on</p>"
        "<section><h2>Users</h2><table id=users><tr><th>Name</th><th>Role</th>"
        f"<th>Password</th><th></th><th></th><th></th></tr>{rows}</table>{ADD_USER_FORM}"
        "</section>"
        f"<section><h2>Organizations</h2><ul id=orgs>{org_items}</ul>"
        "<p><a href='/organizations/new'>New organization</a></p></section>"
        "<section><h2>Sign-up</h2><p class=meta>closed: admins add users; open: anyone may "
        f"sign up; invite: only with an invite link.</p>{signup_form(mode)}"
        f"{invite_form(base_url)}</section>"
    )


def _admin_view(request: web.Request) -> str:
    acc = access.accounts(request)
    base = request.app[PLATFORM].settings.base_url
    return render_admin(acc.list_users(), acc.list_orgs(), acc.signup(), base)


async def admin_page(request: web.Request) -> web.Response:
    """``GET /admin``: admins only; a 404 page for everyone else."""
    if not request_actor(request).is_admin:
        return not_found_page()
    return html_page("admin", await asyncio.to_thread(_admin_view, request))
