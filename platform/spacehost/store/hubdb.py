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
    lfs INTEGER,
    mode INTEGER NOT NULL DEFAULT 33188,
    PRIMARY KEY (kind, repo_id, sha, path)
);
CREATE INDEX IF NOT EXISTS hub_files_sha256 ON hub_files (sha256);
CREATE TABLE IF NOT EXISTS hub_aliases (
    kind TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    old TEXT NOT NULL,
    sha TEXT NOT NULL,
    PRIMARY KEY (kind, repo_id, old)
);
CREATE TABLE IF NOT EXISTS hub_moves (
    kind TEXT NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    moved_at REAL NOT NULL,
    pending INTEGER NOT NULL,
    PRIMARY KEY (kind, old)
);
"""
# the tables whose rows a repo id keys (a move renames them all in one transaction)
REPO_TABLES = ("hub_repos", "hub_commits", "hub_files", "hub_aliases")
# columns added since the first schema: (table, column, declaration); a store written before
# gets them on open (``lfs`` NULL: the file's suffix and size decide, as they did then)
ADDED_COLUMNS = (
    ("hub_files", "lfs", "INTEGER"),
    ("hub_files", "mode", "INTEGER NOT NULL DEFAULT 33188"),
)
FileRow = tuple[str, int, str, str, bool | None, int]

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
        self._add_columns()
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _add_columns(self) -> None:
        for table, column, decl in ADDED_COLUMNS:
            cols = {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}
            if cols and column not in cols:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

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
        """``(path, size, sha256, blob_id, lfs, mode)`` rows of one commit, by path."""
        return self.query(
            "SELECT path, size, sha256, blob_id, lfs, mode FROM hub_files WHERE kind = ? AND "
            "repo_id = ? AND sha = ? ORDER BY path",
            (kind, repo_id, sha),
        )

    def all_files(self, kind: str, repo_id: str) -> list[Row]:
        """``(sha, path, sha256, blob_id, size, lfs, mode)`` of every commit of a repo."""
        return self.query(
            "SELECT sha, path, sha256, blob_id, size, lfs, mode FROM hub_files "
            "WHERE kind = ? AND repo_id = ?",
            (kind, repo_id),
        )

    def alias(self, kind: str, repo_id: str, old_prefix: str) -> list[str]:
        """The commits an old (pre-git) sha or prefix now goes by (docs/git.md, migration)."""
        rows = self.query(
            "SELECT DISTINCT sha FROM hub_aliases WHERE kind = ? AND repo_id = ? AND old LIKE ?",
            (kind, repo_id, old_prefix + "%"),
        )
        return [r[0] for r in rows]

    def aliases(self, kind: str, repo_id: str) -> dict[str, str]:
        """Every old (pre-git) commit id of the repo -> its git sha."""
        rows = self.query(
            "SELECT old, sha FROM hub_aliases WHERE kind = ? AND repo_id = ?", (kind, repo_id)
        )
        return {r[0]: r[1] for r in rows}

    def moved_to(self, kind: str, old: str) -> str | None:
        """The id the repo once named *old* was moved to (the last move of a chain), if any."""
        rows = self.query("SELECT new FROM hub_moves WHERE kind = ? AND old = ?", (kind, old))
        return str(rows[0][0]) if rows else None

    def old_names(self, kind: str, repo_id: str) -> list[str]:
        """The old ids whose moves end at *repo_id*, sorted."""
        rows = self.query(
            "SELECT old FROM hub_moves WHERE kind = ? AND new = ? ORDER BY old", (kind, repo_id)
        )
        return [str(r[0]) for r in rows]

    def pending_moves(self) -> list[Row]:
        """``(kind, old, new)`` of moves whose folders may not be renamed yet (a crash)."""
        return self.query("SELECT kind, old, new FROM hub_moves WHERE pending = 1")

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
        files: Sequence[FileRow],
        *,
        head: bool = True,
    ) -> None:
        """Record a commit with its ``(path, size, sha256, blob_id, lfs, mode)`` files and make
        it the head (creating the repo on its first commit), in one transaction. *head* False:
        a commit of another branch, recorded only."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO hub_commits (kind, repo_id, sha, parent, "
                "created_at, message) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, repo_id, sha, parent, created_at, message),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO hub_files (kind, repo_id, sha, path, size, "
                "sha256, blob_id, lfs, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(kind, repo_id, sha, *f) for f in files],
            )
            if not head:
                return
            # a repo under a moved repo's old id: that id no longer redirects
            conn.execute("DELETE FROM hub_moves WHERE kind = ? AND old = ?", (kind, repo_id))
            conn.execute(
                "INSERT INTO hub_repos (kind, repo_id, created_at, updated_at, head) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, repo_id) DO UPDATE SET "
                "updated_at = excluded.updated_at, head = excluded.head",
                (kind, repo_id, created_at, created_at, sha),
            )

    def delete_repo(self, kind: str, repo_id: str) -> None:
        with self.transaction() as conn:
            for table in REPO_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE kind = ? AND repo_id = ?", (kind, repo_id))

    def rename_commits(
        self, kind: str, repo_id: str, renamed: dict[str, str], files: Sequence[FileRow]
    ) -> None:
        """Give the repo's commits their new shas (*renamed*: old -> new), keep each old sha as
        an alias, and state every file's LFS flag and mode (*files* of any commit: by path,
        size, sha256), in one transaction (the migration into git, store/hubmigrate.py)."""
        with self.transaction() as conn:
            for old, new in renamed.items():
                for table, column in (
                    ("hub_commits", "sha"),
                    ("hub_commits", "parent"),
                    ("hub_files", "sha"),
                    ("hub_repos", "head"),
                ):
                    conn.execute(
                        f"UPDATE {table} SET {column} = ? WHERE kind = ? AND repo_id = ? "
                        f"AND {column} = ?",
                        (new, kind, repo_id, old),
                    )
                conn.execute(
                    "INSERT OR REPLACE INTO hub_aliases (kind, repo_id, old, sha) "
                    "VALUES (?, ?, ?, ?)",
                    (kind, repo_id, old, new),
                )
            conn.executemany(
                "UPDATE hub_files SET lfs = ?, mode = ? WHERE kind = ? AND repo_id = ? AND "
                "path = ? AND size = ? AND sha256 = ?",
                [(int(bool(f[4])), f[5], kind, repo_id, f[0], f[1], f[2]) for f in files],
            )

    def move_repo(self, kind: str, old: str, new: str, when: float) -> None:
        """Give every row of repo *old* the id *new* and remember the move (pending until
        :meth:`finish_move`; earlier moves to *old* now point at *new*; a move away from *new*
        is forgotten, *new* being a repo again), in one transaction."""
        with self.transaction() as conn:
            for table in REPO_TABLES:
                conn.execute(
                    f"UPDATE {table} SET repo_id = ? WHERE kind = ? AND repo_id = ?",
                    (new, kind, old),
                )
            conn.execute("DELETE FROM hub_moves WHERE kind = ? AND old = ?", (kind, new))
            conn.execute(
                "UPDATE hub_moves SET new = ? WHERE kind = ? AND new = ?", (new, kind, old)
            )
            conn.execute(
                "INSERT OR REPLACE INTO hub_moves (kind, old, new, moved_at, pending) "
                "VALUES (?, ?, ?, ?, 1)",
                (kind, old, new, when),
            )

    def finish_move(self, kind: str, old: str) -> None:
        """The move's folders are renamed: only its redirect is left."""
        with self.transaction() as conn:
            conn.execute("UPDATE hub_moves SET pending = 0 WHERE kind = ? AND old = ?", (kind, old))
