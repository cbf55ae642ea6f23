"""``/api/spaces/...``: push, list, info, runtime, logs, restart, delete."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.api.accounts import settings_private
from spacehost.api.buildstream import follow_build, full_log, since_build_arg
from spacehost.api.errors import error_response
from spacehost.api.eventstream import client_connected, open_event_stream, send_stage, sse
from spacehost.api.hub import hf_error
from spacehost.api.hubjson import iso
from spacehost.appkeys import PLATFORM
from spacehost.builder.buildlog import concise
from spacehost.domain import SpaceId, Stage
from spacehost.errors import (
    InvalidRequest,
    RevisionNotFound,
    SpaceNotFound,
    UploadTooLarge,
)
from spacehost.identity import Kind
from spacehost.lifecycle.actions import PushOrigin
from spacehost.lifecycle.contract import space_host
from spacehost.lifecycle.facade import Facade
from spacehost.lifecycle.hotreload import HotReload
from spacehost.store import SpaceRecord, read_archive

LOG_POLL_S = 0.2  # how often a following log stream looks for new lines in the store
SPOOL_IN_MEMORY = 1 << 20  # a larger space upload waits in a file, not in memory, until read


def _platform(request: web.Request) -> Facade:
    platform: Facade = request.app[PLATFORM]
    return platform


def _space_id(request: web.Request) -> SpaceId:
    return SpaceId(request.match_info["owner"], request.match_info["name"])


def urls_of(rec_id: SpaceId, platform: Facade) -> dict[str, str]:
    s = platform.settings
    scheme = s.base_url.split("://", 1)[0]
    return {
        "subdomain": f"{scheme}://{space_host(rec_id, s)}/",
        "path": f"{s.base_url}/spaces/{rec_id}/",
    }


def _iso(ts: float | None) -> str | None:
    """A time as huggingface.co writes it (``2024-01-02T03:04:05.000Z``; huggingface_hub's
    parse_datetime refuses ``+00:00``)."""
    return iso(ts) if ts else None


def space_json(rec: SpaceRecord, platform: Facade, private: bool = False) -> dict[str, Any]:
    return {
        "id": str(rec.id),
        "author": rec.id.owner,
        "name": rec.id.name,
        # git's shas (store/spacecommits.py); the revision hash where no commit is recorded
        "sha": _sha(platform, rec.id, rec.revision),
        "servingSha": _sha(platform, rec.id, rec.serving_revision),
        # spacehost's own: the same revisions by the hash of their files, as builds name them
        "revision": rec.revision,
        "servingRevision": rec.serving_revision,
        "stage": rec.stage.value,
        "errorMessage": rec.error_message or None,
        "cardData": rec.manifest,
        "hardware": rec.hardware,
        "createdAt": _iso(rec.created_at),
        "lastModified": _iso(rec.updated_at),
        "urls": urls_of(rec.id, platform),
        **hf_space_fields(rec, platform, private),
    }


def _sha(platform: Facade, space: SpaceId, revision: str | None) -> str | None:
    return platform.queries.commit_of(space, revision) or revision


def hf_space_fields(rec: SpaceRecord, platform: Facade, private: bool = False) -> dict[str, Any]:
    """The fields huggingface_hub's ``SpaceInfo`` reads that spacehost has an answer for.

    ``host`` is the path-style URL (where gradio_client's ``Client("owner/name")`` goes; with
    its trailing slash, as gradio_client joins paths to it): every client reaches it, while
    ``OWNER-NAME.localhost`` does not resolve everywhere."""
    sdk = rec.manifest.get("sdk")
    return {
        "sdk": sdk,
        "host": f"{platform.settings.base_url}/spaces/{rec.id}/",
        "subdomain": rec.id.subdomain,
        "private": private,
        "disabled": False,
        "likes": 0,
        "tags": [str(sdk)] if sdk else [],
    }


def siblings(platform: Facade, rec: SpaceRecord) -> list[dict[str, Any]]:
    """The files of the space's newest revision, as ``SpaceInfo.siblings``."""
    if not rec.revision or not platform.queries.revision_exists(rec.revision):
        return []
    return [
        {"rfilename": path, "size": size}
        for path, size in platform.queries.revision_listing(rec.revision)
    ]


