"""The jobs database (``DATA/jobs.db``): jobs, their log lines, and scheduled jobs. Thin SQL;
the rules (queue, capacity, stages) are in :mod:`spacehost.lifecycle.jobs`.

A job's secrets are stored encrypted (the same key as spaces' secrets, store/cipher.py): a job
still waiting for capacity when the platform restarts must start with them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacehost.errors import NotFound
from spacehost.sqlitetx import immediate
from spacehost.store.jobwatch import JobWatchers
from spacehost.store.private import private_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL COLLATE NOCASE,
    owner_type TEXT NOT NULL DEFAULT 'user',
    initiator TEXT NOT NULL DEFAULT '{}',
    spec TEXT NOT NULL,
    secrets TEXT NOT NULL DEFAULT '',
    stage TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    container_id TEXT,
    token_id INTEGER,
    scheduled_id TEXT
);
CREATE INDEX IF NOT EXISTS jobs_namespace ON jobs (namespace, created_at);
CREATE INDEX IF NOT EXISTS jobs_stage ON jobs (stage, created_at);
CREATE TABLE IF NOT EXISTS job_logs (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS scheduled_jobs (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL COLLATE NOCASE,
    owner_type TEXT NOT NULL DEFAULT 'user',
    initiator TEXT NOT NULL DEFAULT '{}',
    spec TEXT NOT NULL,
    secrets TEXT NOT NULL DEFAULT '',
    schedule TEXT NOT NULL,
    suspend INTEGER NOT NULL DEFAULT 0,
    concurrency INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    last_job_id TEXT,
    last_at REAL,
    next_at REAL
);
CREATE TABLE IF NOT EXISTS job_pushes (
    job_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    sha TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (job_id, kind, repo_id, sha)
);
CREATE INDEX IF NOT EXISTS job_pushes_repo ON job_pushes (kind, repo_id, at);
"""

ACTIVE_STAGES = ("SCHEDULING", "RUNNING")


@dataclass(frozen=True)
class JobRow:
    """A job as stored: ``spec`` is the HF-shaped spec without secrets, ``secrets`` their
    encrypted JSON."""

    id: str
    namespace: str
    owner_type: str
    initiator: dict[str, Any]
    spec: dict[str, Any]
    secrets: str
    stage: str
    message: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    container_id: str | None
    token_id: int | None
    scheduled_id: str | None


@dataclass(frozen=True)
class JobLogLine:
    seq: int
    at: float
    line: str


@dataclass(frozen=True)
class JobPush:
    """A commit a job made with its token: to the ``model``/``dataset``/``space`` *repo_id*."""

    job_id: str
    kind: str
    repo_id: str
    sha: str
    at: float


@dataclass(frozen=True)
class ScheduledRow:
    id: str
    namespace: str
    owner_type: str
    initiator: dict[str, Any]
    spec: dict[str, Any]
    secrets: str
    schedule: str
    suspend: bool
    concurrency: bool
    created_at: float
    last_job_id: str | None
    last_at: float | None
    next_at: float | None


def _job(row: sqlite3.Row) -> JobRow:
    d = dict(row)
    d["initiator"] = json.loads(d["initiator"])
    d["spec"] = json.loads(d["spec"])
    return JobRow(**d)


def _scheduled(row: sqlite3.Row) -> ScheduledRow:
    d = dict(row)
    d["initiator"] = json.loads(d["initiator"])
    d["spec"] = json.loads(d["spec"])
    d["suspend"], d["concurrency"] = bool(d["suspend"]), bool(d["concurrency"])
    return ScheduledRow(**d)


