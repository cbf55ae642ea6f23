"""Start-up: bring the engine in line with the store after a (re)start of the platform
(adopt, restart, remove or redeploy each space's container).

Plain functions over the :class:`~spacehost.lifecycle.platform.Platform` they serve.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from spacehost.domain import Stage
from spacehost.lifecycle import runlogs
from spacehost.lifecycle.sleep import PAUSED, STOPPED
from spacehost.runtime.base import ContainerInfo
from spacehost.store import SpaceRecord

if TYPE_CHECKING:
    from spacehost.lifecycle.platform import Platform

log = logging.getLogger(__name__)

# a new revision was on its way while an older one served
DEPLOYING = (Stage.RUNNING_BUILDING, Stage.RUNNING_APP_STARTING)


def reconcile(p: Platform) -> None:
    """See :meth:`Platform.reconcile`."""
    p.files.sweep_incoming()
    for build in p.store.fail_running_builds("the platform stopped during this build"):
        log.info("build %s of %s was interrupted", build.id, build.space)
    records = {str(r.id): r for r in p.store.list_spaces()}
    adopted: set[str] = set()
    for info in p.runtime.list_managed():
        rec = records.get(str(info.space))
        if rec and rec.container_id == info.id and adopt_asleep(p, rec, info):
            adopted.add(str(rec.id))
        elif (rec and rec.container_id == info.id and rec.desired == "running"
                and rec.stage.is_serving and info.status in ("exited", "created")):
            # stopped with the engine (a reboot, a daemon restart): started again as it was
            adopted.add(str(rec.id))
            p.submit_task(p.recovery.restart_container, rec.id, info.id,
                          rec.stage in DEPLOYING)
        elif (rec and rec.container_id == info.id and info.is_running
                and rec.desired == "running" and info.host and info.port):
            adopted.add(str(rec.id))
            p.go_live(rec.id, stage=Stage.RUNNING, upstream=f"{info.host}:{info.port}")
            runlogs.follow(p, rec.id, info.id, runlogs.redactor_for(p, rec.id), resume=True)
            if rec.stage in DEPLOYING:  # the old one serves on; the new one is retried
                p.submit_deploy(rec.id, rec.revision or "")
        else:
            p.runtime.remove(info.id)
    for key, rec in records.items():
        if key in adopted or rec.desired != "running" or not rec.revision:
            continue
        if rec.stage in (Stage.BUILD_ERROR, Stage.CONFIG_ERROR, Stage.NO_APP_FILE):
            continue
        if p.serves_static(rec):  # its files serve without a container
            if rec.stage is not Stage.RUNNING:
                p.submit_deploy(rec.id, rec.revision)  # a deploy was under way
            continue
        p.store.update_space(rec.id, upstream=None, container_id=None)
        p.submit_deploy(rec.id, rec.revision)
    p.publish_routes()


def adopt_asleep(p: Platform, rec: SpaceRecord, info: ContainerInfo) -> bool:
    """Keep the container of a sleeping or paused space as it is; True when adopted."""
    if rec.stage is Stage.PAUSED:
        return True
    if rec.stage is not Stage.SLEEPING or rec.desired != "running":
        return False
    if info.status == "paused" and info.host and info.port:
        p.store.update_space(rec.id, sleep_level=PAUSED, upstream=f"{info.host}:{info.port}")
    elif info.status in ("exited", "created"):
        p.store.update_space(rec.id, sleep_level=STOPPED, upstream=None)
    else:
        return False
    return True
