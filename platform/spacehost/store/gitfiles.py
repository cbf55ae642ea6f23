"""A git commit's files as bytes: what a space revision is made of when it comes by ``git push``.

A pushed tree may hold git-LFS pointers (``git lfs`` users keep images and weights that way, as
on Hugging Face): a pointer is replaced by its bytes from the hub's content-addressed blob store,
where the LFS batch API (api/lfs.py) put them before the push's ref update came. Symlinks and
submodules are not files a space revision can hold; they are left out and named.

The blob store keeps a blob while something holds a hard link to it (store/hub.py sweeps the
others when it opens); a space's pushed LFS objects are linked into its repository's
``lfs/objects`` (git-lfs's own layout), so that ``git lfs`` fetches of the space find them
for as long as the space exists (:func:`keep_lfs_objects`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from spacehost.errors import UploadRejected, UploadTooLarge
from spacehost.store.gitrepos import GitReader
from spacehost.store.hub import HubStore
from spacehost.store.hubgit import LfsPointer, parse_lfs_pointer

_REGULAR = 0o100000


@dataclass(frozen=True)
class CommitFiles:
    """A commit's regular files, LFS pointers resolved, the pointers, and the paths left out."""

    files: dict[str, bytes]
    skipped: tuple[str, ...]
    pointers: tuple[LfsPointer, ...] = ()


def commit_files(reader: GitReader, commit: str, hub: HubStore, max_bytes: int) -> CommitFiles:
    """Every regular file of *commit*, LFS pointers replaced by their bytes from *hub*.

    Raises:
        UploadRejected: an LFS pointer whose object is not in the blob store (named).
        UploadTooLarge: the files add up to more than *max_bytes*.
    """
    files: dict[str, bytes] = {}
    skipped: list[str] = []
    pointers: list[LfsPointer] = []
    total = 0
    for entry in reader.tree(commit):
        if entry.mode & 0o170000 != _REGULAR:
            skipped.append(entry.path)
            continue
        data = reader.read_blob(entry.blob)
        pointer = parse_lfs_pointer(data)
        if pointer is not None:
            data = _lfs_bytes(hub, entry.path, pointer)
            pointers.append(pointer)
        total += len(data)
        if total > max_bytes:
            raise UploadTooLarge(
                f"the pushed files are larger than the {max_bytes // (1 << 20)} MiB a space may "
                "hold (SPACEHOST_MAX_UPLOAD)",
                hint="keep large files in a model or dataset repo and load them from the space",
            )
        files[entry.path] = data
    return CommitFiles(files, tuple(skipped), tuple(pointers))


def keep_lfs_objects(repo: Path, hub: HubStore, pointers: tuple[LfsPointer, ...]) -> None:
    """Hard-link each pointer's blob into *repo*'s ``lfs/objects/OI/DO/OID``, so the blob
    store keeps it while the repository exists."""
    for pointer in pointers:
        oid = pointer.sha256
        link = repo / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
        link.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.link(hub.blob_path(oid), link)


def _lfs_bytes(hub: HubStore, path: str, pointer: LfsPointer) -> bytes:
    if not hub.has_blob(pointer.sha256, pointer.size):
        raise UploadRejected(
            f"{path} is a git-LFS pointer to {pointer.sha256[:12]}… ({pointer.size} bytes), and "
            "that object was never uploaded here",
            hint="install git-lfs (`git lfs install`) and push again, so that git lfs uploads "
            "the file before the commit",
        )
    return hub.blob_path(pointer.sha256).read_bytes()
