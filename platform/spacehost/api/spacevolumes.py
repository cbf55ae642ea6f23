"""``PUT`` / ``DELETE /api/spaces/{id}/volumes``: Hugging Face's ``set_space_volumes`` and
``delete_space_volumes`` -- buckets mounted into the space's container (lifecycle/volumes.py;
docs/hub.md, "Space volumes").

The route checks write access to the space (api/app.py); here each bucket must be one the caller
may read, and write to when it is mounted read-write: attaching a bucket to one's space must not
become a way into someone else's. A bucket the caller may not see answers as a missing one.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from spacehost import access
from spacehost.api.buckets import store_of
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest
from spacehost.identity import Action, Kind, Resource
from spacehost.lifecycle.facade import Facade
from spacehost.lifecycle.volumes import SpaceVolume, parse_volumes
from spacehost.store.buckets import bucket_not_found


def _space(request: web.Request) -> SpaceId:
    return SpaceId(request.match_info["owner"], request.match_info["name"])


async def check_access(request: web.Request, volume: SpaceVolume) -> None:
    """The caller may read *volume*'s bucket, and write it when it is mounted read-write
    (a bucket it may not see answers as missing)."""
    meta = await asyncio.to_thread(store_of(request).meta, volume.source)
    ns, _, name = volume.source.partition("/")
    bucket = Resource(Kind.BUCKET, ns, name, meta.private)
    if access.hidden(request, bucket):
        raise bucket_not_found(volume.source)
    if not volume.read_only:
        await access.require(request, Action.WRITE, bucket)


async def _answer(request: web.Request, space: SpaceId) -> web.Response:
    platform: Facade = request.app[PLATFORM]
    return web.json_response(await asyncio.to_thread(platform.runtime_info, space))


async def set_volumes(request: web.Request) -> web.Response:
    """Replace the space's volumes; answers its runtime (with ``volumes``)."""
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequest("the body is not JSON", hint="send {'volumes': [...]}") from None
    volumes = parse_volumes(body)
    for v in volumes:
        await check_access(request, v)
    space = _space(request)
    platform: Facade = request.app[PLATFORM]
    await asyncio.to_thread(platform.set_volumes, space, volumes)
    return await _answer(request, space)


async def delete_volumes(request: web.Request) -> web.Response:
    """Detach every volume (400 when there is none, as on HF)."""
    space = _space(request)
    platform: Facade = request.app[PLATFORM]
    if not await asyncio.to_thread(platform.volumes, space):
        raise InvalidRequest(f"{space} has no volumes", hint="attach one with set_space_volumes")
    await asyncio.to_thread(platform.set_volumes, space, [])
    return await _answer(request, space)
