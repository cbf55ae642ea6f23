"""Hardware flavors for jobs: HF's flavor names, mapped to what this host can really give
(CPU and memory limits capped to the host's cores and memory; GPU flavors only when the host has
GPUs to assign). Pure; the host is described by :class:`HostResources`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from spacehost.errors import HardwareUnavailable, InvalidRequest

GIB = 1 << 30
# A job may use at most this share of the host's memory (the platform, the router and the spaces
# keep the rest).
MEMORY_SHARE = 0.75


@dataclass(frozen=True)
class Flavor:
    """One of HF's job flavors: its vCPUs, memory and GPUs (0: a CPU flavor)."""

    name: str
    pretty_name: str
    cpus: int
    memory_gib: int
    gpus: int = 0
    gpu_model: str = ""
    vram_gib: int = 0


# HF's flavors (huggingface_hub JobHardware; sizes as `hf jobs hardware` lists them).
FLAVORS: tuple[Flavor, ...] = (
    Flavor("cpu-basic", "CPU Basic", 2, 16),
    Flavor("cpu-upgrade", "CPU Upgrade", 8, 32),
    Flavor("cpu-xl", "CPU XL", 16, 124),
    Flavor("cpu-performance", "CPU Performance", 32, 256),
    Flavor("t4-small", "Nvidia T4 - small", 4, 15, 1, "T4", 16),
    Flavor("t4-medium", "Nvidia T4 - medium", 8, 30, 1, "T4", 16),
    Flavor("l4x1", "1x Nvidia L4", 8, 30, 1, "L4", 24),
    Flavor("l4x4", "4x Nvidia L4", 48, 186, 4, "L4", 96),
    Flavor("a10g-small", "Nvidia A10G - small", 4, 15, 1, "A10G", 24),
    Flavor("a10g-large", "Nvidia A10G - large", 12, 46, 1, "A10G", 24),
    Flavor("a10g-largex2", "2x Nvidia A10G - large", 24, 92, 2, "A10G", 48),
    Flavor("a10g-largex4", "4x Nvidia A10G - large", 48, 184, 4, "A10G", 96),
    Flavor("l40sx1", "1x Nvidia L40S", 8, 62, 1, "L40S", 48),
    Flavor("a100-large", "Nvidia A100 - large", 12, 142, 1, "A100", 80),
    Flavor("a100x4", "4x Nvidia A100", 48, 568, 4, "A100", 320),
    Flavor("h200", "1x Nvidia H200", 23, 256, 1, "H200", 141),
    Flavor("h200x2", "2x Nvidia H200", 46, 512, 2, "H200", 282),
)
_BY_NAME = {f.name: f for f in FLAVORS}


@dataclass(frozen=True)
class HostResources:
    """What this host has for jobs: CPU cores, memory in bytes, and assignable GPUs (count and
    model name, as the GPU inventory reports them)."""

    cores: int
    memory: int
    gpus: int = 0
    gpu_model: str = ""


@dataclass(frozen=True)
class Limits:
    """What a job's container is given: CPUs, a memory limit in bytes, and GPUs."""

    cpus: float
    memory: int
    gpus: int = 0


def host_resources(gpus: int = 0, gpu_model: str = "") -> HostResources:
    """This machine's cores and memory (``/proc/meminfo``; 4 GiB when it cannot be read)."""
    memory = 4 * GIB
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    memory = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    return HostResources(os.cpu_count() or 1, memory, gpus, gpu_model)


def gpus_of_flavor(name: str) -> int:
    """How many GPUs flavor *name* takes (0 for a CPU or unknown flavor)."""
    flavor = _BY_NAME.get(name)
    return flavor.gpus if flavor is not None else 0


def limits_for(name: str, host: HostResources) -> Limits:
    """The limits a job of flavor *name* runs with on *host*.

    Raises:
        InvalidRequest: no such flavor.
        HardwareUnavailable: a GPU flavor on a host without (enough) GPUs.
    """
    flavor = _BY_NAME.get(name)
    if flavor is None:
        raise InvalidRequest(
            f"unknown job flavor {name!r}",
            hint="`hf jobs hardware` lists the flavors this platform offers (e.g. cpu-basic)",
        )
    if flavor.gpus > host.gpus:
        have = f"{host.gpus} GPU(s)" if host.gpus else "no GPU"
        raise HardwareUnavailable(
            f"job flavor {name!r} needs {flavor.gpus} GPU(s) and this host has {have}",
            hint="run it with a CPU flavor (--flavor cpu-basic), or on a platform with GPUs "
            "(`hf jobs hardware` lists what this one offers)",
        )
    return Limits(
        cpus=float(min(flavor.cpus, host.cores)),
        memory=min(flavor.memory_gib * GIB, int(host.memory * MEMORY_SHARE)),
        gpus=flavor.gpus,
    )


def offered(host: HostResources) -> list[dict[str, Any]]:
    """``GET /api/jobs/hardware``: the flavors *host* can run, with the CPU and memory a job
    really gets, in HF's shape (``JobHardwareInfo``). CPU flavors larger than the host are left
    out, except ``cpu-basic`` (always offered, capped); GPU flavors only with enough GPUs."""
    return [e for e in (flavor_entry(f, host) for f in FLAVORS) if e is not None]


def flavor_entry(flavor: Flavor, host: HostResources) -> dict[str, Any] | None:
    """*flavor* as ``GET /api/jobs/hardware`` lists it on *host*; None when *host* cannot run
    it (the rules of :func:`offered`)."""
    if flavor.gpus > host.gpus:
        return None
    if flavor.gpus == 0 and flavor.name != "cpu-basic" and flavor.cpus > host.cores:
        return None
    limits = limits_for(flavor.name, host)
    entry: dict[str, Any] = {
        "name": flavor.name,
        "prettyName": flavor.pretty_name,
        "cpu": f"{limits.cpus:g} vCPU",
        "ram": f"{limits.memory / GIB:.0f} GB",
        "unitCostMicroUSD": 0,
        "unitCostUSD": 0.0,
        "unitLabel": "minute",
    }
    if flavor.gpus:
        entry["accelerator"] = {
            "type": "gpu",
            "model": host.gpu_model or flavor.gpu_model,
            "quantity": str(flavor.gpus),
            "vram": f"{flavor.vram_gib} GB",
            "manufacturer": "Nvidia",
        }
    return entry
