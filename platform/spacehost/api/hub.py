"""The model and dataset hub over HTTP, compatible with huggingface_hub (``HF_ENDPOINT``).

Reads (no token), as huggingface.co answers them::

    GET  /api/{models|datasets}                      list (search=, author=, filter=, sort=,
                                                     direction=, limit=, full=)
    GET  /api/{models|datasets}/O/N[/revision/REV]   info: sha, siblings, cardData, tags
    GET  /api/{models|datasets}/O/N/tree/REV[/PATH]  files and folders (recursive=, expand=)
    POST /api/{models|datasets}/O/N/paths-info/REV   entries for the given paths
    GET  /api/{models|datasets}/O/N/refs             branches (main)
    GET  /api/{models|datasets}/O/N/commits/REV      history from REV back
    HEAD|GET /O/N/resolve/REV/PATH                   a model's file (datasets: /datasets/O/N/...);
                                                     LFS files add Xet headers (api/xet.py)

Writes (the platform's token)::

    POST   /api/{models|datasets}/O/N/push           body: a tar of the repo's files
    DELETE /api/{models|datasets}/O/N

Errors carry ``X-Error-Code`` (RepoNotFound, RevisionNotFound, EntryNotFound) so that
huggingface_hub raises its own exception classes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import mimetypes
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from spacehost import access
from spacehost.api import moved
from spacehost.api.accounts import settings_private
from spacehost.api.blobs import send_blob
from spacehost.api.clienturl import public_base
from spacehost.api.errors import error_response
from spacehost.api.hubjson import (
    card_from_blob,
    commit_json,
    git_refs_json,
    last_changes,
    path_info_json,
    repo_json,
    tree_json,
)
from spacehost.api.xet import xet_enabled, xet_headers, xet_stats
from spacehost.appkeys import HUB, PLATFORM
from spacehost.domain import RepoKind, check_repo_id
from spacehost.errors import (
    EntryNotFound,
    InvalidRequest,
    RepoNotFound,
    RevisionNotFound,
    SpacehostError,
    UploadTooLarge,
)
from spacehost.identity import Action, Kind, Resource
from spacehost.settings import Settings
from spacehost.store import HubCommit, HubRepo, HubStore
from spacehost.store.hubarchive import unpack_hub_archive

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KINDS = "{kinds:models|datasets}"
_HF_CODES: dict[type[SpacehostError], str] = {
    RepoNotFound: "RepoNotFound",
    RevisionNotFound: "RevisionNotFound",
    EntryNotFound: "EntryNotFound",
}
_TRUE = ("1", "true", "yes")
# every repo file: no script, no plugin, no request, a unique origin if it is framed or opened
FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox"
# shown in the browser as they are: types that cannot run script when opened
INLINE_TYPES = frozenset(
    {"text/plain", "text/csv", "text/markdown", "application/json", "application/pdf"}
)
# never inline, whatever the client asks (an image/svg+xml is a document that runs script)
ACTIVE_TYPES = frozenset(
    {
        "image/svg+xml",
        "text/html",
        "application/xhtml+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "text/xsl",
        "application/xslt+xml",
        "text/css",
        "application/wasm",
        "text/vnd.wap.wml",
        "application/x-shockwave-flash",
    }
)


def _hub(request: web.Request) -> HubStore:
    hub: HubStore = request.app[HUB]
    return hub


def _settings(request: web.Request) -> Settings:
    settings: Settings = request.app[PLATFORM].settings
    return settings


def _kind(request: web.Request) -> RepoKind:
    return RepoKind.DATASET if request.match_info.get("kinds") == "datasets" else RepoKind.MODEL


def _repo_id(request: web.Request) -> str:
    return f"{request.match_info['owner']}/{request.match_info['name']}"


def _identity_kind(request: web.Request) -> Kind:
    return Kind.DATASET if _kind(request) is RepoKind.DATASET else Kind.MODEL


def _resource(request: web.Request) -> Resource:
    m = request.match_info
    return access.repo(request, _identity_kind(request), m["owner"], m["name"])


async def _require_existing(request: web.Request) -> None:
    """Write access to an existing repo: a missing one is 404 to everyone (as a private one is
    to those who may not read it: server/visibility.py), before any 401 or 403."""
    access.actor(request)  # a token that is not valid: 401 first, whatever the repo
    resource = _resource(request)
    if not await asyncio.to_thread(_hub(request).exists, _kind(request), _repo_id(request)):
        raise await asyncio.to_thread(moved.missing, request, resource)
    await access.require(request, Action.WRITE, resource)


async def update_settings(request: web.Request) -> web.Response:
    """``PUT /api/{models|datasets}/O/N/settings {"visibility"|"private"}`` (huggingface_hub's
    ``update_repo_settings``)."""
    await _require_existing(request)
    kind, repo_id = _kind(request), _repo_id(request)
    private = await settings_private(request)
    acc = access.accounts(request)
    if private is not None:
        await asyncio.to_thread(acc.set_private, kind.value, repo_id, private)
    return web.json_response({"id": repo_id, "private": acc.is_private(kind.value, repo_id)})


def hf_error(exc: SpacehostError, commit: str | None = None) -> web.Response:
    """The API's JSON error, plus the headers huggingface_hub maps to its exceptions."""
    resp = error_response(exc)
    for cls, code in _HF_CODES.items():
        if isinstance(exc, cls):
            resp.headers["X-Error-Code"] = code
    if commit:
        resp.headers["X-Repo-Commit"] = commit
    return resp


