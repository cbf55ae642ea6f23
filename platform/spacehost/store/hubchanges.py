"""A commit's changes as huggingface_hub sends them (``create_commit``'s operations), applied in
order to a head's files: pure, no I/O. The hub store (:meth:`HubStore.commit
<spacehost.store.hub.HubStore.commit>`) and a space's commit (api/commit.py) both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from spacehost.errors import EntryNotFound, UploadRejected
from spacehost.folderwalk import check_repo_path

T = TypeVar("T")


@dataclass(frozen=True)
class PutContent:
    """Add or replace *path* with the bytes of the file *source* (a ``file`` line, decoded into
    a temp file that the store takes)."""

    path: str
    source: Path


@dataclass(frozen=True)
class PutBlob:
    """Add or replace *path* with the stored blob *sha256* (an ``lfsFile`` line: its bytes
    were uploaded before, over LFS)."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class DeleteFile:
    path: str


@dataclass(frozen=True)
class DeleteFolder:
    path: str  # without its trailing "/"


Put = PutContent | PutBlob
Change = PutContent | PutBlob | DeleteFile | DeleteFolder


def check_change_path(path: str) -> str:
    """*path* if it may name a file of a repo (relative, no ``..``; not inside ``.git/``).

    Raises:
        UploadRejected: naming the path and what to do.
    """
    check_repo_path(path)
    if path.split("/", 1)[0] == ".git":
        raise UploadRejected(
            f"refusing path {path!r}: a repo's .git folder is not one of its files",
            hint="leave .git/ out of the upload",
        )
    return path


def check_change(change: Change) -> None:
    """Refuse a change whose path may not name a repo file (:func:`check_change_path`)."""
    path = change.path.rstrip("/") if isinstance(change, DeleteFolder) else change.path
    check_change_path(path)


def apply_changes(
    head: Mapping[str, T], changes: Iterable[Change], put: Callable[[Put], T]
) -> dict[str, T]:
    """The files after *changes*, applied in order to *head* (path -> file); *put* makes the
    file an addition stands for.

    Deleting a file or a folder that is not there is an error, as on Hugging Face.

    Raises:
        EntryNotFound: a deleted path that does not exist (at that point of the commit).
    """
    files = dict(head)
    for change in changes:
        if isinstance(change, (PutContent, PutBlob)):
            files[change.path] = put(change)
        elif isinstance(change, DeleteFile):
            if files.pop(change.path, None) is None:
                raise _missing("file", change.path)
        else:
            prefix = change.path.rstrip("/") + "/"
            inside = [p for p in files if p.startswith(prefix)]
            if not inside:
                raise _missing("folder", change.path)
            for p in inside:
                del files[p]
    return files


def _missing(what: str, path: str) -> EntryNotFound:
    return EntryNotFound(
        f"cannot delete {what} {path!r}: it is not in the revision the commit is based on",
        hint="list the repo's files (HfApi.list_repo_files) and delete only those",
    )
