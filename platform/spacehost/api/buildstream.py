"""Server-sent events of one deploy's build: ``GET /api/spaces/o/n/logs?kind=build&follow=1
&since_build=N[&revision=SHA]``.

A push or restart answers with ``sinceBuild`` (the space's newest build before it). The stream
waits for the first build after that one (of *revision*, when given), sends its lines and stage
changes, and ends with an ``event: build`` that says how the build ended; it also ends when the
deploy goes on without a build (a configuration error, a static space) or a newer push takes
over. Earlier builds' lines are never sent.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from spacehost.api.eventstream import client_connected, open_event_stream, send_stage, sse
from spacehost.builder.buildlog import concise
from spacehost.domain import SpaceId, Stage
from spacehost.errors import InvalidRequest
from spacehost.lifecycle.facade import Facade
from spacehost.store import BuildRecord, SpaceRecord

POLL_S = 0.2  # how often the stream looks for new lines in the store
BUILDING = (Stage.BUILDING, Stage.RUNNING_BUILDING)


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None


def since_build_arg(request: web.Request) -> int | None:
    """``since_build`` as a build id; None when not given.

    Raises:
        InvalidRequest: not a whole number >= 0.
    """
    raw = request.query.get("since_build")
    if raw is None:
        return None
    if not raw.isdigit():
        raise InvalidRequest(
            f"since_build must be a build id (a whole number), not {raw!r}",
            hint="use the sinceBuild of the push or restart response",
        )
    return int(raw)


def full_log(request: web.Request) -> bool:
    """``full=1``: every line of a build log, not just the concise one (builder/buildlog.py)."""
    return request.query.get("full", "") in ("1", "true")


def first_build_after(
    builds: list[BuildRecord], since: int, revision: str | None
) -> BuildRecord | None:
    """The oldest of *builds* newer than build *since* (of *revision*, when given)."""
    newer = [b for b in builds if b.id > since and revision in (None, b.revision)]
    return min(newer, key=lambda b: b.id) if newer else None


def without_build(rec: SpaceRecord, revision: str | None) -> bool:
    """True when the deploy being waited for will not build: the space left the building
    stages without one, or a newer push replaced the revision."""
    return rec.stage not in BUILDING or (revision is not None and rec.revision != revision)


async def follow_build(
    request: web.Request, platform: Facade, space: SpaceId, since: int, revision: str | None
) -> web.StreamResponse:
    """Stream the build that follows build *since* (see the module's docstring)."""
    queries = platform.queries
    full = full_log(request)
    resp = await open_event_stream(request)
    build: BuildRecord | None = None
    last_id, stage = 0, None
    while client_connected(request):
        rec = await asyncio.to_thread(queries.find_space, space)
        if rec is None:
            break
        stage = await send_stage(resp, rec, stage)
        builds = await asyncio.to_thread(queries.builds, space, 20)
        build = first_build_after(builds, since, revision)
        if build is None:
            if without_build(rec, revision):
                break
            await asyncio.sleep(POLL_S)
            continue
        rows = await asyncio.to_thread(
            queries.logs, space, "build", after_id=last_id, ref=f"build-{build.id}"
        )
        for ln in rows:
            if full or concise(ln.line):
                await resp.write(sse(None, {"data": ln.line, "timestamp": iso(ln.ts)}))
            last_id = ln.id
        if build.status != "running" and not rows:  # read before the lines: none comes later
            await resp.write(
                sse(
                    "build",
                    {
                        "id": build.id,
                        "revision": build.revision,
                        "status": build.status,
                        "error": build.error or None,
                    },
                )
            )
            break
        await asyncio.sleep(POLL_S)
    if client_connected(request):
        await resp.write_eof()
    return resp
