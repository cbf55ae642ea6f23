"""git's smart HTTP protocol for every repo (docs/git.md)::

    GET  /{o}/{n}[.git]/info/refs?service=git-upload-pack|git-receive-pack
    POST /{o}/{n}[.git]/git-upload-pack          clone, fetch
    POST /{o}/{n}[.git]/git-receive-pack         push
    ... and the same under /datasets/ and /spaces/

Debian's ``git http-backend`` does the protocol (:mod:`spacehost.api.gitcgi`); this module
decides who may: credentials are a token as ``Authorization: Basic`` password (what git's
credential helpers hold, ``hf auth login --add-to-git-credential``) or ``Bearer``; cookies
do not count. Reading a private repo, or any push, without credentials answers 401 with
``WWW-Authenticate: Basic`` so git asks for them; a push without write access 403 with a
message git prints; a private repo that the caller may not read answers as a missing one.
A push runs the hooks of :mod:`spacehost.api.githooks`. A push does not create a repo: create
it first (``hf repo create``, ``POST /api/repos/create``), as on Hugging Face.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from spacehost import access
from spacehost.api import moved
from spacehost.api.gitcgi import base_env, run_backend
from spacehost.api.githooks import HOOK_PATH, HookDesk, PushTicket, write_hooks
from spacehost.api.gitpush import GIT_TARGETS
from spacehost.api.gitpushhub import HubPushTarget
from spacehost.api.gitreceive import GIT_HOOKS, git_for, git_hook
from spacehost.appkeys import HUB, PLATFORM
from spacehost.domain import RepoKind
from spacehost.errors import Unauthorized
from spacehost.identity import ANONYMOUS, Action, Actor, Kind, Via, can
from spacehost.store import HubStore

SERVICES = ("git-upload-pack", "git-receive-pack")
_PREFIX = {"": Kind.MODEL, "/datasets": Kind.DATASET, "/spaces": Kind.SPACE}
REALM = 'Basic realm="spacehost"'
CREDENTIAL_HINT = (
    "use a token as the password: `hf auth login --add-to-git-credential`, or "
    "`git config --global credential.helper store` and enter your user name and a token"
)


class _Answer(Exception):
    """A plain-text answer git shows (its lines printed as ``remote:``)."""

    def __init__(self, status: int, lines: list[str], headers: dict[str, str] | None = None):
        super().__init__(lines[0])
        self.response = web.Response(
            status=status,
            text="\n".join(lines) + "\n",
            content_type="text/plain",
            headers=headers or {},
        )


def _challenge(reason: str) -> _Answer:
    return _Answer(401, [reason, CREDENTIAL_HINT], {"WWW-Authenticate": REALM})


def _kind(request: web.Request) -> Kind:
    for prefix in ("/datasets", "/spaces"):
        if request.path.startswith(prefix + "/"):
            return _PREFIX[prefix]
    return Kind.MODEL


def _exists(request: web.Request, kind: Kind, repo_id: str) -> bool:
    if kind is Kind.SPACE:
        return git_for(request, kind.value).exists(kind.value, repo_id)
    hub: HubStore = request.app[HUB]
    return hub.exists(RepoKind(kind.value), repo_id) and hub.git.exists(kind.value, repo_id)


async def _authorize(request: web.Request, kind: Kind, owner: str, name: str, push: bool) -> Actor:
    """Who asks, when they may (see the module doc); else the :class:`_Answer` to give."""
    repo_id = f"{owner}/{name}"
    try:
        who = access.actor(request)
    except Unauthorized as exc:
        raise _challenge(f"{exc}") from None
    if who.via in (Via.SESSION, Via.SPACE_PASS):
        # git never sends cookies: a browser's would only let another site's page push
        who = ANONYMOUS
    resource = access.repo(request, kind, owner, name)
    found = await asyncio.to_thread(_exists, request, kind, repo_id)
    if not found and kind is not Kind.SPACE:
        new = await asyncio.to_thread(moved.new_id, request, RepoKind(kind.value), repo_id)
        if new is not None:
            raise _moved(request, repo_id, new)
    if not found or (resource.private and not can(who, Action.READ, resource)):
        if not who.signed_in:
            raise _challenge(f"authentication is needed for {repo_id} (or it does not exist)")
        raise _Answer(
            404,
            [
                f"repository {repo_id} not found",
                f"create it first (`hf repo create {repo_id} --repo-type {kind.value}`), then push",
            ],
        )
    if push and not can(who, Action.WRITE, resource):
        if not who.signed_in:
            raise _challenge(f"pushing to {repo_id} needs a token with the write role")
        what = (
            f"this token ({who.token_name!r}) is read-only"
            if who.token_role is not None and not who.writes
            else f"{who.name} may not push to {repo_id}"
        )
        raise _Answer(
            403,
            [what, f"ask an admin of {owner} for the write role, or use a write token"],
        )
    return who


def _moved(request: web.Request, repo_id: str, new: str) -> _Answer:
    """A moved repo: git's first request (``info/refs``) follows a redirect to the new URL, as
    clones of renamed GitHub repos do; later ones are told the new URL."""
    if request.method in moved.READS:
        where = moved.location(request, repo_id, new)
        return _Answer(307, [f"{repo_id} was moved to {new}"], {"Location": where})
    return _Answer(
        404,
        [
            f"repository {repo_id} was moved to {new}",
            "point your clone at the new URL: git remote set-url origin NEW-URL",
        ],
    )


def _callback(request: web.Request) -> str:
    """Where this process takes the hooks' call: the socket *request* came in on."""
    assert request.transport is not None
    sockname = request.transport.get_extra_info("sockname")
    if isinstance(sockname, str):
        return f"unix:{sockname}"
    host, port = sockname[0], sockname[1]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _serve(request: web.Request, service: str, tail: str) -> web.StreamResponse:
    kind = _kind(request)
    owner, name = request.match_info["gowner"], request.match_info["gname"].removesuffix(".git")
    push = service == "git-receive-pack"
    try:
        who = await _authorize(request, kind, owner, name, push)
    except _Answer as answer:
        return answer.response
    desk: HookDesk = request.app[GIT_HOOKS]
    git = git_for(request, kind.value)
    env = {
        **base_env(git.root),
        **desk.config_env(),
        "PATH_INFO": f"/{kind.value}s/{owner}/{name}.git/{tail}",
        "REMOTE_USER": who.name or "admin",
    }
    ticket = ""
    if push and request.method == "POST":
        ticket = desk.open(PushTicket(kind.value, f"{owner}/{name}", who))
        env |= {
            "SPACEHOST_HOOK_URL": _callback(request),
            "SPACEHOST_HOOK_SECRET": desk.secret,
            "SPACEHOST_PUSH": ticket,
        }
    hub: HubStore = request.app[HUB]
    try:
        return await run_backend(request, env, hub.tmp_dir)
    finally:
        if ticket:
            desk.close(ticket)


