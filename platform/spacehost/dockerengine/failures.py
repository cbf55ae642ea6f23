"""What a failed Docker Engine call means, decided in one place.

The Docker SDK raises its own exceptions (``docker.errors``) for answers it understood and lets
``requests``' and ``urllib3``'s through for the transport, so every SDK call can raise any of
:data:`ENGINE_ERRORS`. :func:`classify` sorts one into a :class:`Failure`; the engine could not
be reached (:attr:`Failure.UNREACHABLE`) reads the same for every caller
(:func:`unreachable`: ``EngineUnavailable``, which the lifecycle's recovery retries once the
engine answers). What an answered error or a timeout means depends on what was being done:
:func:`container_error` for container, volume and network calls (the runtime's reading) and
:func:`build_error` for building images (the builder's); connecting and the engine watch's
ping need a working engine, so every failure is ``EngineUnavailable`` there
(:func:`no_engine`). Every message starts with what was
being done, then says what the engine did, then gives its words; the hint says what to do.
"""

from __future__ import annotations

import enum

import docker.errors
import requests.exceptions
import urllib3.exceptions

from spacehost.errors import (
    BuildFailed,
    Conflict,
    EngineUnavailable,
    HardwareUnavailable,
    NotFound,
    SpacehostError,
)

# Any of these may come out of a Docker SDK call: the SDK does not wrap transport errors.
ENGINE_ERRORS = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,
)
# What ``container.wait(timeout=...)`` raises when the container outlived the timeout:
# docker-py reports it as either, depending on the socket.
WAIT_EXPIRED = (
    requests.exceptions.ReadTimeout,
    requests.exceptions.ConnectionError,
)
_TIMEOUTS = (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError)
# Not made at all: unreachable (urllib3's NewConnectionError is a ConnectTimeoutError).
_NOT_CONNECTED = (requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError)

# Engine messages about a container's state; some engines answer them with 500, not 409.
_STATE_MARKERS = ("is not running", "is not paused", "is already paused", "is paused",
                  "is restarting", "marked for removal")  # fmt: skip
# Engine messages that mean the GPU could not be attached (no toolkit, node gone, bad CDI spec).
_GPU_MARKERS = ("could not select device driver", "nvidia", "/dev/", "device")

UNREACHABLE_HINT = (
    "start Docker (`bash scripts/setup.sh` installs and starts one; `docker info` checks it), "
    "or point SPACEHOST_DOCKER_URL (or DOCKER_HOST) at a running Engine"
)
MANAGER_HINT = (
    "start the manager's Docker Engine again (spaces already running on the workers keep "
    "serving meanwhile; nothing can be scheduled until it answers), or point "
    "SPACEHOST_SWARM_URL at a running manager of the swarm (docs/cluster.md)"
)
FAILED_HINT = "check that the Docker Engine is healthy (`docker info`; SPACEHOST_DOCKER_URL)"
TIMED_OUT_HINT = "check that the engine is healthy (`docker info`), then try again"


class Failure(enum.Enum):
    """What went wrong with one engine call."""

    UNREACHABLE = "unreachable"  # no connection: refused, socket missing, reset, no API version
    TIMED_OUT = "timed out"  # connected, but no answer within the client's timeout
    NOT_FOUND = "not found"  # the engine answered 404 (no such container, image, volume)
    CONFLICT = "conflict"  # 409, or a message about the container's state
    FAILED = "failed"  # any other error answer (400, 500)


def classify(exc: BaseException) -> Failure:
    """What *exc*, raised by a Docker SDK call (one of :data:`ENGINE_ERRORS`), means.

    A timeout is recognised also when ``requests`` reports urllib3's read timeout as a
    ``ConnectionError`` (its cause or argument), and a failure the SDK wrapped in a plain
    ``DockerException`` (asking for the API version) is read by its cause. Every exception
    that is no error answer and no timeout means the engine could not be reached; a
    connection that could not be made is that too, though urllib3 files a refused connection
    under its timeouts.
    """
    if type(exc) is docker.errors.DockerException and isinstance(exc.__cause__, ENGINE_ERRORS):
        return classify(exc.__cause__)  # the SDK wraps the failure of its version query
    if isinstance(exc, docker.errors.NotFound):
        return Failure.NOT_FOUND
    if isinstance(exc, docker.errors.APIError):
        if exc.status_code == 409 or any(m in _explanation(exc) for m in _STATE_MARKERS):
            return Failure.CONFLICT
        return Failure.FAILED
    return Failure.TIMED_OUT if _timed_out(exc) else Failure.UNREACHABLE


def unreachable(exc: BaseException, doing: str) -> EngineUnavailable:
    """The error for an engine that cannot be reached while *doing* (``raise ... from exc``)."""
    return EngineUnavailable(describe(Failure.UNREACHABLE, exc, doing), hint=UNREACHABLE_HINT)


def no_engine(exc: BaseException, doing: str) -> EngineUnavailable:
    """The error when *doing* needed a working engine and got none, whatever the failure
    (connecting, the engine watch's ping): ``EngineUnavailable``, its message in the one style
    (an unreachable engine reads as :func:`unreachable`)."""
    return EngineUnavailable(describe(classify(exc), exc, doing), hint=UNREACHABLE_HINT)


