"""The git-LFS batch API over the hub's blob store, for huggingface_hub with
``HF_HUB_DISABLE_XET=1`` (and ``git lfs`` once repos are git repositories)::

    POST /{spaces/|datasets/|}O/N.git/info/lfs/objects/batch    {"operation", "objects"}
    PUT  /api/lfs/objects/{oid}?t=SIGNED                         the bytes (no Authorization)
    GET  /api/lfs/objects/{oid}?t=SIGNED                         the bytes (download action)
    POST /{spaces/|datasets/|}O/N.git/info/lfs/objects/verify   {"oid", "size"} (with a token)

An upload is answered with a ``basic`` transfer: a PUT link signed for that object (the
platform's key, :meth:`Accounts.sign`, valid :data:`LINK_TTL_S`) and a verify action; an object
the store already holds gets no actions (the client skips it). The PUT streams into a temp file
while hashing, and is kept only when its sha256 and size are the ones signed.

With hf_xet installed (the default), huggingface_hub sends LFS-mode files to Xet instead
(spacehost.api.xetupload); both end in the same blob store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote

from aiohttp import web

from spacehost import access
from spacehost.api.accounts import _json
from spacehost.api.blobs import send_blob
from spacehost.api.repos import repo_exists
from spacehost.api.repowrite import hf_answers, kind_of, require_write
from spacehost.appkeys import HUB
from spacehost.errors import Forbidden, InvalidRequest, NotFound, UploadRejected, UploadTooLarge
from spacehost.identity import Action
from spacehost.store import HubStore

LFS_JSON = "application/vnd.git-lfs+json"
LINK_TTL_S = 3600
MAX_OBJECTS = 1000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
OBJECTS = "/api/lfs/objects"


def _hub(request: web.Request) -> HubStore:
    hub: HubStore = request.app[HUB]
    return hub


def _objects(body: dict[str, Any]) -> list[tuple[str, int]]:
    objects = body.get("objects")
    if not isinstance(objects, list) or len(objects) > MAX_OBJECTS:
        raise InvalidRequest(
            f'"objects" must be a list of at most {MAX_OBJECTS} objects',
            hint='send {"operation": "upload", "objects": [{"oid": SHA256, "size": BYTES}]}',
        )
    out = []
    for o in objects:
        oid, size = (o.get("oid"), o.get("size")) if isinstance(o, dict) else (None, None)
        if not isinstance(oid, str) or not _SHA256.match(oid) or not isinstance(size, int):
            raise InvalidRequest(
                'each object needs an "oid" (sha256, 64 hex) and a "size"',
                hint="send the objects as git-lfs does",
            )
        out.append((oid, size))
    return out


def _base(request: web.Request) -> str:
    return f"{access.scheme(request)}://{request.host}"


def _link(request: web.Request, oid: str, size: int) -> str:
    signed = access.accounts(request).sign(f"{oid}:{size}", LINK_TTL_S)
    return f"{_base(request)}{OBJECTS}/{oid}?t={quote(signed)}"


def _actions(request: web.Request, operation: str, oid: str, size: int) -> dict[str, Any]:
    link = {"href": _link(request, oid, size), "expires_in": LINK_TTL_S}
    if operation == "download":
        return {"download": link}
    verify: dict[str, Any] = {
        "href": f"{_base(request)}{request.path.removesuffix('/batch')}/verify"
    }
    if "Authorization" in request.headers:
        # objects are marked "authenticated" (their links are signed), so git-lfs adds no
        # credentials to an action: the verify call carries the batch call's own
        verify["header"] = {"Authorization": request.headers["Authorization"]}
    return {"upload": link, "verify": verify}


async def _require(request: web.Request, operation: str) -> None:
    if operation == "upload":
        await require_write(request)
        return
    m = request.match_info
    resource = access.repo(request, kind_of(request), m["owner"], m["name"])
    if not await asyncio.to_thread(repo_exists, request, resource.kind, resource.repo_id):
        raise access.not_found(resource)
    await access.require(request, Action.READ, resource)


@hf_answers
async def batch(request: web.Request) -> web.Response:
    """``POST {repo}.git/info/lfs/objects/batch`` (see the module doc)."""
    body = await _json(request)
    operation = body.get("operation")
    if operation not in ("upload", "download"):
        raise InvalidRequest(
            f'"operation" {operation!r} is not upload or download', hint="send it as git-lfs does"
        )
    await _require(request, operation)
    hub, answer = _hub(request), []
    for oid, size in _objects(body):
        stored = await asyncio.to_thread(hub.has_blob, oid, size)
        item: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
        if operation == "upload" and not stored:
            item["actions"] = _actions(request, operation, oid, size)
        elif operation == "download":
            if stored:
                item["actions"] = _actions(request, operation, oid, size)
            else:
                item["error"] = {"code": 404, "message": f"object {oid} is not stored"}
        answer.append(item)
    return web.json_response(
        {"transfer": "basic", "objects": answer, "hash_algo": "sha256"}, content_type=LFS_JSON
    )


def _signed(request: web.Request) -> tuple[str, int]:
    oid = request.match_info["oid"]
    value = access.accounts(request).unsign(request.query.get("t", ""))
    if value is None or value.partition(":")[0] != oid:
        raise Forbidden(
            "this LFS link is not valid or has expired",
            hint="ask the batch API for a new one (upload again)",
        )
    return oid, int(value.partition(":")[2])


@hf_answers
async def upload_object(request: web.Request) -> web.Response:
    """``PUT /api/lfs/objects/{oid}?t=…``: the bytes, checked against the signed oid and size."""
    oid, size = _signed(request)
    hub = _hub(request)
    if request.content_length is not None and request.content_length != size:
        raise UploadRejected(
            f"the upload is {request.content_length} bytes, not the {size} announced",
            hint="send the object's exact bytes",
        )
    tmp = hub.tmp_dir / f"lfs-{uuid.uuid4().hex}"
    digest, received = hashlib.sha256(), 0
    git = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)  # spares the commit a pass
    try:
        with open(tmp, "wb") as out:
            async for chunk in request.content.iter_chunked(1 << 20):
                received += len(chunk)
                if received > size:
                    raise UploadTooLarge(
                        f"the upload is larger than the {size} bytes announced",
                        hint="send the object's exact bytes",
                    )
                digest.update(chunk)
                git.update(chunk)
                out.write(chunk)
        if received != size or digest.hexdigest() != oid:
            raise UploadRejected(
                f"the bytes received ({received}) do not hash to {oid} of {size} bytes",
                hint="upload the file again (it may have changed while it was sent)",
            )
        await asyncio.to_thread(hub.add_blob, tmp, oid, git.hexdigest())
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return web.Response(status=200)


@hf_answers
async def download_object(request: web.Request) -> web.StreamResponse:
    """``GET /api/lfs/objects/{oid}?t=…``: the stored bytes."""
    oid, size = _signed(request)
    headers = {"Content-Type": "application/octet-stream"}
    return await send_blob(request, _hub(request).blob_path(oid), size, oid, headers)


@hf_answers
async def verify(request: web.Request) -> web.Response:
    """``POST {repo}.git/info/lfs/objects/verify {"oid", "size"}``: 200 once stored."""
    await require_write(request)
    (oid, size), *_ = _objects({"objects": [await _json(request)]})
    if not await asyncio.to_thread(_hub(request).has_blob, oid, size):
        raise NotFound(f"object {oid} ({size} bytes) is not stored", hint="upload it again")
    return web.json_response({"oid": oid, "size": size}, content_type=LFS_JSON)


def add_lfs_routes(app: web.Application) -> None:
    """Register the LFS batch, object and verify routes."""
    for prefix in ("", "/{kinds:datasets|spaces}"):
        lfs = prefix + "/{owner}/{name}.git/info/lfs/objects"
        app.router.add_post(f"{lfs}/batch", batch)
        app.router.add_post(f"{lfs}/verify", verify)
    app.router.add_put(OBJECTS + "/{oid}", upload_object)
    app.router.add_get(OBJECTS + "/{oid}", download_object)
