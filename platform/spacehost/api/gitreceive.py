"""``POST /api/internal/git-hook``: a push's pre-receive and post-receive step, called by the
hooks of :mod:`spacehost.api.githooks` (docs/git.md).

Before the target of the repo's kind sees a push, the rules every repo shares: only branches
and tags (``refs/heads/*``, ``refs/tags/*``) are taken, and ``main`` is never deleted. A
non-fast-forward push is allowed (``git push --force``), as on Hugging Face. A kind with no
registered target refuses every push, saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from spacehost.api.githooks import SECRET_HEADER, HookDesk, PushTicket
from spacehost.api.gitpush import GIT_TARGETS, PushRefused, PushTarget, RefUpdate
from spacehost.api.jobpushes import record_push_by
from spacehost.appkeys import HUB, PLATFORM
from spacehost.errors import SpacehostError
from spacehost.identity.credentials import same
from spacehost.store import HubStore
from spacehost.store.gitrepos import MAIN_REF, GitRepos

GIT_HOOKS: web.AppKey[HookDesk] = web.AppKey("git_hooks", HookDesk)


def git_for(request: web.Request, kind: str) -> GitRepos:
    """The git repositories of *kind*: models' and datasets' are the hub's, spaces' under the
    platform's git root."""
    if kind in ("model", "dataset"):
        hub: HubStore = request.app[HUB]
        return hub.git
    return GitRepos(request.app[PLATFORM].settings.git_dir)


def parse_updates(text: str) -> list[RefUpdate]:
    """git's hook input: one ``OLD NEW REF`` line per ref."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append(RefUpdate(parts[0], parts[1], parts[2]))
    return out


def shared_rules(updates: Sequence[RefUpdate]) -> None:
    """Refuse what no repo takes here (raises :class:`PushRefused`)."""
    for u in updates:
        if not u.ref.startswith(("refs/heads/", "refs/tags/")):
            raise PushRefused(
                [
                    f"spacehost: {u.ref} is not a branch or a tag; only refs/heads/* and "
                    "refs/tags/* are taken here",
                ]
            )
        if u.ref == MAIN_REF and u.deletes:
            raise PushRefused(
                ["spacehost: main cannot be deleted; delete the repo instead if you mean it"]
            )


def _target(request: web.Request, kind: str) -> PushTarget:
    target = request.app.get(GIT_TARGETS, {}).get(kind)
    if target is None:
        raise PushRefused(
            [
                f"spacehost: this platform does not take git pushes to {kind}s yet",
                "use the API or the CLI to upload instead (docs/git.md)",
            ]
        )
    return target


async def _pre_receive(
    request: web.Request, ticket: PushTicket, updates: list[RefUpdate], quarantine: str | None
) -> list[str]:
    shared_rules(updates)
    target = _target(request, ticket.kind)
    git = git_for(request, ticket.kind)
    incoming = Path(quarantine) if quarantine else None
    with git.reader(ticket.kind, ticket.repo_id, incoming) as reader:
        return await target.check(request, ticket.repo_id, ticket.actor, updates, reader)


async def _record_job_pushes(
    request: web.Request, ticket: PushTicket, updates: Sequence[RefUpdate]
) -> None:
    """The new commit of each branch the push moved, when a job's token pushed it."""
    for u in updates:
        if u.ref.startswith("refs/heads/") and not u.deletes:
            await record_push_by(request.app, ticket.actor, ticket.kind, ticket.repo_id, u.new)


async def git_hook(request: web.Request) -> web.Response:
    """The hooks' call (see the module doc): ``{"ok", "lines"}``."""
    desk = request.app[GIT_HOOKS]
    if not same(request.headers.get(SECRET_HEADER, ""), desk.secret):
        raise web.HTTPNotFound()  # nothing here for anyone but this process's hooks
    body: dict[str, Any] = await request.json()
    ticket = desk.ticket(str(body.get("push", "")))
    if ticket is None:
        return web.json_response({"ok": False, "lines": ["spacehost: unknown push"]})
    updates = parse_updates(str(body.get("updates", "")))
    try:
        if body.get("stage") == "pre-receive":
            lines = await _pre_receive(request, ticket, updates, body.get("quarantine"))
        else:
            target = _target(request, ticket.kind)
            lines = await target.received(request, ticket.repo_id, ticket.actor, updates)
            await _record_job_pushes(request, ticket, updates)
    except PushRefused as refused:
        return web.json_response({"ok": False, "lines": list(refused.lines)})
    except SpacehostError as exc:
        lines = [f"spacehost: {exc}"] + ([f"hint: {exc.hint}"] if exc.hint else [])
        return web.json_response({"ok": False, "lines": lines})
    return web.json_response({"ok": True, "lines": lines})
