"""The machines spaces run on, as ``GET /api/nodes``, ``spacehost nodes`` and ``/admin/nodes``
show them (docs/cluster.md): each node's resources and state, and what runs there.

A :class:`NodeSource` reads them: :class:`~spacehost.runtime.swarm_nodes.SwarmNodes` the nodes
of a Swarm, :class:`~spacehost.runtime.host_node.HostNode` the one machine of the Docker
backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from spacehost.errors import InvalidRequest

AVAILABILITIES = ("active", "pause", "drain")


@dataclass(frozen=True)
class Workload:
    """A space or a job running (or starting) on a node.

    ``kind`` is ``"space"`` or ``"job"``; ``name`` the space (``owner/name``) or the job's id;
    ``state`` the state of its task or container there (``running``, ``starting``, ...).
    """

    kind: str
    name: str
    state: str


def _no_gpus() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True)
class NodeInfo:
    """One node now.

    ``state`` is whether the node answers (``ready``, ``down``, ``unknown``, ...);
    ``availability`` whether it takes work (``active``, ``pause``, ``drain``); ``gpus`` the
    generic resources it advertises by kind (``{"gpu": 2}``).
    """

    id: str
    hostname: str
    role: str
    state: str
    availability: str
    address: str
    cpus: float
    memory_bytes: int
    engine_version: str
    leader: bool = False
    gpus: Mapping[str, int] = field(default_factory=_no_gpus)
    workloads: tuple[Workload, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # its node labels (Swarm)

    @property
    def takes_work(self) -> bool:
        """Whether the node answers (``ready``) and takes work (``active``)."""
        return self.state == "ready" and self.availability == "active"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "hostname": self.hostname,
            "role": self.role,
            "leader": self.leader,
            "state": self.state,
            "availability": self.availability,
            "address": self.address,
            "cpus": self.cpus,
            "memory_bytes": self.memory_bytes,
            "gpus": dict(self.gpus),
            "engine_version": self.engine_version,
            "labels": dict(self.labels),
            "workloads": [
                {"kind": w.kind, "name": w.name, "state": w.state} for w in self.workloads
            ],
        }


class NodeSource(Protocol):
    """Reads the nodes of the runtime spaces run on, and drains or activates one.

    Both methods may block (call them in a thread) and raise only SpacehostError."""

    @property
    def backend(self) -> str:
        """``docker`` or ``swarm``."""
        ...

    def nodes(self) -> list[NodeInfo]: ...

    def set_availability(self, node: str, availability: str) -> NodeInfo:
        """Set *node*'s (id, id prefix or hostname) availability and return it as it is now.

        Raises:
            InvalidRequest: *availability* is not one of AVAILABILITIES.
            NotFound: no such node.
            NotSupported: this runtime has no nodes to drain.
        """
        ...


def checked_availability(availability: str) -> str:
    """*availability* when it is one a node can have.

    Raises:
        InvalidRequest: it is not (the message lists those that are).
    """
    if availability not in AVAILABILITIES:
        raise InvalidRequest(
            f"a node's availability is {', '.join(AVAILABILITIES)}, not {availability!r}",
            hint="`spacehost nodes drain NODE` moves its spaces away; `activate` takes it back",
        )
    return availability
