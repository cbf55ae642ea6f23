"""The download side of the Xet protocol, so that huggingface_hub fetches LFS files with its Rust
downloader (``hf_xet``) instead of its Python HTTP loop (docs/hub.md, "Xet downloads").

The flow, as huggingface.co answers it::

    HEAD /O/N/resolve/REV/PATH                  + X-Xet-Hash (the blob's sha256) and
                                                  Link: <.../xet-read-token/REV>; rel="xet-auth"
    GET  /api/{models|datasets}/O/N/xet-read-token/REV
                                                headers X-Xet-Cas-Url (BASE/xet/cas),
                                                X-Xet-Access-Token, X-Xet-Token-Expiration
    GET  /xet/cas/v1/reconstructions/{file_id}  terms + fetch_info (optional Range: bytes=a-b)
    GET  /xet/xorbs/{file_id}                   the blob's xorb file, by byte range (sendfile)

With ``SPACEHOST_HUB_XET`` off every Xet download route answers 404 (uploads, always on, are
spacehost.api.xetupload's). With it on, hub reads stay public (anyone may ask for a token), but
the CAS answers only a request that carries the token the token
route issued (``Authorization: Bearer``, as ``hf_xet`` sends it), and a xorb only at the signed,
expiring URL a reconstruction handed out (spacehost.api.xetauth) -- so nothing is written to disk
for a request that skipped the protocol. ``hf_xet`` first asks ``/v2/reconstructions``; the 404
it gets makes it use v1.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from spacehost import access
from spacehost.api import xetauth
from spacehost.api.blobs import send_blob
from spacehost.api.clienturl import public_base
from spacehost.appkeys import HUB, PLATFORM, TOKEN
from spacehost.domain import RepoKind
from spacehost.errors import EntryNotFound, InvalidRequest, NotFound, Unauthorized
from spacehost.identity import Kind, Resource
from spacehost.settings import Settings
from spacehost.store import HubFile, HubStore
from spacehost.store.xorb import ByteRange, reconstruction, xorb_file_size

CAS_PREFIX = "/xet/cas"
XORB_PREFIX = "/xet/xorbs"
_FILE_ID = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
# set up before the app starts (a started app's items are read-only); their contents change
_STATS = web.AppKey("xet_stats", dict[str, int])
_LOCKS = web.AppKey("xet_locks", dict[str, asyncio.Lock])


def _hub(request: web.Request) -> HubStore:
    hub: HubStore = request.app[HUB]
    return hub


def xet_enabled(request: web.Request) -> bool:
    """Whether the hub offers Xet downloads (``SPACEHOST_HUB_XET``)."""
    settings: Settings = request.app[PLATFORM].settings
    return settings.hub_xet


def _require_enabled(request: web.Request) -> None:
    if not xet_enabled(request):
        raise NotFound(
            "Xet downloads are off on this server",
            hint="download through /resolve, or set SPACEHOST_HUB_XET=1",
        )


def _key(request: web.Request) -> bytes:
    """The Xet signing key, derived from the platform's token (one HMAC: cheap)."""
    return xetauth.derive_key(request.app[TOKEN])


def xet_headers(
    request: web.Request, f: HubFile, kinds: str, repo_id: str, commit: str
) -> dict[str, str]:
    """The resolve response's Xet headers for *f* ({} for files Xet does not serve)."""
    if not f.lfs or f.size == 0 or not xet_enabled(request):
        return {}
    refresh = f"{public_base(request)}/api/{kinds}/{repo_id}/xet-read-token/{commit}"
    return {"X-Xet-Hash": f.sha256, "Link": f'<{refresh}>; rel="xet-auth"'}


def _count(request: web.Request, what: str) -> None:
    stats = request.app[_STATS]
    stats[what] = stats.get(what, 0) + 1


def xet_stats(app: web.Application) -> dict[str, int]:
    """How many reconstructions and xorb ranges this process has served."""
    stats = app.get(_STATS)
    return dict(stats) if stats else {}


async def read_token(request: web.Request) -> web.Response:
    """``GET /api/{models|datasets}/O/N/xet-read-token/REV``: where the CAS is, and a token;
    a missing repo is 404, as a private one is to those who may not read it."""
    _require_enabled(request)
    m = request.match_info
    kind = RepoKind.DATASET if m["kinds"] == "datasets" else RepoKind.MODEL
    if not await asyncio.to_thread(_hub(request).exists, kind, f"{m['owner']}/{m['name']}"):
        ident = Kind.DATASET if kind is RepoKind.DATASET else Kind.MODEL
        raise access.not_found(Resource(ident, m["owner"], m["name"]))
    token, expires = xetauth.issue_token(_key(request), time.time())
    return web.Response(
        headers={
            "X-Xet-Cas-Url": public_base(request) + CAS_PREFIX,
            "X-Xet-Access-Token": token,
            "X-Xet-Token-Expiration": str(expires),
        }
    )


