"""The hub's files on disk: reading a pushed folder safely, hashing, the global blob store and
huggingface_hub's cache layout (see :mod:`spacehost.store.hub` for the whole picture).

Nothing here knows about repos' metadata; :class:`~spacehost.store.hub.HubStore` decides what
to write and when, these functions only write it crash-safely (temp file + rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spacehost.atomicfile import write_atomic
from spacehost.errors import UploadRejected
from spacehost.folderwalk import WalkedFile, repo_policy, walk_folder

CHUNK = 1 << 20
# Files HF stores with git-LFS (the default .gitattributes of a new repo), and anything from
# 10 MiB up. An LFS file's ETag is its sha256, any other file's the git blob id (sha1).
LFS_SUFFIXES = frozenset(
    {
        ".7z",
        ".arrow",
        ".bin",
        ".bz2",
        ".ckpt",
        ".ftz",
        ".gz",
        ".h5",
        ".joblib",
        ".lz4",
        ".mlmodel",
        ".model",
        ".msgpack",
        ".npy",
        ".npz",
        ".onnx",
        ".ot",
        ".parquet",
        ".pb",
        ".pickle",
        ".pkl",
        ".pt",
        ".pth",
        ".rar",
        ".safetensors",
        ".tar",
        ".tflite",
        ".tgz",
        ".wasm",
        ".xz",
        ".zip",
        ".zst",
        ".gguf",
        ".mp3",
        ".wav",
        ".flac",
        ".ogg",
        ".png",
        ".jpg",
        ".jpeg",
        ".webp",
        ".mp4",
        ".avro",
        ".db",
    }
)
LFS_MIN_SIZE = 10 << 20


def is_lfs(path: str, size: int) -> bool:
    """Whether HF would store *path* with git-LFS (by its suffix, or its size)."""
    name = PurePosixPath(path).name.lower()
    return (
        size >= LFS_MIN_SIZE or PurePosixPath(name).suffix in LFS_SUFFIXES or ("tfevents" in name)
    )


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-LFS pointer file git keeps in place of an LFS file's content."""
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
    ).encode()


def git_blob_id(data: bytes) -> str:
    """git's object id of a blob with content *data*."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _rejected(message: str, hint: str) -> UploadRejected:
    return UploadRejected(message, hint=hint)


def scan_folder(folder: Path) -> list[WalkedFile]:
    """The files under *folder*, sorted by path, walked with the hub repos' policy
    (:func:`spacehost.folderwalk.repo_policy`: links that stay inside are followed; an upload
    unpacked by :mod:`.hubarchive` holds none).

    Raises:
        UploadRejected: *folder* is not a folder or has no files; an entry the policy refuses (a
            link leaving the folder, a device or fifo, an unsafe name, more than
            :data:`MAX_FILES` files).
    """
    if not folder.is_dir():
        raise _rejected(f"{folder} is not a folder", "push a folder containing the repo's files")
    found = walk_folder(folder, repo_policy())
    if not found:
        raise _rejected(
            f"{folder} has no files to push",
            "add the repo's files (and a README.md with its card) to the folder",
        )
    return found


@dataclass(frozen=True)
class Digest:
    sha256: str
    blob_id: str  # git's blob id: sha1 of "blob <size>\0" + content


def hash_file(path: Path, size: int) -> Digest:
    """sha256 and git blob id of *path*, read in chunks (never whole in memory).

    Raises:
        UploadRejected: the file's length differs from *size* (it changed during the push).
    """
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            sha256.update(view[:n])
            sha1.update(view[:n])
            total += n
    if total != size:
        raise _rejected(
            f"{path} changed while it was being pushed",
            "push again once nothing writes to the folder",
        )
    return Digest(sha256.hexdigest(), sha1.hexdigest())


def _copy_verified(source: Path, dest: Path, sha256: str) -> None:
    """Copy *source* to *dest* (fsynced), checking the bytes still hash to *sha256*."""
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(source, "rb", buffering=0) as src, open(dest, "xb", buffering=0) as out:
        while n := src.readinto(buf):
            h.update(view[:n])
            out.write(view[:n])
        os.fsync(out.fileno())
    if h.hexdigest() != sha256:
        raise _rejected(
            f"{source} changed while it was being pushed",
            "push again once nothing writes to the folder",
        )


def temp_path(tmp_dir: Path, prefix: str = "") -> Path:
    return tmp_dir / f"{prefix}{uuid.uuid4().hex}"


def store_blob(source: Path, dest: Path, sha256: str, tmp_dir: Path, *, move: bool) -> bool:
    """Put *source*'s bytes at *dest* (the global blob path of *sha256*) unless already there.

    With *move*, *source* is renamed into place when it is on the same filesystem (the caller
    gives its file away); otherwise the bytes are copied. The blob appears atomically, read-only.

    Returns:
        True when the blob was new.
    """
    if dest.exists():
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(tmp_dir, "blob-")
    try:
        moved = False
        if move:
            try:
                os.rename(source, tmp)
                moved = True
            except OSError:
                moved = False  # another filesystem: copy instead
        if not moved:
            _copy_verified(source, tmp, sha256)
        os.chmod(tmp, 0o444)
        os.rename(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return True


def link_blob(blob: Path, dest: Path) -> None:
    """Hard-link the global *blob* at *dest* (a repo cache's ``blobs/<etag>``): no new bytes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.link(blob, dest)


def write_snapshot(snapshots: Path, commit: str, entries: Iterable[tuple[str, str]]) -> None:
    """Make ``snapshots/<commit>/<path>`` -> ``../../blobs/<etag>`` relative symlinks for each
    ``(path, etag)``, in a temp folder renamed into place (all or nothing)."""
    target = snapshots / commit
    if target.is_dir():
        return
    snapshots.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(snapshots, ".tmp-")
    tmp.mkdir()
    try:
        for path, etag in entries:
            link = tmp.joinpath(*path.split("/"))
            link.parent.mkdir(parents=True, exist_ok=True)
            depth = path.count("/") + 2  # <commit>/ + one per folder, then snapshots/
            os.symlink("../" * depth + f"blobs/{etag}", link)
        os.rename(tmp, target)
    except FileExistsError:
        shutil.rmtree(tmp, ignore_errors=True)  # written meanwhile: same content
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_tree_cache(
    cache: Path, commit: str, files: dict[str, dict[str, object]], tmp_dir: Path
) -> None:
    """huggingface_hub's tree listing of *commit* (``trees/<commit>.json``): with it an offline
    ``snapshot_download`` can tell the snapshot is complete."""
    text = json.dumps({"format_version": 1, "files": files}, indent=1, sort_keys=True)
    write_text_atomic(cache / "trees" / f"{commit}.json", text, tmp_dir)


def write_text_atomic(path: Path, text: str, tmp_dir: Path) -> None:
    """Replace *path* with *text* atomically (temp file in *tmp_dir*, same filesystem)."""
    write_atomic(path, text, tmp_dir=tmp_dir)


def remove_tree(path: Path, tmp_dir: Path) -> None:
    """Remove *path*: first renamed away (it vanishes at once, whole), then deleted."""
    if not path.exists():
        return
    trash = temp_path(tmp_dir, "trash-")
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def clear_dir(path: Path) -> None:
    """Empty *path* (left-overs of interrupted writes)."""
    if path.is_dir():
        for child in path.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    child.unlink()
