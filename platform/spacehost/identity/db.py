"""The identity database (``DATA/identity.db``): users, organizations, members, tokens, sessions,
which repos are private, and a few platform-wide values. Thin SQL; the rules are in
:mod:`spacehost.identity.accounts` and :mod:`spacehost.identity.policy`.

One connection shared by the threads of the control plane, serialised by a lock; WAL mode.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from spacehost.sqlitetx import immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    fullname TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    is_admin INTEGER NOT NULL DEFAULT 0,
    password TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS orgs (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    fullname TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    org TEXT NOT NULL COLLATE NOCASE,
    user TEXT NOT NULL COLLATE NOCASE,
    role TEXT NOT NULL,
    PRIMARY KEY (org, user)
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    shown TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_used_at REAL,
    expires_at REAL
);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,
    user TEXT NOT NULL COLLATE NOCASE,
    csrf TEXT NOT NULL DEFAULT '',
    space TEXT,
    parent TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_parent ON sessions (parent);
CREATE TABLE IF NOT EXISTS private_repos (
    kind TEXT NOT NULL,
    repo TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (kind, repo)
);
CREATE TABLE IF NOT EXISTS invites (
    digest TEXT PRIMARY KEY,
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS external_ids (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (issuer, subject)
);
CREATE TABLE IF NOT EXISTS platform (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

Row = sqlite3.Row


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600) before SQLite opens it; the
    data dir's start-up check fixes its companions' modes (store/private.py)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


class IdentityDb:
    def __init__(self, path: Path) -> None:
        _create_private(path)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)
        self._migrate()
        self._lock = threading.Lock()

    def _migrate(self) -> None:
        """Add what a database made by an older version lacks (data kept): a token's expiry
        (jobs' short-lived tokens, lifecycle/jobs.py; NULL: never)."""
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(tokens)")}
        if "expires_at" not in have:
            self._conn.execute("ALTER TABLE tokens ADD COLUMN expires_at REAL")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return list(self._conn.execute(sql, args))

    def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, args)
        return rows[0] if rows else None

    def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Execute one statement; the number of rows it changed."""
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """All statements inside commit together or not at all (sqlitetx.immediate)."""
        return immediate(self._conn, self._lock)
