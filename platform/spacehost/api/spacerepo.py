"""huggingface_hub's repo reads for spaces -- ``list_repo_refs``, ``list_repo_commits``,
``list_repo_files``, ``list_repo_tree`` and ``get_paths_info`` with ``repo_type="space"``:
a space's stored revisions (its push history) in the same JSON shapes as a model's commits
(api/hubjson.py). ``main`` is the newest pushed revision; a revision sha or a unique prefix of
one (7 characters at least) names an older one while its files are kept."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from aiohttp import web

from spacehost.api.errors import error_response
from spacehost.api.hub import hf_error
from spacehost.api.hubjson import commit_json, last_changes, path_info_json, refs_json, tree_json
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import EntryNotFound, InvalidRequest, RevisionNotFound, SpaceNotFound
from spacehost.lifecycle.facade import Facade
from spacehost.store import HubCommit, HubFile
from spacehost.store.hubfiles import git_blob_id

_MIN_PREFIX = 7


def revision_commit(platform: Facade, revision: str, when: float, parent: str | None) -> HubCommit:
    """Stored revision *revision* of a space as a hub commit (its files hashed as git does)."""
    base = platform.queries.revision_path(revision)
    files = []
    for path, size in platform.queries.revision_listing(revision):
        data = (base / path).read_bytes()
        files.append(HubFile(path, size, hashlib.sha256(data).hexdigest(), git_blob_id(data)))
    return HubCommit(
        sha=revision,
        parent=parent,
        created_at=when,
        message=f"Push {revision[:12]}",
        files=tuple(files),
    )


def history(platform: Facade, space: SpaceId, rev: str) -> list[HubCommit]:
    """Revision *rev* of *space* and the older ones whose files are kept, newest first.

    Raises:
        SpaceNotFound, RevisionNotFound.
    """
    rec = platform.queries.get_space(space)
    kept = [
        (h, t) for h, t in platform.queries.revisions(space) if platform.queries.revision_exists(h)
    ]
    wanted = rec.revision if rev == "main" else rev.lower()
    found = [
        i
        for i, (h, _) in enumerate(kept)
        if wanted and (h == wanted or (len(wanted) >= _MIN_PREFIX and h.startswith(wanted)))
    ]
    if len(found) != 1:
        raise RevisionNotFound(
            f"{space} has no revision {rev!r}",
            hint=f"use main or a revision of the space ({rec.revision})",
        )
    older = kept[found[0] :]
    return [
        revision_commit(platform, h, t, older[i + 1][0] if i + 1 < len(older) else None)
        for i, (h, t) in enumerate(older)
    ]


def _space(request: web.Request) -> tuple[Facade, SpaceId]:
    platform: Facade = request.app[PLATFORM]
    return platform, SpaceId(request.match_info["owner"], request.match_info["name"])


def _hf_errors(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except SpaceNotFound as exc:
            resp = error_response(exc)
            resp.headers["X-Error-Code"] = "RepoNotFound"
            return resp
        except (RevisionNotFound, EntryNotFound) as exc:
            return hf_error(exc)
        return response

    return wrapped


@_hf_errors
async def refs(request: web.Request) -> web.Response:
    """``GET /api/spaces/O/N/refs``: ``main`` at the newest revision."""
    platform, space = _space(request)
    commits = await asyncio.to_thread(history, platform, space, "main")
    return web.json_response(refs_json(commits[0]))


@_hf_errors
async def commits(request: web.Request) -> web.Response:
    """``GET /api/spaces/O/N/commits/REV``: REV and the older kept revisions."""
    platform, space = _space(request)
    found = await asyncio.to_thread(history, platform, space, request.match_info["rev"])
    return web.json_response([commit_json(c, space.owner) for c in found])


@_hf_errors
async def tree(request: web.Request) -> web.Response:
    """``GET /api/spaces/O/N/tree/REV[/PATH]`` (``recursive``, ``expand``)."""
    platform, space = _space(request)
    found = await asyncio.to_thread(history, platform, space, request.match_info["rev"])
    folder = request.match_info.get("path", "").strip("/")
    expand = request.query.get("expand", "").lower() in ("1", "true")
    recursive = request.query.get("recursive", "").lower() in ("1", "true")
    entries = tree_json(
        found[0], folder, recursive=recursive, last=last_changes(found) if expand else None
    )
    if entries is None:
        raise EntryNotFound(
            f"no folder {folder!r} in revision {found[0].sha[:12]} of {space}",
            hint="list the root: .../tree/main",
        )
    return web.json_response(entries, headers={"X-Repo-Commit": found[0].sha})


@_hf_errors
async def paths_info(request: web.Request) -> web.Response:
    """``POST /api/spaces/O/N/paths-info/REV`` (form fields or JSON: ``paths``, ``expand``)."""
    platform, space = _space(request)
    found = await asyncio.to_thread(history, platform, space, request.match_info["rev"])
    if request.content_type == "application/json":
        body = await request.json()
        body = body if isinstance(body, dict) else {}
        paths, expand = body.get("paths", []), bool(body.get("expand"))
    else:
        form = await request.post()
        paths = [str(p) for p in form.getall("paths", [])]
        expand = str(form.get("expand", "")).lower() in ("1", "true")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidRequest("paths must be a list of file paths", hint='{"paths": ["app.py"]}')
    return web.json_response(
        path_info_json(found[0], paths, last_changes(found) if expand else None)
    )


def add_space_repo_routes(app: web.Application) -> None:
    """Register the routes above on *app* (which holds ``platform``)."""
    base = "/api/spaces/{owner}/{name}"
    app.router.add_get(f"{base}/refs", refs)
    app.router.add_get(f"{base}/commits/{{rev}}", commits)
    app.router.add_get(f"{base}/tree/{{rev}}", tree)
    app.router.add_get(f"{base}/tree/{{rev}}/{{path:.*}}", tree)
    app.router.add_post(f"{base}/paths-info/{{rev}}", paths_info)
