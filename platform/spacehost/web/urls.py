"""The URLs a page links to for a space, computed from the settings. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from spacehost.domain import SpaceId
from spacehost.lifecycle.contract import space_host
from spacehost.settings import Settings


@dataclass(frozen=True)
class SpaceUrls:
    """Where a space lives.

    Attributes:
        host: the app on its own host, ``http://owner-name.domain:port/`` (what to open, embed
            and call from code).
        path: the app under the platform's base URL, ``{base}/spaces/owner/name/``.
        page: the space's page on the platform, ``{base}/spaces/owner/name``.
    """

    host: str
    path: str
    page: str


def space_urls(space: SpaceId, settings: Settings) -> SpaceUrls:
    """The URLs of *space* under *settings* (the same as the API's ``urls``)."""
    base = settings.base_url
    scheme = base.split("://", 1)[0]
    return SpaceUrls(host=f"{scheme}://{space_host(space, settings)}/",
                     path=f"{base}/spaces/{space}/", page=f"{base}/spaces/{space}")


def gradio_js_url(settings: Settings, gradio_version: str) -> str:
    """The ``gradio.js`` spacehost serves for *gradio_version* (never a CDN's)."""
    return f"{settings.base_url}/static/gradio/{gradio_version}/gradio.js"