async def info_refs(request: web.Request) -> web.StreamResponse:
    service = request.query.get("service", "")
    if service not in SERVICES:
        return _Answer(
            403,
            ["spacehost speaks git's smart HTTP protocol only", "use git 1.6.6 or later"],
        ).response
    return await _serve(request, service, "info/refs")


async def upload_pack(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "git-upload-pack", "git-upload-pack")


async def receive_pack(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "git-receive-pack", "git-receive-pack")


async def _start(app: web.Application) -> None:
    await asyncio.to_thread(write_hooks, app[GIT_HOOKS].hooks_dir)


def add_git_routes(app: web.Application) -> None:
    """git's smart HTTP routes for models, datasets and spaces, and the hooks' call."""
    app[GIT_HOOKS] = HookDesk(app[PLATFORM].settings.git_dir / "hooks")
    for prefix in _PREFIX:
        base = f"{prefix}/{{gowner}}/{{gname}}"
        app.router.add_get(f"{base}/info/refs", info_refs)
        app.router.add_post(f"{base}/git-upload-pack", upload_pack)
        app.router.add_post(f"{base}/git-receive-pack", receive_pack)
    app.router.add_post(HOOK_PATH, git_hook)
    app.on_startup.append(_start)
    targets = app.get(GIT_TARGETS)
    if targets is None:
        targets = app[GIT_TARGETS] = {}
    for kind in RepoKind:  # spaces: their own target, registered by whoever owns deploys
        targets.setdefault(kind.value, HubPushTarget(kind))
