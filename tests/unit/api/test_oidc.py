"""Single sign-on through a real (small) OpenID Connect provider over HTTP: the whole
authorization-code flow with PKCE, a user made at the first sign-in and found again at the next,
and the refusals (a state that is not ours, a forged ID token, accounts not made when off)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from spacehost.server.control import make_app
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.support.platforms import fake_settings, platform_in

OPERATOR = "sh_operator-token"
Scenario = Callable[[TestClient, Provider], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario, **settings: object) -> None:
    provider = Provider()

    async def main() -> None:
        async with TestServer(provider.app()) as idp:
            provider.issuer = str(idp.make_url("")).rstrip("/")
            config = fake_settings(
                tmp_path,
                oidc_issuer=provider.issuer,
                oidc_client_id=CLIENT_ID,
                oidc_client_secret=CLIENT_SECRET,
                **settings,
            )
            with platform_in(tmp_path, settings=config) as platform:
                async with TestClient(TestServer(make_app(platform, OPERATOR))) as client:
                    await scenario(client, provider)

    asyncio.run(main())


async def sign_in(c: TestClient, nxt: str = "/spaces") -> tuple[int, str]:
    """Follow the flow by hand: platform → provider → platform's callback. The callback's
    status and where it sends the browser."""
    start = await c.get(f"/auth/oidc/login?next={nxt}", allow_redirects=False)
    assert start.status == 302, await start.text()
    async with c.session.get(start.headers["Location"], allow_redirects=False) as at_idp:
        assert at_idp.status == 302, await at_idp.text()
        back = urlparse(at_idp.headers["Location"])
    done = await c.get(f"{back.path}?{back.query}", allow_redirects=False)
    return done.status, done.headers.get("Location", await done.text())


def test_a_first_sign_in_makes_the_user_and_the_next_finds_them(tmp_path: Path) -> None:
    async def scenario(c: TestClient, idp: Provider) -> None:
        assert (await (await c.get("/api/auth/providers")).json())["oidc"][
            "login"
        ] == "/auth/oidc/login"
        status, where = await sign_in(c)
        assert (status, where) == (303, "/spaces")
        me = await (await c.get("/api/whoami-v2")).json()
        assert (me["name"], me["email"], me["fullname"]) == ("dora", "dora@lab.example", "Dora")
        c.session.cookie_jar.clear()
        idp.person["preferred_username"] = "renamed-at-the-provider"
        assert (await sign_in(c))[0] == 303
        assert (await (await c.get("/api/whoami-v2")).json())["name"] == "dora"  # same subject

    run(tmp_path, scenario)


def test_an_identity_whose_name_is_taken_gets_a_name_of_its_own(tmp_path: Path) -> None:
    async def scenario(c: TestClient, idp: Provider) -> None:
        resp = await c.post(
            "/api/users", json={"name": "dora"}, headers={"Authorization": f"Bearer {OPERATOR}"}
        )
        assert resp.status == 201
        assert (await sign_in(c))[0] == 303
        assert (await (await c.get("/api/whoami-v2")).json())["name"] == "dora-2"

    run(tmp_path, scenario)


def test_a_state_that_is_not_ours_and_a_forged_token_are_refused(tmp_path: Path) -> None:
    async def scenario(c: TestClient, idp: Provider) -> None:
        start = await c.get("/auth/oidc/login", allow_redirects=False)
        state = parse_qs(urlparse(start.headers["Location"]).query)["state"][0]
        wrong = await c.get("/auth/oidc/callback?code=x&state=not-" + state)
        assert wrong.status == 401 and "not for this sign-in" in await wrong.text()
        # an ID token signed with a key the provider does not publish (an impostor)
        idp.impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        status, text = await sign_in(c)
        assert status == 401 and "ID token was refused" in text, text
        assert (await c.get("/api/whoami-v2")).status == 401

    run(tmp_path, scenario)


def test_no_account_is_made_when_creating_users_is_off(tmp_path: Path) -> None:
    async def scenario(c: TestClient, idp: Provider) -> None:
        status, text = await sign_in(c)
        assert status == 403 and "no account for this identity" in text
        assert (await c.get("/api/whoami-v2")).status == 401

    run(tmp_path, scenario, oidc_create_users=False)


def test_without_a_provider_the_routes_say_so(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        assert (await (await c.get("/api/auth/providers")).json()) == {"oidc": None}
        assert (await c.get("/auth/oidc/login", allow_redirects=False)).status == 404

    with platform_in(tmp_path) as platform:

        async def main() -> None:
            async with TestClient(TestServer(make_app(platform, OPERATOR))) as client:
                await scenario(client)

        asyncio.run(main())
