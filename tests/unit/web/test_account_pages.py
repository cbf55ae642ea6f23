"""The account pages over the control plane's whole application (server/control.py make_app):
the user menu, /setup, /sign-in and /sign-up, /settings/tokens, /admin, user and organization
pages, and private repos absent from the gallery, the hub lists and oEmbed."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient

from spacehost.cli.main import pack_folder
from tests.support.control_app import OPERATOR, Scenario, run_control_app

ADMIN = {"Authorization": f"Bearer {OPERATOR}"}
SPACE = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}
MODEL = {"README.md": b"# weights\n", "config.json": b"{}"}
USES_WEIGHTS = {**SPACE, "README.md": b"---\nsdk: gradio\nmodels: [acme/weights]\n---\n"}
USES_SHARED = {**SPACE, "README.md": b"---\nsdk: gradio\nmodels: [acme/shared]\n---\n"}
PASSWORD = "correct horse battery"


def run(tmp_path: Path, scenario: Scenario, **settings: object) -> None:
    run_control_app(tmp_path, scenario, **settings)


async def add_user(c: TestClient, name: str, *, admin: bool = False) -> None:
    body = {"name": name, "password": PASSWORD, "admin": admin}
    resp = await c.post("/api/users", json=body, headers=ADMIN)
    assert resp.status == 201, await resp.text()


async def sign_in(c: TestClient, name: str) -> str:
    c.session.cookie_jar.clear()
    resp = await c.post("/api/auth/sign-in", json={"name": name, "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    csrf: str = (await resp.json())["csrf"]
    return csrf


async def page(c: TestClient, path: str, status: int = 200) -> str:
    resp = await c.get(path, allow_redirects=False)
    text = await resp.text()
    assert resp.status == status, f"{path}: {resp.status} {text[:300]}"
    return text


async def push(c: TestClient, path: str, files: dict[str, bytes]) -> None:
    resp = await c.post(path, data=pack_folder(files), headers=ADMIN)
    assert resp.status in (201, 202), await resp.text()


def test_the_menu_says_sign_in_then_the_users_name_and_links(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await add_user(c, "root", admin=True)
        await add_user(c, "bob")
        anon = await page(c, "/")
        assert "href='/sign-in'>Sign in<" in anon and "/settings/tokens" not in anon
        await sign_in(c, "bob")
        bob = await page(c, "/models")
        assert "<summary id=user-name>bob</summary>" in bob
        for link in ("/settings/spaces", "/settings/tokens", "/organizations", "sign-out"):
            assert link in bob
        assert "href='/admin'" not in bob
        await sign_in(c, "root")
        assert "href='/admin'" in await page(c, "/docs")

    run(tmp_path, scenario)


def test_no_menu_on_a_spaces_page_host_where_the_session_is_not(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await add_user(c, "root", admin=True)
        await push(c, "/api/spaces/root/demo/push", SPACE)
        await sign_in(c, "root")
        assert "id=user-name" in await page(c, "/spaces/root/demo")
        resp = await c.get("/spaces/root/demo", headers={"Host": "page.root-demo.localhost"})
        text = await resp.text()
        assert resp.status == 200 and "id=user-name" not in text
        assert "class=user-menu href" not in text

    run(tmp_path, scenario)


def test_setup_creates_the_first_admin_from_this_machine_only_then_closes(
    tmp_path: Path,
) -> None:
    async def scenario(c: TestClient) -> None:
        assert "id=setup" in await page(c, "/setup")
        away = {"X-Real-IP": "203.0.113.7"}
        assert (await c.get("/setup", headers=away)).status == 404
        body = {"name": "alice", "password": PASSWORD}
        assert (await c.post("/setup", json=body, headers=away)).status == 404
        # a form post (what another site's page can send) is not how this page answers
        assert (await c.post("/setup", data=body)).status == 404
        short = await c.post("/setup", json={"name": "alice", "password": "x"})
        assert short.status == 400 and "too short" in (await short.json())["error"]["message"]
        made = await c.post("/setup", json=body)
        assert made.status == 201, await made.text()
        me = await (await c.get("/api/whoami-v2")).json()  # signed in by the page
        assert (me["name"], me["isAdmin"]) == ("alice", True)
        await page(c, "/setup", 404)
        assert (await c.post("/setup", json={"name": "eve", "password": PASSWORD})).status == 404
        users = await (await c.get("/api/users", headers=ADMIN)).json()
        assert [u["name"] for u in users] == ["alice"]

    run(tmp_path, scenario)


def test_sign_in_page_keeps_a_local_next_and_sign_up_follows_the_mode(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        text = await page(c, "/sign-in?next=/settings/tokens")
        assert "data-then='go:/settings/tokens'" in text
        assert "data-then='go:/'" in await page(c, "/sign-in?next=//evil.example/x")
        await page(c, "/sign-up", 404)  # closed by default
        await c.put("/api/admin/signup", json={"signup": "open"}, headers=ADMIN)
        assert "id=sign-up" in await page(c, "/sign-up")
        assert "/sign-up" in await page(c, "/sign-in")
        await c.put("/api/admin/signup", json={"signup": "invite"}, headers=ADMIN)
        await page(c, "/sign-up", 404)
        assert "value='abc'" in await page(c, "/sign-up?invite=abc")

    run(tmp_path, scenario)


def test_sign_in_page_offers_single_sign_on_only_when_configured(tmp_path: Path) -> None:
    async def without(c: TestClient) -> None:
        assert "id=sso" not in await page(c, "/sign-in")

    async def with_provider(c: TestClient) -> None:
        text = await page(c, "/sign-in?next=/admin")
        assert "<a id=sso href='/auth/oidc/login?next=%2Fadmin'>Lab login</a>" in text

    run(tmp_path / "off", without)
    run(
        tmp_path / "on", with_provider, oidc_issuer="https://id.example.org", oidc_label="Lab login"
    )


def test_tokens_page_lists_the_users_tokens_and_sends_others_to_sign_in(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        resp = await c.get("/settings/tokens", allow_redirects=False)
        assert resp.status == 303
        assert resp.headers["Location"] == "/sign-in?next=/settings/tokens"
        await add_user(c, "bob")
        csrf = await sign_in(c, "bob")
        assert "No tokens yet" in await page(c, "/settings/tokens")
        made = await c.post(
            "/api/tokens", json={"name": "ci", "role": "write"}, headers={"X-CSRF-Token": csrf}
        )
        value = (await made.json())["token"]
        text = await page(c, "/settings/tokens")
        assert "<td>ci</td><td>write</td>" in text and value[:7] in text
        assert value not in text  # shown once, at creation, never listed
        assert "data-api='DELETE /api/tokens/" in text and "data-confirm=" in text

    run(tmp_path, scenario)


def test_admin_page_is_a_404_to_all_but_admins(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await add_user(c, "root", admin=True)
        await add_user(c, "bob")
        await page(c, "/admin", 404)
        await sign_in(c, "bob")
        await page(c, "/admin", 404)
        await sign_in(c, "root")
        text = await page(c, "/admin")
        assert "data-user='bob'" in text and "data-user='root'" in text
        assert "id=add-user" in text and "<option selected>closed</option>" in text
        assert "data-api='POST /api/admin/invites'" in text

    run(tmp_path, scenario)


def test_user_and_org_pages_show_private_repos_only_to_readers(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await add_user(c, "root", admin=True)
        await add_user(c, "bob")
        await add_user(c, "carol")
        await c.post("/api/orgs", json={"name": "acme"}, headers=ADMIN)
        await c.put("/api/orgs/acme/members/bob", json={"role": "read"}, headers=ADMIN)
        await push(c, "/api/spaces/acme/open/push", SPACE)
        await push(c, "/api/spaces/acme/secret/push?private=1", SPACE)
        await push(c, "/api/models/acme/weights/push?private=1", MODEL)
        anon = await page(c, "/acme")
        assert "acme/open" in anon and "acme/secret" not in anon and "acme/weights" not in anon
        assert "<td>root</td><td>admin</td>" not in anon  # members listed as links
        assert "id=add-member" not in anon
        await sign_in(c, "bob")  # a read member: sees private repos, manages nothing
        bob = await page(c, "/acme")
        assert "acme/secret" in bob and "acme/weights" in bob and "id=add-member" not in bob
        assert "acme/secret" in await page(c, "/settings/spaces")
        await sign_in(c, "carol")
        assert "acme/secret" not in await page(c, "/acme")
        assert "acme/secret" not in await page(c, "/settings/spaces")
        await sign_in(c, "root")  # the org's admin: add, change, remove members
        root = await page(c, "/acme")
        assert "id=add-member" in root and "data-api='DELETE /api/orgs/acme/members/bob'" in root
        assert "@bob · user" in await page(c, "/bob")
        await page(c, "/nobody", 404)
        assert "Models" in await page(c, "/models")  # the platform's own pages come first

    run(tmp_path, scenario)


def test_private_spaces_and_repos_are_absent_from_gallery_lists_and_oembed(
    tmp_path: Path,
) -> None:
    async def scenario(c: TestClient) -> None:
        await add_user(c, "root", admin=True)
        await c.post("/api/orgs", json={"name": "acme"}, headers=ADMIN)
        await push(c, "/api/spaces/acme/open/push", SPACE)
        await push(c, "/api/spaces/acme/secret/push?private=1", SPACE)
        await push(c, "/api/models/acme/weights/push?private=1", MODEL)
        await push(c, "/api/spaces/acme/user/push", USES_WEIGHTS)
        await push(c, "/api/models/acme/shared/push", MODEL)
        await push(c, "/api/spaces/acme/secret-user/push?private=1", USES_SHARED)
        assert "href='/acme/weights'" not in await page(c, "/spaces/acme/user")
        assert "/spaces/acme/secret-user" not in await page(c, "/acme/shared")
        assert "acme/open" in await page(c, "/") and "acme/secret" not in await page(c, "/")
        assert "acme/weights" not in await page(c, "/models")
        url = f"{c.make_url('/spaces/acme/secret')}"
        hidden = await c.get("/api/oembed", params={"url": url})
        unknown = await c.get("/api/oembed", params={"url": url.replace("secret", "none")})
        assert hidden.status == unknown.status == 404
        await sign_in(c, "root")
        assert "acme/secret" in await page(c, "/")
        assert "acme/weights" in await page(c, "/models")
        assert (await c.get("/api/oembed", params={"url": url})).status == 200
        assert "href='/acme/weights'" in await page(c, "/spaces/acme/user")
        assert "/spaces/acme/secret-user" in await page(c, "/acme/shared")

    run(tmp_path, scenario)
