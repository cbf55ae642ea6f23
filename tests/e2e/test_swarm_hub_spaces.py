"""Hub repos for spaces on a live swarm (docs/cluster.md, "Hub repos on the nodes"): a tiny model
pushed to the platform's hub is put into a node-local volume on the worker the space lands on,
by a one-shot task that downloads it from the hub's API and checks its hashes; the space reads it
offline there and answers through the router. A second space reading the same model lands on
the same node and reuses the volume: nothing is downloaded twice. A dataset space on a worker
finds its `datasets` cache prepared there and calls `load_dataset` offline.

The platform runs with no SPACEHOST_REGISTRY: it starts its own registry (docs/cluster.md,
"Registry"), into which every image here is pushed and from which the workers pull."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from docker import DockerClient
from gradio_client import Client

from spacehost.routetable import parse_routes
from spacehost.settings import Settings
from tests.e2e.conftest import Running, remove_containers, start_platform, stop_platform
from tests.support.hub_space import ANSWER, write_hub_space, write_model
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.swarm_cluster import SwarmCluster
from tests.support.swarm_reservations import reserving_helpers

pytestmark = [pytest.mark.docker, pytest.mark.swarm]
MODEL = "e2e/tiny-model"
WEIGHTS = os.urandom(200_000)  # binary: stored as LFS, checked by sha256
CONFIG = '{"model_type": "tiny", "hidden_size": 4}\n'
APP = """import hashlib, os
import gradio as gr
from huggingface_hub import hf_hub_download

def describe(_: str) -> str:
    config = open(hf_hub_download("e2e/tiny-model", "config.json"), encoding="utf-8").read()
    weights = open(hf_hub_download("e2e/tiny-model", "weights.bin"), "rb").read()
    offline = os.environ["HF_HUB_OFFLINE"]
    return config.strip() + " " + hashlib.sha256(weights).hexdigest() + " " + offline

demo = gr.Interface(fn=describe, inputs="text", outputs="text", title="Tiny", api_name="describe")
if __name__ == "__main__":
    demo.launch()
