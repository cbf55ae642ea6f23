"""The control plane's whole application (server/control.py ``make_app``: API, pages, the
middlewares that decide access) over a unit-test platform, driven by aiohttp's test client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from spacehost.server.control import make_app
from tests.support.platforms import fake_settings, platform_in

OPERATOR = "sh_operator-token"
"""The platform's own token in these apps (an admin's)."""

Scenario = Callable[[TestClient[Any, Any]], Awaitable[None]]


def run_control_app(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    """Run *scenario* against the control plane of a platform in *tmp_path* (its settings:
    ``fake_settings`` with *settings*)."""
    with platform_in(tmp_path, settings=fake_settings(tmp_path, **settings)) as platform:

        async def main() -> None:
            async with TestClient(TestServer(make_app(platform, OPERATOR))) as client:
                await scenario(client)

        asyncio.run(main())
