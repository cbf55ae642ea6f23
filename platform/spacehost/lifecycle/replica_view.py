"""Which spaces are served by several replicas, and the endpoints last read for them
(kept in :attr:`Context.replicas <spacehost.lifecycle.context.Context>` by
replica_routes.py, read when the route table is written)."""

from __future__ import annotations

from spacehost.lifecycle.context import Context
from spacehost.store import SpaceRecord


def replicated(rec: SpaceRecord) -> bool:
    """True when *rec* serves from a service that runs several replicas."""
    return (
        rec.stage.is_serving
        and rec.container_id is not None
        and int(rec.manifest.get("replicas") or 1) > 1
    )


def known_replicas(ctx: Context, rec: SpaceRecord) -> tuple[str, ...]:
    """The endpoints last read for *rec*'s current service (none for another service, e.g.
    the one a redeploy replaced, or while it does not serve)."""
    found = ctx.replicas.get(rec.id)
    if found is None or not replicated(rec) or found[0] != rec.container_id:
        return ()
    return found[1]