def hf_errors(handler: Handler) -> Handler:
    """Answer the hub's not-found errors with huggingface_hub's ``X-Error-Code`` headers."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except RepoNotFound as exc:
            return _repo_not_found(request, _kind(request), exc)
        except (RevisionNotFound, EntryNotFound) as exc:
            return hf_error(exc)

    return wrapped


def _repo_not_found(request: web.Request, kind: RepoKind, exc: RepoNotFound) -> web.Response:
    """A missing repo's answer: a moved one's redirect or error naming its new id (moved.py)."""
    found = moved.answer(request, kind, _repo_id(request), exc)
    return found if isinstance(found, web.Response) else hf_error(found)


def card_of(hub: HubStore, commit: HubCommit) -> dict[str, Any]:
    """The front matter of the commit's README.md (``{}`` without one)."""
    for f in commit.files:
        if f.path.lower() == "readme.md":
            return card_from_blob(hub.blob_path(f.sha256))
    return {}


def _revision(request: web.Request) -> str:
    return request.match_info.get("rev") or "main"


# -- reads ------------------------------------------------------------------------------------


def _matches(
    repo: HubRepo, search: str, author: str, tags: list[str], card: dict[str, Any]
) -> bool:
    if search and search not in repo.repo_id.lower():
        return False
    if author and repo.repo_id.split("/", 1)[0].lower() != author:
        return False
    return all(t in repo_json(repo, repo.head, card, full=False)["tags"] for t in tags)


async def list_repos(request: web.Request) -> web.Response:
    """``GET /api/models`` or ``/api/datasets``."""
    hub, kind, q = _hub(request), _kind(request), request.query
    search, author = q.get("search", "").lower(), q.get("author", "").lower()
    tags = q.getall("filter", [])
    full = any(q.get(k, "").lower() in _TRUE for k in ("full", "cardData")) or "expand" in q
    repos = await asyncio.to_thread(hub.repos, kind)
    shown = set(access.visible(request, _identity_kind(request), [r.repo_id for r in repos]))
    repos = [r for r in repos if r.repo_id in shown]
    cards = {r.repo_id: card_of(hub, r.head) for r in repos}
    found = [r for r in repos if _matches(r, search, author, tags, cards[r.repo_id])]
    key = q.get("sort", "lastModified")
    reverse = q.get("direction", "-1") == "-1"
    if key in ("id", "modelId"):
        found.sort(key=lambda r: r.repo_id.lower(), reverse=q.get("direction") == "-1")
    elif key == "createdAt":
        found.sort(key=lambda r: r.created_at, reverse=reverse)
    else:
        found.sort(key=lambda r: r.updated_at, reverse=reverse)
    with contextlib.suppress(ValueError):
        found = found[: max(0, int(q["limit"]))] if "limit" in q else found
    return web.json_response([repo_json(r, r.head, cards[r.repo_id], full=full) for r in found])


