"""The hub's metadata: repos, commits and each commit's files, in one SQLite file under the hub
root. One connection per process, serialised by a lock; WAL so readers never block the writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from spacehost.sqlitetx import immediate
from spacehost.store.private import private_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS hub_repos (
    kind TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    head TEXT NOT NULL,
    PRIMARY KEY (kind, repo_id)
);
CREATE TABLE IF NOT EXISTS hub_commits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    sha TEXT NOT NULL,
    parent TEXT,
    created_at REAL NOT NULL,
    message TEXT NOT NULL,
    UNIQUE (kind, repo_id, sha)
);
CREATE TABLE IF NOT EXISTS hub_files (
    kind TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    sha TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    PRIMARY KEY (kind, repo_id, sha, path)
);
CREATE INDEX IF NOT EXISTS hub_files_sha256 ON hub_files (sha256);
"""

Row = tuple[Any, ...]


class HubDb:
    """Thin SQL access for :class:`~spacehost.store.hub.HubStore`; returns plain rows."""

    def __init__(self, path: Path) -> None:
        private_sqlite(path)  # 0600 with its -wal and -shm (docs/security.md)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return list(self._conn.execute(sql, args))

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """All statements inside commit together or not at all (sqlitetx.immediate)."""
        return immediate(self._conn, self._lock)

    # -- reads ---------------------------------------------------------------------------------

    def repo_rows(self, kind: str | None) -> list[Row]:
        """``(kind, repo_id, created_at, updated_at, head)`` rows, by kind and id."""
        if kind is None:
            return self.query(
                "SELECT kind, repo_id, created_at, updated_at, head FROM hub_repos "
                "ORDER BY kind, repo_id"
            )
        return self.query(
            "SELECT kind, repo_id, created_at, updated_at, head FROM hub_repos "
            "WHERE kind = ? ORDER BY repo_id",
            (kind,),
        )

    def repo_row(self, kind: str, repo_id: str) -> Row | None:
        rows = self.query(
            "SELECT kind, repo_id, created_at, updated_at, head FROM hub_repos "
            "WHERE kind = ? AND repo_id = ?",
            (kind, repo_id),
        )
        return rows[0] if rows else None

    def commit_rows(self, kind: str, repo_id: str, sha_prefix: str = "") -> list[Row]:
        """``(sha, parent, created_at, message)`` rows, newest first."""
        return self.query(
            "SELECT sha, parent, created_at, message FROM hub_commits WHERE kind = ? AND "
            "repo_id = ? AND sha LIKE ? ORDER BY seq DESC",
            (kind, repo_id, sha_prefix + "%"),
        )

    def file_rows(self, kind: str, repo_id: str, sha: str) -> list[Row]:
        """``(path, size, sha256, blob_id)`` rows of one commit, by path."""
        return self.query(
            "SELECT path, size, sha256, blob_id FROM hub_files WHERE kind = ? AND "
            "repo_id = ? AND sha = ? ORDER BY path",
            (kind, repo_id, sha),
        )

    def all_files(self, kind: str, repo_id: str) -> list[Row]:
        """``(sha, path, sha256, blob_id, size)`` of every commit of a repo."""
        return self.query(
            "SELECT sha, path, sha256, blob_id, size FROM hub_files WHERE kind = ? AND repo_id = ?",
            (kind, repo_id),
        )

    def sha256_used(self, sha256: str) -> bool:
        return bool(self.query("SELECT 1 FROM hub_files WHERE sha256 = ? LIMIT 1", (sha256,)))

    # -- writes --------------------------------------------------------------------------------

    def add_commit(
        self,
        kind: str,
        repo_id: str,
        sha: str,
        parent: str | None,
        created_at: float,
        message: str,
        files: Sequence[tuple[str, int, str, str]],
    ) -> None:
        """Record a commit with its ``(path, size, sha256, blob_id)`` files and make it the head
        (creating the repo on its first commit), in one transaction."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO hub_commits (kind, repo_id, sha, parent, "
                "created_at, message) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, repo_id, sha, parent, created_at, message),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO hub_files (kind, repo_id, sha, path, size, "
                "sha256, blob_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(kind, repo_id, sha, *f) for f in files],
            )
            conn.execute(
                "INSERT INTO hub_repos (kind, repo_id, created_at, updated_at, head) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, repo_id) DO UPDATE SET "
                "updated_at = excluded.updated_at, head = excluded.head",
                (kind, repo_id, created_at, created_at, sha),
            )

    def delete_repo(self, kind: str, repo_id: str) -> None:
        with self.transaction() as conn:
            for table in ("hub_files", "hub_commits", "hub_repos"):
                conn.execute(f"DELETE FROM {table} WHERE kind = ? AND repo_id = ?", (kind, repo_id))
