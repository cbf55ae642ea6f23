"""Node labels from configuration on the Swarm backend (nodelabels.py): every service it makes
for a space (and its /data job, its hub fills, its helper tasks) and every swarm job carries
the labels as placement constraints; a start no ready node can take for want of them fails
naming them. The manager is a small fake that records what it is sent; the live swarm:
tests/integration/runtime/test_swarm_backend.py."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from spacehost.domain import GpuRequest, SpaceId
from spacehost.errors import HardwareUnavailable
from spacehost.nodelabels import NodeLabels, parse_hardware_labels, parse_labels
from spacehost.runtime import swarm_backend
from spacehost.runtime.base import LABEL_HARDWARE, ContainerSpec
from spacehost.runtime.hubsnapshot import HubSnapshot
from spacehost.runtime.jobcontainers import JobContainerSpec
from spacehost.runtime.swarm_backend import SwarmBackend
from spacehost.runtime.swarm_hubcache import FillRequest, fill_args, spread_nodes
from spacehost.runtime.swarm_jobs import job_service_args

SPACE = SpaceId("alice", "demo")
LABELS = NodeLabels(parse_labels("zone=eu"), parse_hardware_labels("t4-small:gpu=t4"))
UNPLACED = "no suitable node (scheduling constraints not satisfied on 2 nodes)"


class FakeManager:
    """A manager whose nodes carry *node_labels*; every task waits for a node (``pending``,
    "no suitable node")."""

    def __init__(self, node_labels: dict[str, str]) -> None:
        self.node_labels = node_labels
        self.created: list[dict[str, Any]] = []

    def create_service(self, **args: Any) -> dict[str, str]:
        self.created.append(args)
        return {"ID": f"s{len(self.created)}"}

    def inspect_service(self, service_id: str) -> dict[str, Any]:
        args = self.created[int(service_id[1:]) - 1]
        return {"ID": service_id, "Spec": {"TaskTemplate": args["task_template"],
                "Labels": args["labels"], "Mode": args["mode"]}}  # fmt: skip

    def tasks(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if not filters:  # what runs on the nodes: nothing
            return []
        return [{"ID": "t1", "Status": {"State": "pending", "Err": UNPLACED},
                 "DesiredState": "running", "CreatedAt": "2026-12-07T00:00:00Z"}]  # fmt: skip

    def nodes(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if filters:  # which node holds a /data volume: none yet
            return []
        return [{"ID": "n1", "Status": {"State": "ready"},
                 "Spec": {"Availability": "active", "Labels": dict(self.node_labels)},
                 "Description": {"Resources": {"NanoCPUs": 4 * 10**9,
                                               "MemoryBytes": 8 << 30}}}]  # fmt: skip

    def remove_service(self, service_id: str) -> None:
        return None


def backend(api: FakeManager) -> SwarmBackend:
    pusher = SimpleNamespace(pull_reference=lambda image: f"reg/{image}@sha256:1")
    return SwarmBackend(SimpleNamespace(api=api), None, pusher, node_labels=LABELS)  # type: ignore[arg-type]


def spec(**changes: Any) -> ContainerSpec:
    fields: dict[str, Any] = {"space": SPACE, "revision": "0123456789abcdef", "image": "img"}
    return ContainerSpec(**{**fields, **changes})


def constraints(args: dict[str, Any]) -> list[str]:
    return list(args["task_template"]["Placement"]["Constraints"])


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swarm_backend, "UNSCHEDULABLE_AFTER_S", 0.0)
    monkeypatch.setattr(swarm_backend, "POLL_S", 0.01)


def test_a_start_no_labelled_node_takes_fails_naming_the_labels_and_how_to_label() -> None:
    api = FakeManager({"zone": "us"})
    with pytest.raises(HardwareUnavailable) as err:
        backend(api).start(spec(labels={LABEL_HARDWARE: "t4-small"}))
    (service,) = api.created
    assert constraints(service) == ["node.labels.zone==eu", "node.labels.gpu==t4"]
    assert "no ready node of the swarm carries zone=eu, gpu=t4" in err.value.message
    assert "docker node update --label-add zone=eu --label-add gpu=t4 NODE" in err.value.hint


def test_a_labelled_node_that_cannot_take_it_is_a_resources_error_naming_the_labels() -> None:
    api = FakeManager({"zone": "eu"})  # carries what a cpu-basic space needs
    with pytest.raises(HardwareUnavailable) as err:
        backend(api).start(spec())
    assert constraints(api.created[0]) == ["node.labels.zone==eu"]
    assert "no node of the swarm carrying zone=eu can run it" in err.value.message
    assert "SPACEHOST_MEMORY_LIMIT" in err.value.hint


def test_a_data_volume_no_labelled_node_may_hold_fails_naming_the_labels_and_makes_nothing() -> (
    None
):
    api = FakeManager({})
    with pytest.raises(HardwareUnavailable, match="no ready node of the swarm carries zone=eu"):
        backend(api).start(spec(data_volume="vol"))
    assert api.created == []  # neither its /data job nor its service


def test_the_data_volume_job_goes_to_a_labelled_node_and_reserves_nothing() -> None:
    api = FakeManager({"zone": "eu"})
    with pytest.raises(HardwareUnavailable):  # the fake's tasks never start
        backend(api).start(spec(data_volume="vol"))
    (prep,) = api.created  # the space's service is not made before its volume is
    assert prep["name"].endswith("-data")
    assert constraints(prep) == ["node.labels.zone==eu", "node.id==n1"]
    assert "Reservations" not in prep["task_template"]["Resources"]


def test_hub_fills_and_replica_nodes_need_the_labels_too() -> None:
    snap = HubSnapshot("model", "a/b", "c" * 40, "/hub")
    request = FillRequest(spec(), "img", "svc", {}, {}, avoid=("n9",),
                          node_labels=(("zone", "eu"),))  # fmt: skip
    pinned = fill_args(snap, request, "j", hub_url="http://h", token=None, node_id="n1")
    assert constraints(pinned) == ["node.labels.zone==eu", "node.id==n1"]
    nodes = [{"ID": n, "Status": {"State": "ready"}, "Spec": {"Availability": "active",
              "Labels": labels}} for n, labels in (("n1", {}), ("n2", {"zone": "eu"}))]  # fmt: skip
    assert [n["ID"] for n in spread_nodes(nodes, request, 2)] == ["n2"]


def test_a_swarm_job_runs_only_on_nodes_carrying_its_flavors_labels() -> None:
    job = JobContainerSpec("j1", "img", ("python",), {}, 1.0, 1 << 30, flavor="t4-small")
    needed = LABELS.required(job.flavor)
    args = job_service_args(job, "reg/img@sha256:1", "net", None, needed)
    assert constraints(args) == ["node.labels.zone==eu", "node.labels.gpu==t4"]
    assert "Placement" not in job_service_args(job, "img", "net", None)["task_template"]


def test_the_gpu_check_at_push_counts_only_nodes_carrying_the_flavors_labels() -> None:
    api = FakeManager({"zone": "eu"})
    gpu_node = {"ID": "n2", "Status": {"State": "ready"}, "Spec": {"Availability": "active",
                "Labels": {"zone": "eu"}}, "Description": {"Resources": {"GenericResources": [
                {"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU", "Value": 1}}]}}}  # fmt: skip
    api.nodes = lambda filters=None: [gpu_node]  # type: ignore[method-assign]
    with pytest.raises(HardwareUnavailable) as err:
        backend(api).check_gpu(GpuRequest(1), "suggested_hardware: t4-small")
    assert "no node of the swarm carrying zone=eu, gpu=t4 advertises that many" in str(err.value)
    gpu_node["Spec"]["Labels"]["gpu"] = "t4"
    assert backend(api).check_gpu(GpuRequest(1), "suggested_hardware: t4-small") == []
