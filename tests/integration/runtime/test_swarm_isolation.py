"""Spaces on a Swarm reach neither each other nor each other's published ports, on the same
node or across nodes, while the platform's host (the router) reaches every one — with the node
set-up docs/cluster.md asks for (each engine with ``icc: false`` and ``userland-proxy: false``,
each node admitting new connections to its published ports only from the platform's host),
which the test cluster's nodes have (tests/support/swarm_engine.py).

Nor do they reach anything else they were not given (docs/security.md, "Spaces on a Swarm"): the
platform's host (its registry), their own node's host ports (at the gateway of their bridge or at
the node's address), another node's address, or an address beyond the cluster (the host's own
address outside the cluster's bridge) — the same started spaces are asked."""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from docker import DockerClient
from docker.errors import APIError

from spacehost.runtime.base import ContainerInfo
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import GpuHost
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.swarm_backend import SwarmBackend
from tests.support.docker_runtime import RUN_ID, http_status, make_spec, space
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.swarm_cluster import SwarmCluster

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

INSTANCE = f"swarmfence-{RUN_ID}"
SPACES = 4  # on three nodes: at least two share one, at least two do not
# prints 0 when a TCP connection to argv[1]:argv[2] opens within 3 s, else the error number
PROBE = (
    "import socket, sys; s = socket.socket(); s.settimeout(3); "
    "print(s.connect_ex((sys.argv[1], int(sys.argv[2]))))"
)


# a host service of a node (sshd, an exporter): accepts on every address of the node's namespace
LISTEN = (
    "import socket, sys; s = socket.socket(); "
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
    "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(64)\n"
    "while True: s.accept()[0].close()"
)
SWARM_GOSSIP_PORT = 7946


@pytest.fixture(scope="module")
def started(
    client: DockerClient, image: str, swarm_cluster: SwarmCluster
) -> Iterator[list[ContainerInfo]]:
    manager = DockerClient(base_url=swarm_cluster.manager_url)
    pusher = ImagePusher(client, swarm_cluster.registry_push, swarm_cluster.registry_pull)
    backend = SwarmBackend(
        manager, DockerBackend(client, gpu_host=GpuHost()), pusher, instance=INSTANCE
    )
    try:
        yield [
            backend.start(make_spec(space=space(f"fence{i}"), cpus=0.2, memory_limit=96 << 20))
            for i in range(SPACES)
        ]
    finally:
        for service in manager.api.services(filters={"label": f"spacehost.instance={INSTANCE}"}):
            manager.api.remove_service(service["ID"])
        manager.close()


def where(cluster: SwarmCluster, info: ContainerInfo) -> tuple[int, str, str]:
    """(node index, container id, container address) of the service's running task."""
    with contextlib.closing(DockerClient(base_url=cluster.manager_url)) as manager:
        tasks = manager.api.tasks(filters={"service": info.id, "desired-state": "running"})
    task = next(t for t in tasks if t["Status"]["State"] == "running")
    index = next(i for i in range(len(cluster.node_addrs)) if cluster.node_id(i) == task["NodeID"])
    container_id = task["Status"]["ContainerStatus"]["ContainerID"]
    with contextlib.closing(cluster.client(index)) as node:
        networks = node.api.inspect_container(container_id)["NetworkSettings"]["Networks"]
    address = next(n["IPAddress"] for n in networks.values() if n.get("IPAddress"))
    return index, container_id, address


def serves(info: ContainerInfo) -> bool:
    return http_status(info.host or "", info.port or 0) == 200


class TaskGone(Exception):
    """A space's task stopped between its placement and a probe (what Swarm said is the message)."""


def task_history(cluster: SwarmCluster, service_id: str) -> str:
    """Every task of the service, with its state and what Swarm says of it."""
    with contextlib.closing(DockerClient(base_url=cluster.manager_url)) as manager:
        tasks = manager.api.tasks(filters={"service": service_id})
    return "; ".join(
        f"{t['ID'][:10]} on {t['NodeID'][:10]}: {t['Status']['State']} (desired "
        f"{t['DesiredState']}) {t['Status'].get('Message', '')} {t['Status'].get('Err', '')}"
        for t in tasks
    )


def opens(cluster: SwarmCluster, index: int, container_id: str, host: str, port: int) -> bool:
    """Whether the container *container_id* on node *index* opens a connection to host:port.

    Raises:
        TaskGone: the container no longer runs.
    """
    with contextlib.closing(cluster.client(index)) as node:
        try:
            code, out = node.containers.get(container_id).exec_run(
                ["python3", "-c", PROBE, host, str(port)], user="1000:1000"
            )
        except APIError as exc:
            if exc.status_code != 409:
                raise
            raise TaskGone(str(exc.explanation)) from exc
    assert code == 0, out
    return bool(out.decode().strip() == "0")


def placed_and_serving(
    cluster: SwarmCluster, started: list[ContainerInfo]
) -> list[tuple[int, str, str]]:
    for info in started:  # the platform's host reaches every app at its node's published port
        assert wait_for(functools.partial(serves, info), what="the app from the host")
    return [where(cluster, info) for info in started]


def reached_pairs(
    cluster: SwarmCluster, started: list[ContainerInfo], placed: list[tuple[int, str, str]]
) -> list[tuple[object, object, str]]:
    """(space, other space, how) for every other space a space opens a connection to."""
    reached: list[tuple[object, object, str]] = []
    for (node, container, _), me in zip(placed, started, strict=True):
        for (other_node, _, address), other in zip(placed, started, strict=True):
            if other is me:
                continue
            published = opens(cluster, node, container, other.host or "", other.port or 0)
            direct = other_node == node and opens(cluster, node, container, address, 7860)
            if published or direct:
                reached.append((me.space, other.space, "published" if published else "direct"))
    return reached


