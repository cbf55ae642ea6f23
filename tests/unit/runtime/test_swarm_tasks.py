"""A space's short task on the node it will run on (runtime/swarm_tasks.py, swarm_spec.task_args):
the job's spec, and how its task's end is read."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.domain import SpaceId
from spacehost.errors import AppFailed
from spacehost.runtime.base import ContainerSpec, Mount
from spacehost.runtime.swarm_spec import task_args
from spacehost.runtime.swarm_tasks import task_outcome

DATASETS = "/home/user/.cache/huggingface/datasets"
HUB = "/home/user/.cache/huggingface/hub/datasets--alice--rows"


def spec() -> ContainerSpec:
    return ContainerSpec(
        space=SpaceId.parse("alice/demo"),
        revision="0123456789abcdef",
        image="img",
        command=("python3", "-c", "prepare"),
        data_volume="spacehost-data-alice--demo",
        replicas=3,
        mounts=(
            Mount("spacehost-hub-datasets--alice--rows-abc", HUB, read_only=True, volume=True),
            Mount("spacehost-hfds-alice--demo", DATASETS, read_only=False, volume=True),
        ),
    )


def test_the_task_is_one_job_on_the_node_with_the_spaces_volumes_but_no_data_or_port() -> None:
    labels = {"spacehost.role": "helper", "spacehost.space": "alice/demo"}
    args = task_args(spec(), "reg:5000/spacehost/x@sha256:00", "job", labels, node_id="n2")

    template = args["task_template"]
    container = template["ContainerSpec"]
    assert args["mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
    assert "endpoint_spec" not in args
    assert template["Placement"] == {"Constraints": ["node.id==n2"]}
    assert template["RestartPolicy"] == {"Condition": "none"}
    assert set(template["Resources"]) == {"Limits"}  # pinned: reserves nothing (swarm_room.py)
    assert container["Args"] == ["python3", "-c", "prepare"]
    assert container["User"] == "1000:1000"
    assert {(m["Target"], m["ReadOnly"]) for m in container["Mounts"]} == {
        (HUB, True),
        (DATASETS, False),
    }
    assert container["Labels"] == args["labels"] == labels  # never role=app: not a space


def status(state: str, **more: Any) -> dict[str, Any]:
    return {"Status": {"State": state, **more}}


def test_a_tasks_end_is_its_exit_code_and_none_while_it_runs() -> None:
    assert task_outcome(None) is None
    assert task_outcome(status("running")) is None
    assert task_outcome(status("complete")) == 0
    failed = status("failed", Err="task: non-zero exit (3)", ContainerStatus={"ExitCode": 3})
    assert task_outcome(failed) == 3


def test_a_task_the_node_refused_says_why_and_names_insecure_registries() -> None:
    refused = status("rejected", Err="No such image: 10.0.0.1:5000/spacehost/x@sha256:00")

    with pytest.raises(AppFailed, match="No such image") as caught:
        task_outcome(refused)

    assert "insecure-registries" in caught.value.hint
