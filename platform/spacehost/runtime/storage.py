"""Disk limits for spaces: one sparse, file-backed ext4 filesystem on a loop device per limit.

The kernel enforces the size: a write past it fails with ``ENOSPC`` ("No space left on
device") inside the space, and the host's disk holds at most the file's size. Overlay2 on
ext4 cannot limit a container's writable layer (``--storage-opt size`` needs xfs with project
quotas), so the Docker backend puts each container's writable layer on one of these disks
(it mounts the disk over the layer's folder before the container starts) and backs each
space's ``/data`` volume with another (docs/security.md, "Disk limits").

Layout under ``root`` (``DATA_DIR/disks``): ``<name>.img`` (the sparse file) and ``<name>/``
(where it is mounted). Mounts live in the host's mount namespace and outlive the platform;
:meth:`LoopDisks.ensure` mounts a disk again after a reboot before anything starts on it.
Needs root (``mount``, ``losetup``, ``mkfs.ext4``).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from spacehost.errors import SpacehostError
from spacehost.runtime.base import DiskUsage

log = logging.getLogger(__name__)

DISKS_DIR = "disks"
MIN_DISK = 16 << 20  # ext4 with a journal needs a few MiB; smaller limits are raised to this
# mounted without device files or setuid, with freed blocks given back to the host's disk
MOUNT_OPTIONS = "loop,discard,nodev,nosuid,noinit_itable"
COMMAND_TIMEOUT_S = 60
FULL_BELOW = 1 << 20  # a disk with less than this left is reported full


class DiskError(SpacehostError):
    """A space's disk cannot be made, mounted or released."""


def _run(*args: str) -> str:
    try:
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiskError(f"{args[0]} failed: {exc}", hint=_HINT) from exc
    if proc.returncode != 0:
        raise DiskError(
            f"{' '.join(args)} failed: {proc.stderr.strip() or proc.returncode}", hint=_HINT
        )
    return proc.stdout


_HINT = (
    "space disk limits need root, losetup and mkfs.ext4; run the platform as root or "
    "set SPACEHOST_SPACE_DISK=0 and SPACEHOST_DATA_DISK=0 (no limits)"
)


def is_mounted(path: Path) -> bool:
    """True when *path* is a mount point now."""
    return os.path.ismount(path)