def restart_stopped(cluster: SwarmCluster, started: list[ContainerInfo]) -> list[ContainerInfo]:
    """Give every service without a running task a new one (a forced update: its restart policy
    is none) and return the spaces with their new addresses."""
    renewed: list[ContainerInfo] = []
    with contextlib.closing(DockerClient(base_url=cluster.manager_url)) as manager:
        for info in started:
            tasks = manager.api.tasks(filters={"service": info.id, "desired-state": "running"})
            if not any(t["Status"]["State"] == "running" for t in tasks):
                manager.services.get(info.id).force_update()
            now = wait_for(
                functools.partial(published, manager, info), 120, 0.5, f"a task of {info.name}"
            )
            assert now is not None
            renewed.append(now)
    return renewed


def published(manager: DockerClient, info: ContainerInfo) -> ContainerInfo | None:
    """*info* with the address its running task publishes now; None while it has none."""
    tasks = manager.api.tasks(filters={"service": info.id, "desired-state": "running"})
    for task in tasks:
        ports = task["Status"].get("PortStatus", {}).get("Ports", [])
        if task["Status"]["State"] == "running" and ports:
            node = manager.api.inspect_node(task["NodeID"])
            return replace(info, host=node["Status"]["Addr"], port=ports[0]["PublishedPort"])
    return None


def test_spaces_reach_no_other_space_on_their_node_or_another_while_the_router_reaches_all(
    started: list[ContainerInfo], swarm_cluster: SwarmCluster
) -> None:
    placed = placed_and_serving(swarm_cluster, started)
    try:
        reached = reached_pairs(swarm_cluster, started, placed)
    except TaskGone as gone:
        # On a loaded machine a node can miss the manager's heartbeats; the manager then shuts
        # its tasks down (restart policy none: none replaces them). Not what this test checks:
        # give the stopped ones a new task and probe again, once, saying what happened.
        history = [task_history(swarm_cluster, info.id) for info in started]
        started = restart_stopped(swarm_cluster, started)
        placed = placed_and_serving(swarm_cluster, started)
        try:
            reached = reached_pairs(swarm_cluster, started, placed)
        except TaskGone as again:
            raise AssertionError(f"{again} (first: {gone}; tasks: {history})") from again
    nodes = [node for node, _, _ in placed]
    assert len(set(nodes)) > 1 and len(set(nodes)) < SPACES, nodes  # both cases are covered
    assert reached == []


@pytest.fixture(scope="module")
def node_service(swarm_cluster: SwarmCluster) -> Iterator[int]:
    """A port every node's own network namespace listens on, on all its addresses."""
    port = free_port()
    servers = [
        subprocess.Popen(
            ["ip", "netns", "exec", node.name, sys.executable, "-c", LISTEN, str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for node in swarm_cluster.nodes
    ]
    try:
        for addr in swarm_cluster.node_addrs:
            wait_for(functools.partial(host_opens, addr, port), what=f"{addr}:{port} to listen")
        yield port
    finally:
        for server in servers:
            server.kill()
            server.wait()


def host_opens(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=3):
        return True
    return False


def outside_address() -> str:
    """The host's own address on its default route's interface: beyond the cluster's bridge."""
    routes = json.loads(subprocess.run(
        ["ip", "-4", "-j", "route", "show", "default"], capture_output=True, check=True
    ).stdout)  # fmt: skip
    assert routes, "this test needs a default route (an address outside the cluster)"
    dev = routes[0]["dev"]
    addrs = json.loads(subprocess.run(
        ["ip", "-4", "-j", "addr", "show", "dev", dev], capture_output=True, check=True
    ).stdout)  # fmt: skip
    return str(addrs[0]["addr_info"][0]["local"])


def gateway(cluster: SwarmCluster, index: int, container_id: str) -> str:
    """The gateway of the container's network: its node's address on the space's bridge."""
    with contextlib.closing(cluster.client(index)) as node:
        networks = node.api.inspect_container(container_id)["NetworkSettings"]["Networks"]
    return str(next(n["Gateway"] for n in networks.values() if n.get("Gateway")))


def test_spaces_reach_neither_the_platform_nor_the_nodes_nor_the_outside(
    started: list[ContainerInfo], swarm_cluster: SwarmCluster, node_service: int
) -> None:
    registry_host, _, registry_port = swarm_cluster.registry_pull.partition(":")
    assert host_opens(outside_address(), int(registry_port))  # it listens there for the host
    for info in started:
        assert wait_for(functools.partial(serves, info), what="the app from the host")
    reached = []
    for info in started:
        node, container, _ = where(swarm_cluster, info)
        other = swarm_cluster.node_addrs[(node + 1) % len(swarm_cluster.node_addrs)]
        targets = {
            "the platform's registry": (registry_host, int(registry_port)),
            "its node's gateway": (gateway(swarm_cluster, node, container), node_service),
            "its node's address": (swarm_cluster.node_addrs[node], node_service),
            "another node's host port": (other, node_service),
            "another node's swarm port": (other, SWARM_GOSSIP_PORT),
            "an address outside the cluster": (outside_address(), int(registry_port)),
        }
        for what, (host, port) in targets.items():
            if opens(swarm_cluster, node, container, host, port):
                reached.append((info.space.name, what, f"{host}:{port}"))
    assert reached == []
