"""A private space's page over the control plane's whole application: a signed-in reader's
browser gets the space's pass on the way to the page host (the page host and its app frame
have it), or an app frame through the pass exchange where the page stays on the platform's
host; token visitors, public spaces and others are left as before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS
from spacehost.domain import SpaceId, Stage
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle import Platform
from spacehost.server.control import make_app
from spacehost.settings import Settings
from tests.support.platforms import fake_settings, platform_in
from tests.support.polling import wait_for

OPERATOR = "sh_operator-token"
FILES = {"README.md": b"---\ntitle: Secret\nsdk: gradio\n---\n", "app.py": b"print('hi')"}
HTML = {"Accept": "text/html"}
SPACE = SpaceId("bob", "secret")
Scenario = Callable[[TestClient, Accounts], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario, settings: Settings | None = None) -> None:
    """*scenario* with bob's private space bob/secret running; bob and carol (a stranger)
    have the password "correct horse"."""
    with platform_in(tmp_path, settings=settings or fake_settings(tmp_path)) as platform:
        platform.push(SPACE, FILES)
        platform.set_private(SPACE, True)
        running(platform, SPACE)

        async def main() -> None:
            app = make_app(platform, OPERATOR)
            acc: Accounts = app[ACCOUNTS]
            for user in ("bob", "carol"):
                acc.add_user(user, password="correct horse")
            async with TestClient(TestServer(app)) as client:
                await scenario(client, acc)

        asyncio.run(main())


def running(platform: Platform, space: SpaceId) -> None:
    wait_for(
        lambda: platform.queries.get_space(space).stage is Stage.RUNNING,
        timeout=30,
        what=f"{space} to run",
    )


async def sign_in(c: TestClient, name: str) -> None:
    resp = await c.post("/api/auth/sign-in", json={"name": name, "password": "correct horse"})
    assert resp.status == 200, await resp.text()


def _host_of(url: str) -> str:
    return urlsplit(url).netloc


async def follow_to_page_host(c: TestClient) -> tuple[Any, str]:
    """Open bob/secret's page as a browser on the platform's host and follow the redirects to
    its page host by hand (the test server answers every host); the page and the pass."""
    moved = await c.get("/spaces/bob/secret", headers=HTML, allow_redirects=False)
    assert moved.status == 302, await moved.text()
    exchange = moved.headers["Location"]
    parts = urlsplit(exchange)
    assert parts.netloc == "page.bob-secret.localhost:8000"
    assert parts.path == "/api/auth/space-cookie"
    query = parse_qs(parts.query)
    assert query["to"] == ["page"] and query["next"] == ["/spaces/bob/secret"]
    c.session.cookie_jar.clear()  # the page host never gets the platform's session cookie
    issued = await c.get(
        f"{parts.path}?{parts.query}", headers={"Host": parts.netloc}, allow_redirects=False
    )
    assert issued.status == 302, await issued.text()
    cookie = issued.cookies["spacehost_space"]
    assert cookie["domain"] == "bob-secret.localhost"  # the page host and the app's host
    back = urlsplit(issued.headers["Location"])
    assert back.netloc == parts.netloc and back.path == "/spaces/bob/secret"
    c.session.cookie_jar.clear()
    page = await c.get(
        f"{back.path}?{back.query}",
        headers={**HTML, "Host": back.netloc, "Cookie": f"spacehost_space={cookie.value}"},
        allow_redirects=False,
    )
    return page, cookie.value


def test_a_signed_in_reader_reaches_the_page_host_with_the_spaces_pass(tmp_path: Path) -> None:
    async def scenario(c: TestClient, acc: Accounts) -> None:
        await sign_in(c, "bob")
        page, _ = await follow_to_page_host(c)
        text = await page.text()
        assert page.status == 200, text
        assert "<iframe id=app-frame class=app src='http://bob-secret.localhost:8000/'" in text
        # the owner's pass shows the Settings tab, on the platform's host (the session's)
        assert "href='http://127.0.0.1:8000/spaces/bob/secret?tab=settings'" in text

    run(tmp_path, scenario)


def test_others_get_404_and_a_token_visitor_moves_without_a_pass(tmp_path: Path) -> None:
    async def scenario(c: TestClient, acc: Accounts) -> None:
        anonymous = await c.get("/spaces/bob/secret", headers=HTML, allow_redirects=False)
        assert anonymous.status == 404
        await sign_in(c, "carol")
        stranger = await c.get("/spaces/bob/secret", headers=HTML, allow_redirects=False)
        assert stranger.status == 404
        c.session.cookie_jar.clear()
        token = acc.create_token("bob", "ci", Role.READ).value
        moved = await c.get(
            "/spaces/bob/secret",
            headers={**HTML, "Authorization": f"Bearer {token}"},
            allow_redirects=False,
        )
        assert (
            moved.headers["Location"] == "http://page.bob-secret.localhost:8000/spaces/bob/secret"
        )

    run(tmp_path, scenario)


def test_a_page_on_the_platforms_host_frames_the_app_through_the_pass(tmp_path: Path) -> None:
    settings = fake_settings(
        tmp_path, domain="spaces.test", port=80, public_url="http://spaces.test"
    )

    async def scenario(c: TestClient, acc: Accounts) -> None:
        await sign_in(c, "bob")
        page = await c.get("/spaces/bob/secret", headers={**HTML, "Host": "spaces.test"})
        text = await page.text()
        assert page.status == 200, text
        start = text.index("<iframe id=app-frame")
        frame = text[start : text.index(">", start)]
        assert "src='http://page.bob-secret.spaces.test/api/auth/space-cookie?ticket=" in frame
        assert "to=app&amp;next=%2F'" in frame
        assert "data-origin='http://bob-secret.spaces.test'" in frame

    run(tmp_path, scenario, settings)
