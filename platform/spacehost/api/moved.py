"""Old names of moved models and datasets (``POST /api/repos/move``, docs/hub.md): a read of
the old id is redirected to the new one, as huggingface.co does, when the caller may read the
new one; any other request on the old id is a 404 that names the new id.

The redirect is a 307 with a relative ``Location`` (the old path with the id swapped), which
huggingface_hub follows for API calls and, as it does for renamed repos on huggingface.co, for
``resolve`` downloads. A private repo's new name is never told to someone who may not read it:
they get the plain 404.
"""

from __future__ import annotations

import re

from aiohttp import web

from spacehost import access
from spacehost.appkeys import HUB
from spacehost.domain import RepoKind
from spacehost.errors import NotFound, RepoNotFound, Unauthorized
from spacehost.identity import Kind, Resource
from spacehost.store import HubStore

_PREFIX = r"^(/api/(?:models|datasets)|/datasets|)"
READS = frozenset({"GET", "HEAD"})


def new_id(request: web.Request, kind: RepoKind, repo_id: str) -> str | None:
    """Where the repo once named *repo_id* lives now, when the request may read it there."""
    hub: HubStore = request.app[HUB]
    moved = hub.moved_to(kind, repo_id)
    if moved is None:
        return None
    owner, name = moved.split("/", 1)
    resource = access.repo(request, Kind(kind.value), owner, name)
    try:
        return None if access.hidden(request, resource) else moved
    except Unauthorized:  # a token that is not valid reads nothing
        return None


def location(request: web.Request, old: str, new: str) -> str:
    """The request's path and query with the repo id *old* swapped for *new* (a git URL's
    ``.git`` kept)."""
    pattern = _PREFIX + "/" + re.escape(old) + r"(?=\.git(?:[/?]|$)|[/?]|$)"
    return re.sub(pattern, rf"\1/{new}", request.raw_path, count=1)


def redirect(request: web.Request, old: str, new: str) -> web.Response:
    """307 to the same path and query under *new* (relative, as huggingface.co answers)."""
    return web.Response(
        status=307,
        headers={"Location": location(request, old, new)},
        text=f"{old} was moved to {new}\n",
    )


def moved_error(kind: RepoKind, old: str, new: str) -> RepoNotFound:
    return RepoNotFound(
        f"the {kind.value} {old} was moved to {new}",
        hint=f"use {new} (the old name only redirects reads)",
    )


def answer(
    request: web.Request, kind: RepoKind, repo_id: str, exc: RepoNotFound
) -> web.Response | RepoNotFound:
    """What a request on a missing *repo_id* gets: a redirect for a read of a moved repo, the
    error naming the new id for any other request on it, else *exc* unchanged."""
    new = new_id(request, kind, repo_id)
    if new is None:
        return exc
    if request.method in READS:
        return redirect(request, repo_id, new)
    return moved_error(kind, repo_id, new)


def missing(request: web.Request, resource: Resource) -> NotFound:
    """The 404 for a write on a repo that does not exist: naming the new id when it was moved
    (and the caller may read it there), else the plain one (access.not_found)."""
    if resource.kind in (Kind.MODEL, Kind.DATASET):
        kind = RepoKind(resource.kind.value)
        new = new_id(request, kind, resource.repo_id)
        if new is not None:
            return moved_error(kind, resource.repo_id, new)
    return access.not_found(resource)
