"""What the GPU job checks on a real GPU (tests/e2e/test_gpu_jobs_device.py) read from the
platform and the host: the first GPU flavor ``GET /api/jobs/hardware`` offers, the image a GPU
job runs, and ``nvidia-smi``'s listing of the GPUs. Pure, so they are tested without a GPU
(tests/unit/support/test_gpujobs.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# what the GPUs are listed with: one CSV line each, in index order, memory in MiB
SMI_QUERY = [
    "nvidia-smi",
    "--query-gpu=index,uuid,name,memory.total",
    "--format=csv,noheader,nounits",
]


@dataclass(frozen=True)
class SmiGpu:
    """One GPU as ``nvidia-smi`` lists it."""

    index: str
    uuid: str
    name: str
    memory_total_mib: int


def first_gpu_flavor(hardware: Sequence[Mapping[str, Any]]) -> str:
    """The name of the first flavor in *hardware* (``GET /api/jobs/hardware``, HF's
    ``JobHardwareInfo`` shape) that comes with a GPU.

    Raises:
        LookupError: no GPU flavor is offered (the message lists what is).
    """
    for flavor in hardware:
        accelerator = flavor.get("accelerator") or {}
        if accelerator.get("type") == "gpu":
            return str(flavor["name"])
    names = ", ".join(str(f.get("name")) for f in hardware) or "nothing"
    raise LookupError(f"the platform offers no GPU flavor for jobs (it offers {names})")


def gpu_job_image(environ: Mapping[str, str], space: str) -> str:
    """The image a GPU job runs: the operator's Python/CUDA torch image the platform's GPU
    runtime is made from (``SPACEHOST_GPU_BASE_IMAGE``, e.g. ``spacehost/gpu-host:local`` on
    the lent machine) when one is set, else the image of GPU space *space*, which the platform
    built on its CUDA runtime (torch from ``SPACEHOST_GPU_TORCH``), in HF's form."""
    return environ.get("SPACEHOST_GPU_BASE_IMAGE") or f"hf.co/spaces/{space}"


def parse_smi(text: str) -> list[SmiGpu]:
    """The GPUs in the output of :data:`SMI_QUERY`.

    Raises:
        ValueError: a line is not ``index, uuid, name, memory``.
    """
    gpus = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 4 or not fields[-1].isdigit():
            raise ValueError(f"not a line of {' '.join(SMI_QUERY)}: {line!r}")
        name = ", ".join(fields[2:-1])  # a model name may hold a comma
        gpus.append(SmiGpu(fields[0], fields[1], name, int(fields[-1])))
    return gpus


def hf_gpu_key(uuid: str) -> str:
    """The key HF's job figures give a GPU: the first 8 hex digits of its UUID
    (``GPU-882fa930-…`` → ``882fa930``)."""
    return uuid.removeprefix("GPU-")[:8]
