"""`hf jobs run` (huggingface_hub's unchanged CLI, a fresh process) on a platform with
SPACEHOST_RUNTIME=swarm and SPACEHOST_SWARM_JOBS=swarm against the live test cluster: the job
runs as a one-shot service on a node (its image pushed to the cluster registry), its output
streams back through the manager's service logs, and with huggingface_hub inside it pushes a
file to a dataset on the platform as its user (HF_ENDPOINT: the platform's address as the nodes
reach it, which their set-up admits jobs to; what else a job reaches:
tests/integration/runtime/test_swarm_jobs.py). docs/cluster.md, "Jobs on a cluster"."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import requests

from spacehost.builder.contract import CONTRACT
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
    # what prepare makes ends in the contract's version (-hf1); older hosts may hold plain ones
    made = sorted(
        t for t in tags if t.endswith(("-py3.11-bookworm", f"-py3.11-bookworm-{CONTRACT}"))
    )
    assert made, f"no spacehost/gradio:*-py3.11-bookworm runtime image among {tags}"
    return made[0]


class _Restartable:
    """The module's platform, which a test may stop and start again on its data and port."""

    def __init__(self, data: Path, port: int, env: dict[str, str]) -> None:
        self.data, self.port, self.env = data, port, env
        self.proc, self.running = start_platform(data, port, extra_env=env)

    def restart(self) -> None:
        stop_platform(self.proc, self.running, "swarmjobs-before-restart")
        self.proc, self.running = start_platform(self.data, self.port, extra_env=self.env)


@pytest.fixture(scope="module")
def restartable(
    swarm_cluster: SwarmCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Restartable]:
    data = tmp_path_factory.mktemp("swarmjobs")
    port = free_port()
    env = swarm_cluster.platform_env(
        SPACEHOST_HOST="0.0.0.0",  # loopback for the tests, the bridge for the jobs
        SPACEHOST_SWARM_HUB_URL=f"http://{HOST_ADDR}:{port}",
        SPACEHOST_SWARM_JOBS="swarm",
    )
    swarm_cluster.admit_jobs(port)  # the node set-up's rules for jobs on the swarm
    platform = _Restartable(data, port, env)
    try:
        yield platform
    finally:
        stop_platform(platform.proc, platform.running, "swarmjobs")
        remove_containers(data)


@pytest.fixture(scope="module")
def swarm_jobs_platform(restartable: _Restartable) -> Running:
    return restartable.running  # the same address and data after a restart


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
    # the nodes relay no stats: the unchanged CLI shows why (not "Is it running?")
    stats = hf_run(platform, tmp_path, "jobs", "stats", jid)
    assert "the swarm's nodes do not relay stats" in stats.stdout + stats.stderr, stats
    # the flavors of the nodes (no GPU there): a GPU flavor is refused at submit, a 409
    assert "cpu-basic" in hf_cli(platform, tmp_path, "jobs", "hardware").stdout
    gpu = hf_run(platform, tmp_path, "jobs", "run", "-d", "--flavor", "t4-small", image, "true")
    assert gpu.returncode != 0 and "no node of the swarm" in gpu.stdout + gpu.stderr, gpu
    hf_cli(platform, tmp_path, "jobs", "cancel", jid)

    wait_for(lambda: on_swarm() == [], 60, 0.5, what="the job's service and network removed")
    manager.close()
    assert job_status(platform, jid).get("stage") == "CANCELED"
    assert "working" in hf_cli(platform, tmp_path, "jobs", "logs", jid).stdout


def test_a_failing_command_and_a_job_over_its_time_limit_end_in_error_with_their_logs(
    swarm_jobs_platform: Running, swarm_cluster: SwarmCluster, tmp_path: Path
) -> None:
    platform = swarm_jobs_platform
    fails = job_of(hf_cli(platform, tmp_path, "jobs", "run", "-d", SMALL_IMAGE, "python", "-c",
                          "print('about to fail'); raise SystemExit(3)").stdout)  # fmt: skip
    script = "import time; print('working', flush=True); time.sleep(300)"
    slow = job_of(hf_cli(platform, tmp_path, "jobs", "run", "-d", "--timeout", "20s",
                         SMALL_IMAGE, "python", "-c", script).stdout)  # fmt: skip

    for jid in (fails, slow):
        wait_for(lambda jid=jid: job_status(platform, jid).get("stage") not in RUNNING, 240,
                 0.5, what=f"job {jid} to end")  # fmt: skip
    failed = json.loads(hf_cli(platform, tmp_path, "jobs", "inspect", "--json", fails).stdout)
    status = (failed[0] if isinstance(failed, list) else failed)["status"]
    assert status["stage"] == "ERROR", status
    assert status["message"].startswith("the command exited with code 3:\nabout to fail"), status
    assert "about to fail" in hf_cli(platform, tmp_path, "jobs", "logs", fails).stdout
    timed_out = job_status(platform, slow)
    expected = {"stage": "ERROR", "message": "Job timed out after 20 s"}
    assert {k: timed_out.get(k) for k in expected} == expected, timed_out
    wait_for(lambda: on_swarm(swarm_cluster, fails) + on_swarm(swarm_cluster, slow) == [], 60,
             0.5, what="the jobs' services and networks removed")  # fmt: skip


