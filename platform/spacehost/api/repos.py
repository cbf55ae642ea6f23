"""``POST /api/repos/create``: Hugging Face's create_repo, so ``HfApi.create_repo`` (and the
"New space" page) make an empty space, model or dataset here (docs/api.md).

Body: ``{"name", "organization"?, "type"?: "model"|"dataset"|"space", "visibility"?|"private"?,
"sdk"}`` (``sdk`` for spaces: gradio, static or docker). The namespace is the organization, or
the caller's own name. A space starts from a hello-world for its sdk, deployed as any push; a
model or dataset from a README card. Answers ``{"url", "name", "id"}``; 409 with the ``url``
when the repo exists (``create_repo(exist_ok=True)`` reads that as success).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.api.accounts import _json, requested_private
from spacehost.api.clienturl import public_base
from spacehost.api.hub import hf_error
from spacehost.api.repo_templates import card, check_sdk, space_files
from spacehost.appkeys import HUB, PLATFORM
from spacehost.domain import RepoKind, SpaceId, check_repo_id
from spacehost.errors import Conflict, InvalidRequest, Unauthorized
from spacehost.identity import Action, Kind
from spacehost.lifecycle.actions import PushOrigin
from spacehost.lifecycle.facade import Facade
from spacehost.settings import Settings
from spacehost.store import HubStore

KINDS = {"model": Kind.MODEL, "dataset": Kind.DATASET, "space": Kind.SPACE}
# create_repo's space_* options: refused rather than dropped, each with where to set it instead
LATER = {
    "secrets": "add them after creating it (Settings tab, `HfApi.add_space_secret`)",
    "variables": "add them after creating it (Settings tab, `HfApi.add_space_variable`)",
    "sleepTimeSeconds": "set it after creating it (Settings tab, `HfApi.set_space_sleep_time`)",
    "hardware": "set `hardware:` in the space's README.md and push it",
    "volumes": "spaces get /data; mount hub repos with `preload_from_hub` in README.md",
    "template": "push your own files after creating the space",
}


def repo_url(request: web.Request, kind: Kind, repo_id: str) -> str:
    """The repo's page, as huggingface.co writes it (huggingface_hub's ``RepoUrl`` parses the
    kind and id back from it), under the address the client used (api/clienturl.py)."""
    prefix = {Kind.SPACE: "spaces/", Kind.DATASET: "datasets/"}.get(kind, "")
    return f"{public_base(request)}/{prefix}{repo_id}"


def _kind(body: dict[str, Any]) -> Kind:
    value = body.get("type") or "model"  # HF's default
    if value not in KINDS:
        raise InvalidRequest(
            f'"type" {value!r} is not a repo type', hint='send "type": model, dataset or space'
        )
    return KINDS[value]


def _optional_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key) or ""
    if not isinstance(value, str):
        raise InvalidRequest(f'"{key}" must be a string', hint=f'send {{"{key}": "..."}}')
    return value


def _namespace(request: web.Request, body: dict[str, Any]) -> str:
    org = _optional_str(body, "organization")
    if org:
        return org
    who = access.actor(request)
    if who.name is None:
        raise Unauthorized("creating a repo needs a token", hint=access.TOKEN_HINT)
    return who.name


def _python(settings: Settings) -> str:
    bases = settings.python_bases
    return settings.default_python if settings.default_python in bases else min(bases)


def repo_exists(request: web.Request, kind: Kind, repo_id: str) -> bool:
    """Whether the space, model or dataset *repo_id* exists (private or not; may block)."""
    if kind is Kind.SPACE:
        platform: Facade = request.app[PLATFORM]
        return platform.queries.find_space(SpaceId.parse(repo_id)) is not None
    hub: HubStore = request.app[HUB]
    return hub.exists(RepoKind(kind.value), repo_id)


def _create_space(request: web.Request, repo_id: str, sdk: object, private: bool) -> None:
    platform: Facade = request.app[PLATFORM]
    space, settings = SpaceId.parse(repo_id), platform.settings
    files = space_files(space.name, check_sdk(sdk), settings.gradio_version, _python(settings))
    if private:  # hidden before its first revision is stored
        access.accounts(request).set_private(Kind.SPACE.value, repo_id, True)
    platform.push(space, files, PushOrigin(access.actor(request).name, "initial commit"))
    if private:
        platform.set_private(space, True)  # and the router's table follows


def _create_hub_repo(request: web.Request, kind: Kind, repo_id: str, private: bool) -> None:
    hub: HubStore = request.app[HUB]
    if private:
        access.accounts(request).set_private(kind.value, repo_id, True)
    folder = Path(tempfile.mkdtemp(dir=hub.tmp_dir))
    try:
        (folder / "README.md").write_bytes(card(kind.value, repo_id))
        hub.push(
            RepoKind(kind.value),
            repo_id,
            folder,
            "initial commit",
            move=True,
            author=access.actor(request).name,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _refuse_options(body: dict[str, Any]) -> None:
    for key, instead in LATER.items():
        if body.get(key) is not None:
            raise InvalidRequest(
                f'"{key}" is not taken when creating a repo here', hint=f"leave it out: {instead}"
            )


def _exists_response(kind: Kind, repo_id: str, url: str) -> web.Response:
    err = Conflict(
        f"the {kind.value} {repo_id} exists already",
        hint=f"push to it ({url}), or choose another name",
    )
    resp = web.json_response({**err.to_json(), "url": url}, status=err.http_status)
    resp.headers["X-Error-Message"] = hf_error(err).headers["X-Error-Message"]
    return resp


async def create(request: web.Request) -> web.Response:
    """``POST /api/repos/create`` (see the module doc)."""
    body = await _json(request)
    kind, name = _kind(body), _optional_str(body, "name")
    if not name:
        raise InvalidRequest('"name" is missing', hint='send {"name": "my-space", ...}')
    namespace = _namespace(request, body)
    repo_id = f"{namespace}/{name}"
    if kind is Kind.SPACE:
        SpaceId.parse(repo_id)
    else:
        check_repo_id(RepoKind(kind.value), repo_id)
    private = bool(requested_private(body))
    _refuse_options(body)
    if kind is Kind.SPACE:
        check_sdk(body.get("sdk"))  # before anything is written
    await access.require_namespace_write(request, kind, namespace, name)
    url = repo_url(request, kind, repo_id)
    if await asyncio.to_thread(repo_exists, request, kind, repo_id):
        return _exists_response(kind, repo_id, url)
    if kind is Kind.SPACE:
        await asyncio.to_thread(_create_space, request, repo_id, body.get("sdk"), private)
    else:
        await asyncio.to_thread(_create_hub_repo, request, kind, repo_id, private)
    return web.json_response({"url": url, "name": repo_id, "id": repo_id})


def _delete_repo(request: web.Request, kind: Kind, repo_id: str) -> None:
    if kind is Kind.SPACE:
        platform: Facade = request.app[PLATFORM]
        platform.delete(SpaceId.parse(repo_id))
        return
    hub: HubStore = request.app[HUB]
    hub.delete(RepoKind(kind.value), repo_id)
    access.accounts(request).set_private(kind.value, repo_id, False)


async def delete(request: web.Request) -> web.Response:
    """``DELETE /api/repos/delete {"name", "organization"?, "type"?}`` (HF's delete_repo): the
    repo and everything it holds. A missing (or hidden) repo is 404 with ``X-Error-Code:
    RepoNotFound``, which ``delete_repo(missing_ok=True)`` takes as done."""
    access.actor(request)  # a token that is not valid: 401 first
    body = await _json(request)
    kind, name = _kind(body), _optional_str(body, "name")
    if not name:
        raise InvalidRequest('"name" is missing', hint='send {"name": "my-model", ...}')
    namespace = _namespace(request, body)
    resource = access.repo(request, kind, namespace, name)
    if not await asyncio.to_thread(repo_exists, request, kind, resource.repo_id):
        raise access.not_found(resource)
    await access.require(request, Action.WRITE, resource)
    await asyncio.to_thread(_delete_repo, request, kind, resource.repo_id)
    return web.json_response({"id": resource.repo_id, "type": kind.value, "deleted": True})


def add_repo_routes(app: web.Application) -> None:
    app.router.add_post("/api/repos/create", create)
    app.router.add_delete("/api/repos/delete", delete)
