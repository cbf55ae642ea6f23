"""Issue 16's GPU jobs on a real NVIDIA GPU (skipped without one; run them on a lent GPU
machine), through the unchanged `hf` CLI (huggingface_hub, fresh processes, HF_ENDPOINT at the
platform) on the real Docker Engine. docs/jobs.md ("Flavors", "GPU jobs and GPU spaces share
the GPUs", "Live figures"), docs/gpu.md.

- `hf jobs run --flavor F` (F: the first GPU flavor ``GET /api/jobs/hardware`` offers) sees
  the GPU from PyTorch: ``True`` and the name nvidia-smi gives it; `hf jobs inspect` shows F;
- `hf jobs stats --json` on a running GPU job reports the job's GPU (HF's key, utilisation,
  memory used and the GPU's total);
- a GPU space holding every GPU of the host keeps a GPU job in ``SCHEDULING`` ("Waiting for a
  free GPU …"); the space's stopped sleep frees them and the job runs and completes; a wake
  of the space meanwhile is ``RUNTIME_ERROR`` "no free GPU for …; held by job ID".

Set the host up as for tests/e2e/test_zero_gpu_device.py (the GPU space here is built the same
way). The image the jobs run: ``SPACEHOST_GPU_BASE_IMAGE`` when it is set (the platforms started
here inherit it, as in tests/e2e/test_zero_gpu_device.py; ``spacehost/gpu-host:local`` on the
lent machine, /work/shared/gpu/README.md), else the GPU space's own image, which the platform
builds on its CUDA runtime (torch from ``SPACEHOST_GPU_TORCH``).

What the jobs need from the host, beyond what GPU spaces need: the Docker Engine's ``nvidia``
runtime (jobs are given GPUs with ``DeviceRequest(device_ids=…)`` only) and bridge networking
with iptables (the job network, runtime/jobnetwork.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running, remove_containers, start_platform, stop_platform
from tests.support.gpujobs import (
    SMI_QUERY,
    SmiGpu,
    first_gpu_flavor,
    gpu_job_image,
    hf_gpu_key,
    parse_smi,
)
from tests.support.polling import wait_for
from tests.support.ports import free_port


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None or os.path.exists("/dev/nvidia0")


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.docker,
    pytest.mark.skipif(not _has_gpu(), reason="needs an NVIDIA GPU"),
]

HF = str(Path(sys.executable).parent / "hf")
MIB = 1 << 20
HOLDER = "gpu/holder"
# spaces idle this long are paused (their GPUs still held), then stopped (their GPUs freed)
SLEEP_AFTER_S, STOP_AFTER_S = 10, 30

# a GPU space that keeps 256 MiB of the GPU from its start, like a model loaded on cuda
HOLDER_APP = """
import gradio as gr
import torch

held = torch.ones(256 << 20, dtype=torch.uint8, device="cuda")


def where(text: str) -> str:
    return f"{held.device} {torch.cuda.get_device_name()} {text}"


gr.Interface(where, "text", "text", api_name="where").launch()
"""

# a GPU job that holds 1 GiB and keeps the GPU busy for SECONDS, then says so
BUSY_JOB = """
import time
import torch

x = torch.randn(4096, 4096, device="cuda")
ballast = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
print("busy on", torch.cuda.get_device_name(0), flush=True)
start = time.monotonic()
while time.monotonic() - start < SECONDS:
    x = torch.tanh(x @ x)
    torch.cuda.synchronize()
print("done", flush=True)
"""


@dataclass(frozen=True)
class GpuSite:
    """The module's platform, the host's GPUs, and what its GPU jobs run with."""

    running: Running
    gpus: list[SmiGpu]
    flavor: str
    image: str


def hf_jobs(platform: Running, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HF_ENDPOINT": platform.url,
        "HF_TOKEN": (platform.data_dir / "token").read_text().strip(),
        "HF_HOME": str(home),
        "NO_COLOR": "1",
    }
    return subprocess.run([HF, "jobs", *args], env=env, capture_output=True, text=True, timeout=600)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def job_id(output: str) -> str:
    return next(ln.split()[-1] for ln in output.splitlines() if ln.strip().startswith("id:"))


def inspect(site: GpuSite, home: Path, jid: str) -> dict[str, Any]:
    (job,) = json.loads(ok(hf_jobs(site.running, home, "inspect", "--json", jid)))
    found: dict[str, Any] = job
    return found


def stage(site: GpuSite, home: Path, jid: str) -> tuple[str, str]:
    """The job's stage and status message ("" when it has none)."""
    status = inspect(site, home, jid)["status"]
    return str(status["stage"]), str(status.get("message") or "")


