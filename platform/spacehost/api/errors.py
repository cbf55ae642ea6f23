"""Every error leaves the API as ``{"error": {"code", "message", "hint"}}`` with its status."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from spacehost.errors import (
    InvalidRequest,
    NotFound,
    RepoNotFound,
    SpacehostError,
    SpaceNotFound,
)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_message_header(exc: SpacehostError) -> str:
    """*exc*'s message as huggingface_hub reads it from ``X-Error-Message`` (and shows it in
    its exceptions, with the body, which holds the hint), on one line in ASCII as a header
    needs (a message may quote what a client sent, line breaks and all)."""
    return " ".join(exc.message.encode("ascii", "replace").decode().split())


def error_response(exc: SpacehostError) -> web.Response:
    """The JSON error, with its message in ``X-Error-Message`` (huggingface_hub reads it); a
    missing space, model or dataset also carries huggingface_hub's ``X-Error-Code:
    RepoNotFound`` on every route, as a hidden private one does (server/visibility.py), so that
    the two answers are the same."""
    resp = web.json_response(exc.to_json(), status=exc.http_status)
    resp.headers["X-Error-Message"] = error_message_header(exc)
    if isinstance(exc, (SpaceNotFound, RepoNotFound)):
        resp.headers["X-Error-Code"] = "RepoNotFound"
    return resp


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turns SpacehostError (and aiohttp's own 404/405/413) into the API's JSON error shape."""
    try:
        return await handler(request)
    except SpacehostError as exc:
        return error_response(exc)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        if exc.status == 404:
            return error_response(
                NotFound(
                    f"no API endpoint {request.method} {request.path}",
                    hint="see docs/api.md for the endpoints",
                )
            )
        err = InvalidRequest(f"{exc.status} {exc.reason}", hint="check the method and the body")
        return web.json_response(err.to_json(), status=exc.status)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(SpacehostError("internal error; see the platform's log"))