"""
README = f"""---
title: Tiny
sdk: gradio
sdk_version: 6.31.0
app_file: app.py
models:
- {MODEL}
---
"""


@pytest.fixture(scope="module")
def hub_platform(
    swarm_cluster: SwarmCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    """A swarm platform whose router the nodes reach on the cluster bridge."""
    data = tmp_path_factory.mktemp("swarmhub")
    port = free_port()
    bridge = swarm_cluster.registry_pull.rpartition(":")[0]
    env = swarm_cluster.platform_env(
        SPACEHOST_HOST="0.0.0.0",  # loopback for the tests, the bridge for the fill tasks
        SPACEHOST_SWARM_HUB_URL=f"http://{bridge}:{port}",
        SPACEHOST_REGISTRY_PORT=str(free_port()),  # nodes pull at the hub URL's host, this port
    )
    del env["SPACEHOST_REGISTRY"], env["SPACEHOST_REGISTRY_PULL"]  # spacehost starts its own
    proc, running = start_platform(data, port, extra_env=env)
    try:
        yield running
    finally:
        stop_platform(proc, running, "swarmhub")
        remove_containers(data)


def space_folder(tmp: Path, name: str) -> Path:
    folder = tmp / name
    folder.mkdir()
    (folder / "README.md").write_text(README)
    (folder / "app.py").write_text(APP)
    return folder


def app_service(manager: DockerClient, running: Running, space: str) -> dict[str, Any]:
    instance = Settings(data_dir=running.data_dir).instance
    (service,) = manager.api.services(
        filters={"label": [f"spacehost.instance={instance}", f"spacehost.space={space}",
                           "spacehost.role=app"]}
    )  # fmt: skip
    return dict(service)


def task_node(manager: DockerClient, running: Running, space: str) -> str:
    service = app_service(manager, running, space)
    tasks = [t for t in manager.api.tasks(filters={"service": service["ID"]})
             if t["Status"]["State"] == "running"]  # fmt: skip
    (task,) = tasks
    return str(task["NodeID"])


def ask(running: Running, space: str) -> Any:
    return Client(running.space_url(space, "path"), verbose=False).predict(
        "?", api_name="/describe"
    )


def test_a_hub_model_space_runs_on_a_worker_from_a_node_local_cache_filled_once(
    hub_platform: Running, swarm_cluster: SwarmCluster, manager: DockerClient, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(CONFIG)
    (model / "weights.bin").write_bytes(WEIGHTS)
    hub_platform.cli("push", str(model), "--type", "model", "--name", MODEL, check=True)
    sha = requests.get(f"{hub_platform.url}/api/models/{MODEL}", timeout=10).json()["sha"]
    expected = f"{CONFIG.strip()} {hashlib.sha256(WEIGHTS).hexdigest()} 1"

    swarm_cluster.drain(0)  # the manager takes no task: the space lands on a worker
    try:
        hub_platform.cli("push", str(space_folder(tmp_path, "one")), "--name", "e2e/tiny-one",
                         check=True, timeout=1800)  # fmt: skip
        assert ask(hub_platform, "e2e/tiny-one") == expected
        node = task_node(manager, hub_platform, "e2e/tiny-one")
        assert node != swarm_cluster.node_id(0)
        # its fill job was pinned to that node and reserved nothing (swarm_room.py)
        assert reserving_helpers(manager, Settings(data_dir=hub_platform.data_dir).instance) == []
        # pulled from the registry the platform started: at the hub URL's host, stored in DATA
        image = app_service(manager, hub_platform, "e2e/tiny-one")["Spec"]["TaskTemplate"][
            "ContainerSpec"]["Image"]  # fmt: skip
        assert image.startswith(f"{swarm_cluster.registry_pull.rpartition(':')[0]}:")
        assert not image.startswith(f"{swarm_cluster.registry_pull}/")  # not the cluster's
        assert (hub_platform.data_dir / "registry" / "storage" / "docker" / "registry" / "v2"
                / "repositories" / "spacehost" / "e2e--tiny-one").is_dir()  # fmt: skip

        hub_platform.cli("push", str(space_folder(tmp_path, "two")), "--name", "e2e/tiny-two",
                         check=True, timeout=1800)  # fmt: skip
        assert ask(hub_platform, "e2e/tiny-two") == expected
        assert task_node(manager, hub_platform, "e2e/tiny-two") == node  # where the cache is
    finally:
        swarm_cluster.activate(0)

    volume = f"spacehost-hub-models--e2e--tiny-model-{sha}"
    log = hub_platform.log.read_text()
    assert log.count(f"{volume} on node {node}: hub cache: filled model {MODEL}") == 1, log
    assert log.count(f"{volume} on node {node}: hub cache: model {MODEL}@") == 1  # reused
    held = []
    for index in range(3):  # the volume is on that node only
        with contextlib.closing(swarm_cluster.client(index)) as client:
            if client.volumes.list(filters={"name": volume}):
                held.append(swarm_cluster.node_id(index))
    assert held == [node]
    for space in ("e2e/tiny-one", "e2e/tiny-two"):
        hub_platform.cli("rm", "--yes", space, check=True)
    wait_for(
        lambda: not manager.api.services(filters={"label": "spacehost.role=helper"}),
        what="no fill job left",
    )


def flip_last_byte(path: Path) -> None:
    with path.open("r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))


def stage(running: Running, space: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(
        f"{running.url}/api/spaces/{space}/runtime", timeout=10
    ).json()
    return body


def test_a_hash_mismatch_is_the_spaces_error_and_a_restart_fills_again(
    hub_platform: Running, tmp_path: Path
) -> None:
    """The hub serves a corrupted LFS object (its stored bytes changed under it): the fill
    refuses it, the space says why, and once the object is whole a restart fills the cache."""
    model = tmp_path / "model"
    model.mkdir()
    config = CONFIG.replace("4", "8")  # a new commit: a new volume to fill
    (model / "config.json").write_text(config)
    (model / "weights.bin").write_bytes(WEIGHTS)
    hub_platform.cli("push", str(model), "--type", "model", "--name", MODEL, check=True)
    digest = hashlib.sha256(WEIGHTS).hexdigest()
    (stored,) = (hub_platform.data_dir / "hub" / "blobs").rglob(digest)  # hard-linked in cache/
    space = "e2e/tiny-three"
    flip_last_byte(stored)
    try:
        hub_platform.cli("push", str(space_folder(tmp_path, "three")), "--name", space,
                         timeout=1800)  # fmt: skip
        seen: dict[str, Any] = {}

        def failed() -> bool:
            seen.update(stage(hub_platform, space))
            return seen["stage"] == "RUNTIME_ERROR"

        wait_for(failed, timeout=300, what="the failed fill to be the space's error")
        message = seen["errorMessage"]
        assert f"filling the hub cache of model {MODEL}" in message
        assert "hash mismatch: weights.bin: expected sha256" in message
    finally:
        flip_last_byte(stored)
    hub_platform.cli("restart", space, check=True, timeout=600)
    assert ask(hub_platform, space) == f"{config.strip()} {digest} 1"
    hub_platform.cli("rm", "--yes", space, check=True)


DATASET = "e2e/tiny-reviews"
DATASET_APP = """import datasets
import gradio as gr

def describe(_: str) -> str:
    ds = datasets.load_dataset("e2e/tiny-reviews")
    return f"{ds['train'].num_rows} {ds['test'].num_rows} {ds['train'][1]['text']}"

