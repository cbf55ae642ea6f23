"""Hub repos written before commits were git's: replayed into git on open (docs/git.md).

A store from before (its commit ids sha1s of the hub's own making, no git repository) gets, per
repo, a git repository with one git commit per hub commit, oldest first (same files, message,
time and parent chain), so the history is kept. The database then names the git shas; each old
id stays an alias (``hub_aliases``), so a revision a user wrote down still resolves. The cache's
snapshot and tree listings follow their commit's new name.

Crash safety: the replay only adds git objects and gives the same shas every time (same trees,
parents, messages, times); the database moves to the new names in one transaction; the cache
folders are renamed from the aliases on every open, before anything is swept. A migration cut
short is simply done again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from spacehost.store.gitrepos import GitRepos
from spacehost.store.hubdb import FileRow, HubDb, Row
from spacehost.store.hubfiles import is_lfs

# (parent's git sha, message, the commit's file rows with their LFS flag stated, time) -> sha
Compose = Callable[[str | None, str, list[FileRow], float], str]


def needs_git(git: GitRepos, kind: str, repo_id: str, head: str) -> bool:
    """Whether the repo's head is not (yet) a git commit: a store from before git."""
    return not git.exists(kind, repo_id) or not git.has_object(kind, repo_id, head)


def stated(rows: list[Row]) -> list[FileRow]:
    """File rows with the LFS flag said outright (older rows: by HF's rule, as then)."""
    return [
        (r[0], r[1], r[2], r[3], is_lfs(r[0], r[1]) if r[4] is None else bool(r[4]), r[5])
        for r in rows
    ]


def migrate_repo(db: HubDb, kind: str, repo_id: str, compose: Compose) -> dict[str, str]:
    """Replay the repo's commits into git, oldest first, and rename them in the database.

    Returns:
        old sha -> git sha.
    """
    renamed: dict[str, str] = {}
    every: list[FileRow] = []
    for sha, parent, created, message in reversed(db.commit_rows(kind, repo_id)):
        files = stated(db.file_rows(kind, repo_id, sha))
        every.extend(files)
        renamed[sha] = compose(renamed.get(parent) if parent else None, message, files, created)
    db.rename_commits(kind, repo_id, renamed, every)
    return renamed


def rename_cached(cache: Path, aliases: Mapping[str, str]) -> None:
    """Give the cache's snapshots and tree listings of old commit ids their git shas."""
    for old, new in aliases.items():
        for src, dst in (
            (cache / "snapshots" / old, cache / "snapshots" / new),
            (cache / "trees" / f"{old}.json", cache / "trees" / f"{new}.json"),
        ):
            if src.exists() and not dst.exists():
                with contextlib.suppress(FileNotFoundError):
                    os.rename(src, dst)
