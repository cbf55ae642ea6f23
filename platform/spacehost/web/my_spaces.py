"""``/settings/spaces`` ("My spaces" in the user menu): the spaces, models and datasets of the
signed-in user and of their organizations, private ones included."""

from __future__ import annotations

import asyncio

from aiohttp import web

from spacehost.web.account_kit import html_page, signed_in
from spacehost.web.profile import holdings, holdings_html


async def my_spaces_page(request: web.Request) -> web.Response:
    """``GET /settings/spaces`` (signed-in users; others go to the sign-in page)."""
    who = signed_in(request)
    owners = {who.name or "", *who.orgs}
    found = await asyncio.to_thread(holdings, request, owners)
    names = ", ".join(sorted(owners))
    body = (
        f"<h1>My spaces</h1><p class=meta>Yours and your organizations' ({names}). "
        "<a href='/docs'>How to push one</a>.</p>" + holdings_html(found)
    )
    return html_page("my spaces", body)
