"""``PUT`` / ``DELETE /api/spaces/{id}/volumes`` (api/spacevolumes.py, lifecycle/volumes.py):
a bucket mounted into the space's container at its path, read-write unless ``readOnly``, the
space restarted to get it; a bucket at ``/data`` stands in for the space's own /data volume;
``runtime.volumes`` in HF's shape (parsed by huggingface_hub's ``SpaceRuntime``); and what is
refused, with why. The whole platform app over the fake engine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from huggingface_hub import SpaceRuntime

from spacehost.appkeys import ACCOUNTS
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle import Platform
from spacehost.runtime.base import ContainerSpec
from spacehost.server.control import make_app
from tests.fakes import FakeBackend
from tests.support.platforms import fake_settings, platform_in
from tests.support.polling import wait_for

SPACE = SpaceId("bob", "dash")
FILES = {"README.md": b"---\ntitle: Dash\nsdk: gradio\n---\n", "app.py": b"print('hi')"}
Scenario = Callable[
    [TestClient[Any, Any], Platform, FakeBackend, dict[str, dict[str, str]]], Awaitable[None]
]


def run(tmp_path: Path, scenario: Scenario) -> None:
    backend = FakeBackend()
    with platform_in(tmp_path, backend, settings=fake_settings(tmp_path)) as platform:
        platform.push(SPACE, FILES)
        assert platform.wait_idle()

        async def main() -> None:
            app = make_app(platform, "sh_operator-token")
            acc: Accounts = app[ACCOUNTS]
            who = {}
            for user in ("bob", "carol"):
                acc.add_user(user)
                token = acc.create_token(user, "ci", Role.WRITE).value
                who[user] = {"Authorization": f"Bearer {token}"}
            async with TestClient(TestServer(app)) as client:
                await scenario(client, platform, backend, who)

        asyncio.run(main())


def live_spec(platform: Platform, backend: FakeBackend) -> ContainerSpec:
    rec = platform.queries.get_space(SPACE)
    assert rec.container_id is not None
    return backend.containers[rec.container_id].spec


def test_a_bucket_mounted_at_data_replaces_the_data_volume_until_detached(tmp_path: Path) -> None:
    async def scenario(c: TestClient[Any, Any], p: Platform, be: FakeBackend, who: Any) -> None:
        bob = who["bob"]
        assert (await c.post("/api/buckets/bob/dash-bucket", json={}, headers=bob)).status == 200
        old = p.queries.get_space(SPACE).container_id
        vols = {"volumes": [{"type": "bucket", "source": "bob/dash-bucket", "mountPath": "/data"}]}
        resp = await c.put("/api/spaces/bob/dash/volumes", json=vols, headers=bob)
        assert resp.status == 200, await resp.text()
        runtime = SpaceRuntime(await resp.json())
        assert runtime.volumes is not None
        assert [(v.type, v.source, v.mount_path, v.read_only) for v in runtime.volumes] == [
            ("bucket", "bob/dash-bucket", "/data", False)
        ]
        wait_for(lambda: p.queries.get_space(SPACE).container_id not in (None, old), 10)
        assert p.wait_idle()
        spec = live_spec(p, be)
        mounts = {m.container_path: m for m in spec.mounts}
        assert not mounts["/data"].read_only
        assert mounts["/data"].host_path.endswith("/hub/buckets/bob/dash-bucket/files")
        assert spec.data_volume is None
        info = await (await c.get("/api/spaces/bob/dash", headers=bob)).json()
        assert info["runtime"]["volumes"][0]["source"] == "bob/dash-bucket"
        gone = await c.delete("/api/spaces/bob/dash/volumes", headers=bob)
        assert gone.status == 200 and (await gone.json())["volumes"] is None
        assert p.wait_idle()
        wait_for(lambda: live_spec(p, be).data_volume is not None, 10)
        assert "/data" not in {m.container_path for m in live_spec(p, be).mounts}
        again = await c.delete("/api/spaces/bob/dash/volumes", headers=bob)
        assert again.status == 400 and "has no volumes" in (await again.json())["error"]["message"]

    run(tmp_path, scenario)


def test_refused_volumes_say_why(tmp_path: Path) -> None:
    async def scenario(c: TestClient[Any, Any], p: Platform, be: FakeBackend, who: Any) -> None:
        bob, carol = who["bob"], who["carol"]
        await c.post("/api/buckets/carol/public", json={}, headers=carol)
        await c.post("/api/buckets/carol/hidden", json={"visibility": "private"}, headers=carol)

        def vol(**kw: Any) -> dict[str, Any]:
            return {
                "volumes": [{"type": "bucket", "source": "carol/public", "mountPath": "/data"} | kw]
            }

        for body, status, words in (
            (vol(type="model", source="bob/m"), 400, "'model' volumes are not offered"),
            (vol(mountPath="/home/user/app"), 400, "cannot be mounted at '/home/user/app'"),
            (vol(mountPath="/"), 400, "cannot be mounted at '/'"),
            (vol(mountPath="data"), 400, "absolute path"),
            (vol(source="carol/nope"), 404, "no bucket 'carol/nope'"),
            (vol(source="carol/hidden", readOnly=True), 404, "no bucket 'carol/hidden'"),
            (vol(), 403, "may not write carol/public"),
            ({"volumes": "x"}, 400, "'volumes': a list"),
        ):
            resp = await c.put("/api/spaces/bob/dash/volumes", json=body, headers=bob)
            assert resp.status == status, (body, await resp.text())
            assert words in (await resp.json())["error"]["message"], body
        ok = await c.put("/api/spaces/bob/dash/volumes", json=vol(readOnly=True), headers=bob)
        assert ok.status == 200, await ok.text()
        assert p.wait_idle()
        wait_for(lambda: "/data" in {m.container_path for m in live_spec(p, be).mounts}, 10)
        mounts = {m.container_path: m for m in live_spec(p, be).mounts}
        assert mounts["/data"].read_only

    run(tmp_path, scenario)
