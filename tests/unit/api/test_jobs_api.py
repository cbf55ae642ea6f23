"""The jobs API (api/jobs.py) over the control plane's whole application, jobs run by an engine
in memory (tests/support/fake_jobs.py): HF's JobInfo shape, list filters as huggingface_hub
sends them, the logs' server-sent events, refusals with what to do. The unchanged client on the
real engine: tests/e2e/test_jobs.py."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle.jobflavors import GIB, HostResources, limits_for
from spacehost.runtime.nodes import NodeInfo
from spacehost.server.control import make_app
from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs
from tests.support.platforms import platform_in

OPERATOR = "sh_operator-token"
Scenario = Callable[[TestClient, FakeJobContainers, dict[str, str]], Awaitable[None]]
SPEC = {"dockerImage": IMAGE, "command": ["python", "-c", "print(1)"], "arguments": []}


def run(tmp_path: Path, scenario: Scenario, nodes: Sequence[NodeInfo] | None = None) -> None:
    """*scenario* with a client, the engine and write tokens of bob and carol (jobs on a swarm
    of *nodes* when given)."""
    engine = FakeJobContainers()
    on = (lambda: list(nodes)) if nodes is not None else None
    with platform_in(tmp_path) as platform:

        async def main() -> None:
            jobs = fake_jobs(tmp_path, engine, max_jobs=1, nodes=on)
            app = make_app(platform, OPERATOR, jobs=jobs)
            acc: Accounts = app[ACCOUNTS]
            tokens = {}
            for user in ("bob", "carol"):
                acc.add_user(user)
                tokens[user] = acc.create_token(user, "ci", Role.WRITE).value
            async with TestClient(TestServer(app)) as client:
                await scenario(client, engine, tokens)

        try:
            asyncio.run(main())
        finally:
            engine.end_all()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_run_answers_hfs_job_info_and_list_filters_by_stage_and_label(tmp_path: Path) -> None:
    async def scenario(c: TestClient, engine: FakeJobContainers, tokens: dict[str, str]) -> None:
        h = bearer(tokens["bob"])
        labelled = {**SPEC, "labels": {"team": "ml"}}
        first = await (await c.post("/api/jobs/bob", json=labelled, headers=h)).json()
        secret = {**SPEC, "secrets": {"K": "v"}}
        second = await (await c.post("/api/jobs/bob", json=secret, headers=h)).json()
        assert first["status"] == {"stage": "RUNNING", "message": None}
        assert second["status"] == {"stage": "SCHEDULING", "message": "Waiting for capacity"}
        assert second["secrets"] == {"K": "********"}  # never the value
        assert first["owner"] == {"id": "bob", "name": "bob", "type": "user"}
        assert first["initiator"]["name"] == "bob" and first["dockerImage"] == IMAGE
        assert first["createdAt"].endswith("Z") and first["durations"]["runningSecs"] == 0

        async def ids(query: str) -> list[str]:
            resp = await c.get(f"/api/jobs/bob?{query}", headers=h)
            return [j["id"] for j in await resp.json()]

        assert await ids("stage=RUNNING&stage=SCHEDULING") == [second["id"], first["id"]]
        assert await ids("stage=SCHEDULING") == [second["id"]]
        assert await ids("label=team=ml") == [first["id"]]
        assert await ids("label=team=web") == []
        other = await c.get(f"/api/jobs/carol/{first['id']}", headers=bearer(tokens["carol"]))
        assert other.status == 404  # bob's job is not in carol's namespace

    run(tmp_path, scenario)


def test_logs_are_server_sent_events_that_end_with_the_job(tmp_path: Path) -> None:
    async def scenario(c: TestClient, engine: FakeJobContainers, tokens: dict[str, str]) -> None:
        h = bearer(tokens["bob"])
        job = await (await c.post("/api/jobs/bob", json=SPEC, headers=h)).json()
        cid = engine.of_job(job["id"])
        engine.say(cid, "one")
        resp = await c.get(f"/api/jobs/bob/{job['id']}/logs", headers=h)
        assert resp.headers["Content-Type"] == "text/event-stream"
        first = await resp.content.readline()
        assert first.startswith(b"data: {")
        event = json.loads(first[len(b"data: ") :])
        assert event["data"] == "one" and event["timestamp"].endswith("Z")
        engine.say(cid, "two")
        engine.finish(cid)
        rest = (await resp.content.read()).decode()  # ends once the job has ended
        events = [json.loads(ln[6:]) for ln in rest.splitlines() if ln.startswith("data: ")]
        assert [e["data"] for e in events] == ["two"]
        tail = await c.get(f"/api/jobs/bob/{job['id']}/logs?tail=1", headers=h)
        assert (await tail.text()).count("data: ") == 1

    run(tmp_path, scenario)


def test_bad_specs_and_missing_images_say_what_to_do(tmp_path: Path) -> None:
    async def scenario(c: TestClient, engine: FakeJobContainers, tokens: dict[str, str]) -> None:
        h = bearer(tokens["bob"])
        resp = await c.post("/api/jobs/bob", json={"dockerImage": IMAGE}, headers=h)
        assert resp.status == 400
        assert "'command' is empty" in (await resp.json())["error"]["message"]
        resp = await c.post("/api/jobs/bob", json={**SPEC, "dockerImage": "nope:1"}, headers=h)
        body = (await resp.json())["error"]
        assert resp.status == 404 and "'nope:1'" in body["message"] and body["hint"]
        resp = await c.post("/api/jobs/bob", json={**SPEC, "flavor": "a100-large"}, headers=h)
        assert resp.status == 409  # a GPU flavor on a host without GPUs
        hw = await (await c.get("/api/jobs/hardware")).json()
        assert [f["name"] for f in hw] == ["cpu-basic"]

    run(tmp_path, scenario)


def test_on_the_swarm_hardware_and_the_submit_check_are_the_nodes_and_stats_say_why_none(
    tmp_path: Path,
) -> None:
    """SPACEHOST_SWARM_JOBS=swarm: a 16-core node; the platform's 2-core host is not asked."""
    node = NodeInfo("n1", "w1", "worker", "ready", "active", "10.0.0.2", 16.0, 64 << 30, "20.10")

    async def scenario(c: TestClient, engine: FakeJobContainers, tokens: dict[str, str]) -> None:
        h = bearer(tokens["bob"])
        hw = await (await c.get("/api/jobs/hardware")).json()
        assert [f["name"] for f in hw] == ["cpu-basic", "cpu-upgrade", "cpu-xl"]
        resp = await c.post("/api/jobs/bob", json={**SPEC, "flavor": "t4-small"}, headers=h)
        body = (await resp.json())["error"]
        assert resp.status == 409 and "no node of the swarm" in body["message"], body
        job = await (await c.post("/api/jobs/bob", json=SPEC, headers=h)).json()
        assert job["status"]["stage"] == "RUNNING"
        resp = await c.get(f"/api/jobs/bob/{job['id']}/metrics", headers=h)
        body = (await resp.json())["error"]
        assert resp.status == 501 and body["code"] == "not_supported"
        assert "do not relay stats" in resp.headers["X-Error-Message"]
        assert f"hf jobs logs {job['id']}" in body["hint"]
        # its pages size it as the node runs it, not as the platform's host would
        on_node = limits_for("cpu-basic", HostResources(16.0, 64 << 30))
        on_host = limits_for("cpu-basic", HostResources(2, 8 * GIB))  # fake_jobs' host
        size = f"cpu-basic · {on_node.cpus:g} CPU · {on_node.memory / GIB:.3g} GiB"
        assert (on_node.cpus, on_node.memory) != (on_host.cpus, on_host.memory)
        for page in (f"/jobs/bob/{job['id']}", "/jobs/bob"):
            assert size in html.unescape(await (await c.get(page, headers=h)).text()), page

    run(tmp_path, scenario, nodes=[node])


