"""A space with replicas as a Swarm service: N tasks spread over the nodes, replaced by the
Swarm when one dies, woken back to N; every running task is an endpoint (pure)."""

from __future__ import annotations

from typing import Any

from spacehost.domain import SpaceId
from spacehost.runtime.base import ContainerSpec
from spacehost.runtime.swarm_replicas import awake_replicas, serving_task, task_endpoints
from spacehost.runtime.swarm_spec import create_args

SPACE = SpaceId("alice", "demo")
NODES = {"n1": ("10.0.0.11", False), "n2": ("10.0.0.12", False), "n3": ("10.0.0.13", True)}


def spec(**changes: Any) -> ContainerSpec:
    fields: dict[str, Any] = {"space": SPACE, "revision": "0123456789abcdef", "image": "img"}
    return ContainerSpec(**{**fields, **changes})


def task(tid: str, node: str, state: str, port: int | None, *, desired: str = "running",
         created: str = "2026-12-07T10:00:00Z") -> dict[str, Any]:  # fmt: skip
    ports = [{"TargetPort": 7860, "PublishedPort": port}] if port else []
    status = {"State": state, "PortStatus": {"Ports": ports}}
    return {"ID": tid, "NodeID": node, "DesiredState": desired, "CreatedAt": created,
            "Version": {"Index": 10}, "Status": status}  # fmt: skip


def service(**labels: str) -> dict[str, Any]:
    return {"ID": "s1", "Spec": {"Labels": {"spacehost.port": "7860", **labels}}}


def test_one_replica_is_the_service_it_always_was() -> None:
    args = create_args(spec(), "img@sha256:x", "svc")
    assert args["mode"] == {"Replicated": {"Replicas": 1}}
    assert "spacehost.replicas" not in args["labels"]
    assert args["task_template"]["RestartPolicy"] == {"Condition": "none"}
    assert "Placement" not in args["task_template"]


def test_replicas_run_n_tasks_spread_over_nodes_and_replaced_by_the_swarm() -> None:
    args = create_args(spec(replicas=3), "img@sha256:x", "svc")
    tpl = args["task_template"]
    assert args["mode"] == {"Replicated": {"Replicas": 3}}
    assert args["labels"]["spacehost.replicas"] == "3"
    assert tpl["Placement"]["Preferences"] == [{"Spread": {"SpreadDescriptor": "node.id"}}]
    assert tpl["RestartPolicy"]["Condition"] == "any"
    assert args["endpoint_spec"]["Ports"][0]["PublishMode"] == "host"


def test_a_wake_scales_back_to_the_replicas_the_service_was_made_with() -> None:
    assert awake_replicas(service(**{"spacehost.replicas": "3"})) == 3
    assert awake_replicas(service()) == 1
    assert awake_replicas(service(**{"spacehost.replicas": "x"})) == 1


def test_every_running_task_on_a_live_node_is_an_endpoint_oldest_first() -> None:
    tasks = [
        task("t3", "n2", "running", 30003, created="2026-12-07T10:00:03Z"),
        task("t1", "n1", "running", 30001, created="2026-12-07T10:00:01Z"),
        task("t2", "n3", "running", 30002),  # its node is down
        task("t0", "n1", "failed", 30000, desired="shutdown"),  # the replica that died
        task("t4", "n1", "starting", None),  # its replacement, not yet up
    ]
    found = task_endpoints(service(), tasks, lambda n: NODES[n])
    assert found == ("10.0.0.11:30001", "10.0.0.12:30003")


def test_a_service_serves_while_any_replica_runs() -> None:
    tasks = [
        task("t1", "n1", "running", 30001),
        {**task("t2", "n2", "starting", None), "Version": {"Index": 99}},  # the newest
    ]
    found = serving_task(tasks)
    assert found is not None and found["ID"] == "t1"
    none_running = [task("t2", "n2", "starting", None)]
    assert (serving_task(none_running) or {}).get("ID") == "t2"
