"""``/api/spaces/{owner}/{name}/variables``, ``.../secrets`` and ``.../duplicate``.

Shaped like Hugging Face's: variables are public and listed with their values; secrets are
write-only (listed by name, description and time; their values never leave the platform).
A change restarts the space if it runs.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.api.accounts import requested_private
from spacehost.api.hubjson import iso
from spacehost.api.spaces import urls_of
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest
from spacehost.identity import Kind
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


async def _list(request: web.Request, kind: str) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    await asyncio.to_thread(platform.queries.get_space, space)
    lister = platform.queries.secrets if kind == SECRET else platform.queries.variables
    entries = await asyncio.to_thread(lister, space)
    return web.json_response({e.key: _entry_json(e) for e in entries})


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
    return web.json_response(_change_json(change.entry.key, change))


async def _delete(request: web.Request, kind: str) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    body = await _body(request)
    key = body.get("key")
    change = await asyncio.to_thread(platform.delete_config, space, kind, key)
    return web.json_response(_change_json(str(key), change))


async def list_variables(request: web.Request) -> web.Response:
    """``{KEY: {"value", "description", "updatedAt"}}`` (public, like the space itself)."""
    return await _list(request, VARIABLE)


async def set_variable(request: web.Request) -> web.Response:
    """``{"key", "value", "description"?}``: add or replace a variable."""
    return await _set(request, VARIABLE)


async def delete_variable(request: web.Request) -> web.Response:
    """``{"key"}``: remove a variable."""
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


async def duplicate(request: web.Request) -> web.Response:
    """``{"to": "owner/name"}`` (or HF's ``{"repository": ...}``): copy the current revision
    and the variables to a new space and deploy it; secrets come back by name as needing
    values."""
    platform, source = _platform(request), _space_id(request)
    body = await _body(request)
    to = body.get("to", body.get("repository"))
    if not isinstance(to, str):
        raise InvalidRequest(
            'duplicate needs "to": the new space\'s owner/name',
            hint='send JSON like {"to": "alice/my-copy"}',
        )
    target = SpaceId.parse(to)
    await asyncio.to_thread(platform.queries.get_space, source)  # missing: 404 before a 401
    await access.require_namespace_write(request, Kind.SPACE, target.owner, target.name)
    private = requested_private(body)
    if private is None:  # HF: the copy is as private as its source
        private = await asyncio.to_thread(platform.is_private, source)
    result = await asyncio.to_thread(platform.duplicate, source, target)
    if private:
        await asyncio.to_thread(platform.set_private, target, True)
    return web.json_response(
        {
            "id": str(target),
            "from": str(source),
            "revision": result.push.revision,
            "sha": result.push.commit,  # the copy's first git commit
            "variables": list(result.variables),
            "secrets_needing_values": list(result.secrets_needing_values),
            "urls": urls_of(target, platform),
        },
        status=202,
    )
