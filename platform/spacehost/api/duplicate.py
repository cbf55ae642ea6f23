"""``POST /api/spaces/{owner}/{name}/duplicate``: copy a space to a new one, as
``HfApi.duplicate_repo(repo_type="space")`` (and the Settings tab, and ``spacehost
duplicate``) ask.

The body is Hugging Face's ``{"repository": "owner/name", "visibility"?, "hardware"?,
"sleepTimeSeconds"?, "secrets"?, "variables"?}`` (spacehost's own clients send ``"to"``); the
answer carries ``url`` (huggingface_hub reads it), also on the 409 of an existing target, which
``exist_ok=True`` reads.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.api.accounts import requested_private
from spacehost.api.errors import error_message_header
from spacehost.api.repos import repo_url
from spacehost.api.secrets import _body, _platform, _space_id
from spacehost.api.spaces import urls_of
from spacehost.domain import SpaceId
from spacehost.errors import Conflict, InvalidRequest
from spacehost.identity import Kind
from spacehost.lifecycle.config_changes import ConfigItem
from spacehost.store import SECRET, VARIABLE

# duplicate_repo's options this host has no room for, each with what to do instead
UNSUPPORTED = {
    "volumes": "spaces get /data; mount hub repos with `preload_from_hub` in README.md",
    "storageTier": "every space has its own /data here (SPACEHOST_DATA_DISK sets its size)",
}


def _target(body: dict[str, Any]) -> SpaceId:
    to = body.get("to", body.get("repository"))
    if not isinstance(to, str):
        raise InvalidRequest(
            'duplicate needs "to" (or "repository"): the new space\'s owner/name',
            hint='send JSON like {"repository": "alice/my-copy"}',
        )
    return SpaceId.parse(to)  # InvalidSpaceName: 400


def _config_items(body: dict[str, Any]) -> list[ConfigItem]:
    """The ``secrets`` and ``variables`` lists, each item ``{"key", "value", "description"?}``."""
    items = []
    for field, kind in (("secrets", SECRET), ("variables", VARIABLE)):
        entries = body.get(field) or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InvalidRequest(
                f'"{field}" must be a list of {{"key", "value", "description"?}} objects',
                hint=f'send {{"{field}": [{{"key": "API_URL", "value": "..."}}]}}',
            )
        items += [
            ConfigItem(kind, e.get("key"), e.get("value"), e.get("description")) for e in entries
        ]
    return items


def _sleep_time(body: dict[str, Any]) -> int | None:
    value = body.get("sleepTimeSeconds")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidRequest(
            '"sleepTimeSeconds" must be a whole number of seconds (-1: never sleep)',
            hint='send {"sleepTimeSeconds": 3600}',
        )
    return value


def _refuse_unsupported(body: dict[str, Any]) -> None:
    for field, instead in UNSUPPORTED.items():
        if body.get(field):
            raise InvalidRequest(f'"{field}" is not offered by this host', hint=instead)


async def duplicate(request: web.Request) -> web.Response:
    """Copy the current revision and the variables to a new space (with the body's variables,
    secrets, visibility, hardware and sleep time) and deploy it; the source's other secrets
    come back by name as needing values."""
    platform, source = _platform(request), _space_id(request)
    body = await _body(request)
    target = _target(body)
    await asyncio.to_thread(platform.queries.get_space, source)  # missing: 404 before a 401
    await access.require_namespace_write(request, Kind.SPACE, target.owner, target.name)
    _refuse_unsupported(body)
    private, sleep, config = requested_private(body), _sleep_time(body), _config_items(body)
    url = repo_url(request, Kind.SPACE, str(target))
    if body.get("hardware") is not None:  # the copy has the source's README, so its hardware
        await asyncio.to_thread(platform.request_hardware, source, body["hardware"])
    if private is None:  # HF: the copy is as private as its source
        private = await asyncio.to_thread(platform.is_private, source)
    try:
        result = await asyncio.to_thread(platform.duplicate, source, target, config)
    except Conflict as exc:  # the target exists: its url too, as huggingface.co answers
        resp = web.json_response({**exc.to_json(), "url": url}, status=exc.http_status)
        resp.headers["X-Error-Message"] = error_message_header(exc)
        return resp
    if private:
        await asyncio.to_thread(platform.set_private, target, True)
    if sleep is not None:
        await asyncio.to_thread(platform.set_sleep_time, target, sleep)
    return web.json_response(
        {
            "id": str(target),
            "url": url,
            "from": str(source),
            "revision": result.push.revision,
            "sha": result.push.commit,  # the copy's first git commit
            "variables": list(result.variables),
            "secrets_needing_values": list(result.secrets_needing_values),
            "urls": urls_of(target, platform),
        },
        status=202,
    )
