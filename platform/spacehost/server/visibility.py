"""Private spaces, models and datasets look as if they did not exist to whoever may not read
them (Hugging Face's behaviour: a private name does not leak) -- one middleware in front of every
route that names a repo, so no handler can forget it (docs/accounts.md).

The repo a request names comes from its route (``owner``/``name`` in the match, the kind from
the path) or, for a status page, from the router's ``X-Spacehost-Space``. A hidden repo gets
exactly its kind's not-found: the API's JSON with huggingface_hub's ``X-Error-Code:
RepoNotFound``, or the 404 page.
"""

from __future__ import annotations

from aiohttp import web

from spacehost import access, headernames
from spacehost.api.errors import Handler
from spacehost.api.hub import hf_error
from spacehost.domain import RepoKind, SpaceId
from spacehost.errors import InvalidSpaceName, Unauthorized
from spacehost.identity import Kind, Resource
from spacehost.web.hub.pages import not_found_page
from spacehost.web.status import not_foundpage, unknown_space


def _kind_of_path(path: str, kinds: str | None) -> Kind:
    if path.startswith(("/api/spaces/", "/spaces/")):
        return Kind.SPACE
    if kinds == "datasets" or path.startswith("/datasets/"):
        return Kind.DATASET
    return Kind.MODEL


def addressed(request: web.Request) -> Resource | None:
    """The repo *request* names, or None."""
    status_of = request.headers.get(headernames.SPACE)
    if status_of and not request.path.startswith("/api/"):
        try:
            space = SpaceId.parse(status_of)
        except InvalidSpaceName:
            return None  # an unknown host label: nothing to hide
        return access.repo(request, Kind.SPACE, space.owner, space.name)
    m = request.match_info
    if "owner" not in m or "name" not in m:
        return None
    kind = _kind_of_path(request.path, m.get("kinds"))
    return access.repo(request, kind, m["owner"], m["name"])


def _router_wake(request: web.Request, resource: Resource) -> bool:
    """The router's own wake call for a space it already let this visitor into."""
    return (
        request.method == "POST"
        and request.path.endswith("/wake")
        and request.headers.get(headernames.SPACE) == resource.repo_id
    )


def _hidden(request: web.Request, resource: Resource) -> bool:
    """access.hidden, where a token that is not valid reads nothing (on the API such a token
    was refused before, server/bad_tokens.py; a page or status page treats it as no token, as
    it does for a space that does not exist)."""
    try:
        return access.hidden(request, resource)
    except Unauthorized:
        return True


def hidden_response(request: web.Request, resource: Resource) -> web.Response:
    err = access.not_found(resource)
    if (
        request.path.startswith("/api/")
        or "/resolve/" in request.path
        or ".git/info/lfs/" in request.path
    ):
        resp = hf_error(err)
        resp.headers["X-Error-Code"] = "RepoNotFound"  # a space's too (api/spaces.py space_info)
        return resp
    if request.headers.get(headernames.SPACE):  # a status page: what an unknown space gets
        return unknown_space(request, request.headers[headernames.SPACE])
    if resource.kind is Kind.SPACE:
        text = not_foundpage(resource.repo_id)
    else:
        kind = RepoKind.DATASET if resource.kind is Kind.DATASET else RepoKind.MODEL
        text = not_found_page(kind, resource.repo_id)
    return web.Response(text=text, status=404, content_type="text/html")


def _push(request: web.Request) -> bool:
    """A push, which may create the repo: refused as for a missing repo by its own check
    (access.require_namespace_write), since a 404 would tell that the name is taken."""
    return request.method == "POST" and request.path.endswith("/push")


@web.middleware
async def hide_private(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = addressed(request)
    if (
        resource is not None
        and resource.private
        and _hidden(request, resource)
        and not _router_wake(request, resource)
        and not _push(request)
    ):
        return hidden_response(request, resource)
    return await handler(request)
