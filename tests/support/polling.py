"""Waiting for a condition in tests: poll it until it holds, fail with what was awaited.

Tests never ``sleep()`` a guessed time for something to happen (ARCHITECTURE, Habits): they
poll. ``wait_for`` blocks the calling thread; ``wait_for_async`` is the same poll for a test
running on an event loop (a blocking poll would stall the loop that must make the condition
true). Both fail with ``AssertionError: timed out after N s waiting for WHAT``.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_INTERVAL_S = 0.05
ASYNC_INTERVAL_S = 0.02


@dataclass(frozen=True)
class _Deadline:
    timeout: float
    what: str
    at: float

    @classmethod
    def after(cls, timeout: float, what: str) -> _Deadline:
        return cls(timeout, what, time.monotonic() + timeout)

    def check(self) -> None:
        """Fail when the deadline has passed."""
        if time.monotonic() > self.at:
            raise AssertionError(f"timed out after {self.timeout:g} s waiting for {self.what}")


def wait_for(
    cond: Callable[[], T],
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = DEFAULT_INTERVAL_S,
    what: str = "condition",
) -> T:
    """Poll *cond* until it returns something truthy, and return that.

    Raises:
        AssertionError: *timeout* seconds passed first; the message names *what*.
    """
    deadline = _Deadline.after(timeout, what)
    while True:
        value = cond()
        if value:
            return value
        deadline.check()
        time.sleep(interval)


async def wait_for_async(
    cond: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,
    interval: float = ASYNC_INTERVAL_S,
    what: str = "condition",
) -> T:
    """Poll *cond* (a plain or an async function) on the running loop until it returns
    something truthy, and return that; the loop runs on between polls.

    Raises:
        AssertionError: *timeout* seconds passed first; the message names *what*.
    """
    deadline = _Deadline.after(timeout, what)
    while True:
        value = cond()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        deadline.check()
        await asyncio.sleep(interval)
