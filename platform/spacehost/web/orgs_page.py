"""``/organizations`` (the signed-in user's organizations and roles) and ``/organizations/new``
(any signed-in user may create one and becomes its admin; api/accounts.py create_org)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from spacehost.web.account_kit import api_form, e, html_page, signed_in

NEW_ORG_FORM = api_form(
    "POST",
    "/api/orgs",
    "<label>Name (the namespace: acme/demo) <input name=name required></label>"
    "<label>Display name (optional) <input name=fullname></label>"
    "<button type=submit>Create organization</button>",
    then="go:/organizations",
    extra=" id=new-org",
)


async def orgs_page(request: web.Request) -> web.Response:
    """``GET /organizations``."""
    who = signed_in(request)
    rows = "".join(
        f"<li><a href='/{quote(org)}'>{e(org)}</a> <span class=meta>{role.value}</span></li>"
        for org, role in sorted(who.orgs.items())
    )
    listing = f"<ul id=orgs>{rows}</ul>" if rows else "<p id=orgs>You are in no organization.</p>"
    body = (
        f"<h1>Organizations</h1>{listing}<p><a href='/organizations/new'>New organization</a></p>"
    )
    return html_page("organizations", body)


async def new_org_page(request: web.Request) -> web.Response:
    """``GET /organizations/new``."""
    signed_in(request)
    return html_page("new organization", f"<h1>New organization</h1>{NEW_ORG_FORM}")
