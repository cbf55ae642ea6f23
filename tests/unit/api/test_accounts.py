"""The accounts API over the control plane's whole application (server/control.py make_app):
whoami-v2 in HF's shape, users, tokens, sessions with CSRF, private spaces hidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from spacehost.cli.main import pack_folder
from tests.support.control_app import OPERATOR, Scenario, run_control_app

FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}


def run(tmp_path: Path, scenario: Scenario) -> None:
    run_control_app(tmp_path, scenario)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _json(resp: Any) -> Any:
    return await resp.json()


def test_the_operator_token_is_an_admin_named_admin_until_a_first_admin_exists(
    tmp_path: Path,
) -> None:
    async def scenario(c: TestClient) -> None:
        me = await _json(await c.get("/api/whoami-v2", headers=bearer(OPERATOR)))
        assert (me["type"], me["name"], me["auth"]["accessToken"]["role"]) == (
            "user",
            "admin",
            "write",
        )
        resp = await c.post(
            "/api/users", json={"name": "alice", "admin": True}, headers=bearer(OPERATOR)
        )
        assert resp.status == 201, await resp.text()
        me = await _json(await c.get("/api/whoami-v2", headers=bearer(OPERATOR)))
        assert me["name"] == "alice"

    run(tmp_path, scenario)


def test_whoami_without_a_valid_token_is_401(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        assert (await c.get("/api/whoami-v2")).status == 401
        assert (await c.get("/api/whoami-v2", headers=bearer("hf_nope"))).status == 401

    run(tmp_path, scenario)


def test_a_users_token_writes_its_namespace_only_and_a_read_token_writes_nothing(
    tmp_path: Path,
) -> None:
    async def scenario(c: TestClient) -> None:
        await c.post(
            "/api/users",
            json={"name": "bob", "password": "correct horse"},
            headers=bearer(OPERATOR),
        )
        # bob signs in and makes tokens with his session (CSRF header needed)
        resp = await c.post("/api/auth/sign-in", json={"name": "bob", "password": "correct horse"})
        assert resp.status == 200, await resp.text()
        csrf = (await resp.json())["csrf"]
        refused = await c.post("/api/tokens", json={"name": "ci", "role": "write"})
        assert refused.status == 403, await refused.text()
        made = await _json(
            await c.post(
                "/api/tokens", json={"name": "ci", "role": "write"}, headers={"X-CSRF-Token": csrf}
            )
        )
        write = made["token"]
        assert write.startswith("hf_") and len(write) == 37
        read = (
            await _json(
                await c.post(
                    "/api/tokens",
                    json={"name": "r", "role": "read"},
                    headers={"X-CSRF-Token": csrf},
                )
            )
        )["token"]
        listed = await _json(await c.get("/api/tokens"))
        assert [t["name"] for t in listed] == ["ci", "r"] and all("…" in t["token"] for t in listed)
        body = pack_folder(FILES)
        assert (
            await c.post("/api/spaces/bob/demo/push", data=body, headers=bearer(write))
        ).status == 202
        other = await c.post("/api/spaces/carol/demo/push", data=body, headers=bearer(write))
        assert other.status == 403, await other.text()
        ro = await c.post("/api/spaces/bob/demo/restart", headers=bearer(read))
        assert ro.status == 403 and (await ro.json())["error"]["code"] == "forbidden"
        c.session.cookie_jar.clear()  # bob's browser session gone: anonymous
        anon = await c.post("/api/spaces/bob/demo/restart")
        assert anon.status == 401

    run(tmp_path, scenario)


def test_a_private_space_is_404_to_others_and_absent_from_lists(tmp_path: Path) -> None:
    async def scenario(c: TestClient) -> None:
        await c.post("/api/users", json={"name": "bob"}, headers=bearer(OPERATOR))
        body = pack_folder(FILES)
        assert (
            await c.post(
                "/api/spaces/bob/secret/push?private=1", data=body, headers=bearer(OPERATOR)
            )
        ).status == 202
        hidden = await c.get("/api/spaces/bob/secret")
        missing = await c.get("/api/spaces/bob/nothing")
        assert hidden.status == missing.status == 404
        assert hidden.headers["X-Error-Code"] == missing.headers["X-Error-Code"] == "RepoNotFound"
        assert [s["id"] for s in await _json(await c.get("/api/spaces"))] == []
        assert [
            s["id"] for s in await _json(await c.get("/api/spaces", headers=bearer(OPERATOR)))
        ] == ["bob/secret"]
        page = await c.get("/spaces/bob/secret")
        assert page.status == 404
        settings = await c.put(
            "/api/spaces/bob/secret/settings",
            json={"visibility": "public"},
            headers=bearer(OPERATOR),
        )
        assert (await settings.json())["private"] is False
        assert (await c.get("/api/spaces/bob/secret")).status == 200

    run(tmp_path, scenario)
