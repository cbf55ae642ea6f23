"""spacehost.store: the SQLite database, stored revisions and upload intake (layer 1)."""

from spacehost.store.archive import read_archive
from spacehost.store.cipher import SecretCipher
from spacehost.store.db import BuildRecord, LogLine, SpaceRecord, Store
from spacehost.store.files import RevisionFiles, revision_hash
from spacehost.store.hub import HubCommit, HubFile, HubRepo, HubStore
from spacehost.store.space_config import SECRET, VARIABLE, ConfigEntry, SpaceConfig

__all__ = [
    "SECRET",
    "VARIABLE",
    "BuildRecord",
    "ConfigEntry",
    "HubCommit",
    "HubFile",
    "HubRepo",
    "HubStore",
    "LogLine",
    "RevisionFiles",
    "SecretCipher",
    "SpaceConfig",
    "SpaceRecord",
    "Store",
    "read_archive",
    "revision_hash",
]
