"""``POST /api/repos/move {"fromRepo", "toRepo", "type"?}``: Hugging Face's move_repo, so
``HfApi.move_repo(from_id, to_id, repo_type=...)`` renames a model or dataset, or transfers it
to another user or organization (docs/hub.md, "Moving a repo").

Who may: whoever may write the repo (what deleting it takes) and may create repos in the new
namespace (what ``create_repo`` there takes). The new id must be free (409). The repo keeps its
commits, branches, tags, files and visibility; reads of the old id are redirected to the new
one (api/moved.py). Spaces are refused (501): a space's id is also its containers, volume,
hosts, routes and secrets, which are not moved yet.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.api.accounts import _json
from spacehost.api.repos import KINDS, repo_exists, repo_url
from spacehost.appkeys import HUB
from spacehost.domain import RepoKind, check_repo_id
from spacehost.errors import Conflict, InvalidRequest, NotSupported
from spacehost.identity import Action, Kind
from spacehost.store import HubStore


def _kind(body: dict[str, Any]) -> Kind:
    value = body.get("type") or "model"  # huggingface_hub sends "model" for None
    if value not in KINDS:
        raise InvalidRequest(
            f'"type" {value!r} is not a repo type', hint='send "type": model, dataset or space'
        )
    return KINDS[value]


def _repo_field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or value.count("/") != 1:
        raise InvalidRequest(
            f'"{key}" must be a repo id namespace/name, got {value!r}',
            hint='send {"fromRepo": "alice/old", "toRepo": "alice/new", "type": "model"}',
        )
    return value


def _refuse_space(from_id: str, to_id: str) -> NotSupported:
    return NotSupported(
        "moving a space is not supported on this platform (its containers, volume, hosts, "
        "routes and secrets are named by its id)",
        hint=f"duplicate it (HfApi.duplicate_space({from_id!r}, to_id={to_id!r}) or the "
        "space's Settings page), set its secrets again, then delete the old one",
    )


def _move(request: web.Request, kind: Kind, from_id: str, to_id: str, private: bool) -> None:
    """The private flag first on the new id (a crash never leaves the repo public), then the
    hub's move, then the old id's flag cleared."""
    acc, hub, rkind = access.accounts(request), request.app[HUB], RepoKind(kind.value)
    assert isinstance(hub, HubStore)
    flagged = acc.is_private(kind.value, to_id)
    if private:
        acc.set_private(kind.value, to_id, True)
    try:
        hub.move(rkind, from_id, to_id)
    except Exception:
        # undone only while nobody's repo has that id (one made meanwhile keeps its flag)
        if private and not flagged and not hub.exists(rkind, to_id):
            acc.set_private(kind.value, to_id, False)
        raise
    if from_id.lower() != to_id.lower():  # the flags' ids ignore case: one row for both
        acc.set_private(kind.value, from_id, False)


async def move(request: web.Request) -> web.Response:
    """``POST /api/repos/move`` (see the module doc)."""
    access.actor(request)  # a token that is not valid: 401 first
    body = await _json(request)
    kind = _kind(body)
    from_id, to_id = _repo_field(body, "fromRepo"), _repo_field(body, "toRepo")
    if kind is Kind.SPACE:
        raise _refuse_space(from_id, to_id)
    check_repo_id(RepoKind(kind.value), to_id)
    source = access.repo(request, kind, *from_id.split("/"))
    if not await asyncio.to_thread(repo_exists, request, kind, from_id):
        raise access.not_found(source)
    await access.require(request, Action.WRITE, source)
    namespace, name = to_id.split("/")
    await access.require_namespace_write(request, kind, namespace, name)
    url = repo_url(request, kind, to_id)
    if await asyncio.to_thread(repo_exists, request, kind, to_id):
        raise Conflict(
            f"the {kind.value} {to_id} exists already", hint="choose another name for the move"
        )
    await asyncio.to_thread(_move, request, kind, from_id, to_id, source.private)
    return web.json_response({"url": url, "id": to_id, "type": kind.value, "from": from_id})


def add_move_routes(app: web.Application) -> None:
    app.router.add_post("/api/repos/move", move)
