"""The platform's read side: what the API and the pages may read about spaces.

``SpaceQueries`` answers from the store (spaces, builds, logs, revisions), the stored revision
folders and the variables and secrets (names and descriptions, never a secret's value). It
changes nothing: every change goes through the ``Platform``'s commands, which keep the stage
machine, the route table and the locks in step. The API and the pages reach it as
``platform.queries`` (see facade.py); every method may block on SQLite or the disk, so
handlers call it in a thread.
"""

from __future__ import annotations

from spacehost.settings import Settings
from spacehost.store import RevisionFiles, SpaceConfig, Store
from spacehost.store.spacecommits import SpaceCommits


class SpaceQueries:
    """Read-only questions about spaces: the read methods of the store, the revision folders
    and the space config, and nothing else of them (their docstrings hold).

    Args:
        settings: platform settings (exposed as ``settings``).
        store: the database: ``list_spaces``, ``get_space`` (raises SpaceNotFound),
            ``find_space`` (None when missing), ``builds``, ``logs``, ``log_refs``, ``revisions``,
            ``events`` (newest first).
        files: the stored revisions' folders: ``revision_exists``, ``revision_listing`` (path,
            size), ``revision_path`` (to read one file from).
        config: the spaces' ``variables`` and ``secrets`` (names, descriptions, times; never a
            secret's value).
        git: the spaces' git commits: ``commit_of`` (a revision's git sha), ``revision_of`` (the
            revision a commit sha or revision hash names), ``head_commit`` (main's sha),
            ``git_refs``, ``git_resolve``, ``git_log`` and ``git_reader`` (its objects).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        files: RevisionFiles,
        config: SpaceConfig,
        git: SpaceCommits,
    ) -> None:
        self.settings = settings
        # the store's reads
        self.list_spaces = store.list_spaces
        self.get_space = store.get_space
        self.find_space = store.find_space
        self.builds = store.builds
        self.logs = store.logs
        self.log_refs = store.log_refs
        self.revisions = store.revisions
        self.events = store.events
        # the revision folders'
        self.revision_exists = files.exists
        self.revision_listing = files.listing
        self.revision_path = files.path
        # the space config's (no value of a secret)
        self.variables = config.variables
        self.secrets = config.secrets
        # the git commits'
        self.commit_of = git.commit_of
        self.revision_of = git.revision_of
        self.head_commit = git.head
        self.git_refs = git.refs
        self.git_resolve = git.resolve
        self.git_log = git.log
        self.git_reader = git.reader
