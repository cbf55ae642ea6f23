"""``/api/spaces/{owner}/{name}/variables`` and ``.../secrets``.

Shaped like Hugging Face's: variables are public and listed with their values, and a change
answers the whole list (``HfApi.add_space_variable`` reads it); secrets are write-only (listed
by name, description and time; their values never leave the platform). A change restarts the
space if it runs, which the ``X-Spacehost-Restarting`` header says.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from spacehost.api.hubjson import iso
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest
from spacehost.headernames import RESTARTING
from spacehost.lifecycle.config_changes import ConfigChange
from spacehost.lifecycle.facade import Facade
from spacehost.store import SECRET, VARIABLE, ConfigEntry


def _platform(request: web.Request) -> Facade:
    platform: Facade = request.app[PLATFORM]
    return platform


def _space_id(request: web.Request) -> SpaceId:
    return SpaceId(request.match_info["owner"], request.match_info["name"])


def _iso(ts: float) -> str:
    return iso(ts)  # as huggingface.co writes it: huggingface_hub refuses +00:00


async def _body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; InvalidRequest for anything else."""
    raw = await request.read()
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            "the request body is not valid JSON",
            hint='send JSON like {"key": "API_URL", "value": "..."}',
        ) from exc
    if not isinstance(body, dict):
        raise InvalidRequest(
            "the request body must be a JSON object",
            hint='send JSON like {"key": "API_URL", "value": "..."}',
        )
    return body


def _entry_json(entry: ConfigEntry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if entry.value is not None:
        out["value"] = entry.value
    out["description"] = entry.description
    out["updatedAt"] = _iso(entry.updated_at)
    return out


def _change_json(key: str, change: ConfigChange) -> dict[str, Any]:
    body: dict[str, Any] = {"key": key, "restarting": change.restarting}
    if change.entry is None:
        body["deleted"] = True
    else:
        body.update(_entry_json(change.entry))
    return body


def _listing(platform: Facade, space: SpaceId, kind: str) -> dict[str, Any]:
    """``{KEY: entry}`` of *space*'s variables or secrets."""
    lister = platform.queries.secrets if kind == SECRET else platform.queries.variables
    return {e.key: _entry_json(e) for e in lister(space)}


async def _list(request: web.Request, kind: str) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    await asyncio.to_thread(platform.queries.get_space, space)
    return web.json_response(await asyncio.to_thread(_listing, platform, space, kind))


async def _changed(request: web.Request, kind: str, key: str, change: ConfigChange) -> web.Response:
    """The answer to a change: the variables' whole list (as Hugging Face answers), a secret's
    entry without its value; ``X-Spacehost-Restarting`` either way."""
    if kind == VARIABLE:
        platform, space = _platform(request), _space_id(request)
        body = await asyncio.to_thread(_listing, platform, space, kind)
    else:
        body = _change_json(key, change)
    resp = web.json_response(body)
    resp.headers[RESTARTING] = "1" if change.restarting else "0"
    return resp


async def _set(request: web.Request, kind: str) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    body = await _body(request)
    change = await asyncio.to_thread(
        platform.set_config,
        space,
        kind,
        body.get("key"),
        body.get("value"),
        body.get("description"),
    )
    assert change.entry is not None
    return await _changed(request, kind, change.entry.key, change)


async def _delete(request: web.Request, kind: str) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    body = await _body(request)
    key = body.get("key")
    change = await asyncio.to_thread(platform.delete_config, space, kind, key)
    return await _changed(request, kind, str(key), change)


async def list_variables(request: web.Request) -> web.Response:
    """``{KEY: {"value", "description", "updatedAt"}}`` (public, like the space itself)."""
    return await _list(request, VARIABLE)


async def set_variable(request: web.Request) -> web.Response:
    """``{"key", "value", "description"?}``: add or replace a variable; answers them all."""
    return await _set(request, VARIABLE)


async def delete_variable(request: web.Request) -> web.Response:
    """``{"key"}``: remove a variable; answers those left."""
    return await _delete(request, VARIABLE)


async def list_secrets(request: web.Request) -> web.Response:
    """``{KEY: {"description", "updatedAt"}}``; never a value. Needs write access."""
    return await _list(request, SECRET)


async def set_secret(request: web.Request) -> web.Response:
    """``{"key", "value", "description"?}``: add or replace a secret (stored encrypted)."""
    return await _set(request, SECRET)


async def delete_secret(request: web.Request) -> web.Response:
    """``{"key"}``: remove a secret."""
    return await _delete(request, SECRET)
