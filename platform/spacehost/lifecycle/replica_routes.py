"""Publishing the replicas of spaces that run as several processes (a Swarm service with
``spacehost_replicas: N`` tasks): a daemon thread reads each such space's running endpoints
from the runtime once a second and, when they change (a replica started, died, or was
replaced on another node), writes them into the route table, so the router spreads new
Gradio sessions over all of them and keeps each session on its own (docs/cluster.md,
"Replicas").
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from spacehost.errors import SpacehostError
from spacehost.lifecycle import stages
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.health import answers, http_status
from spacehost.lifecycle.node_loss import NodeLossWatch
from spacehost.lifecycle.replica_view import known_replicas, replicated
from spacehost.store import SpaceRecord
from spacehost.ticker import Ticker

log = logging.getLogger(__name__)

TICK_S = 1.0
PROBE_TIMEOUT_S = 1.0


def app_answers(endpoint: str) -> bool:
    """Whether the app at ``host:port`` answers ``GET /`` (a task runs before its app
    listens: routing a session there before would fail it)."""
    return answers(http_status(endpoint, timeout=PROBE_TIMEOUT_S))


def refresh(ctx: Context, probe: Callable[[str], bool] = app_answers) -> bool:
    """Read the endpoints of every replicated space once; publish the routes when any
    changed. An endpoint is published once its app answers (*probe*), and dropped as soon
    as the runtime no longer reports it running. Returns True when it published."""
    changed = False
    records = ctx.store.list_spaces()
    wanted = {rec.id: rec for rec in records if replicated(rec)}
    for space in [s for s in ctx.replicas if s not in wanted]:
        del ctx.replicas[space]
        changed = True
    for space, rec in wanted.items():
        assert rec.container_id is not None
        try:
            info = ctx.runtime.inspect(rec.container_id)
        except SpacehostError as exc:
            log.warning("reading the replicas of %s: %s", space, exc)
            continue
        reported = info.endpoints if info is not None else ()
        known = known_replicas(ctx, rec)
        endpoints = tuple(e for e in reported if e in known or probe(e))
        current = (rec.container_id, endpoints)
        if ctx.replicas.get(space) != current:
            ctx.replicas[space] = current
            log.info("%s: replicas %s", space, ", ".join(endpoints) or "none running")
            changed = True
            _follow_upstream(ctx, rec, endpoints)
    if changed:
        stages.publish_routes(ctx)
    return changed


class ReplicaRoutes:
    """Runs :func:`refresh` every :data:`TICK_S` in a daemon thread until :meth:`close`, and
    *node_loss* (the spaces on a node that stopped answering: node_loss.py) after it."""

    def __init__(self, ctx: Context, node_loss: NodeLossWatch | None = None) -> None:
        self.ctx = ctx
        self._node_loss = node_loss
        self._ticker = Ticker(
            self.tick,
            TICK_S,
            name="replica-routes",
            failed="checking the spaces' nodes failed",
            log=log,
        )

    def start(self) -> None:
        """Start the thread where spaces can have replicas: on a Swarm (the Docker backend
        runs one container per space, so there nothing would ever change)."""
        if self.ctx.settings.runtime != "swarm":
            return
        self._ticker.start()

    def close(self) -> None:
        self._ticker.close()

    def tick(self) -> None:
        """:func:`refresh`, then the node-loss check (which runs even when the refresh failed;
        a failing check is logged by the ticker)."""
        try:
            refresh(self.ctx)
        except Exception:  # the node-loss check still runs
            log.exception("reading replicas failed")
        if self._node_loss is not None:
            self._node_loss.check()


def _follow_upstream(ctx: Context, rec: SpaceRecord, endpoints: tuple[str, ...]) -> None:
    """The space's recorded upstream (what probes and the API tab reach) becomes a replica
    that runs when its own died; skipped while a deploy, sleep or wake holds the space."""
    if not endpoints or rec.upstream in endpoints:
        return
    lock = ctx.locks.lock(rec.id)
    if not lock.acquire(blocking=False):
        return  # whoever holds it records an upstream of its own; the next change follows
    try:
        now = ctx.store.find_space(rec.id)
        if now is not None and now.container_id == rec.container_id and now.stage.is_serving:
            ctx.store.update_space(rec.id, upstream=endpoints[0])
    finally:
        lock.release()
