"""What huggingface_hub's write routes share (``/api/{models|datasets|spaces}/O/N/...``: preupload,
commit, the LFS batch): which repo a request names, write access to it, the one branch, and
errors as the client reads them (``X-Error-Code``, ``X-Error-Message``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import web

from spacehost import access
from spacehost.api import moved
from spacehost.api.hub import hf_error
from spacehost.api.repos import repo_exists
from spacehost.api.spacerepo import head_commit as space_head
from spacehost.appkeys import HUB, PLATFORM
from spacehost.domain import RepoKind, SpaceId
from spacehost.errors import NotFound, RevisionNotFound, SpacehostError
from spacehost.identity import Action, Kind, Resource
from spacehost.lifecycle.facade import Facade
from spacehost.store import HubCommit, HubStore

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KINDS = {"models": Kind.MODEL, "datasets": Kind.DATASET, "spaces": Kind.SPACE}
MAIN = "main"


def kind_of(request: web.Request) -> Kind:
    """The repo kind the route names (``kinds`` in the match: models, datasets or spaces)."""
    return KINDS[request.match_info.get("kinds", "models")]


def repo_id_of(request: web.Request) -> str:
    return f"{request.match_info['owner']}/{request.match_info['name']}"


async def require_write(request: web.Request) -> Resource:
    """Write access to the existing repo the route names: a missing one is 404 (RepoNotFound)
    to everyone, as a private one is to whoever may not read it, before any 401 or 403."""
    access.actor(request)  # a token that is not valid: 401 first, whatever the repo
    m = request.match_info
    resource = access.repo(request, kind_of(request), m["owner"], m["name"])
    if not await asyncio.to_thread(repo_exists, request, resource.kind, resource.repo_id):
        raise await asyncio.to_thread(moved.missing, request, resource)
    await access.require(request, Action.WRITE, resource)
    return resource


def branch_of(request: web.Request) -> str:
    """The branch a write names (``{rev}``, URL-quoted by the client): only ``main`` here.

    Raises:
        RevisionNotFound: any other name (huggingface_hub raises its RevisionNotFoundError).
    """
    rev = unquote(request.match_info.get("rev", MAIN))
    if rev in (MAIN, "refs/heads/main"):
        return MAIN
    raise RevisionNotFound(
        f"no branch {rev!r}: repos here have one branch, main",
        hint="commit to main (leave out revision=); branches and pull requests are not "
        "supported yet",
    )


def head_commit(request: web.Request, kind: Kind, repo_id: str) -> HubCommit:
    """The head of the repo: a model's or dataset's ``main``, a space's ``main`` (may
    block: call it in a thread).

    Raises:
        RepoNotFound, SpaceNotFound.
    """
    if kind is Kind.SPACE:
        platform: Facade = request.app[PLATFORM]
        rec = platform.queries.get_space(SpaceId.parse(repo_id))
        if rec.revision is None:
            raise access.not_found(access.repo(request, kind, rec.id.owner, rec.id.name))
        return space_head(platform, rec.id)
    hub: HubStore = request.app[HUB]
    return hub.resolve(RepoKind(kind.value), repo_id, MAIN)


def hf_answers(handler: Handler) -> Handler:
    """Answer every platform error of *handler* with huggingface_hub's headers (its message and
    hint in ``X-Error-Message``, RepoNotFound and the like in ``X-Error-Code``)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SpacehostError as exc:
            resp = hf_error(exc)
            if exc.hint and not isinstance(exc, NotFound):
                # the client shows only this header's words: the hint (what to do) goes there
                # too (not for a missing repo: it must read as a hidden one, visibility.py)
                said = f"{exc.message} ({exc.hint})"
                resp.headers["X-Error-Message"] = said.encode("ascii", "replace").decode()
            return resp

    return wrapped
