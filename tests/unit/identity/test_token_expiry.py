"""Short-lived tokens (a job's, lifecycle/jobs.py): valid until their time, then refused like an
unknown token; a database made before tokens could expire gains the column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from spacehost.identity import Accounts, Role


def test_a_token_with_a_lifetime_stops_working_after_it(tmp_path: Path) -> None:
    now = [1000.0]
    acc = Accounts(tmp_path / "identity.db", clock=lambda: now[0])
    acc.add_user("alice")
    job = acc.create_token("alice", "job-1", Role.WRITE, ttl_s=60).value
    forever = acc.create_token("alice", "ci", Role.WRITE).value
    actor = acc.actor_for_token(job)
    assert actor is not None and actor.name == "alice" and actor.writes
    now[0] += 61
    assert acc.actor_for_token(job) is None
    assert acc.actor_for_token(forever) is not None


def test_an_older_database_gains_the_expiry_column(tmp_path: Path) -> None:
    db = tmp_path / "identity.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, "
            "name TEXT NOT NULL, role TEXT NOT NULL, digest TEXT NOT NULL UNIQUE, "
            "shown TEXT NOT NULL, created_at REAL NOT NULL, last_used_at REAL)"
        )
    acc = Accounts(db)
    acc.add_user("alice")
    value = acc.create_token("alice", "ci", Role.READ).value
    assert acc.actor_for_token(value) is not None
