"""spacehost's ``spaces`` package: Hugging Face's ``@spaces.GPU`` for self-hosted GPUs.

``@spaces.GPU`` takes a lease on a shared GPU from spacehost's broker for the length of each
call (``hardware: zero`` spaces), runs at once on a space with its own GPU, and runs on CPU with
a warning on a host without one. Pure standard library; see spacehost's docs/gpu.md.
"""

from __future__ import annotations

from spaces import config, zero
from spaces._gpu import GPU, GPUTaskAborted

__version__ = "0.1.0+spacehost"
__all__ = ["GPU", "GPUTaskAborted", "config", "disable_gradio_auto_wrap",
           "enable_gradio_auto_wrap", "gradio_auto_wrap", "zero"]

_auto_wrap = config.Config.gradio_auto_wrap


def gradio_auto_wrap(task):  # type: ignore[no-untyped-def]
    """Gradio calls this on every event function when ``SYSTEM=spaces`` is set (spacehost does
    not set it); functions are wrapped only when auto-wrap was enabled."""
    if not _auto_wrap or not callable(task):
        return task
    return GPU(task)


def disable_gradio_auto_wrap() -> None:
    global _auto_wrap
    _auto_wrap = False


def enable_gradio_auto_wrap() -> None:
    global _auto_wrap
    _auto_wrap = True