async def list_spaces(request: web.Request) -> web.Response:
    """``GET /api/spaces[?author=A&search=S&limit=N]`` (huggingface_hub's ``list_spaces``)."""
    platform, q = _platform(request), request.query
    recs = await asyncio.to_thread(platform.queries.list_spaces)
    shown = set(access.visible(request, Kind.SPACE, [str(r.id) for r in recs]))
    recs = [r for r in recs if str(r.id) in shown]
    author, search = q.get("author", "").lower(), q.get("search", "").lower()
    found = [
        r
        for r in recs
        if (not author or r.id.owner.lower() == author)
        and (not search or search in str(r.id).lower())
    ]
    if q.get("limit", "").isdigit():
        found = found[: int(q["limit"])]
    private = await asyncio.to_thread(access.accounts(request).private_repos, Kind.SPACE.value)
    return web.json_response([space_json(r, platform, str(r.id) in private) for r in found])


async def space_info(request: web.Request) -> web.Response:
    """``GET /api/spaces/O/N[/revision/REV]`` (REV: ``main`` or the newest revision's sha)."""
    platform, space = _platform(request), _space_id(request)
    try:
        rec = await asyncio.to_thread(platform.queries.get_space, space)
    except SpaceNotFound as exc:  # huggingface_hub's repo_exists needs HF's error code
        resp = error_response(exc)
        resp.headers["X-Error-Code"] = "RepoNotFound"
        return resp
    rev = request.match_info.get("rev", "main")
    if rev != "main" and await asyncio.to_thread(_names_head, platform, rec, rev) is False:
        head = _sha(platform, space, rec.revision)
        return hf_error(
            RevisionNotFound(f"{space} has no revision {rev!r}", hint=f"use main or {head}")
        )
    body = space_json(rec, platform, await asyncio.to_thread(platform.is_private, space))
    body["siblings"] = await asyncio.to_thread(siblings, platform, rec)
    body["runtime"] = await asyncio.to_thread(platform.runtime_info, space)
    builds = await asyncio.to_thread(platform.queries.builds, space, 10)
    body["builds"] = [
        {
            "id": b.id,
            "revision": b.revision,
            "status": b.status,
            "startedAt": _iso(b.started_at),
            "finishedAt": _iso(b.finished_at),
            "error": b.error or None,
            "nocache": b.nocache,
        }
        for b in builds
    ]
    return web.json_response(body)


def _names_head(platform: Facade, rec: SpaceRecord, rev: str) -> bool:
    """Whether *rev* (a git sha, a prefix of one, or a revision hash) names *rec*'s newest
    revision."""
    return bool(rec.revision) and platform.queries.revision_of(rec.id, rev) == rec.revision


async def space_runtime(request: web.Request) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    return web.json_response(await asyncio.to_thread(platform.runtime_info, space))


async def _read_limited(
    request: web.Request, limit: int, spool_dir: Path
) -> tempfile.SpooledTemporaryFile[bytes]:
    """The body, at most *limit* bytes, in a temporary file (in memory up to
    :data:`SPOOL_IN_MEMORY`, then on disk in *spool_dir*, removed when closed)."""
    if request.content_length is not None and request.content_length > limit:
        raise UploadTooLarge(
            f"upload of {request.content_length} bytes is over the limit of "
            f"{limit // (1 << 20)} MiB",
            hint="exclude large files with .spacehostignore, or raise SPACEHOST_MAX_UPLOAD",
        )
    size = 0
    # closed below on failure, else by the caller
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=str(spool_dir))  # noqa: SIM115
    try:
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise UploadTooLarge(
                    f"upload is over the limit of {limit // (1 << 20)} MiB",
                    hint="exclude large files with .spacehostignore, or raise SPACEHOST_MAX_UPLOAD",
                )
            body.write(chunk)
        if not size:
            raise InvalidRequest("empty upload", hint="send the space folder as a tar.gz body")
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def _newest_build(platform: Facade, space: SpaceId) -> int:
    """The id of *space*'s newest build (0: none): the deploy a push or restart starts builds
    after it, so ``since_build`` with this id follows that deploy's build alone."""
    builds = platform.queries.builds(space, 1)
    return builds[0].id if builds else 0


