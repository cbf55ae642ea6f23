"""What a space's hub repos become on a Swarm: the node-local volume per (repo, commit), the fill
job that fills it, and the space's mounts with the volume where the host's folder was (pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spacehost.domain import RepoKind, SpaceId
from spacehost.lifecycle.hubmounts import MountedRepo, hub_mounts, hub_snapshots
from spacehost.runtime.base import ContainerSpec, Mount
from spacehost.runtime.hubsnapshot import HubSnapshot
from spacehost.runtime.swarm_hubcache import (
    CACHE_MOUNT,
    SCRIPT,
    FillRequest,
    fill_args,
    fits,
    helper_labels,
    job_name,
    node_label,
    spread_nodes,
    without_hub_binds,
)
from spacehost.runtime.swarm_spec import create_args

SPACE = SpaceId("alice", "demo")
SHA = "b" * 40
HUB = "/home/user/.cache/huggingface/hub"
REPO = MountedRepo(
    RepoKind.MODEL, "old/name", SHA, Path("/srv/hub/models--new--name"), ("models",), "new/name"
)


def spec(**changes: Any) -> ContainerSpec:
    fields: dict[str, Any] = {"space": SPACE, "revision": "0123456789abcdef", "image": "img"}
    return ContainerSpec(**{**fields, **changes})


def test_a_snapshot_downloads_the_stored_repo_into_the_folder_readme_names() -> None:
    (snap,) = hub_snapshots([REPO])
    assert snap == HubSnapshot("model", "new/name", SHA, f"{HUB}/models--old--name")
    assert snap.volume == f"spacehost-hub-models--new--name-{SHA}"
    assert node_label(snap) == f"spacehost.hub.spacehost-hub-models--new--name-{SHA}"


def test_the_hub_binds_become_read_only_volumes_and_other_mounts_stay() -> None:
    bucket = Mount("/srv/buckets/b", "/buckets/b")
    mounts = (*hub_mounts([REPO], Path("/srv/pins/alice--demo")), bucket)
    assert [m.container_path for m in mounts[:2]] == [
        f"{HUB}/models--old--name",
        f"{HUB}/models--old--name/refs/main",  # the host's pin: the volume has its own refs
    ]
    out = without_hub_binds(spec(mounts=mounts, hub=hub_snapshots([REPO])))
    volume = f"spacehost-hub-models--new--name-{SHA}"
    assert out.mounts == (bucket, Mount(volume, f"{HUB}/models--old--name", volume=True))
    template = create_args(out, "img@sha256:x", "svc")["task_template"]
    assert template["ContainerSpec"]["Mounts"] == [
        {"Type": "volume", "Source": volume, "Target": f"{HUB}/models--old--name", "ReadOnly": True}
    ]


def test_a_pinned_fill_job_runs_the_script_as_root_on_the_node_with_a_short_token() -> None:
    (snap,) = hub_snapshots([REPO])
    labels = helper_labels(spec(labels={"spacehost.instance": "i1"}))
    request = FillRequest(spec(), "reg/img@sha256:x", "svc", {}, labels, avoid=("n9",))
    args = fill_args(snap, request, "svc-hub0", hub_url="http://10.0.0.1:8000",
                     token="hf_short", node_id="n1")  # fmt: skip
    assert args["mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
    tpl = args["task_template"]
    c = tpl["ContainerSpec"]
    assert c["Command"] == ["python3", "-I", "-c", SCRIPT, CACHE_MOUNT] and c["User"] == "0:0"
    assert {"HUB_URL=http://10.0.0.1:8000", "HUB_KIND=model", "HUB_REPO=new/name",
            f"HUB_SHA={SHA}", "HUB_TOKEN=hf_short"} <= set(c["Env"])  # fmt: skip
    assert c["Mounts"] == [{"Type": "volume", "Source": snap.volume, "Target": CACHE_MOUNT}]
    assert tpl["Placement"] == {"Constraints": ["node.id==n1"]} and "Resources" not in tpl
    assert tpl["RestartPolicy"] == {"Condition": "none"}
    assert args["labels"] == {"spacehost.role": "helper", "spacehost.space": "alice/demo",
                              "spacehost.instance": "i1"}  # fmt: skip


def test_a_fill_job_reserves_nothing_though_the_space_does_and_has_no_token_env() -> None:
    """Regression: an unpinned fill reserved the space's CPU and memory so that the manager
    placed it where the space fits; on Docker 20.10 its ended task kept them counted on the
    node for good (swarm_room.py). The node is now picked by the platform, the job pinned."""
    (snap,) = hub_snapshots([REPO])
    reserve = {"Limits": {"NanoCPUs": 1}, "Reservations": {"NanoCPUs": 5, "MemoryBytes": 7}}
    request = FillRequest(spec(), "img", "svc", reserve, {}, avoid=("n9",))
    args = fill_args(snap, request, "svc-hub0", hub_url="http://h", token=None, node_id="n1")
    tpl = args["task_template"]
    assert tpl["Placement"] == {"Constraints": ["node.id==n1"]}
    assert "Resources" not in tpl
    assert not [e for e in tpl["ContainerSpec"]["Env"] if e.startswith("HUB_TOKEN")]


def node(
    node_id: str, *held: str, cpus: int = 2, state: str = "ready", availability: str = "active"
) -> dict[str, Any]:
    labels = {f"spacehost.hub.{volume}": "true" for volume in held}
    return {
        "ID": node_id,
        "Status": {"State": state},
        "Spec": {"Availability": availability, "Labels": labels},
        "Description": {"Resources": {"NanoCPUs": cpus * 10**9, "MemoryBytes": 4 << 30}},
    }


def test_replicas_are_filled_on_nodes_that_can_take_one_holders_first() -> None:
    snaps = hub_snapshots([REPO])
    held = snaps[0].volume
    reserve = {"Reservations": {"NanoCPUs": 10**9, "MemoryBytes": 1 << 30}}
    request = FillRequest(spec(hub=snaps), "img", "svc", reserve, {}, avoid=("silent",))
    nodes = [
        node("a"),
        node("small", cpus=0),
        node("b", held),
        node("silent", held),
        node("down", held, state="down"),
        node("drained", held, availability="drain"),
        node("c"),
    ]
    assert [n["ID"] for n in spread_nodes(nodes, request, 2)] == ["b", "a"]
    assert [n["ID"] for n in spread_nodes(nodes, request, 5)] == ["b", "a", "c"]
    assert not fits(node("x", cpus=0), reserve)
    gpu = {"Reservations": {"GenericResources": [
        {"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU", "Value": 1}}]}}  # fmt: skip
    assert not fits(node("x"), gpu)


def test_fill_jobs_on_several_nodes_have_names_of_their_own() -> None:
    assert job_name("svc", 0, None) == "svc-hub0"
    assert job_name("svc", 1, "abcdefghijklmnop") == "svc-hub1-abcdefghij"
    long = job_name("x" * 70, 0, "n1")
    assert len(long) == 63 and long.endswith("-hub0-n1")
