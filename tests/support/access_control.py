"""A stand-in control plane for the router's private-space tests and benchmark: a real aiohttp
server on the Unix socket the router calls, answering ``spaceaccess.CHECK_PATH`` from a table
and echoing every other request (what the router forwarded) so tests can compare answers.

A check is allowed when one of the space's credentials (a token or a ``name=value`` cookie)
is the token of the call's ``Authorization`` or ``X-HF-Authorization`` (Bearer or Basic, read as
the control plane reads them) or appears in its ``Cookie``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from spacehost.spaceaccess import ALLOWED, CHECK_PATH, DENIED, bearer_value


@dataclass
class AccessControl:
    """The table and what was asked.

    Attributes:
        allowed: space -> the credentials (substrings of a credential header) that may read it.
        checks: the headers of each check call, in order (lower-case names).
        forwarded: every other request as received: method, path, headers.
        gate: when set, check calls wait until it is set (to hold calls in flight).
    """

    allowed: dict[str, set[str]] = field(default_factory=dict)
    checks: list[dict[str, str]] = field(default_factory=list)
    forwarded: list[dict[str, Any]] = field(default_factory=list)
    gate: asyncio.Event | None = None

    def decide(self, headers: dict[str, str]) -> bool:
        passes = self.allowed.get(headers.get("x-spacehost-space", ""), set())
        tokens = {bearer_value(headers.get(h, "")) for h in ("authorization", "x-hf-authorization")}
        cookie = headers.get("cookie", "")
        return any(p in tokens or (p.startswith("spacehost_") and p in cookie) for p in passes)


def access_control_app(ac: AccessControl) -> web.Application:
    """The stand-in control plane's routes."""

    async def check(request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        ac.checks.append(headers)
        if ac.gate is not None:
            await ac.gate.wait()
        return web.Response(status=ALLOWED if ac.decide(headers) else DENIED)

    async def echo(request: web.Request) -> web.Response:
        await request.read()
        seen = {
            "control": True,
            "method": request.method,
            "path": request.path_qs,
            "headers": [[k.lower(), v] for k, v in request.headers.items()],
        }
        ac.forwarded.append(seen)
        status = 404 if "X-Spacehost-Space" in request.headers else 200
        return web.json_response(seen, status=status)

    app = web.Application()
    app.router.add_get(CHECK_PATH, check)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def serve_access_control(
    socket_path: str, ac: AccessControl
) -> Callable[[], Awaitable[None]]:
    """Serve *ac* on *socket_path*; returns the coroutine function that stops it."""
    runner = web.AppRunner(access_control_app(ac))
    await runner.setup()
    await web.UnixSite(runner, socket_path).start()
    return runner.cleanup