async def push(request: web.Request) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    limit = platform.settings.max_upload_bytes
    with await _read_limited(request, limit, platform.settings.data_dir) as body:
        files = await asyncio.to_thread(read_archive, body, max_bytes=limit)
    since = await asyncio.to_thread(_newest_build, platform, space)
    origin = PushOrigin(author=access.actor(request).name, message=request.query.get("message"))
    hot = bool(_flag(request.query.get("hot_reload")))
    result = await asyncio.to_thread(partial(platform.push, space, files, origin, hot_reload=hot))
    private = _flag(request.query.get("private"))
    if private is not None and (result.created or private):
        await asyncio.to_thread(platform.set_private, space, private)
    return web.json_response(
        {
            "id": str(space),
            "revision": result.revision,
            "sha": result.commit,
            "created": result.created,
            "unchanged": result.unchanged,
            "warnings": list(result.warnings),
            "sinceBuild": since,
            "urls": urls_of(space, platform),
            "hotReload": _hot_reload_json(result.hot_reload),
        },
        status=202,
    )


def _hot_reload_json(outcome: HotReload | None) -> dict[str, Any] | None:
    """A push's ``?hot_reload=1`` outcome: ``{"applied", "seconds", "reason"}``."""
    if outcome is None:
        return None
    return {"applied": outcome.applied, "seconds": outcome.seconds, "reason": outcome.reason}


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() in ("1", "true", "yes", "private")


async def update_settings(request: web.Request) -> web.Response:
    """``PUT /api/spaces/O/N/settings {"visibility": "private"|"public"}`` (or older clients'
    ``{"private": bool}``), as huggingface_hub's ``update_repo_settings`` sends it."""
    platform, space = _platform(request), _space_id(request)
    private = await settings_private(request)
    if private is not None:
        await asyncio.to_thread(platform.set_private, space, private)
    now = await asyncio.to_thread(platform.is_private, space)
    return web.json_response({"id": str(space), "private": now})


async def restart(request: web.Request) -> web.Response:
    """``POST .../restart[?factory=true]`` (a factory restart rebuilds without the cache):
    the runtime, as Hugging Face answers, and what spacehost's CLI follows the deploy by."""
    platform, space = _platform(request), _space_id(request)
    factory = request.query.get("factory", "").lower() in ("1", "true", "yes")
    since = await asyncio.to_thread(_newest_build, platform, space)
    await asyncio.to_thread(platform.restart, space, factory=factory)
    rec = await asyncio.to_thread(platform.queries.get_space, space)
    runtime = await asyncio.to_thread(platform.runtime_info, space)
    return web.json_response(
        {
            **runtime,  # huggingface_hub's restart_space reads the runtime
            "id": str(space),
            "factory": factory,
            "revision": rec.revision,
            "sinceBuild": since,
            "urls": urls_of(space, platform),
        },
        status=202,
    )


async def delete(request: web.Request) -> web.Response:
    platform, space = _platform(request), _space_id(request)
    await asyncio.to_thread(platform.delete, space)
    return web.json_response({"id": str(space), "deleted": True})


def _log_kind(request: web.Request) -> str:
    kind = request.query.get("kind", "run")
    if kind not in ("build", "run"):
        raise InvalidRequest(f"unknown log kind {kind!r}", hint="use kind=build or kind=run")
    return kind


def _tail_arg(request: web.Request) -> int:
    try:
        return max(0, int(request.query.get("tail", "200")))
    except ValueError as exc:
        raise InvalidRequest("tail must be a whole number", hint="e.g. tail=100") from exc


