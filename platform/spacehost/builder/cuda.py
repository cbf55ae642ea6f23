"""Which runtime image a GPU space builds on. Pure.

On a host with GPUs, a space that asks for one (``hardware: gpu``, ``zero``, a GPU flavor in
``suggested_hardware``) builds on the CUDA runtime: the python layer made from
``SPACEHOST_GPU_BASE_IMAGE`` (an operator's image with Python and a CUDA torch, such as
``spacehost/gpu-host:local``) or from the usual Python base, then the CUDA layer
(``runtime_images/cuda``: torch from the base image, or ``SPACEHOST_GPU_TORCH`` installed from
the index), then gradio. CPU spaces, and every space on a host without GPUs, stay on the CPU
runtime.
"""

from __future__ import annotations

from spacehost.builder.contract import CONTRACT
from spacehost.builder.pythons import PythonChoice
from spacehost.builder.runtime_images import base_label
from spacehost.manifest import gpu_request
from spacehost.manifest.model import Manifest
from spacehost.settings import Settings

# the "version" of a python layer made from an operator's image: its Python is its own
IMAGE_PYTHON = "image"


def wants_cuda(manifest: Manifest, host_has_gpu: bool) -> bool:
    """True when *manifest* asks for a GPU (dedicated or shared) and the host has one."""
    return host_has_gpu and gpu_request(manifest).wants_gpu


def cuda_choice(settings: Settings, cpu_choice: PythonChoice) -> PythonChoice:
    """The python layer the CUDA runtime goes on: the operator's image when configured (its
    own Python, whatever the space asked), else the space's usual Python base."""
    if settings.gpu_base_image:
        return PythonChoice(version=IMAGE_PYTHON, base=settings.gpu_base_image)
    return cpu_choice


def cuda_image_tag(choice: PythonChoice) -> str:
    """-> ``"spacehost/cuda:py3.11-bookworm-hf1"``,
    ``"spacehost/cuda:pyimage-gpu-host-local-hf1"``."""
    return f"spacehost/cuda:py{choice.version}-{base_label(choice.base)}-{CONTRACT}"


def cuda_gradio_tag(gradio_version: str, choice: PythonChoice) -> str:
    """-> ``"spacehost/gradio-cuda:6.31.0-py3.11-bookworm-hf1"``."""
    label = base_label(choice.base)
    return f"spacehost/gradio-cuda:{gradio_version}-py{choice.version}-{label}-{CONTRACT}"
