"""huggingface_hub's repo reads for spaces -- ``list_repo_refs``, ``list_repo_commits``,
``list_repo_files``, ``list_repo_tree`` and ``get_paths_info`` with ``repo_type="space"``:
the space's git repository (store/spacecommits.py) in the same JSON shapes as a model's commits
(api/hubjson.py). A revision is a branch, a tag, a commit sha or a unique prefix of one (7
characters at least), or the hash of a stored revision's files (what builds and logs name)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from aiohttp import web

from spacehost.api.errors import error_response
from spacehost.api.hub import hf_error
from spacehost.api.hubjson import commit_json, last_changes, path_info_json, tree_json
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.errors import (
    EntryNotFound,
    InvalidRequest,
    RepoNotFound,
    RevisionNotFound,
    SpaceNotFound,
)
from spacehost.lifecycle.facade import Facade
from spacehost.store import HubCommit, HubFile
from spacehost.store.gitrepos import GitCommitInfo, GitReader
from spacehost.store.hubgit import parse_lfs_pointer

_REGULAR = 0o100000


def resolve(platform: Facade, space: SpaceId, rev: str) -> str:
    """The commit sha *rev* names in *space*'s repository.

    Raises:
        SpaceNotFound, RevisionNotFound.
    """
    platform.queries.get_space(space)
    by_revision = platform.queries.commit_of(space, rev.lower())
    if by_revision is not None:
        return by_revision
    try:
        return platform.queries.git_resolve(space, rev)
    except (RepoNotFound, RevisionNotFound):
        raise RevisionNotFound(
            f"{space} has no revision {rev!r}",
            hint="use main, a branch, a tag or a commit sha (list them with "
            f"GET /api/spaces/{space}/refs)",
        ) from None


def history(platform: Facade, space: SpaceId, rev: str, *, files: bool = True) -> list[HubCommit]:
    """Commit *rev* of *space* and its ancestors, newest first, with their files (none unless
    *files*: reading every commit's tree is the costly part).

    Raises:
        SpaceNotFound, RevisionNotFound.
    """
    head = resolve(platform, space, rev)
    infos = platform.queries.git_log(space, head)
    if not files:
        return [_as_hub_commit(info) for info in infos]
    seen: dict[str, tuple[str, int]] = {}  # a file unchanged across commits is read once
    with platform.queries.git_reader(space) as reader:
        return [_hub_commit(reader, info, seen) for info in infos]


def commit_at(platform: Facade, space: SpaceId, rev: str) -> HubCommit:
    """Commit *rev* of *space* with its files.

    Raises:
        SpaceNotFound, RevisionNotFound.
    """
    sha = resolve(platform, space, rev)
    with platform.queries.git_reader(space) as reader:
        return _hub_commit(reader, reader.commit_info(sha), {})


def head_commit(platform: Facade, space: SpaceId) -> HubCommit:
    """``main`` of *space* with its files (preupload's answers compare with it).

    Raises:
        SpaceNotFound, RevisionNotFound.
    """
    return commit_at(platform, space, "main")


def _newest_and_history(
    platform: Facade, space: SpaceId, rev: str, expand: bool
) -> tuple[HubCommit, dict[str, HubCommit] | None]:
    """Commit *rev* with its files, and (with *expand*) the commit that last changed each."""
    if not expand:
        return commit_at(platform, space, rev), None
    found = history(platform, space, rev)
    return found[0], last_changes(found)


def _hub_commit(
    reader: GitReader, info: GitCommitInfo, seen: dict[str, tuple[str, int]]
) -> HubCommit:
    files = []
    for entry in reader.tree(info.sha):
        if entry.mode & 0o170000 != _REGULAR:
            continue
        if entry.blob not in seen:
            seen[entry.blob] = _hash_and_size(reader.read_blob(entry.blob))
        sha256, size = seen[entry.blob]
        files.append(HubFile(entry.path, size, sha256, entry.blob))
    return _as_hub_commit(info, tuple(files))


def _as_hub_commit(info: GitCommitInfo, files: tuple[HubFile, ...] = ()) -> HubCommit:
    return HubCommit(
        sha=info.sha,
        parent=info.parents[0] if info.parents else None,
        created_at=info.created_at,
        message=info.message,
        files=files,
    )


def _hash_and_size(data: bytes) -> tuple[str, int]:
    """A blob's file: its sha256 and size (an LFS pointer's: of the file it stands for)."""
    pointer = parse_lfs_pointer(data)
    if pointer is not None:
        return pointer.sha256, pointer.size
    return hashlib.sha256(data).hexdigest(), len(data)


def _refs_json(refs: dict[str, str]) -> dict[str, Any]:
    """``GET .../refs``: the repository's branches and tags."""

    def items(prefix: str) -> list[dict[str, str]]:
        return [
            {"name": name.removeprefix(prefix), "ref": name, "targetCommit": sha}
            for name, sha in sorted(refs.items())
            if name.startswith(prefix)
        ]

    return {
        "branches": items("refs/heads/"),
        "tags": items("refs/tags/"),
        "converts": [],
        "pullRequests": [],
    }


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
    """``GET /api/spaces/O/N/refs``: the git repository's branches and tags."""
    platform, space = _space(request)
    await asyncio.to_thread(platform.queries.get_space, space)
    return web.json_response(_refs_json(await asyncio.to_thread(platform.queries.git_refs, space)))


@_hf_errors
async def commits(request: web.Request) -> web.Response:
    """``GET /api/spaces/O/N/commits/REV``: git log of REV."""
    platform, space = _space(request)
    found = await asyncio.to_thread(
        history, platform, space, request.match_info["rev"], files=False
    )
    return web.json_response([commit_json(c, space.owner) for c in found])


@_hf_errors
async def tree(request: web.Request) -> web.Response:
    """``GET /api/spaces/O/N/tree/REV[/PATH]`` (``recursive``, ``expand``)."""
    platform, space = _space(request)
    folder = request.match_info.get("path", "").strip("/")
    expand = request.query.get("expand", "").lower() in ("1", "true")
    recursive = request.query.get("recursive", "").lower() in ("1", "true")
    newest, last = await asyncio.to_thread(
        _newest_and_history, platform, space, request.match_info["rev"], expand
    )
    entries = tree_json(newest, folder, recursive=recursive, last=last)
    if entries is None:
        raise EntryNotFound(
            f"no folder {folder!r} in revision {newest.sha[:12]} of {space}",
            hint="list the root: .../tree/main",
        )
    return web.json_response(entries, headers={"X-Repo-Commit": newest.sha})


@_hf_errors
async def paths_info(request: web.Request) -> web.Response:
    """``POST /api/spaces/O/N/paths-info/REV`` (form fields or JSON: ``paths``, ``expand``)."""
    platform, space = _space(request)
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
    newest, last = await asyncio.to_thread(
        _newest_and_history, platform, space, request.match_info["rev"], expand
    )
    return web.json_response(path_info_json(newest, paths, last))


def add_space_repo_routes(app: web.Application) -> None:
    """Register the routes above on *app* (which holds ``platform``)."""
    base = "/api/spaces/{owner}/{name}"
    app.router.add_get(f"{base}/refs", refs)
    app.router.add_get(f"{base}/commits/{{rev}}", commits)
    app.router.add_get(f"{base}/tree/{{rev}}", tree)
    app.router.add_get(f"{base}/tree/{{rev}}/{{path:.*}}", tree)
    app.router.add_post(f"{base}/paths-info/{{rev}}", paths_info)
