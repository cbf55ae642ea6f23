"""The control plane's whole application (server/control.py ``make_app``) over a unit-test
platform, served on a real loopback port from a thread, so that outside clients (huggingface_hub
in a fresh process, pointed at it with ``HF_ENDPOINT``) talk to it as to ``spacehost up``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from spacehost.lifecycle import Platform
from spacehost.server.control import make_app
from tests.support.platforms import fake_settings, platform_in
from tests.support.served_app import served

OPERATOR = "sh_operator-token"


@dataclass
class LiveControl:
    url: str
    platform: Platform
    app: web.Application


@contextlib.contextmanager
def live_control(tmp_path: Path, **settings: Any) -> Iterator[LiveControl]:
    """Serve the control plane of a platform in *tmp_path* (``fake_settings`` with *settings*)
    on ``127.0.0.1`` until the block ends."""
    with platform_in(tmp_path, settings=fake_settings(tmp_path, **settings)) as platform:
        app = make_app(platform, OPERATOR)
        with served(app) as url:
            yield LiveControl(url, platform, app)