demo = gr.Interface(fn=describe, inputs="text", outputs="text", title="Rows", api_name="describe")
if __name__ == "__main__":
    demo.launch()
"""


def dataset_folder(tmp: Path) -> Path:
    folder = tmp / "dataset"
    (folder / "data").mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: cc0-1.0\npretty_name: Tiny reviews\n---\n")
    for split, n in (("train", 12), ("test", 3)):
        rows = "".join(f"review number {i},{i % 2}\n" for i in range(n))
        (folder / "data" / f"{split}.csv").write_text("text,label\n" + rows)
    return folder


def test_a_dataset_space_on_a_worker_calls_load_dataset_offline(
    hub_platform: Running, swarm_cluster: SwarmCluster, manager: DockerClient, tmp_path: Path
) -> None:
    """The `datasets` cache is prepared on the node the space runs on, as on one host."""
    hub_platform.cli("push", str(dataset_folder(tmp_path)), "--type", "dataset", "--name",
                     DATASET, check=True)  # fmt: skip
    space = tmp_path / "rows"
    space.mkdir()
    readme = README.replace(f"models:\n- {MODEL}", f"datasets:\n- {DATASET}")
    (space / "README.md").write_text(readme.replace("title: Tiny", "title: Rows"))
    (space / "app.py").write_text(DATASET_APP)
    # the requirements of spaces/dataset-viewer: its built layers are reused when cached
    (space / "requirements.txt").write_text(
        (Path(__file__).parents[2] / "spaces" / "dataset-viewer" / "requirements.txt").read_text()
    )
    swarm_cluster.drain(0)  # the manager takes no task: the space lands on a worker
    try:
        hub_platform.cli("push", str(space), "--name", "e2e/rows", check=True, timeout=1800)
        assert task_node(manager, hub_platform, "e2e/rows") != swarm_cluster.node_id(0)
        # its fill and its datasets preparation reserved nothing (swarm_room.py)
        assert reserving_helpers(manager, Settings(data_dir=hub_platform.data_dir).instance) == []
    finally:
        swarm_cluster.activate(0)
    assert ask(hub_platform, "e2e/rows") == "12 3 review number 1"
    hub_platform.cli("rm", "--yes", "e2e/rows", check=True)


SPREAD_MODEL = "e2e/tiny-spread"


def running_nodes(manager: DockerClient, running: Running, space: str) -> list[str]:
    service = app_service(manager, running, space)
    tasks = manager.api.tasks(filters={"service": service["ID"]})
    return [str(t["NodeID"]) for t in tasks if t["Status"]["State"] == "running"]


def routed_replicas(running: Running, space: str) -> tuple[str, ...]:
    text = Settings(data_dir=running.data_dir).routes_file.read_text()
    return next((r.replicas for r in parse_routes(text) if r.space == space), ())


def test_a_replicated_hub_space_is_filled_on_each_node_and_every_replica_loads_it(
    hub_platform: Running, swarm_cluster: SwarmCluster, manager: DockerClient, tmp_path: Path
) -> None:
    """Two replicas, the manager drained: the model is filled on both workers (in parallel),
    the service runs one replica on each, and each answers gradio_client with the model read
    offline (docs/cluster.md, "Hub repos on the nodes")."""
    model = write_model(tmp_path / "spread-model")
    hub_platform.cli("push", str(model), "--type", "model", "--name", SPREAD_MODEL, check=True)
    name = "e2e/tiny-spread-space"
    space = write_hub_space(tmp_path / "spread", SPREAD_MODEL, replicas=2)
    workers = {swarm_cluster.node_id(1), swarm_cluster.node_id(2)}
    swarm_cluster.drain(0)
    try:
        hub_platform.cli("push", str(space), "--name", name, check=True, timeout=1800)
        wait_for(lambda: len(routed_replicas(hub_platform, name)) == 2, timeout=120,
                 what="both replicas routed")  # fmt: skip
    finally:
        swarm_cluster.activate(0)
    assert sorted(running_nodes(manager, hub_platform, name)) == sorted(workers)
    hosts: dict[str, str] = {}

    def both_answered() -> bool:  # each new session lands on the replica the router picks
        host, _, rest = str(ask(hub_platform, name)).partition(" ")
        hosts[host] = rest
        return len(hosts) == 2

    wait_for(both_answered, timeout=60, what="an answer from each replica")
    assert set(hosts.values()) == {ANSWER}, hosts
    log = hub_platform.log.read_text()
    for worker in workers:
        assert f"on node {worker}: hub cache: filled model {SPREAD_MODEL}" in log, log
    hub_platform.cli("rm", "--yes", name, check=True)
