"""The platform's read side: what the API and the pages may read about spaces.

``SpaceQueries`` answers from the store (spaces, builds, logs, revisions), the stored revision
folders and the variables and secrets (names and descriptions, never a secret's value). It
changes nothing: every change goes through the ``Platform``'s commands, which keep the stage
machine, the route table and the locks in step. The API and the pages reach it as
``platform.queries`` (see facade.py); every method may block on SQLite or the disk, so
handlers call it in a thread.
"""

from __future__ import annotations

from pathlib import Path

from spacehost.domain import SpaceId
from spacehost.settings import Settings
from spacehost.store import (
    BuildRecord,
    ConfigEntry,
    LogLine,
    RevisionFiles,
    SpaceConfig,
    SpaceRecord,
    Store,
)


class SpaceQueries:
    """Read-only questions about spaces.

    Args:
        settings: platform settings (exposed as ``settings``).
        store: the database, read only here.
        files: the stored revisions' folders.
        config: the spaces' variables and secrets.
    """

    def __init__(
        self, settings: Settings, store: Store, files: RevisionFiles, config: SpaceConfig
    ) -> None:
        self.settings = settings
        self._store, self._files, self._config = store, files, config

    # spaces, builds, logs (the store) -----------------------------------------------------

    def list_spaces(self) -> list[SpaceRecord]:
        """Every space, by id."""
        return self._store.list_spaces()

    def get_space(self, space: SpaceId) -> SpaceRecord:
        """Raises :class:`SpaceNotFound` when *space* is not registered."""
        return self._store.get_space(space)

    def find_space(self, space: SpaceId) -> SpaceRecord | None:
        """*space*'s record, or None when it is not registered."""
        return self._store.find_space(space)

    def builds(self, space: SpaceId, limit: int = 20) -> list[BuildRecord]:
        """*space*'s newest builds, newest first."""
        return self._store.builds(space, limit)

    def logs(
        self,
        space: SpaceId,
        kind: str,
        *,
        after_id: int = 0,
        tail: int | None = None,
        ref: str | None = None,
    ) -> list[LogLine]:
        """Log lines of *kind* ("build" or "run") after *after_id*, oldest first; *tail* keeps
        the last N, *ref* one build ("build-N") or container."""
        return self._store.logs(space, kind, after_id=after_id, tail=tail, ref=ref)

    def log_refs(self, space: SpaceId, kind: str, limit: int = 10) -> list[str]:
        """The builds ("build-N") or containers (ids) that logged, newest first."""
        return self._store.log_refs(space, kind, limit)

    def revisions(self, space: SpaceId) -> list[tuple[str, float]]:
        """*space*'s stored revisions (hash, time stored), newest first."""
        return self._store.revisions(space)

    # stored revisions' files --------------------------------------------------------------

    def revision_exists(self, revision: str) -> bool:
        """Whether *revision*'s folder is stored (pruned revisions keep only their row)."""
        return self._files.exists(revision)

    def revision_listing(self, revision: str) -> list[tuple[str, int]]:
        """*revision*'s files (path, size), by path."""
        return self._files.listing(revision)

    def revision_path(self, revision: str) -> Path:
        """*revision*'s folder, to read a file from (raises NotFound for a malformed hash)."""
        return self._files.path(revision)

    # variables and secrets ----------------------------------------------------------------

    def variables(self, space: SpaceId) -> list[ConfigEntry]:
        """*space*'s variables."""
        return self._config.variables(space)

    def secrets(self, space: SpaceId) -> list[ConfigEntry]:
        """*space*'s secrets: names, descriptions and times, never values."""
        return self._config.secrets(space)
