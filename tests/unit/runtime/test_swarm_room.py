"""Which node has room for a space (runtime/swarm_room.py): free CPU, memory and GPUs counted
from the tasks meant to run on each node, as the manager's scheduler counts them; the
spaces' helper jobs are pinned there and reserve nothing."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.errors import HardwareUnavailable
from spacehost.runtime.swarm_room import Need, node_with_room, room_for

GIB = 1 << 30
CPU = 10**9


def node(node_id: str, cpus: int = 2, gpus: int = 0, **labels: str) -> dict[str, Any]:
    generic = [{"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU", "Value": gpus}}] if gpus else []
    return {
        "ID": node_id,
        "Status": {"State": "ready"},
        "Spec": {"Availability": "active", "Labels": labels},
        "Description": {"Resources": {"NanoCPUs": cpus * CPU, "MemoryBytes": 4 * GIB,
                                      "GenericResources": generic}},
    }  # fmt: skip


def task(node_id: str, cpus: float, *, desired: str = "running", state: str = "running",
         gpus: int = 0) -> dict[str, Any]:  # fmt: skip
    reserve: dict[str, Any] = {"NanoCPUs": int(cpus * CPU), "MemoryBytes": GIB}
    if gpus:
        reserve["GenericResources"] = [{"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU",
                                                                 "Value": gpus}}]  # fmt: skip
    return {"NodeID": node_id, "DesiredState": desired, "Status": {"State": state},
            "Spec": {"Resources": {"Reservations": reserve}}}  # fmt: skip


ONE = Need(CPU, GIB)


def test_the_node_with_room_running_the_fewest_tasks_is_chosen() -> None:
    nodes = [node("a"), node("b"), node("c")]
    tasks = [task("a", 1.5), task("b", 0.25), task("b", 0.25), task("c", 0.5)]
    assert node_with_room(nodes, tasks, ONE) == "c"  # a lacks the CPU; c runs fewer than b
    assert node_with_room(nodes, tasks, Need(CPU, 7 * GIB // 2)) is None  # 4 GiB less 1 used
    assert node_with_room(nodes, [], ONE) == "a"  # a tie: the first listed


def test_ended_tasks_and_tasks_without_a_node_leave_their_room_free() -> None:
    nodes = [node("a")]
    ended = [
        task("a", 2, desired="shutdown", state="shutdown"),
        task("a", 2, desired="complete", state="complete"),  # a removed job's, kept by 20.10
        task("", 2),  # not placed yet
    ]
    assert node_with_room(nodes, ended, ONE) == "a"
    running_job = task("a", 2, desired="complete", state="running")
    assert node_with_room(nodes, [running_job], ONE) is None


def test_avoided_unlabelled_down_and_drained_nodes_are_never_chosen() -> None:
    down = {**node("down"), "Status": {"State": "down"}}
    drained = node("drained")
    drained["Spec"]["Availability"] = "drain"
    nodes = [down, drained, node("silent", zone="eu"), node("other"), node("ok", zone="eu")]
    assert node_with_room(nodes, [], ONE, ("silent",), (("zone", "eu"),)) == "ok"
    assert node_with_room(nodes, [], ONE, ("silent", "ok"), (("zone", "eu"),)) is None


def test_gpus_count_too() -> None:
    nodes = [node("cpu"), node("gpu", gpus=2)]
    assert node_with_room(nodes, [], Need(CPU, GIB, 1)) == "gpu"
    assert node_with_room(nodes, [task("gpu", 0.1, gpus=2)], Need(CPU, GIB, 1)) is None
    reserve = {"Reservations": {"NanoCPUs": CPU, "MemoryBytes": GIB, "GenericResources": [
        {"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU", "Value": 2}}]}}  # fmt: skip
    assert Need.of(reserve) == Need(CPU, GIB, 2)
    assert Need.of({}) == Need()


class Manager:
    def __init__(self, nodes: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> None:
        self._nodes, self._tasks = nodes, tasks

    def nodes(self) -> list[dict[str, Any]]:
        return self._nodes

    def tasks(self) -> list[dict[str, Any]]:
        return self._tasks


def test_no_room_is_a_clear_error_naming_the_labels_no_node_carries() -> None:
    api: Any = Manager([node("a")], [task("a", 2)])
    assert room_for(Manager([node("a")], []), ONE, "placing alice/demo") == "a"  # type: ignore[arg-type]
    with pytest.raises(HardwareUnavailable) as err:
        room_for(api, ONE, "placing alice/demo")
    assert "placing alice/demo: no node of the swarm can run it" in err.value.message
    assert "CPU, memory and GPUs free" in err.value.message
    with pytest.raises(HardwareUnavailable, match="no ready node of the swarm carries zone=eu"):
        room_for(api, ONE, "placing alice/demo", labels=(("zone", "eu"),))
