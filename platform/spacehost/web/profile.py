"""A user's or an organization's page at ``/{name}`` (Hugging Face's ``huggingface.co/{name}``):
their spaces, models and datasets (private ones only to visitors who may read them), an
organization's members and roles, and for its admins: add a member, change a role, remove.

``/{name}`` is one path segment, which no other page uses except the platform's own fixed pages
(``/models``, ``/datasets``, ``/docs``, ``/admin``, ``/setup``, ``/sign-in``, ``/sign-up``,
``/organizations``), registered before it and so answered first; the hub's ``/{owner}/{name}``
has two segments.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from spacehost import access
from spacehost.appkeys import PLATFORM
from spacehost.domain import RepoKind
from spacehost.errors import NotFound
from spacehost.identity import Action, Kind, Member, Resource, Role, can
from spacehost.lifecycle.facade import Facade
from spacehost.web.account_kit import api_form, e, html_page, not_found_page
from spacehost.web.hub.pages import hub_of
from spacehost.web.hub.urls import repo_path
from spacehost.web.usermenu import request_actor


@dataclass(frozen=True)
class Holdings:
    """What a namespace holds that the visitor may see: repo ids by kind, and which are
    private."""

    spaces: list[str]
    models: list[str]
    datasets: list[str]
    private: frozenset[tuple[str, str]]  # (kind, repo id)


def _visible_of(request: web.Request, kind: Kind, ids: list[str], owners: set[str]) -> list[str]:
    mine = sorted(i for i in ids if i.partition("/")[0] in owners)
    return access.visible(request, kind, mine)


def holdings(request: web.Request, owners: set[str]) -> Holdings:
    """The spaces, models and datasets of *owners* the request may see (blocking)."""
    platform: Facade = request.app[PLATFORM]
    spaces = [str(r.id) for r in platform.queries.list_spaces()]
    hub = hub_of(request)
    repos = {k: [r.repo_id for r in hub.repos(k)] if hub else [] for k in RepoKind}
    acc = access.accounts(request)
    private = frozenset(
        (kind.value, rid)
        for kind in Kind
        if kind is not Kind.NAMESPACE
        for rid in acc.private_repos(kind.value)
    )
    return Holdings(
        _visible_of(request, Kind.SPACE, spaces, owners),
        _visible_of(request, Kind.MODEL, repos[RepoKind.MODEL], owners),
        _visible_of(request, Kind.DATASET, repos[RepoKind.DATASET], owners),
        private,
    )


def _items(kind: Kind, ids: Sequence[str], private: frozenset[tuple[str, str]]) -> str:
    if not ids:
        return "<p class=meta>None yet.</p>"
    out = []
    for rid in ids:
        href = (
            f"/spaces/{quote(rid)}" if kind is Kind.SPACE else repo_path(RepoKind(kind.value), rid)
        )
        lock = " <span class=badge>private</span>" if (kind.value, rid) in private else ""
        out.append(f"<li><a href='{e(href, quote=True)}'>{e(rid)}</a>{lock}</li>")
    return f"<ul class=repos id={kind.value}s>{''.join(out)}</ul>"


def holdings_html(h: Holdings) -> str:
    return (
        f"<section><h2>Spaces</h2>{_items(Kind.SPACE, h.spaces, h.private)}</section>"
        f"<section><h2>Models</h2>{_items(Kind.MODEL, h.models, h.private)}</section>"
        f"<section><h2>Datasets</h2>{_items(Kind.DATASET, h.datasets, h.private)}</section>"
    )


def _role_select(current: Role | None) -> str:
    return (
        "<select name=role aria-label=role>"
        + "".join(f"<option{' selected' if r is current else ''}>{r.value}</option>" for r in Role)
        + "</select>"
    )


def member_row(org: str, m: Member, manage: bool) -> str:
    path = f"/api/orgs/{quote(org)}/members/{quote(m.user)}"
    if not manage:
        link = f"<a href='/{quote(m.user)}'>{e(m.user)}</a>"
        return f"<tr><td>{link}</td><td>{m.role.value}</td></tr>"
    change = api_form(
        "PUT", path, _role_select(m.role) + "<button type=submit>Change</button>", klass="row"
    )
    remove = api_form(
        "DELETE",
        path,
        "<button type=submit>Remove</button>",
        klass="row",
        extra=f" data-confirm='Remove {e(m.user, quote=True)} from {e(org, quote=True)}?'",
    )
    return (
        f"<tr data-member='{e(m.user, quote=True)}'><td><a href='/{quote(m.user)}'>"
        f"{e(m.user)}</a></td><td>{change}</td><td>{remove}</td></tr>"
    )


def members_html(org: str, members: Sequence[Member], manage: bool) -> str:
    rows = "".join(member_row(org, m, manage) for m in members)
    add = ""
    if manage:
        add = api_form(
            "PUT",
            f"/api/orgs/{quote(org)}/members/{{user}}",
            "<input name=user required placeholder='user name' aria-label='user name'>"
            f"{_role_select(Role.READ)}<button type=submit>Add member</button>",
            klass="row",
            extra=" id=add-member",
        )
    return f"<section><h2>Members</h2><table id=members>{rows}</table>{add}</section>"


def _user_page(request: web.Request, name: str) -> str:
    acc = access.accounts(request)
    user = acc.get_user(name)
    orgs = acc.orgs_of(name)
    org_links = ", ".join(f"<a href='/{quote(o)}'>{e(o)}</a>" for o in orgs) or "none"
    head = f"<h1>{e(user.fullname or user.name)}</h1><p class=meta>@{e(user.name)} · user"
    return (
        f"{head}{' · admin' if user.is_admin else ''}</p>"
        f"<p>Organizations: {org_links}</p>{holdings_html(holdings(request, {name}))}"
    )


def _org_page(request: web.Request, name: str) -> str:
    acc = access.accounts(request)
    org = acc.get_org(name)
    manage = can(request_actor(request), Action.MANAGE, Resource(Kind.NAMESPACE, name))
    return (
        f"<h1>{e(org.fullname or org.name)}</h1><p class=meta>@{e(org.name)} · organization</p>"
        f"{holdings_html(holdings(request, {name}))}{members_html(name, acc.members(name), manage)}"
    )


def _namespace_page(request: web.Request, name: str) -> str | None:
    kind = access.accounts(request).namespace_kind(name)
    if kind == "user":
        return _user_page(request, name)
    if kind == "org":
        return _org_page(request, name)
    return None


async def namespace_page(request: web.Request) -> web.Response:
    """``GET /{name}``: a user's or an organization's page; 404 for a name nobody holds."""
    name = request.match_info["name"]
    try:
        body = await asyncio.to_thread(_namespace_page, request, name)
    except NotFound:
        body = None
    if body is None:
        return not_found_page()
    return html_page(name, body)
