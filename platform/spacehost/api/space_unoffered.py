"""Hugging Face Space features this host does not offer, refused by name: dev mode
(``enable_space_dev_mode``, ``hf spaces dev-mode``) and volumes (``set_space_volumes``,
``hf spaces volumes``). Without these routes the client would get a bare 404 and report a
missing repository; here it gets a 501 that says what to do instead."""

from __future__ import annotations

from aiohttp import web

from spacehost.errors import NotSupported


async def dev_mode(request: web.Request) -> web.Response:
    raise NotSupported(
        "dev mode is not offered by spacehost",
        hint="push the change (git push, hf upload, spacehost push): the space redeploys "
        "without downtime; `hf spaces logs -f` follows its run",
    )


async def volumes(request: web.Request) -> web.Response:
    raise NotSupported(
        "volumes are not offered by spacehost",
        hint="every space has its own persistent /data; mount hub repos read-only with "
        "`preload_from_hub` in README.md",
    )
