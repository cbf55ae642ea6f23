"""``/data`` in a folder every node mounts (``SPACEHOST_SWARM_DATA=shared``, docs/cluster.md).

The operator mounts one file system (NFS, CephFS, GlusterFS, ...) at the same path on every node
*and* on the platform's host (``SPACEHOST_SWARM_SHARED_DIR``). Each space's ``/data`` is the
folder ``<shared dir>/<platform instance>/<volume name>``: the control plane makes it (owned
by the app's user, uid 1000) before the space's service is created, and the service
bind-mounts it. A bind mount needs no state on the nodes (a ``local`` volume with
``o=bind`` would leave a volume object on every node the space ever ran on, and a node that
still held a ``pinned`` volume of the same name would mount that one instead), so the
manager may place the space on any node, and a space moved off a dead or drained node finds
its files again.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacehost.errors import InvalidRequest
from spacehost.runtime.base import CONTAINER_USER, DATA_MOUNT

log = logging.getLogger(__name__)

APP_UID, APP_GID = (int(part) for part in CONTAINER_USER.split(":"))
# one path component: a volume or instance name never names a parent or another folder
_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_SETTING = "SPACEHOST_SWARM_SHARED_DIR"
_SQUASH_HINT = (
    "mount the folder read-write on this machine and on every node, and let this machine's "
    "user create folders owned by uid 1000 (NFS: export it with no_root_squash, or with "
    "all_squash,anonuid=1000,anongid=1000) (docs/cluster.md)"
)


def check_shared_dir(root: Path) -> None:
    """Refuse a shared folder the platform cannot use: missing, not a folder, or where this
    process cannot make a folder owned by the app's user (a probe folder, removed after).

    Raises:
        InvalidRequest: naming the folder and what is wrong, with what to do.
    """
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise InvalidRequest(
            f"{_SETTING} {root} {what}: spaces' /data cannot be kept there",
            hint=f"mount the shared file system there (on this machine too), or point {_SETTING} "
            "at the folder where it is mounted (docs/cluster.md)",
        )
    probe = root / f".spacehost-probe-{os.getpid()}"
    try:
        probe.mkdir(exist_ok=True)
        os.chown(probe, APP_UID, APP_GID)
    except OSError as exc:
        raise InvalidRequest(
            f"{_SETTING} {root} is not writable here: cannot make a folder owned by uid "
            f"{APP_UID} in it ({exc.strerror or exc})",
            hint=_SQUASH_HINT,
        ) from exc
    finally:
        if probe.is_dir():
            probe.rmdir()


def shared_mount(folder: Path) -> dict[str, Any]:
    """The service mount of a space's shared ``/data`` folder."""
    return {"Type": "bind", "Source": str(folder), "Target": DATA_MOUNT}


def with_shared_data(args: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``create_service`` *args* with the ``/data`` volume replaced by *folder*'s bind mount."""
    container = args["task_template"]["ContainerSpec"]
    mounts = [m for m in container.get("Mounts") or () if m.get("Target") != DATA_MOUNT]
    mounts.append(shared_mount(folder))
    container["Mounts"] = mounts
    return args


@dataclass(frozen=True)
class SharedData:
    """The spaces' ``/data`` folders of one platform under the shared folder.

    Attributes:
        root: ``SPACEHOST_SWARM_SHARED_DIR`` (absolute, as every node mounts it).
        instance: this platform's instance (two platforms sharing a folder never share a
            space's data).
    """

    root: Path
    instance: str

    def folder(self, volume: str) -> Path:
        """Where the space's /data volume *volume* lives.

        Raises:
            InvalidRequest: *volume* (or the instance) is not one plain folder name.
        """
        for name in (self.instance, volume):
            if not _COMPONENT.fullmatch(name) or name in (".", ".."):
                raise InvalidRequest(
                    f"{name!r} cannot name a folder under {_SETTING} {self.root}",
                    hint="a /data volume name is letters, digits, '.', '_' and '-' only",
                )
        return self.root / self.instance / volume

    def prepare(self, volume: str) -> Path:
        """The space's /data folder, made now (owned by the app's user) when it is new.

        Raises:
            InvalidRequest: a bad name, or the folder cannot be made or given to uid 1000.
        """
        folder = self.folder(volume)
        if folder.is_dir():
            return folder
        try:
            folder.parent.mkdir(mode=0o755, exist_ok=True)
            folder.mkdir(mode=0o755)
            os.chown(folder, APP_UID, APP_GID)
        except FileExistsError:
            return folder  # made meanwhile by a start of the same space
        except OSError as exc:
            raise InvalidRequest(
                f"cannot make the /data folder {folder} ({exc.strerror or exc})",
                hint=_SQUASH_HINT,
            ) from exc
        log.info("made the shared /data folder %s", folder)
        return folder

    def remove(self, volume: str) -> None:
        """Remove the space's /data folder and everything in it (nothing when it is gone).

        Raises:
            InvalidRequest: a bad name, or the folder cannot be removed (saying what is left).
        """
        folder = self.folder(volume)
        if not folder.exists():
            return
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise InvalidRequest(
                f"could not remove the /data folder {folder} ({exc.strerror or exc}): "
                "what is left of it stays there",
                hint=f"remove it by hand (`rm -rf {folder}` on a machine that mounts the folder)",
            ) from exc
        log.info("removed the shared /data folder %s", folder)