def container_error(
    exc: BaseException, doing: str, *, image: str = "", gpu: bool = False
) -> SpacehostError:
    """The spacehost error for a failed container, volume or network call (the runtime's).

    Args:
        exc: the exception raised by the SDK.
        doing: what was being done, for the message, e.g. ``"starting container x"``.
        image: the image involved, so a missing image says which one.
        gpu: whether GPU options were given, so a device failure reads as a hardware problem.

    Returns:
        The error to raise ``from exc``: ``NotFound`` (missing image or object), ``Conflict``
        (the object's state forbids it), ``HardwareUnavailable`` (GPU devices refused) or
        ``EngineUnavailable`` (anything else: the engine is unreachable, stopped answering or
        failed; recovery retries the call's work once it answers).
    """
    failure, explanation = classify(exc), _explanation(exc)
    if failure is Failure.UNREACHABLE:
        return unreachable(exc, doing)
    if isinstance(exc, docker.errors.ImageNotFound) or (
        image and failure is Failure.NOT_FOUND and "image" in explanation.lower()
    ):
        return NotFound(
            f"{doing}: image {image or '?'} not found ({explanation})",
            hint="rebuild the space: its image was removed or never built",
        )
    if failure is Failure.NOT_FOUND:
        return NotFound(
            f"{doing}: not found ({explanation})",
            hint="it was removed meanwhile; refresh the space's state",
        )
    if failure is Failure.CONFLICT:
        return Conflict(
            f"{doing}: refused by the engine ({explanation})",
            hint="the container is not in a state that allows this; check its status",
        )
    if gpu and failure is Failure.FAILED and any(m in explanation.lower() for m in _GPU_MARKERS):
        return HardwareUnavailable(
            f"{doing}: the engine could not attach the GPU ({explanation})",
            hint="check the NVIDIA driver and container toolkit on this host "
            "(see docs/gpu.md), or set SPACEHOST_GPU_FALLBACK=cpu",
        )
    hint = TIMED_OUT_HINT if failure is Failure.TIMED_OUT else FAILED_HINT
    return EngineUnavailable(describe(failure, exc, doing), hint=hint)


def manager_error(
    exc: BaseException, doing: str, manager: str = "", *, image: str = ""
) -> SpacehostError:
    """:func:`container_error` for a call to a Swarm manager (``SPACEHOST_SWARM_URL``): one
    that cannot be reached is named as the manager at *manager*, with what to do about it,
    not as the build engine.

    Returns:
        ``EngineUnavailable`` naming the manager when it cannot be reached, otherwise what
        :func:`container_error` returns.
    """
    if classify(exc) is not Failure.UNREACHABLE:
        return container_error(exc, doing, image=image)
    where = f" at {manager}" if manager else ""
    return EngineUnavailable(
        f"{doing}: cannot reach the Swarm manager{where} ({_explanation(exc)})",
        hint=MANAGER_HINT,
    )


def build_error(
    exc: BaseException,
    doing: str,
    *,
    hint: str = "read the build log; push again to retry",
    details: dict[str, object] | None = None,
) -> SpacehostError:
    """The spacehost error for a failed call while building an image (the builder's).

    Args:
        exc: the exception raised by the SDK.
        doing: what was being done, e.g. ``"building spacehost-space/a--b:0123456789ab"``.
        hint: what to do when the engine refused the build.
        details: the ``BuildFailed``'s details (the step, the log's tail).

    Returns:
        ``EngineUnavailable`` when the engine cannot be reached (the deploy is retried once it
        answers); otherwise ``BuildFailed``: the engine refused a request or stopped answering
        (a timeout), so the build cannot finish and pushing again retries it.
    """
    failure = classify(exc)
    if failure is Failure.UNREACHABLE:
        return unreachable(exc, doing)
    if failure is Failure.TIMED_OUT:
        hint = (
            "check that the engine is healthy (`docker info`), then push again or "
            "restart the space with a rebuild"
        )
    return BuildFailed(describe(failure, exc, doing), hint=hint, details=details)


def describe(failure: Failure, exc: BaseException, doing: str) -> str:
    """The one message style: what was being done, what the engine did, in its words."""
    if failure is Failure.UNREACHABLE:
        return f"{doing}: cannot reach the Docker Engine ({_explanation(exc)})"
    if failure is Failure.TIMED_OUT:
        return f"{doing}: the Docker Engine stopped answering (timed out: {_explanation(exc)})"
    return f"{doing}: the Docker Engine refused it ({_explanation(exc)})"


def _timed_out(exc: BaseException) -> bool:
    """A timeout, also when requests reports urllib3's read timeout as a ConnectionError."""
    seen: BaseException | None = exc
    for _ in range(8):  # the cause chain is short; bounded against a cycle
        if seen is None:
            return False
        found = (seen, *seen.args)
        if any(isinstance(a, _NOT_CONNECTED) for a in found):
            return False
        if any(isinstance(a, _TIMEOUTS) for a in found):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _explanation(exc: BaseException) -> str:
    if isinstance(exc, docker.errors.APIError) and exc.explanation:
        return str(exc.explanation)
    return str(exc) or type(exc).__name__
