"""Spaces whose machine stopped answering: their stage honest at once, moved when they can.

On a Swarm the manager learns that a node died from missed heartbeats (10-20 s by default);
until then it says the node's tasks run, and the router's requests to them fail. Once a second
(with the replica watch, replica_routes.py) :class:`NodeLossWatch` connects to the upstream of
every RUNNING space that runs as one task. When that connect fails it asks the runtime
(:meth:`~spacehost.runtime.base.RuntimeBackend.lost_node`), which looks at the node itself
(runtime/swarm_lost.py). A space whose node is lost then

- *movable* (``SPACEHOST_SWARM_DATA=ephemeral``, or ``shared``: its ``/data`` moves with it):
  shows APP_STARTING ("its node ... stopped
  answering; starting it on another node"), leaves the route table (the router's held
  requests follow it: router/moving.py) and is deployed again from its image at once, away from
  that node, without waiting for the manager;
- *pinned* (its ``/data`` is on that node): shows RUNTIME_ERROR saying it waits for its node.

A connect that succeeds costs nothing more: a slow app still accepts connections.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from spacehost.domain import SpaceId, Stage
from spacehost.errors import SpacehostError
from spacehost.lifecycle import stages
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.replica_view import replicated
from spacehost.lifecycle.tasks import Redeploy
from spacehost.runtime.base import NodeLoss
from spacehost.runtime.swarm_lost import connects
from spacehost.store import SpaceRecord

log = logging.getLogger(__name__)


def upstream_connects(upstream: str) -> bool:
    """Whether ``host:port`` takes a TCP connection within the runtime's connect timeout."""
    host, _, port = upstream.rpartition(":")
    return port.isdigit() and connects(host, int(port))


def moving_message(loss: NodeLoss) -> str:
    """What a space whose node was lost shows while it starts elsewhere."""
    data = "moves with it" if loss.keeps_data else "starts empty there"
    return (
        f"its node {loss.node} ({loss.addr}) stopped answering; "
        f"starting it on another node (its /data {data})"
    )


def waiting_message(loss: NodeLoss) -> str:
    """What a space pinned to a lost node shows."""
    return (
        f"its node {loss.node} ({loss.addr}) stopped answering, and its /data is on that "
        "node: the space waits for the node to come back"
    )


class NodeLossWatch:
    """Checks the spaces served by one task, one pass per :meth:`check`.

    Args:
        ctx: the shared context.
        redeploy: deploys a space again (from its image).
        connects: whether an upstream takes a TCP connection (injected by tests).
    """

    def __init__(
        self,
        ctx: Context,
        redeploy: Redeploy,
        connects: Callable[[str], bool] = upstream_connects,
    ) -> None:
        self.ctx = ctx
        self._redeploy = redeploy
        self._connects = connects

    def check(self) -> list[SpaceId]:
        """One pass; returns the spaces found on a lost node (and handled)."""
        found = []
        for rec in self.ctx.store.list_spaces():
            if not _watched(rec) or rec.upstream is None or self._connects(rec.upstream):
                continue
            assert rec.container_id is not None
            try:
                loss = self.ctx.runtime.lost_node(rec.container_id)
            except SpacehostError as exc:
                log.warning("checking the node of %s: %s", rec.id, exc)
                continue
            if loss is not None and self._handle(rec, loss):
                found.append(rec.id)
        return found

    def _handle(self, rec: SpaceRecord, loss: NodeLoss) -> bool:
        ctx = self.ctx
        lock = ctx.locks.lock(rec.id)
        if not lock.acquire(blocking=False):
            return False  # a deploy, sleep or wake holds it: the next pass looks again
        try:
            now = ctx.store.find_space(rec.id)
            if (
                now is None
                or now.stage is not Stage.RUNNING
                or now.container_id != rec.container_id
            ):
                return False
            if loss.movable:
                message = moving_message(loss)
                log.warning("%s: %s", rec.id, message)
                ctx.store.update_space(
                    rec.id, stage=Stage.APP_STARTING, upstream=None, error_message=message
                )
            else:
                message = waiting_message(loss)
                log.warning("%s: %s", rec.id, message)
                ctx.store.update_space(
                    rec.id, stage=Stage.RUNTIME_ERROR, upstream=None, error_message=message
                )
            ctx.store.add_event(rec.id, "node_lost", message)
            stages.publish_routes(ctx)
        finally:
            lock.release()
        if loss.movable and now.revision and now.desired == "running":
            self._redeploy(rec.id, now.revision, reuse_image=True)
        return True


def _watched(rec: SpaceRecord) -> bool:
    """A RUNNING space served by one container (replicas are replaced by the Swarm itself)."""
    return rec.stage is Stage.RUNNING and rec.container_id is not None and not replicated(rec)
