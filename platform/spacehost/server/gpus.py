"""The platform's GPU setup: what the lifecycle is told about this host's GPUs, and the broker
of shared-GPU spaces when it runs (``SPACEHOST_GPU_BROKER``, docs/gpu.md)."""

from __future__ import annotations

import functools

from spacehost.lifecycle import Platform
from spacehost.lifecycle.gpubroker import BrokerLimits, GpuBroker
from spacehost.lifecycle.gpuledger import GpuLedger
from spacehost.lifecycle.gpushare import GpuSetup
from spacehost.runtime.gpu import GpuHost
from spacehost.runtime.nvml import list_gpus
from spacehost.server.broker import GpuBrokerServer
from spacehost.settings import Settings


def lease_mode(settings: Settings, host: GpuHost) -> str | None:
    """``"gpu"`` (leases on the host's GPUs), ``"cpu"`` (CPU leases on a host without GPUs:
    ``SPACEHOST_GPU_BROKER=cpu``), or None: no broker (``off``, or ``auto`` without GPUs; then
    ``@spaces.GPU`` functions run at once, on the GPU or on CPU)."""
    if settings.gpu_broker == "off":
        return None
    if host.has_gpu:
        return "gpu"
    return "cpu" if settings.gpu_broker == "cpu" else None


def broker_limits(settings: Settings, host: GpuHost, mode: str) -> BrokerLimits:
    """The broker's devices and limits: one device per host GPU, by its index inside the
    containers (which see every GPU of the host), or one ``cpu`` device."""
    devices = ("cpu",) if mode == "cpu" else tuple(str(i) for i in range(host.count or 1))
    return BrokerLimits(
        devices=devices,
        slots_per_device=settings.gpu_slots,
        per_space=settings.gpu_space_limit,
        default_duration_s=settings.gpu_duration_s,
        max_duration_s=settings.gpu_max_duration_s,
        grace_s=settings.gpu_grace_s,
        max_wait_s=settings.gpu_max_wait_s,
        memory_fraction=settings.gpu_memory_fraction or None,
    )


def gpu_setup(settings: Settings, host: GpuHost) -> GpuSetup:
    """What the lifecycle needs: whether there are GPUs, the inventory, and the broker."""
    mode = lease_mode(settings, host)
    ledger = GpuLedger(ledger_ids(host))
    share = None
    if mode is not None:
        blocked = functools.partial(jobs_devices, ledger) if mode == "gpu" else _no_devices
        broker = GpuBroker(broker_limits(settings, host, mode), blocked=blocked)
        share = GpuBrokerServer(settings.gpu_socket_dir, broker, lease_mode=mode)
    return GpuSetup(
        has_gpu=host.has_gpu,
        mode=host.mode,
        share=share,
        inventory=list_gpus if host.has_gpu else GpuSetup().inventory,
        ledger=ledger,
    )


def jobs_devices(ledger: GpuLedger) -> frozenset[str]:
    """The broker's devices (``"0"``, ``"1"``: the host's GPUs in order) that jobs hold."""
    held = ledger.held_by_jobs()
    return frozenset(str(i) for i, gpu in enumerate(ledger.gpu_ids) if gpu in held)


def _no_devices() -> frozenset[str]:
    return frozenset()


def ledger_ids(host: GpuHost) -> tuple[str, ...]:
    """The GPUs spaces and jobs are given by id: the ones discovery found, else (the engine
    hands them out and none is visible here) as many as the inventory lists."""
    if not host.has_gpu:
        return ()
    return host.gpu_ids or tuple(str(i) for i in range(len(list_gpus())))


async def start_broker(platform: Platform) -> None:
    """Listen for shared-GPU spaces (before reconcile adopts their containers)."""
    if isinstance(platform.gpus.share, GpuBrokerServer):
        await platform.gpus.share.start()


async def stop_broker(platform: Platform) -> None:
    if isinstance(platform.gpus.share, GpuBrokerServer):
        await platform.gpus.share.close()
