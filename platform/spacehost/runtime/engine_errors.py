"""Translating the Docker SDK's exceptions into spacehost's, once, at the runtime's boundary."""

from __future__ import annotations

from docker.errors import APIError, DockerException, ImageNotFound
from docker.errors import NotFound as DockerNotFound
from requests.exceptions import RequestException

from spacehost.errors import (
    Conflict,
    EngineUnavailable,
    HardwareUnavailable,
    NotFound,
    SpacehostError,
)

# Any of these may come out of a docker SDK call: the SDK does not wrap transport errors.
ENGINE_ERRORS = (DockerException, RequestException)

# Engine messages about a container's state; some engines answer them with 500, not 409.
_STATE_MARKERS = ("is not running", "is not paused", "is already paused", "is paused",
                  "is restarting", "marked for removal")  # fmt: skip
# Engine messages that mean the GPU could not be attached (no toolkit, node gone, bad CDI spec).
_GPU_MARKERS = ("could not select device driver", "nvidia", "/dev/", "device")


def translate(
    exc: BaseException, doing: str, *, image: str = "", gpu: bool = False
) -> SpacehostError:
    """The spacehost error for a Docker SDK (or ``requests``) exception.

    Args:
        exc: the exception raised by the SDK.
        doing: what was being done, for the message, e.g. ``"starting container x"``.
        image: the image involved, so a missing image says which one.
        gpu: whether GPU options were given, so a device failure reads as a hardware problem.

    Returns:
        The error to raise ``from exc``: ``NotFound`` (missing image or object), ``Conflict``
        (the object's state forbids it), ``HardwareUnavailable`` (GPU devices refused) or
        ``EngineUnavailable`` (anything else: the engine is down or failed).
    """
    explanation = _explanation(exc)
    if isinstance(exc, ImageNotFound) or (image and isinstance(exc, DockerNotFound)
                                          and "image" in explanation.lower()):  # fmt: skip
        return NotFound(
            f"{doing}: image {image or '?'} not found ({explanation})",
            hint="rebuild the space: its image was removed or never built",
        )
    if isinstance(exc, DockerNotFound):
        return NotFound(
            f"{doing}: not found ({explanation})",
            hint="it was removed meanwhile; refresh the space's state",
        )
    if isinstance(exc, APIError) and (
        exc.status_code == 409 or any(m in explanation for m in _STATE_MARKERS)
    ):
        return Conflict(
            f"{doing}: refused by the engine ({explanation})",
            hint="the container is not in a state that allows this; check its status",
        )
    if gpu and isinstance(exc, APIError) and any(m in explanation.lower() for m in _GPU_MARKERS):
        return HardwareUnavailable(
            f"{doing}: the engine could not attach the GPU ({explanation})",
            hint="check the NVIDIA driver and container toolkit on this host "
            "(see docs/gpu.md), or set SPACEHOST_GPU_FALLBACK=cpu",
        )
    return EngineUnavailable(
        f"{doing}: the Docker engine failed ({explanation})",
        hint="check that the Docker engine is running and reachable "
        "(docker info; SPACEHOST_DOCKER_URL)",
    )


def _explanation(exc: BaseException) -> str:
    if isinstance(exc, APIError) and exc.explanation:
        return str(exc.explanation)
    return str(exc) or type(exc).__name__
