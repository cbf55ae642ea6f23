"""Space volumes (Hugging Face's ``set_space_volumes``; docs/hub.md, "Space volumes"): a
bucket's folder (store/buckets.py) bind-mounted into the space's container at its mount path,
read-write unless ``readOnly``.

Only buckets are offered as volumes: hub repos reach a space read-only through ``models:``,
``datasets:`` and ``preload_from_hub:`` in its README (lifecycle/hubmounts.py). A bucket mounted
at ``/data`` takes the place of the space's own persistent ``/data`` volume while it is
attached (that volume is kept, not emptied, and is back once the bucket is detached): one
folder at one path, never two fighting over it.

Pure but for :func:`volume_mounts`, which makes the folders; changing a space's volumes
(lifecycle/volume_changes.py) restarts it when it runs, as on HF.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacehost.errors import InvalidRequest
from spacehost.runtime.base import CONTAINER_HOME, DATA_MOUNT, Mount
from spacehost.settings import Settings
from spacehost.store.buckets import BucketStore, check_bucket_id, check_path

CONTAINER_UID = 1000
_APP_DIR = f"{CONTAINER_HOME}/app"
_SYSTEM: tuple[str, ...] = (
    *("/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot"),
    *("/run", "/var", "/tmp", _APP_DIR, f"{CONTAINER_HOME}/.cache"),
)
_HINT = "send {'volumes': [{'type': 'bucket', 'source': 'NS/BUCKET', 'mountPath': '/data'}]}"


@dataclass(frozen=True)
class SpaceVolume:
    """A bucket mounted into a space: ``path`` is a folder inside the bucket ('' for all)."""

    source: str
    mount_path: str
    read_only: bool = False
    path: str = ""

    def as_json(self) -> dict[str, Any]:
        """HF's JSON for the volume (huggingface_hub's ``Volume``)."""
        out: dict[str, Any] = {
            "type": "bucket",
            "source": self.source,
            "mountPath": self.mount_path,
            "readOnly": self.read_only,
        }
        if self.path:
            out["path"] = self.path
        return out


def buckets_of(settings: Settings) -> BucketStore:
    """The platform's buckets (the API's, api/buckets.py: beside the hub's blob store)."""
    return BucketStore(settings.hub_dir / "buckets", settings.hub_dir / "tmp")


def _mount_path(raw: object) -> str:
    if not isinstance(raw, str) or not raw.startswith("/"):
        raise InvalidRequest(
            f"a volume's mountPath must be an absolute path, not {raw!r}", hint=_HINT
        )
    path = posixpath.normpath(raw)
    for reserved in _SYSTEM:
        if (
            path == reserved
            or path.startswith(reserved + "/")
            or _APP_DIR.startswith(path.rstrip("/") + "/")
        ):
            raise InvalidRequest(
                f"a volume cannot be mounted at {path!r}: the space's system or app files "
                "are there",
                hint="mount it at /data or a folder of its own such as /mnt/NAME",
            )
    return path


def parse_volume(raw: object) -> SpaceVolume:
    """One volume of HF's JSON; InvalidRequest naming what is wrong."""
    if not isinstance(raw, dict):
        raise InvalidRequest("a volume must be a JSON object", hint=_HINT)
    kind = raw.get("type", "bucket")
    if kind != "bucket":
        raise InvalidRequest(
            f"{kind!r} volumes are not offered here: only buckets",
            hint="a space reads hub repos through models:, datasets: or preload_from_hub: in "
            "its README.md (docs/hub.md)",
        )
    source = raw.get("source")
    if not isinstance(source, str) or source.count("/") != 1:
        raise InvalidRequest(f"a volume's source must be NS/BUCKET, not {source!r}", hint=_HINT)
    check_bucket_id(*source.split("/"))
    read_only = raw.get("readOnly", raw.get("read_only"))
    if read_only is not None and not isinstance(read_only, bool):
        raise InvalidRequest("a volume's readOnly must be true or false", hint=_HINT)
    sub = raw.get("path")
    if sub is not None and not isinstance(sub, str):
        raise InvalidRequest("a volume's path must be a folder in the bucket", hint=_HINT)
    mount = _mount_path(raw.get("mountPath", raw.get("mount_path")))
    return SpaceVolume(source, mount, bool(read_only), check_path(sub.strip("/")) if sub else "")


def parse_volumes(body: object) -> list[SpaceVolume]:
    """``{"volumes": [...]}`` as ``set_space_volumes`` sends it; two at one path is refused."""
    items = body.get("volumes") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise InvalidRequest("the body must hold 'volumes': a list", hint=_HINT)
    volumes = [parse_volume(v) for v in items]
    paths = [v.mount_path for v in volumes]
    for p in paths:
        if any(q != p and q.startswith(p.rstrip("/") + "/") for q in paths) or paths.count(p) > 1:
            raise InvalidRequest(
                f"two volumes at {p!r} (or inside it)", hint="give each volume its own folder"
            )
    return volumes


def takes_data(volumes: Sequence[SpaceVolume]) -> bool:
    """True when a volume is mounted at ``/data`` (the space's own /data volume steps aside)."""
    return any(v.mount_path == DATA_MOUNT for v in volumes)


def volume_mounts(settings: Settings, volumes: Sequence[SpaceVolume]) -> tuple[Mount, ...]:
    """The bind mounts of *volumes*, their folders made and open to the space's user.

    Raises:
        RepoNotFound: a bucket was deleted since it was attached.
    """
    buckets = buckets_of(settings)
    mounts = []
    for v in volumes:
        buckets.meta(v.source)
        files = buckets.files_dir(v.source)
        folder = files / v.path if v.path else files
        folder.mkdir(parents=True, exist_ok=True)
        if not v.read_only:
            _open_to_space(files)
        mounts.append(Mount(str(folder), v.mount_path, read_only=v.read_only))
    return tuple(mounts)


def _open_to_space(files: Path) -> None:
    """Let the container's user (uid 1000) write the bucket: its owner when the platform runs
    as root, else folders anyone may write (the data dir above them is the platform's)."""
    for dirpath, dirs, names in os.walk(files):
        for p in [dirpath, *(os.path.join(dirpath, n) for n in dirs + names)]:
            if os.path.islink(p):
                continue
            if os.geteuid() == 0:
                os.chown(p, CONTAINER_UID, CONTAINER_UID)
            else:
                os.chmod(p, 0o777 if os.path.isdir(p) else 0o666)
