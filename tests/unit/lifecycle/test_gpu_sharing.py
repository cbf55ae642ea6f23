"""GPU spaces and GPU jobs share one host's GPUs through one ledger (lifecycle/gpuledger.py):
a GPU a running space holds is not given to a job, a GPU a job holds is not given to a space
that starts or wakes, and both are free again when the space sleeps or the job ends. A fake GPU
host (a GpuSetup that says it has GPUs, the engines in memory): no GPU needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle import Platform
from spacehost.lifecycle import jobs as jobs_module
from spacehost.lifecycle.gpuledger import GpuLedger
from spacehost.lifecycle.gpushare import GpuSetup, SharedGpu
from spacehost.lifecycle.jobs import Jobs
from spacehost.lifecycle.jobspec import parse_job_spec
from spacehost.lifecycle.sleep import PAUSED, STOPPED
from spacehost.server.gpus import jobs_devices
from spacehost.settings import Settings
from tests.fakes import FakeBackend
from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs
from tests.support.platforms import new_platform, restart
from tests.support.polling import wait_for

A = SpaceId("alice", "gpu")
ALICE = {"type": "user", "id": "alice", "name": "alice"}
GPU_JOB = parse_job_spec({"dockerImage": IMAGE, "command": ["nvidia-smi"], "flavor": "a10g-small"})


def files(hardware: str = "gpu") -> dict[str, bytes]:
    readme = f"---\ntitle: G\nsdk: gradio\nhardware: {hardware}\n---\n"
    return {"README.md": readme.encode(), "app.py": b"print(1)"}


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Host:
    """A platform and a job runner over one fake GPU host with *gpus* GPUs."""

    def __init__(self, tmp_path: Path, gpus: int) -> None:
        self.tmp_path = tmp_path
        self.backend, self.engine, self.clock = FakeBackend(), FakeJobContainers(), Clock()
        self.ledger = GpuLedger(tuple(str(i) for i in range(gpus)))
        settings = Settings(
            data_dir=tmp_path, startup_timeout_s=3.0, sleep_after_s=60, stop_after_s=600
        )
        self.setup = GpuSetup(has_gpu=True, mode="devices", ledger=self.ledger)
        self.p: Platform = new_platform(
            tmp_path, self.backend, settings=settings, gpus=self.setup, wall_clock=self.clock,
            activity=dict,
        )  # fmt: skip
        self.jobs: Jobs = fake_jobs(tmp_path, self.engine, max_jobs=4, ledger=self.ledger)[0]

    def deploy(self, space: SpaceId, hardware: str = "gpu") -> None:
        self.p.push(space, files(hardware))
        assert self.p.wait_idle()

    def stage(self, space: SpaceId) -> Stage:
        return self.p.store.get_space(space).stage

    def space_gpus(self, space: SpaceId) -> tuple[str, ...]:
        cid = self.p.store.get_space(space).container_id
        assert cid is not None
        return self.backend.containers[cid].spec.gpu_ids

    def job(self, job_id: str) -> tuple[str, str]:
        row = self.jobs.store.find_job(job_id)
        assert row is not None
        return row.stage, row.message

    def job_gpus(self, job_id: str) -> tuple[str, ...]:
        return self.engine.containers[self.engine.of_job(job_id)].spec.gpu_ids

    def close(self) -> None:
        self.jobs.close()
        self.engine.end_all()
        self.p.close()
        for cid in list(self.backend.containers):
            self.backend.remove(cid)


@pytest.fixture()
def one_gpu(tmp_path: Path) -> Iterator[Host]:
    host = Host(tmp_path, 1)
    yield host
    host.close()


def test_a_gpu_job_waits_while_a_space_holds_the_gpu_and_runs_once_it_sleeps(
    one_gpu: Host,
) -> None:
    h = one_gpu
    h.deploy(A)
    assert h.stage(A) is Stage.RUNNING and h.space_gpus(A) == ("0",)
    job = h.jobs.submit("alice", GPU_JOB, ALICE)
    assert h.job(job.id) == ("SCHEDULING", "Waiting for a free GPU (held now: GPU 0 by a space)")
    assert h.engine.running() == []
    h.clock.now += 60
    assert h.p.sleeper.tick() == [(A, PAUSED)]  # a paused process keeps its GPU memory
    assert h.p.gpu_status()["holders"] == {"0": ["space alice/gpu"]}
    h.clock.now += 540
    assert h.p.sleeper.tick() == [(A, STOPPED)]
    wait_for(lambda: h.job(job.id)[0] == "RUNNING", 10, what="the job to get the freed GPU")
    assert h.job_gpus(job.id) == ("0",)
    assert h.p.gpu_status()["holders"] == {"0": [f"job {job.id}"]}


def test_a_waiting_gpu_job_keeps_looking_until_the_gpu_is_free(
    one_gpu: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A space's sleep is told to nobody: the runner looks again every GPU_RECHECK_S for as
    long as the job waits, not once."""
    h = one_gpu
    monkeypatch.setattr(jobs_module, "GPU_RECHECK_S", 0.02)
    looks: list[float] = []
    pump = h.jobs.pump

    def counted() -> None:
        looks.append(h.clock.now)
        pump()

    monkeypatch.setattr(h.jobs, "pump", counted)
    h.deploy(A)
    job = h.jobs.submit("alice", GPU_JOB, ALICE)
    wait_for(lambda: len(looks) >= 5, 10, what="the runner to look again, again and again")
    assert h.job(job.id)[0] == "SCHEDULING"
    h.clock.now += 600
    h.p.sleeper.tick()
    h.clock.now += 600
    h.p.sleeper.tick()
    wait_for(lambda: h.job(job.id)[0] == "RUNNING", 10, what="the job to get the freed GPU")


