"""A space's replicas on a Swarm: the service runs N tasks, spread over the nodes, each
publishing the app's port in host mode on its node; every running task is an endpoint the
router spreads Gradio sessions over (docs/cluster.md, "Replicas"). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from spacehost.runtime.base import LABEL_PORT, LABEL_REPLICAS, ContainerSpec
from spacehost.runtime.swarm_info import latest_task, published_port, task_state

# A replica that dies is replaced by the Swarm after this delay (its siblings serve meanwhile).
REPLICA_RESTART_DELAY_NS = 1 * 10**9
_WANTED = ("running", "ready", "accepted")


def replica_labels(spec: ContainerSpec) -> dict[str, str]:
    """The service label that says how many tasks it runs awake (read back at a wake)."""
    return {LABEL_REPLICAS: str(spec.replicas)} if spec.replicas > 1 else {}


def awake_replicas(service: Mapping[str, Any]) -> int:
    """How many tasks the service runs when awake: its label, else one."""
    labels: Mapping[str, str] = (service.get("Spec") or {}).get("Labels") or {}
    try:
        return max(1, int(labels.get(LABEL_REPLICAS, "1")))
    except ValueError:
        return 1


def spread_template(template: dict[str, Any], spec: ContainerSpec) -> dict[str, Any]:
    """*template* for N > 1 replicas: tasks spread over nodes (one per node while there are
    enough), and a replica that dies is replaced by the Swarm itself (the others serve on,
    so the lifecycle's whole-space crash restart does not apply)."""
    if spec.replicas <= 1:
        return template
    placement = dict(template.get("Placement") or {})
    placement["Preferences"] = [{"Spread": {"SpreadDescriptor": "node.id"}}]
    return {
        **template,
        "Placement": placement,
        "RestartPolicy": {"Condition": "any", "Delay": REPLICA_RESTART_DELAY_NS},
    }


def serving_task(tasks: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The task that says a service's state: the newest running one meant to run (any
    replica that serves makes the space serve), else :func:`latest_task`."""
    running = [t for t in tasks if t.get("DesiredState") in _WANTED and task_state(t) == "running"]
    if running:
        return latest_task(running)
    return latest_task(tasks)


def task_endpoints(
    service: Mapping[str, Any],
    tasks: Sequence[Mapping[str, Any]],
    node: Callable[[str], tuple[str | None, bool]],
) -> tuple[str, ...]:
    """``host:port`` of every task of *service* that runs now, on a node the manager has not
    lost, oldest first (the first is the one that has served longest).

    Args:
        node: a node id's address and whether the manager lost it.
    """
    labels: Mapping[str, str] = (service.get("Spec") or {}).get("Labels") or {}
    if not labels.get(LABEL_PORT):
        return ()
    target = int(labels[LABEL_PORT])
    ordered = sorted(tasks, key=lambda t: (str(t.get("CreatedAt", "")), str(t.get("ID", ""))))
    found: list[str] = []
    for task in ordered:
        if task.get("DesiredState") not in _WANTED or task_state(task) != "running":
            continue
        port = published_port(task, target)
        node_id = str(task.get("NodeID") or "")
        if port is None or not node_id:
            continue
        addr, down = node(node_id)
        if addr and not down:
            found.append(f"{addr}:{port}")
    return tuple(found)
