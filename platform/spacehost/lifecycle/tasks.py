"""The deploy pool: deploys and other space work run on a small thread pool, and the build
under way of each space can be cancelled (a newer push or a delete supersedes it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from spacehost.domain import SpaceId


class Tasks:
    """The pool of one platform's deploys, and its builds under way.

    Args:
        max_parallel: how many tasks run at once.
    """

    def __init__(self, max_parallel: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_parallel, thread_name_prefix="deploy")
        self._guard = threading.Lock()
        self._pending: set[Future[None]] = set()
        self._builds: dict[SpaceId, tuple[str, threading.Event]] = {}  # cancels, by space

    def submit(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        """Run *fn(*args)* on the pool (counted by :meth:`wait_idle`); it takes the space's
        lock itself when it needs it."""
        fut = self._pool.submit(fn, *args)
        with self._guard:
            self._pending.add(fut)
        fut.add_done_callback(self._forget)
        return fut

    def _forget(self, fut: Future[None]) -> None:
        with self._guard:
            self._pending.discard(fut)

    def building(self, space: SpaceId, revision: str) -> threading.Event:
        """Register a build of *revision* of *space*; the event returned is set to cancel
        it (:meth:`cancel_build`). Call :meth:`built` when it ends."""
        cancel = threading.Event()
        with self._guard:
            self._builds[space] = (revision, cancel)
        return cancel

    def built(self, space: SpaceId, cancel: threading.Event) -> None:
        """The build registered with *cancel* ended."""
        with self._guard:
            if self._builds.get(space, ("", None))[1] is cancel:
                del self._builds[space]

    def cancel_build(self, space: SpaceId, unless: str | None = None) -> bool:
        """Stop *space*'s build under way, unless it builds revision *unless*; True when one
        was stopped."""
        with self._guard:
            revision, cancel = self._builds.get(space, ("", None))
        if cancel is None or revision == unless:
            return False
        cancel.set()
        return True

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until no task is queued or running (for tests and benchmarks)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._guard:
                if not self._pending:
                    return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        """Stop taking tasks; queued ones are cancelled, running ones run to their end."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class Redeploy(Protocol):
    """Deploy *revision* of *space* in the background (deploy.py's ``Deployer.submit``);
    *reuse_image* starts the image the space last ran for it without building."""

    def __call__(
        self, space: SpaceId, revision: str, *, nocache: bool = False, reuse_image: bool = False
    ) -> Future[None]: ...
