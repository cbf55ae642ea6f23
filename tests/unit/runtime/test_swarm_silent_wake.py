"""A wake of a sleeping Swarm space avoids the nodes found silent, as a start does: the update
that scales it up replaces its ``node.id!=`` constraints (runtime/swarm_silent.py). The manager
is a small fake that records the updates it is sent."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from spacehost.runtime.swarm_backend import SwarmBackend
from spacehost.runtime.swarm_silent import SilentNodes


class FakeManager:
    """One sleeping service; every node ready (the manager has not noticed a loss yet)."""

    def __init__(self, constraints: list[str]) -> None:
        template = {"ContainerSpec": {}, "Placement": {"Constraints": constraints}}
        self.service: dict[str, Any] = {
            "ID": "s1",
            "Version": {"Index": 7},
            "Spec": {
                "Labels": {},
                "TaskTemplate": template,
                "Mode": {"Replicated": {"Replicas": 0}},
            },
        }
        self.updates: list[dict[str, Any]] = []

    def inspect_service(self, service_id: str) -> dict[str, Any]:
        return self.service

    def update_service(self, service_id: str, version: int, **changes: Any) -> None:
        self.updates.append(changes)

    def inspect_node(self, node_id: str) -> dict[str, Any]:
        return {"ID": node_id, "Status": {"State": "ready", "Addr": "192.0.2.9"}}


def backend(api: FakeManager, *silent: str) -> SwarmBackend:
    made = SwarmBackend(SimpleNamespace(api=api), local=None, pusher=None)  # type: ignore[arg-type]
    made._silent = SilentNodes(back=lambda addr: False)  # still silent
    for node_id in silent:
        made._silent.found(node_id, "192.0.2.9")
    return made


def test_a_wake_scales_up_away_from_the_silent_nodes() -> None:
    api = FakeManager(["node.labels.spacehost.hub.v==true", "node.id!=gone-long-ago"])
    backend(api, "n9")._scale("s1", 1, "waking")
    (update,) = api.updates
    assert update["mode"] == {"Replicated": {"Replicas": 1}}
    constraints = update["task_template"]["Placement"]["Constraints"]
    assert constraints == ["node.labels.spacehost.hub.v==true", "node.id!=n9"]


def test_a_wake_with_no_silent_node_or_a_pinned_service_only_scales() -> None:
    api = FakeManager([])
    backend(api)._scale("s1", 1, "waking")
    pinned = FakeManager(["node.id==n9"])  # its /data is there: it waits for that node
    backend(pinned, "n9")._scale("s1", 1, "waking")
    for fake in (api, pinned):
        (update,) = fake.updates
        assert "task_template" not in update and update["mode"] == {"Replicated": {"Replicas": 1}}
