"""``git push`` to a space (docs/git.md, "Pushing a space with git"): the space's
:class:`~spacehost.api.gitpush.PushTarget`.

Before any ref moves, a push to ``main`` is checked as a CLI push is: the new head's files (git-LFS
pointers replaced by their bytes from the blob store) go through the same front matter validator,
and a refusal carries the CLI's own lines (``error: …``, each problem, ``hint: …``), which git
prints as ``remote:`` lines. Once git moved ``main``, the commit is deployed through the same
:meth:`Facade.push` as a CLI push (same stages, logs and zero-downtime redeploy); the pushed
commit is the revision's commit, none is composed.

The LFS objects of a deployed push are linked into the repository (store/gitfiles.py), so the
blob store keeps them while the space exists. Other branches and tags are kept as git refs,
never deployed. Deleting ``main`` is refused (it
is what the space serves: delete the space instead). A push whose files are what the space
already serves deploys nothing and says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from spacehost.api.gitpush import GIT_TARGETS, PushRefused, RefUpdate
from spacehost.appkeys import HUB
from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest, SpacehostError, error_lines
from spacehost.identity.actor import Actor
from spacehost.lifecycle.actions import PushOrigin, PushResult
from spacehost.lifecycle.facade import Facade
from spacehost.manifest import load_space
from spacehost.store import HubStore
from spacehost.store.gitfiles import CommitFiles, commit_files, keep_lfs_objects
from spacehost.store.gitrepos import MAIN_REF, GitReader, GitRepos

SPACE = "space"


class SpacePushTarget:
    """Checks and deploys pushes to spaces' repositories (see the module doc)."""

    def __init__(self, platform: Facade, hub: HubStore) -> None:
        self.platform, self.hub = platform, hub
        self.repos = GitRepos(platform.settings.git_dir)

    async def check(
        self,
        request: web.Request,
        repo_id: str,
        actor: Actor,
        updates: Sequence[RefUpdate],
        incoming: GitReader,
    ) -> list[str]:
        """Refuse the push (:class:`PushRefused`, the CLI's lines) unless ``main``'s new head
        is a valid space; answer its warnings and what happens to the other refs."""
        space = SpaceId.parse(repo_id)
        lines: list[str] = []
        for update in updates:
            if update.ref != MAIN_REF:
                lines.append(_kept(update))
                continue
            if update.deletes:
                raise PushRefused(error_lines(_no_main_deletion(space)))
            lines += await asyncio.to_thread(self._validate, space, incoming, update.new)
        return lines

    async def received(
        self, request: web.Request, repo_id: str, actor: Actor, updates: Sequence[RefUpdate]
    ) -> list[str]:
        """Deploy ``main``'s new head as a CLI push is deployed; where to follow it."""
        space = SpaceId.parse(repo_id)
        lines: list[str] = []
        for update in updates:
            if update.ref == MAIN_REF and not update.deletes:
                result = await asyncio.to_thread(self._deploy, space, actor, update.new)
                lines.append(self._deploying(space, result))
        return lines

    # -- the work, in threads ------------------------------------------------------------------

    def _files(self, reader: GitReader, commit: str) -> CommitFiles:
        return commit_files(reader, commit, self.hub, self.platform.settings.max_upload_bytes)

    def _validate(self, space: SpaceId, incoming: GitReader, commit: str) -> list[str]:
        try:
            found = self._files(incoming, commit)
            source = load_space(found.files, default_title=space.name)
        except SpacehostError as exc:
            raise PushRefused(error_lines(exc)) from exc
        skipped = [f"note: {p} is not a regular file: left out of the space" for p in found.skipped]
        return skipped + [f"warning: {w}" for w in source.warnings]

    def _deploy(self, space: SpaceId, actor: Actor, commit: str) -> PushResult:
        with self.platform.queries.git_reader(space) as reader:
            found = self._files(reader, commit)
        keep_lfs_objects(self.repos.path(SPACE, str(space)), self.hub, found.pointers)
        return self.platform.push(space, found.files, PushOrigin(author=actor.name, commit=commit))

    def _deploying(self, space: SpaceId, result: PushResult) -> str:
        base = self.platform.settings.base_url
        page = f"{base}/spaces/{space}"
        if result.unchanged:
            return f"unchanged: {page} already serves these files, nothing to deploy"
        return f"deploying: {page} (build log: {base}/api/spaces/{space}/logs?kind=build&follow=1)"


def _kept(update: RefUpdate) -> str:
    name = update.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    what = "deleted" if update.deletes else "kept"
    return f"{name}: {what}; only main deploys the space"


def _no_main_deletion(space: SpaceId) -> InvalidRequest:
    return InvalidRequest(
        f"main of space {space} cannot be deleted: it is what the space serves",
        hint=f"delete the space instead (spacehost rm {space}), or push a new main",
    )


def add_space_push_target(app: web.Application, platform: Facade) -> None:
    """Register :class:`SpacePushTarget` as ``GIT_TARGETS["space"]`` (needs ``app[HUB]``)."""
    targets = app.get(GIT_TARGETS) or {}
    targets[SPACE] = SpacePushTarget(platform, app[HUB])
    app[GIT_TARGETS] = targets
