"""Start-up: bring the engine in line with the store after a (re)start of the platform
(adopt, restart, remove or redeploy each space's container).

Plain functions over the :class:`~spacehost.lifecycle.deploy.Deployer` (the parts a deploy
uses) and the :class:`~spacehost.lifecycle.recovery.Recovery` that restarts stopped containers.
"""

from __future__ import annotations

import logging

from spacehost.domain import Stage
from spacehost.lifecycle import stages
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.deploy import Deployer
from spacehost.lifecycle.sleep import PAUSED, STOPPED
from spacehost.runtime.base import ContainerInfo
from spacehost.store import SpaceRecord

log = logging.getLogger(__name__)

# a new revision was on its way while an older one served
DEPLOYING = (Stage.RUNNING_BUILDING, Stage.RUNNING_APP_STARTING)


def reconcile(d: Deployer) -> None:
    """Bring the engine in line with the store after a (re)start of the platform.

    Running containers of serving revisions are adopted; stray managed containers are
    removed; builds left half-done are marked failed and their spaces redeployed.
    """
    ctx = d.ctx
    ctx.files.sweep_incoming()
    for build in ctx.store.fail_running_builds("the platform stopped during this build"):
        log.info("build %s of %s was interrupted", build.id, build.space)
    records = {str(r.id): r for r in ctx.store.list_spaces()}
    adopted: set[str] = set()
    for info in ctx.runtime.list_managed():
        rec = records.get(str(info.space))
        if rec and rec.container_id == info.id and adopt_asleep(ctx, rec, info):
            adopted.add(str(rec.id))
        elif (
            rec
            and rec.container_id == info.id
            and rec.desired == "running"
            and rec.stage.is_serving
            and info.status in ("exited", "created")
        ):
            # stopped with the engine (a reboot, a daemon restart): started again as it was
            adopted.add(str(rec.id))
            d.tasks.submit(d.recovery.restart_container, rec.id, info.id, rec.stage in DEPLOYING)
        elif (
            rec
            and rec.container_id == info.id
            and info.is_running
            and rec.desired == "running"
            and info.host
            and info.port
        ):
            adopted.add(str(rec.id))
            stages.go_live(ctx, rec.id, stage=Stage.RUNNING, upstream=f"{info.host}:{info.port}")
            d.logs.follow(rec.id, info.id, resume=True)
            if rec.stage in DEPLOYING:  # the old one serves on; the new one is retried
                d.submit(rec.id, rec.revision or "")
        else:
            ctx.runtime.remove(info.id)
    for key, rec in records.items():
        if key in adopted or rec.desired != "running" or not rec.revision:
            continue
        if rec.stage in (Stage.BUILD_ERROR, Stage.CONFIG_ERROR, Stage.NO_APP_FILE):
            continue
        if stages.serves_static(ctx, rec):  # its files serve without a container
            if rec.stage is not Stage.RUNNING:
                d.submit(rec.id, rec.revision)  # a deploy was under way
            continue
        ctx.store.update_space(rec.id, upstream=None, container_id=None)
        d.submit(rec.id, rec.revision)
    stages.publish_routes(ctx)


def adopt_asleep(ctx: Context, rec: SpaceRecord, info: ContainerInfo) -> bool:
    """Keep the container of a sleeping or paused space as it is; True when adopted."""
    if rec.stage is Stage.PAUSED:
        return True
    if rec.stage is not Stage.SLEEPING or rec.desired != "running":
        return False
    if info.status == "paused" and info.host and info.port:
        ctx.store.update_space(rec.id, sleep_level=PAUSED, upstream=f"{info.host}:{info.port}")
    elif info.status in ("exited", "created"):
        ctx.store.update_space(rec.id, sleep_level=STOPPED, upstream=None)
    else:
        return False
    return True
