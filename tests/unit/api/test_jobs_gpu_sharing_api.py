"""GPU jobs and GPU spaces through the control plane's API on one fake GPU host (a GpuSetup that
says it has a GPU; spaces and jobs run by engines in memory): a job submitted while a space
holds the GPU waits, saying so; `GET /api/gpus` says who holds it; pausing the space lets the
job run, and the space restarted meanwhile gets the "no free GPU" error naming the job."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from spacehost.appkeys import ACCOUNTS
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle.gpuledger import GpuLedger
from spacehost.lifecycle.gpushare import GpuSetup
from spacehost.server.control import make_app
from tests.fakes import FakeBackend
from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs
from tests.support.platforms import platform_in
from tests.support.polling import wait_for

OPERATOR = "sh_operator-token"
SPACE = SpaceId("bob", "gpu")
README = b"---\ntitle: G\nsdk: gradio\nhardware: gpu\n---\n"
GPU_JOB = {"dockerImage": IMAGE, "command": ["nvidia-smi"], "flavor": "a10g-small"}


def test_a_gpu_job_waits_for_the_gpu_a_space_holds_and_the_space_then_waits_for_the_job(
    tmp_path: Path,
) -> None:
    engine, ledger = FakeJobContainers(), GpuLedger(("0",))
    gpus = GpuSetup(has_gpu=True, mode="devices", ledger=ledger)
    with platform_in(tmp_path, FakeBackend(), gpus=gpus) as platform:
        platform.push(SPACE, {"README.md": README, "app.py": b"print(1)"})
        assert platform.wait_idle()

        async def main() -> None:
            jobs = fake_jobs(tmp_path, engine, max_jobs=2, ledger=ledger)
            app = make_app(platform, OPERATOR, jobs=jobs)
            acc: Accounts = app[ACCOUNTS]
            acc.add_user("bob")
            h = {"Authorization": f"Bearer {acc.create_token('bob', 'ci', Role.WRITE).value}"}
            async with TestClient(TestServer(app)) as c:
                job = await (await c.post("/api/jobs/bob", json=GPU_JOB, headers=h)).json()
                assert job["status"] == {
                    "stage": "SCHEDULING",
                    "message": "Waiting for a free GPU (held now: GPU 0 by a space)",
                }
                status = await (await c.get("/api/gpus")).json()
                assert status["holders"] == {"0": ["space bob/gpu"]}
                assert (await c.post("/api/spaces/bob/gpu/pause", headers=h)).status == 200

                def running() -> bool:
                    found = jobs[0].store.find_job(job["id"])
                    return found is not None and found.stage == "RUNNING"

                # the runner looks again every second: a space frees its GPU without telling
                await asyncio.to_thread(wait_for, running, 10, what="the job to get the GPU")
                got = await (await c.get(f"/api/jobs/bob/{job['id']}", headers=h)).json()
                assert got["status"]["stage"] == "RUNNING"
                status = await (await c.get("/api/gpus")).json()
                assert status["holders"] == {"0": [f"job {job['id']}"]}
                assert (await c.post("/api/spaces/bob/gpu/restart", headers=h)).status == 202
                await asyncio.to_thread(platform.wait_idle)
                runtime = await (await c.get("/api/spaces/bob/gpu/runtime", headers=h)).json()
                assert runtime["stage"] == "RUNTIME_ERROR"
                assert f"held by job {job['id']}" in runtime["errorMessage"]
            jobs[0].close()

        try:
            asyncio.run(main())
        finally:
            engine.end_all()
