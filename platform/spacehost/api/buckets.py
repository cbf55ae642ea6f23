"""``/api/buckets/...``: Hugging Face Buckets as huggingface_hub (2.4) calls them (docs/hub.md,
"Buckets")::

    POST   /api/buckets/NS/NAME                 create ({"visibility"}); 409 when it exists
    GET    /api/buckets/NS                      list (``me``: the caller's own)
    GET    /api/buckets/NS/NAME                 info: id, private, createdAt, size, totalFiles
    DELETE /api/buckets/NS/NAME                 delete
    PUT    /api/buckets/NS/NAME/settings        {"private": bool}
    GET    /api/buckets/NS/NAME/tree[/PREFIX]   files (and folders unless ?recursive=true)
    POST   /api/buckets/NS/NAME/paths-info      {"paths": [...]} -> the files that exist
    GET    /api/buckets/NS/NAME/xet-write-token the Xet CAS and a write token (hf_xet uploads)
    POST   /api/buckets/NS/NAME/batch           NDJSON addFile / copyFile / deleteFile lines

A file's bytes come in through the Xet upload routes (api/xetupload.py) before the batch names
them by their Xet hash. Permissions are the repos': creating one needs write access to the
namespace, writing one write access to the bucket, and a private bucket is not found by whoever
may not read it (server/visibility.py's rule), with ``X-Error-Code: RepoNotFound``, which
huggingface_hub raises as ``BucketNotFoundError``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from spacehost import access
from spacehost.api.clienturl import public_base
from spacehost.api.repowrite import hf_answers
from spacehost.api.xetupload import issue_write_token
from spacehost.appkeys import HUB
from spacehost.errors import InvalidRequest, SpacehostError, Unauthorized
from spacehost.identity import Action, Kind, Resource
from spacehost.store.buckets import (
    BucketEntry,
    BucketMeta,
    BucketStore,
    bucket_not_found,
    check_bucket_id,
    check_path,
    ensure_blobs,
)
from spacehost.store.hub import HubStore
from spacehost.store.xetuploads import XetUploads

_STORES = web.AppKey("bucket_stores", dict[str, BucketStore])
MAX_BATCH_BYTES = 16 << 20


def store_of(request: web.Request) -> BucketStore:
    """The buckets beside the hub's blob store (one store, so one lock, per app)."""
    hub: HubStore = request.app[HUB]
    stores = request.app[_STORES]
    key = str(hub.root)
    if key not in stores:
        stores[key] = BucketStore(hub.root / "buckets", hub.tmp_dir)
    return stores[key]


def _namespace(request: web.Request) -> str:
    ns = request.match_info["namespace"]
    if ns != "me":
        return ns
    who = access.actor(request)
    if who.name is None:
        raise Unauthorized(
            "'me' names the caller, and this request carries no token",
            hint="log in (hf auth login) or name the namespace",
        )
    return who.name


def _bucket_id(request: web.Request) -> str:
    return check_bucket_id(_namespace(request), request.match_info["name"])


def _resource(meta: BucketMeta) -> Resource:
    ns, _, name = meta.bucket_id.partition("/")
    return Resource(Kind.BUCKET, ns, name, meta.private)


async def readable(request: web.Request) -> BucketMeta:
    """The bucket the route names, if the caller may read it (else not found)."""
    access.actor(request)  # an invalid token: 401 first
    bucket_id = _bucket_id(request)
    meta = await asyncio.to_thread(store_of(request).meta, bucket_id)
    if access.hidden(request, _resource(meta)):
        raise bucket_not_found(bucket_id)
    return meta


async def _writable(request: web.Request) -> BucketMeta:
    meta = await readable(request)
    await access.require(request, Action.WRITE, _resource(meta))
    return meta


def _info(store: BucketStore, meta: BucketMeta) -> dict[str, Any]:
    size, count = store.usage(meta.bucket_id)
    return {
        "id": meta.bucket_id,
        "private": meta.private,
        "createdAt": meta.created_at,
        "size": size,
        "totalFiles": count,
    }


