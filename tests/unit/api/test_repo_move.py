"""``POST /api/repos/move`` over the control plane's whole application, with the body
huggingface_hub's ``move_repo`` sends: who may move what, where, the old id's redirects and
errors, a private repo staying private, and spaces refused with what to do instead."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.domain import RepoKind
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.server.control import make_app
from spacehost.store import HubStore
from tests.support.platforms import fake_settings, platform_in

Client = TestClient[Any, Any]
Scenario = Callable[[Client, HubStore, dict[str, dict[str, str]]], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    """*scenario* with bob's write token (bob owns the model bob/m and the dataset bob/d, and
    writes in the organization acme), carol's write token and dan's read-only one."""
    with platform_in(tmp_path, settings=fake_settings(tmp_path)) as platform:

        async def main() -> None:
            app = make_app(platform, "sh_operator-token")
            acc: Accounts = app[ACCOUNTS]
            for user in ("bob", "carol", "dan"):
                acc.add_user(user)
            acc.create_org("acme", "bob")
            tokens = {
                u: {"Authorization": f"Bearer {acc.create_token(u, 'ci', role).value}"}
                for u, role in (("bob", Role.WRITE), ("carol", Role.WRITE), ("dan", Role.READ))
            }
            tokens["anonymous"] = {}
            async with TestClient(TestServer(app)) as client:
                for body in ({"name": "m"}, {"name": "d", "type": "dataset"}):
                    made = await client.post("/api/repos/create", json=body, headers=tokens["bob"])
                    assert made.status == 200, await made.text()
                await scenario(client, app[HUB], tokens)

        asyncio.run(main())


async def move(c: Client, who: dict[str, str], src: str, dst: str, kind: str = "model") -> Any:
    return await c.post(
        "/api/repos/move", json={"fromRepo": src, "toRepo": dst, "type": kind}, headers=who
    )


async def error(resp: Any) -> dict[str, str]:
    body: dict[str, dict[str, str]] = await resp.json()
    return body["error"]


def test_owner_moves_a_model_and_the_old_id_redirects_reads(tmp_path: Path) -> None:
    async def scenario(c: Client, hub: HubStore, t: dict[str, dict[str, str]]) -> None:
        head = hub.resolve(RepoKind.MODEL, "bob/m").sha
        moved = await move(c, t["bob"], "bob/m", "acme/renamed")
        assert moved.status == 200, await moved.text()
        assert (await moved.json())["url"].endswith("/acme/renamed")
        assert hub.resolve(RepoKind.MODEL, "acme/renamed").sha == head
        info = await c.get("/api/models/bob/m/revision/main?x=1", allow_redirects=False)
        assert info.status == 307
        assert info.headers["Location"] == "/api/models/acme/renamed/revision/main?x=1"
        followed = await c.get("/api/models/bob/m")
        assert followed.status == 200 and (await followed.json())["id"] == "acme/renamed"
        page = await c.get("/bob/m?tab=files", allow_redirects=False)
        assert (page.status, page.headers["Location"]) == (307, "/acme/renamed?tab=files")
        file = await c.head("/bob/m/resolve/main/README.md", allow_redirects=False)
        assert file.status == 307
        assert file.headers["Location"] == "/acme/renamed/resolve/main/README.md"
        delete = await c.delete("/api/models/bob/m", headers=t["bob"])
        assert delete.status == 404 and "moved to acme/renamed" in (await error(delete))["message"]
        assert (await move(c, t["bob"], "bob/m", "bob/x")).status == 404

    run(tmp_path, scenario)


def test_a_dataset_moves_and_its_old_id_redirects(tmp_path: Path) -> None:
    async def scenario(c: Client, hub: HubStore, t: dict[str, dict[str, str]]) -> None:
        assert (await move(c, t["bob"], "bob/d", "bob/d2", "dataset")).status == 200
        assert hub.exists(RepoKind.DATASET, "bob/d2") and not hub.exists(RepoKind.DATASET, "bob/d")
        old = await c.get("/datasets/bob/d/resolve/main/README.md", allow_redirects=False)
        assert old.headers["Location"] == "/datasets/bob/d2/resolve/main/README.md"

    run(tmp_path, scenario)


def test_who_may_move_what_where(tmp_path: Path) -> None:
    async def scenario(c: Client, hub: HubStore, t: dict[str, dict[str, str]]) -> None:
        assert (await move(c, t["anonymous"], "bob/m", "bob/n")).status == 401
        assert (await move(c, t["dan"], "bob/m", "bob/n")).status == 403  # read-only token
        assert (await move(c, t["carol"], "bob/m", "carol/m")).status == 403  # not hers
        into = await move(c, t["bob"], "bob/m", "carol/m")  # not his namespace
        assert into.status == 403 and "carol" in (await error(into))["message"]
        taken = await move(c, t["bob"], "bob/m", "bob/d")
        assert taken.status == 200  # a dataset's name: another kind, free for a model
        clash = await move(c, t["bob"], "bob/d", "bob/d", "dataset")
        assert clash.status == 409 and "exists already" in (await error(clash))["message"]
        assert hub.exists(RepoKind.MODEL, "bob/d") and not hub.exists(RepoKind.MODEL, "carol/m")

    run(tmp_path, scenario)


def test_bad_bodies_and_spaces_are_refused_with_what_to_do(tmp_path: Path) -> None:
    async def scenario(c: Client, hub: HubStore, t: dict[str, dict[str, str]]) -> None:
        bad = await c.post("/api/repos/move", json={"fromRepo": "bob/m"}, headers=t["bob"])
        assert bad.status == 400 and '"toRepo"' in (await error(bad))["message"]
        kind = await move(c, t["bob"], "bob/m", "bob/n", "kernel")
        assert kind.status == 400
        name = await move(c, t["bob"], "bob/m", "bob/bad name")
        assert name.status == 400
        space = await move(c, t["bob"], "bob/s", "bob/t", "space")
        assert space.status == 501 and "duplicate_space" in (await error(space))["hint"]
        assert hub.exists(RepoKind.MODEL, "bob/m")

    run(tmp_path, scenario)


def test_a_private_repo_stays_private_and_its_new_name_is_not_told(tmp_path: Path) -> None:
    async def scenario(c: Client, hub: HubStore, t: dict[str, dict[str, str]]) -> None:
        private = await c.put(
            "/api/models/bob/m/settings", json={"private": True}, headers=t["bob"]
        )
        assert private.status == 200
        assert (await move(c, t["bob"], "bob/m", "bob/secret")).status == 200
        assert (await c.get("/api/models/bob/secret", headers=t["carol"])).status == 404
        old = await c.get("/api/models/bob/m", headers=t["carol"], allow_redirects=False)
        assert old.status == 404 and "secret" not in await old.text()
        assert (await c.get("/bob/m", allow_redirects=False)).status == 404  # its page too
        mine = await c.get("/api/models/bob/m", headers=t["bob"], allow_redirects=False)
        assert mine.headers["Location"] == "/api/models/bob/secret"
        assert (await c.get("/api/models/bob/secret", headers=t["bob"])).status == 200

    run(tmp_path, scenario)


def test_a_private_repo_renamed_only_in_case_stays_private(tmp_path: Path) -> None:
    async def scenario(c: Client, hub: HubStore, t: dict[str, dict[str, str]]) -> None:
        private = await c.put(
            "/api/models/bob/m/settings", json={"private": True}, headers=t["bob"]
        )
        assert private.status == 200
        assert (await move(c, t["bob"], "bob/m", "bob/M")).status == 200
        assert hub.exists(RepoKind.MODEL, "bob/M")
        assert (await c.get("/api/models/bob/M", headers=t["carol"])).status == 404
        assert (await c.get("/api/models/bob/M", headers=t["bob"])).status == 200

    run(tmp_path, scenario)


def test_a_private_repo_made_at_the_target_during_a_move_stays_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race between the move's check that the new id is free and the store's move: the
    move is refused (409) and the repo made meanwhile keeps its private flag."""

    async def scenario(c: Client, hub: HubStore, t: dict[str, dict[str, str]]) -> None:
        private = await c.put(
            "/api/models/bob/m/settings", json={"private": True}, headers=t["bob"]
        )
        assert private.status == 200
        acc: Accounts = c.server.app[ACCOUNTS]
        store_move = hub.move

        def racing(kind: RepoKind, old: str, new: str) -> None:
            folder = tmp_path / "meanwhile"
            folder.mkdir()
            (folder / "README.md").write_text("# made meanwhile\n")
            hub.push(kind, new, folder)
            acc.set_private(kind.value, new, True)
            store_move(kind, old, new)

        monkeypatch.setattr(hub, "move", racing)
        assert (await move(c, t["bob"], "bob/m", "bob/n")).status == 409
        assert acc.is_private("model", "bob/n") and acc.is_private("model", "bob/m")

    run(tmp_path, scenario)
