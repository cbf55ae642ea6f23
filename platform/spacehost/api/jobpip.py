"""``GET /api/jobs-pip/N/...``: the package index jobs install from (builder/jobindex.py,
docs/jobs.md "uv scripts") -- the host's local pip sources, read-only, as the builds' local
mirror serves them (builder/mirror.py): folder pages (a folder's own ``index.html``, else a
listing pip's and uv's find-links read) and package files, only under the served folders.

No token: a job's ``uv`` and ``pip`` send none, and what is served is what any build of this
platform gets (packages, never other files).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from spacehost.appkeys import JOBS
from spacehost.builder.jobindex import JOB_INDEX_PATH
from spacehost.builder.mirror import render_listing, resolve_path
from spacehost.errors import NotFound


def _roots(request: web.Request) -> list[Path]:
    return [Path(r).resolve() for r in request.app[JOBS].package_index.roots]


async def pip_file(request: web.Request) -> web.StreamResponse:
    """A folder page or a package file of the jobs' index."""
    tail = request.match_info["path"]
    target = resolve_path(_roots(request), "/" + tail)
    if target is None:
        raise NotFound(
            f"{JOB_INDEX_PATH}/{tail} is not in the jobs' package index",
            hint="the index offers the host's local pip sources only (docs/jobs.md, 'uv scripts')",
        )
    if target.is_dir():
        if not request.path.endswith("/"):  # relative links resolve against the folder
            raise web.HTTPMovedPermanently(request.path + "/")
        index = target / "index.html"
        if index.is_file():
            return web.FileResponse(index, headers={"Content-Type": "text/html; charset=utf-8"})
        page = render_listing(target, request.path)
        return web.Response(body=page, content_type="text/html", charset="utf-8")
    return web.FileResponse(target, headers={"Content-Type": "application/octet-stream"})


def add_job_pip_routes(app: web.Application) -> None:
    app.router.add_get(JOB_INDEX_PATH + "/{path:.*}", pip_file)