@hf_errors
async def repo_info(request: web.Request) -> web.Response:
    """``GET /api/{models|datasets}/O/N[/revision/REV]``."""
    hub, kind, repo_id = _hub(request), _kind(request), _repo_id(request)
    repo = hub.repo(kind, repo_id)
    commit = hub.resolve(kind, repo_id, _revision(request))
    return web.json_response(repo_json(repo, commit, card_of(hub, commit)))


def _history(hub: HubStore, kind: RepoKind, repo_id: str, commit: HubCommit) -> list[HubCommit]:
    """*commit* and its ancestors, newest first."""
    by_sha = {c.sha: c for c in hub.commits(kind, repo_id)}
    out: list[HubCommit] = []
    current: HubCommit | None = commit
    while current is not None and len(out) < len(by_sha):
        out.append(current)
        current = by_sha.get(current.parent) if current.parent else None
    return out


@hf_errors
async def tree(request: web.Request) -> web.Response:
    """``GET /api/{models|datasets}/O/N/tree/REV[/PATH]``."""
    hub, kind, repo_id = _hub(request), _kind(request), _repo_id(request)
    commit = hub.resolve(kind, repo_id, _revision(request))
    folder = request.match_info.get("path", "").strip("/")
    expand = request.query.get("expand", "").lower() in _TRUE
    last = last_changes(_history(hub, kind, repo_id, commit)) if expand else None
    entries = tree_json(
        commit, folder, recursive=request.query.get("recursive", "").lower() in _TRUE, last=last
    )
    if entries is None:
        return hf_error(
            EntryNotFound(
                f"no folder {folder!r} in revision {commit.sha[:12]} of {repo_id}",
                hint="list the root: .../tree/" + commit.sha,
            ),
            commit.sha,
        )
    return web.json_response(entries, headers={"X-Repo-Commit": commit.sha})


@hf_errors
async def paths_info(request: web.Request) -> web.Response:
    """``POST /api/{models|datasets}/O/N/paths-info/REV`` (form or JSON: paths, expand)."""
    hub, kind, repo_id = _hub(request), _kind(request), _repo_id(request)
    commit = hub.resolve(kind, repo_id, _revision(request))
    if request.content_type == "application/json":
        body = await request.json()
        paths = body.get("paths", []) if isinstance(body, dict) else []
        expand = bool(body.get("expand")) if isinstance(body, dict) else False
    else:
        form = await request.post()
        paths = [str(p) for p in form.getall("paths", [])]
        expand = str(form.get("expand", "")).lower() in _TRUE
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidRequest("paths must be a list of file paths", hint='{"paths": ["a.txt"]}')
    last = last_changes(_history(hub, kind, repo_id, commit)) if expand else None
    return web.json_response(path_info_json(commit, paths, last))


@hf_errors
async def refs(request: web.Request) -> web.Response:
    """``GET /api/{models|datasets}/O/N/refs``: the branches and tags of its git repository."""
    hub, kind, repo_id = _hub(request), _kind(request), _repo_id(request)
    hub.repo(kind, repo_id)  # RepoNotFound first
    return web.json_response(git_refs_json(hub.git.refs(kind.value, repo_id)))


