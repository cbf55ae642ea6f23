"""Who may reach a private space: the visitor's platform credentials, the control plane's answer
for them, and the short-lived cache that keeps that answer off the data path.

The router never decides access itself (:mod:`spacehost.spaceaccess` is the contract): for a
request to a private space it takes the request's platform credentials (a platform token in
``Authorization``, ``X-HF-Authorization``, the platform's cookies), asks the control plane
``GET CHECK_PATH`` with them once, and keeps the answer per (space, credentials) for
``CACHE_ALLOW_S`` (allowed) or ``CACHE_DENY_S`` (denied, whatever the reason: 404, an error, no
answer). Concurrent requests that miss the cache with the same key share one call.

The data path pays one look-up keyed by the request's credential headers as they came
(:func:`raw_credentials`: the same browser sends the same bytes request after request); only on
a miss are they parsed into :data:`Credentials`, the key of the control plane's answers.
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

RawCredentials = tuple[tuple[bytes, bytes], ...]
"""A request's ``Authorization``, ``X-HF-Authorization`` and ``Cookie`` headers, as they came."""

Key = tuple[str, Credentials]
Ask = Callable[[str, Credentials], Awaitable[bool]]
CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-hf-authorization", b"cookie"})

# Entries kept before the cache starts over (each is a few hundred bytes).
MAX_ENTRIES = 10_000
_SPACE_LINE = headernames.wire_name(headernames.SPACE) + b": "


def raw_credentials(headers: Sequence[tuple[bytes, bytes]]) -> RawCredentials:
    """The credential headers of a request (names in lower case), unparsed."""
    return tuple([pair for pair in headers if pair[0] in CREDENTIAL_HEADERS])


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
        max_entries: answers kept (of each kind) before the cache is cleared.
    """

    def __init__(
        self, ask: Ask, clock: Callable[[], float], max_entries: int = MAX_ENTRIES
    ) -> None:
        self.clock = clock
        self.calls = 0  # check calls made (for tests and benchmarks)
        self._ask = ask
        self._max = max_entries
        # (space, credentials) -> (allowed, until): the control plane's answers
        self._answers: dict[Key, tuple[bool, float]] = {}
        # (space, raw credential headers) -> (allowed, until): the same, found without parsing
        self._seen: dict[tuple[str, RawCredentials], tuple[bool, float]] = {}
        self._asking: dict[Key, asyncio.Task[bool]] = {}

    def decide(self, space: str, raw: RawCredentials) -> bool | None:
        """Whether a request with the credential headers *raw* may reach *space*, when that is
        known now: False without platform credentials, the cached answer while it is fresh;
        None when the control plane must be asked (:meth:`ask`)."""
        if not raw:
            return False
        now = self.clock()
        found = self._seen.get((space, raw))
        if found is not None and found[1] > now:
            return found[0]
        creds = credentials(raw)
        if creds is None:
            return False
        found = self._answers.get((space, creds))
        if found is None or found[1] <= now:
            return None
        if len(self._seen) >= self._max:
            self._seen.clear()
        self._seen[(space, raw)] = found
        return found[0]

    def ask(self, space: str, raw: RawCredentials) -> asyncio.Task[bool]:
        """Ask the control plane about the platform credentials of *raw* (there must be some),
        unless a call for the same (space, credentials) is under way; the answer is cached when
        it comes. Await the task through :func:`asyncio.shield`: other requests may share it."""
        creds = credentials(raw)
        if creds is None:
            raise ValueError("no platform credentials to ask about")
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
