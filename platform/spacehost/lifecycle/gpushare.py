"""What the lifecycle needs to know about this host's GPUs, and how shared-GPU spaces reach the
broker. The broker itself runs in the control plane (:mod:`spacehost.server.broker`); this
module only names what it offers, so the lifecycle depends on no transport.

A ``hardware: zero`` (or ``zero-a10g``) space gets a directory of its own, mounted read-only
at ``/run/spacehost`` in its container and holding one Unix socket, ``gpu.sock``: the broker
knows which space calls from the socket a call comes in on, so a space cannot speak for
another, and nothing is exposed on any network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from spacehost.domain import GpuRequest, SpaceId, gpu_request_for
from spacehost.lifecycle.gpuledger import GpuLedger
from spacehost.manifest.hardware import hardware_request
from spacehost.runtime.base import Mount
from spacehost.store import SpaceRecord

CONTAINER_GPU_DIR = "/run/spacehost"
CONTAINER_GPU_SOCKET = f"{CONTAINER_GPU_DIR}/gpu.sock"

# SPACEHOST_GPU_MODE in a container, read by the `spaces` package (runtime_images/spaces_pkg)
MODE_SHARED = "shared"  # every @spaces.GPU call takes a lease from the broker
MODE_DEDICATED = "dedicated"  # the space has its GPU(s): decorated functions run at once
MODE_CPU = "cpu"  # no GPU here: decorated functions run on CPU with a warning


@dataclass(frozen=True)
class SharedGpu:
    """A space's way to the broker: the host directory holding its socket."""

    host_dir: str

    @property
    def mounts(self) -> tuple[Mount, ...]:
        # read-only: the container may connect to the socket, not replace it
        return (Mount(self.host_dir, CONTAINER_GPU_DIR, read_only=True),)


class GpuShare(Protocol):
    """The broker, as the lifecycle sees it. Methods are safe to call from any thread."""

    @property
    def lease_mode(self) -> str:
        """``"gpu"`` (leases on real GPUs) or ``"cpu"`` (CPU leases: a host without GPUs)."""
        ...

    def attach(self, space: SpaceId) -> SharedGpu:
        """Make sure *space*'s socket listens; return what its container mounts."""
        ...

    def detach(self, space: SpaceId) -> None:
        """Stop listening for *space* and remove its socket directory (the space is gone)."""
        ...

    def status(self) -> dict[str, Any]:
        """The broker's state (see :meth:`spacehost.lifecycle.gpubroker.GpuBroker.snapshot`)."""
        ...


def _no_gpus() -> list[dict[str, Any]]:
    return []


@dataclass
class GpuSetup:
    """This host's GPUs as the platform uses them.

    Attributes:
        has_gpu: containers can be given a GPU here.
        mode: how (``device_request``, ``cdi``, ``devices``, ``none``: see runtime.gpu).
        share: the broker for shared-GPU spaces, or None (no broker: ``SPACEHOST_GPU_BROKER``
            is ``off``, or ``auto`` on a host without GPUs).
        inventory: the GPUs now (model, memory, processes), from NVML or nvidia-smi.
        ledger: who holds each GPU, spaces and jobs alike (gpuledger.py).
    """

    has_gpu: bool = False
    mode: str = "none"
    share: GpuShare | None = None
    inventory: Callable[[], list[dict[str, Any]]] = field(default=_no_gpus)
    ledger: GpuLedger = field(default_factory=GpuLedger)


def gpu_env(request: GpuRequest, setup: GpuSetup, shared: SharedGpu | None) -> dict[str, str]:
    """The variables that tell the `spaces` package how to run ``@spaces.GPU`` functions.

    Nothing for a space that asks for no GPU (the decorator then runs functions at once, as
    Hugging Face's does outside ZeroGPU).
    """
    if not request.wants_gpu:
        return {}
    if request.shared and shared is not None:
        return {"SPACEHOST_GPU_MODE": MODE_SHARED, "SPACEHOST_GPU_SOCKET": CONTAINER_GPU_SOCKET}
    return {"SPACEHOST_GPU_MODE": MODE_DEDICATED if setup.has_gpu else MODE_CPU}


def request_of(hardware: str) -> GpuRequest:
    """The GPU request behind a space's shown hardware (``zero``, ``gpu:2``, ``t4-small``)."""
    try:
        return hardware_request(hardware)
    except ValueError:
        return gpu_request_for(hardware)


def dedicated_gpus(hardware: str) -> int:
    """How many GPUs of its own a space with *hardware* holds (0: none, or shared ones)."""
    request = request_of(hardware)
    return 0 if request.shared else request.count


def gpu_status(
    setup: GpuSetup, records: Iterable[SpaceRecord], space: SpaceId | None = None
) -> dict[str, Any]:
    """What ``GET /api/gpus`` answers: the host's GPUs (with the spaces whose processes use
    each), the spaces that asked for a GPU, and the broker's state.

    Args:
        setup: the host's GPUs and broker.
        records: every space (to name the containers found on a GPU, and the GPU spaces).
        space: keep only this space's GPU-space entry, leases and queue.
    """
    records = list(records)
    by_container = {r.container_id: str(r.id) for r in records if r.container_id}
    gpus = []
    for gpu in setup.inventory():
        processes = [
            {**p, "space": by_container.get(str(p.get("container") or ""))}
            for p in gpu.get("processes", [])
        ]
        users = sorted({p["space"] for p in processes if p["space"]})
        gpus.append({**gpu, "processes": processes, "spaces": users})
    spaces = []
    for rec in records:
        hardware = str(rec.manifest.get("hardware") or "cpu-basic")
        request = request_of(hardware)
        if request.wants_gpu and (space is None or rec.id == space):
            spaces.append(
                {
                    "space": str(rec.id),
                    "hardware": hardware,
                    "shared": request.shared,
                    "count": request.count,
                    "stage": rec.stage.value,
                }
            )
    broker = setup.share.status() if setup.share is not None else None
    if broker is not None and space is not None:
        broker = {
            **broker,
            "leases": [x for x in broker["leases"] if x["space"] == str(space)],
            "queue": [x for x in broker["queue"] if x["space"] == str(space)],
            "history": [x for x in broker["history"] if x["space"] == str(space)],
        }
    return {
        "mode": setup.mode,
        "has_gpu": setup.has_gpu,
        "gpus": gpus,
        # who holds each GPU: spaces with GPUs of their own, and jobs (gpuledger.py)
        "holders": setup.ledger.holders(),
        "spaces": spaces,
        "broker": broker,
    }
