"""Translating the engine's failures during a build into spacehost's errors, once, at the
builder's boundary.

The runtime translates every exception a Docker SDK call can raise (``runtime/engine_errors.py``:
the SDK's own and every ``requests`` one, since it does not wrap transport errors); the builder
caught only ``requests.ConnectionError``, so a ``ReadTimeout`` while building escaped as an
internal error and left the build row "running" (issue 11, A12). Builder and runtime are
independent layers, so the builder has its own translation over the same exception families.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import docker.errors
import requests.exceptions
import urllib3.exceptions

from spacehost.errors import BuildFailed, EngineUnavailable, SpacehostError

# Any of these may come out of a docker SDK call (the SDK does not wrap transport errors).
ENGINE_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException,
                 urllib3.exceptions.HTTPError)  # fmt: skip
_TIMEOUTS = (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError)
P = ParamSpec("P")
R = TypeVar("R")


def _timed_out(exc: BaseException) -> bool:
    """A timeout, also when requests reports urllib3's read timeout as a ConnectionError."""
    seen: BaseException | None = exc
    for _ in range(5):  # the cause chain is short; bounded against a cycle
        if seen is None:
            return False
        if isinstance(seen, _TIMEOUTS) or any(isinstance(a, _TIMEOUTS) for a in seen.args):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def build_engine_error(exc: BaseException, doing: str) -> SpacehostError:
    """The spacehost error for an exception of :data:`ENGINE_ERRORS` raised while *doing*.

    Returns:
        ``BuildFailed`` when the engine refused a request (an API error) or stopped answering
        (a timeout): the build cannot finish and pushing again retries it; ``EngineUnavailable``
        when it cannot be reached at all (refused connection, missing socket): the deploy is
        retried once the engine answers again.
    """
    if isinstance(exc, docker.errors.APIError):
        return BuildFailed(
            f"{doing}: the Docker Engine refused it ({exc.explanation or exc})",
            hint="read the build log; push again to retry",
        )
    if _timed_out(exc):
        return BuildFailed(
            f"{doing}: the Docker Engine stopped answering (timed out: {exc})",
            hint="check that the engine is healthy (`docker info`), then push again or "
            "restart the space with a rebuild",
        )
    return EngineUnavailable(
        f"{doing}: cannot reach the Docker Engine ({exc})",
        hint="start Docker, or point SPACEHOST_DOCKER_URL (or DOCKER_HOST) at a running Engine",
    )


def engine_errors_translated(doing: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a builder entry point so that any of :data:`ENGINE_ERRORS` leaving it is
    raised as :func:`build_engine_error` (spacehost's own errors pass through)."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def translated(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except ENGINE_ERRORS as exc:
                raise build_engine_error(exc, doing) from exc

        return translated

    return decorate
