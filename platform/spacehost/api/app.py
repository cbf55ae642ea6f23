"""The control-plane HTTP API under ``/api/`` (see docs/api.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from spacehost import access
from spacehost.api import (
    accounts,
    duplicate,
    gpus,
    hardware,
    oidc,
    secrets,
    signin,
    sleep,
    space_unoffered,
    spacelogs,
    spaces,
    spacevolumes,
)
from spacehost.api.bucketfiles import add_bucket_file_routes
from spacehost.api.buckets import add_bucket_routes
from spacehost.api.commit import add_commit_route
from spacehost.api.githttp import add_git_routes
from spacehost.api.gitrefs import add_git_ref_routes
from spacehost.api.hub import add_hub_routes
from spacehost.api.jobpip import add_job_pip_routes
from spacehost.api.jobs import add_job_routes
from spacehost.api.lfs import add_lfs_routes
from spacehost.api.nodes import add_node_routes
from spacehost.api.preupload import add_preupload_route
from spacehost.api.repomove import add_move_routes
from spacehost.api.repos import add_repo_routes
from spacehost.api.spacerepo import add_space_repo_routes
from spacehost.api.validate_yaml import add_validate_yaml_route
from spacehost.api.xet import add_xet_routes
from spacehost.api.xetupload import add_xet_upload_routes
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId
from spacehost.identity import Kind

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _create(handler: Handler) -> Handler:
    """Wrap a handler that may create a space (push): it needs write access to the space's
    namespace (identity/policy.py); an admin writing into a namespace nobody holds makes it an
    org."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        m = request.match_info
        await access.require_namespace_write(request, Kind.SPACE, m["owner"], m["name"])
        return await handler(request)

    return guarded


def _write(handler: Handler) -> Handler:
    """Wrap a handler that changes an existing space: a missing space is 404 to everyone (as a
    private one is to those who may not read it: server/visibility.py), then it needs write
    access to the space's namespace."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        m = request.match_info
        access.actor(request)  # a token that is not valid: 401 first, whatever the space
        resource = access.repo(request, Kind.SPACE, m["owner"], m["name"])
        space = SpaceId(m["owner"], m["name"])
        if await asyncio.to_thread(request.app[PLATFORM].queries.find_space, space) is None:
            raise access.not_found(resource)
        await access.require_namespace_write(request, Kind.SPACE, m["owner"], m["name"])
        return await handler(request)

    return guarded


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def add_routes(app: web.Application) -> None:
    """Register the API's routes on *app* (which holds ``platform`` and ``token``)."""
    base = "/api/spaces/{owner}/{name}"
    app.router.add_get("/api/health", health)
    app.router.add_get("/api/spaces", spaces.list_spaces)
    app.router.add_get("/api/gpus", gpus.gpus)
    add_node_routes(app)  # /api/nodes (admins): the machines spaces run on, drain, activate
    app.router.add_get("/api/spaces/hardware", hardware.list_hardware)
    app.router.add_get(base, spaces.space_info)
    app.router.add_get(f"{base}/revision/{{rev}}", spaces.space_info)  # revision_exists
    app.router.add_delete(base, _write(spaces.delete))
    app.router.add_get(f"{base}/runtime", spaces.space_runtime)
    app.router.add_post(f"{base}/push", _create(spaces.push))
    app.router.add_post(f"{base}/restart", _write(spaces.restart))
    app.router.add_get(f"{base}/logs", spaces.logs)
    app.router.add_get(f"{base}/logs/runs", spaces.log_runs)
    # as Hugging Face streams them (huggingface_hub's fetch_space_logs, `hf spaces logs`)
    app.router.add_get(f"{base}/logs/build", spacelogs.build_logs)
    app.router.add_get(f"{base}/logs/run", spacelogs.run_logs)
    app.router.add_get(f"{base}/variables", secrets.list_variables)
    app.router.add_post(f"{base}/variables", _write(secrets.set_variable))
    app.router.add_delete(f"{base}/variables", _write(secrets.delete_variable))
    app.router.add_get(f"{base}/secrets", _write(secrets.list_secrets))
    app.router.add_post(f"{base}/secrets", _write(secrets.set_secret))
    app.router.add_delete(f"{base}/secrets", _write(secrets.delete_secret))
    # reading the source is enough (a private one is hidden by server/visibility.py); the
    # handler checks write access to the target's namespace
    app.router.add_post(f"{base}/duplicate", duplicate.duplicate)
    app.router.add_post(f"{base}/sleeptime", _write(sleep.set_sleeptime))
    app.router.add_post(f"{base}/pause", _write(sleep.pause))
    app.router.add_post(f"{base}/hardware", _write(hardware.request_hardware))
    # Hugging Face's, refused by name (501) rather than answered as a missing space
    app.router.add_post(f"{base}/dev-mode", _write(space_unoffered.dev_mode))
    # buckets mounted into the space (api/spacevolumes.py checks access to each bucket)
    app.router.add_put(f"{base}/volumes", _write(spacevolumes.set_volumes))
    app.router.add_delete(f"{base}/volumes", _write(spacevolumes.delete_volumes))
    app.router.add_put(f"{base}/settings", _write(spaces.update_settings))
    # no token: a visit to a sleeping space wakes it anyway (the router calls this, after its
    # own access check for a private space); reading the space is enough (server/access.py)
    app.router.add_post(f"{base}/wake", sleep.wake)
    accounts.add_account_routes(app)  # /api/whoami-v2, users, orgs, tokens, sign-up
    signin.add_signin_routes(app)  # sign-in sessions, the router's access check, space passes
    oidc.add_oidc_routes(app)  # sign-in through an OpenID Connect provider (when configured)
    app.on_startup.append(sleep.start_sleeper)
    add_repo_routes(app)  # POST /api/repos/create (HF's create_repo)
    add_move_routes(app)  # POST /api/repos/move (HF's move_repo)
    add_hub_routes(app)  # /api/models, /api/datasets, /{o}/{n}/resolve/... (docs/hub.md)
    add_space_repo_routes(app)  # a space's revisions as huggingface_hub reads repos
    add_xet_routes(app)  # Xet downloads for hf_xet: /xet/cas/..., /xet/xorbs/... (docs/hub.md)
    # huggingface_hub's writes: validate-yaml, preupload, commit, LFS (docs/hub.md)
    add_validate_yaml_route(app)
    add_preupload_route(app)
    add_commit_route(app)
    add_lfs_routes(app)
    add_git_routes(app)  # git clone/fetch/push of every repo (docs/git.md)
    add_git_ref_routes(app)  # branches and tags of every repo (docs/git.md)
    add_xet_upload_routes(app)  # Xet uploads: write token, xorbs and shards (docs/hub.md)
    add_bucket_routes(app)  # HF Buckets: folders of files, Xet uploads (docs/hub.md)
    add_bucket_file_routes(app)  # reading them: resolve, the Xet read token
    add_job_routes(app)  # HF's Jobs API: /api/jobs/..., /api/scheduled-jobs/... (docs/jobs.md)
    add_job_pip_routes(app)  # the package index jobs install from (builder/jobindex.py)
