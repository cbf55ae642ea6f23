"""The live test cluster (tests/support/swarm_cluster.py, issue 17): how long bringing up a
three-engine swarm takes, and how long the swarm takes to notice a node's loss and run its
tasks elsewhere.

- bring-up: ``SwarmCluster(3).start()`` (sweep, bridge, registry, three dockerds, init, joins,
  every node Ready), then its teardown, ``--up`` times;
- node loss: a 3-replica service spread over the 3 nodes; ``kill_node(2)`` (SIGKILL of the
  node's dockerd, containerd, shims and containers) → the manager marks the node down → 3 tasks
  running again on the other two; then the node is restarted and the service rebalanced,
  ``--kills`` times. The swarm's default heartbeat (5 s) is kept.
- manager restart: the manager drained, a 2-replica service on the two workers;
  ``kill_node(0)`` (the manager's whole engine) then ``restart_node(0)`` → the manager answers
  and sees itself Ready (the workers' task containers must still be the same ones) → a scale
  of the service is done (2 → 3 tasks running; then back to 2, which docker-py's ``scale``
  does as a rolling update), ``--manager-restarts`` times.

    .venv/bin/python bench/swarm_cluster_bench.py [--up 5] [--kills 5] [--manager-restarts 3]
    (as root)
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from typing import Any

import docker
from docker.models.services import Service
from docker.types import ServiceMode

import benchkit  # noqa: F401

# isort: split
# after benchkit, which puts the repository's root on sys.path
from tests.support.polling import wait_for
from tests.support.swarm_cluster import SwarmCluster

IMAGE = "spacehost/base:bookworm"


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.1f} s, min {min(values):.1f}, max {max(values):.1f}"


def bring_up(runs: int) -> None:
    ups, downs = [], []
    for _ in range(runs):
        cluster = SwarmCluster(3)
        cluster.start()
        ups.append(cluster.bring_up_s)
        began = time.monotonic()
        cluster.close()
        downs.append(time.monotonic() - began)
    print(f"bring-up, 3 nodes Ready ({runs}): {summary(ups)}")
    print(f"teardown ({runs}):                {summary(downs)}")


def push_image(cluster: SwarmCluster) -> str:
    local = docker.from_env()
    repository = f"{cluster.registry_push}/bench/base"
    local.images.get(IMAGE).tag(repository, tag="b")
    for _ in local.images.push(repository, tag="b", stream=True):
        pass
    local.images.remove(f"{repository}:b")
    local.close()
    return f"{cluster.registry_pull}/bench/base:b"


def running(service: Service, exclude: str = "") -> list[dict[str, Any]]:
    return [
        t
        for t in service.tasks(filters={"desired-state": "running"})
        if t["Status"]["State"] == "running" and t.get("NodeID") != exclude
    ]


def node_loss(runs: int, heartbeat_s: float | None = None) -> None:
    detect, moved, back = [], [], []
    with (
        SwarmCluster(3, heartbeat_s=heartbeat_s) as cluster,
        contextlib.closing(cluster.client(0)) as manager,
    ):
        image = push_image(cluster)
        service = manager.services.create(
            image, command=["sleep", "infinity"], name="bench-loss",
            mode=ServiceMode("replicated", replicas=3),
        )  # fmt: skip
        dead = cluster.node_id(2)
        for _ in range(runs):
            wait_for(
                lambda: len(running(service)) == 3
                and dead in {t["NodeID"] for t in running(service)},
                180, 0.2, "3 tasks, one on node 2",
            )  # fmt: skip
            killed = time.monotonic()
            cluster.kill_node(2)
            wait_for(lambda: cluster.node_states()[cluster.nodes[2].name][0] == "down", 120, 0.2)
            detect.append(time.monotonic() - killed)
            wait_for(lambda: len(running(service, exclude=dead)) == 3, 120, 0.2)
            moved.append(time.monotonic() - killed)
            began = time.monotonic()
            cluster.restart_node(2)
            back.append(time.monotonic() - began)
            service.reload()
            service.force_update()  # spread the tasks over the 3 nodes again
        service.remove()
    beat = f"{heartbeat_s:g} s heartbeat" if heartbeat_s else "default heartbeat"
    print(f"{beat}:")
    print(f"node killed → manager marks it down ({runs}):    {summary(detect)}")
    print(f"node killed → its task running on another ({runs}): {summary(moved)}")
    print(f"restart_node → the node Ready again ({runs}):    {summary(back)}")


def worker_containers(cluster: SwarmCluster) -> set[str]:
    found: set[str] = set()
    for index in range(1, cluster.size):
        with contextlib.closing(cluster.client(index)) as node:
            found |= {c.id for c in node.containers.list()}
    return found


def scale(service: Service, count: int) -> None:
    service.reload()
    service.scale(count)
    wait_for(lambda: len(running(service)) == count, 120, 0.2, f"{count} tasks running")


def manager_restart(runs: int) -> None:
    answers, managed = [], []
    with SwarmCluster(3) as cluster, contextlib.closing(cluster.client(0)) as manager:
        image = push_image(cluster)
        cluster.drain(0)
        service = manager.services.create(
            image, command=["sleep", "infinity"], name="bench-manager",
            mode=ServiceMode("replicated", replicas=2),
        )  # fmt: skip
        for _ in range(runs):
            wait_for(lambda: len(running(service)) == 2, 180, 0.2, "2 tasks on the workers")
            before = worker_containers(cluster)
            cluster.kill_node(0)
            began = time.monotonic()
            cluster.restart_node(0)  # returns once the manager answers and sees itself Ready
            answers.append(time.monotonic() - began)
            kept = before <= worker_containers(cluster)
            assert kept, "a worker's task container was replaced over the manager's restart"
            scale(service, 3)
            managed.append(time.monotonic() - began)
            scale(service, 2)
        service.remove()
    print(f"restart_node(0) → manager answers, itself Ready ({runs}): {summary(answers)}")
    print(f"restart_node(0) → a scale-up done, 3 tasks running ({runs}): {summary(managed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--up", type=int, default=5)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--manager-restarts", type=int, default=3)
    parser.add_argument(
        "--heartbeat", type=float, default=None, help="the swarm's dispatcher heartbeat (s)"
    )
    args = parser.parse_args()
    if args.up:
        bring_up(args.up)
    if args.kills:
        node_loss(args.kills, args.heartbeat)
    if args.manager_restarts:
        manager_restart(args.manager_restarts)


if __name__ == "__main__":
    main()
