"""``POST /api/repos/create`` over the control plane's whole application: a space from its sdk's
template (private from the start), models and datasets with a README card, 409 with the url
when the repo exists, the namespace's write access, bad bodies named."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.domain import RepoKind, SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle import Platform
from spacehost.server.control import make_app
from tests.support.platforms import platform_in

OPERATOR = "sh_operator-token"
Scenario = Callable[[TestClient, Platform, dict[str, str]], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    """*scenario* with a client, the platform and write tokens of bob and carol (carol reads
    the organization acme)."""
    with platform_in(tmp_path) as platform:

        async def main() -> None:
            app = make_app(platform, OPERATOR)
            acc: Accounts = app[ACCOUNTS]
            tokens = {}
            for user in ("bob", "carol"):
                acc.add_user(user)
                tokens[user] = acc.create_token(user, "ci", Role.WRITE).value
            acc.create_org("acme", "bob")
            acc.set_member("acme", "carol", Role.READ)
            async with TestClient(TestServer(app)) as client:
                await scenario(client, platform, tokens)

        asyncio.run(main())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_private_gradio_space_is_created_from_the_template_and_hidden(tmp_path: Path) -> None:
    async def scenario(c: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
        body = {"name": "demo", "type": "space", "sdk": "gradio", "private": True}
        resp = await c.post("/api/repos/create", json=body, headers=bearer(tokens["bob"]))
        assert resp.status == 200, await resp.text()
        made = await resp.json()
        assert made["name"] == made["id"] == "bob/demo"
        assert made["url"].endswith("/spaces/bob/demo")
        rec = platform.queries.get_space(SpaceId("bob", "demo"))
        names = {p for p, _ in platform.queries.revision_listing(rec.revision)}
        assert names == {"README.md", "app.py"}
        assert rec.manifest["sdk"] == "gradio"
        assert platform.is_private(SpaceId("bob", "demo"))
        assert (await c.get("/api/spaces/bob/demo")).status == 404  # anonymous
        assert (await c.get("/api/spaces/bob/demo", headers=bearer(tokens["bob"]))).status == 200

    run(tmp_path, scenario)


def test_creating_an_existing_repo_is_409_with_its_url(tmp_path: Path) -> None:
    async def scenario(c: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
        body = {"name": "page", "organization": "acme", "type": "space", "sdk": "static"}
        first = await c.post("/api/repos/create", json=body, headers=bearer(tokens["bob"]))
        assert first.status == 200, await first.text()
        again = await c.post("/api/repos/create", json=body, headers=bearer(tokens["bob"]))
        answer = await again.json()
        assert again.status == 409
        assert answer["url"] == (await first.json())["url"]
        assert answer["error"]["code"] == "conflict" and "exists" in answer["error"]["message"]
        assert not platform.is_private(SpaceId("acme", "page"))

    run(tmp_path, scenario)


def test_models_and_datasets_start_with_a_readme_card(tmp_path: Path) -> None:
    async def scenario(c: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
        hub = c.server.app[HUB]
        model = await c.post(
            "/api/repos/create",
            json={"name": "weights", "organization": "acme", "visibility": "private"},
            headers=bearer(tokens["bob"]),
        )
        assert model.status == 200, await model.text()
        assert (await model.json())["url"].endswith("/acme/weights")
        head = hub.repo(RepoKind.MODEL, "acme/weights").head
        assert [f.path for f in head.files] == ["README.md"]
        assert (await c.get("/api/models/acme/weights")).status == 404  # private
        data = await c.post(
            "/api/repos/create",
            json={"name": "rows", "type": "dataset"},
            headers=bearer(tokens["carol"]),
        )
        assert (await data.json())["url"].endswith("/datasets/carol/rows")
        assert (await c.get("/api/datasets/carol/rows")).status == 200

    run(tmp_path, scenario)


def test_writing_needs_the_namespace_and_bad_bodies_are_named(tmp_path: Path) -> None:
    async def scenario(c: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
        url = "/api/repos/create"
        space = {"name": "x", "type": "space", "sdk": "gradio"}
        reader = await c.post(
            url, json={**space, "organization": "acme"}, headers=bearer(tokens["carol"])
        )
        assert reader.status == 403, await reader.text()
        assert (await c.post(url, json=space)).status == 401
        streamlit = await c.post(
            url, json={**space, "sdk": "streamlit"}, headers=bearer(tokens["bob"])
        )
        error = (await streamlit.json())["error"]
        assert streamlit.status == 400 and "gradio, docker, static" in error["hint"]
        bad_type = await c.post(
            url, json={**space, "type": "kernel"}, headers=bearer(tokens["bob"])
        )
        assert bad_type.status == 400 and "type" in (await bad_type.json())["error"]["message"]
        nameless = await c.post(url, json={"type": "model"}, headers=bearer(tokens["bob"]))
        assert nameless.status == 400
        secrets = [{"key": "TOKEN", "value": "x"}]
        dropped = await c.post(
            url, json={**space, "secrets": secrets}, headers=bearer(tokens["bob"])
        )
        error = (await dropped.json())["error"]
        assert dropped.status == 400 and '"secrets"' in error["message"]
        assert "add_space_secret" in error["hint"]
        assert platform.queries.list_spaces() == []

    run(tmp_path, scenario)


def test_urls_are_under_the_address_the_client_used(tmp_path: Path) -> None:
    """A job reaches the platform at its relay (``http://GATEWAY:PORT``), not SPACEHOST_URL:
    huggingface_hub refuses a repo or commit URL outside its HF_ENDPOINT ("Unrecognized
    host"), so the answers follow the request's Host (and the router's X-Forwarded-Proto)."""

    async def scenario(c: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
        relay = {**bearer(tokens["bob"]), "Host": "172.30.0.1:41234"}
        body = {"name": "clf", "type": "model"}
        made = await (await c.post("/api/repos/create", json=body, headers=relay)).json()
        assert made["url"] == "http://172.30.0.1:41234/bob/clf"
        again = await c.post(
            "/api/repos/create", json=body, headers={**relay, "X-Forwarded-Proto": "https"}
        )
        assert (await again.json())["url"] == "https://172.30.0.1:41234/bob/clf"
        lines = [
            {"key": "header", "value": {"summary": "x", "description": ""}},
            {"key": "file", "value": {"path": "a.txt", "content": "YQ==", "encoding": "base64"}},
        ]
        ndjson = "\n".join(json.dumps(line) for line in lines)
        commit = await c.post(
            "/api/models/bob/clf/commit/main",
            data=ndjson,
            headers={**relay, "Content-Type": "application/x-ndjson"},
        )
        assert commit.status == 200, await commit.text()
        assert (await commit.json())["commitUrl"].startswith("http://172.30.0.1:41234/bob/clf/")

    run(tmp_path, scenario)
