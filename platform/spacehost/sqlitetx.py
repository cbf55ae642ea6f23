"""One write transaction on a SQLite connection shared by threads: the connection's lock held,
``BEGIN IMMEDIATE`` (no other writer, in this process or another, starts meanwhile), every
statement inside committed together or rolled back. Stdlib only (the hub's and the identity
store's databases both use it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager


@contextmanager
def immediate(
    conn: sqlite3.Connection, lock: AbstractContextManager[object]
) -> Iterator[sqlite3.Connection]:
    with lock:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
