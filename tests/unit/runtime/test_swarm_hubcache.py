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
    fill_args,
    helper_labels,
    node_label,
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
    args = fill_args(snap, "reg/img@sha256:x", "svc-hub0", hub_url="http://10.0.0.1:8000",
                     token="hf_short", node_id="n1", resources=None, labels=labels)  # fmt: skip
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


def test_an_unpinned_fill_job_reserves_what_the_space_needs_and_has_no_token_env() -> None:
    (snap,) = hub_snapshots([REPO])
    reserve = {"Limits": {"NanoCPUs": 1}, "Reservations": {"NanoCPUs": 5, "MemoryBytes": 7}}
    args = fill_args(snap, "img", "svc-hub0", hub_url="http://h", token=None, node_id=None,
                     resources=reserve, labels={})  # fmt: skip
    tpl = args["task_template"]
    assert "Placement" not in tpl
    assert tpl["Resources"] == {"Reservations": {"NanoCPUs": 5, "MemoryBytes": 7}}
    assert not [e for e in tpl["ContainerSpec"]["Env"] if e.startswith("HUB_TOKEN")]