def _blob_size(hub: HubStore, file_id: str) -> int:
    if not _FILE_ID.match(file_id):
        raise InvalidRequest(
            f"invalid Xet file id {file_id!r}",
            hint="use the X-Xet-Hash of a resolve response (64 hex digits)",
        )
    try:
        return hub.blob_path(file_id).stat().st_size
    except FileNotFoundError:
        raise EntryNotFound(
            f"no file with Xet id {file_id}",
            hint="resolve the file again: its repo may have been deleted",
        ) from None


def parse_recon_range(header: str | None, size: int) -> ByteRange | None:
    """The file bytes a reconstruction request asks for (None: all); raises for a range that
    starts past the end (the CAS answers 416)."""
    m = _RANGE.match((header or "").strip())
    if not m:
        return None
    first = int(m.group(1))
    last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    if first >= size or last < first:
        raise web.HTTPRequestRangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return ByteRange(first, last)


async def reconstruct(request: web.Request) -> web.Response:
    """``GET /xet/cas/v1/reconstructions/{file_id}``: how to rebuild the file from xorbs."""
    now = time.time()
    auth = request.headers.get("Authorization", "")
    # a bucket token (api/bucketfiles.py) is good whatever SPACEHOST_HUB_XET says: buckets
    # have no download but Xet
    bucket = xetauth.token_valid(_key(request), auth, now, xetauth.BUCKET)
    if not bucket:
        _require_enabled(request)
    if not bucket and not xetauth.token_valid(_key(request), auth, now):
        raise Unauthorized(
            "the Xet CAS needs a valid access token",
            hint="get one from the xet-read-token URL in the resolve answer's "
            "Link header and send it as Authorization: Bearer TOKEN",
        )
    file_id = request.match_info["file_id"]
    size = await asyncio.to_thread(_blob_size, _hub(request), file_id)
    wanted = parse_recon_range(request.headers.get("Range"), size)
    query = urlencode(xetauth.sign_xorb(_key(request), file_id, now))
    url = f"{public_base(request)}{XORB_PREFIX}/{file_id}?{query}"
    _count(request, "reconstructions")
    body: dict[str, Any] = reconstruction(file_id, size, url, wanted)
    return web.json_response(body)


async def xorb(request: web.Request) -> web.StreamResponse:
    """``GET /xet/xorbs/{file_id}``: the file's xorb file (written on first use), by range;
    only at a URL a reconstruction signed (checked before anything is read or written)."""
    hub, file_id = _hub(request), request.match_info["file_id"]
    q = request.query
    if not xetauth.xorb_signed(
        _key(request), file_id, q.get("expires", ""), q.get("signature", ""), time.time()
    ):
        _require_enabled(request)  # Xet off: 404 (a signed URL comes from a bucket's read)
        raise Unauthorized(
            "this xorb URL is not signed or has expired",
            hint="ask the Xet CAS for the file's reconstruction again: its "
            "fetch_info holds signed xorb URLs",
        )
    size = await asyncio.to_thread(_blob_size, hub, file_id)
    locks = request.app[_LOCKS]
    async with locks.setdefault(file_id, asyncio.Lock()):
        path = await asyncio.to_thread(hub.xorb_file, file_id)
    locks.pop(file_id, None)
    _count(request, "xorb_ranges")
    return await send_blob(
        request,
        path,
        xorb_file_size(size),
        f"xorb-{file_id}",
        {
            "Content-Type": "application/octet-stream",
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


def add_xet_routes(app: web.Application) -> None:
    """Register the Xet token, reconstruction and xorb routes on *app* (which holds ``hub``)."""
    app[_STATS], app[_LOCKS] = {}, {}
    app.router.add_get(
        "/api/{kinds:models|datasets}/{owner}/{name}/xet-read-token/{rev}", read_token
    )
    app.router.add_get(CAS_PREFIX + "/v1/reconstructions/{file_id}", reconstruct)
    app.router.add_get(XORB_PREFIX + "/{file_id}", xorb)
