"""The Swarm service a space revision becomes, and its state read back (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.domain import SpaceId
from spacehost.errors import EngineUnavailable, InvalidRequest
from spacehost.runtime.base import ContainerSpec, Mount
from spacehost.runtime.imagepush import pushed_digest, registry_repository
from spacehost.runtime.swarm_info import info_from_service, latest_task
from spacehost.runtime.swarm_spec import create_args, gpu_count, prep_args, service_name
from spacehost.settings import Settings

SPACE = SpaceId("alice", "demo.app")
DIGEST = "sha256:" + "ab" * 32


def spec(**changes: Any) -> ContainerSpec:
    fields: dict[str, Any] = {"space": SPACE, "revision": "0123456789abcdef", "image": "img"}
    return ContainerSpec(**{**fields, **changes})


def test_a_service_runs_the_spec_with_limits_reservations_and_a_host_mode_port() -> None:
    args = create_args(
        spec(command=("python", "app.py"), env={"A": "1"}, memory_limit=1 << 30, cpus=1.5,
             pids_limit=99, data_volume="vol", mounts=(Mount("cache", "/c", volume=True),)),
        f"10.0.0.1:5000/spacehost/x@{DIGEST}", "svc", node_id="n1",
    )  # fmt: skip
    tpl = args["task_template"]
    c = tpl["ContainerSpec"]
    assert c["Image"].endswith(DIGEST) and c["User"] == "1000:1000" and c["Init"] is True
    assert c["Args"] == ["python", "app.py"] and "Command" not in c  # ENTRYPOINT kept
    assert {"A=1", "HOME=/home/user"} <= set(c["Env"]) and c["Dir"] == "/home/user/app"
    assert c["Mounts"] == [
        {"Type": "volume", "Source": "cache", "Target": "/c", "ReadOnly": True},
        {"Type": "volume", "Source": "vol", "Target": "/data"},
    ]
    limits = {"NanoCPUs": 1_500_000_000, "MemoryBytes": 1 << 30}
    assert tpl["Resources"] == {"Limits": {**limits, "Pids": 99}, "Reservations": limits}
    assert tpl["RestartPolicy"] == {"Condition": "none"}
    assert tpl["Placement"] == {"Constraints": ["node.id==n1"]}
    assert args["endpoint_spec"] == {
        "Ports": [{"Protocol": "tcp", "TargetPort": 7860, "PublishMode": "host"}]
    }
    assert args["mode"] == {"Replicated": {"Replicas": 1}}
    assert args["labels"]["spacehost.space"] == "alice/demo.app"
    assert args["labels"]["spacehost.port"] == "7860" and c["Labels"] == args["labels"]


def test_gpus_are_reserved_as_generic_resources_and_counted_on_nodes() -> None:
    tpl = create_args(spec(), "img@x", "svc", gpus=2)["task_template"]
    assert tpl["Resources"]["Reservations"]["GenericResources"] == [
        {"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU", "Value": 2}}
    ]
    node = {"Description": {"Resources": {"GenericResources": [
        {"NamedResourceSpec": {"Kind": "NVIDIA-GPU", "Value": "GPU-1"}},
        {"NamedResourceSpec": {"Kind": "NVIDIA-GPU", "Value": "GPU-2"}},
        {"DiscreteResourceSpec": {"Kind": "other", "Value": 5}},
    ]}}}  # fmt: skip
    assert (gpu_count(node), gpu_count({})) == (2, 0)


def test_the_data_job_runs_chown_as_root_once() -> None:
    args = prep_args(spec(data_volume="vol"), "img@x", "svc-data", node_id="n1")
    c = args["task_template"]["ContainerSpec"]
    assert (c["User"], c["Command"], c["Args"]) == ("0:0", ["chown", "1000:1000", "/data"], [])
    assert args["task_template"]["Placement"]["Constraints"] == ["node.id==n1"]
    # limits, but no reservations: on Docker 20.10 its ended task's would stay counted
    assert set(args["task_template"]["Resources"]) == {"Limits"}
    assert args["mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
    assert args["labels"]["spacehost.role"] == "helper"


def test_service_names_are_valid_swarm_names() -> None:
    assert service_name("spacehost-alice--demo.app-0123456789ab-1f2e") == (
        "spacehost-alice--demo-app-0123456789ab-1f2e"
    )
    assert len(service_name("x" * 80)) == 63


def service(replicas: int = 1) -> dict[str, Any]:
    labels = {"spacehost.space": "alice/demo.app", "spacehost.revision": "r1",
              "spacehost.port": "7860"}  # fmt: skip
    mode = {"Replicated": {"Replicas": replicas}}
    return {"ID": "s1", "Spec": {"Name": "svc", "Labels": labels, "Mode": mode}}


def task(index: int, state: str, desired: str = "running", **status: Any) -> dict[str, Any]:
    return {"Version": {"Index": index}, "DesiredState": desired, "NodeID": "n1",
            "Status": {"State": state, "Timestamp": "2026-12-07T10:00:00Z", **status}}  # fmt: skip


def test_a_running_task_is_reached_at_its_node_and_published_port() -> None:
    ports = {"Ports": [{"TargetPort": 7860, "PublishedPort": 30001, "PublishMode": "host"}]}
    info = info_from_service(service(), task(5, "running", PortStatus=ports), "10.0.0.3")
    assert (info.status, info.host, info.port, info.exit_code) == (
        "running", "10.0.0.3", 30001, None
    )  # fmt: skip
    assert (info.space, info.revision, info.started_at) == (SPACE, "r1", "2026-12-07T10:00:00Z")


@pytest.mark.parametrize(
    ("tasks", "replicas", "status", "code"),
    [
        ([], 1, "created", None),
        ([], 0, "exited", None),
        ([task(3, "preparing")], 1, "created", None),
        ([task(3, "shutdown", "shutdown", ContainerStatus={"ExitCode": 143})], 0, "exited", 143),
        # scaled to one again before the manager made the new task: starting, not exited
        ([task(3, "shutdown", "shutdown", ContainerStatus={"ExitCode": 143})], 1, "created", None),
        ([task(3, "failed", "shutdown", ContainerStatus={"ExitCode": 1})], 1, "exited", 1),
        ([task(3, "rejected", "shutdown", Err="No such image")], 1, "dead", None),
        # history: the newest task meant to run says the state
        ([task(9, "shutdown", "shutdown"), task(4, "running")], 1, "running", None),
    ],
)
def test_task_states_map_onto_container_statuses(
    tasks: list[dict[str, Any]], replicas: int, status: str, code: int | None
) -> None:
    info = info_from_service(service(replicas), latest_task(tasks), "10.0.0.3")
    assert (info.status, info.exit_code) == (status, code)
    assert info.host is None or status == "running"


def test_a_task_on_a_node_the_manager_lost_is_dead() -> None:
    ports = {"Ports": [{"TargetPort": 7860, "PublishedPort": 30001, "PublishMode": "host"}]}
    info = info_from_service(service(), task(5, "running", PortStatus=ports), "10.0.0.3",
                             node_down=True)  # fmt: skip
    assert (info.status, info.host, info.port) == ("dead", None, None)


def test_oom_is_read_from_the_task_error() -> None:
    t = task(3, "failed", "shutdown", Err="task: non-zero exit (137): OOM killed")
    assert info_from_service(service(), t, None).oom_killed


def test_images_are_pushed_under_spacehost_and_the_digest_is_read_from_the_push() -> None:
    assert registry_repository("spacehost-space/alice--demo:0123") == "spacehost/alice--demo"
    assert registry_repository("Foo_Bar@sha256:00") == "spacehost/foo_bar"
    events: list[dict[str, Any]] = [{"status": "Pushing"}, {"aux": {"Digest": DIGEST}}]
    assert pushed_digest(events) == DIGEST
    with pytest.raises(EngineUnavailable, match="connection refused") as caught:
        pushed_digest([{"error": "connection refused"}])
    assert "SPACEHOST_REGISTRY" in caught.value.hint


def test_swarm_settings_need_the_manager_and_take_a_registry() -> None:
    s = Settings.from_env({"SPACEHOST_RUNTIME": "swarm", "SPACEHOST_SWARM_URL": "tcp://m:2375",
                           "SPACEHOST_REGISTRY": "127.0.0.1:5000/"})  # fmt: skip
    assert (s.runtime, s.registry, s.pull_registry) == ("swarm", "127.0.0.1:5000", "127.0.0.1:5000")
    assert Settings().runtime == "docker"
    with pytest.raises(InvalidRequest, match="SPACEHOST_SWARM_URL"):
        Settings.from_env({"SPACEHOST_RUNTIME": "swarm"})
    with pytest.raises(InvalidRequest, match="SPACEHOST_RUNTIME"):
        Settings.from_env({"SPACEHOST_RUNTIME": "k8s"})
