"""Reading the Swarm's nodes and what runs where from the manager's answers (``docker node
inspect``, services, tasks), and the ephemeral ``/data`` of spaces free to move. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.errors import NotFound
from spacehost.runtime.nodes import Workload
from spacehost.runtime.swarm_data import ephemeral_data
from spacehost.runtime.swarm_nodes import find_node, node_info, workloads_by_node

MANAGER: dict[str, Any] = {
    "ID": "abc123manager",
    "Version": {"Index": 9},
    "Spec": {"Role": "manager", "Availability": "drain", "Labels": {}},
    "Description": {
        "Hostname": "shsw-1-0",
        "Resources": {"NanoCPUs": 2_000_000_000, "MemoryBytes": 25_000_000_000},
        "Engine": {"EngineVersion": "20.10.24+dfsg1"},
    },
    "Status": {"State": "ready", "Addr": "0.0.0.0"},
    "ManagerStatus": {"Leader": True, "Reachability": "reachable", "Addr": "10.231.0.10:2377"},
}
WORKER: dict[str, Any] = {
    "ID": "abd456worker",
    "Version": {"Index": 12},
    "Spec": {"Role": "worker", "Availability": "active"},
    "Description": {
        "Hostname": "shsw-1-1",
        "Resources": {
            "NanoCPUs": 500_000_000,
            "MemoryBytes": 1 << 30,
            "GenericResources": [
                {"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU", "Value": 2}},
                {"NamedResourceSpec": {"Kind": "fpga", "Value": "f-1"}},
                {"NamedResourceSpec": {"Kind": "fpga", "Value": "f-2"}},
            ],
        },
        "Engine": {"EngineVersion": "20.10.24+dfsg1"},
    },
    "Status": {"State": "down", "Addr": "10.231.0.11"},
}


def service(sid: str, **labels: str) -> dict[str, Any]:
    return {"ID": sid, "Spec": {"Labels": {"spacehost.managed": "true", **labels}}}


def task(sid: str, node: str, state: str, desired: str = "running") -> dict[str, Any]:
    return {"ServiceID": sid, "NodeID": node, "DesiredState": desired, "Status": {"State": state}}


def test_a_node_reads_as_the_manager_reports_it() -> None:
    manager = node_info(MANAGER)
    assert (manager.hostname, manager.role, manager.leader) == ("shsw-1-0", "manager", True)
    assert (manager.state, manager.availability) == ("ready", "drain")
    assert manager.address == "10.231.0.10"  # a manager reports 0.0.0.0 as its own
    assert (manager.cpus, manager.memory_bytes) == (2.0, 25_000_000_000)
    assert manager.engine_version == "20.10.24+dfsg1" and dict(manager.gpus) == {}
    assert manager.to_json()["labels"] == {}
    labelled = {**WORKER, "Spec": {**WORKER["Spec"], "Labels": {"zone": "eu"}}}
    assert node_info(labelled).to_json()["labels"] == {"zone": "eu"}  # SPACEHOST_SWARM_NODE_LABELS
    worker = node_info(WORKER, [Workload("space", "a/b", "running")])
    assert (worker.state, worker.address, worker.cpus) == ("down", "10.231.0.11", 0.5)
    assert dict(worker.gpus) == {"NVIDIA-GPU": 2, "fpga": 2}
    assert worker.to_json()["workloads"] == [{"kind": "space", "name": "a/b", "state": "running"}]


def test_workloads_are_the_running_tasks_of_this_platforms_services_by_node() -> None:
    services = [
        service("s1", **{"spacehost.space": "acme/demo", "spacehost.role": "app"}),
        service("s2", **{"spacehost.space": "acme/demo", "spacehost.role": "helper"}),
        service("j1", **{"spacehost.job": "job-7", "spacehost.role": "job"}),
    ]
    tasks = [
        task("s1", "n1", "running"),
        task("s1", "n2", "shutdown", desired="shutdown"),  # its earlier run, elsewhere
        task("s2", "n2", "preparing"),
        task("j1", "n1", "starting", desired="complete"),  # a job's task (ReplicatedJob)
        task("j1", "n2", "complete", desired="complete"),  # a job's task that ended
        task("other", "n1", "running"),  # another platform's service
        task("s1", "", "pending"),  # not placed yet
    ]
    assert workloads_by_node(services, tasks) == {
        "n1": [Workload("job", "job-7", "starting"), Workload("space", "acme/demo", "running")],
        "n2": [Workload("task", "acme/demo", "preparing")],
    }


def test_a_node_is_named_by_id_id_start_or_hostname() -> None:
    nodes = [MANAGER, WORKER]
    assert find_node(nodes, "shsw-1-1") is WORKER
    assert find_node(nodes, "abc123manager") is MANAGER
    assert find_node(nodes, "abd") is WORKER
    with pytest.raises(NotFound, match="'ab' names several nodes") as several:
        find_node(nodes, "ab")
    assert "shsw-1-0, shsw-1-1" in several.value.hint
    with pytest.raises(NotFound, match="'nope' is no node of the swarm"):
        find_node(nodes, "nope")


def test_ephemeral_data_replaces_the_data_volume_with_a_tmpfs_the_app_can_write() -> None:
    args = {
        "task_template": {
            "ContainerSpec": {
                "Mounts": [
                    {"Type": "volume", "Source": "datasets", "Target": "/home/user/x"},
                    {"Type": "volume", "Source": "spacehost-data-1-a--b", "Target": "/data"},
                ]
            }
        }
    }
    mounts = ephemeral_data(args)["task_template"]["ContainerSpec"]["Mounts"]
    assert mounts == [
        {"Type": "volume", "Source": "datasets", "Target": "/home/user/x"},
        {"Type": "tmpfs", "Target": "/data", "TmpfsOptions": {"Mode": 0o1777}},
    ]
