"""What a space leaves on disk: its stored revisions and its images, pruned as it goes and
removed with it.

Revisions are content-addressed (``DATA_DIR/revisions/<sha>``): two spaces pushing the same
files share one folder, so a folder goes only when no space's revisions row names it. A space
keeps its serving revision, the one it is deploying and its newest ``keep_revisions`` others;
their images stay, every other image of the space goes. Plain functions over the
:class:`~spacehost.lifecycle.platform.Platform` they serve.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from spacehost.domain import SpaceId
from spacehost.errors import SpacehostError

if TYPE_CHECKING:
    from spacehost.lifecycle.platform import Platform

log = logging.getLogger(__name__)


def kept_revisions(p: Platform, space: SpaceId) -> set[str]:
    """The revisions of *space* to keep: serving, deploying and the newest others."""
    rec = p.store.get_space(space)
    special = {r for r in (rec.serving_revision, rec.revision) if r}
    others = [rev for rev, _ in p.store.revisions(space) if rev not in special]
    return special | set(others[: max(p.settings.keep_revisions, 0)])


def prune_revisions(p: Platform, space: SpaceId) -> list[str]:
    """Forget *space*'s superseded revisions beyond ``keep_revisions``, delete their folders
    (unless another space uses them) and the space's images of them. Returns the revisions
    pruned; a failure is logged, never raised (the deploy it follows succeeded)."""
    try:
        keep = kept_revisions(p, space)
        drop = [rev for rev, _ in p.store.revisions(space) if rev not in keep]
        if drop:
            with p.revisions_lock:
                p.store.forget_revisions(space, drop)
                remove_unused_folders(p, drop)
        p.builder.remove_images(space, keep=keep)
        return drop
    except SpacehostError as exc:
        log.warning("pruning the revisions of %s: %s", space, exc)
        return []


def remove_unused_folders(p: Platform, revisions: list[str]) -> None:
    """Delete the folders of *revisions* that no space's row names (hold revisions_lock)."""
    used = p.store.all_revisions()
    for rev in revisions:
        if rev not in used:
            p.files.remove(rev)


def forget_space(p: Platform, space: SpaceId) -> None:
    """After *space*'s rows are gone: its revision folders nothing else uses and its images."""
    revisions = [rev for rev, _ in p.store.revisions(space)]
    with p.revisions_lock:
        p.store.delete_space(space)
        remove_unused_folders(p, revisions)
    try:
        p.builder.remove_images(space, keep=())
    except SpacehostError as exc:
        log.warning("removing the images of %s: %s", space, exc)
