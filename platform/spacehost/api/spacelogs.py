"""``GET /api/spaces/{owner}/{name}/logs/build`` and ``.../logs/run``: a space's logs as
Hugging Face streams them (huggingface_hub's ``fetch_space_logs``, ``hf spaces logs``).

Server-sent events ``data: {"data": "<line>\\n", "timestamp": "<ISO time>"}``: first the
lines of the newest build (or container run), then new lines as they come. A build log ends
when no build is under way; a run log stays open (with an empty ``data:`` keep-alive now and
then) until the client goes or the space is paused. huggingface_hub's no-follow fetch stops
reading after 5 quiet seconds, or at the first line stamped after the answer's ``Date``; its
follow mode reads on.

spacehost's own clients use ``.../logs?kind=&follow=`` (api/spaces.py), which also sends stages.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from spacehost.api.eventstream import client_connected, open_event_stream, sse
from spacehost.api.hubjson import iso
from spacehost.api.secrets import _platform, _space_id
from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle.facade import Facade
from spacehost.store import LogLine

REPLAY_LINES = 5000  # the most of the newest build's or run's lines sent first
POLL_S = 0.2  # how often the stream looks for new lines in the store
# longer than huggingface_hub's 5 s read timeout of a no-follow fetch, which a quiet stream
# must reach to end; far shorter than its 120 s of a follow
KEEPALIVE_S = 15.0
KEEPALIVE = b"data:\n\n"
BUILDING = (Stage.BUILDING, Stage.RUNNING_BUILDING)


def _event(line: LogLine) -> bytes:
    return sse(None, {"data": line.line + "\n", "timestamp": iso(line.ts)})


def _replay(platform: Facade, space: SpaceId, kind: str) -> tuple[list[LogLine], int]:
    """The newest build's or run's lines, and the id after which new lines are new."""
    refs = platform.queries.log_refs(space, kind, 1)
    lines = platform.queries.logs(space, kind, tail=REPLAY_LINES, ref=refs[0]) if refs else []
    newest = lines or platform.queries.logs(space, kind, tail=1)
    return lines, newest[-1].id if newest else 0


def _ended(platform: Facade, space: SpaceId, kind: str) -> bool:
    """A build log ends when no build is under way, a run log when the space is paused
    (nothing runs until an explicit restart); any log when the space is gone."""
    rec = platform.queries.find_space(space)
    if rec is None:
        return True
    return rec.stage not in BUILDING if kind == "build" else rec.stage is Stage.PAUSED


async def _stream(request: web.Request, kind: str) -> web.StreamResponse:
    platform, space = _platform(request), _space_id(request)
    await asyncio.to_thread(platform.queries.get_space, space)  # SpaceNotFound: 404
    lines, last_id = await asyncio.to_thread(_replay, platform, space, kind)
    resp = await open_event_stream(request)
    for line in lines:
        await resp.write(_event(line))
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    while client_connected(request):
        rows = await asyncio.to_thread(platform.queries.logs, space, kind, after_id=last_id)
        for line in rows:
            await resp.write(_event(line))
            last_id, sent_at = line.id, loop.time()
        if not rows and await asyncio.to_thread(_ended, platform, space, kind):
            break
        if loop.time() - sent_at >= KEEPALIVE_S:
            await resp.write(KEEPALIVE)
            sent_at = loop.time()
        await asyncio.sleep(POLL_S)
    if client_connected(request):
        await resp.write_eof()
    return resp


async def build_logs(request: web.Request) -> web.StreamResponse:
    """The newest build's log, then the lines of builds under way, until none is."""
    return await _stream(request, "build")


async def run_logs(request: web.Request) -> web.StreamResponse:
    """The newest container's log, then every new line, until the client goes."""
    return await _stream(request, "run")
