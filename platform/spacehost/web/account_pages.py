"""Where the account pages live (docs/accounts.md, "Pages"). ``/{name}`` (a user's or an
organization's page) is registered by :func:`add_namespace_page`, after every other route, so
the platform's own one-segment pages keep answering first."""

from __future__ import annotations

from aiohttp import web

from spacehost.web.admin import admin_page
from spacehost.web.my_spaces import my_spaces_page
from spacehost.web.orgs_page import new_org_page, orgs_page
from spacehost.web.profile import namespace_page
from spacehost.web.setup import add_setup_pages
from spacehost.web.signin import add_signin_pages
from spacehost.web.tokens_page import tokens_page


def add_account_pages(app: web.Application) -> None:
    """Sign-in, sign-up, setup, tokens, my spaces, organizations and admin pages."""
    add_signin_pages(app)
    add_setup_pages(app)
    app.router.add_get("/settings/tokens", tokens_page)
    app.router.add_get("/settings/spaces", my_spaces_page)
    app.router.add_get("/organizations", orgs_page)
    app.router.add_get("/organizations/new", new_org_page)
    app.router.add_get("/admin", admin_page)


def add_namespace_page(app: web.Application) -> None:
    """``/{name}``: last, after every fixed one-segment route."""
    app.router.add_get("/{name}", namespace_page)
