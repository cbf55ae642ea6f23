"""spacehost's own ``hardware`` field, and what GPU a manifest asks for overall."""

from __future__ import annotations

import re

from spacehost.domain import GpuRequest, gpu_request_for
from spacehost.manifest.model import Manifest
from spacehost.manifest.problems import show

HARDWARE_FORMS = ("cpu", "gpu", "gpu:N", "gpu-mem:NNGB", "zero")
_GPU_COUNT_RE = re.compile(r"^gpu:([1-9][0-9]{0,2})$")
_GPU_MEM_RE = re.compile(r"^gpu-mem:([1-9][0-9]{0,3}(?:\.[0-9]+)?)gb$", re.IGNORECASE)


def hardware_request(text: str) -> GpuRequest:
    """What a ``hardware`` value asks for.

    ``cpu`` (no GPU), ``gpu`` (one), ``gpu:N`` (N GPUs), ``gpu-mem:NNGB`` (one GPU with at
    least NN GB), ``zero`` (a shared GPU, like Hugging Face's ZeroGPU).

    Raises:
        ValueError: for any other text, naming the accepted forms.
    """
    value = text.strip()
    if value == "cpu":
        return GpuRequest()
    if value == "gpu":
        return GpuRequest(1)
    if value == "zero":
        return GpuRequest(shared=True)
    if count := _GPU_COUNT_RE.match(value):
        return GpuRequest(int(count.group(1)))
    if mem := _GPU_MEM_RE.match(value):
        return GpuRequest(1, min_memory_gb=float(mem.group(1)))
    raise ValueError(
        f"{show(text)} is not a hardware request; use one of {', '.join(HARDWARE_FORMS)}"
    )


def normalize_hardware(text: str) -> str:
    """The canonical spelling of a valid ``hardware`` value (``gpu-mem:24gb`` -> ``gpu-mem:24GB``).

    Raises:
        ValueError: as :func:`hardware_request`.
    """
    hardware_request(text)
    value = text.strip()
    return value[:-2] + "GB" if value.lower().startswith("gpu-mem:") else value


def gpu_request(manifest: Manifest) -> GpuRequest:
    """The GPU a space asks for: its ``hardware`` field if set, else ``suggested_hardware``.

    Args:
        manifest: a validated manifest (so ``hardware`` parses).

    Returns:
        The request; ``GpuRequest()`` (no GPU) when neither field is set.
    """
    if manifest.hardware:
        return hardware_request(manifest.hardware)
    return gpu_request_for(manifest.suggested_hardware)


def hardware_label(manifest: Manifest) -> str | None:
    """How *manifest* asks for hardware, for messages: ``hardware: gpu:2`` (spacehost's field,
    which wins) or ``suggested_hardware: t4-small``; None when it names none."""
    if manifest.hardware:
        return f"hardware: {manifest.hardware}"
    if manifest.suggested_hardware:
        return f"suggested_hardware: {manifest.suggested_hardware}"
    return None