def test_a_space_that_wakes_or_starts_never_gets_a_gpu_a_job_holds(one_gpu: Host) -> None:
    h = one_gpu
    h.deploy(A)
    h.clock.now += 600
    assert h.p.sleeper.tick() == [(A, STOPPED)]
    job = h.jobs.submit("alice", GPU_JOB, ALICE)
    assert h.job(job.id)[0] == "RUNNING"
    waking = h.p.sleeper.wake(A)
    assert waking is not None
    waking.result(timeout=10)
    assert h.p.wait_idle()
    rec = h.p.store.get_space(A)
    assert rec.stage is Stage.RUNTIME_ERROR
    assert f"no free GPU for alice/gpu: it needs a GPU (hardware: gpu) and jobs hold the " \
        f"others; held by job {job.id}" in rec.error_message  # fmt: skip
    assert h.backend.restarts == 0 and len(h.engine.running()) == 1
    h.engine.finish(h.engine.of_job(job.id))
    wait_for(lambda: h.job(job.id)[0] == "COMPLETED", 10, what="the job to end")
    h.p.restart(A)
    assert h.p.wait_idle()
    assert h.stage(A) is Stage.RUNNING and h.space_gpus(A) == ("0",)


def test_on_two_gpus_a_space_takes_the_gpu_the_job_left(tmp_path: Path) -> None:
    h = Host(tmp_path, 2)
    try:
        job = h.jobs.submit("alice", GPU_JOB, ALICE)
        h.deploy(A)
        assert h.job_gpus(job.id) == ("0",) and h.space_gpus(A) == ("1",)
        second = h.jobs.submit("alice", GPU_JOB, ALICE)
        assert h.job(second.id)[1] == (
            "Waiting for a free GPU (held now: GPU 0 by a job, GPU 1 by a space)"
        )
        h.deploy(SpaceId("bob", "zero"), "zero")  # a shared-GPU space holds none of its own
        assert h.p.gpu_status()["holders"] == {"0": [f"job {job.id}"], "1": ["space alice/gpu"]}
    finally:
        h.close()


def test_after_a_platform_restart_the_running_space_still_holds_its_gpu(one_gpu: Host) -> None:
    h = one_gpu
    h.deploy(A)
    h.p.close()
    ledger = GpuLedger(("0",))  # a new process: it knows nothing yet
    again = restart(h.p, gpus=GpuSetup(has_gpu=True, mode="devices", ledger=ledger))
    try:
        assert ledger.holders() == {"0": ["space alice/gpu"]}  # read from its container
        assert ledger.take_for_job("j", 1) is None
    finally:
        again.close()


class LeasingShare:
    """A broker whose shared-GPU space alice/zero has a lease on GPU 0 (``lease``) or none."""

    lease_mode = "gpu"

    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = {"space": "alice/zero", "device": "0", "ticket": 1}

    def attach(self, space: SpaceId) -> SharedGpu:
        return SharedGpu("/nonexistent")

    def detach(self, space: SpaceId) -> None:
        pass

    def status(self) -> dict[str, Any]:
        return {"leases": [self.lease] if self.lease else [], "queue": [], "history": []}


def test_a_gpu_job_waits_while_a_shared_space_call_has_a_lease_on_the_gpu(
    tmp_path: Path,
) -> None:
    share, ledger = LeasingShare(), GpuLedger(("0",))
    setup = GpuSetup(has_gpu=True, mode="devices", share=share, ledger=ledger)
    engine = FakeJobContainers()
    p = new_platform(tmp_path, FakeBackend(), gpus=setup)
    jobs = fake_jobs(tmp_path, engine, ledger=ledger)[0]
    try:
        job = jobs.submit("alice", GPU_JOB, ALICE)
        assert ledger.holders() == {"0": ["space alice/zero"]}
        assert jobs.store.get_job("alice", job.id).stage == "SCHEDULING"
        share.lease = None  # the @spaces.GPU call returned
        wait_for(lambda: jobs.store.get_job("alice", job.id).stage == "RUNNING", 10)
        assert jobs_devices(ledger) == frozenset({"0"})  # the broker leases it no more
    finally:
        jobs.close()
        engine.end_all()
        p.close()
