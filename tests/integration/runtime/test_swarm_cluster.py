"""The live test cluster itself (tests/support/swarm_cluster.py): three engines Ready in one
swarm, an image pushed by the machine's own engine running on every node by digest, tasks on
different nodes talking over an overlay network, and a killed node's tasks rescheduled."""

from __future__ import annotations

import contextlib
import secrets
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import docker
import pytest
from docker import DockerClient
from docker.models.services import Service
from docker.types import EndpointSpec, ServiceMode

from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.swarm_cluster import SwarmCluster
from tests.support.swarm_network import SUBNET

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

BASE_IMAGE = "spacehost/base:bookworm"  # debootstrap's Debian, with python3
RUN = secrets.token_hex(3)
# each task serves its own hostname (the container's short id) on port 8000
SERVE_HOSTNAME = [
    "sh", "-c", "mkdir -p /tmp/w && hostname > /tmp/w/index.html && cd /tmp/w && "
    "exec python3 -m http.server 8000",
]  # fmt: skip


@pytest.fixture(scope="module")
def manager(swarm_cluster: SwarmCluster) -> Iterator[DockerClient]:
    client = swarm_cluster.client(0)
    yield client
    # the services go; their overlay network stays until the cluster does (the swarm removes
    # tasks' containers in the background, and waiting for them costs about 20 s)
    for service in client.services.list(filters={"label": f"shsw.test={RUN}"}):
        service.remove()
    client.close()


@pytest.fixture(scope="module")
def pushed_image(swarm_cluster: SwarmCluster) -> str:
    """BASE_IMAGE pushed by the machine's engine to the registry; its pull-by-digest name."""
    local = docker.from_env()
    try:
        image = local.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{BASE_IMAGE} missing: run runtime_images/base/bootstrap.sh bookworm")
    repository = f"{swarm_cluster.registry_push}/shsw-test/base"
    image.tag(repository, tag=RUN)
    try:
        digest = _push(local, repository, RUN)
    finally:
        local.images.remove(f"{repository}:{RUN}")
        local.close()
    return f"{swarm_cluster.registry_pull}/shsw-test/base@{digest}"


@pytest.fixture(scope="module")
def overlay(manager: DockerClient) -> str:
    name = f"shsw-test-{RUN}"
    manager.networks.create(name, driver="overlay", labels={"shsw.test": RUN})
    return name


def test_the_three_nodes_are_ready_one_manager(swarm_cluster: SwarmCluster) -> None:
    states = swarm_cluster.node_states()

    assert sorted(states.values()) == [("ready", "active")] * 3
    with contextlib.closing(swarm_cluster.client(0)) as client:
        leaders = [n for n in client.nodes.list() if n.attrs.get("ManagerStatus", {}).get("Leader")]
    assert [leader.attrs["Description"]["Hostname"] for leader in leaders] == [
        swarm_cluster.nodes[0].name
    ]


def test_a_pushed_image_runs_by_digest_on_every_node_and_tasks_talk_over_the_overlay(
    swarm_cluster: SwarmCluster, manager: DockerClient, pushed_image: str, overlay: str
) -> None:
    service = _create(manager, "spread", pushed_image, 3, overlay, per_node=1)

    tasks = wait_for(lambda: _running(service, 3), 180, 0.5, "3 running tasks of 'spread'")

    assert {task["NodeID"] for task in tasks} == {swarm_cluster.node_id(i) for i in range(3)}
    assert {task["Spec"]["ContainerSpec"]["Image"] for task in tasks} == {pushed_image}
    by_node = {task["NodeID"]: task for task in tasks}
    source, target = by_node[swarm_cluster.node_id(0)], by_node[swarm_cluster.node_id(1)]
    answer = _fetch_from(swarm_cluster, 0, source, f"http://{_overlay_ip(target, overlay)}:8000/")
    assert answer == target["Status"]["ContainerStatus"]["ContainerID"][:12]


def test_a_host_mode_port_answers_the_machine_at_its_nodes_address(
    swarm_cluster: SwarmCluster, manager: DockerClient, pushed_image: str
) -> None:
    """How the machine (the router, outside the swarm) reaches a task: the port its task
    publishes in host mode, at the address of the node it runs on. (No routing mesh here: the
    kernel has no IPVS, so ingress and VIPs do not forward; docs/cluster.md.)"""
    port = free_port()
    service = manager.services.create(
        pushed_image,
        command=SERVE_HOSTNAME,
        name=f"shsw-published-{RUN}",
        labels={"shsw.test": RUN},
        container_labels={"shsw.test": RUN},
        endpoint_spec=EndpointSpec(mode="dnsrr", ports={port: (8000, "tcp", "host")}),
    )
    (task,) = wait_for(lambda: _running(service, 1), 120, 0.5, "the published task")
    node = [swarm_cluster.node_id(i) for i in range(3)].index(task["NodeID"])

    url = f"http://{swarm_cluster.node_addrs[node]}:{port}/"
    body = wait_for(lambda: _get(url), 30, 0.2, f"{url} to answer")

    assert body == task["Status"]["ContainerStatus"]["ContainerID"][:12]


