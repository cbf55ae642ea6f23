"""A hub commit's files as a git tree, and back (docs/git.md).

A model's or dataset's git repository holds each regular file's content as a blob and each LFS
file as its pointer (``version https://git-lfs.github.com/spec/v1`` / ``oid sha256:…`` /
``size …``); the LFS bytes stay in the hub's content-addressed blob store. Which files are LFS is
the tree's own say for what git pushed, and the hub's rule (:func:`~.hubfiles.is_lfs`) for what
the API and the CLI write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from spacehost.errors import UploadRejected
from spacehost.store.gitrepos import EXEC_MODE, FILE_MODE, GitEntry, GitReader

LFS_POINTER_MAX = 1024  # git-lfs: a pointer file is smaller than 1 KiB
_POINTER = re.compile(
    rb"\Aversion https://git-lfs\.github\.com/spec/v1\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*?"
    rb"oid sha256:(?P<oid>[0-9a-f]{64})\n"
    rb"size (?P<size>0|[1-9][0-9]*)\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*\Z"
)
SYMLINK_MODE = 0o120000
SUBMODULE_MODE = 0o160000


@dataclass(frozen=True)
class LfsPointer:
    sha256: str
    size: int


@dataclass(frozen=True)
class TreeFile:
    """One file of a git tree as the hub keeps it: an LFS pointer's object, or a regular file
    whose content is the blob (read on demand: :meth:`content`)."""

    path: str
    mode: int
    blob: str  # the git blob id in the tree (the pointer's, for LFS)
    pointer: LfsPointer | None
    size: int  # the file's size (the LFS object's for a pointer)
    content: Callable[[], bytes]


def parse_lfs_pointer(data: bytes) -> LfsPointer | None:
    """The object a git-lfs pointer file names; None when *data* is not a pointer."""
    if len(data) >= LFS_POINTER_MAX:
        return None
    m = _POINTER.match(data)
    if m is None:
        return None
    return LfsPointer(m["oid"].decode(), int(m["size"]))


def tree_files(reader: GitReader, commit: str) -> Iterator[TreeFile]:
    """The files of *commit*, by path.

    Raises:
        UploadRejected: a symlink or a submodule (the hub keeps files only), naming the path.
    """
    for entry in reader.tree(commit):
        _check_mode(entry)
        pointer = (
            parse_lfs_pointer(reader.read_blob(entry.blob))
            if entry.size < LFS_POINTER_MAX
            else None
        )
        yield TreeFile(
            entry.path,
            entry.mode,
            entry.blob,
            pointer,
            pointer.size if pointer else entry.size,
            _reading(reader, entry.blob),
        )


def _reading(reader: GitReader, blob: str) -> Callable[[], bytes]:
    return lambda: reader.read_blob(blob)


def _check_mode(entry: GitEntry) -> None:
    if entry.mode in (FILE_MODE, EXEC_MODE):
        return
    what = "a submodule" if entry.mode == SUBMODULE_MODE else "a symbolic link"
    raise UploadRejected(
        f"{entry.path!r} is {what}: model and dataset repos hold files only",
        hint=f"replace {entry.path!r} with the file itself (or remove it) and push again",
    )
