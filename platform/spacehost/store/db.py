"""SQLite store: spaces, revisions, builds, logs, events and space config (variables and
encrypted secrets, see :mod:`spacehost.store.space_config`), in one file in the data dir.

One connection shared by the threads of one process, serialised by a lock; WAL mode so a reader
in another process (the CLI on the same host, a second control plane) never blocks a writer.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacehost.domain import SpaceId, Stage, transition_allowed
from spacehost.errors import InvalidTransition, SpaceNotFound
from spacehost.store.private import private_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS spaces (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    stage TEXT NOT NULL,
    error_message TEXT NOT NULL DEFAULT '',
    desired TEXT NOT NULL DEFAULT 'running',
    revision TEXT,
    serving_revision TEXT,
    container_id TEXT,
    upstream TEXT,
    image TEXT,
    manifest TEXT NOT NULL DEFAULT '{}',
    hardware TEXT NOT NULL DEFAULT 'cpu-basic',
    sleep_time INTEGER,
    sleep_level TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS revisions (
    space TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    manifest TEXT NOT NULL,
    PRIMARY KEY (space, hash)
);
-- a space's git commits (store/spacecommits.py) and the revision (files' hash) each holds;
-- created on open in a database made before spaces were git repositories
CREATE TABLE IF NOT EXISTS space_commits (
    space TEXT NOT NULL,
    sha TEXT NOT NULL,
    revision TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (space, sha)
);
CREATE INDEX IF NOT EXISTS space_commits_revision ON space_commits (space, revision);
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space TEXT NOT NULL,
    revision TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    image TEXT,
    error TEXT NOT NULL DEFAULT '',
    nocache INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    ts REAL NOT NULL,
    line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_space_kind ON logs (space, kind, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS config (
    space TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (space, kind, key)
);
"""


@dataclass(frozen=True)
class SpaceRecord:
    id: SpaceId
    created_at: float
    updated_at: float
    stage: Stage
    error_message: str
    desired: str
    revision: str | None
    serving_revision: str | None
    container_id: str | None
    upstream: str | None
    image: str | None
    manifest: dict[str, Any]
    hardware: str
    sleep_time: int | None = None  # seconds idle before sleeping; None: the platform default
    sleep_level: str = ""  # "paused" | "stopped" while SLEEPING, else ""


@dataclass(frozen=True)
class BuildRecord:
    id: int
    space: str
    revision: str
    status: str
    started_at: float
    finished_at: float | None
    image: str | None
    error: str
    nocache: bool


@dataclass(frozen=True)
class LogLine:
    id: int
    kind: str
    ref: str
    ts: float
    line: str


_SPACE_COLUMNS = (
    "id, created_at, updated_at, stage, error_message, desired, revision, serving_revision, "
    "container_id, upstream, image, manifest, hardware, sleep_time, sleep_level"
)
# columns added after the first release: (name, definition), added to older databases on open
_ADDED_COLUMNS = (
    ("sleep_time", "INTEGER"),
    ("sleep_level", "TEXT NOT NULL DEFAULT ''"),
)
_UPDATABLE = {
    "stage",
    "error_message",
    "desired",
    "revision",
    "serving_revision",
    "container_id",
    "upstream",
    "image",
    "manifest",
    "hardware",
    "sleep_time",
    "sleep_level",
}