def test_a_killed_nodes_tasks_are_rescheduled_on_the_others(
    swarm_cluster: SwarmCluster, manager: DockerClient, pushed_image: str, overlay: str
) -> None:
    service = _create(manager, "resched", pushed_image, 3, overlay, per_node=0)
    tasks = wait_for(lambda: _running(service, 3), 180, 0.5, "3 running tasks of 'resched'")
    dead = swarm_cluster.node_id(2)
    assert dead in {task["NodeID"] for task in tasks}, "the swarm spreads a service's tasks"

    killed_at = time.monotonic()
    swarm_cluster.kill_node(2)
    try:
        moved = wait_for(
            lambda: _running(service, 3, exclude_node=dead), 120, 0.5, "tasks off node 2"
        )
        reschedule_s = time.monotonic() - killed_at
        assert dead not in {task["NodeID"] for task in moved}
        assert swarm_cluster.node_states()[swarm_cluster.nodes[2].name][0] == "down"
        print(f"node loss -> 3 tasks running again: {reschedule_s:.1f} s")
    finally:
        swarm_cluster.restart_node(2)


def test_drain_moves_a_nodes_tasks_away_and_activate_takes_it_back(
    swarm_cluster: SwarmCluster, manager: DockerClient, pushed_image: str, overlay: str
) -> None:
    service = _create(manager, "drain", pushed_image, 3, overlay, per_node=0)
    wait_for(lambda: _running(service, 3), 120, 0.5, "3 running tasks of 'drain'")
    drained = swarm_cluster.node_id(1)

    swarm_cluster.drain(1)
    try:
        moved = wait_for(
            lambda: _running(service, 3, exclude_node=drained), 120, 0.5, "tasks off node 1"
        )
        assert not [task for task in _all_running(service) if task["NodeID"] == drained]
        assert swarm_cluster.node_states()[swarm_cluster.nodes[1].name] == ("ready", "drain")
        assert len(moved) == 3
    finally:
        swarm_cluster.activate(1)
    assert swarm_cluster.node_states()[swarm_cluster.nodes[1].name] == ("ready", "active")


def test_a_node_added_later_joins_ready_and_leaves_again(swarm_cluster: SwarmCluster) -> None:
    index = swarm_cluster.add_node()
    try:
        assert index == 3
        assert swarm_cluster.node_addrs[3] == f"{SUBNET}.13"
        assert swarm_cluster.node_states()[swarm_cluster.nodes[3].name] == ("ready", "active")
    finally:
        swarm_cluster.remove_last_node()
    assert len(swarm_cluster.node_states()) == 3


# -- helpers ------------------------------------------------------------------------------


def _push(local: DockerClient, repository: str, tag: str) -> str:
    digest = ""
    for event in local.images.push(repository, tag=tag, stream=True, decode=True):
        if "error" in event:
            raise AssertionError(f"push to {repository} failed: {event['error']}")
        digest = event.get("aux", {}).get("Digest", digest)
    assert digest.startswith("sha256:"), "the push reported no digest"
    return digest


def _create(
    manager: DockerClient, name: str, image: str, replicas: int, network: str, per_node: int
) -> Service:
    """A replicated service serving its tasks' hostnames; *per_node* 0: no limit per node."""
    return manager.services.create(
        image,
        command=SERVE_HOSTNAME,
        name=f"shsw-{name}-{RUN}",
        labels={"shsw.test": RUN},
        container_labels={"shsw.test": RUN},
        mode=ServiceMode("replicated", replicas=replicas),
        networks=[network],
        endpoint_spec=EndpointSpec(mode="dnsrr"),
        maxreplicas=per_node,
    )


def _running(service: Service, count: int, exclude_node: str = "") -> list[dict[str, Any]] | None:
    tasks = [
        task
        for task in service.tasks(filters={"desired-state": "running"})
        if task["Status"]["State"] == "running" and task.get("NodeID") != exclude_node
    ]
    return tasks if len(tasks) >= count else None


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return str(answer.read().decode().strip())
    except OSError:
        return None


def _all_running(service: Service) -> list[dict[str, Any]]:
    return [task for task in service.tasks() if task["Status"]["State"] == "running"]


def _overlay_ip(task: dict[str, Any], network: str) -> str:
    for attachment in task["NetworksAttachments"]:
        if attachment["Network"]["Spec"]["Name"] == network:
            return str(attachment["Addresses"][0].split("/")[0])
    raise AssertionError(f"task {task['ID']} is not on {network}")


def _fetch_from(cluster: SwarmCluster, node: int, task: dict[str, Any], url: str) -> str:
    """GET *url* from inside *task*'s container (on *node*), its body stripped."""
    script = f"import urllib.request as r; print(r.urlopen({url!r}, timeout=10).read().decode())"
    with contextlib.closing(cluster.client(node)) as client:
        container = client.containers.get(task["Status"]["ContainerStatus"]["ContainerID"])
        code, output = container.exec_run(["python3", "-c", script])
    assert code == 0, output.decode(errors="replace")
    return str(output.decode().strip())