@hf_errors
async def commits(request: web.Request) -> web.Response:
    """``GET /api/{models|datasets}/O/N/commits/REV``: REV and its ancestors, newest first."""
    hub, kind, repo_id = _hub(request), _kind(request), _repo_id(request)
    commit = hub.resolve(kind, repo_id, _revision(request))
    owner = repo_id.split("/", 1)[0]
    return web.json_response([commit_json(c, owner) for c in _history(hub, kind, repo_id, commit)])


def file_type_headers(name: str) -> dict[str, str]:
    """How a repo file named *name* is sent so that it can never run script on the platform's
    origin (anyone may push a file; docs/security.md, "Hub files"): a sandboxing CSP on every
    file, as huggingface.co sends, and the active types (HTML, SVG, XML, JavaScript...) as
    plain-text attachments; ``nosniff`` is added to every response (web/csp.py)."""
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    inline = kind not in ACTIVE_TYPES and (
        kind in INLINE_TYPES or kind.startswith(("image/", "audio/", "video/"))
    )
    disposition = "inline" if inline else "attachment"
    if kind in ACTIVE_TYPES:
        kind = "text/plain; charset=utf-8"
    return {
        "Content-Type": kind,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
        "Content-Security-Policy": FILE_CSP,
    }


def _resolver(kind: RepoKind) -> Handler:
    async def resolve(request: web.Request) -> web.StreamResponse:
        """``HEAD|GET /O/N/resolve/REV/PATH``: a file's bytes with HF's headers."""
        hub, repo_id = _hub(request), _repo_id(request)
        try:
            commit = hub.resolve(kind, repo_id, _revision(request))
        except RepoNotFound as exc:
            return _repo_not_found(request, kind, exc)
        except RevisionNotFound as exc:
            return hf_error(exc)
        try:
            f = commit.file(request.match_info["path"])
        except EntryNotFound as exc:
            return hf_error(exc, commit.sha)
        name = f.path.rsplit("/", 1)[-1]
        headers = {
            "X-Repo-Commit": commit.sha,
            **file_type_headers(name),
            "Cache-Control": "public, max-age=31536000, immutable"
            if _revision(request) == commit.sha
            else "no-cache",
        }
        if f.lfs:
            headers["X-Linked-Etag"] = f'"{f.sha256}"'
            headers["X-Linked-Size"] = str(f.size)
            headers.update(xet_headers(request, f, kind.plural, repo_id, commit.sha))
        return await send_blob(request, hub.blob_path(f.sha256), f.size, f.etag, headers)

    return resolve


async def hub_summary(request: web.Request) -> web.Response:
    """``GET /api/hub``: how many repos, and the upload limit (the CLI checks it first)."""
    hub = _hub(request)
    repos = await asyncio.to_thread(hub.repos)
    return web.json_response(
        {
            "models": sum(r.kind is RepoKind.MODEL for r in repos),
            "datasets": sum(r.kind is RepoKind.DATASET for r in repos),
            "maxUploadBytes": _settings(request).max_hub_upload_bytes,
            "xet": {"enabled": xet_enabled(request), **xet_stats(request.app)},
        }
    )


# -- writes -----------------------------------------------------------------------------------


def _too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the upload is larger than the hub's limit of {limit / (1 << 30):.2f} GiB",
        hint="push a smaller repo, or raise SPACEHOST_MAX_HUB_UPLOAD_BYTES on the server",
    )


