"""The "New space" page: a sign-in prompt for anonymous visitors, the form with the namespaces a
signed-in user may write, and after creation the push instructions for a space the visitor may
see (never for a private one they may not)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.server.control import make_app
from tests.support.platforms import platform_in

OPERATOR = "sh_operator-token"
Scenario = Callable[[TestClient], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    """bob writes acme; carol reads it."""
    with platform_in(tmp_path) as platform:

        async def main() -> None:
            app = make_app(platform, OPERATOR)
            acc: Accounts = app[ACCOUNTS]
            for user in ("bob", "carol"):
                acc.add_user(user, password="correct horse")
            acc.create_org("acme", "bob")
            acc.set_member("acme", "carol", Role.READ)
            async with TestClient(TestServer(app)) as client:
                await scenario(client)

        asyncio.run(main())


async def sign_in(c: TestClient, name: str) -> str:
    resp = await c.post("/api/auth/sign-in", json={"name": name, "password": "correct horse"})
    assert resp.status == 200, await resp.text()
    csrf: str = (await resp.json())["csrf"]
    return csrf


def test_anonymous_visitors_are_asked_to_sign_in(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        text = await (await c.get("/new-space")).text()
        assert "href='/sign-in?next=/new-space'" in text and "<form" not in text

    run(tmp_path, scenario)


def test_the_form_offers_the_namespaces_the_user_may_write(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await sign_in(c, "carol")
        carol = await (await c.get("/new-space")).text()
        assert "<select name=owner required><option>carol</option></select>" in carol
        c.session.cookie_jar.clear()
        await sign_in(c, "bob")
        bob = await (await c.get("/new-space")).text()
        assert "<option>bob</option><option>acme</option>" in bob
        assert "<option>gradio</option><option>docker</option><option>static</option>" in bob

    run(tmp_path, scenario)


def test_after_creation_the_page_shows_how_to_push(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        csrf = await sign_in(c, "bob")
        made = await c.post(
            "/api/repos/create",
            json={"name": "demo", "organization": "acme", "type": "space", "sdk": "gradio"}
            | {"visibility": "private"},
            headers={"X-CSRF-Token": csrf},
        )
        assert made.status == 200, await made.text()
        text = await (await c.get("/new-space?created=acme/demo")).text()
        assert "spacehost push ./my-space --name acme/demo" in text
        assert "<a id=space-link href='/spaces/acme/demo'>" in text
        assert "<strong>private</strong>" in text and "git: coming" in text
        c.session.cookie_jar.clear()
        await sign_in(c, "carol")  # a reader of acme sees it too
        assert "--name acme/demo" in await (await c.get("/new-space?created=acme/demo")).text()
        c.session.cookie_jar.clear()
        hidden = await (await c.get("/new-space?created=acme/demo")).text()
        assert "acme/demo" not in hidden  # anonymous: a private space does not leak

    run(tmp_path, scenario)
