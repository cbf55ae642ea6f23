"""The data dir's private parts (issue 11, A11): the folder itself is 0700, and the databases
(with SQLite's -wal/-shm/-journal companions), the API token and the secrets key are 0600;
made so when created, and an existing install is fixed at every start.

The folder's mode is what keeps other local users out of everything below it (revisions, logs,
hub files); the files' modes also hold if the folder is ever opened up again. Hub blobs keep
their own modes: spaces read them through bind mounts, which do not pass through this folder.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
# relative to the data dir (see Settings: token_file, the cipher's key file, the stores' dbs)
PRIVATE_FILES = ("token", "secret.key")
DATABASES = ("spacehost.db", "hub/hub.db", "identity.db", "jobs.db")


def _restrict(path: Path, mode: int) -> None:
    """chmod *path* to *mode* when it has other bits; say so (an install being fixed)."""
    try:
        old = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if old != mode:
        os.chmod(path, mode)
        log.info("made %s private (mode %o, was %o)", path, mode, old)


def private_dir(path: Path) -> None:
    """Create *path* (and its parents) if missing; the folder itself ends 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _restrict(path, DIR_MODE)


def private_sqlite(path: Path) -> None:
    """Make the SQLite file *path* 0600 before it is opened: created empty with that mode when
    missing (SQLite gives its -wal and -shm files the database's mode), fixed when it exists,
    with its companions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    for suffix in SQLITE_COMPANIONS:
        _restrict(path.with_name(path.name + suffix), FILE_MODE)


def secure_data_dir(data_dir: Path) -> None:
    """Make *data_dir* private, and fix the modes of what an earlier version left readable."""
    private_dir(data_dir)
    for name in PRIVATE_FILES:
        _restrict(data_dir / name, FILE_MODE)
    for name in DATABASES:
        for suffix in SQLITE_COMPANIONS:
            db = data_dir / name
            _restrict(db.with_name(db.name + suffix), FILE_MODE)