def runtime(site: GpuSite) -> dict[str, Any]:
    resp = requests.get(f"{site.running.url}/api/spaces/{HOLDER}/runtime", timeout=10)
    resp.raise_for_status()
    found: dict[str, Any] = resp.json()
    return found


def holders(site: GpuSite) -> dict[str, list[str]]:
    status = requests.get(f"{site.running.url}/api/gpus", timeout=30).json()
    found: dict[str, list[str]] = status["holders"]
    return found


def busy_job(site: GpuSite, home: Path, seconds: int) -> str:
    """Submit a detached :data:`BUSY_JOB` of *seconds* on the GPU flavor; its id."""
    script = BUSY_JOB.replace("SECONDS", str(seconds))
    out = ok(
        hf_jobs(
            site.running, home, "run", "-d", "--flavor", site.flavor, site.image,
            "python", "-c", script,
        )
    )  # fmt: skip
    return job_id(out)


def logs(site: GpuSite, home: Path, jid: str) -> str:
    return hf_jobs(site.running, home, "logs", jid).stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GpuSite]:
    """A platform on the GPU host with :data:`HOLDER` (a space asking for every GPU) built and
    asleep *stopped*, so the GPUs are free until a test wakes it."""
    smi = subprocess.run(SMI_QUERY, capture_output=True, text=True, check=True, timeout=60)
    gpus = parse_smi(smi.stdout)
    assert gpus, f"nvidia-smi lists no GPU: {smi.stdout}{smi.stderr}"
    data = tmp_path_factory.mktemp("gpujobs")
    env = {
        "SPACEHOST_SLEEP_AFTER": str(SLEEP_AFTER_S),
        "SPACEHOST_STOP_AFTER": str(STOP_AFTER_S),
        "SPACEHOST_BUILTIN_CONTENT": "0",
    }
    proc, running = start_platform(data, free_port(), env)
    try:
        folder = data / "holder"
        folder.mkdir()
        (folder / "README.md").write_text(
            f"---\ntitle: holder\nsdk: gradio\nhardware: gpu:{len(gpus)}\n---\n"
        )
        (folder / "app.py").write_text(HOLDER_APP)
        running.cli("push", str(folder), "--name", HOLDER, check=True, timeout=1800)
        hardware = requests.get(f"{running.url}/api/jobs/hardware", timeout=30).json()
        built = GpuSite(
            running, gpus, first_gpu_flavor(hardware), gpu_job_image(os.environ, HOLDER)
        )
        wait_for(
            lambda: runtime(built)["sleep"]["level"] == "stopped",
            STOP_AFTER_S + 60,
            what=f"{HOLDER} to sleep stopped",
        )
        wait_for(lambda: not any(holders(built).values()), 30, what="the GPUs to be free")
        yield built
    finally:
        stop_platform(proc, running, "gpujobs")
        remove_containers(data)


def test_hf_jobs_run_on_the_first_gpu_flavor_sees_the_gpu(site: GpuSite, tmp_path: Path) -> None:
    code = "import torch; print('cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0))"
    out = ok(
        hf_jobs(site.running, tmp_path, "run", "--flavor", site.flavor, site.image,
                "python", "-c", code)
    )  # fmt: skip
    seen = re.search(r"cuda (True|False) ([^\n]+)", out)
    assert seen, out
    print(f"\n{site.flavor} on {site.image}: {seen.group(0)}")
    assert seen.group(1) == "True" and seen.group(2).strip() in {g.name for g in site.gpus}
    job = inspect(site, tmp_path, job_id(out))
    assert job["flavor"] == site.flavor and job["status"]["stage"] == "COMPLETED"


