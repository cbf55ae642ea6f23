"""The upload side of the Xet protocol, so that huggingface_hub with ``hf_xet`` installed (the
default) uploads the files the preupload answers ``lfs`` (docs/hub.md, "Xet uploads")::

    GET  /api/{type}s/O/N/xet-write-token/REV      {"casUrl", "accessToken", "exp"}
                                                    (write access to the repo needed)
    POST /xet/cas/v1/xorbs/default/{xorb_hash}     a serialized xorb   -> {"was_inserted": true}
    POST /xet/cas/v1/shards                        an MDB shard        -> {"result": 1}
    GET  /xet/cas/v1/chunks/...                    (global dedup: not offered, 404)
    POST /xet/cas/v2/shards                        (not offered: 404, hf_xet then uses v1)

then the client commits an ``lfsFile`` line with each file's sha256. The CAS routes take only a
write token (``Authorization: Bearer``). A xorb is streamed to disk (at most
:data:`MAX_XORB_BYTES`), checked chunk by chunk and kept by its hash; a shard makes the hub
rebuild each file it names from those xorbs, check its sha256 and add it to the blob store
(spacehost.store.xetuploads). These routes are on whatever ``SPACEHOST_HUB_XET`` says: that
setting is about downloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from aiohttp import web

from spacehost.api import xetauth
from spacehost.api.clienturl import public_base
from spacehost.api.repowrite import hf_answers, require_write
from spacehost.api.xet import CAS_PREFIX
from spacehost.appkeys import HUB, TOKEN
from spacehost.errors import Unauthorized, UploadTooLarge
from spacehost.store.hub import HubStore
from spacehost.store.xetuploads import XetUploads, check_hash

MAX_XORB_BYTES = 80 << 20  # 64 MiB of chunk data, their headers and the footer
MAX_SHARD_BYTES = 64 << 20  # hf_xet's shards stay under 64 MiB
_READ = 1 << 20


def _key(request: web.Request) -> bytes:
    return xetauth.derive_key(request.app[TOKEN])


def _uploads(request: web.Request) -> XetUploads:
    hub: HubStore = request.app[HUB]
    return XetUploads(hub)


@hf_answers
async def write_token(request: web.Request) -> web.Response:
    """``GET /api/{type}s/O/N/xet-write-token/REV``: where the CAS is and a write token, for
    those who may write to the repo (the JSON hf_xet reads: ``casUrl``, ``accessToken``,
    ``exp``)."""
    await require_write(request)
    return issue_write_token(request)


def issue_write_token(request: web.Request) -> web.Response:
    """The answer of a write-token route once write access is checked (repos', buckets')."""
    token, expires = xetauth.issue_token(
        _key(request), time.time(), xetauth.WRITE_TOKEN_TTL_S, xetauth.WRITE
    )
    return web.json_response(
        {"casUrl": public_base(request) + CAS_PREFIX, "accessToken": token, "exp": expires}
    )


def _require_token(request: web.Request) -> None:
    auth = request.headers.get("Authorization", "")
    if not xetauth.token_valid(_key(request), auth, time.time(), xetauth.WRITE):
        raise Unauthorized(
            "Xet uploads need a valid write token",
            hint="get one from /api/{type}s/OWNER/NAME/xet-write-token/REV (write access to "
            "the repo needed) and send it as Authorization: Bearer TOKEN",
        )


async def _receive(request: web.Request, dest: Path, limit: int, what: str) -> None:
    """Stream the request body to *dest*, refusing more than *limit* bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(what, limit)
    received = 0
    with open(dest, "wb") as out:
        async for chunk in request.content.iter_chunked(_READ):
            received += len(chunk)
            if received > limit:
                raise _too_large(what, limit)
            out.write(chunk)


def _too_large(what: str, limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"a {what} is at most {limit >> 20} MiB here",
        hint="upload with hf_xet (huggingface_hub's Xet client), which keeps them smaller",
    )


@hf_answers
async def upload_xorb(request: web.Request) -> web.Response:
    """``POST /xet/cas/v1/xorbs/default/{hash}``: keep the xorb (see the module doc)."""
    _require_token(request)
    xorb_hash = check_hash(request.match_info["hash"])
    uploads = _uploads(request)
    tmp = uploads.temp_path("xorb")
    try:
        await _receive(request, tmp, MAX_XORB_BYTES, "xorb")
        await asyncio.to_thread(uploads.add_xorb, tmp, xorb_hash)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return web.json_response({"was_inserted": True})


@hf_answers
async def upload_shard(request: web.Request) -> web.Response:
    """``POST /xet/cas/v1/shards``: rebuild and store the files the shard names."""
    _require_token(request)
    uploads = _uploads(request)
    tmp = uploads.temp_path("shard")
    try:
        await _receive(request, tmp, MAX_SHARD_BYTES, "shard")
        await asyncio.to_thread(uploads.add_shard, tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return web.json_response({"result": 1})  # SyncPerformed


def add_xet_upload_routes(app: web.Application) -> None:
    """Register the Xet write token and the CAS upload routes on *app* (which holds ``hub``)."""
    app.router.add_get(
        "/api/{kinds:models|datasets|spaces}/{owner}/{name}/xet-write-token/{rev:.+}",
        write_token,
    )
    app.router.add_post(CAS_PREFIX + "/v1/xorbs/default/{hash}", upload_xorb)
    app.router.add_post(CAS_PREFIX + "/v1/shards", upload_shard)
