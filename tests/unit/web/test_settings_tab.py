"""The Settings tab of a space's page: shown to the space's writers only, with the space's
visibility, sleep time, variables, secrets' names (never values) and the namespaces it may be
duplicated to; the pure renderer escapes what it shows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.server.control import make_app
from spacehost.store.space_config import ConfigEntry
from spacehost.web.settings_tab import SettingsView, settings_tab
from tests.support.platforms import platform_in

OPERATOR = "sh_operator-token"
FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}
SPACE = SpaceId("acme", "demo")
Scenario = Callable[[TestClient], Awaitable[None]]
SETTINGS_LINK = "href='http://127.0.0.1:8000/spaces/acme/demo?tab=settings'"


def run(tmp_path: Path, scenario: Scenario) -> None:
    """acme/demo (public) with a variable and a secret; bob writes acme, carol reads it."""
    with platform_in(tmp_path) as platform:
        platform.push(SPACE, FILES)
        platform.set_config(SPACE, "variable", "MODEL", "tiny")
        platform.set_config(SPACE, "secret", "API_KEY", "s3cr3t-value")

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


async def sign_in(c: TestClient, name: str) -> None:
    resp = await c.post("/api/auth/sign-in", json={"name": name, "password": "correct horse"})
    assert resp.status == 200, await resp.text()


def test_a_writer_sees_the_settings_tab_with_the_spaces_settings(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await sign_in(c, "bob")
        logs = await (await c.get("/spaces/acme/demo?tab=logs")).text()
        assert SETTINGS_LINK in logs
        page = await c.get("/spaces/acme/demo?tab=settings")
        text = await page.text()
        assert page.status == 200 and "<section id=tab-settings" in text
        assert "This space is <strong>public</strong>" in text and "Make private" in text
        assert "<code>MODEL</code></td><td>tiny</td>" in text
        assert "<code>API_KEY</code>" in text and "s3cr3t-value" not in text
        assert "<select name=owner><option>bob</option><option>acme</option></select>" in text
        assert "<button id=delete-space type=submit disabled>" in text

    run(tmp_path, scenario)


def test_readers_and_anonymous_visitors_get_no_settings_tab(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        for who in ("anonymous", "carol"):
            if who != "anonymous":
                await sign_in(c, who)
            logs = await (await c.get("/spaces/acme/demo?tab=logs")).text()
            assert "?tab=settings" not in logs, who
            asked = await (await c.get("/spaces/acme/demo?tab=settings")).text()
            assert "<section id=tab-app" in asked and "data-action" not in asked, who

    run(tmp_path, scenario)


def test_settings_on_a_page_host_go_to_the_platforms_host(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await sign_in(c, "bob")
        moved = await c.get(
            "/spaces/acme/demo?tab=settings",
            headers={"Host": "page.acme-demo.localhost:8000"},
            allow_redirects=False,
        )
        assert moved.status == 302
        assert moved.headers["Location"] == "http://127.0.0.1:8000/spaces/acme/demo?tab=settings"

    run(tmp_path, scenario)


def test_the_tab_escapes_names_and_offers_the_other_visibility() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    view = SettingsView(
        space="acme/demo",
        private=True,
        sleep_seconds=3600,
        variables=[ConfigEntry("K", hostile, "", 0.0)],
        secrets=["S"],
        namespaces=["bob", hostile],
    )
    out = settings_tab(view)
    assert hostile not in out and "&lt;img src=x" in out
    assert "<strong>private</strong>" in out and "id=make-public" in out
    assert "value='3600'" in out and "data-space='acme/demo'" in out