async def _log_ref(request: web.Request, platform: Facade, space: SpaceId, kind: str) -> str | None:
    """Which build/run: ``run=current`` (default), ``run=previous`` (the one before: a crashed
    run's log stays readable after a restart), or a ref from ``/logs/runs``."""
    which = request.query.get("run", "current")
    refs = await asyncio.to_thread(platform.queries.log_refs, space, kind, 2)
    if which == "current":
        return refs[0] if refs else None
    if which == "previous":
        return refs[1] if len(refs) > 1 else None
    return which


async def log_runs(request: web.Request) -> web.Response:
    """The builds and container runs that have logs, newest first."""
    platform, space = _platform(request), _space_id(request)
    kind = _log_kind(request)
    await asyncio.to_thread(platform.queries.get_space, space)
    refs = await asyncio.to_thread(platform.queries.log_refs, space, kind, 20)
    return web.json_response({"kind": kind, "runs": refs})


async def logs(request: web.Request) -> web.StreamResponse:
    """Build or run logs of the latest build/container; ``follow=1`` streams them as SSE."""
    platform, space = _platform(request), _space_id(request)
    kind, tail = _log_kind(request), _tail_arg(request)
    await asyncio.to_thread(platform.queries.get_space, space)
    ref = await _log_ref(request, platform, space, kind)
    if ref is None and request.query.get("run", "current") != "current":
        return web.Response(text="", content_type="text/plain")
    follow = request.query.get("follow", "") in ("1", "true")
    since = since_build_arg(request)
    if follow and kind == "build" and since is not None:
        return await follow_build(request, platform, space, since, request.query.get("revision"))
    keep = _line_filter(request, kind)
    # the concise build log drops lines: read more so that the tail still has *tail* lines
    wide = tail * 4 if keep is not None else tail
    lines = await asyncio.to_thread(platform.queries.logs, space, kind, tail=wide, ref=ref)
    if keep is not None:
        lines = [ln for ln in lines if keep(ln.line)]
        lines = lines[-tail:] if tail else lines
    if not follow:
        text = "".join(ln.line + "\n" for ln in lines)
        return web.Response(text=text, content_type="text/plain")
    # tail=0 follows from now: not from the first line ever stored
    newest = lines or await asyncio.to_thread(platform.queries.logs, space, kind, tail=1)
    # a run named by its ref is followed alone (the space page's pane of the serving revision
    # must not show a failed newer revision's traceback)
    pinned = ref if request.query.get("run", "current") not in ("current", "previous") else None
    return await _follow(
        request, platform, space, kind, newest[-1].id if newest else 0, lines, pinned, keep
    )


def _line_filter(request: web.Request, kind: str) -> Callable[[str], bool] | None:
    """Which lines to send: a build log is concise unless ``full=1`` (builder/buildlog.py)."""
    return concise if kind == "build" and not full_log(request) else None


async def _follow(
    request: web.Request,
    platform: Facade,
    space: SpaceId,
    kind: str,
    last_id: int,
    first: list[Any],
    ref: str | None = None,
    keep: Callable[[str], bool] | None = None,
) -> web.StreamResponse:
    resp = await open_event_stream(request)
    for ln in first:
        await resp.write(sse(None, {"data": ln.line, "timestamp": _iso(ln.ts)}))
    stage = None
    while client_connected(request):
        rows = await asyncio.to_thread(
            platform.queries.logs, space, kind, after_id=last_id, ref=ref
        )
        for ln in rows:
            if keep is None or keep(ln.line):
                await resp.write(sse(None, {"data": ln.line, "timestamp": _iso(ln.ts)}))
            last_id = ln.id
        rec = await asyncio.to_thread(platform.queries.find_space, space)
        if rec is None:
            break
        stage = await send_stage(resp, rec, stage)
        if kind == "build" and not rows and stage not in (Stage.BUILDING, Stage.RUNNING_BUILDING):
            break
        await asyncio.sleep(LOG_POLL_S)
    if client_connected(request):
        await resp.write_eof()
    return resp
