"""The control plane's HTTP API served in-process for unit tests (aiohttp's test server): a
scenario gets a ``call(method, path, **kwargs)`` and talks to the real routes and middleware.

``serve_api`` serves the space API over a platform (tests/support/platforms.py);
``serve_hub_api`` the hub's and Xet's routes over a ``HubStore`` alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from spacehost import appkeys
from spacehost.api import add_routes, error_middleware
from spacehost.api.hub import add_hub_routes
from spacehost.api.xet import add_xet_routes
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.lifecycle import Platform
from spacehost.settings import Settings
from spacehost.store import HubStore

TOKEN = "sh_test_token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# The space the API tests' ``platform`` fixture has pushed (tests/unit/api/conftest.py).
DEMO = SpaceId("alice", "demo")
DEMO_BASE = "/api/spaces/alice/demo"
DEMO_FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}

# call(method, path, **kwargs) -> (status, JSON body)
ApiCall = Callable[..., Awaitable[tuple[int, Any]]]
# call(method, path, **kwargs) -> the response, its body already read
HubCall = Callable[..., Awaitable[ClientResponse]]


def serve_api(platform: Platform, scenario: Callable[[ApiCall], Awaitable[None]]) -> None:
    """Serve the API for *platform* (token :data:`TOKEN`) and run *scenario* against it."""

    async def raw(call: HubCall) -> None:
        async def json_call(method: str, path: str, **kw: Any) -> tuple[int, Any]:
            resp = await call(method, path, **kw)
            return resp.status, await resp.json()

        await scenario(json_call)

    serve_api_responses(platform, raw)


def serve_api_responses(platform: Platform, scenario: Callable[[HubCall], Awaitable[None]]) -> None:
    """:func:`serve_api` where *scenario*'s ``call`` gives the whole response (headers, and
    bodies that are not JSON), its body already read unless the call says ``stream=True``
    (an event stream that does not end: read ``resp.content`` as it comes)."""

    async def main() -> None:
        app = web.Application(middlewares=[error_middleware])
        # the typed keys that spacehost.server.control uses
        app[appkeys.PLATFORM], app[appkeys.TOKEN] = platform, TOKEN
        app[appkeys.ACCOUNTS] = Accounts(platform.settings.identity_db, TOKEN)
        add_routes(app)
        async with TestClient(TestServer(app)) as client:

            async def call(method: str, path: str, **kw: Any) -> ClientResponse:
                stream = kw.pop("stream", False)
                resp = await client.request(method, path, **kw)
                if not stream:
                    await resp.read()
                return resp

            await scenario(call)

    asyncio.run(main())


def serve_hub_api(
    hub: HubStore,
    scenario: Callable[[HubCall], Awaitable[None]],
    *,
    limit: int = 1 << 30,
    xet: bool = False,
) -> None:
    """Run *scenario* against the hub's routes (and its Xet routes, on when *xet*) over real
    HTTP, with uploads limited to *limit* bytes."""

    async def main() -> None:
        app = web.Application(middlewares=[error_middleware])
        settings = Settings(data_dir=hub.root.parent, max_hub_upload_bytes=limit, hub_xet=xet)
        app[appkeys.PLATFORM] = SimpleNamespace(settings=settings)
        app[appkeys.TOKEN], app[appkeys.HUB] = TOKEN, hub
        app[appkeys.ACCOUNTS] = Accounts(settings.identity_db, TOKEN)
        add_hub_routes(app)
        add_xet_routes(app)
        async with TestClient(TestServer(app)) as client:

            async def call(method: str, path: str, **kw: Any) -> ClientResponse:
                resp = await client.request(method, path, **kw)
                await resp.read()
                return resp

            await scenario(call)

    asyncio.run(main())
