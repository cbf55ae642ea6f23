"""Walking a local folder that is about to become a space's or a hub repo's files: the one policy.

Every folder the platform takes files from goes through :func:`walk_folder`: a space folder
(``spacehost push``/``validate``, via :func:`spacehost.manifest.read_folder`), a model or dataset
folder (the CLI's hub push, before anything is sent) and the folder a hub upload was unpacked into
or a built-in repo lies in (:meth:`spacehost.store.hub.HubStore.push`). The policy, entry by entry
(each folder's entries in name order, so the result does not depend on the disk):

==========================  =====================================================================
entry                       what happens
==========================  =====================================================================
skipped by the caller       left out, never entered or followed (``.git`` for spaces; ``.git`` and
                            ``.cache/huggingface`` at the top for hub repos)
excluded by ignore rules    a file or link left out (a link is then never followed); a folder
                            whose contents no rule can bring back is not entered
link inside the folder      followed: a link to a file gives that file's content under the link's
                            path, a link to a folder is walked as that folder
link to a file outside      refused, unless the policy follows outside file links (the CLI's hub
                            push does, as huggingface_hub's ``upload_folder``: a snapshot folder
                            of the HF cache is links into ``../../blobs``)
link to a folder outside    refused
link into a skipped folder  refused (``.git`` is never part of what is pushed)
broken link, link loop      refused
socket, fifo, device        refused
path over 4096 bytes or a   refused (Linux cannot create it; an upload holding it is refused by
name over 255 bytes         :mod:`spacehost.store.tarsafe`, which uses these same limits)
the caller's name rule      refused (hub repos: :func:`check_repo_path`)
more than ``max_files``     refused, at the first file over
==========================  =====================================================================

A name cannot be both a file and a folder here (a folder lists each name once, and a followed
link takes the link's name), so the walk never yields the clash that tarsafe's ``check_layout``
refuses in uploads. Whatever the walk accepts packs into a tar the upload checks accept, except
for the total size, which the server's limit decides (the hub CLI asks for it first).

Every refusal names the path and says what to do, with the caller's error class and its way of
leaving a file out (an ignore file for spaces, removing it for repos).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spacehost.errors import SpacehostError, UploadRejected

MAX_PATH_BYTES = 4096  # Linux's PATH_MAX: a longer path cannot be written
MAX_NAME_BYTES = 255  # NAME_MAX: one folder or file name
MAX_SPACE_FILES = 20_000  # entries of a space upload (tarsafe's default)
MAX_REPO_FILES = 100_000  # entries of a hub upload
MAX_REPO_PATH = 1000  # characters of a hub repo file's path
# What huggingface_hub's upload_folder never uploads either (here: at the top of the folder).
REPO_SKIPPED = frozenset({".git", ".cache/huggingface"})


def _never(_rel: str) -> bool:
    return False


def _any_name(_rel: str) -> None:
    return None


@dataclass(frozen=True)
class WalkedFile:
    """A regular file the walk keeps."""

    path: str  # relative POSIX path inside the folder (a followed link's own path)
    source: Path  # the file to read: the entry itself, or the file a followed link ends on
    size: int


@dataclass(frozen=True)
class WalkPolicy:
    """The caller's part of a walk; everything else is the module's one policy.

    Attributes:
        error: the class of the error raised for a refused entry (given a message and a hint).
        leave_out: how to leave *a path* out, ``{path}`` filled in (part of every hint).
        label: what the folder is called in messages ("space folder", "folder").
        skipped: paths (of any entry) that are never part of the result, nor followed.
        excluded: files and links left out (ignore rules), checked before a link is followed.
        pruned: folders not entered (no rule could bring a file in them back).
        check_name: raises for a file path the caller's format cannot hold.
        outside_file_links: follow links to files outside the folder (hub pushes from the CLI).
        max_files: refuse more files than this (None: no limit).
        many_hint: the hint given with that refusal.
    """

    error: type[SpacehostError]
    leave_out: str
    label: str = "folder"
    skipped: Callable[[str], bool] = _never
    excluded: Callable[[str], bool] = _never
    pruned: Callable[[str], bool] = _never
    check_name: Callable[[str], object] = _any_name
    outside_file_links: bool = False
    max_files: int | None = None
    many_hint: str = ""

    def refuse(self, message: str, rel: str, what_to_do: str = "") -> SpacehostError:
        """The error for *rel*: *what_to_do* (if any), or else leave it out."""
        leave_out = self.leave_out.format(path=rel)
        return self.error(
            message, hint=f"{what_to_do}, or {leave_out}" if what_to_do else leave_out
        )


def walk_folder(root: Path, policy: WalkPolicy) -> list[WalkedFile]:
    """The files of the folder *root* under the module's policy, sorted by path.

    *root* itself may be a link to a folder; the caller checks that it is a folder at all (each
    says so in its own words).

    Raises:
        SpacehostError: (from ``policy.error``) an entry the policy refuses; a folder or file
            that cannot be read.
    """
    walk = _Walk(Path(os.path.realpath(root)), policy)
    walk.folder(walk.root, "", (walk.root,))
    return sorted(walk.found, key=lambda f: f.path)


def path_too_long(path: str) -> bool:
    """Whether Linux cannot hold *path*: over :data:`MAX_PATH_BYTES` in all or a name over
    :data:`MAX_NAME_BYTES` (bytes as the file system gets them; undecodable bytes kept as
    surrogates count one byte each)."""
    size = len(path.encode("utf-8", "surrogateescape"))
    return size > MAX_PATH_BYTES or any(
        len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in path.split("/")
    )


class _Walk:
    def __init__(self, root: Path, policy: WalkPolicy) -> None:
        self.root, self.policy = root, policy
        self.found: list[WalkedFile] = []

    def folder(self, directory: Path, prefix: str, ancestors: tuple[Path, ...]) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise self._unreadable(prefix.rstrip("/") or ".", exc) from exc
        for entry in entries:
            self.entry(entry, prefix + entry.name, ancestors)

    def entry(self, entry: os.DirEntry[str], rel: str, ancestors: tuple[Path, ...]) -> None:
        policy = self.policy
        if policy.skipped(rel) or (entry.is_symlink() and policy.excluded(rel)):
            return  # an excluded link is never followed, wherever it points
        target, info = self._resolve(entry, rel)
        if stat.S_ISDIR(info.st_mode):
            self._subfolder(rel, target, ancestors)
        elif policy.excluded(rel):
            return
        elif stat.S_ISREG(info.st_mode):
            self.file(rel, target, info.st_size)
        else:
            raise policy.refuse(
                f"{rel} is not a regular file or folder (a socket, pipe or device)",
                rel,
                f"remove {rel} from the {policy.label}",
            )

    def _resolve(self, entry: os.DirEntry[str], rel: str) -> tuple[Path, os.stat_result]:
        """What the entry is read as (a link: the file or folder it ends on) and its status."""
        if not entry.is_symlink():
            return Path(entry.path), self._stat(Path(entry.path), rel)
        target = Path(os.path.realpath(entry.path))
        info = self._stat(target, rel)
        self._check_link(rel, target, stat.S_ISREG(info.st_mode))
        return target, info

    def _subfolder(self, rel: str, target: Path, ancestors: tuple[Path, ...]) -> None:
        if target in ancestors:
            raise self.policy.refuse(
                f"{rel}: symlink loop: it points to a folder that contains it",
                rel,
                "remove the symlink or point it elsewhere inside",
            )
        if not self.policy.pruned(rel):
            self.folder(target, rel + "/", (*ancestors, target))

    def file(self, rel: str, source: Path, size: int) -> None:
        policy = self.policy
        if path_too_long(rel):
            raise policy.refuse(
                f"{rel[:80]!r}... is longer than {MAX_PATH_BYTES} bytes or has a "
                f"name longer than {MAX_NAME_BYTES} bytes",
                rel,
                "shorten its path",
            )
        policy.check_name(rel)
        if policy.max_files is not None and len(self.found) >= policy.max_files:
            raise policy.error(
                f"the {policy.label} has more than {policy.max_files} files", hint=policy.many_hint
            )
        self.found.append(WalkedFile(rel, source, size))

    def _check_link(self, rel: str, target: Path, is_file: bool) -> None:
        policy = self.policy
        if not (target == self.root or self.root in target.parents):
            if is_file and policy.outside_file_links:
                return
            raise policy.refuse(
                f"{rel} is a symlink to {target}, outside the {policy.label}",
                rel,
                f"copy the {'file' if is_file else 'folder'} into the {policy.label} instead",
            )
        skipped = self._skipped_folder(target.relative_to(self.root).parts)
        if skipped is not None:
            raise policy.refuse(
                f"{rel} is a symlink into {skipped}, which is never part of the push",
                rel,
                "remove the symlink",
            )

    def _skipped_folder(self, parts: tuple[str, ...]) -> str | None:
        """The first of the paths *parts* lies under that the policy skips, if any."""
        for i in range(1, len(parts) + 1):
            if self.policy.skipped(path := "/".join(parts[:i])):
                return path
        return None

    def _stat(self, target: Path, rel: str) -> os.stat_result:
        try:
            return target.stat()
        except FileNotFoundError as exc:
            raise self.policy.refuse(
                f"{rel} is a broken symlink (it points to {target}, which does not exist)",
                rel,
                "remove it",
            ) from exc
        except OSError as exc:
            raise self._unreadable(rel, exc) from exc

    def _unreadable(self, rel: str, exc: OSError) -> SpacehostError:
        return self.policy.refuse(
            f"cannot read {rel}: {exc.strerror or exc}", rel, "check its permissions"
        )


def check_repo_path(path: str) -> str:
    """Return *path* if it is a safe relative POSIX path for a hub repo's file, else raise
    :class:`UploadRejected` (absolute, ``..`` or empty parts, over :data:`MAX_REPO_PATH`
    characters, a control character or backslash)."""
    p = PurePosixPath(path)
    if path.startswith("/") or p.is_absolute():
        raise UploadRejected(
            f"refusing absolute path {path!r}",
            hint="paths inside a repo are relative to its folder",
        )
    if not p.parts or any(part in ("", ".", "..") for part in path.split("/")):
        raise UploadRejected(
            f"refusing path {path!r}: it leaves the repo folder or is not normalised",
            hint="remove '..' and empty parts from the path",
        )
    if len(path) > MAX_REPO_PATH or any(ch in path for ch in "\0\n\r\\"):
        raise UploadRejected(
            f"refusing path {path!r}: too long or contains a control character or backslash",
            hint="rename the file",
        )
    return path


def repo_policy(*, outside_file_links: bool = False) -> WalkPolicy:
    """The walk of a model's or dataset's folder: ``.git`` and ``.cache/huggingface`` at the top
    skipped, no ignore files (a repo is pushed as it is), :func:`check_repo_path` names, at most
    :data:`MAX_REPO_FILES` files, refusals as :class:`UploadRejected`.

    Args:
        outside_file_links: follow links to files outside the folder (the CLI, as
            huggingface_hub does; the server's copy of an upload never has links).
    """
    return WalkPolicy(
        error=UploadRejected,
        leave_out="remove {path} from the folder",
        skipped=REPO_SKIPPED.__contains__,
        check_name=check_repo_path,
        outside_file_links=outside_file_links,
        max_files=MAX_REPO_FILES,
        many_hint="pack many small files into archives (parquet, tar)",
    )
