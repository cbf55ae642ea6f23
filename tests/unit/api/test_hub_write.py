"""huggingface_hub's write routes over the control plane's whole application, byte for byte as the
client sends them (hf-protocols.md A2-A4): validate-yaml, preupload, the NDJSON commit, the LFS
batch with its signed PUT and verify, Xet uploads (write token, xorbs, shard: the bytes the real
hf_xet sent), delete and move."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from spacehost.api import xetupload
from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.domain import RepoKind, SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle import Platform
from spacehost.server.control import make_app
from spacehost.store import HubStore
from spacehost.store.hubchanges import PutContent
from tests.support.platforms import fake_settings, platform_in
from tests.support.xet_recorder import record_upload

OPERATOR = "sh_operator-token"
Scenario = Callable[[TestClient[Any, Any], Platform, HubStore, dict[str, str]], Awaitable[None]]
CARD = b"---\nlicense: mit\n---\n# m\n"


def run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    """*scenario* with bob's write token, carol's read-only one, and bob's model bob/m."""
    with platform_in(tmp_path, settings=fake_settings(tmp_path, **settings)) as platform:

        async def main() -> None:
            app = make_app(platform, OPERATOR)
            acc: Accounts = app[ACCOUNTS]
            acc.add_user("bob")
            acc.add_user("carol")
            tokens = {
                "bob": acc.create_token("bob", "ci", Role.WRITE).value,
                "carol": acc.create_token("carol", "ci", Role.READ).value,
            }
            async with TestClient(TestServer(app)) as client:
                made = await client.post(
                    "/api/repos/create", json={"name": "m"}, headers=bearer(tokens["bob"])
                )
                assert made.status == 200, await made.text()
                await scenario(client, platform, app[HUB], tokens)

        asyncio.run(main())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ndjson(*lines: tuple[str, dict[str, Any]]) -> bytes:
    return b"".join(json.dumps({"key": k, "value": v}).encode() + b"\n" for k, v in lines)


