"""The operations every lifecycle part uses to change what a space shows and how the router
reaches it: publish the route table, go live, set a stage, record an error; and what serves a
space now (its serving revision's manifest, a static revision's files).

Plain functions over the shared :class:`~spacehost.lifecycle.context.Context`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from spacehost.domain import Sdk, SpaceId, Stage
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.replica_view import known_replicas
from spacehost.lifecycle.routes import route_entry
from spacehost.lifecycle.visibility import SPACE
from spacehost.store import SpaceRecord


def publish_routes(ctx: Context, pending: SpaceRecord | None = None) -> None:
    """Write the route table from the store; *pending* stands in for its space's record."""
    records = ctx.store.list_spaces()
    if pending is not None:
        records = [pending if r.id == pending.id else r for r in records]
    private = ctx.visibility.private_repos(SPACE)
    # on a Swarm a node can die before its manager notices: node_loss.py watches for it
    watched = ctx.settings.runtime == "swarm"
    ctx.routes.publish(
        [
            route_entry(
                r,
                ctx.files,
                served_manifest(ctx, r),
                private=str(r.id) in private,
                replicas=known_replicas(ctx, r),
                watched=watched,
            )
            for r in records
        ]
    )


def served_manifest(ctx: Context, rec: SpaceRecord) -> dict[str, Any]:
    """The manifest summary of the revision that answers *rec*'s visitors: while a newer
    revision deploys (or after it failed) that is the serving one, not ``rec.manifest``."""
    if (
        rec.serving_revision
        and rec.serving_revision != rec.revision
        and (rec.stage.is_serving or rec.stage is Stage.SLEEPING)
    ):
        found = ctx.store.revision_manifest(rec.id, rec.serving_revision)
        if found is not None:
            return found
    return rec.manifest


def serving(ctx: Context, rec: SpaceRecord) -> bool:
    """True when a revision of *rec* answers visitors now: its container, or the files of a
    static revision (which keep serving while a successor deploys, as a container does)."""
    return rec.stage.is_serving and (rec.container_id is not None or serves_static(ctx, rec))


def serves_static(ctx: Context, rec: SpaceRecord) -> bool:
    """True when the files of a static revision answer *rec*'s visitors now."""
    return (
        rec.stage.is_serving
        and rec.container_id is None
        and rec.serving_revision is not None
        and served_manifest(ctx, rec).get("sdk") == Sdk.STATIC.value
    )


def go_live(ctx: Context, space: SpaceId, **fields: Any) -> None:
    """Publish *space*'s route with *fields*, then record them: whoever reads RUNNING from
    the store (the CLI, a test) can already reach the space through the router."""
    pending = replace(ctx.store.get_space(space), **fields)
    publish_routes(ctx, pending)
    ctx.store.update_space(space, **fields)


def set_stage(ctx: Context, space: SpaceId, stage: Stage) -> None:
    """Record *space*'s *stage* and publish the routes."""
    ctx.store.update_space(space, stage=stage)
    publish_routes(ctx)


def set_error(
    ctx: Context, space: SpaceId, stage: Stage, message: str, *, keep_serving: bool = False
) -> None:
    """Record an error (nothing when the space is gone). With *keep_serving* the old
    container keeps answering (stage RUNNING) and the error is shown alongside."""
    rec = ctx.store.find_space(space)
    if rec is None:
        return
    # the old revision serves on only while something of it answers: not a container the
    # engine took down meanwhile
    if keep_serving and (rec.upstream or serves_static(ctx, rec)):
        ctx.store.update_space(space, stage=Stage.RUNNING, error_message=message)
    else:
        ctx.store.update_space(space, stage=stage, error_message=message, upstream=None)
    publish_routes(ctx)


def fail(ctx: Context, space: SpaceId, message: str) -> None:
    """Record a runtime error of *space* (nothing serves it)."""
    set_error(ctx, space, Stage.RUNTIME_ERROR, message)
