"""The hub's :class:`~spacehost.api.gitpush.PushTarget`: ``git push`` to a model or dataset
(docs/git.md).

Before any ref moves, every pushed commit's tree is read from the push's objects: an LFS pointer
must name an object the blob store holds (``git lfs push`` uploads them first, through the LFS
batch API, api/lfs.py); a regular file must stay under 10 MiB (Hugging Face's rule, the hub's
:data:`~spacehost.store.hubfiles.LFS_MIN_SIZE`); symlinks and submodules are refused. Once git
moved ``main``, each new commit of it is recorded by the hub (:meth:`HubStore.adopt`), oldest
first, with git's own sha.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from spacehost.api.gitpush import PushRefused, RefUpdate
from spacehost.appkeys import HUB, PLATFORM
from spacehost.domain import RepoKind
from spacehost.errors import SpacehostError, UploadRejected
from spacehost.identity.actor import Actor
from spacehost.store import HubStore
from spacehost.store.gitrepos import MAIN_REF, GitReader
from spacehost.store.hubfiles import LFS_MIN_SIZE
from spacehost.store.hubgit import tree_files

LFS_HELP = "https://git-lfs.github.com/"


class HubPushTarget:
    """Pushes to the models (or the datasets) of the hub."""

    def __init__(self, kind: RepoKind) -> None:
        self.kind = kind

    async def check(
        self,
        request: web.Request,
        repo_id: str,
        actor: Actor,
        updates: Sequence[RefUpdate],
        incoming: GitReader,
    ) -> list[str]:
        hub: HubStore = request.app[HUB]
        known = list(hub.git.refs(self.kind.value, repo_id).values())
        heads = [u.new for u in updates if not u.deletes]
        problems = await asyncio.to_thread(_problems, hub, incoming, heads, known)
        if problems:
            raise PushRefused(problems)
        return []

    async def received(
        self, request: web.Request, repo_id: str, actor: Actor, updates: Sequence[RefUpdate]
    ) -> list[str]:
        hub: HubStore = request.app[HUB]
        lines = []
        base = request.app[PLATFORM].settings.base_url
        prefix = "" if self.kind is RepoKind.MODEL else "datasets/"
        for u in updates:
            if u.ref == MAIN_REF and not u.deletes:
                head = await asyncio.to_thread(_adopt_main, hub, self.kind, repo_id, u)
                lines.append(f"spacehost: {base}/{prefix}{repo_id} is now at {head[:12]}")
            elif not u.deletes:
                await asyncio.to_thread(_adopt_other, hub, self.kind, repo_id, u)
                name = u.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
                lines.append(f"spacehost: {name} of {base}/{prefix}{repo_id} recorded")
        return lines


def _adopt_main(hub: HubStore, kind: RepoKind, repo_id: str, update: RefUpdate) -> str:
    """Record main's new commits, oldest first (a reset to an older commit: that one). Should
    that fail, git's main goes back to the hub's head, so the two never disagree.

    Raises:
        PushRefused: the commits could not be recorded (git prints why).
    """
    try:
        with hub.git.reader(kind.value, repo_id) as reader:
            new = [c.sha for c in reader.commits(update.new, exclude=[update.old])]
        for sha in reversed(new or [update.new]):
            hub.adopt(kind, repo_id, sha)
    except SpacehostError as exc:
        head = hub.repo(kind, repo_id).head.sha
        hub.git.set_ref(kind.value, repo_id, "main", head, update.new)
        raise PushRefused(
            [f"spacehost: the push could not be recorded: {exc}", f"main is back at {head[:12]}"]
        ) from exc
    return update.new


def _adopt_other(hub: HubStore, kind: RepoKind, repo_id: str, update: RefUpdate) -> None:
    """Record the commits another branch (or a tag) brings, so its revision reads like main's;
    main stays where it is."""
    target = hub.git.ref(kind.value, repo_id, update.ref) or update.new  # a tag: its commit
    with hub.git.reader(kind.value, repo_id) as reader:
        new = [c.sha for c in reader.commits(target)]
    for sha in reversed(new):
        if not hub.has_commit(kind, repo_id, sha):
            hub.adopt(kind, repo_id, sha, head=False)


def _problems(hub: HubStore, incoming: GitReader, heads: list[str], known: list[str]) -> list[str]:
    """What git must not take from the commits *heads* bring (lines git prints)."""
    big: set[str] = set()
    missing: set[str] = set()
    for head in heads:
        for commit in incoming.commits(head, exclude=known):
            try:
                files = list(tree_files(incoming, commit.sha))
            except UploadRejected as exc:
                return [f"spacehost: {exc}", f"hint: {exc.hint}"]
            for f in files:
                if f.pointer is not None:
                    if not hub.has_blob(f.pointer.sha256, f.pointer.size):
                        missing.add(f.path)
                elif f.size >= LFS_MIN_SIZE:
                    big.add(f.path)
    lines = []
    if big:
        lines += [
            "Your push was rejected because it contains files larger than 10 MiB.",
            f"Please use {LFS_HELP} to store large files.",
            "Offending files: " + ", ".join(sorted(big)),
        ]
    if missing:
        lines += [
            "spacehost: the LFS objects of these files were not uploaded: "
            + ", ".join(sorted(missing)),
            "run git lfs push --all origin, then push again",
        ]
    return lines
