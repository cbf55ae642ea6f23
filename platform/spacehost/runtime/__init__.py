"""spacehost.runtime: runs space containers (layer 2; never imports store, builder, lifecycle).

``DockerBackend`` is the default backend; the lifecycle layer sees only ``RuntimeBackend``.
GPU discovery and options live in :mod:`spacehost.runtime.gpu`.
"""

from spacehost.runtime.base import (
    ContainerInfo,
    ContainerSpec,
    Mount,
    RuntimeBackend,
    TaskResult,
)
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import GpuHost, GpuOptions, discover_gpu_host, gpu_run_options

__all__ = [
    "ContainerInfo",
    "ContainerSpec",
    "DockerBackend",
    "GpuHost",
    "GpuOptions",
    "Mount",
    "RuntimeBackend",
    "TaskResult",
    "discover_gpu_host",
    "gpu_run_options",
]
