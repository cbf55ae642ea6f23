"""A private space's own host gets a signed-in visitor's access through a per-space pass
(api/signin.py): the bounce on the platform's host, the ticket, the cookie exchange on the
space's page host, and the router's access check reading the pass."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestClient

from spacehost import spaceaccess
from spacehost.cli.main import pack_folder
from tests.support.control_app import OPERATOR, Scenario, run_control_app

ADMIN = {"Authorization": f"Bearer {OPERATOR}"}
FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def with_users_and_spaces(client: TestClient) -> None:
        for user in ("bob", "eve"):
            made = await client.post(
                "/api/users", json={"name": user, "password": f"pw of {user}!"}, headers=ADMIN
            )
            assert made.status == 201
        for name, private in (("secret", "1"), ("open", "0")):
            pushed = await client.post(
                f"/api/spaces/bob/{name}/push?private={private}",
                data=pack_folder(FILES),
                headers=ADMIN,
            )
            assert pushed.status == 202
        await scenario(client)

    run_control_app(tmp_path, with_users_and_spaces)


async def sign_in(c: TestClient, user: str) -> None:
    c.session.cookie_jar.clear()
    resp = await c.post("/api/auth/sign-in", json={"name": user, "password": f"pw of {user}!"})
    assert resp.status == 200, await resp.text()


async def check(c: TestClient, space: str, cookie: str) -> int:
    resp = await c.get(
        spaceaccess.CHECK_PATH,
        headers={"X-Spacehost-Space": space, "Cookie": f"{spaceaccess.SPACE_COOKIE}={cookie}"},
    )
    return resp.status


def test_a_member_bounced_from_the_space_host_comes_back_with_a_pass_for_that_space_only(
    tmp_path: Path,
) -> None:
    async def scenario(c: TestClient) -> None:
        await sign_in(c, "bob")
        jar = c.session.cookie_jar.filter_cookies(c.make_url("/"))
        session = jar[spaceaccess.SESSION_COOKIE].value
        csrf = jar[spaceaccess.CSRF_COOKIE].value
        bounce = await c.get(
            f"{spaceaccess.BOUNCE_PATH}?host=bob-secret&next=/config", allow_redirects=False
        )
        assert bounce.status == 302
        exchange = urlparse(bounce.headers["Location"])
        assert (
            exchange.hostname == "page.bob-secret.localhost"
            and exchange.path == "/api/auth/space-cookie"
        )
        back = await c.get(
            f"{exchange.path}?{exchange.query}",
            headers={"Host": exchange.netloc},
            allow_redirects=False,
        )
        assert back.status == 302, await back.text()
        landing = urlparse(back.headers["Location"])
        assert (landing.hostname, landing.path) == ("bob-secret.localhost", "/config")
        assert parse_qs(landing.query)[spaceaccess.BOUNCED_PARAM] == ["1"]
        cookie = back.cookies[spaceaccess.SPACE_COOKIE]
        assert cookie["domain"] == "bob-secret.localhost" and cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        value = cookie.value
        assert await check(c, "bob/secret", value) == spaceaccess.ALLOWED
        assert await check(c, "bob/open", value) == spaceaccess.ALLOWED  # public: anyone
        # the pass is for bob/secret alone: it writes nothing and reads no other private space
        again = await c.post(
            "/api/spaces/bob/secret/push?private=1", data=pack_folder(FILES), headers=ADMIN
        )
        assert again.status == 202
        c.session.cookie_jar.clear()
        resp = await c.post(
            "/api/spaces/bob/secret/restart",
            headers={"Cookie": f"{spaceaccess.SPACE_COOKIE}={value}"},
        )
        assert resp.status == 403  # a pass reads its space (so no 404) and writes nothing
        # signing out ends the pass too, and a replayed ticket makes no new one
        ticket = parse_qs(exchange.query)["ticket"][0]
        out = await c.post(
            "/api/auth/sign-out",
            headers={"X-CSRF-Token": csrf, "Cookie": f"{spaceaccess.SESSION_COOKIE}={session}"},
        )
        assert out.status == 200
        assert await check(c, "bob/secret", value) == spaceaccess.DENIED  # ended with the session
        replay = await c.get(
            f"/api/auth/space-cookie?ticket={ticket}&to=app&next=/",
            headers={"Host": exchange.netloc},
            allow_redirects=False,
        )
        assert spaceaccess.SPACE_COOKIE not in replay.cookies

    run(tmp_path, scenario)


def test_others_and_unknown_spaces_are_bounced_back_alike_without_a_pass(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        answers = []
        for who in (None, "eve"):
            c.session.cookie_jar.clear()
            if who:
                await sign_in(c, who)
            for label in ("bob-secret", "bob-nothing"):
                resp = await c.get(
                    f"{spaceaccess.BOUNCE_PATH}?host={label}&next=/", allow_redirects=False
                )
                assert resp.status == 302 and spaceaccess.SPACE_COOKIE not in resp.cookies
                answers.append(resp.headers["Location"].replace(label, "LABEL"))
        assert len(set(answers)) == 1, answers
        assert urlparse(answers[0]).hostname == "label.localhost"

    run(tmp_path, scenario)


def test_the_routers_check_reads_tokens_and_sessions_and_refuses_bad_ones(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        space = {"X-Spacehost-Space": "bob/secret"}
        assert (await c.get(spaceaccess.CHECK_PATH, headers=space)).status == spaceaccess.DENIED
        assert (
            await c.get(spaceaccess.CHECK_PATH, headers={**space, **ADMIN})
        ).status == spaceaccess.ALLOWED
        bad = {**space, "X-HF-Authorization": "Bearer hf_not-a-real-token"}
        assert (await c.get(spaceaccess.CHECK_PATH, headers=bad)).status == spaceaccess.DENIED
        await sign_in(c, "eve")
        assert (await c.get(spaceaccess.CHECK_PATH, headers=space)).status == spaceaccess.DENIED
        await sign_in(c, "bob")
        assert (await c.get(spaceaccess.CHECK_PATH, headers=space)).status == spaceaccess.ALLOWED
        assert (await c.get(spaceaccess.CHECK_PATH)).status == spaceaccess.DENIED  # no space named

    run(tmp_path, scenario)
