"""Where the Swarm backend places one start (or task) of a space: decided once, before its
service is created (swarm_backend.py ``_placed``)."""

from __future__ import annotations

from dataclasses import dataclass

from spacehost.nodelabels import Label


@dataclass(frozen=True)
class Placement:
    """One placement of a space.

    Attributes:
        gpus: GPUs its tasks reserve.
        image: its image as the nodes pull it.
        name: its service's name.
        pinned: on the node holding its ``/data`` volume (``SPACEHOST_SWARM_DATA=pinned``).
        avoid: nodes found silent (runtime/swarm_silent.py): no task of it lands there.
        node_id: the one node every task runs on (its ``/data``, or where its hub repos were
            filled); None: where the manager puts it.
        require: node labels every node it runs on carries (a replicated space's hub volumes).
        hub_nodes: the nodes holding its hub repos (a replicated space's: its tasks run on
            them, spread).
        labels: node labels from configuration every node it (and each of its helper tasks)
            runs on carries: ``SPACEHOST_SWARM_NODE_LABELS`` and its flavor's (nodelabels.py).
    """

    gpus: int
    image: str
    name: str
    pinned: bool
    avoid: tuple[str, ...] = ()
    node_id: str | None = None
    require: tuple[str, ...] = ()
    hub_nodes: tuple[str, ...] = ()
    labels: tuple[Label, ...] = ()
