"""What users ask of a space: push a revision, restart, pause, delete, set its sleep time.

Plain functions over the :class:`~spacehost.lifecycle.deploy.Deployer` (the parts a deploy
uses); ``Platform``'s methods of the same names are the public surface.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from spacehost.domain import SpaceId, Stage
from spacehost.errors import InvalidRequest, ManifestInvalid
from spacehost.lifecycle import cleanup, stages
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.contract import data_volume, manifest_summary
from spacehost.lifecycle.datasetprep import datasets_volume
from spacehost.lifecycle.deploy import Deployer
from spacehost.lifecycle.hotreload import HotReload, hot_reload
from spacehost.lifecycle.hubmounts import pin_dir, remove_pins
from spacehost.lifecycle.info import gc_timeout
from spacehost.lifecycle.sleep import NEVER
from spacehost.lifecycle.visibility import SPACE
from spacehost.manifest import load_space
from spacehost.store import revision_hash


@dataclass(frozen=True)
class PushResult:
    space: SpaceId
    revision: str
    created: bool
    warnings: tuple[str, ...]
    unchanged: bool = False
    commit: str = ""  # the git commit on the space's main (store/spacecommits.py)
    # asked for a hot reload: applied (it serves already) or the reason it is rebuilt
    hot_reload: HotReload | None = None


@dataclass(frozen=True)
class PushOrigin:
    """Where a push's files come from, for its git commit: *author* (a user name) and
    *message* for a commit spacehost composes, or *commit*, the sha of a commit ``git push``
    already put on main (none is composed then)."""

    author: str | None = None
    message: str | None = None
    commit: str | None = None


PLATFORM_PUSH = PushOrigin()  # no user, the default message


def push(
    d: Deployer,
    space: SpaceId,
    files: Mapping[str, bytes],
    origin: PushOrigin = PLATFORM_PUSH,
    *,
    hot: bool = False,
) -> PushResult:
    """Store a new revision of *space*, as a git commit too, and deploy it in the background;
    *hot* (a commit's ``hot_reload=1``): apply it to the running Gradio app in place when it
    may be (lifecycle/hotreload.py; it serves when this returns), else deploy it as any push.

    Raises:
        ManifestInvalid: the files are not a valid space (nothing is stored).
    """
    started = time.monotonic()
    ctx = d.ctx
    source = load_space(files, default_title=space.name)
    revision = revision_hash(source.files)
    summary = manifest_summary(source.manifest)
    with ctx.revisions_lock:  # a delete must not take the folder between the two
        ctx.files.save(revision, source.files)
        ctx.store.add_revision(space, revision, summary)
    commit = _record_commit(d, space, revision, source.files, origin)
    created = ctx.store.create_space(space, stage=Stage.BUILDING, manifest=summary)
    rec = ctx.store.get_space(space)
    # "unchanged" only when exactly these files serve without an error: the same files
    # pushed again after a failed build (say, a network error during pip) must build again
    unchanged = (
        rec.serving_revision == revision and rec.stage is Stage.RUNNING and not rec.error_message
    )
    warnings = tuple(str(w) for w in source.warnings)
    if unchanged:
        return PushResult(space, revision, created, warnings, unchanged=True, commit=commit)
    tried = hot_reload(ctx, space, revision, source.files, started) if hot else None
    if tried is not None and tried.applied:
        d.tasks.submit(prune_revisions, ctx, space)  # after the answer: it may take a while
        return PushResult(space, revision, created, warnings, hot_reload=tried, commit=commit)
    d.crashes.cancel(space)
    stage = Stage.RUNNING_BUILDING if rec.stage.is_serving else Stage.BUILDING
    ctx.store.update_space(space, revision=revision, desired="running", stage=stage)
    d.tasks.cancel_build(space, unless=revision)  # a superseded build stops now
    stages.publish_routes(ctx)
    ctx.store.add_event(space, "push", f"revision {revision[:12]} pushed")
    if tried is not None:
        ctx.store.add_event(space, "hot_reload_refused", f"not hot-reloaded: {tried.reason}")
    d.submit(space, revision)
    return PushResult(space, revision, created, warnings, hot_reload=tried, commit=commit)


def _record_commit(
    d: Deployer, space: SpaceId, revision: str, files: Mapping[str, bytes], origin: PushOrigin
) -> str:
    """The git commit of this push: git's own (recorded), or one composed now."""
    git = d.ctx.git
    if origin.commit:
        git.adopt(space, origin.commit, revision)
        return origin.commit
    return git.compose(space, revision, files, author=origin.author, message=origin.message)


def prune_revisions(ctx: Context, space: SpaceId) -> None:
    """Superseded revisions go after a hot reload as after any deploy; the image the container
    runs stays while it runs (a tag a container uses is never removed)."""
    cleanup.prune_revisions(ctx, space)


def restart(d: Deployer, space: SpaceId, *, factory: bool = False) -> None:
    """Restart *space* from its current revision; *factory* rebuilds without cache.

    Raises:
        SpaceNotFound: no such space. ManifestInvalid: it has no pushed revision.
    """
    ctx = d.ctx
    rec = ctx.store.get_space(space)
    if not rec.revision:
        raise ManifestInvalid(f"space {space} has no pushed revision", hint="push it first")
    d.crashes.cancel(space)
    stage = Stage.RUNNING_BUILDING if rec.stage.is_serving else Stage.BUILDING
    ctx.store.update_space(space, desired="running", stage=stage)
    stages.publish_routes(ctx)
    ctx.store.add_event(space, "restart", "factory rebuild" if factory else "restart")
    d.submit(space, rec.revision, nocache=factory)


def delete(d: Deployer, space: SpaceId) -> None:
    """Remove *space*: its containers, data volume, images' records and stored rows.

    Raises:
        SpaceNotFound: no such space.
    """
    ctx = d.ctx
    ctx.store.get_space(space)
    d.crashes.cancel(space)
    ctx.store.update_space(space, stage=Stage.DELETING, desired="deleted")
    d.tasks.cancel_build(space)  # not waited for to its end
    stages.publish_routes(ctx)
    with ctx.locks.lock(space):
        for info in ctx.runtime.list_managed(space):
            ctx.runtime.remove(info.id)
        ctx.runtime.remove_volume(data_volume(space, ctx.settings))
        ctx.runtime.remove_volume(datasets_volume(space, ctx.settings))
        remove_pins(pin_dir(ctx.settings.data_dir, space))
        if ctx.gpus.share is not None:
            ctx.gpus.share.detach(space)
        cleanup.forget_space(ctx, space)  # its rows, unshared revisions, images
        ctx.visibility.set_private(SPACE, str(space), False)
    stages.publish_routes(ctx)


def pause(d: Deployer, space: SpaceId) -> None:
    """Stop *space* until an explicit restart (stage PAUSED; visits do not wake it).

    Raises:
        SpaceNotFound: no such space.
    """
    ctx = d.ctx
    rec = ctx.store.get_space(space)
    d.crashes.cancel(space)
    with ctx.locks.lock(space):
        ctx.store.update_space(
            space, stage=Stage.PAUSED, desired="paused", upstream=None, sleep_level=""
        )
        stages.publish_routes(ctx)
        for info in ctx.runtime.list_managed(space):
            if info.status == "paused":
                ctx.runtime.unpause(info.id)  # a frozen process would ignore the SIGTERM
            ctx.runtime.stop(info.id)
    ctx.store.add_event(space, "pause", f"paused (was {rec.stage.value})")


def set_sleep_time(d: Deployer, space: SpaceId, seconds: object) -> int | None:
    """Set how long *space* may be idle before it sleeps (-1: never); returns the
    ``gcTimeout`` now in force.

    Raises:
        SpaceNotFound: no such space. InvalidRequest: not an integer >= 1 or -1.
    """
    store = d.ctx.store
    store.get_space(space)
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not (seconds == NEVER or seconds >= 1)
    ):
        raise InvalidRequest(
            f"invalid sleep time {seconds!r}", hint="give whole seconds >= 1, or -1 to never sleep"
        )
    rec = store.update_space(space, sleep_time=seconds)
    store.add_event(
        space, "sleeptime", "never sleeps" if seconds == NEVER else f"sleeps after {seconds} s"
    )
    return gc_timeout(d.sleeper, rec)


def set_private(d: Deployer, space: SpaceId, private: bool) -> None:
    """Make *space* private or public; the router follows at once (the route table).

    Raises:
        SpaceNotFound: no such space.
    """
    ctx = d.ctx
    ctx.store.get_space(space)
    ctx.visibility.set_private(SPACE, str(space), private)
    stages.publish_routes(ctx)
