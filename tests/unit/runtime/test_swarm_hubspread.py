"""A replicated space's hub repos are filled on several nodes at once, one fill of a volume per
node at a time; a node whose fill fails is left out while another holds them
(runtime/swarm_hubcache.py ``fill_spread``, swarm_fillslots.py). The manager is a small fake
that runs each fill job at once: what is tested is which nodes are filled and used."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from spacehost.domain import RepoKind, SpaceId
from spacehost.errors import AppFailed
from spacehost.lifecycle.hubmounts import MountedRepo, hub_snapshots
from spacehost.runtime.base import ContainerSpec
from spacehost.runtime.swarm_fillslots import FillSlots, clashes
from spacehost.runtime.swarm_hubcache import FillRequest, SwarmHubCache, node_label

SHA = "c" * 40
SNAPS = hub_snapshots(
    [MountedRepo(RepoKind.MODEL, "a/m", SHA, Path("/srv/hub/models--a--m"), ("models",), "a/m")]
)
RESERVE = {"Reservations": {"NanoCPUs": 10**9, "MemoryBytes": 1 << 30}}


class FakeManager:
    """Nodes with labels; a fill job pinned to a node completes there, or fails on
    *failing* nodes."""

    def __init__(self, *node_ids: str, failing: tuple[str, ...] = ()) -> None:
        self.labels: dict[str, dict[str, str]] = {n: {} for n in node_ids}
        self.failing = failing
        self.jobs: dict[str, str] = {}  # job id: node id
        self.names: list[str] = []
        self.created: list[dict[str, Any]] = []
        self.running: list[dict[str, Any]] = []  # other services' tasks on the nodes
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def _node(self, node_id: str) -> dict[str, Any]:
        return {
            "ID": node_id,
            "Version": {"Index": 1},
            "Status": {"State": "ready"},
            "Spec": {"Availability": "active", "Labels": dict(self.labels[node_id])},
            "Description": {"Resources": {"NanoCPUs": 2 * 10**9, "MemoryBytes": 4 << 30}},
        }

    def nodes(self, filters: Mapping[str, list[str]] | None = None) -> list[dict[str, Any]]:
        wanted = [w.removesuffix("=true") for w in (filters or {}).get("node.label", [])]
        return [
            self._node(n) for n, labels in self.labels.items() if all(w in labels for w in wanted)
        ]

    def create_service(self, **args: Any) -> dict[str, str]:
        (constraint,) = args["task_template"]["Placement"]["Constraints"]
        with self._lock:
            job_id = f"job{next(self._ids)}"
            self.jobs[job_id] = constraint.removeprefix("node.id==")
            self.names.append(args["name"])
            self.created.append(args)
        return {"ID": job_id}

    def tasks(self, filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        if not filters:
            return self.running
        node_id = self.jobs[filters["service"]]
        state = "failed" if node_id in self.failing else "complete"
        return [{"NodeID": node_id, "DesiredState": "shutdown", "Status": {"State": state}}]

    def service_logs(self, job_id: str, **_: Any) -> list[bytes]:
        node_id = self.jobs[job_id]
        said = "hub cache: cannot reach the hub" if node_id in self.failing else "filled"
        return [said.encode() + b"\n"]

    def remove_service(self, job_id: str) -> None:
        pass

    def inspect_node(self, node_id: str) -> dict[str, Any]:
        return self._node(node_id)

    def update_node(self, node_id: str, version: int, spec: Mapping[str, Any]) -> None:
        self.labels[node_id] = dict(spec["Labels"])


def request(avoid: tuple[str, ...] = ()) -> FillRequest:
    spec = ContainerSpec(space=SpaceId("alice", "demo"), revision="r1", image="img", hub=SNAPS)
    return FillRequest(spec, "img", "svc", RESERVE, {}, avoid=avoid)


def cache(api: FakeManager) -> SwarmHubCache:
    return SwarmHubCache(api, "http://h", lambda: "img")  # type: ignore[arg-type]


def test_replicas_fill_as_many_nodes_as_they_are_holders_first_none_avoided() -> None:
    api = FakeManager("n1", "n2", "n3", "n4")
    api.labels["n3"][node_label(SNAPS[0])] = "true"  # already holds it: nothing to fill there
    held = cache(api).fill_spread(request(avoid=("n1",)), 2)
    assert sorted(held) == ["n2", "n3"]
    assert list(api.jobs.values()) == ["n2"]  # one fill, on the one node that lacked it
    assert api.names == ["svc-hub0-n2"]


def test_a_node_whose_fill_fails_is_left_out_while_another_holds_the_repos(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = FakeManager("n1", "n2", "n3", failing=("n2",))
    assert sorted(cache(api).fill_spread(request(), 3)) == ["n1", "n3"]
    assert "alice/demo: its hub repos could not be filled on node(s) n2" in caplog.text
    assert "cannot reach the hub" in caplog.text


def test_a_fill_failing_on_every_node_is_the_spaces_error() -> None:
    api = FakeManager("n1", "n2", failing=("n1", "n2"))
    with pytest.raises(AppFailed, match="filling the hub cache of model a/m for alice/demo"):
        cache(api).fill_spread(request(), 2)


def test_one_fill_of_a_volume_per_node_and_an_unplaced_fill_waits_for_all() -> None:
    assert clashes(("v", "n1"), ("v", "n1"))
    assert not clashes(("v", "n1"), ("v", "n2"))
    assert not clashes(("v", "n1"), ("w", "n1"))
    assert clashes(("v", "n1"), ("v", None)) and clashes(("v", None), ("v", "n2"))
    slots = FillSlots()
    with slots.filling("v", "n1"), slots.filling("v", "n2"), slots.filling("w", None):
        pass  # none waits for another: held at once by one thread


def app_task(node_id: str, cpus: float) -> dict[str, Any]:
    reserve = {"NanoCPUs": int(cpus * 10**9), "MemoryBytes": 1 << 30}
    return {"NodeID": node_id, "DesiredState": "running", "Status": {"State": "running"},
            "Spec": {"Resources": {"Reservations": reserve}}}  # fmt: skip


def test_a_space_no_node_holds_the_repos_of_is_filled_on_a_node_with_room_reserving_nothing() -> (
    None
):
    """Regression: the fill was left for the manager to place, reserving the space's CPU and
    memory; on Docker 20.10 its ended task kept them counted on the node for good."""
    api = FakeManager("n1", "n2", "n3")
    api.running = [app_task("n1", 2), app_task("n2", 0.5)]  # n1 full, n2 busier than n3
    assert cache(api).fill(request(), None) == "n3"
    (job,) = api.created
    assert job["task_template"]["Placement"]["Constraints"] == ["node.id==n3"]
    assert "Resources" not in job["task_template"]
    assert cache(api).fill(request(), None) == "n3"  # it holds them: checked there again
    assert cache(api).fill(request(avoid=("n3",)), None) == "n2"  # found silent: n1 is full
