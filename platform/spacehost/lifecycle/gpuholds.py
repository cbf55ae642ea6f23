"""Which spaces hold which GPUs now, read from the store for the GPU ledger (gpuledger.py),
and the two moments a space takes its GPUs: a container starts, or a stopped one wakes.

A space holds GPUs while it asks for dedicated ones (not a shared ``hardware: zero``, whose
calls lease GPUs from the broker) and its container holds GPU memory: it starts, runs, or is
paused. A space that sleeps stopped, fails, or is deleted holds none, whichever way it got
there, since the store says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from spacehost.domain import Stage
from spacehost.lifecycle.gpushare import GpuShare, dedicated_gpus
from spacehost.lifecycle.sleep import is_awake
from spacehost.runtime.base import RuntimeBackend
from spacehost.store import SpaceRecord, Store

STARTING = frozenset({Stage.APP_STARTING, Stage.RUNNING_APP_STARTING})


def holds_gpus(rec: SpaceRecord) -> bool:
    """True while *rec*'s container holds GPU memory (or is being started)."""
    return dedicated_gpus(rec.hardware) > 0 and (rec.stage in STARTING or is_awake(rec))


class SpaceGpuHolds:
    """:data:`spacehost.lifecycle.gpuledger.SpaceHolds` over the store and the broker.

    A space the ledger gave no GPUs in this process (it started before the platform did) holds
    those its container was made with (the ``spacehost.gpus`` label), else the first *N*. A
    shared-GPU space holds the GPUs its calls have leases on (the broker's device ``i`` is the
    host's ``i``-th GPU: its containers see them all, in order).
    """

    def __init__(
        self,
        store: Store,
        runtime: RuntimeBackend,
        gpu_ids: tuple[str, ...],
        share: GpuShare | None = None,
    ):
        self._store, self._runtime, self._gpu_ids = store, runtime, gpu_ids
        self._share = share
        self._recovered: dict[str, tuple[str, ...]] = {}  # by container id

    def __call__(self, chosen: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for rec in self._store.list_spaces():
            if holds_gpus(rec):
                found[str(rec.id)] = chosen.get(str(rec.id)) or self.recovered(rec)
        for space, gpu in self._leases():
            found[space] = (*found.get(space, ()), gpu)
        return found

    def _leases(self) -> list[tuple[str, str]]:
        share = self._share
        if share is None or share.lease_mode != "gpu":
            return []
        leases = share.status().get("leases", [])
        ids = self._gpu_ids
        return [
            (str(x["space"]), ids[int(x["device"])])
            for x in leases
            if str(x.get("device", "")).isdigit() and int(x["device"]) < len(ids)
        ]

    def recovered(self, rec: SpaceRecord) -> tuple[str, ...]:
        """The GPUs *rec*'s container was made with (cached: they never change)."""
        count = dedicated_gpus(rec.hardware)
        cid = rec.container_id
        if cid is None:
            return self._gpu_ids[:count]
        if cid not in self._recovered:
            info = self._runtime.inspect(cid)
            ids = info.gpu_ids if info is not None and info.gpu_ids else ()
            self._recovered[cid] = ids or self._gpu_ids[:count]
        return self._recovered[cid]
