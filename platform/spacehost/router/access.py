"""Who may reach a private space: the visitor's platform credentials, the control plane's answer
for them, and the short-lived cache that keeps that answer off the data path.

The router never decides access itself (:mod:`spacehost.spaceaccess` is the contract): for a
request to a private space it takes the request's platform credentials (a platform token in
``Authorization``, ``X-HF-Authorization``, the platform's cookies), asks the control plane
``GET CHECK_PATH`` with them once, and keeps the answer per (space, credentials) for
``CACHE_ALLOW_S`` (allowed) or ``CACHE_DENY_S`` (denied, whatever the reason: 404, an error, no
answer). Concurrent requests that miss the cache with the same key share one call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from spacehost import headernames
from spacehost.router.controlcall import control_status
from spacehost.spaceaccess import (
    ALLOWED,
    CACHE_ALLOW_S,
    CACHE_DENY_S,
    CHECK_PATH,
    has_platform_cookie,
    is_platform_authorization,
    platform_cookies,
)

Credentials = tuple[bytes, bytes, bytes]
"""A request's platform credentials: ``Authorization`` (only when it carries a platform token),
``X-HF-Authorization``, and the platform's cookies of ``Cookie``; b"" for each one absent."""

Key = tuple[str, Credentials]
Ask = Callable[[str, Credentials], Awaitable[bool]]

# Entries kept before the cache starts over (each is a few hundred bytes).
MAX_ENTRIES = 10_000
_SPACE_LINE = headernames.wire_name(headernames.SPACE) + b": "


def credentials(headers: Sequence[tuple[bytes, bytes]]) -> Credentials | None:
    """The platform credentials of a request's headers (names in lower case), or None when it
    carries none (then no check is needed: it is denied)."""
    auth = hf = cookie = b""
    for name, value in headers:
        if name == b"authorization":
            if not auth and is_platform_authorization(value):
                auth = value
        elif name == b"x-hf-authorization":
            hf = hf or value
        elif name == b"cookie" and has_platform_cookie(value):
            mine = platform_cookies(value)
            cookie = cookie + b"; " + mine if cookie and mine else cookie or mine
    if not (auth or hf or cookie):
        return None
    return auth, hf, cookie


def check_headers(space: str, creds: Credentials) -> bytes:
    """The header lines of the check call for *space* with *creds*."""
    auth, hf, cookie = creds
    lines = [_SPACE_LINE + space.encode("latin-1") + b"\r\n"]
    if auth:
        lines.append(b"authorization: " + auth + b"\r\n")
    if hf:
        lines.append(b"x-hf-authorization: " + hf + b"\r\n")
    if cookie:
        lines.append(b"cookie: " + cookie + b"\r\n")
    return b"".join(lines)


def control_check(socket_path: str) -> Ask:
    """The check call on the control plane at *socket_path*: True only for its ``ALLOWED``."""

    async def ask(space: str, creds: Credentials) -> bool:
        status = await control_status(socket_path, "GET", CHECK_PATH, check_headers(space, creds))
        return status == ALLOWED

    return ask


class SpaceAccess:
    """The control plane's answers, cached, and the calls under way.

    Args:
        ask: the check call (:func:`control_check` in the router).
        clock: monotonic seconds (the event loop's ``time``); tests replace :attr:`clock`.
        max_entries: answers kept before the cache is cleared.
    """

    def __init__(
        self, ask: Ask, clock: Callable[[], float], max_entries: int = MAX_ENTRIES
    ) -> None:
        self.clock = clock
        self.calls = 0  # check calls made (for tests and benchmarks)
        self._ask = ask
        self._max = max_entries
        self._answers: dict[Key, tuple[bool, float]] = {}
        self._asking: dict[Key, asyncio.Task[bool]] = {}

    def cached(self, space: str, creds: Credentials) -> bool | None:
        """The answer for *creds* on *space* while it is fresh, else None (ask)."""
        found = self._answers.get((space, creds))
        if found is None or found[1] <= self.clock():
            return None
        return found[0]

    def ask(self, space: str, creds: Credentials) -> asyncio.Task[bool]:
        """Ask the control plane, unless a call for the same key is under way; the answer is
        cached when it comes. Await the task through :func:`asyncio.shield`: other requests
        may share it."""
        key = (space, creds)
        task = self._asking.get(key)
        if task is None:
            self.calls += 1
            task = asyncio.get_running_loop().create_task(self._call(key))
            self._asking[key] = task
        return task

    async def _call(self, key: Key) -> bool:
        try:
            allowed = await self._ask(*key)
        finally:
            self._asking.pop(key, None)
        self._remember(key, allowed)
        return allowed

    def _remember(self, key: Key, allowed: bool) -> None:
        if len(self._answers) >= self._max:
            self._answers.clear()
        ttl = CACHE_ALLOW_S if allowed else CACHE_DENY_S
        self._answers[key] = (allowed, self.clock() + ttl)
