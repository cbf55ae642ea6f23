"""Keeping the router's route table in step with the file the control plane writes.

The control plane replaces ``routes.json`` atomically (temp file + rename), so a change shows as
a new inode, size or mtime. The router checks at most every :data:`CHECK_INTERVAL_S` (one
``stat``), lazily on a request; a file it cannot parse is logged and the previous table kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spacehost.errors import SpacehostError
from spacehost.router.headers import NO_SPACE_HEADERS, SpaceHeaders, space_headers
from spacehost.router.table import RouteEntry, RouteTable, Upstream, parse_table, parse_upstream

log = logging.getLogger("spacehost.router")

CHECK_INTERVAL_S = 0.1

_Signature = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class SpaceTarget:
    """What the proxy needs of a live space, compiled once per table load.

    Attributes:
        upstream: where to connect (None for a static space).
        headers: the response headers the entry imposes.
        replicas: every upstream of a space with two or more replicas (``upstream`` first),
            else empty (router/replicas.py chooses among them).
        tokens: the affinity cookie value that names each replica (same order): a digest of
            the space and the upstream, so it says nothing of the address and needs no memory.
    """

    upstream: Upstream | None
    headers: SpaceHeaders
    replicas: tuple[Upstream, ...] = ()
    tokens: tuple[str, ...] = ()

    def named(self, token: str | None) -> Upstream | None:
        """The replica an affinity cookie value names, if it is one of this space's."""
        if token is None or token not in self.tokens:
            return None
        return self.replicas[self.tokens.index(token)]


def replica_token(space: str, upstream: Upstream) -> str:
    """The affinity cookie value of one replica of *space*."""
    return hashlib.sha256(f"{space}\0{upstream.key}".encode()).hexdigest()[:16]


def _target(entry: RouteEntry) -> SpaceTarget:
    upstream = parse_upstream(entry.upstream) if entry.upstream else None
    replicas = tuple(parse_upstream(u) for u in entry.replicas) if len(entry.replicas) > 1 else ()
    tokens = tuple(replica_token(entry.space, r) for r in replicas)
    return SpaceTarget(upstream, space_headers(entry), replicas, tokens)


class RoutesFile:
    """The route table, re-read when ``routes.json`` changes.

    Args:
        path: the file (``Settings.routes_file``); a missing file means an empty table.
        clock: monotonic seconds (the event loop's ``time`` in the router).
        interval: the least time between two checks of the file.
    """

    def __init__(
        self,
        path: Path,
        clock: Callable[[], float],
        interval: float = CHECK_INTERVAL_S,
    ) -> None:
        self.path = path
        self._clock = clock
        self._interval = interval
        self._checked = float("-inf")
        self._signature: _Signature | None = None
        self.table = RouteTable()
        self._targets: dict[str, SpaceTarget] = {}

    def current(self) -> RouteTable:
        """The table, after re-reading the file if it is due for a check and changed."""
        now = self._clock()
        if now - self._checked >= self._interval:
            self._checked = now
            self.refresh()
        return self.table

    def check_now(self) -> bool:
        """Re-read the file now if it changed, whenever it was last checked; True if it did."""
        self._checked = self._clock()
        return self.refresh()

    def target_for(self, space: str) -> SpaceTarget:
        """The compiled upstream and response headers of *space* in the current table."""
        target = self._targets.get(space)
        return target if target is not None else SpaceTarget(None, NO_SPACE_HEADERS)

    def refresh(self) -> bool:
        """Check the file now; reload it when it changed.

        Returns:
            True when a new table was loaded (an empty one when the file went away).
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return self._install(None, RouteTable())
        except OSError as exc:
            log.warning("cannot stat route table %s: %s", self.path, exc)
            return False
        signature = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_dev)
        if signature == self._signature:
            return False
        try:
            table = parse_table(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SpacehostError) as exc:
            log.warning("keeping the previous route table; %s is unusable: %s", self.path, exc)
            self._signature = signature
            return False
        return self._install(signature, table)

    def _install(self, signature: _Signature | None, table: RouteTable) -> bool:
        if signature is None and self._signature is None and not self.table.entries:
            return False
        self._signature = signature
        self.table = table
        self._targets = {e.space: _target(e) for e in table.entries}
        log.info("route table loaded: %d spaces", len(table.entries))
        return True
