"""A job's Swarm service, its state from its task, and its log's timestamps
(runtime/swarm_jobs.py; live: tests/integration/runtime/test_swarm_jobs.py)."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.errors import NotSupported
from spacehost.runtime.base import Mount
from spacehost.runtime.jobcontainers import JobContainerSpec
from spacehost.runtime.swarm_joblogs import LogCursor, unix_stamp
from spacehost.runtime.swarm_jobs import (
    REFUSED_EXIT,
    SwarmJobContainers,
    job_service_args,
    job_state,
)

SPEC = JobContainerSpec("abc123", "img", ("python", "-c", "print(1)"), {"A": "1"}, 2.0, 1 << 30)


def test_a_job_is_one_task_of_the_pulled_image_on_its_own_network_reserving_nothing() -> None:
    args = job_service_args(SPEC, "reg:5000/spacehost/img@sha256:ab", "net1", "inst")
    template = args["task_template"]
    container = template["ContainerSpec"]

    assert args["name"] == "spacehost-job-abc123"
    assert args["mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
    assert args["labels"] == {"spacehost.managed": "true", "spacehost.role": "job",
                              "spacehost.job": "abc123", "spacehost.instance": "inst"}  # fmt: skip
    assert container["Image"] == "reg:5000/spacehost/img@sha256:ab"
    assert container["Args"] == ["python", "-c", "print(1)"]  # after the image's ENTRYPOINT
    assert "Command" not in container and container["Env"] == ["A=1"]
    assert container["CapabilityDrop"] == ["ALL"] and container["Init"] is True
    assert template["Networks"] == [{"Target": "net1"}]
    assert template["RestartPolicy"] == {"Condition": "none"}
    limits = template["Resources"]["Limits"]
    assert (limits["NanoCPUs"], limits["MemoryBytes"]) == (2_000_000_000, 1 << 30)
    # an ended job's task keeps what it reserved on Docker 20.10 (swarm_jobs.job_service_args)
    assert "Reservations" not in template["Resources"]


def test_a_gpu_job_reserves_that_many_of_the_nodes_generic_gpus() -> None:
    spec = JobContainerSpec("g", "img", ("x",), {}, 1.0, 1 << 30, gpu_ids=("0", "1"))
    reserved = job_service_args(spec, "ref", "net", None)["task_template"]["Resources"]
    assert reserved["Reservations"] == {
        "GenericResources": [{"DiscreteResourceSpec": {"Kind": "NVIDIA-GPU", "Value": 2}}]
    }


def task(state: str, code: int | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"State": state}
    if code is not None:
        status["ContainerStatus"] = {"ExitCode": code}
    return {"Status": status}


@pytest.mark.parametrize(
    ("found", "running", "code"),
    [
        (None, True, None),  # not placed yet
        (task("pending"), True, None),
        (task("preparing"), True, None),  # its node pulls the image
        (task("running"), True, None),
        (task("complete", 0), False, 0),
        (task("failed", 3), False, 3),
        (task("rejected"), False, REFUSED_EXIT),  # the node could not run it
    ],
)
def test_the_jobs_state_is_its_tasks(found: Any, running: bool, code: int | None) -> None:
    state = job_state("svc", "job", found)
    assert (state.id, state.job_id, state.running, state.exit_code) == ("svc", "job", running, code)


def test_an_engine_timestamp_is_the_since_of_the_next_read() -> None:
    assert unix_stamp("2026-12-07T14:00:00.123456789Z") == "1796652000.123456789"
    assert unix_stamp("2026-12-07T14:00:00Z") == "1796652000.000000000"


def test_a_job_with_bucket_volumes_is_refused_saying_what_to_do() -> None:
    jobs = SwarmJobContainers(None, None, None, None, "http://p")  # type: ignore[arg-type]
    spec = JobContainerSpec("v", "img", ("x",), {}, 1.0, 1 << 30,
                            mounts=(Mount("/srv/buckets/b", "/data"),))  # fmt: skip
    with pytest.raises(NotSupported, match="buckets are folders of the platform's host") as err:
        jobs.start(spec)
    assert "SPACEHOST_SWARM_JOBS=engine" in (err.value.hint or "")


def test_a_line_read_again_from_its_timestamp_is_not_delivered_twice() -> None:
    cursor = LogCursor(None)
    first = ["2026-12-07T14:00:00.1Z a", "2026-12-07T14:00:00.2Z b", "2026-12-07T14:00:00.2Z c"]
    assert [cursor.fresh(raw) for raw in first] == ["a", "b", "c"]
    assert cursor.mark == "1796652000.200000000"
    again = ["2026-12-07T14:00:00.2Z b", "2026-12-07T14:00:00.2Z c", "2026-12-07T14:00:01Z d"]
    assert [cursor.fresh(raw) for raw in again] == [None, None, "d"]
