"""One fill of a hub volume per node at a time (runtime/swarm_hubcache.py).

Two starts that need the same (repo, commit) on the same node must not write into its volume
at once: the second waits, then finds it complete. Fills of that volume on other nodes run
meanwhile (a space's replicas are filled on several nodes in parallel). A fill whose node the
manager picks (not known before it runs) waits for every other fill of that volume, and they
for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

Slot = tuple[str, str | None]  # (volume, node id; None: the node the manager picks)


def clashes(held: Slot, wanted: Slot) -> bool:
    """Whether a fill of *wanted* must wait while *held* runs."""
    volume, node = wanted
    return held[0] == volume and (node is None or held[1] is None or held[1] == node)


class FillSlots:
    """Who fills which volume where, now."""

    def __init__(self) -> None:
        self._busy: set[Slot] = set()
        self._changed = threading.Condition()

    @contextmanager
    def filling(self, volume: str, node_id: str | None) -> Iterator[None]:
        """Hold the slot of *volume* on *node_id* (None: on whichever node) while filling;
        waits while a clashing fill runs."""
        slot = (volume, node_id)
        with self._changed:
            self._changed.wait_for(lambda: not any(clashes(b, slot) for b in self._busy))
            self._busy.add(slot)
        try:
            yield
        finally:
            with self._changed:
                self._busy.discard(slot)
                self._changed.notify_all()
