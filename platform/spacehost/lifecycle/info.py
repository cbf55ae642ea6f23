"""What the API tells about a space's runtime: Hugging Face's ``GET .../runtime`` shape,
spacehost's disk usage and sleep state, and ``gcTimeout``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from spacehost.domain import SpaceId, Stage
from spacehost.errors import SpacehostError
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.sleep import NEVER, Sleeper
from spacehost.lifecycle.volumes import parse_volume
from spacehost.runtime.base import DiskUsage
from spacehost.store import SpaceRecord


def runtime_info(ctx: Context, sleeper: Sleeper, space: SpaceId) -> dict[str, Any]:
    """The space's runtime in Hugging Face's JSON shape (``GET .../runtime``).

    Raises:
        SpaceNotFound: no such space.
    """
    rec = ctx.store.get_space(space)
    m = rec.manifest
    hw = m.get("hardware", "cpu-basic")
    return {
        "stage": rec.stage.value,
        "hardware": {"current": hw if rec.stage.is_serving else None, "requested": hw},
        "storage": None,
        "gcTimeout": gc_timeout(sleeper, rec),
        "replicas": {"current": 1 if rec.stage.is_serving else 0, "requested": 1},
        "devMode": False,
        # HF's: the buckets mounted into the space (lifecycle/volumes.py); None when none
        "volumes": [parse_volume(v).as_json() for v in ctx.config.volumes(space)] or None,
        "domains": [
            {
                "domain": f"{space.subdomain}.{ctx.settings.domain}",
                "stage": "READY" if rec.stage.is_serving else "PENDING",
            }
        ],
        "sdk": m.get("sdk"),
        "sdkVersion": m.get("sdk_version")
        or (ctx.settings.gradio_version if m.get("sdk") == "gradio" else None),
        "errorMessage": rec.error_message or None,
        # the git commit running (or, before one serves, being deployed), as HF answers it
        "sha": ctx.git.commit_of(space, rec.serving_revision or rec.revision),
        # spacehost's own: the disk limits and how full each disk is (runtime/storage.py)
        "disk": [asdict(u) for u in disk_usage(ctx, space)],
        "sleep": {
            "level": rec.sleep_level or None if rec.stage is Stage.SLEEPING else None,
            "idleSeconds": round(sleeper.idle_seconds(rec, sleeper.activity(), sleeper.now()), 1)
            if rec.stage is Stage.RUNNING
            else None,
        },
    }


def disk_usage(ctx: Context, space: SpaceId) -> list[DiskUsage]:
    """How full *space*'s size-limited disks are (its container's writable layer and
    /data), measured now; none when it has no container or the engine does not answer.

    Raises:
        SpaceNotFound: no such space.
    """
    rec = ctx.store.get_space(space)
    if not rec.container_id:
        return []
    try:
        return ctx.runtime.disk_usage(rec.container_id)
    except SpacehostError:
        return []


def gc_timeout(sleeper: Sleeper, rec: SpaceRecord) -> int | None:
    """Seconds idle before the space sleeps (HF's ``gcTimeout``); None: never."""
    if rec.sleep_time == NEVER:
        return None
    return int(sleeper.sleep_time(rec))
