"""Reading a bucket's files as huggingface_hub does (``download_bucket_files``, ``hf buckets
cp``/``sync`` to a local folder; docs/hub.md, "Buckets")::

    HEAD|GET /buckets/NS/NAME/resolve/PATH        the file (GET), its size, X-Xet-Hash and
                                                   Link: <.../xet-read-token>; rel="xet-auth"
    GET      /api/buckets/NS/NAME/xet-read-token  X-Xet-Cas-Url, X-Xet-Access-Token (a token
                                                   for bucket files), X-Xet-Token-Expiration

then ``hf_xet`` asks the Xet CAS (api/xet.py) for each file by the hash a listing gave, which
is the file's sha256: so every file a listing, ``paths-info`` or ``resolve`` names is put into
the hub's blob store first (a copy; files a space wrote through its volume never went through
an upload), where the CAS rebuilds it from. Bucket downloads go over Xet whatever
``SPACEHOST_HUB_XET`` says (huggingface_hub has no other way for buckets); the CAS takes a
bucket token for them.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from spacehost.api import xetauth
from spacehost.api.blobs import send_blob
from spacehost.api.buckets import readable, store_of
from spacehost.api.clienturl import public_base
from spacehost.api.repowrite import hf_answers
from spacehost.api.xet import CAS_PREFIX
from spacehost.appkeys import HUB, TOKEN
from spacehost.errors import EntryNotFound
from spacehost.store.buckets import BucketEntry, ensure_blobs


@hf_answers
async def resolve(request: web.Request) -> web.StreamResponse:
    """``HEAD|GET /buckets/NS/NAME/resolve/PATH``: the file, with its Xet headers."""
    meta = await readable(request)
    path = unquote(request.match_info["path"])
    store, hub = store_of(request), request.app[HUB]

    def find() -> tuple[BucketEntry, str]:
        entry = store.entry(meta.bucket_id, path)
        found = store.file_path(meta.bucket_id, path)
        if entry is None or found is None:
            raise EntryNotFound(
                f"no file {path!r} in bucket {meta.bucket_id}",
                hint=f"list its files with: hf buckets ls {meta.bucket_id} -R",
            )
        ensure_blobs(hub, store, meta.bucket_id, [entry])
        return entry, str(hub.blob_path(entry.xet_hash))

    entry, blob = await asyncio.to_thread(find)
    refresh = f"{public_base(request)}/api/buckets/{meta.bucket_id}/xet-read-token"
    headers = {
        "Content-Type": "application/octet-stream",
        "X-Xet-Hash": entry.xet_hash,
        "Link": f'<{refresh}>; rel="xet-auth"',
        "X-Linked-Size": str(entry.size),
    }
    return await send_blob(request, Path(blob), entry.size, entry.xet_hash, headers)


@hf_answers
async def read_token(request: web.Request) -> web.Response:
    """``GET /api/buckets/NS/NAME/xet-read-token``: the CAS and a token for bucket files."""
    await readable(request)
    key = xetauth.derive_key(request.app[TOKEN])
    token, expires = xetauth.issue_token(key, time.time(), scope=xetauth.BUCKET)
    cas = public_base(request) + CAS_PREFIX
    # hf_xet fetches it itself for a download group and reads the JSON body, as from the
    # write-token route; huggingface_hub's Python side reads the headers
    return web.json_response(
        {"casUrl": cas, "accessToken": token, "exp": expires},
        headers={
            "X-Xet-Cas-Url": cas,
            "X-Xet-Access-Token": token,
            "X-Xet-Token-Expiration": str(expires),
        },
    )


def add_bucket_file_routes(app: web.Application) -> None:
    """The routes that read a bucket's files."""
    app.router.add_get("/buckets/{namespace}/{name}/resolve/{path:.+}", resolve)
    app.router.add_get("/api/buckets/{namespace}/{name}/xet-read-token", read_token)
