"""What a ``git push`` asks of the platform, per kind of repo (docs/git.md).

server/githttp.py runs Debian's ``git http-backend``; the pre-receive and post-receive hooks it
runs call the control plane back with the ref updates, and the call lands here: the
:class:`PushTarget` registered for the repo's kind (models and datasets: the hub; spaces: a
deploy) checks the pushed commits -- refusing with lines git prints as ``remote:`` -- and, once
the refs have moved, says what happens next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from spacehost.identity.actor import Actor
from spacehost.store.gitrepos import GitReader

ZERO = "0" * 40


@dataclass(frozen=True)
class RefUpdate:
    """One line of git's pre-/post-receive input: *ref* moves from *old* to *new* (all-zero
    *old*: created; all-zero *new*: deleted)."""

    old: str
    new: str
    ref: str

    @property
    def deletes(self) -> bool:
        return self.new == ZERO

    @property
    def creates(self) -> bool:
        return self.old == ZERO


class PushRefused(Exception):
    """A push the target will not take; *lines* are printed by git as ``remote:`` lines."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


class PushTarget(Protocol):
    """How one kind of repo takes pushes."""

    async def check(
        self,
        request: web.Request,
        repo_id: str,
        actor: Actor,
        updates: Sequence[RefUpdate],
        incoming: GitReader,
    ) -> list[str]:
        """Before any ref moves: raise :class:`PushRefused` to refuse the whole push, or
        answer lines to print. *incoming* reads the pushed objects (and the repo's)."""
        ...

    async def received(
        self, request: web.Request, repo_id: str, actor: Actor, updates: Sequence[RefUpdate]
    ) -> list[str]:
        """After the refs moved: start what follows (a deploy) and answer lines to print."""
        ...


GIT_TARGETS: web.AppKey[dict[str, PushTarget]] = web.AppKey("git_targets", dict)
