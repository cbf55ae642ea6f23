"""What a swarm's nodes offer jobs (``SPACEHOST_SWARM_JOBS=swarm``): the flavors
``hf jobs hardware`` lists and the limits a job gets come from the ready, active nodes, not
from the platform's host (docs/cluster.md, "Jobs on a cluster"). Pure; the nodes are
:class:`~spacehost.runtime.nodes.NodeInfo`.

A job reserves no CPU or memory on the swarm (runtime/swarm_jobs.py), so the manager may place
it on any ready, active node that has its GPUs: its limits are capped to the smallest of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from spacehost.errors import HardwareUnavailable
from spacehost.lifecycle.jobflavors import (
    FLAVORS,
    GIB,
    HostResources,
    flavor_entry,
    gpus_of_flavor,
    limits_for,
)
from spacehost.nodelabels import Label, NodeLabels, carries, describe
from spacehost.runtime.nodes import NodeInfo
from spacehost.runtime.swarm_spec import GPU_RESOURCE


def _gpus(node: NodeInfo) -> int:
    return node.gpus.get(GPU_RESOURCE, 0)


def _fit(nodes: Sequence[NodeInfo], gpus: int, labels: tuple[Label, ...] = ()) -> list[NodeInfo]:
    """The ready, active nodes that carry *labels* and have *gpus* GPUs."""
    return [n for n in nodes if n.takes_work and carries(n.labels, labels) and _gpus(n) >= gpus]


def _host(nodes: Sequence[NodeInfo], pick: Callable[[Iterable[float]], float]) -> HostResources:
    return HostResources(
        cores=max(1, int(pick(n.cpus for n in nodes))),
        memory=int(pick(n.memory_bytes for n in nodes)),
        gpus=int(pick(_gpus(n) for n in nodes)),
    )


def nodes_host(
    nodes: Sequence[NodeInfo], gpus: int, labels: tuple[Label, ...] = ()
) -> HostResources | None:
    """The host a job taking *gpus* GPUs runs on: the smallest cores, memory and GPUs of the
    ready, active nodes that carry *labels* and have that many GPUs; None when no such node
    is there."""
    fit = _fit(nodes, gpus, labels)
    return _host(fit, min) if fit else None


def host_for_flavor(
    nodes: Sequence[NodeInfo], flavor: str, labels: NodeLabels | None = None
) -> HostResources:
    """:func:`nodes_host` for *flavor*'s GPUs, on the nodes carrying the labels it needs
    (*labels*: from configuration, nodelabels.py).

    Raises:
        HardwareUnavailable: no ready, active node (carrying them) has the GPUs (or none is
            ready and active).
    """
    gpus = gpus_of_flavor(flavor)
    needed = (labels or NodeLabels()).required(flavor)
    host = nodes_host(nodes, gpus, needed)
    if host is not None:
        return host
    have = ", ".join(
        f"{n.hostname} {_gpus(n)} GPU(s)"
        for n in nodes
        if n.takes_work and carries(n.labels, needed)
    )
    needs = f"needs {gpus} GPU(s)" if gpus else "needs a node"
    if needed:
        needs += f" carrying {describe(needed)}"
    raise HardwareUnavailable(
        f"no node of the swarm can run job flavor {flavor!r}: it {needs}; the ready, active "
        f"nodes{' carrying them' if needed else ''} have "
        f"{have or 'nothing (none is ready and active)'}",
        hint="run it with a flavor `hf jobs hardware` lists, or add or activate a node that "
        "has that hardware (`spacehost nodes`)"
        + (", or label one (`docker node update --label-add KEY=VALUE NODE`)" if needed else ""),
    )


def offered_on_nodes(
    nodes: Sequence[NodeInfo], labels: NodeLabels | None = None
) -> list[dict[str, Any]]:
    """``GET /api/jobs/hardware`` on a swarm: each flavor some ready, active node can hold
    (carrying the labels it needs: *labels*, nodelabels.py), with the limits a job of it gets
    (capped to the smallest node it may land on)."""
    out = []
    for flavor in FLAVORS:
        fit = _fit(nodes, flavor.gpus, (labels or NodeLabels()).required(flavor.name))
        entry = flavor_entry(flavor, _host(fit, max)) if fit else None
        if entry is not None:
            limits = limits_for(flavor.name, _host(fit, min))
            entry["cpu"], entry["ram"] = f"{limits.cpus:g} vCPU", f"{limits.memory / GIB:.0f} GB"
            out.append(entry)
    return out
