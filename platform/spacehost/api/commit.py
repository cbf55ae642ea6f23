"""``POST /api/{models|datasets|spaces}/O/N/commit/REV``: huggingface_hub's ``create_commit``
(``upload_file``, ``upload_folder``, ``hf upload``, ``push_to_hub`` all end here).

The NDJSON body (api/commitpayload.py) is spooled to a file, then applied to the head: a model
or dataset gets a new hub commit (store/hub.py ``commit``), a space a new revision deployed as a
push deploys it (api/spacecommit.py). ``parentCommit`` that is not the head: 412. ``create_pr``:
501 (no pull requests here). ``hot_reload=1`` on a space: applied to its running Gradio app
in place when it may be, else deployed as a push (docs/pushing.md#hot-reload). Answers
``{"commitUrl", "commitOid", "pullRequestUrl": null}``.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable

from aiohttp import web

from spacehost import access
from spacehost.api.clienturl import public_base
from spacehost.api.commitpayload import CommitRequest, read_commit
from spacehost.api.hub import receive_body
from spacehost.api.jobpushes import record_job_push
from spacehost.api.repowrite import branch_of, hf_answers, kind_of, repo_id_of, require_write
from spacehost.api.spacecommit import commit_space
from spacehost.appkeys import HUB, PLATFORM
from spacehost.domain import RepoKind, SpaceId
from spacehost.errors import NotSupported, UploadRejected
from spacehost.identity import Kind
from spacehost.lifecycle.facade import Facade
from spacehost.settings import Settings
from spacehost.store import HubStore

_TRUE = ("1", "true", "yes")
PREFIX = {Kind.SPACE: "spaces/", Kind.DATASET: "datasets/", Kind.MODEL: ""}


def _refuse_pull_request(request: web.Request) -> None:
    if request.query.get("create_pr", "").lower() in _TRUE:
        raise NotSupported(
            "pull requests are not supported on this platform",
            hint="commit to main directly: leave out create_pr=True",
        )


def _blob_size(hub: HubStore) -> Callable[[str], int]:
    def size_of(sha256: str) -> int:
        try:
            return hub.blob_path(sha256).stat().st_size
        except FileNotFoundError as exc:
            raise UploadRejected(
                f"the LFS file {sha256[:12]}… is not stored here",
                hint="upload it first (over Xet or LFS, as huggingface_hub does), then commit",
            ) from exc

    return size_of


def _body_limit(kind: Kind, settings: Settings) -> int:
    """The most a commit's body may be: a space's files, base64 (4/3) plus the lines around
    them; a model's or dataset's as a push."""
    if kind is Kind.SPACE:
        return settings.max_upload_bytes * 4 // 3 + (1 << 20)
    return settings.max_hub_upload_bytes


def _apply(request: web.Request, kind: Kind, repo_id: str, commit: CommitRequest) -> str:
    """Apply *commit* to the repo (blocks); the new head's id."""
    hub: HubStore = request.app[HUB]
    if kind is Kind.SPACE:
        platform: Facade = request.app[PLATFORM]
        author = access.actor(request).name
        hot = request.query.get("hot_reload", "").lower() in _TRUE
        space = SpaceId.parse(repo_id)
        pushed = commit_space(platform, hub, space, commit, author, hot_reload=hot)
        return pushed.commit
    made = hub.commit(
        RepoKind(kind.value),
        repo_id,
        commit.changes,
        commit.message,
        parent=commit.parent,
        author=access.actor(request).name,
    )
    return made.sha


@hf_answers
async def create_commit(request: web.Request) -> web.Response:
    """``POST .../commit/REV`` (see the module doc)."""
    await require_write(request)
    branch_of(request)
    _refuse_pull_request(request)
    kind, repo_id = kind_of(request), repo_id_of(request)
    hub: HubStore = request.app[HUB]
    settings = request.app[PLATFORM].settings
    work = hub.tmp_dir / f"commit-{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    try:
        body = work / "commit.ndjson"
        await receive_body(request, body, _body_limit(kind, settings))
        commit = await asyncio.to_thread(
            read_commit, body, work, settings.max_regular_file, _blob_size(hub)
        )
        sha = await asyncio.to_thread(_apply, request, kind, repo_id, commit)
        await record_job_push(request, kind.value, repo_id, sha)
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    return web.json_response(
        {
            "commitUrl": f"{public_base(request)}/{PREFIX[kind]}{repo_id}/commit/{sha}",
            "commitOid": sha,
            "pullRequestUrl": None,
        }
    )


def add_commit_route(app: web.Application) -> None:
    app.router.add_post(
        "/api/{kinds:models|datasets|spaces}/{owner}/{name}/commit/{rev:.+}", create_commit
    )
