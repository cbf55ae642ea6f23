"""The Swarm nodes found silent before the manager knew (runtime/swarm_lost.py): the one place
that knows them, read by every placement of the Swarm backend (a start, a wake, a redeploy, a
hub fill, the ``/data`` and datasets jobs), so none lands on a node the platform already knows
is gone while the manager still counts it ready (docs/cluster.md, "A node that stops
answering").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from spacehost.runtime.swarm_lost import node_back

# a node's ``docker node inspect`` (None: removed from the swarm)
InspectNode = Callable[[str], Mapping[str, Any] | None]


class SilentNodes:
    """Nodes found silent, by id, with their address; thread-safe (the node-loss watch adds,
    starts and wakes read at the same time).

    Args:
        back: whether a node at an address answers again (its engine restarted).
    """

    def __init__(self, back: Callable[[str], bool] = node_back) -> None:
        self._found: dict[str, str] = {}
        self._lock = threading.Lock()
        self._back = back

    def found(self, node_id: str, addr: str) -> None:
        """*node_id* (at *addr*) stopped answering: later placements avoid it."""
        with self._lock:
            self._found[node_id] = addr

    def current(self, inspect: InspectNode) -> tuple[str, ...]:
        """The nodes a placement must avoid now: found silent, still counted by the manager
        (not ``down``/``disconnected``, not removed) and still not answering; the others are
        forgotten."""
        with self._lock:
            found = dict(self._found)
        gone = [node_id for node_id, addr in found.items() if self._over(inspect, node_id, addr)]
        with self._lock:
            for node_id in gone:
                if self._found.get(node_id) == found[node_id]:
                    del self._found[node_id]
            return tuple(sorted(self._found))

    def _over(self, inspect: InspectNode, node_id: str, addr: str) -> bool:
        node = inspect(node_id)
        state = ((node or {}).get("Status") or {}).get("State")
        return node is None or state in ("down", "disconnected") or self._back(addr)
