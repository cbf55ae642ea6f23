"""The error for a task no node of the swarm takes ("no suitable node"): it names the node
labels from configuration it needs when no ready node carries them (nodelabels.py), else
the CPU and memory it reserves. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spacehost.errors import HardwareUnavailable
from spacehost.nodelabels import Label, describe, label_hint
from spacehost.runtime.swarm_nodes import usable

RESOURCES_HINT = (
    "add a node with enough free CPU and memory (docs/cluster.md), "
    "or lower SPACEHOST_CPUS / SPACEHOST_MEMORY_LIMIT"
)


def labelled_nodes(nodes: Sequence[Mapping[str, Any]], labels: tuple[Label, ...]) -> int:
    """How many of *nodes* (``docker node ls``) are ready, active and carry *labels*."""
    return sum(1 for node in nodes if usable(node, (), labels))


def unplaced_error(
    doing: str,
    why: str,
    labels: tuple[Label, ...],
    nodes: Sequence[Mapping[str, Any]] | None,
    *,
    hint: str = RESOURCES_HINT,
) -> HardwareUnavailable:
    """Why no node takes the task of *doing* (the manager said *why*).

    Args:
        labels: the node labels it needs (``SPACEHOST_SWARM_NODE_LABELS``, its flavor's).
        nodes: the swarm's nodes now (None: they could not be read).
        hint: what to do when the labels are not the reason.
    """
    if labels and nodes is not None and not labelled_nodes(nodes, labels):
        return HardwareUnavailable(
            f"{doing}: no ready node of the swarm carries {describe(labels)} ({why})",
            hint=label_hint(labels),
            details={"labels": describe(labels)},
        )
    carrying = f" carrying {describe(labels)}" if labels else ""
    return HardwareUnavailable(f"{doing}: no node of the swarm{carrying} can run it ({why})",
                               hint=hint)  # fmt: skip