class Store:
    """The platform's database. Thread-safe within a process.

    Args:
        path: the SQLite file (created with its folder if missing).
        clock: returns the current time in seconds (injected for tests).
    """

    def __init__(self, path: Path, clock: Any = time.time):
        private_sqlite(path)  # 0600, so are its -wal and -shm: it holds the spaces' variables
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Add the columns a database made by an older version lacks (data kept)."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(spaces)").fetchall()}
        for name, definition in _ADDED_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE spaces ADD COLUMN {name} {definition}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def transaction(self) -> Any:
        """A context manager holding a write transaction (for the store's other modules)."""
        return self._tx()

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query (for the store's other modules)."""
        return self._rows(sql, args)

    def now(self) -> float:
        """The store's clock."""
        return float(self._clock())

    # spaces -------------------------------------------------------------------------------

    def create_space(self, space: SpaceId, *, stage: Stage, manifest: dict[str, Any]) -> bool:
        """Register *space* if it is new; returns True when it was created."""
        now = self._clock()
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO spaces (id, owner, name, created_at, updated_at, stage, "
                "manifest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (str(space), space.owner, space.name, now, now, stage.value, json.dumps(manifest)),
            )
            return cur.rowcount == 1

    def get_space(self, space: SpaceId) -> SpaceRecord:
        """Raises :class:`SpaceNotFound` when *space* is not registered."""
        rows = self._rows(f"SELECT {_SPACE_COLUMNS} FROM spaces WHERE id = ?", (str(space),))
        if not rows:
            raise SpaceNotFound(
                f"space {space} does not exist", hint="list spaces with `spacehost ls`"
            )
        return _space_record(rows[0])

    def find_space(self, space: SpaceId) -> SpaceRecord | None:
        rows = self._rows(f"SELECT {_SPACE_COLUMNS} FROM spaces WHERE id = ?", (str(space),))
        return _space_record(rows[0]) if rows else None

    def list_spaces(self) -> list[SpaceRecord]:
        rows = self._rows(f"SELECT {_SPACE_COLUMNS} FROM spaces ORDER BY id")
        return [_space_record(r) for r in rows]

    def update_space(self, space: SpaceId, **fields: Any) -> SpaceRecord:
        """Set columns of *space* (stage as Stage, manifest as dict); returns the new record."""
        bad = set(fields) - _UPDATABLE
        if bad:
            raise ValueError(f"not updatable: {sorted(bad)}")
        values = {k: _to_column(v) for k, v in fields.items()}
        values["updated_at"] = self._clock()
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._tx() as db:
            # inside the write transaction (BEGIN IMMEDIATE): no other thread or process can
            # change the stage between this check and the UPDATE (issue 11, A12)
            if "stage" in fields:
                self._check_transition(db, space, Stage(fields["stage"]))
            cur = db.execute(
                f"UPDATE spaces SET {sets} WHERE id = ?", (*values.values(), str(space))
            )
            if cur.rowcount == 0:
                raise SpaceNotFound(f"space {space} does not exist")
        return self.get_space(space)

    @staticmethod
    def _check_transition(db: sqlite3.Connection, space: SpaceId, new: Stage) -> None:
        rows = db.execute("SELECT stage FROM spaces WHERE id = ?", (str(space),)).fetchall()
        if rows and not transition_allowed(Stage(rows[0][0]), new):
            raise InvalidTransition(
                f"space {space} cannot go from {rows[0][0]} to {new.value}",
                hint="wait for the current operation to finish, or restart the space",
            )

    def delete_space(self, space: SpaceId) -> None:
        key = str(space)
        with self._tx() as db:
            for table, col in (
                ("spaces", "id"),
                ("revisions", "space"),
                ("space_commits", "space"),
                ("builds", "space"),
                ("logs", "space"),
                ("events", "space"),
                ("config", "space"),
            ):
                db.execute(f"DELETE FROM {table} WHERE {col} = ?", (key,))

    # revisions ----------------------------------------------------------------------------

    def add_revision(self, space: SpaceId, revision: str, manifest: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO revisions (space, hash, created_at, manifest) "
                "VALUES (?, ?, ?, ?)",
                (str(space), revision, self._clock(), json.dumps(manifest)),
            )

    def revision_manifest(self, space: SpaceId, revision: str) -> dict[str, Any] | None:
        """The manifest summary stored with *revision* of *space*; None when unknown."""
        rows = self._rows(
            "SELECT manifest FROM revisions WHERE space = ? AND hash = ?", (str(space), revision)
        )
        return dict(json.loads(rows[0][0])) if rows else None

    def revision_date(self, space: SpaceId, revision: str) -> float | None:
        """When *revision* of *space* was (last) pushed, in seconds since the epoch; None
        when unknown."""
        rows = self._rows(
            "SELECT created_at FROM revisions WHERE space = ? AND hash = ?", (str(space), revision)
        )
        return float(rows[0][0]) if rows else None

    def revisions(self, space: SpaceId) -> list[tuple[str, float]]:
        rows = self._rows(
            "SELECT hash, created_at FROM revisions WHERE space = ? ORDER BY created_at DESC",
            (str(space),),
        )
        return [(str(h), float(t)) for h, t in rows]

    def forget_revisions(self, space: SpaceId, revisions: Collection[str]) -> None:
        """Drop *space*'s rows of *revisions* (pruned; their builds' rows stay)."""
        with self._tx() as db:
            db.executemany(
                "DELETE FROM revisions WHERE space = ? AND hash = ?",
                [(str(space), r) for r in revisions],
            )

    # git commits --------------------------------------------------------------------------

    def add_commit(self, space: SpaceId, sha: str, revision: str) -> None:
        """Record that git commit *sha* of *space* holds the files of *revision*."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO space_commits (space, sha, revision, created_at) "
                "VALUES (?, ?, ?, ?)",
                (str(space), sha, revision, self._clock()),
            )

    def commit_of(self, space: SpaceId, revision: str) -> str | None:
        """The newest git commit of *space* recorded with *revision*'s files; None if none."""
        rows = self._rows(
            "SELECT sha FROM space_commits WHERE space = ? AND revision = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (str(space), revision),
        )
        return str(rows[0][0]) if rows else None

    def revision_of_commit(self, space: SpaceId, sha: str) -> str | None:
        """The revision whose files git commit *sha* of *space* holds; None if unknown."""
        rows = self._rows(
            "SELECT revision FROM space_commits WHERE space = ? AND sha = ?", (str(space), sha)
        )
        return str(rows[0][0]) if rows else None

    def has_commits(self, space: SpaceId) -> bool:
        rows = self._rows("SELECT 1 FROM space_commits WHERE space = ? LIMIT 1", (str(space),))
        return bool(rows)

    def all_revisions(self) -> set[str]:
        return {str(r[0]) for r in self._rows("SELECT DISTINCT hash FROM revisions")}

    # builds -------------------------------------------------------------------------------

    def start_build(self, space: SpaceId, revision: str, *, nocache: bool = False) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO builds (space, revision, status, started_at, nocache) "
                "VALUES (?, ?, 'running', ?, ?)",
                (str(space), revision, self._clock(), int(nocache)),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def finish_build(
        self, build_id: int, *, status: str, image: str | None = None, error: str = ""
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE builds SET status = ?, finished_at = ?, image = ?, error = ? WHERE id = ?",
                (status, self._clock(), image, error, build_id),
            )

    def builds(self, space: SpaceId, limit: int = 20) -> list[BuildRecord]:
        rows = self._rows(
            "SELECT id, space, revision, status, started_at, finished_at, image, error, nocache "
            "FROM builds WHERE space = ? ORDER BY id DESC LIMIT ?",
            (str(space), limit),
        )
        return [_build_record(r) for r in rows]

    def fail_running_builds(self, reason: str) -> list[BuildRecord]:
        """Mark builds left 'running' by a dead process as failed; returns them."""
        rows = self._rows(
            "SELECT id, space, revision, status, started_at, finished_at, image, error, nocache "
            "FROM builds WHERE status = 'running'"
        )
        for r in rows:
            self.finish_build(int(r[0]), status="failed", error=reason)
        return [_build_record(r) for r in rows]

    # logs and events ----------------------------------------------------------------------

    def append_logs(self, space: SpaceId, kind: str, ref: str, lines: Sequence[str]) -> None:
        now = self._clock()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO logs (space, kind, ref, ts, line) VALUES (?, ?, ?, ?, ?)",
                [(str(space), kind, ref, now, line) for line in lines],
            )

    def logs(
        self,
        space: SpaceId,
        kind: str,
        *,
        after_id: int = 0,
        tail: int | None = None,
        ref: str | None = None,
    ) -> list[LogLine]:
        """Log lines of *kind* ("build" or "run") with id > *after_id*, oldest first; *tail*
        keeps the last N."""
        sql = "SELECT id, kind, ref, ts, line FROM logs WHERE space = ? AND kind = ? AND id > ?"
        args: list[Any] = [str(space), kind, after_id]
        if ref is not None:
            sql += " AND ref = ?"
            args.append(ref)
        if tail is not None:
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) ORDER BY id"
            args.append(tail)
        else:
            sql += " ORDER BY id"
        return [
            LogLine(int(i), str(k), str(r), float(t), str(ln))
            for i, k, r, t, ln in self._rows(sql, args)
        ]

    def latest_log_ref(self, space: SpaceId, kind: str) -> str | None:
        refs = self.log_refs(space, kind, limit=1)
        return refs[0] if refs else None

    def log_refs(self, space: SpaceId, kind: str, limit: int = 10) -> list[str]:
        """The builds ("build-N") or containers (ids) that logged, newest first."""
        rows = self._rows(
            "SELECT ref FROM logs WHERE space = ? AND kind = ? GROUP BY ref "
            "ORDER BY MAX(id) DESC LIMIT ?",
            (str(space), kind, limit),
        )
        return [str(r[0]) for r in rows]

    def trim_logs(self, space: SpaceId, kind: str, keep: int) -> None:
        with self._tx() as db:
            db.execute(
                "DELETE FROM logs WHERE space = ? AND kind = ? AND id <= (SELECT id FROM logs "
                "WHERE space = ? AND kind = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (str(space), kind, str(space), kind, keep),
            )

    def add_event(self, space: SpaceId, kind: str, message: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO events (space, ts, kind, message) VALUES (?, ?, ?, ?)",
                (str(space), self._clock(), kind, message),
            )

    def events(self, space: SpaceId, limit: int = 50) -> list[tuple[float, str, str]]:
        rows = self._rows(
            "SELECT ts, kind, message FROM events WHERE space = ? ORDER BY id DESC LIMIT ?",
            (str(space), limit),
        )
        return [(float(t), str(k), str(m)) for t, k, m in rows]


def _to_column(value: Any) -> Any:
    if isinstance(value, Stage):
        return value.value
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _build_record(r: tuple[Any, ...]) -> BuildRecord:
    return BuildRecord(
        id=int(r[0]),
        space=r[1],
        revision=r[2],
        status=r[3],
        started_at=r[4],
        finished_at=r[5],
        image=r[6],
        error=r[7],
        nocache=bool(r[8]),
    )


def _space_record(row: tuple[Any, ...]) -> SpaceRecord:
    (
        key,
        created,
        updated,
        stage,
        err,
        desired,
        rev,
        serving,
        cid,
        upstream,
        image,
        manifest,
        hardware,
        sleep_time,
        sleep_level,
    ) = row
    return SpaceRecord(
        id=SpaceId.parse(key),
        created_at=created,
        updated_at=updated,
        stage=Stage(stage),
        error_message=err,
        desired=desired,
        revision=rev,
        serving_revision=serving,
        container_id=cid,
        upstream=upstream,
        image=image,
        manifest=json.loads(manifest),
        hardware=hardware,
        sleep_time=sleep_time,
        sleep_level=sleep_level or "",
    )
