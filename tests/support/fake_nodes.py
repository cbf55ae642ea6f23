"""An in-memory Swarm of two nodes as a :class:`~spacehost.runtime.nodes.NodeSource`, for unit
tests of ``/api/nodes``, ``spacehost nodes`` and ``/admin/nodes``. The live Swarm's node view is
tested against real engines (tests/e2e/test_swarm_failures.py)."""

from __future__ import annotations

from dataclasses import replace

from spacehost.errors import NotFound
from spacehost.runtime.nodes import NodeInfo, Workload, checked_availability

MANAGER = NodeInfo(
    id="m4n4g3r0000000000000000000",
    hostname="manager-1",
    role="manager",
    leader=True,
    state="ready",
    availability="active",
    address="10.0.0.10",
    cpus=4.0,
    memory_bytes=8 << 30,
    engine_version="20.10.24",
)
WORKER = NodeInfo(
    id="w0rk3r0000000000000000000",
    hostname="worker-1",
    role="worker",
    state="ready",
    availability="active",
    address="10.0.0.11",
    cpus=8.0,
    memory_bytes=16 << 30,
    gpus={"gpu": 2},
    engine_version="20.10.24",
    workloads=(Workload("space", "acme/demo", "running"), Workload("job", "j1", "running")),
    labels={"zone": "eu", "spacehost.volume.v1": "true"},
)


class FakeNodes:
    """Two nodes; drain and activate change the one named (by id, id start or hostname)."""

    backend = "swarm"

    def __init__(self) -> None:
        self.by_id = {n.id: n for n in (MANAGER, WORKER)}

    def nodes(self) -> list[NodeInfo]:
        return list(self.by_id.values())

    def set_availability(self, node: str, availability: str) -> NodeInfo:
        checked_availability(availability)
        for found in self.by_id.values():
            if node in (found.id, found.hostname) or found.id.startswith(node):
                self.by_id[found.id] = replace(found, availability=availability)
                return self.by_id[found.id]
        raise NotFound(f"{node!r} is no node of the swarm", hint="`spacehost nodes` lists them")
