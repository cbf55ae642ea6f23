"""Whether a job's flavor fits a node of the swarm (``SPACEHOST_SWARM_JOBS=swarm``).

A job on the swarm reserves no CPU or memory (runtime/swarm_jobs.py says why), so the manager
would place a flavor larger than every node anyway, and the node would refuse it (more CPUs
than it has) or a GPU job would wait in ``pending`` for good. The job runner asks first: a job
that no ready, active node can hold ends at once with an error naming the hardware.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacehost.errors import HardwareUnavailable
from spacehost.nodelabels import Label, carries, describe, label_hint
from spacehost.runtime.nodes import NodeInfo
from spacehost.runtime.swarm_spec import GPU_RESOURCE

_GIB = 1 << 30


def holds(
    node: NodeInfo, cpus: float, memory: int, gpus: int, labels: tuple[Label, ...] = ()
) -> bool:
    """Whether *node* takes work, carries *labels* and has that many CPUs, that much memory
    and GPUs."""
    return (
        node.takes_work
        and carries(node.labels, labels)
        and node.cpus >= cpus
        and node.memory_bytes >= memory
        and node.gpus.get(GPU_RESOURCE, 0) >= gpus
    )


def check_job_fits(
    nodes: Sequence[NodeInfo], cpus: float, memory: int, gpus: int, labels: tuple[Label, ...] = ()
) -> None:
    """Nothing when a node can hold the job.

    Raises:
        HardwareUnavailable: no ready, active node carrying *labels* (from configuration:
            nodelabels.py) has that many CPUs, memory and GPUs.
    """
    if any(holds(node, cpus, memory, gpus, labels) for node in nodes):
        return
    labelled = [n for n in nodes if carries(n.labels, labels)]
    if labels and not any(n.takes_work for n in labelled):
        raise HardwareUnavailable(
            f"no ready, active node of the swarm carries {describe(labels)}: the labels this "
            "job's flavor needs",
            hint=label_hint(labels),
        )
    nodes = labelled
    wanted = f"{cpus:g} CPU(s), {memory / _GIB:.1f} GiB of memory" + (
        f" and {gpus} GPU(s)" if gpus else ""
    )
    largest = ", ".join(
        f"{n.hostname} {n.cpus:g} CPU(s) {n.memory_bytes / _GIB:.1f} GiB "
        f"{n.gpus.get(GPU_RESOURCE, 0)} GPU(s)"
        for n in nodes
        if n.takes_work
    )
    carrying = f" carrying {describe(labels)}" if labels else ""
    raise HardwareUnavailable(
        f"no node of the swarm can hold this job's flavor: it needs {wanted}; the ready, "
        f"active nodes{carrying} have {largest or 'nothing (none is ready and active)'}",
        hint="run it with a smaller flavor (`hf jobs hardware` lists them), or add or "
        "activate a node that has that hardware (`spacehost nodes`)",
    )
