"""The one way builder, runtime and server turn a Docker SDK exception into spacehost's: a
context manager that is also a decorator, like httpx's single translation point."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import TracebackType

from spacehost.dockerengine.failures import ENGINE_ERRORS, container_error
from spacehost.errors import SpacehostError

Reading = Callable[[BaseException, str], SpacehostError]


class translated(contextlib.ContextDecorator):  # lower case: used like a function
    """Raise any of :data:`~spacehost.dockerengine.failures.ENGINE_ERRORS` that leaves the
    block (or the decorated function) as ``reading(exc, doing)``, ``from`` it.

    Args:
        doing: what the block does, starting the message (``"listing containers"``).
        reading: what a failure means here: :func:`~.failures.container_error` (the default)
            or :func:`~.failures.build_error`. Either says ``EngineUnavailable`` when the
            engine cannot be reached. spacehost's own errors and any other exception pass.
    """

    def __init__(self, doing: str, reading: Reading = container_error) -> None:
        self.doing = doing
        self.reading = reading

    def __enter__(self) -> translated:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, ENGINE_ERRORS):
            raise self.reading(exc, self.doing) from exc
