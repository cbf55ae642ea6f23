"""``/data`` that moves with its space (issue 17): a platform with ``SPACEHOST_RUNTIME=swarm``
and ``SPACEHOST_SWARM_DATA=shared`` on the live test cluster (tests/support/swarm_cluster.py),
its manager drained so the space runs on a worker.

``SPACEHOST_SWARM_SHARED_DIR`` is a folder of this machine: the test cluster's engines share
this machine's file system, so a host folder stands for the NFS (or CephFS, ...) mount an
operator gives every node and the platform's host (docs/cluster.md, "Where /data lives").

A space writes a file under ``/data`` on a worker; that worker's engine is killed (a power
cut); the space is served again from the other worker and reads the same file (measured:
kill -> served again, its image already on that worker). Deleting the space removes its
folder."""

from __future__ import annotations

import contextlib
import json
import os
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
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.swarm_cluster import SwarmCluster

pytestmark = [pytest.mark.docker, pytest.mark.swarm]
SPACE = "e2e/swarm-keeper"
KEEPER = """import os

import gradio as gr

NOTE = "/data/note.txt"


def remember(text: str) -> str:
    if text:
        with open(NOTE, "w") as f:
            f.write(text)
    if not os.path.exists(NOTE):
        return ""
    with open(NOTE) as f:
        return f.read()


demo = gr.Interface(fn=remember, inputs=gr.Textbox(label="text"),
                    outputs=gr.Textbox(label="kept"), title="Keeper", api_name="remember")

if __name__ == "__main__":
    demo.launch()
"""


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stands for the operator's NFS mount: the nodes share this machine's file system."""
    return tmp_path_factory.mktemp("nfs-mount")


@pytest.fixture(scope="module")
def keeper(
    swarm_cluster: SwarmCluster, shared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("swarmshared")
    env = swarm_cluster.platform_env(
        SPACEHOST_SWARM_DATA="shared",
        SPACEHOST_SWARM_SHARED_DIR=str(shared_dir),
        SPACEHOST_CRASH_BACKOFF_INITIAL="1",
    )
    swarm_cluster.drain(0)  # spaces on the workers: killing one leaves the manager up
    proc, running = start_platform(data, free_port(), extra_env=env)
    try:
        yield running
    finally:
        stop_platform(proc, running, "swarmshared")
        remove_containers(data)
        swarm_cluster.activate(0)


def keeper_space(tmp: Path) -> Path:
    src = tmp / "keeper"
    src.mkdir()
    readme = (ROOT / "spaces" / "hello" / "README.md").read_text()
    (src / "README.md").write_text(readme.replace("title: Hello", "title: Keeper"))
    (src / "app.py").write_text(KEEPER)
    return src


def stage(running: Running) -> str:
    resp = requests.get(f"{running.url}/api/spaces/{SPACE}/runtime", timeout=10)
    resp.raise_for_status()
    return str(resp.json()["stage"])


def node_of(running: Running) -> str | None:
    """The hostname of the node running the space, from ``spacehost nodes``."""
    done = running.cli("nodes", "--json")
    if done.returncode != 0:
        return None  # the manager is busy noticing the dead node: ask again
    found: list[dict[str, Any]] = json.loads(done.stdout)["nodes"]
    for node in found:
        if any(w["name"] == SPACE and w["state"] == "running" for w in node["workloads"]):
            return str(node["hostname"])
    return None


def remember(running: Running, text: str) -> str:
    client = Client(running.space_url(SPACE, "path"), verbose=False)
    return str(client.predict(text, api_name="/remember"))


def served_away_from(running: Running, node: str, stages: dict[str, float]) -> bool:
    """Whether the space answers through the router from a node other than *node*; notes the
    second each stage was first seen in *stages*."""
    now = stage(running)
    stages.setdefault(now, time.monotonic())
    try:
        ok = requests.get(running.space_url(SPACE, "subdomain") + "config", timeout=5).ok
    except requests.RequestException:
        return False
    return ok and now == "RUNNING" and node_of(running) not in (None, node)


def pull_on_the_other_worker(
    running: Running, manager: DockerClient, cluster: SwarmCluster, busy: int
) -> None:
    """The space's image on the worker it will move to, as after any earlier move there: the
    move measured is the data's, not a first pull of the image (the ephemeral figures of
    docs/benchmarks.md are taken so too)."""
    instance = Settings(data_dir=running.data_dir).instance
    (service,) = manager.api.services(
        filters={"label": [f"spacehost.instance={instance}", "spacehost.role=app"]}
    )
    image = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
    (other,) = (i for i in range(1, len(cluster.nodes)) if i != busy)
    with contextlib.closing(cluster.client(other, timeout=300)) as client:
        client.images.pull(image)


def back_after_the_manager_noticed(cluster: SwarmCluster, index: int) -> None:
    """Start the killed node's engine again once the manager counts it down (its heartbeats,
    10-20 s): the space may have moved sooner, and an engine back before the manager noticed
    it gone once failed to rejoin within restart_node's 2 minutes on a loaded machine."""
    name = cluster.nodes[index].name
    with contextlib.suppress(AssertionError):  # not noticed in time: restart it all the same
        wait_for(
            lambda: cluster.node_states().get(name, ("down", ""))[0] != "ready",
            timeout=60,
            interval=0.5,
            what=f"the manager to count {name} down",
        )
    cluster.restart_node(index)


def test_a_killed_workers_space_is_served_from_another_node_with_the_same_data(
    keeper: Running,
    swarm_cluster: SwarmCluster,
    manager: DockerClient,
    shared_dir: Path,
    tmp_path: Path,
) -> None:
    pushed = time.monotonic()
    keeper.cli("push", str(keeper_space(tmp_path)), "--name", SPACE, check=True)
    print(f"shared /data: push -> RUNNING on a worker: {time.monotonic() - pushed:.1f} s")
    assert remember(keeper, "written before the power cut") == "written before the power cut"
    instance = Settings(data_dir=keeper.data_dir).instance
    (folder,) = (shared_dir / instance).iterdir()  # the space's /data, named by its volume
    note = folder / "note.txt"
    assert note.read_text() == "written before the power cut"
    assert (folder.stat().st_uid, note.stat().st_uid) == (1000, 1000)  # the app's user
    before = node_of(keeper)
    assert before is not None and before != swarm_cluster.nodes[0].name

    killed = [n.name for n in swarm_cluster.nodes].index(before)
    pull_on_the_other_worker(keeper, manager, swarm_cluster, killed)
    swarm_cluster.kill_node(killed)
    began = time.monotonic()
    stages: dict[str, float] = {}
    try:
        wait_for(
            lambda: served_away_from(keeper, before, stages),
            timeout=180,
            interval=0.25,
            what=f"{SPACE} served away from {before}",
        )
        took = time.monotonic() - began
        seen = ", ".join(f"{s} {t - began:.1f} s" for s, t in stages.items())
        print(f"shared /data: node killed -> served again from another node: {took:.1f} s "
              f"(stages first seen: {seen})")  # fmt: skip
        assert set(stages) - {"RUNNING"}, stages  # honest while it moves (APP_STARTING)
        assert remember(keeper, "") == "written before the power cut"  # the same file
        log = keeper.log.read_text(errors="replace")
        assert "its /data moves with it" in log, log[-2000:]
    finally:
        back_after_the_manager_noticed(swarm_cluster, killed)

    keeper.cli("rm", "--yes", SPACE, check=True)
    assert not folder.exists(), os.listdir(folder)
