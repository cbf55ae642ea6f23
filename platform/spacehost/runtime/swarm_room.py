"""Which node of a Swarm has room for a space: its free CPU, memory and GPUs, counted from the
tasks meant to run there, as the manager's scheduler counts them. Pure.

The spaces' one-shot helper jobs (the ``/data`` preparation, hub fills) must run on the node
the space will run on. They used to reserve the space's resources so that the manager placed
them there; but on Docker 20.10 the task of a removed ``ReplicatedJob`` service stays in the
manager's store and the constraint enforcer counts its reservations against its node for good
(docs/cluster.md "Two Docker 20.10 bugs"): every helper left the space's CPU and memory
counted on its node, and a later task there could be rejected. So the platform picks the node
itself, here, and pins its helpers to it, reserving nothing. Pure but :func:`room_for`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docker import APIClient

from spacehost.nodelabels import Label
from spacehost.runtime.swarm_nodes import generic_resources, meant_to_run, usable
from spacehost.runtime.swarm_spec import GPU_RESOURCE
from spacehost.runtime.swarm_unplaced import unplaced_error


@dataclass(frozen=True)
class Need:
    """What one task of a space reserves: CPUs (nano), memory (bytes), GPUs."""

    nano_cpus: int = 0
    memory_bytes: int = 0
    gpus: int = 0

    @classmethod
    def of(cls, resources: Mapping[str, Any]) -> Need:
        """From a task's ``Resources`` (its ``Reservations``)."""
        wanted = resources.get("Reservations") or {}
        gpus = sum(
            int((r.get("DiscreteResourceSpec") or {}).get("Value", 0))
            for r in wanted.get("GenericResources") or ()
            if (r.get("DiscreteResourceSpec") or {}).get("Kind") == GPU_RESOURCE
        )
        return cls(int(wanted.get("NanoCPUs") or 0), int(wanted.get("MemoryBytes") or 0), gpus)

    def __add__(self, other: Need) -> Need:
        return Need(
            self.nano_cpus + other.nano_cpus,
            self.memory_bytes + other.memory_bytes,
            self.gpus + other.gpus,
        )

    def __sub__(self, other: Need) -> Need:
        return Need(
            self.nano_cpus - other.nano_cpus,
            self.memory_bytes - other.memory_bytes,
            self.gpus - other.gpus,
        )


def capacity(node: Mapping[str, Any]) -> Need:
    """All a node has (``docker node inspect``)."""
    has = (node.get("Description") or {}).get("Resources") or {}
    gpus = generic_resources(node).get(GPU_RESOURCE, 0)
    return Need(int(has.get("NanoCPUs") or 0), int(has.get("MemoryBytes") or 0), gpus)


def reserved_by_node(tasks: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Need, int]]:
    """What the tasks meant to run reserve on each node, and how many there are."""
    found: dict[str, tuple[Need, int]] = {}
    for task in tasks:
        node = str(task.get("NodeID") or "")
        if not node or not meant_to_run(task):
            continue
        need = Need.of((task.get("Spec") or {}).get("Resources") or {})
        total, count = found.get(node, (Need(), 0))
        found[node] = (total + need, count + 1)
    return found


def fits_in(free: Need, need: Need) -> bool:
    """Whether *need* fits in *free*."""
    return (
        free.nano_cpus >= need.nano_cpus
        and free.memory_bytes >= need.memory_bytes
        and free.gpus >= need.gpus
    )


def node_with_room(
    nodes: Sequence[Mapping[str, Any]],
    tasks: Iterable[Mapping[str, Any]],
    need: Need,
    avoid: tuple[str, ...] = (),
    labels: tuple[Label, ...] = (),
) -> str | None:
    """The node a task needing *need* goes to, as the manager would place it: a ready, active
    node carrying *labels*, none of *avoid*, with *need* free; of those, the one running the
    fewest tasks (the manager spreads), the first listed on a tie. None when none has room."""
    reserved = reserved_by_node(tasks)
    best: tuple[int, str] | None = None
    for node in nodes:
        node_id = str(node.get("ID", ""))
        if not usable(node, avoid, labels):
            continue
        used, count = reserved.get(node_id, (Need(), 0))
        if fits_in(capacity(node) - used, need) and (best is None or count < best[0]):
            best = (count, node_id)
    return best[1] if best else None


NO_ROOM = "no suitable node: none that may take it has its CPU, memory and GPUs free"


def room_for(
    api: APIClient,
    need: Need,
    doing: str,
    avoid: tuple[str, ...] = (),
    labels: tuple[Label, ...] = (),
) -> str:
    """:func:`node_with_room` on the manager's nodes and tasks now.

    Raises:
        HardwareUnavailable: no node has room (naming the *labels* when no node carries them).
        docker.errors.*: the manager failed: the caller names what it was doing.
    """
    nodes = list(api.nodes())
    found = node_with_room(nodes, api.tasks(), need, avoid, labels)
    if found is None:
        raise unplaced_error(doing, NO_ROOM, labels, nodes)
    return found