def test_a_job_running_when_the_platform_restarts_is_adopted_and_followed_to_its_end(
    restartable: _Restartable, tmp_path: Path
) -> None:
    """The job waits for a dataset the test makes once the platform is back: its last line
    and its end come while the new platform follows it (found from its service's labels)."""
    platform = restartable.running
    token = user_token(platform, "adopt")  # a user's job gets a token for the platform
    user = {**os.environ, "HF_ENDPOINT": platform.url, "HF_TOKEN": token,
            "HF_HOME": str(tmp_path), "NO_COLOR": "1"}  # fmt: skip

    def hf(*args: str) -> str:
        run = subprocess.run([HF, *args], env=user, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
        return run.stdout

    jid = job_of(hf("jobs", "run", "-d", hub_image(), "python", "-c", WAIT_FOR_REPO))
    try:
        wait_for(lambda: "waiting" in hf("jobs", "logs", jid), 240, 0.5,
                 what="the job's first line, from its node")  # fmt: skip
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the job: {job_status(platform, jid, token)}") from None

    restartable.restart()
    made = requests.post(f"{platform.url}/api/repos/create", timeout=30,
                         headers={"Authorization": f"Bearer {token}"},
                         json={"name": "go", "type": "dataset"})  # fmt: skip
    assert made.status_code in (200, 201), made.text

    wait_for(lambda: job_status(platform, jid, token).get("stage") not in RUNNING, 120, 0.5,
             what="the adopted job to end")  # fmt: skip
    ended = job_status(platform, jid, token)
    assert ended.get("stage") == "COMPLETED", ended
    logs = hf("jobs", "logs", jid)
    assert logs.count("waiting") == 1 and "the repo is there" in logs, logs


SMALL_IMAGE = "spacehost/python:3.11-bookworm"  # no huggingface_hub: a node pulls it quickly
RUNNING = (None, "", "RUNNING", "QUEUED", "SCHEDULING")
# polls the platform (the one place a job reaches; it restarts meanwhile) until its user's
# dataset "go" exists
WAIT_FOR_REPO = """
import time
from huggingface_hub import HfApi
api = HfApi()
user = api.whoami()["name"]
print("waiting", flush=True)
while True:
    try:
        if api.repo_exists(user + "/go", repo_type="dataset"):
            break
    except Exception:
        pass  # the platform restarts
    time.sleep(0.5)
print("the repo is there", flush=True)
"""


def on_swarm(cluster: SwarmCluster, jid: str) -> list[str]:
    """The names of the job's service and network on the manager."""
    with contextlib.closing(cluster.client(0)) as manager:
        services = manager.api.services(filters={"label": f"spacehost.job={jid}"})
        networks = manager.api.networks(filters={"label": f"spacehost.job={jid}"})
    return [s["Spec"]["Name"] for s in services] + [n["Name"] for n in networks]


def job_status(platform: Running, jid: str, token: str = "") -> dict[str, str]:
    """The job's ``status`` (stage, message) from the platform's API, as the operator (or as
    the user of *token*), of its own namespace."""
    token = token or (platform.data_dir / "token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    me = requests.get(f"{platform.url}/api/whoami-v2", headers=headers, timeout=30).json()
    job = requests.get(f"{platform.url}/api/jobs/{me['name']}/{jid}", headers=headers, timeout=30)
    status: dict[str, str] = job.json().get("status") or {}
    return status


def hf_run(platform: Running, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The unchanged `hf` CLI as the platform's operator, in a fresh process."""
    env = {**os.environ, "HF_ENDPOINT": platform.url, "HF_HOME": str(home), "NO_COLOR": "1",
           "HF_TOKEN": (platform.data_dir / "token").read_text().strip()}  # fmt: skip
    return subprocess.run([HF, *args], env=env, capture_output=True, text=True, timeout=300)


def hf_cli(platform: Running, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """:func:`hf_run`, which must succeed."""
    run = hf_run(platform, home, *args)
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    return run


def job_of(output: str) -> str:
    return next(ln.split()[-1] for ln in output.splitlines() if ln.strip().startswith("id:"))
