"""Jobs on the swarm's nodes (``SPACEHOST_SWARM_JOBS=swarm``, lifecycle/jobnodes.py): the
flavors ``hf jobs hardware`` lists, the limits a job gets and the refusal at submit come from
the ready, active nodes, not the platform's host. Over a fake node list and an engine in
memory (tests/support/fake_jobs.py); the live cluster: e2e/test_swarm_jobs.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from spacehost.errors import HardwareUnavailable
from spacehost.lifecycle.jobnodes import host_for_flavor, offered_on_nodes
from spacehost.lifecycle.jobs import Jobs
from spacehost.lifecycle.jobschedule import Schedules
from spacehost.lifecycle.jobspec import JobSpec, parse_job_spec
from spacehost.nodelabels import NodeLabels, parse_hardware_labels
from spacehost.runtime.nodes import NodeInfo
from spacehost.runtime.swarm_spec import GPU_RESOURCE
from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs

GIB = 1 << 30
ALICE = {"type": "user", "id": "alice", "name": "alice"}
SMALL = NodeInfo("n1", "small", "worker", "ready", "active", "10.0.0.2", 4.0, 16 * GIB, "20.10")
BIG = replace(SMALL, id="n2", hostname="big", cpus=16.0, memory_bytes=64 * GIB)
GPU = replace(BIG, id="n3", hostname="gpu", gpus={GPU_RESOURCE: 1})


def names(nodes: Sequence[NodeInfo]) -> list[str]:
    return [entry["name"] for entry in offered_on_nodes(nodes)]


def test_hardware_lists_what_a_node_holds_with_the_smallest_nodes_limits() -> None:
    assert names([SMALL]) == ["cpu-basic"]  # cpu-upgrade's 8 CPUs: no node has them
    both = offered_on_nodes([SMALL, BIG])
    assert [e["name"] for e in both] == ["cpu-basic", "cpu-upgrade", "cpu-xl"]
    # a job may land on either node: capped to the smaller one's 4 CPUs and 75% of 16 GiB
    assert both[1]["cpu"] == "4 vCPU" and both[1]["ram"] == "12 GB"


def test_gpu_flavors_only_with_a_ready_active_gpu_node() -> None:
    assert "t4-small" in names([SMALL, GPU])
    assert "a10g-largex2" not in names([SMALL, GPU])  # 2 GPUs: no node has them
    assert "t4-small" not in names([SMALL, replace(GPU, availability="drain")])
    assert "t4-small" not in names([SMALL, replace(GPU, state="down")])
    assert names([replace(SMALL, availability="pause")]) == []


def test_a_flavor_no_node_holds_is_refused_naming_the_nodes() -> None:
    with pytest.raises(HardwareUnavailable) as caught:
        host_for_flavor([SMALL, replace(GPU, state="down")], "t4-small")
    assert "needs 1 GPU(s)" in str(caught.value) and "small 0 GPU(s)" in str(caught.value)
    assert "hf jobs hardware" in (caught.value.hint or "")
    # the GPU node's own limits, not the smaller CPU node's
    assert host_for_flavor([SMALL, GPU], "t4-small").cores == 16


@pytest.fixture()
def on_nodes(
    tmp_path: Path, engine: FakeJobContainers
) -> Iterator[tuple[Jobs, list[NodeInfo], Schedules]]:
    """A job runner of a 2-core, GPU-less host whose jobs run on *nodes* (changed in place)."""
    nodes: list[NodeInfo] = [SMALL]
    # as server/jobs.py wires SwarmJobContainers.nodes
    jobs, schedules = fake_jobs(tmp_path, engine, max_jobs=3, nodes=lambda: list(nodes))
    yield jobs, nodes, schedules
    schedules.close()
    jobs.close()


def spec(flavor: str) -> JobSpec:
    return parse_job_spec({"dockerImage": IMAGE, "command": ["true"], "flavor": flavor})


def test_submit_refuses_a_flavor_no_node_holds_and_runs_one_on_a_gpu_node(
    on_nodes: tuple[Jobs, list[NodeInfo], Schedules], engine: FakeJobContainers
) -> None:
    jobs, nodes, _ = on_nodes
    assert [e["name"] for e in jobs.offered()] == ["cpu-basic"]
    with pytest.raises(HardwareUnavailable, match="no node of the swarm"):
        jobs.submit("alice", spec("t4-small"), ALICE)
    assert jobs.store.list_jobs("alice", []) == []  # refused at submit, not an ERROR later
    nodes.append(GPU)  # the host has no GPU: the node's GPU places it
    job = jobs.submit("alice", spec("t4-small"), ALICE)
    assert job.stage == "RUNNING"
    started = engine.containers[engine.of_job(job.id)].spec
    assert len(started.gpu_ids) == 1 and started.cpus == 4.0  # the GPU node's, capped at 4
    assert started.flavor == "t4-small"  # the labels its nodes need follow it (nodelabels.py)
    assert started.env["CPU_CORES"] == "4"


def test_a_flavor_counts_only_the_nodes_carrying_its_labels() -> None:
    labels = NodeLabels((), parse_hardware_labels("cpu-upgrade:tier=big"))
    tagged = replace(BIG, labels={"tier": "big"})
    assert [e["name"] for e in offered_on_nodes([SMALL, BIG], labels)] == ["cpu-basic", "cpu-xl"]
    assert "cpu-upgrade" in [e["name"] for e in offered_on_nodes([SMALL, tagged], labels)]
    with pytest.raises(HardwareUnavailable) as err:
        host_for_flavor([SMALL, BIG], "cpu-upgrade", labels)
    assert "needs a node carrying tier=big" in str(err.value)
    assert "--label-add" in (err.value.hint or "")


def test_a_scheduled_job_checks_its_flavor_against_the_nodes_not_the_host(
    on_nodes: tuple[Jobs, list[NodeInfo], Schedules],
) -> None:
    """Regression: a scheduled job's flavor was checked against the platform's GPU-less host,
    so a GPU flavor a node holds was refused (and one no node holds, on a GPU host, taken)."""
    _, nodes, schedules = on_nodes
    with pytest.raises(HardwareUnavailable, match="no node of the swarm"):
        schedules.create("alice", spec("t4-small"), "@hourly", ALICE, suspend=True)
    nodes.append(GPU)
    made = schedules.create("alice", spec("t4-small"), "@hourly", ALICE, suspend=True)
    assert made.spec["flavor"] == "t4-small"