def test_a_job_mounts_only_buckets_its_submitter_may_use(tmp_path: Path) -> None:
    """`hf jobs uv run script.py` ships the script in a private bucket mounted at /data: a job
    must not become a way into someone else's bucket."""

    async def scenario(c: TestClient, engine: FakeJobContainers, tokens: dict[str, str]) -> None:
        bob, carol = bearer(tokens["bob"]), bearer(tokens["carol"])
        made = await c.post("/api/buckets/bob/jobs-artifacts", json={"private": True}, headers=bob)
        assert made.status == 200
        volume = {"type": "bucket", "source": "bob/jobs-artifacts", "mountPath": "/data"}
        mine = {**SPEC, "volumes": [volume]}
        job = await (await c.post("/api/jobs/bob", json=mine, headers=bob)).json()
        spec = engine.containers[engine.of_job(job["id"])].spec
        assert [(m.container_path, m.read_only) for m in spec.mounts] == [("/data", False)]
        assert job["volumes"] == [{**volume, "readOnly": False}]  # HF's JobInfo shape
        theirs = await c.post("/api/jobs/carol", json=mine, headers=carol)
        assert theirs.status == 404  # bob's private bucket is not there for carol
        assert "bob/jobs-artifacts" in (await theirs.json())["error"]["message"]
        repo = {**SPEC, "volumes": [{"type": "model", "source": "bob/m", "mountPath": "/m"}]}
        refused = await c.post("/api/jobs/bob", json=repo, headers=bob)
        assert (
            refused.status == 501 and "only buckets" in (await refused.json())["error"]["message"]
        )

    run(tmp_path, scenario)
