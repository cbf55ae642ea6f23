"""Content-addressed revisions: each pushed copy of a space's files, stored once by its hash."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from spacehost.errors import NotFound, UploadRejected


def revision_hash(files: Mapping[str, bytes]) -> str:
    """The revision id of a set of files: sha256 over the sorted paths and their contents' hashes,
    so the same files always give the same revision, whatever order they came in."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()


def _checked_relpath(path: str) -> PurePosixPath:
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or not p.parts or path != p.as_posix():
        raise UploadRejected(f"refusing file path {path!r}: paths must be relative, without '..'")
    return p


class RevisionFiles:
    """Revisions under *root*: ``root/<revision>/<files>``, written once, read-only after."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, revision: str) -> Path:
        if not revision.isalnum():
            raise NotFound(f"invalid revision {revision!r}")
        return self.root / revision

    def exists(self, revision: str) -> bool:
        return self.path(revision).is_dir()

    def save(self, revision: str, files: Mapping[str, bytes]) -> Path:
        """Write *files* as *revision* (no-op when it exists). Writes into a temporary folder
        beside the target and renames it, so a crash never leaves a half-written revision."""
        target = self.path(revision)
        if target.is_dir():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            for rel, content in files.items():
                dest = tmp.joinpath(*_checked_relpath(rel).parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(content)
            os.rename(tmp, target)
        except FileExistsError:
            shutil.rmtree(tmp, ignore_errors=True)  # a concurrent push saved the same revision
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    def load(self, revision: str) -> dict[str, bytes]:
        base = self.path(revision)
        if not base.is_dir():
            raise NotFound(f"revision {revision[:12]} is not stored", hint="push the space again")
        return {
            p.relative_to(base).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*"))
            if p.is_file() and not p.is_symlink()
        }

    def listing(self, revision: str) -> list[tuple[str, int]]:
        base = self.path(revision)
        return [
            (p.relative_to(base).as_posix(), p.stat().st_size)
            for p in sorted(base.rglob("*"))
            if p.is_file()
        ]

    def remove(self, revision: str) -> None:
        shutil.rmtree(self.path(revision), ignore_errors=True)

    def sweep_incoming(self) -> None:
        """Remove folders left by a push that was interrupted mid-write."""
        for p in self.root.glob(".incoming-*"):
            shutil.rmtree(p, ignore_errors=True)