def _private_of(body: dict[str, Any]) -> bool:
    visibility = body.get("visibility", body.get("private"))
    if visibility in (None, "public", False):
        return False
    if visibility in ("private", True):
        return True
    raise InvalidRequest(f"unknown visibility {visibility!r}", hint="use 'public' or 'private'")


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequest("the body is not JSON", hint="send a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidRequest("the body is not a JSON object", hint="send a JSON object")
    return body


@hf_answers
async def create_bucket(request: web.Request) -> web.Response:
    """``create_bucket``: 200 with its ``url``; 409 (with ``url`` too) when it exists."""
    bucket_id = _bucket_id(request)
    ns, _, name = bucket_id.partition("/")
    private = _private_of(await _json_body(request))
    store = store_of(request)
    existing = await asyncio.to_thread(store.exists, bucket_id)
    hidden = existing and access.hidden(
        request, _resource(await asyncio.to_thread(store.meta, bucket_id))
    )
    if hidden:  # the name is taken, but saying so would tell: as for repos, refuse on access
        await access.require(request, Action.WRITE, Resource(Kind.BUCKET, ns, name, False))
    await access.require_namespace_write(request, Kind.BUCKET, ns, name)
    url = f"{public_base(request)}/buckets/{bucket_id}"
    made = await asyncio.to_thread(store.create, bucket_id, private=private, now=time.time())
    if not made:
        said = f"bucket {bucket_id} already exists"
        hint = "use it, or pick another name (create_bucket(..., exist_ok=True) accepts it)"
        resp = web.json_response(
            {"error": {"code": "bucket_exists", "message": said, "hint": hint}, "url": url},
            status=409,
        )
        resp.headers["X-Error-Message"] = said
        return resp
    return web.json_response({"url": url, "id": bucket_id, "name": bucket_id})


@hf_answers
async def list_buckets(request: web.Request) -> web.Response:
    """``list_buckets``: the namespace's buckets the caller may see (``?search=`` filters)."""
    ns = _namespace(request)
    store = store_of(request)
    search = request.query.get("search", "").lower()

    def collect() -> list[dict[str, Any]]:
        out = []
        for bid in store.ids(ns):
            meta = store.meta(bid)
            if search in bid.lower() and not access.hidden(request, _resource(meta)):
                out.append(_info(store, meta))
        return out

    return web.json_response(await asyncio.to_thread(collect))


@hf_answers
async def bucket_info(request: web.Request) -> web.Response:
    meta = await readable(request)
    return web.json_response(await asyncio.to_thread(_info, store_of(request), meta))


@hf_answers
async def delete_bucket(request: web.Request) -> web.Response:
    meta = await readable(request)
    await access.require(request, Action.WRITE, _resource(meta))
    await asyncio.to_thread(store_of(request).delete, meta.bucket_id)
    return web.json_response({})


@hf_answers
async def update_settings(request: web.Request) -> web.Response:
    """``update_bucket_settings``: ``{"private": bool}``."""
    meta = await readable(request)
    await access.require(request, Action.WRITE, _resource(meta))
    private = (await _json_body(request)).get("private")
    if not isinstance(private, bool):
        raise InvalidRequest(
            "settings need 'private': true or false", hint="send {'private': true}"
        )
    await asyncio.to_thread(store_of(request).set_private, meta.bucket_id, private)
    return web.json_response({})


@hf_answers
async def tree(request: web.Request) -> web.Response:
    """``list_bucket_tree``: the entries under the prefix (``?recursive=true``: all files)."""
    meta = await readable(request)
    prefix = unquote(request.match_info.get("prefix", ""))
    recursive = request.query.get("recursive", "false").lower() == "true"
    store, hub = store_of(request), request.app[HUB]

    def listed() -> list[BucketEntry]:
        entries = store.tree(meta.bucket_id, prefix, recursive=recursive)
        ensure_blobs(hub, store, meta.bucket_id, entries)  # downloadable by these hashes
        return entries

    return web.json_response([e.as_json() for e in await asyncio.to_thread(listed)])


@hf_answers
async def paths_info(request: web.Request) -> web.Response:
    """``get_bucket_paths_info``: the files of ``paths`` that exist (others left out)."""
    meta = await readable(request)
    paths = (await _json_body(request)).get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidRequest("paths-info needs 'paths': a list of strings", hint="see hf_api")
    store = store_of(request)

    hub = request.app[HUB]

    def collect() -> list[dict[str, Any]]:
        found = [e for e in (store.entry(meta.bucket_id, p) for p in paths) if e is not None]
        ensure_blobs(hub, store, meta.bucket_id, found)  # downloadable by these hashes
        return [e.as_json() for e in found]

    return web.json_response(await asyncio.to_thread(collect))


@hf_answers
async def xet_write_token(request: web.Request) -> web.Response:
    """The Xet CAS and a write token, for those who may write to the bucket."""
    await _writable(request)
    return issue_write_token(request)


def _apply(store: BucketStore, uploads: XetUploads, bucket_id: str, op: dict[str, Any]) -> None:
    kind, path = op.get("type"), op.get("path")
    if not isinstance(path, str):
        raise InvalidRequest("an operation without a path", hint="name the file's path")
    check_path(path)
    if kind == "deleteFile":
        store.delete_file(bucket_id, path)
        return
    if kind not in ("addFile", "copyFile"):
        raise InvalidRequest(
            f"unknown operation {kind!r}", hint="use addFile, copyFile or deleteFile"
        )
    xet_hash = str(op.get("xetHash") or "")
    found = uploads.file_by_xet_hash(xet_hash) if len(xet_hash) == 64 else None
    if found is None and len(xet_hash) == 64 and uploads.hub.blob_path(xet_hash).is_file():
        found = (xet_hash, 0)  # a hash this platform listed (a file's sha256)
    if found is None:
        raise InvalidRequest(
            f"no uploaded file has Xet hash {xet_hash!r}",
            hint="upload the bytes with hf_xet first (huggingface_hub's batch_bucket_files does)",
        )
    mtime = op.get("mtime")
    store.add_file(
        bucket_id,
        path,
        uploads.hub.blob_path(found[0]),
        found[0],
        int(mtime) if isinstance(mtime, int | float) else 0,
    )


def _run_batch(store: BucketStore, uploads: XetUploads, bucket_id: str, raw: bytes) -> list[Any]:
    failed: list[dict[str, str]] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            op = json.loads(line)
            if not isinstance(op, dict):
                raise InvalidRequest("a batch line is not an object", hint="send NDJSON objects")
            _apply(store, uploads, bucket_id, op)
        except (ValueError, SpacehostError) as exc:
            path = op.get("path", "?") if isinstance(op, dict) else "?"
            message = exc.message if isinstance(exc, SpacehostError) else "not JSON"
            failed.append({"path": str(path), "error": message})
    return failed


@hf_answers
async def batch(request: web.Request) -> web.Response:
    """``batch_bucket_files``: apply each NDJSON line; the lines that failed in ``failed``
    (the others are applied, as on the Hub)."""
    meta = await _writable(request)
    if request.content_length is not None and request.content_length > MAX_BATCH_BYTES:
        raise InvalidRequest(
            f"a batch is at most {MAX_BATCH_BYTES >> 20} MiB", hint="send fewer operations"
        )
    raw = await request.read()
    hub: HubStore = request.app[HUB]
    failed = await asyncio.to_thread(
        _run_batch, store_of(request), XetUploads(hub), meta.bucket_id, raw
    )
    return web.json_response({"failed": failed}, status=422 if failed else 200)


def add_bucket_routes(app: web.Application) -> None:
    """The ``/api/buckets/`` routes huggingface_hub calls."""
    app[_STORES] = {}
    bucket = "/api/buckets/{namespace}/{name}"
    app.router.add_get("/api/buckets/{namespace}", list_buckets)
    app.router.add_post(bucket, create_bucket)
    app.router.add_get(bucket, bucket_info)
    app.router.add_delete(bucket, delete_bucket)
    app.router.add_put(bucket + "/settings", update_settings)
    app.router.add_get(bucket + "/tree", tree)
    app.router.add_get(bucket + "/tree/{prefix:.+}", tree)
    app.router.add_post(bucket + "/paths-info", paths_info)
    app.router.add_get(bucket + "/xet-write-token", xet_write_token)
    app.router.add_post(bucket + "/batch", batch)
