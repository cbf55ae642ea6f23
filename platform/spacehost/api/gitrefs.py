"""Branches and tags of every repo, as git refs (huggingface_hub's ``create_branch``,
``delete_branch``, ``create_tag``, ``delete_tag``; docs/git.md)::

    POST   /api/{models|datasets|spaces}/O/N/branch/BRANCH   {"startingPoint"?: REV}
    DELETE /api/{models|datasets|spaces}/O/N/branch/BRANCH
    POST   /api/{models|datasets|spaces}/O/N/tag/REV         {"tag", "message"?}
    DELETE /api/{models|datasets|spaces}/O/N/tag/TAG

A branch or tag that exists answers 409 (``exist_ok=True`` passes over it); ``main`` is never
deleted. A revision is anything :meth:`HubStore.resolve` (models, datasets) or
:meth:`GitRepos.resolve` (spaces) takes: a branch, a tag, a sha or its prefix.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from spacehost import access
from spacehost.api.gitreceive import git_for
from spacehost.api.repowrite import hf_answers, kind_of, repo_id_of, require_write
from spacehost.appkeys import HUB
from spacehost.domain import RepoKind
from spacehost.errors import Conflict, InvalidRequest, RevisionNotFound
from spacehost.identity import Kind
from spacehost.store import HubStore
from spacehost.store.gitrepos import MAIN, GitRepos, valid_ref_name
from spacehost.store.hub import git_author

BRANCHES, TAGS = "refs/heads/", "refs/tags/"


def _name(request: web.Request, key: str, prefix: str) -> str:
    name = unquote(request.match_info[key]).strip()
    if not valid_ref_name(prefix + name):
        what = "branch" if prefix == BRANCHES else "tag"
        raise InvalidRequest(
            f"{name!r} is not a valid {what} name",
            hint="use letters, digits, '.', '-', '_' and '/' (no '..', spaces or a trailing "
            "'.lock'), as git does",
        )
    return name


def _commit_of(request: web.Request, kind: Kind, repo_id: str, revision: str) -> str:
    """The commit sha *revision* names in the repo."""
    if kind is Kind.SPACE:
        return git_for(request, kind.value).resolve(kind.value, repo_id, revision)
    hub: HubStore = request.app[HUB]
    return hub.resolve(RepoKind(kind.value), repo_id, revision).sha


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequest(
            "the body is not JSON", hint='send {"startingPoint": "main"} or {"tag": "v1"}'
        ) from None
    return body if isinstance(body, dict) else {}


def _refuse_existing(git: GitRepos, kind: Kind, repo_id: str, ref: str) -> None:
    if ref in git.refs(kind.value, repo_id):
        what = "branch" if ref.startswith(BRANCHES) else "tag"
        raise Conflict(
            f"{what} {ref.removeprefix(BRANCHES).removeprefix(TAGS)!r} of {repo_id} exists",
            hint=f"pick another name, or delete the {what} first",
        )


def _refuse_missing(git: GitRepos, kind: Kind, repo_id: str, ref: str) -> None:
    if ref not in git.refs(kind.value, repo_id):
        raise RevisionNotFound(
            f"no {ref.removeprefix(BRANCHES).removeprefix(TAGS)!r} in {repo_id}",
            hint=f"list the branches and tags with GET /api/{kind.value}s/{repo_id}/refs",
        )


@hf_answers
async def create_branch(request: web.Request) -> web.Response:
    await require_write(request)
    kind, repo_id = kind_of(request), repo_id_of(request)
    name = _name(request, "branch", BRANCHES)
    start = str((await _body(request)).get("startingPoint") or MAIN)
    git = git_for(request, kind.value)

    def make() -> str:
        _refuse_existing(git, kind, repo_id, BRANCHES + name)
        sha = _commit_of(request, kind, repo_id, start)
        git.set_ref(kind.value, repo_id, BRANCHES + name, sha, None)
        return sha

    sha = await asyncio.to_thread(make)
    return web.json_response({"name": name, "ref": BRANCHES + name, "targetCommit": sha})


@hf_answers
async def delete_branch(request: web.Request) -> web.Response:
    await require_write(request)
    kind, repo_id = kind_of(request), repo_id_of(request)
    name = _name(request, "branch", BRANCHES)
    if name == MAIN:
        raise InvalidRequest(
            f"main is {repo_id}'s default branch and cannot be deleted",
            hint="delete the repo instead if you mean it",
        )
    return await _delete_ref(request, kind, repo_id, BRANCHES + name)


@hf_answers
async def create_tag(request: web.Request) -> web.Response:
    await require_write(request)
    kind, repo_id = kind_of(request), repo_id_of(request)
    body = await _body(request)
    tag = str(body.get("tag") or "")
    if not tag or not valid_ref_name(TAGS + tag):
        raise InvalidRequest(
            f"{tag!r} is not a valid tag name", hint='send {"tag": "v1.0", "message": "..."}'
        )
    revision = unquote(request.match_info["rev"])
    message = str(body.get("message") or "")
    git = git_for(request, kind.value)
    author = git_author(access.actor(request).name)

    def make() -> str:
        _refuse_existing(git, kind, repo_id, TAGS + tag)
        sha = _commit_of(request, kind, repo_id, revision)
        git.tag(kind.value, repo_id, tag, sha, message, tagger=author)
        return sha

    sha = await asyncio.to_thread(make)
    return web.json_response({"name": tag, "ref": TAGS + tag, "targetCommit": sha})


@hf_answers
async def delete_tag(request: web.Request) -> web.Response:
    await require_write(request)
    kind, repo_id = kind_of(request), repo_id_of(request)
    return await _delete_ref(request, kind, repo_id, TAGS + _name(request, "rev", TAGS))


async def _delete_ref(request: web.Request, kind: Kind, repo_id: str, ref: str) -> web.Response:
    """Delete *ref* of the repo; 404 naming it when it does not exist."""
    git = git_for(request, kind.value)

    def drop() -> None:
        _refuse_missing(git, kind, repo_id, ref)
        git.delete_ref(kind.value, repo_id, ref)

    await asyncio.to_thread(drop)
    return web.json_response({})


def add_git_ref_routes(app: web.Application) -> None:
    base = "/api/{kinds:models|datasets|spaces}/{owner}/{name}"
    app.router.add_post(f"{base}/branch/{{branch}}", create_branch)
    app.router.add_delete(f"{base}/branch/{{branch}}", delete_branch)
    app.router.add_post(f"{base}/tag/{{rev}}", create_tag)
    app.router.add_delete(f"{base}/tag/{{rev}}", delete_tag)
