"""Server-sent events as the API's followed logs send them: the response, one event, and
whether the client is still there."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from spacehost.domain import Stage
from spacehost.store import SpaceRecord

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    # nginx and the like would otherwise buffer the stream
    "X-Accel-Buffering": "no",
}


async def open_event_stream(request: web.Request) -> web.StreamResponse:
    """An event-stream response to *request*, its head already sent."""
    resp = web.StreamResponse(headers=SSE_HEADERS)
    await resp.prepare(request)
    return resp


def sse(event: str | None, payload: dict[str, Any]) -> bytes:
    """One server-sent event (no ``event:`` line for plain messages)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


async def send_stage(resp: web.StreamResponse, rec: SpaceRecord, shown: Stage | None) -> Stage:
    """Send a ``stage`` event (the stage, its error message) when *rec*'s stage is not the one
    *shown* last; returns the stage now shown."""
    if rec.stage != shown:
        payload = {"stage": rec.stage.value, "errorMessage": rec.error_message or None}
        await resp.write(sse("stage", payload))
    return rec.stage


def client_connected(request: web.Request) -> bool:
    """Whether *request*'s client is still connected."""
    # aiohttp does not cancel a handler when its client goes away, and a quiet log writes
    # nothing that would fail: check the connection, or a closed client leaves a loop forever
    return request.transport is not None and not request.transport.is_closing()
