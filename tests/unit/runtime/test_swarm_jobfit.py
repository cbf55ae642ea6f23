"""A job's flavor against the swarm's nodes (runtime/swarm_jobfit.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from spacehost.errors import HardwareUnavailable
from spacehost.runtime.nodes import NodeInfo
from spacehost.runtime.swarm_jobfit import check_job_fits


def node(name: str, cpus: float, gib: int, gpus: int = 0, availability: str = "active") -> NodeInfo:
    return NodeInfo(
        id=name, hostname=name, role="worker", state="ready", availability=availability,
        address="192.0.2.1", cpus=cpus, memory_bytes=gib << 30, engine_version="20.10",
        gpus={"NVIDIA-GPU": gpus} if gpus else {},
    )  # fmt: skip


def test_a_flavor_one_node_holds_fits() -> None:
    check_job_fits([node("small", 2, 4), node("gpu", 8, 32, gpus=1)], 8, 16 << 30, 1)


def test_a_gpu_flavor_no_node_has_is_refused_naming_the_hardware() -> None:
    with pytest.raises(HardwareUnavailable) as err:
        check_job_fits([node("cpu-1", 16, 64)], 4, 8 << 30, 1)
    assert "needs 4 CPU(s), 8.0 GiB of memory and 1 GPU(s)" in str(err.value)
    assert "cpu-1 16 CPU(s) 64.0 GiB 0 GPU(s)" in str(err.value)
    assert "add or activate a node" in (err.value.hint or "")


def test_a_drained_node_holds_nothing() -> None:
    with pytest.raises(HardwareUnavailable, match="none is ready and active"):
        check_job_fits([node("big", 64, 256, availability="drain")], 2, 1 << 30, 0)


def test_only_nodes_carrying_the_flavors_labels_count() -> None:
    labelled = replace(node("eu", 2, 8), labels={"zone": "eu"})
    check_job_fits([node("big", 16, 64), labelled], 2, 4 << 30, 0, (("zone", "eu"),))
    with pytest.raises(HardwareUnavailable) as err:
        check_job_fits([node("big", 16, 64), labelled], 8, 4 << 30, 0, (("zone", "eu"),))
    assert "the ready, active nodes carrying zone=eu have eu 2 CPU(s)" in str(err.value)
    with pytest.raises(HardwareUnavailable) as err:
        check_job_fits([node("big", 16, 64)], 2, 4 << 30, 0, (("zone", "eu"),))
    assert "no ready, active node of the swarm carries zone=eu" in str(err.value)
    assert "--label-add zone=eu" in (err.value.hint or "")
