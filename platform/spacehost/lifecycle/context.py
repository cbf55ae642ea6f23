"""What the lifecycle's parts share: one :class:`Context` value, built once by the
composition root (assembly.py) and handed to deploy, run logs, config, reconcile, cleanup,
sleep and recovery, which take it instead of the platform.

It holds the platform's collaborators (store, revision files, builder, runtime, settings,
route table, variables and secrets, hub, GPUs) and the little shared state the parts
coordinate through: a lock per space, the run-log followers and their redactors, the
revision-folder lock and the "closing" flag. The operations over it that every part uses
(set a stage or an error, go live, publish routes) are in stages.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

from spacehost.domain import SpaceId
from spacehost.lifecycle.gpushare import GpuSetup
from spacehost.lifecycle.hubmounts import HubLookup
from spacehost.lifecycle.redact import Redactor
from spacehost.lifecycle.routes import RoutePublisher
from spacehost.lifecycle.visibility import AllPublic, Visibility
from spacehost.manifest.model import SpaceSource
from spacehost.runtime.base import RuntimeBackend
from spacehost.settings import Settings
from spacehost.store import RevisionFiles, SpaceConfig, Store
from spacehost.store.gitrepos import GitRepos
from spacehost.store.spacecommits import SpaceCommits


class BuildOutcome(Protocol):
    @property
    def image(self) -> str: ...


class Builder(Protocol):
    def build(
        self,
        source: SpaceSource,
        space: SpaceId,
        revision: str,
        *,
        on_log: Callable[[str], None],
        nocache: bool = False,
        cancel: threading.Event | None = None,
        revision_date: float | None = None,
    ) -> BuildOutcome: ...

    def remove_images(self, space: SpaceId, keep: Collection[str]) -> list[str]:
        """Remove *space*'s images but those of the revisions (or tags) in *keep*."""
        ...


class GpuCheck(Protocol):
    """Raises HardwareUnavailable when the host cannot give what *request* asks; returns
    warnings. *hardware* says how the space asked (for the messages)."""

    def __call__(self, request: Any, hardware: str | None = None) -> list[str]: ...


def no_gpu_checks(request: Any, hardware: str | None = None) -> list[str]:
    """The :class:`GpuCheck` of a platform that checks nothing: every request passes."""
    return []


class SpaceLocks:
    """One lock per space, serialising what happens to its containers (deploys, sleeps,
    wakes, recoveries, deletes and pauses)."""

    def __init__(self) -> None:
        self._locks: dict[SpaceId, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, space: SpaceId) -> threading.Lock:
        """*space*'s lock (the same object every time)."""
        with self._guard:
            return self._locks.setdefault(space, threading.Lock())


@dataclass(frozen=True)
class Context:
    """The collaborators and shared state of one platform's lifecycle parts.

    Attributes:
        check_gpu: raises HardwareUnavailable when the host cannot give what a manifest
            asks (:class:`GpuCheck`).
        hub: the models and datasets spaces mount (hubmounts.py); None: no hub.
        visibility: which spaces are private (visibility.py).
        followers: the run-log follower thread of each followed container (runlogs.py).
        redactors: the secrets' redactor of each followed container (runlogs.py).
        revisions_lock: held while saving or deleting revision folders (cleanup.py).
        closed: set when the platform closes; waits and follow-ups end early.
        replicas: the running endpoints of replicated spaces (replica_routes.py).
        commits: the spaces' git commits (store/spacecommits.py); None: in the settings'
            ``git_dir``. Read it as :attr:`git`.
    """

    settings: Settings
    store: Store
    files: RevisionFiles
    builder: Builder
    runtime: RuntimeBackend
    config: SpaceConfig
    routes: RoutePublisher
    check_gpu: GpuCheck = no_gpu_checks
    hub: HubLookup | None = None
    gpus: GpuSetup = field(default_factory=GpuSetup)
    visibility: Visibility = field(default_factory=AllPublic)
    locks: SpaceLocks = field(default_factory=SpaceLocks)
    followers: dict[str, threading.Thread] = field(default_factory=dict)
    redactors: dict[str, Redactor] = field(default_factory=dict)
    revisions_lock: threading.Lock = field(default_factory=threading.Lock)
    closed: threading.Event = field(default_factory=threading.Event)
    commits: SpaceCommits | None = None
    # the running endpoints of each space served by several replicas, with the service they
    # were read from: {space: (container id, ("host:port", ...))} (replica_routes.py)
    replicas: dict[SpaceId, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.commits is None:  # frozen: set once, here
            git = SpaceCommits(self.store, GitRepos(self.settings.git_dir))
            object.__setattr__(self, "commits", git)

    @property
    def git(self) -> SpaceCommits:
        """The spaces' git commits (every revision stored is a commit too)."""
        assert self.commits is not None
        return self.commits
