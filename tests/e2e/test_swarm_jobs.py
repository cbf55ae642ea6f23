"""`hf jobs run` (huggingface_hub's unchanged CLI, a fresh process) on a platform with
SPACEHOST_RUNTIME=swarm and SPACEHOST_SWARM_JOBS=swarm against the live test cluster: the job
runs as a one-shot service on a node (its image pushed to the cluster registry), its output
streams back through the manager's service logs, and with huggingface_hub inside it pushes a
file to a dataset on the platform as its user (HF_ENDPOINT: the platform's address as the nodes
reach it, which their set-up admits jobs to; what else a job reaches:
tests/integration/runtime/test_swarm_jobs.py). docs/cluster.md, "Jobs on a cluster"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import requests

from tests.e2e.conftest import Running, remove_containers, start_platform, stop_platform
from tests.e2e.users import user_token
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.swarm_cluster import SwarmCluster
from tests.support.swarm_network import HOST_ADDR

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

HF = str(Path(sys.executable).parent / "hf")
UPLOAD = """
import json, os
from huggingface_hub import HfApi
api = HfApi()
api.upload_file(path_or_fileobj=b"from a swarm job\\n", path_in_repo="result.txt",
                repo_id=os.environ["REPO"], repo_type="dataset")
print(json.dumps({"endpoint": os.environ["HF_ENDPOINT"], "who": api.whoami()["name"]}))
"""


def hub_image() -> str:
    """A runtime image with huggingface_hub in it (the Gradio layer's)."""
    tags = [t for img in docker.from_env().images.list("spacehost/gradio") for t in img.tags]
    plain = sorted(t for t in tags if t.endswith("-py3.11-bookworm"))
    assert plain, f"no spacehost/gradio:*-py3.11-bookworm runtime image among {tags}"
    return plain[0]


@pytest.fixture(scope="module")
def swarm_jobs_platform(
    swarm_cluster: SwarmCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("swarmjobs")
    port = free_port()
    env = swarm_cluster.platform_env(
        SPACEHOST_HOST="0.0.0.0",  # loopback for the tests, the bridge for the jobs
        SPACEHOST_SWARM_HUB_URL=f"http://{HOST_ADDR}:{port}",
        SPACEHOST_SWARM_JOBS="swarm",
    )
    swarm_cluster.admit_jobs(port)  # the node set-up's rules for jobs on the swarm
    proc, running = start_platform(data, port, extra_env=env)
    try:
        yield running
    finally:
        stop_platform(proc, running, "swarmjobs")
        remove_containers(data)


def test_hf_jobs_run_on_a_node_pushes_a_file_to_the_hub_as_its_user(
    swarm_jobs_platform: Running, tmp_path: Path
) -> None:
    platform = swarm_jobs_platform
    token = user_token(platform, "sj")
    headers = {"Authorization": f"Bearer {token}"}
    made = requests.post(f"{platform.url}/api/repos/create", headers=headers, timeout=30,
                         json={"name": "out", "type": "dataset"})  # fmt: skip
    assert made.status_code in (200, 201), made.text
    env = {**os.environ, "HF_ENDPOINT": platform.url, "HF_TOKEN": token,
           "HF_HOME": str(tmp_path), "NO_COLOR": "1"}  # fmt: skip
    run = subprocess.run(
        [HF, "jobs", "run", "-e", "REPO=sj/out", hub_image(), "python", "-c", UPLOAD],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    report = json.loads(next(ln for ln in run.stdout.splitlines() if ln.startswith("{")))
    assert report == {"endpoint": f"http://{HOST_ADDR}:{platform.port}", "who": "sj"}
    pushed = requests.get(f"{platform.url}/datasets/sj/out/resolve/main/result.txt",
                          headers=headers, timeout=30)  # fmt: skip
    assert (pushed.status_code, pushed.text) == (200, "from a swarm job\n")
    instance_jobs = docker.from_env().api.containers(
        all=True, filters={"label": ["spacehost.role=job", f"spacehost.job={job_of(run.stdout)}"]}
    )
    assert instance_jobs == []  # it did not run on the build engine


def test_hf_jobs_cancel_removes_the_jobs_service_and_network_and_keeps_its_logs(
    swarm_jobs_platform: Running, swarm_cluster: SwarmCluster, tmp_path: Path
) -> None:
    platform = swarm_jobs_platform
    script = "import time; print('working', flush=True); time.sleep(300)"
    # the small Python runtime image (no huggingface_hub needed): a node pulls it quickly
    image = "spacehost/python:3.11-bookworm"
    jid = job_of(hf_cli(platform, tmp_path, "jobs", "run", "-d", image, "python", "-c",
                        script).stdout)  # fmt: skip
    manager = swarm_cluster.client(0)
    try:
        wait_for(lambda: "working" in hf_cli(platform, tmp_path, "jobs", "logs", jid).stdout,
                 180, 0.5, what="the job's first line, from its node")  # fmt: skip
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the job: {job_status(platform, jid)}") from None

    def on_swarm() -> list[str]:
        services = manager.api.services(filters={"label": f"spacehost.job={jid}"})
        networks = manager.api.networks(filters={"label": f"spacehost.job={jid}"})
        return [s["Spec"]["Name"] for s in services] + [n["Name"] for n in networks]

    assert on_swarm() == [f"spacehost-job-{jid}"] * 2  # its service and its own network
    hf_cli(platform, tmp_path, "jobs", "cancel", jid)

    wait_for(lambda: on_swarm() == [], 60, 0.5, what="the job's service and network removed")
    manager.close()
    assert job_status(platform, jid).get("stage") == "CANCELED"
    assert "working" in hf_cli(platform, tmp_path, "jobs", "logs", jid).stdout


def job_status(platform: Running, jid: str) -> dict[str, str]:
    """The job's ``status`` (stage, message) from the platform's API, as the operator."""
    operator = {"Authorization": "Bearer " + (platform.data_dir / "token").read_text().strip()}
    me = requests.get(f"{platform.url}/api/whoami-v2", headers=operator, timeout=30).json()
    job = requests.get(f"{platform.url}/api/jobs/{me['name']}/{jid}", headers=operator, timeout=30)
    status: dict[str, str] = job.json().get("status") or {}
    return status


def hf_cli(platform: Running, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The unchanged `hf` CLI as the platform's operator."""
    env = {**os.environ, "HF_ENDPOINT": platform.url, "HF_HOME": str(home), "NO_COLOR": "1",
           "HF_TOKEN": (platform.data_dir / "token").read_text().strip()}  # fmt: skip
    run = subprocess.run([HF, *args], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    return run


def job_of(output: str) -> str:
    return next(ln.split()[-1] for ln in output.splitlines() if ln.strip().startswith("id:"))
