"""A space's history as git commits (docs/git.md, "Pushing a space with git").

Every revision a space stores (a CLI push, a huggingface_hub commit, a duplicate, the first
files of ``create_repo``) is also a commit on ``main`` of the space's bare repository
(store/gitrepos.py, kind ``space``): parent the branch head, the revision's files as plain blobs,
author the pushing user. A ``git push`` arrives the other way round: git made the commit, and
the revision built from its files is recorded against it (:meth:`SpaceCommits.adopt`).

Revisions keep their names (the hash of their files, store/files.py): builds, images, pins and
logs use them. The ``space_commits`` table maps each commit to its revision, so the API and the
runtime answer git's sha and a revision can be named by either.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from spacehost.domain import SpaceId
from spacehost.errors import CommitConflict, RevisionNotFound
from spacehost.store.db import Store
from spacehost.store.gitrepos import FILE_MODE, MAIN, GitCommitInfo, GitReader, GitRepos

SPACE = "space"
CLI_MESSAGE = "Push from spacehost CLI"
_SET_REF_TRIES = 5  # a CLI push replaces every file: it may go on top of a head that moved


def author_line(user: str | None) -> str:
    """git's ``Name <email>`` for *user* (the platform itself without one)."""
    name = user or "spacehost"
    return f"{name} <{name}@users.noreply.spacehost>"


def _fast_loose_objects(repo: Path) -> None:
    """Store loose objects uncompressed (``core.looseCompression = 0``; dulwich's default is
    zlib's level 6): the large files of a space (images, weights) do not compress, and a first
    push of a 50 MiB one committed in 3.5 s at level 6, 1 s stored (docs/benchmarks.md); its
    small code files cost little disk either way, and ``git gc`` packs them compressed."""
    config = repo / "config"
    if b"looseCompression" not in config.read_bytes():
        with config.open("ab") as f:
            f.write(b"[core]\n\tlooseCompression = 0\n")


class SpaceCommits:
    """The git side of spaces' revisions: composing commits and mapping them to revisions."""

    def __init__(self, store: Store, repos: GitRepos) -> None:
        self.store, self.repos = store, repos

    def compose(
        self,
        space: SpaceId,
        revision: str,
        files: Mapping[str, bytes],
        *,
        author: str | None = None,
        message: str | None = None,
        when: float | None = None,
    ) -> str:
        """Commit *files* (revision *revision*) on ``main`` of *space*; its sha. When ``main``
        already holds exactly these files no commit is made and the head is answered.

        Raises:
            CommitConflict: ``main`` kept moving under this commit (other writers).
        """
        repo_id = str(space)
        _fast_loose_objects(self.repos.init(SPACE, repo_id))
        entries = [
            (path, FILE_MODE, self.repos.add_blob(SPACE, repo_id, files[path]))
            for path in sorted(files)
        ]
        for attempt in range(_SET_REF_TRIES):
            head = self.repos.ref(SPACE, repo_id, MAIN)
            sha = self.repos.write_commit(
                SPACE,
                repo_id,
                entries,
                message or CLI_MESSAGE,
                (head,) if head else (),
                author=author_line(author),
                when=when,
            )
            if head and self._same_tree(repo_id, head, sha):
                sha = head
                break
            try:
                self.repos.set_ref(SPACE, repo_id, MAIN, sha, head)
                break
            except CommitConflict:
                if attempt == _SET_REF_TRIES - 1:
                    raise
        self.store.add_commit(space, sha, revision)
        return sha

    def adopt(self, space: SpaceId, sha: str, revision: str) -> None:
        """Record that commit *sha* (made by git, already on its branch) holds *revision*."""
        self.store.add_commit(space, sha, revision)

    def commit_of(self, space: SpaceId, revision: str | None) -> str | None:
        """The git sha of *revision* of *space* (its newest commit with those files)."""
        return self.store.commit_of(space, revision) if revision else None

    def revision_of(self, space: SpaceId, name: str) -> str | None:
        """The revision *name* means for *space*: a commit sha (or a unique prefix of 7+), or
        a revision's own hash (kept working where they are used: pins, logs); None if none."""
        name = name.strip().lower()
        if self.store.revision_manifest(space, name) is not None:
            return name
        if not self.repos.exists(SPACE, str(space)):
            return None
        try:
            sha = self.repos.resolve(SPACE, str(space), name)
        except RevisionNotFound:
            return None
        return self.store.revision_of_commit(space, sha)

    def head(self, space: SpaceId) -> str | None:
        """The commit ``main`` of *space* points at (None before its first commit)."""
        if not self.repos.exists(SPACE, str(space)):
            return None
        return self.repos.ref(SPACE, str(space), MAIN)

    def refs(self, space: SpaceId) -> dict[str, str]:
        """*space*'s branches and tags (full ref name -> commit sha); none without a repo."""
        if not self.repos.exists(SPACE, str(space)):
            return {}
        return self.repos.refs(SPACE, str(space))

    def resolve(self, space: SpaceId, revision: str) -> str:
        """The commit sha *revision* (a branch, tag, sha or prefix) names. Raises
        RepoNotFound, RevisionNotFound."""
        return self.repos.resolve(SPACE, str(space), revision)

    def log(self, space: SpaceId, revision: str = MAIN) -> list[GitCommitInfo]:
        """The commits reachable from *revision*, newest first. Raises RepoNotFound,
        RevisionNotFound."""
        return self.repos.log(SPACE, str(space), revision)

    def reader(self, space: SpaceId) -> AbstractContextManager[GitReader]:
        """Reads of *space*'s repository objects. Raises RepoNotFound."""
        return self.repos.reader(SPACE, str(space))

    def forget(self, space: SpaceId) -> None:
        """Remove *space*'s repository (its rows go with the space's: Store.delete_space)."""
        self.repos.delete(SPACE, str(space))

    def _same_tree(self, repo_id: str, a: str, b: str) -> bool:
        with self.repos.reader(SPACE, repo_id) as r:
            return r.commit_info(a).tree == r.commit_info(b).tree
