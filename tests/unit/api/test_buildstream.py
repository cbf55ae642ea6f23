"""Following one deploy's build over HTTP (api/buildstream.py; aiohttp test server, fake
engine): a push answers ``sinceBuild`` and the stream with it sends that push's build alone,
then how it ended. The real CLI against a real platform: tests/e2e/test_cli_push_output.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from spacehost import appkeys
from spacehost.api import add_routes, error_middleware
from spacehost.cli.main import pack_folder
from spacehost.identity import Accounts
from spacehost.lifecycle import Platform
from tests.support.control_api import AUTH, DEMO, DEMO_BASE, DEMO_FILES, TOKEN

SPACE, BASE, FILES = DEMO, DEMO_BASE, DEMO_FILES
Client = TestClient[web.Request, web.Application]


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines.get("event", "message"), json.loads(lines["data"])))
    return out


async def push(client: Client, app_text: bytes) -> dict[str, Any]:
    body = pack_folder({**FILES, "app.py": app_text})
    resp = await client.post(f"{BASE}/push", data=body, headers=AUTH)
    assert resp.status == 202, await resp.text()
    result: dict[str, Any] = await resp.json()
    return result


def serve(platform: Platform, scenario: Any) -> None:
    async def main() -> None:
        app = web.Application(middlewares=[error_middleware])
        app[appkeys.PLATFORM], app[appkeys.TOKEN] = platform, TOKEN
        app[appkeys.ACCOUNTS] = Accounts(platform.settings.identity_db, TOKEN)
        add_routes(app)
        async with TestClient(TestServer(app)) as client:
            await scenario(client)

    asyncio.run(main())


def test_the_stream_of_a_push_holds_its_build_alone(platform: Platform) -> None:
    async def scenario(client: Client) -> None:
        first = await push(client, b"print('two')")
        await asyncio.to_thread(platform.wait_idle)
        second = await push(client, b"print('three')")
        assert second["sinceBuild"] > first["sinceBuild"] >= 1  # the fixture's push built once
        resp = await client.get(
            f"{BASE}/logs",
            params={
                "kind": "build",
                "follow": "1",
                "since_build": str(second["sinceBuild"]),
                "revision": second["revision"],
            },
        )
        got = events(await resp.text())
        lines = [d["data"] for e, d in got if e == "message"]
        assert lines == ["Step 1/2 : FROM spacehost/gradio", "Step 2/2 : COPY app"]
        ends = [d for e, d in got if e == "build"]
        assert len(ends) == 1 and ends[0]["status"] == "succeeded"
        assert ends[0]["revision"] == second["revision"]
        assert got[-1][0] == "build"

    serve(platform, scenario)


def test_restart_answers_where_to_follow_and_a_bad_since_build_is_400(platform: Platform) -> None:
    async def scenario(client: Client) -> None:
        resp = await client.post(f"{BASE}/restart", headers=AUTH)
        body = await resp.json()
        assert resp.status == 202 and body["sinceBuild"] >= 1
        assert body["revision"] == platform.store.get_space(SPACE).revision
        resp = await client.get(
            f"{BASE}/logs", params={"kind": "build", "follow": "1", "since_build": "soon"}
        )
        err = (await resp.json())["error"]
        assert resp.status == 400 and err["code"] == "invalid_request"
        assert "sinceBuild" in err["hint"]

    serve(platform, scenario)