@dataclass(frozen=True)
class LoopDisks:
    """The disks under *root*, each named by what it holds (a container, a data volume)."""

    root: Path

    def image(self, name: str) -> Path:
        return self.root / f"{name}.img"

    def mountpoint(self, name: str) -> Path:
        return self.root / name

    def exists(self, name: str) -> bool:
        return self.image(name).is_file()

    def names(self) -> list[str]:
        """Every disk's name."""
        return sorted(p.name.removesuffix(".img") for p in self.root.glob("*.img"))

    def ensure(self, name: str, size: int) -> Path:
        """The disk *name* mounted at :meth:`mountpoint`; made (*size* bytes, sparse) first
        when it does not exist yet. Idempotent.

        Raises:
            DiskError: a command failed (not root, no loop devices, ...).
        """
        mnt = self.mountpoint(name)
        if is_mounted(mnt):
            return mnt
        img = self.image(name)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not img.is_file():
            self._make(img, max(size, MIN_DISK))
        mnt.mkdir(mode=0o700, exist_ok=True)
        device = self._attached(img)  # mounted elsewhere still (a hidden mount): the same device
        _run(
            "mount",
            "-o",
            MOUNT_OPTIONS.removeprefix("loop,") if device else MOUNT_OPTIONS,
            device or str(img),
            str(mnt),
        )
        return mnt

    @staticmethod
    def _make(img: Path, size: int) -> None:
        tmp = img.with_suffix(".new")
        with open(tmp, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.truncate(size)
        try:
            _run(
                "mkfs.ext4",
                "-q",
                "-F",
                "-m",
                "0",
                "-E",
                "lazy_itable_init=1,lazy_journal_init=1",
                str(tmp),
            )
        except DiskError:
            tmp.unlink(missing_ok=True)
            raise
        tmp.rename(img)

    @staticmethod
    def _attached(img: Path) -> str:
        out = _run("losetup", "-n", "-O", "NAME", "-j", str(img))
        return out.split()[0] if out.split() else ""

    def bind(self, name: str, target: Path) -> None:
        """Mount the (mounted) disk *name* at *target* as well, unless something is mounted
        there already; :meth:`release` unmounts it there too."""
        self.root.joinpath(f"{name}.target").write_text(str(target))
        if not is_mounted(target):
            _run("mount", "--bind", str(self.mountpoint(name)), str(target))

    def unbind(self, name: str) -> None:
        """Unmount the disk *name* where :meth:`bind` mounted it as well (the disk itself
        stays mounted and kept). No error when it is not bound."""
        target = self.root / f"{name}.target"
        if target.is_file():
            _unmount(Path(target.read_text()))

    def release(self, name: str) -> None:
        """Unmount the disk *name* (where it was bound too) and delete it; the loop device
        goes with its last mount. No error when it is gone already."""
        target = self.root / f"{name}.target"
        if target.is_file():
            _unmount(Path(target.read_text()))
        _unmount(self.mountpoint(name))
        shutil.rmtree(self.mountpoint(name), ignore_errors=True)
        self.image(name).unlink(missing_ok=True)
        target.unlink(missing_ok=True)

    def usage(self, name: str, path: str) -> DiskUsage | None:
        """How full the disk *name* is (*path*: what it holds, as the space sees it); None
        when it is not mounted."""
        mnt = self.mountpoint(name)
        if not is_mounted(mnt):
            return None
        st = os.statvfs(mnt)
        size = st.f_blocks * st.f_frsize
        free = st.f_bavail * st.f_frsize
        return DiskUsage(path=path, size=size, used=size - free, full=free < FULL_BELOW)


def _unmount(path: Path) -> None:
    if not is_mounted(path):
        return
    try:
        _run("umount", str(path))
    except DiskError:  # still in use (a container's overlay on it): detached now, freed later
        _run("umount", "-l", str(path))


def release_all(root: Path) -> list[str]:
    """Unmount and delete every disk under *root* (a data dir being thrown away: tests,
    ``spacehost`` uninstall). Returns their names."""
    disks = LoopDisks(root)
    names = disks.names()
    for name in names:
        disks.release(name)
    return names


LAYER_PREFIX = "layer-"  # a container's writable layer: layer-<container name>
VOLUME_PREFIX = "volume-"  # a volume (/data, the datasets cache): volume-<volume name>
VOLUME_DIR = "volume"  # the folder on a volume's disk that the volume binds (exists only
# while the disk is mounted, so an unmounted disk makes the container's start fail instead
# of letting it write to the host's disk)


@dataclass(frozen=True)
class DiskLimits:
    """What the Docker backend limits: each container's writable layer to *layer_size* and
    each volume it makes to *volume_size* bytes (0: that one unlimited)."""

    disks: LoopDisks
    layer_size: int
    volume_size: int

    @staticmethod
    def layer(container_name: str) -> str:
        return LAYER_PREFIX + container_name

    @staticmethod
    def volume(volume_name: str) -> str:
        return VOLUME_PREFIX + volume_name

    def volume_device(self, volume_name: str) -> Path:
        """Mount the volume's disk (made when missing) and return the folder it binds."""
        mnt = self.disks.ensure(self.volume(volume_name), self.volume_size)
        device = mnt / VOLUME_DIR
        device.mkdir(mode=0o755, exist_ok=True)
        return device

    def limit_layer(self, container_name: str, layer_dir: Path) -> None:
        """Put the container's writable layer (overlay2's folder of it: ``diff``, ``work``,
        ``link``, ``lower``) on its own disk: made and filled from *layer_dir* the first time,
        mounted there again after a reboot."""
        name = self.layer(container_name)
        fresh = not self.disks.exists(name)
        mnt = self.disks.ensure(name, self.layer_size)
        if fresh:
            _run("cp", "-a", f"{layer_dir}/.", f"{mnt}/")
        self.disks.bind(name, layer_dir)

    def unbind_layer(self, container_name: str) -> None:
        """Take the container's layer disk off its layer folder again (the disk is kept)."""
        self.disks.unbind(self.layer(container_name))

    def layer_containers(self) -> list[str]:
        """The container names that have a layer disk."""
        return [
            n.removeprefix(LAYER_PREFIX) for n in self.disks.names() if n.startswith(LAYER_PREFIX)
        ]


def disk_limits(data_dir: Path, layer_size: int, volume_size: int) -> DiskLimits | None:
    """The limits a platform with *data_dir* puts on its spaces (disks in ``data_dir/disks``);
    None when both sizes are 0 (no limits).

    Raises:
        DiskError: limits are asked for but this process is not root (it could not mount
            them: refused at start-up rather than at each space's start).
    """
    if not (layer_size or volume_size):
        return None
    if os.geteuid() != 0:
        raise DiskError("space disk limits need root to mount their disks", hint=_HINT)
    return DiskLimits(LoopDisks(data_dir / DISKS_DIR), layer_size, volume_size)
