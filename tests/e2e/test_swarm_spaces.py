"""A platform with SPACEHOST_RUNTIME=swarm against a live swarm of Docker Engines in network
namespaces (tests/support/swarm_cluster.py): `spacehost push` builds on the machine's own
engine, the image goes through the registry to a node, and a gradio_client call through the
router is answered there; sleep is scale-to-zero, a visit wakes it; a redeploy is a new
service that replaces the old one."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from docker import DockerClient
from gradio_client import Client

from spacehost.settings import Settings
from tests.e2e.conftest import ROOT, Running, remove_containers, start_platform, stop_platform
from tests.e2e.loops import RequestLoop
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.swarm_cluster import SwarmCluster

pytestmark = [pytest.mark.docker, pytest.mark.swarm]
SPACE = "e2e/swarm-hello"


@pytest.fixture(scope="module")
def swarm_platform(
    swarm_cluster: SwarmCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("swarm")
    env = {**swarm_cluster.platform_env(), "SPACEHOST_SLEEP_AFTER": "8"}
    proc, running = start_platform(data, free_port(), extra_env=env)
    try:
        yield running
    finally:
        stop_platform(proc, running, "swarm")
        remove_containers(data)


def hello(tmp: Path, version: str) -> Path:
    src = tmp / version
    shutil.copytree(ROOT / "spaces" / "hello", src)
    app = (src / "app.py").read_text()
    (src / "app.py").write_text(app.replace('f"Hello, {name}!"', f'f"Hello {version}, {{name}}!"'))
    return src


def runtime(running: Running, space: str = SPACE) -> dict[str, Any]:
    resp = requests.get(f"{running.url}/api/spaces/{space}/runtime", timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def services(manager: DockerClient, running: Running) -> list[dict[str, Any]]:
    instance = Settings(data_dir=running.data_dir).instance
    found: list[dict[str, Any]] = manager.api.services(
        filters={"label": [f"spacehost.instance={instance}", "spacehost.role=app"]}
    )
    return found


def replicas(service: dict[str, Any]) -> int:
    return int(service["Spec"]["Mode"]["Replicated"]["Replicas"])


def test_a_pushed_space_runs_on_a_node_sleeps_wakes_and_redeploys(
    swarm_platform: Running, manager: DockerClient, swarm_cluster: SwarmCluster, tmp_path: Path
) -> None:
    cluster = swarm_cluster
    swarm_platform.cli("push", str(hello(tmp_path, "v1")), "--name", SPACE, check=True)
    (first,) = services(manager, swarm_platform)
    (task,) = [t for t in manager.api.tasks(filters={"service": first["ID"]})]
    node = manager.api.inspect_node(task["NodeID"])
    assert node["Status"]["Addr"] in cluster.node_addrs
    client = Client(swarm_platform.space_url(SPACE, "path"), verbose=False)
    assert client.predict("swarm", api_name="/greet") == "Hello v1, swarm!"

    # idle: scaled to zero; a request through the router is held while it wakes (a cold start:
    # longer than gradio_client's own timeouts), then gradio_client is answered again
    wait_for(lambda: runtime(swarm_platform)["stage"] == "SLEEPING", timeout=90, what="sleep")
    wait_for(lambda: replicas(services(manager, swarm_platform)[0]) == 0, what="0 replicas")
    resp = requests.get(swarm_platform.space_url(SPACE, "subdomain") + "config", timeout=120)
    assert resp.status_code == 200 and resp.json()["title"] == "Hello"
    client = Client(swarm_platform.space_url(SPACE, "path"), verbose=False)
    assert client.predict("again", api_name="/greet") == "Hello v1, again!"
    assert runtime(swarm_platform)["stage"] == "RUNNING"
    assert replicas(services(manager, swarm_platform)[0]) == 1

    # a redeploy: a new service serves, the old one goes
    swarm_platform.cli("push", str(hello(tmp_path, "v2")), "--name", SPACE, check=True)
    client = Client(swarm_platform.space_url(SPACE, "path"), verbose=False)
    assert client.predict("swarm", api_name="/greet") == "Hello v2, swarm!"
    wait_for(
        lambda: (
            [s["ID"] for s in services(manager, swarm_platform)] not in ([], [first["ID"]])
            and first["ID"] not in [s["ID"] for s in services(manager, swarm_platform)]
        ),
        timeout=60,
        what="the old revision's service to go",
    )
    swarm_platform.cli("rm", "--yes", SPACE, check=True)
    wait_for(lambda: services(manager, swarm_platform) == [], what="no service left")


def test_a_gpu_space_is_refused_clearly_when_no_node_has_a_gpu(
    swarm_platform: Running, tmp_path: Path
) -> None:
    src = hello(tmp_path, "gpu")
    readme = (src / "README.md").read_text()
    (src / "README.md").write_text(
        readme.replace("sdk: gradio\n", "sdk: gradio\nsuggested_hardware: t4-small\n")
    )
    swarm_platform.cli("push", str(src), "--name", "e2e/swarm-gpu")
    try:
        resp = requests.get(f"{swarm_platform.url}/api/spaces/e2e/swarm-gpu/runtime", timeout=10)
        found = resp.json()
        assert found["stage"] == "CONFIG_ERROR", found
        assert "no node of the swarm advertises" in found["errorMessage"]
    finally:
        swarm_platform.cli("rm", "--yes", "e2e/swarm-gpu")


def test_a_restarted_platform_adopts_its_running_service(
    swarm_cluster: SwarmCluster, manager: DockerClient, tmp_path: Path
) -> None:
    space = "e2e/swarm-adopted"
    data = tmp_path / "data"
    data.mkdir()
    env = swarm_cluster.platform_env()
    proc, running = start_platform(data, free_port(), extra_env=env)
    try:
        running.cli("push", str(hello(tmp_path, "kept")), "--name", space, check=True)
        (before,) = services(manager, running)
        stop_platform(proc, running, "swarm-adopt-1")  # Ctrl-C: the service keeps running
        proc, running = start_platform(data, running.port, extra_env=env)
        wait_for(lambda: runtime(running, space)["stage"] == "RUNNING", what="the space adopted")
        assert [s["ID"] for s in services(manager, running)] == [before["ID"]]
        client = Client(running.space_url(space, "path"), verbose=False)
        assert client.predict("again", api_name="/greet") == "Hello kept, again!"
        running.cli("rm", "--yes", space, check=True)
    finally:
        stop_platform(proc, running, "swarm-adopt-2")
        remove_containers(data)


def test_a_space_whose_node_dies_waits_for_it_with_its_data_then_serves_again(
    swarm_cluster: SwarmCluster, manager: DockerClient, tmp_path: Path
) -> None:
    """Every space has /data, pinned to the node that holds it (docs/cluster.md): when that
    node dies the space is not moved but says why (naming the node), and comes back with the
    node."""
    space = "e2e/swarm-pinned"
    data = tmp_path / "data"
    data.mkdir()
    env = {**swarm_cluster.platform_env(), "SPACEHOST_CRASH_BACKOFF_INITIAL": "1"}
    proc, running = start_platform(data, free_port(), extra_env=env)
    swarm_cluster.drain(0)  # the space runs on a worker: the manager must stay up
    killed: int | None = None
    try:
        running.cli("push", str(hello(tmp_path, "kept")), "--name", space, check=True)
        (first,) = services(manager, running)
        (task,) = manager.api.tasks(filters={"service": first["ID"]})
        addr = manager.api.inspect_node(task["NodeID"])["Status"]["Addr"]
        killed = swarm_cluster.node_addrs.index(addr)
        start = time.monotonic()
        swarm_cluster.kill_node(killed)
        # the platform sees the node silent itself (lifecycle/node_loss.py), long before the
        # manager's heartbeats: the space names its node and waits for it
        wait_for(
            lambda: (
                runtime(running, space)["stage"] == "RUNTIME_ERROR"
                and "waits for the node to come back"
                in (runtime(running, space)["errorMessage"] or "")
            ),
            timeout=60,
            what="the space to say it waits for its node",
        )
        message = runtime(running, space)["errorMessage"]
        assert swarm_cluster.nodes[killed].name in message and addr in message, message
        print(f"node killed -> the space says so: {time.monotonic() - start:.1f} s")
        swarm_cluster.restart_node(killed)
        running.cli("restart", space, check=True)
        client = Client(running.space_url(space, "path"), verbose=False)
        assert client.predict("again", api_name="/greet") == "Hello kept, again!"
        (again,) = services(manager, running)
        (task,) = manager.api.tasks(filters={"service": again["ID"]})
        assert manager.api.inspect_node(task["NodeID"])["Status"]["Addr"] == addr  # its data
        killed = None
        running.cli("rm", "--yes", space, check=True)
    finally:
        if killed is not None:
            swarm_cluster.restart_node(killed)
        swarm_cluster.activate(0)
        stop_platform(proc, running, "swarm-node-loss")
        remove_containers(data)


def nodes_listed(running: Running) -> bool:
    """Whether ``spacehost nodes`` lists every node of the swarm Ready (the platform reads the
    manager again)."""
    done = running.cli("nodes", "--json")
    if done.returncode != 0:
        return False
    listed = json.loads(done.stdout)["nodes"]
    return len(listed) == 3 and all(n["state"] == "ready" for n in listed)


def test_the_managers_engine_restart_keeps_the_space_served_and_the_swarm_managed_after(
    swarm_platform: Running, manager: DockerClient, swarm_cluster: SwarmCluster, tmp_path: Path
) -> None:
    """docs/cluster.md, "What survives what": the manager's engine goes (killed, as a power
    cut) and comes back on its data root. The space's task on a worker serves on through the
    router, its stage stays RUNNING, the control plane says clearly that the manager does not
    answer, and once it answers the platform manages the swarm again (a sleep and a wake)."""
    space, cluster = "e2e/swarm-manager", swarm_cluster
    cluster.drain(0)  # the space on a worker: the restart must not take its task
    killed = False
    try:
        swarm_platform.cli("push", str(hello(tmp_path, "mgr")), "--name", space, check=True)
        (service,) = services(manager, swarm_platform)
        (task,) = manager.api.tasks(filters={"service": service["ID"]})
        assert manager.api.inspect_node(task["NodeID"])["Status"]["Addr"] != cluster.node_addrs[0]
        stages: set[str] = set()
        url = swarm_platform.space_url(space, "subdomain") + "config"
        with RequestLoop(url, '"title"') as loop:
            wait_for(lambda: loop.served > 0, what="requests served before the restart")
            killed, began = True, time.monotonic()
            cluster.kill_node(0)
            wait_for(lambda: not nodes_listed(swarm_platform), what="the manager gone")
            down = swarm_platform.cli("nodes")
            stages.add(runtime(swarm_platform, space)["stage"])
            restarted = time.monotonic()
            cluster.restart_node(0)
            killed = False
            wait_for(lambda: nodes_listed(swarm_platform), timeout=120, what="nodes listed again")
            managed = time.monotonic()
            stages.add(runtime(swarm_platform, space)["stage"])
            served_during = loop.served
        print(
            f"manager killed -> restarted after {restarted - began:.1f} s; restart -> swarm "
            f"managed again: {managed - restarted:.1f} s; requests: {served_during} served, "
            f"{len(loop.failures)} failed"
        )
        assert loop.failures == [], loop.failures[:5]
        assert stages == {"RUNNING"}, stages
        assert down.returncode != 0 and "Traceback" not in down.stderr, down
        assert "manager" in down.stderr and cluster.manager_url in down.stderr, down.stderr
        # managed again: idle, it is scaled to zero; a visit scales it up again
        wait_for(lambda: runtime(swarm_platform, space)["stage"] == "SLEEPING", timeout=90,
                 what="sleep after the restart")  # fmt: skip
        wait_for(lambda: replicas(services(manager, swarm_platform)[0]) == 0, what="0 replicas")
        resp = requests.get(url, timeout=120)
        assert resp.status_code == 200 and resp.json()["title"] == "Hello"
        assert runtime(swarm_platform, space)["stage"] == "RUNNING"
        swarm_platform.cli("rm", "--yes", space, check=True)
    finally:
        if killed:
            cluster.restart_node(0)
        cluster.activate(0)
