"""What the container was told about GPUs, read once from the environment spacehost sets.

``SPACEHOST_GPU_MODE``:

``shared``
    A ``hardware: zero`` space on a platform with a GPU broker: every ``@spaces.GPU`` call takes
    a lease from the broker over ``SPACEHOST_GPU_SOCKET`` and gives it back when it returns.
``dedicated``
    The space has its own GPU(s): decorated functions run at once.
``cpu``
    The space asked for a GPU but the host has none: decorated functions run on CPU, with a
    warning the first time each one runs.
unset
    Not on spacehost (or an older one): decorated functions run at once, as Hugging Face's
    ``spaces`` does outside ZeroGPU.
"""

from __future__ import annotations

import os

DEFAULT_SOCKET = "/run/spacehost/gpu.sock"


class Config:
    """Hugging Face's ``spaces.config.Config`` names, filled from spacehost's environment."""

    mode: str = os.environ.get("SPACEHOST_GPU_MODE", "")
    socket_path: str = os.environ.get("SPACEHOST_GPU_SOCKET", DEFAULT_SOCKET)
    # how long a call retries reaching the broker (the control plane restarts in ~1 s)
    connect_timeout: float = float(os.environ.get("SPACEHOST_GPU_CONNECT_TIMEOUT", "15"))
    zero_gpu: bool = mode == "shared"
    # Hugging Face can wrap every Gradio function in GPU(); spacehost never does: only
    # decorated functions take a lease (Gradio calls gradio_auto_wrap only with SYSTEM=spaces)
    gradio_auto_wrap: bool = False
