"""spacehost.store: the SQLite database, stored revisions and upload intake (layer 1)."""

from spacehost.store.archive import read_archive
from spacehost.store.db import BuildRecord, LogLine, SpaceRecord, Store
from spacehost.store.files import RevisionFiles, revision_hash

__all__ = [
    "BuildRecord", "LogLine", "RevisionFiles", "SpaceRecord", "Store", "read_archive",
    "revision_hash",
]