async def receive_body(request: web.Request, dest: Path, limit: int) -> int:
    """Stream the request body into *dest*, never more than *limit* bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    received = 0
    with open(dest, "wb") as out:
        async for chunk in request.content.iter_chunked(1 << 20):
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            out.write(chunk)
    return received


def repo_urls(settings: Settings, kind: RepoKind, repo_id: str) -> dict[str, str]:
    prefix = "" if kind is RepoKind.MODEL else "datasets/"
    return {
        "page": f"{settings.base_url}/{prefix}{repo_id}",
        "api": f"{settings.base_url}/api/{kind.plural}/{repo_id}",
    }


async def push(request: web.Request) -> web.Response:
    """``POST /api/{models|datasets}/O/N/push?message=...``: a tar (or tar.gz) of the files
    becomes the repo's new head; 201 for a new repo, 200 otherwise. ``private=1`` makes the
    repo private (``private=0`` public again)."""
    await access.require_namespace_write(
        request, _identity_kind(request), request.match_info["owner"], request.match_info["name"]
    )
    hub, kind, repo_id, settings = (
        _hub(request),
        _kind(request),
        _repo_id(request),
        _settings(request),
    )
    check_repo_id(kind, repo_id)
    limit = settings.max_hub_upload_bytes
    work = hub.tmp_dir / f"upload-{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    try:
        archive = work / "upload.tar"
        await receive_body(request, archive, limit)
        files = work / "files"
        files.mkdir()
        await asyncio.to_thread(unpack_hub_archive, archive, files, max_bytes=limit)
        await asyncio.to_thread(archive.unlink)
        before = hub.repo(kind, repo_id).head.sha if hub.exists(kind, repo_id) else None
        commit = await asyncio.to_thread(
            functools.partial(
                hub.push,
                kind,
                repo_id,
                files,
                request.query.get("message", ""),
                move=True,
                author=access.actor(request).name,
            )
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    private = request.query.get("private")
    if private is not None and (before is None or private.lower() in ("1", "true")):
        flag = private.lower() in ("1", "true")
        await asyncio.to_thread(access.accounts(request).set_private, kind.value, repo_id, flag)
    prefix = "" if kind is RepoKind.MODEL else "datasets/"
    return web.json_response(
        {
            "id": repo_id,
            "type": kind.value,
            "sha": commit.sha,
            "commitOid": commit.sha,
            "commitUrl": f"{public_base(request)}/{prefix}{repo_id}/commit/{commit.sha}",
            "created": before is None,
            "unchanged": before == commit.sha,
            "files": len(commit.files),
            "size": commit.total_size,
            "urls": repo_urls(settings, kind, repo_id),
        },
        status=201 if before is None else 200,
    )


async def delete(request: web.Request) -> web.Response:
    """``DELETE /api/{models|datasets}/O/N``: the repo, its history, and unshared bytes."""
    await _require_existing(request)
    kind, repo_id = _kind(request), _repo_id(request)
    await asyncio.to_thread(_hub(request).delete, kind, repo_id)
    await asyncio.to_thread(access.accounts(request).set_private, kind.value, repo_id, False)
    return web.json_response({"id": repo_id, "type": kind.value, "deleted": True})


def add_hub_routes(app: web.Application) -> None:
    """Register the hub's routes on *app* (which holds ``hub`` and ``platform``)."""
    base = f"/api/{KINDS}/{{owner}}/{{name}}"
    app.router.add_get("/api/hub", hub_summary)
    app.router.add_get(f"/api/{KINDS}", list_repos)
    app.router.add_get(base, repo_info)
    app.router.add_delete(base, delete)
    app.router.add_put(f"{base}/settings", update_settings)
    app.router.add_get(f"{base}/revision/{{rev}}", repo_info)
    app.router.add_get(f"{base}/tree/{{rev}}", tree)
    app.router.add_get(f"{base}/tree/{{rev}}/{{path:.*}}", tree)
    app.router.add_post(f"{base}/paths-info/{{rev}}", paths_info)
    app.router.add_get(f"{base}/refs", refs)
    app.router.add_get(f"{base}/commits/{{rev}}", commits)
    app.router.add_post(f"{base}/push", push)
    resolve = "{owner}/{name}/resolve/{rev}/{path:.+}"
    # add_get also answers HEAD, which huggingface_hub sends first for every file
    app.router.add_get(f"/{resolve}", _resolver(RepoKind.MODEL))
    app.router.add_get(f"/datasets/{resolve}", _resolver(RepoKind.DATASET))