def test_hf_jobs_stats_reports_the_jobs_gpu(site: GpuSite, tmp_path: Path) -> None:
    jid = busy_job(site, tmp_path, 300)
    try:
        wait_for(lambda: "busy on" in logs(site, tmp_path, jid), 180, what="the job on its GPU")
        (held,) = [i for i, who in holders(site).items() if f"job {jid}" in who]
        gpu = next(g for g in site.gpus if g.index == held)
        rows: list[dict[str, Any]] = []

        def gpu_busy() -> bool:
            rows[:] = json.loads(ok(hf_jobs(site.running, tmp_path, "stats", jid, "--json")))
            figures = rows[0]["gpus"].get(hf_gpu_key(gpu.uuid), {})
            return int(figures.get("utilization", 0)) > 0

        wait_for(gpu_busy, 60, what="the job's GPU to show as busy in `hf jobs stats`")
        (row,) = rows
        print(f"\n`hf jobs stats --json` of a busy GPU job: {row}")
        assert row["job_id"] == jid and list(row["gpus"]) == [hf_gpu_key(gpu.uuid)]
        figures = row["gpus"][hf_gpu_key(gpu.uuid)]
        assert 0 < figures["utilization"] <= 100
        assert abs(figures["memory_total_bytes"] - gpu.memory_total_mib * MIB) <= MIB
        assert 1 << 30 <= figures["memory_used_bytes"] < figures["memory_total_bytes"]
    finally:
        hf_jobs(site.running, tmp_path, "cancel", jid)
    wait_for(
        lambda: stage(site, tmp_path, jid)[0] == "CANCELED",
        60,
        what="the job canceled",
    )


def test_a_gpu_job_waits_for_a_gpu_space_to_sleep_and_a_wake_meanwhile_finds_no_gpu(
    site: GpuSite, tmp_path: Path
) -> None:
    every = {g.index for g in site.gpus}
    resp = requests.post(f"{site.running.url}/api/spaces/{HOLDER}/wake", timeout=30)
    assert resp.status_code == 202, resp.text
    wait_for(
        lambda: (
            runtime(site)["stage"] == "RUNNING"
            and {i for i, who in holders(site).items() if f"space {HOLDER}" in who} == every
        ),
        600,
        what=f"{HOLDER} awake on every GPU",
    )
    jid = busy_job(site, tmp_path, 90)
    seen: list[tuple[str, str]] = []

    def said_why() -> bool:
        seen.append(stage(site, tmp_path, jid))
        return seen[-1][0] != "SCHEDULING" or bool(seen[-1][1])

    wait_for(said_why, 30, what="the job's status message")
    where, why = seen[-1]
    assert where == "SCHEDULING" and why.startswith("Waiting for a free GPU (held now: GPU "), seen
    assert "by a space" in why, seen
    # the space sleeps stopped once idle STOP_AFTER_S: its GPUs go to the job
    wait_for(lambda: "busy on" in logs(site, tmp_path, jid), STOP_AFTER_S + 120, what="the job")
    assert runtime(site)["sleep"]["level"] == "stopped"
    # a wake while the job holds a GPU the space was made with: it starts afresh and finds
    # not enough free GPUs (docs/jobs.md: "... or with the error above")
    requests.post(f"{site.running.url}/api/spaces/{HOLDER}/wake", timeout=30)
    wait_for(lambda: runtime(site)["stage"] == "RUNTIME_ERROR", 120, what=f"{HOLDER} refused a GPU")
    error = str(runtime(site)["errorMessage"])
    print(f"\nthe wake while job {jid} holds a GPU: {error}")
    assert f"no free GPU for {HOLDER}" in error and f"job {jid}" in error
    assert stage(site, tmp_path, jid)[0] == "RUNNING"
    wait_for(
        lambda: stage(site, tmp_path, jid)[0] == "COMPLETED",
        180,
        what="the job to complete",
    )
    assert "done" in logs(site, tmp_path, jid)
    wait_for(lambda: not any(holders(site).values()), 30, what="the GPUs to be free again")
