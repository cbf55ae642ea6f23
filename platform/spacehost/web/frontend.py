"""``GET /static/gradio/{version}/{path}``: the Gradio frontend (``gradio.js`` and the assets it
imports) of exactly that Gradio version, for the ``<gradio-app>`` web component on other sites.

Served offline from ``DATA/frontend/{version}``, extracted on the first request from an image
that has that version: the runtime image ``spacehost/gradio:{version}-py...`` when there is one,
else the image of a space whose README asks for that ``sdk_version``. A version no space or
runtime image has is a 404. Responses are cacheable for a year (``immutable``: the version is in
the path and a version's files never change) and carry ``Access-Control-Allow-Origin: *``,
because module scripts from another origin are fetched in CORS mode.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import docker
from aiohttp import web

from spacehost.builder.frontend import (
    FrontendExtractor,
    frontend_dir,
    image_exists,
    is_version,
    runtime_images_of,
)
from spacehost.errors import NotFound
from spacehost.settings import Settings
from spacehost.store import SpaceRecord

ROUTE = "/static/gradio/{version}/{path:.*}"
CACHE_CONTROL = "public, max-age=31536000, immutable"
# Fixed, ahead of mimetypes (whose answers depend on the host's /etc/mime.types): a module
# script with a wrong type is refused by browsers.
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".txt": "text/plain; charset=utf-8",
}


def content_type(name: str) -> str:
    """The ``Content-Type`` of a frontend file called *name*."""
    return _TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def asset_path(root: Path, rel: str) -> Path | None:
    """The regular file *rel* (a URL path, already percent-decoded) names under *root*, or None.

    Refused: empty names, ``..`` and dot-file segments, NUL bytes, backslashes, and anything
    whose real path (after symbolic links) leaves *root*.
    """
    parts = rel.split("/")
    if not rel or "\0" in rel or "\\" in rel or any(not p or p.startswith(".") for p in parts):
        return None
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, *parts))
    if os.path.commonpath([real_root, real]) != real_root or not os.path.isfile(real):
        return None
    return Path(real)


class GradioFrontends:
    """Finds or extracts the frontend folder of a Gradio version.

    Args:
        settings: the data directory and the runtime images' Gradio version.
        list_spaces: the space records (which spaces run which version, in which image).
        connect: makes the Docker client, on the first extraction only.
    """

    def __init__(
        self,
        settings: Settings,
        list_spaces: Callable[[], Iterable[SpaceRecord]],
        connect: Callable[[], docker.DockerClient],
    ):
        self._settings = settings
        self._list_spaces = list_spaces
        self._connect = connect
        self._extractor: FrontendExtractor | None = None
        self._guard = threading.Lock()

    def folder(self, version: str) -> Path:
        """The extracted frontend of *version* (blocking: may extract it first).

        Raises:
            NotFound: *version* is not a version, or no image here has it.
            BuildFailed: the image found has no usable frontend.
            EngineUnavailable: extraction needs the Engine and it cannot be reached.
        """
        if not is_version(version):
            raise NotFound(
                f"{version!r} is not a Gradio version",
                hint="the path is /static/gradio/VERSION/gradio.js, e.g. 6.31.0",
            )
        ready = frontend_dir(self._settings.data_dir, version)
        if (ready / "gradio.js").is_file():
            return ready
        extractor = self._get_extractor()
        for image in self.images_for(version):
            return extractor.extract(image, version)
        raise NotFound(
            f"no space or runtime image here runs Gradio {version}",
            hint="the web component is served for the Gradio versions of this platform's spaces; "
            "push a space with this sdk_version, or use the version its Embed tab shows",
        )

    def images_for(self, version: str) -> list[str]:
        """Images that have Gradio *version*: runtime images first, then space images."""
        client = self._get_extractor().client
        settings = self._settings
        images = runtime_images_of(client, version)
        for rec in self._list_spaces():
            m = rec.manifest
            if m.get("sdk") != "gradio" or not rec.image:
                continue
            if (m.get("sdk_version") or settings.gradio_version) == version:
                images.append(rec.image)
        return [image for image in dict.fromkeys(images) if image_exists(client, image)]

    def _get_extractor(self) -> FrontendExtractor:
        with self._guard:
            if self._extractor is None:
                self._extractor = FrontendExtractor(self._connect(), self._settings.data_dir)
            return self._extractor


FRONTENDS_KEY = web.AppKey("gradio_frontends", GradioFrontends)


async def gradio_asset(request: web.Request) -> web.StreamResponse:
    """``GET /static/gradio/{version}/{path}``: one file of that version's frontend."""
    frontends = request.app[FRONTENDS_KEY]
    version = request.match_info["version"]
    folder = await asyncio.to_thread(frontends.folder, version)
    path = asset_path(folder, request.match_info["path"])
    if path is None:
        raise NotFound(
            f"no file {request.match_info['path']!r} in the Gradio {version} frontend",
            hint="load gradio.js; it imports the rest",
        )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": content_type(path.name),
            "Cache-Control": CACHE_CONTROL,
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        },
    )


def add_frontend_routes(app: web.Application, frontends: GradioFrontends) -> None:
    """Serve the Gradio frontends at :data:`ROUTE` (GET and HEAD)."""
    app[FRONTENDS_KEY] = frontends
    app.router.add_get(ROUTE, gradio_asset)
