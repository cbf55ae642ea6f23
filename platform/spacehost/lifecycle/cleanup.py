"""What a space leaves on disk: its stored revisions and its images, pruned as it goes and
removed with it.

Revisions are content-addressed (``DATA_DIR/revisions/<sha>``): two spaces pushing the same
files share one folder, so a folder goes only when no space's revisions row names it. A space
keeps its serving revision, the one it is deploying and its newest ``keep_revisions`` others;
their images stay, every other image of the space goes. Plain functions over the shared
:class:`~spacehost.lifecycle.context.Context`.
"""

from __future__ import annotations

import logging

from spacehost.domain import SpaceId
from spacehost.errors import SpacehostError
from spacehost.lifecycle.context import Context

log = logging.getLogger(__name__)


def kept_revisions(ctx: Context, space: SpaceId) -> set[str]:
    """The revisions of *space* to keep: serving, deploying and the newest others."""
    rec = ctx.store.get_space(space)
    special = {r for r in (rec.serving_revision, rec.revision) if r}
    others = [rev for rev, _ in ctx.store.revisions(space) if rev not in special]
    return special | set(others[: max(ctx.settings.keep_revisions, 0)])


def prune_revisions(ctx: Context, space: SpaceId) -> list[str]:
    """Forget *space*'s superseded revisions beyond ``keep_revisions``, delete their folders
    (unless another space uses them) and the space's images of them. Returns the revisions
    pruned; a failure is logged, never raised (the deploy it follows succeeded)."""
    try:
        keep = kept_revisions(ctx, space)
        drop = [rev for rev, _ in ctx.store.revisions(space) if rev not in keep]
        if drop:
            with ctx.revisions_lock:
                ctx.store.forget_revisions(space, drop)
                remove_unused_folders(ctx, drop)
        ctx.builder.remove_images(space, keep=keep)
        return drop
    except SpacehostError as exc:
        log.warning("pruning the revisions of %s: %s", space, exc)
        return []


def remove_unused_folders(ctx: Context, revisions: list[str]) -> None:
    """Delete the folders of *revisions* that no space's row names (hold revisions_lock)."""
    used = ctx.store.all_revisions()
    for rev in revisions:
        if rev not in used:
            ctx.files.remove(rev)


def forget_space(ctx: Context, space: SpaceId) -> None:
    """After *space*'s rows are gone: its revision folders nothing else uses and its images."""
    revisions = [rev for rev, _ in ctx.store.revisions(space)]
    with ctx.revisions_lock:
        ctx.store.delete_space(space)
        remove_unused_folders(ctx, revisions)
        ctx.git.forget(space)  # a space made again under this name starts a new history
    try:
        ctx.builder.remove_images(space, keep=())
    except SpacehostError as exc:
        log.warning("removing the images of %s: %s", space, exc)
