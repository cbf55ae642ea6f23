"""Upgrading a data dir made before spaces were git repositories (docs/git.md).

Each space without a git history gets one: its stored revisions whose files are still kept
become commits on ``main``, oldest first, each dated when it was pushed, so that the head is the
space's current revision (the one it serves, unless its newest push failed to deploy: then the
newest, as had git kept the history from the start). Pruned revisions' files are gone; their
commits cannot be made and are left out. Idempotent: a space that has commits is left alone.
"""

from __future__ import annotations

import logging

from spacehost.domain import SpaceId
from spacehost.errors import SpacehostError
from spacehost.store.db import SpaceRecord, Store
from spacehost.store.files import RevisionFiles
from spacehost.store.spacecommits import SpaceCommits

log = logging.getLogger(__name__)
MIGRATED_MESSAGE = "Revision {short}, pushed before spacehost kept git history"


def migrate_spaces(store: Store, files: RevisionFiles, commits: SpaceCommits) -> list[SpaceId]:
    """Give every space that has none its git history; the spaces migrated."""
    done = []
    for rec in store.list_spaces():
        if store.has_commits(rec.id) or commits.head(rec.id) is not None:
            continue
        try:
            if migrate_space(store, files, commits, rec):
                done.append(rec.id)
        except (SpacehostError, OSError) as exc:
            # the other spaces still migrate; this one tries again on the next start
            log.warning("giving %s its git history: %s", rec.id, exc)
    return done


def migrate_space(
    store: Store, files: RevisionFiles, commits: SpaceCommits, rec: SpaceRecord
) -> int:
    """Commit *rec*'s kept revisions oldest first, its current revision last; how many."""
    dated = sorted(store.revisions(rec.id), key=lambda r: r[1])
    order = [h for h, _ in dated if h != rec.revision]
    if rec.revision:
        order.append(rec.revision)
    when = dict(dated)
    made = 0
    for revision in order:
        if not revision.isalnum() or not files.exists(revision):
            continue
        commits.compose(
            rec.id,
            revision,
            files.load(revision),
            message=MIGRATED_MESSAGE.format(short=revision[:12]),
            when=when.get(revision),
        )
        made += 1
    return made
