"""Changing a running app's files in place (hot reload, docs/pushing.md#hot-reload).

The new files travel as one tar (``put_archive``) into a staging folder beside the app folder,
then one command in the container, as the container's own user, moves them into
``/home/user/app``. The order is chosen for Gradio's reload watcher, which polls the app
folder's ``*.py`` and ``*.css`` files and reloads when one of them is newer than it was:

- every other changed ``.py``/``.css`` file keeps the time of the file it replaces (no reload
  is set off while some files are still old), and its stale bytecode is removed (Python would
  otherwise trust a cached ``.pyc`` of the same time and size);
- each file appears by ``rename``, never half-written;
- the app file is moved (or touched) last, with the current time: one reload, of all files.

The staging folder is outside the watched folder (a folder vanishing while the watcher walks
the tree would end its thread), in the container's home, under a new random name each time.
The space gains no write access: the files are written by the engine into the container's own
filesystem, land where its user may already write, and the command runs as that user
(docs/security.md#hot-reload).
"""

from __future__ import annotations

import io
import json
import posixpath
import secrets
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from docker import DockerClient

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.errors import SpacehostError
from spacehost.runtime.base import CONTAINER_HOME, CONTAINER_USER, CONTAINER_WORKDIR

_UID = 1000

# Runs in the container with its own Python, without site (-S: it starts faster; standard
# library only), argv[1]: the plan as JSON.
MOVE_SCRIPT = """
import glob, json, os, shutil, sys
plan = json.loads(sys.argv[1])
stage, app = plan["stage"], plan["app"]
watched = (".py", ".css")

def drop_bytecode(rel):
    head, name = os.path.split(rel)
    stem = name[:-3] if name.endswith(".py") else None
    if stem:
        pattern = os.path.join(head, "__pycache__", glob.escape(stem) + ".*.pyc")
        for cached in glob.glob(pattern):
            os.remove(cached)

def move(rel):
    src = os.path.join(stage, rel)
    parent = os.path.dirname(rel)
    if parent:
        os.makedirs(parent, exist_ok=True)
    if rel.endswith(watched) and rel != app:
        try:
            old = os.stat(rel)
            os.utime(src, ns=(old.st_atime_ns, old.st_mtime_ns))
        except FileNotFoundError:
            pass
    os.replace(src, rel)
    drop_bytecode(rel)

for rel in plan["put"]:
    if rel != app:
        move(rel)
for rel in plan["delete"]:
    try:
        os.remove(rel)
    except FileNotFoundError:
        pass
    drop_bytecode(rel)
if app in plan["put"]:
    move(app)
os.utime(app)
shutil.rmtree(stage, ignore_errors=True)
"""


@dataclass(frozen=True)
class AppFilesChange:
    """What changes in the app folder: *put* files (path relative to the app folder ->
    bytes) and *delete* paths; *app_file* is moved or touched last (it sets off the reload)."""

    app_file: str
    put: Mapping[str, bytes] = field(default_factory=dict)
    delete: tuple[str, ...] = ()


@runtime_checkable
class LiveFiles(Protocol):
    """A runtime backend that can change a running container's app files (optional: the
    lifecycle rebuilds instead when its backend cannot)."""

    def replace_app_files(self, container_id: str, change: AppFilesChange) -> None: ...


def staging_tar(change: AppFilesChange, folder: str, mtime: float) -> bytes:
    """The tar that puts *change*'s files under *folder* (relative to the container's home),
    owned by the container's user, every file with *mtime*."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = {folder}
        for rel in change.put:
            parent = posixpath.dirname(posixpath.join(folder, rel))
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        for d in sorted(dirs):
            tar.addfile(_entry(d, tarfile.DIRTYPE, 0o755, 0, mtime))
        for rel, data in change.put.items():
            info = _entry(posixpath.join(folder, rel), tarfile.REGTYPE, 0o644, len(data), mtime)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _entry(name: str, kind: bytes, mode: int, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.mtime = kind, mode, size, mtime
    info.uid = info.gid = _UID
    return info


def move_plan(change: AppFilesChange, stage: str) -> str:
    """The JSON the move script reads."""
    plan = {"stage": stage, "app": change.app_file, "put": sorted(change.put)}
    return json.dumps({**plan, "delete": list(change.delete)})


def replace_app_files(client: DockerClient, container_id: str, change: AppFilesChange) -> None:
    """Apply *change* to the running container's app folder (see the module doc).

    Raises:
        NotFound: no such container. Conflict: it is not running.
        SpacehostError: the move command failed in the container (its output is the message).
        EngineUnavailable: the engine failed or is unreachable.
    """
    # a new, unguessable name each time: the app cannot have put a link there beforehand
    folder = f".spacehost-hot-{secrets.token_hex(8)}"
    stage = f"{CONTAINER_HOME}/{folder}"
    doing = f"changing the app files of container {container_id}"
    api = client.api
    try:
        api.put_archive(container_id, CONTAINER_HOME, staging_tar(change, folder, time.time()))
        run = api.exec_create(
            container_id,
            ["python", "-S", "-c", MOVE_SCRIPT, move_plan(change, stage)],
            user=CONTAINER_USER,
            workdir=CONTAINER_WORKDIR,
        )
        output = api.exec_start(run["Id"])
        code = api.exec_inspect(run["Id"]).get("ExitCode")
    except ENGINE_ERRORS as exc:
        raise container_error(exc, doing) from exc
    if code != 0:
        text = output.decode("utf-8", "replace").strip() if isinstance(output, bytes) else ""
        raise SpacehostError(
            f"{doing}: the move command exited with {code}: {text[-500:]}",
            hint="the platform rebuilds the space instead; see its run log",
        )
