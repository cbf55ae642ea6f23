"""Setting a space's volumes (lifecycle/volumes.py): stored with its config, the space
restarted when it runs so that its container has them (as a change of variables does)."""

from __future__ import annotations

from collections.abc import Sequence

from spacehost.domain import Sdk, SpaceId
from spacehost.errors import InvalidRequest
from spacehost.lifecycle.config_changes import restart_for_config
from spacehost.lifecycle.deploy import Deployer
from spacehost.lifecycle.volumes import SpaceVolume, buckets_of, parse_volume


def stored_volumes(d: Deployer, space: SpaceId) -> list[SpaceVolume]:
    """The volumes set for *space*."""
    return [parse_volume(v) for v in d.ctx.config.volumes(space)]


def set_volumes(d: Deployer, space: SpaceId, volumes: Sequence[SpaceVolume]) -> bool:
    """Replace *space*'s volumes (each bucket must exist) and restart it when it runs (True).

    Raises:
        SpaceNotFound, RepoNotFound (a bucket), InvalidRequest (a static space).
    """
    rec = d.ctx.store.get_space(space)
    if rec.manifest.get("sdk") == Sdk.STATIC.value and volumes:
        raise InvalidRequest(
            f"{space} is a static space: it runs no container to mount a volume into",
            hint="use a gradio, docker or streamlit space",
        )
    buckets = buckets_of(d.ctx.settings)
    for v in volumes:
        buckets.meta(v.source)  # RepoNotFound when it is gone
    d.ctx.config.set_volumes(space, [v.as_json() for v in volumes])
    what = ", ".join(f"{v.source} at {v.mount_path}" for v in volumes) or "none"
    return restart_for_config(d, space, f"volumes set: {what}")