def put(path: str, data: bytes) -> tuple[str, dict[str, Any]]:
    return "file", {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"}


def header(summary: str = "s", **extra: Any) -> tuple[str, dict[str, Any]]:
    return "header", {"summary": summary, "description": "", **extra}


def git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


async def commit(
    c: TestClient[Any, Any], token: str, body: bytes, repo: str = "models/bob/m", query: str = ""
) -> Any:
    resp = await c.post(
        f"/api/{repo}/commit/main{query}",
        data=body,
        headers={**bearer(token), "Content-Type": "application/x-ndjson"},
    )
    return resp


def test_validate_yaml_answers_errors_and_warnings_as_the_client_reads_them(
    tmp_path: Path,
) -> None:
    async def scenario(c: TestClient[Any, Any], *_: Any) -> None:
        ok = await c.post(
            "/api/validate-yaml", json={"content": CARD.decode(), "repoType": "model"}
        )
        assert ok.status == 200 and await ok.json() == {"errors": [], "warnings": []}
        plain = await c.post(
            "/api/validate-yaml", json={"content": "# no card", "repoType": "model"}
        )
        assert plain.status == 200
        bad = await c.post(
            "/api/validate-yaml", json={"content": "---\na: [\n---\n", "repoType": "dataset"}
        )
        assert bad.status == 400
        assert "README.md" in (await bad.json())["errors"][0]["message"]
        space = await c.post(
            "/api/validate-yaml",
            json={"content": "---\nsdk: flask\ncolour: red\n---\n", "repoType": "space"},
        )
        answer = await space.json()
        assert space.status == 400 and "sdk" in answer["errors"][0]["message"]

    run(tmp_path, scenario)


def test_preupload_names_the_mode_and_the_remote_oid_of_each_file(tmp_path: Path) -> None:
    async def scenario(
        c: TestClient[Any, Any], p: Platform, hub: HubStore, t: dict[str, str]
    ) -> None:
        big_file = hub.tmp_dir / "big"
        big_file.write_bytes(b"x" * 2000)  # over the limit: stored as LFS would store it
        hub.commit(RepoKind.MODEL, "bob/m", [PutContent("big.txt", big_file)])
        files = [
            {"path": "README.md", "size": 10, "sample": ""},
            {"path": "big.txt", "size": 2000, "sample": ""},
            {"path": "new.txt", "size": 5, "sample": ""},
        ]
        pre = await c.post(
            "/api/models/bob/m/preupload/main", json={"files": files}, headers=bearer(t["bob"])
        )
        assert pre.status == 200, await pre.text()
        by_path = {f["path"]: f for f in (await pre.json())["files"]}
        readme = hub.repo(RepoKind.MODEL, "bob/m").head.file("README.md")
        assert by_path["README.md"] == {
            "path": "README.md",
            "uploadMode": "regular",
            "shouldIgnore": False,
            "oid": readme.blob_id,
        }
        big = hashlib.sha256(b"x" * 2000).hexdigest()
        assert by_path["big.txt"]["uploadMode"] == "lfs" and by_path["big.txt"]["oid"] == big
        assert by_path["new.txt"]["oid"] is None
        missing = await c.post(
            "/api/models/bob/none/preupload/main", json={"files": files}, headers=bearer(t["bob"])
        )
        assert missing.status == 404 and missing.headers["X-Error-Code"] == "RepoNotFound"
        ro = await c.post(
            "/api/models/bob/m/preupload/main", json={"files": files}, headers=bearer(t["carol"])
        )
        assert ro.status == 403
        branch = await c.post(
            "/api/models/bob/m/preupload/dev", json={"files": files}, headers=bearer(t["bob"])
        )
        assert branch.status == 404 and branch.headers["X-Error-Code"] == "RevisionNotFound"

    run(tmp_path, scenario, max_regular_file=1000)


def test_a_commit_adds_and_deletes_checks_its_parent_and_refuses_pull_requests(
    tmp_path: Path,
) -> None:
    async def scenario(
        c: TestClient[Any, Any], p: Platform, hub: HubStore, t: dict[str, str]
    ) -> None:
        first = hub.repo(RepoKind.MODEL, "bob/m").head.sha
        body = ndjson(
            header("add", parentCommit=first),
            put("a/x.txt", b"x"),
            put("a/y.txt", b"y"),
            put("z.txt", b"z"),
        )
        resp = await commit(c, t["bob"], body)
        answer = await resp.json()
        assert resp.status == 200, answer
        head = hub.repo(RepoKind.MODEL, "bob/m").head
        assert answer == {
            "commitUrl": str(c.make_url(f"/bob/m/commit/{head.sha}")),
            "commitOid": head.sha,
            "pullRequestUrl": None,
        }
        assert head.message == "add"
        stale = await commit(c, t["bob"], ndjson(header(parentCommit=first), put("q", b"q")))
        assert stale.status == 412
        assert "a commit has happened since" in stale.headers["X-Error-Message"]
        gone = ndjson(
            header(), ("deletedFolder", {"path": "a/"}), ("deletedFile", {"path": "z.txt"})
        )
        assert (await commit(c, t["bob"], gone)).status == 200
        assert [f.path for f in hub.repo(RepoKind.MODEL, "bob/m").head.files] == ["README.md"]
        pr = await commit(c, t["bob"], ndjson(header(), put("q", b"q")), query="?create_pr=1")
        assert pr.status == 501 and "pull requests" in pr.headers["X-Error-Message"]
        ro = await commit(c, t["carol"], ndjson(header(), put("q", b"q")))
        assert ro.status == 403
        junk = await commit(c, t["bob"], b'{"key": "copy", "value": {}}\n')
        assert junk.status == 400 and "unknown operation 'copy'" in junk.headers["X-Error-Message"]

    run(tmp_path, scenario)


def test_lfs_upload_goes_through_a_signed_put_then_verify_then_the_commit(
    tmp_path: Path,
) -> None:
    data = b"w" * 3000
    oid = hashlib.sha256(data).hexdigest()

    async def scenario(
        c: TestClient[Any, Any], p: Platform, hub: HubStore, t: dict[str, str]
    ) -> None:
        lfs = {"Accept": "application/vnd.git-lfs+json", **bearer(t["bob"])}
        req = {
            "operation": "upload",
            "transfers": ["basic"],
            "objects": [{"oid": oid, "size": 3000}],
        }
        batch = await c.post("/bob/m.git/info/lfs/objects/batch", json=req, headers=lfs)
        assert batch.status == 200, await batch.text()
        actions = (await batch.json())["objects"][0]["actions"]
        href = actions["upload"]["href"]
        path = href.split(str(c.server.port), 1)[1]
        assert (await c.put(path.replace("?t=", "?t=x"), data=data)).status == 403
        bad = await c.put(path, data=b"v" * 3000)
        assert bad.status == 400 and "do not hash to" in bad.headers["X-Error-Message"]
        assert (await c.put(path, data=data)).status == 200  # no Authorization header
        verify = actions["verify"]["href"].split(str(c.server.port), 1)[1]
        ok = await c.post(verify, json={"oid": oid, "size": 3000}, headers=lfs)
        assert ok.status == 200
        again = await c.post("/bob/m.git/info/lfs/objects/batch", json=req, headers=lfs)
        assert "actions" not in (await again.json())["objects"][0]
        line = ("lfsFile", {"path": "w.bin", "algo": "sha256", "oid": oid, "size": 3000})
        assert (await commit(c, t["bob"], ndjson(header(), line))).status == 200
        f = hub.repo(RepoKind.MODEL, "bob/m").head.file("w.bin")
        assert f.sha256 == oid and f.blob_id == git_oid(data)
        anon = await c.post("/bob/m.git/info/lfs/objects/batch", json=req)
        assert anon.status == 401
        down = await c.post(
            "/bob/m.git/info/lfs/objects/batch", json={**req, "operation": "download"}
        )  # a public repo: no token needed to read
        href = (await down.json())["objects"][0]["actions"]["download"]["href"]
        assert await (await c.get(href.split(str(c.server.port), 1)[1])).read() == data

    run(tmp_path, scenario)


def test_xet_upload_takes_xorbs_then_a_shard_then_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"".join(b"row %d, a line of a csv file\n" % i for i in range(20_000))
    (tmp_path / "d.csv").write_bytes(data)
    rec, (oid,) = record_upload([tmp_path / "d.csv"], tmp_path / "home")

    async def scenario(
        c: TestClient[Any, Any], _p: Platform, hub: HubStore, t: dict[str, str]
    ) -> None:
        url = "/api/models/bob/m/xet-write-token/main"
        assert (await c.get(url, headers=bearer(t["carol"]))).status == 403
        got = await c.get(url, headers=bearer(t["bob"]))
        info = await got.json()
        assert sorted(info) == ["accessToken", "casUrl", "exp"] and info["exp"] > time.time()
        assert info["casUrl"] == f"http://{c.server.host}:{c.server.port}/xet/cas"
        write = bearer(info["accessToken"])
        read = await c.get("/api/models/bob/m/xet-read-token/main")  # a read token
        shard, (xorb, body), *_ = rec.shards[0], *rec.xorbs.items()
        path = f"/xet/cas/v1/xorbs/default/{xorb}"
        assert (await c.post(path, data=body)).status == 401
        assert (await c.post(path, data=body, headers=bearer(t["bob"]))).status == 401
        rt = bearer(read.headers["X-Xet-Access-Token"])
        assert (await c.post(path, data=body, headers=rt)).status == 401
        bad = await c.post("/xet/cas/v1/xorbs/default/XYZ", data=body, headers=write)
        assert bad.status == 400 and "invalid xorb hash" in bad.headers["X-Error-Message"]
        early = await c.post("/xet/cas/v1/shards", data=shard, headers=write)
        assert early.status == 400 and "was not uploaded" in early.headers["X-Error-Message"]
        monkeypatch.setattr(xetupload, "MAX_XORB_BYTES", len(body) - 1)
        big = await c.post(path, data=body, headers=write)
        assert big.status == 413 and "at most" in big.headers["X-Error-Message"]
        monkeypatch.undo()
        for name, xorb_body in rec.xorbs.items():
            ok = await c.post(f"/xet/cas/v1/xorbs/default/{name}", data=xorb_body, headers=write)
            assert (ok.status, await ok.json()) == (200, {"was_inserted": True})
        done = await c.post("/xet/cas/v1/shards", data=shard, headers=write)
        assert (done.status, await done.json()) == (200, {"result": 1})
        line = ("lfsFile", {"path": "d.csv", "algo": "sha256", "oid": oid, "size": len(data)})
        assert (await commit(c, t["bob"], ndjson(header(), line))).status == 200
        f = hub.repo(RepoKind.MODEL, "bob/m").head.file("d.csv")
        assert f.sha256 == hashlib.sha256(data).hexdigest() == oid
        assert f.blob_id == git_oid(data)
        assert hub.blob_path(oid).read_bytes() == data

    run(tmp_path, scenario, hub_xet=True)


def test_a_commit_to_a_space_deploys_a_new_revision(tmp_path: Path) -> None:
    async def scenario(
        c: TestClient[Any, Any], p: Platform, hub: HubStore, t: dict[str, str]
    ) -> None:
        made = await c.post(
            "/api/repos/create",
            json={"name": "s", "type": "space", "sdk": "gradio"},
            headers=bearer(t["bob"]),
        )
        assert made.status == 200
        space = SpaceId("bob", "s")
        before = p.queries.get_space(space).revision
        body = ndjson(header(parentCommit=before), put("app.py", b"print('v2')"))
        resp = await commit(c, t["bob"], body, repo="spaces/bob/s")
        answer = await resp.json()
        assert resp.status == 200, answer
        rec = p.queries.get_space(space)
        # the answer is git's commit on the space's main (docs/git.md), of the new revision
        assert rec.revision != before
        assert answer["commitOid"] == p.queries.head_commit(space)
        assert p.queries.revision_of(space, answer["commitOid"]) == rec.revision
        assert (p.queries.revision_path(rec.revision) / "app.py").read_bytes() == b"print('v2')"
        assert p.wait_idle()
        bad = ndjson(header(), put("README.md", b"---\nsdk: flask\n---\n"))
        refused = await commit(c, t["bob"], bad, repo="spaces/bob/s")
        assert refused.status == 422 and "sdk" in refused.headers["X-Error-Message"]
        huge = ndjson(header(), put("data.bin", b"d" * 5000))
        too_large = await commit(c, t["bob"], huge, repo="spaces/bob/s")
        assert (
            too_large.status == 413
            and "SPACEHOST_MAX_UPLOAD" in too_large.headers["X-Error-Message"]
        )
        assert p.queries.get_space(space).revision == rec.revision

    run(tmp_path, scenario, max_upload_bytes=4000)


def test_delete_repo_is_404_once_gone_and_so_is_moving_it(tmp_path: Path) -> None:
    async def scenario(
        c: TestClient[Any, Any], p: Platform, hub: HubStore, t: dict[str, str]
    ) -> None:
        body = {"name": "m", "organization": "bob", "type": "model"}
        assert (
            await c.delete("/api/repos/delete", json=body, headers=bearer(t["carol"]))
        ).status == 403
        assert (
            await c.delete("/api/repos/delete", json=body, headers=bearer(t["bob"]))
        ).status == 200
        assert not hub.exists(RepoKind.MODEL, "bob/m")
        again = await c.delete("/api/repos/delete", json=body, headers=bearer(t["bob"]))
        assert again.status == 404 and again.headers["X-Error-Code"] == "RepoNotFound"
        move = await c.post(
            "/api/repos/move",
            json={"fromRepo": "bob/m", "toRepo": "bob/n"},
            headers=bearer(t["bob"]),
        )
        assert move.status == 404 and move.headers["X-Error-Code"] == "RepoNotFound"

    run(tmp_path, scenario)