class JobStore:
    """Jobs, their logs and scheduled jobs, in one SQLite file. Thread-safe within a process."""

    def __init__(self, path: Path):
        private_sqlite(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self.watchers = JobWatchers()  # woken after a job's log line or stage is stored

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _run(self, sql: str, args: Sequence[Any] = ()) -> int:
        with immediate(self._db, self._lock) as db:
            return db.execute(sql, args).rowcount

    # -- jobs -------------------------------------------------------------------------------

    def add_job(self, job: JobRow) -> None:
        self._run(
            "INSERT INTO jobs (id, namespace, owner_type, initiator, spec, secrets, stage, "
            "message, created_at, scheduled_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id, job.namespace, job.owner_type, json.dumps(job.initiator),
                json.dumps(job.spec), job.secrets, job.stage, job.message, job.created_at,
                job.scheduled_id,
            ),
        )  # fmt: skip

    def find_job(self, job_id: str) -> JobRow | None:
        rows = self._query("SELECT * FROM jobs WHERE id=?", (job_id,))
        return _job(rows[0]) if rows else None

    def get_job(self, namespace: str, job_id: str) -> JobRow:
        """Raises NotFound: no job *job_id* in *namespace*."""
        found = self.find_job(job_id)
        if found is None or found.namespace.lower() != namespace.lower():
            raise NotFound(
                f"no job {job_id!r} in {namespace}",
                hint=f"`hf jobs ps -a --namespace {namespace}` lists its jobs",
            )
        return found

    def list_jobs(self, namespace: str | None = None, stages: Sequence[str] = ()) -> list[JobRow]:
        """Jobs, newest first; only *namespace*'s and those in *stages* when given."""
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        if namespace is not None:
            sql += " AND namespace=?"
            args.append(namespace)
        if stages:
            sql += f" AND stage IN ({','.join('?' * len(stages))})"
            args.extend(stages)
        return [_job(r) for r in self._query(sql + " ORDER BY created_at DESC, id DESC", args)]

    def queued(self) -> list[JobRow]:
        """Jobs waiting for capacity, oldest first."""
        rows = self._query("SELECT * FROM jobs WHERE stage='SCHEDULING' ORDER BY created_at, id")
        return [_job(r) for r in rows]

    def count_running(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM jobs WHERE stage='RUNNING'")[0][0])

    def set_running(self, job_id: str, container_id: str, at: float) -> bool:
        """SCHEDULING → RUNNING; False when the job left SCHEDULING meanwhile (cancelled)."""
        started = self._run(
            "UPDATE jobs SET stage='RUNNING', message='', container_id=?, started_at=? "
            "WHERE id=? AND stage='SCHEDULING'",
            (container_id, at, job_id),
        )
        self.watchers.changed(job_id)
        return bool(started)

    def set_waiting(self, job_id: str, message: str) -> None:
        """Say what a waiting (SCHEDULING) job waits for; nothing once it left SCHEDULING."""
        self._run("UPDATE jobs SET message=? WHERE id=? AND stage='SCHEDULING'", (message, job_id))

    def set_token(self, job_id: str, token_id: int | None) -> None:
        self._run("UPDATE jobs SET token_id=? WHERE id=?", (token_id, job_id))

    def finish(self, job_id: str, stage: str, message: str, at: float) -> bool:
        """An active job → *stage* (COMPLETED, CANCELED, ERROR); False when it had already
        ended (the first end wins: a cancel is not overwritten by the exit it causes)."""
        ended = self._run(
            "UPDATE jobs SET stage=?, message=?, finished_at=? "
            "WHERE id=? AND stage IN ('SCHEDULING', 'RUNNING')",
            (stage, message, at, job_id),
        )
        self.watchers.changed(job_id)
        return bool(ended)

    def set_labels(self, job_id: str, spec: dict[str, Any]) -> None:
        self._run("UPDATE jobs SET spec=? WHERE id=?", (json.dumps(spec), job_id))

    # -- logs -------------------------------------------------------------------------------

    def add_log(self, job_id: str, at: float, line: str) -> None:
        with immediate(self._db, self._lock) as db:
            db.execute(
                "INSERT INTO job_logs (job_id, seq, at, line) VALUES (?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM job_logs WHERE job_id=?), ?, ?)",
                (job_id, job_id, at, line),
            )
        self.watchers.changed(job_id)

    def logs(self, job_id: str, after: int = 0, tail: int | None = None) -> list[JobLogLine]:
        """Log lines with ``seq`` > *after*, oldest first; only the last *tail* when given."""
        if tail is not None:
            rows = self._query(
                "SELECT seq, at, line FROM job_logs WHERE job_id=? AND seq>? "
                "ORDER BY seq DESC LIMIT ?",
                (job_id, after, tail),
            )[::-1]
        else:
            rows = self._query(
                "SELECT seq, at, line FROM job_logs WHERE job_id=? AND seq>? ORDER BY seq",
                (job_id, after),
            )
        return [JobLogLine(r["seq"], r["at"], r["line"]) for r in rows]

    # -- scheduled jobs ---------------------------------------------------------------------

    def add_push(self, push: JobPush) -> None:
        """Record that a job made the commit *push* (again: ignored)."""
        self._run(
            "INSERT OR IGNORE INTO job_pushes (job_id, kind, repo_id, sha, at) VALUES (?,?,?,?,?)",
            (push.job_id, push.kind, push.repo_id, push.sha, push.at),
        )

    def pushes_of(self, job_id: str) -> list[JobPush]:
        """The commits job *job_id* made, oldest first."""
        rows = self._query("SELECT * FROM job_pushes WHERE job_id = ? ORDER BY at", (job_id,))
        return [JobPush(**dict(r)) for r in rows]

    def pushes_to(self, kind: str, repo_id: str) -> list[JobPush]:
        """The commits jobs made to one repo, newest first."""
        rows = self._query(
            "SELECT * FROM job_pushes WHERE kind = ? AND repo_id = ? ORDER BY at DESC",
            (kind, repo_id),
        )
        return [JobPush(**dict(r)) for r in rows]

    def add_scheduled(self, row: ScheduledRow) -> None:
        self._run(
            "INSERT INTO scheduled_jobs (id, namespace, owner_type, initiator, spec, secrets, "
            "schedule, suspend, concurrency, created_at, next_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id, row.namespace, row.owner_type, json.dumps(row.initiator),
                json.dumps(row.spec), row.secrets, row.schedule, int(row.suspend),
                int(row.concurrency), row.created_at, row.next_at,
            ),
        )  # fmt: skip

    def get_scheduled(self, namespace: str, sid: str) -> ScheduledRow:
        """Raises NotFound: no scheduled job *sid* in *namespace*."""
        rows = self._query(
            "SELECT * FROM scheduled_jobs WHERE id=? AND namespace=?", (sid, namespace)
        )
        if not rows:
            raise NotFound(
                f"no scheduled job {sid!r} in {namespace}",
                hint=f"`hf jobs scheduled ps -a --namespace {namespace}` lists them",
            )
        return _scheduled(rows[0])

    def list_scheduled(self, namespace: str | None = None) -> list[ScheduledRow]:
        if namespace is None:
            rows = self._query("SELECT * FROM scheduled_jobs ORDER BY created_at")
        else:
            rows = self._query(
                "SELECT * FROM scheduled_jobs WHERE namespace=? ORDER BY created_at", (namespace,)
            )
        return [_scheduled(r) for r in rows]

    def update_scheduled(self, sid: str, **values: Any) -> None:
        """Set columns of a scheduled job (suspend, next_at, last_job_id, last_at, schedule,
        spec)."""
        cols = {k: (json.dumps(v) if k == "spec" else v) for k, v in values.items()}
        sets = ", ".join(f"{k}=?" for k in cols)
        self._run(f"UPDATE scheduled_jobs SET {sets} WHERE id=?", (*cols.values(), sid))

    def delete_scheduled(self, sid: str) -> None:
        self._run("DELETE FROM scheduled_jobs WHERE id=?", (sid,))
