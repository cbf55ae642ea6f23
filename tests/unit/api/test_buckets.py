"""``/api/buckets/``: what huggingface_hub reads from the answers besides the happy path (that
one runs the unchanged client: tests/integration/api/test_buckets_clients.py) -- a missing
bucket is ``X-Error-Code: RepoNotFound`` (the client's ``BucketNotFoundError``), creating one
twice is 409 with its ``url``, and a batch applies what it can and names each line it could not
apply, with why, in ``failed`` (422)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.server.control import make_app
from tests.support.platforms import fake_settings, platform_in

Scenario = Callable[[TestClient[Any, Any], dict[str, str]], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    with platform_in(tmp_path, settings=fake_settings(tmp_path)) as platform:

        async def main() -> None:
            app = make_app(platform, "sh_operator-token")
            acc: Accounts = app[ACCOUNTS]
            acc.add_user("bob")
            token = acc.create_token("bob", "ci", Role.WRITE).value
            async with TestClient(TestServer(app)) as client:
                await scenario(client, {"Authorization": f"Bearer {token}"})

        asyncio.run(main())


def test_a_missing_bucket_is_not_found_as_huggingface_hub_recognises(tmp_path: Path) -> None:
    async def scenario(c: TestClient[Any, Any], bob: dict[str, str]) -> None:
        for method, path in (
            ("GET", "/api/buckets/bob/nope"),
            ("GET", "/api/buckets/bob/nope/tree"),
            ("DELETE", "/api/buckets/bob/nope"),
        ):
            resp = await c.request(method, path, headers=bob)
            assert resp.status == 404, (method, path)
            assert resp.headers["X-Error-Code"] == "RepoNotFound"
            assert "no bucket 'bob/nope'" in (await resp.json())["error"]["message"]

    run(tmp_path, scenario)


def test_creating_twice_is_409_with_the_url_and_me_is_the_caller(tmp_path: Path) -> None:
    async def scenario(c: TestClient[Any, Any], bob: dict[str, str]) -> None:
        made = await c.post("/api/buckets/me/runs", json={"visibility": "private"}, headers=bob)
        assert made.status == 200, await made.text()
        assert (await made.json())["url"].endswith("/buckets/bob/runs")
        again = await c.post("/api/buckets/bob/runs", json={}, headers=bob)
        assert again.status == 409
        assert (await again.json())["url"].endswith("/buckets/bob/runs")
        info = await (await c.get("/api/buckets/bob/runs", headers=bob)).json()
        assert info["private"] is True and info["totalFiles"] == 0
        bad = await c.post("/api/buckets/bob/x", json={"visibility": "secret"}, headers=bob)
        assert bad.status == 400 and "visibility" in (await bad.json())["error"]["message"]
        anon = await c.post("/api/buckets/me/runs2", json={})
        assert anon.status == 401

    run(tmp_path, scenario)


def test_a_batch_names_each_line_it_could_not_apply(tmp_path: Path) -> None:
    async def scenario(c: TestClient[Any, Any], bob: dict[str, str]) -> None:
        await c.post("/api/buckets/bob/runs", json={}, headers=bob)
        lines = [
            {"type": "addFile", "path": "a.txt", "xetHash": "0" * 64, "mtime": 1},
            {"type": "addFile", "path": "../escape", "xetHash": "0" * 64, "mtime": 1},
            {"type": "renameFile", "path": "b.txt"},
            {"type": "deleteFile", "path": "never-there.txt"},
        ]
        body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        resp = await c.post(
            "/api/buckets/bob/runs/batch",
            data=body,
            headers={**bob, "Content-Type": "application/x-ndjson"},
        )
        assert resp.status == 422
        failed = {f["path"]: f["error"] for f in (await resp.json())["failed"]}
        assert set(failed) == {"a.txt", "../escape", "b.txt"}
        assert "no uploaded file has Xet hash" in failed["a.txt"]
        assert "invalid path" in failed["../escape"]
        assert "unknown operation 'renameFile'" in failed["b.txt"]

    run(tmp_path, scenario)
