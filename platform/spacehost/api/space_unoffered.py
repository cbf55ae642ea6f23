"""Hugging Face Space features this host does not offer, refused by name: dev mode
(``enable_space_dev_mode``, ``hf spaces dev-mode``). Without this route the client would get a
bare 404 and report a missing repository; here it gets a 501 that says what to do instead.
(Volumes are offered: api/spacevolumes.py.)"""

from __future__ import annotations

from aiohttp import web

from spacehost.errors import NotSupported


async def dev_mode(request: web.Request) -> web.Response:
    raise NotSupported(
        "dev mode is not offered by spacehost",
        hint="push the change (git push, hf upload, spacehost push): the space redeploys "
        "without downtime; `hf spaces logs -f` follows its run",
    )
