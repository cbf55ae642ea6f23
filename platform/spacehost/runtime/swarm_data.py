"""Where a Swarm space's ``/data`` lives (``SPACEHOST_SWARM_DATA``, docs/cluster.md).

``pinned`` (the default): a local volume on one node, and every task of the space placed on
that node (swarm_backend.py): the data survives restarts and redeploys, but the space cannot
move when its node dies or is drained. ``ephemeral``: ``/data`` is a tmpfs of the task (open to
the app's user, gone when the task ends), so the manager may place the space on any node: a
node that dies or is drained has its spaces served again from the others, with an empty
``/data`` (as a Hugging Face Space without persistent storage). ``shared``: ``/data`` is a
folder of a file system every node mounts (runtime/swarm_shared_data.py): the space moves and
keeps its data.
"""

from __future__ import annotations

from typing import Any

from spacehost.runtime.base import DATA_MOUNT

DATA_MODES = ("pinned", "ephemeral", "shared")
_STICKY_WORLD_WRITABLE = 0o1777  # like /tmp: the app's user (uid 1000) writes, none deletes others'


def ephemeral_data(args: dict[str, Any]) -> dict[str, Any]:
    """``create_service`` *args* with the ``/data`` volume replaced by a tmpfs."""
    container = args["task_template"]["ContainerSpec"]
    mounts = [m for m in container.get("Mounts") or () if m.get("Target") != DATA_MOUNT]
    mounts.append(
        {"Type": "tmpfs", "Target": DATA_MOUNT, "TmpfsOptions": {"Mode": _STICKY_WORLD_WRITABLE}}
    )
    container["Mounts"] = mounts
    return args
