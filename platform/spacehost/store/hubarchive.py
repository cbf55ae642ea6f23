"""Unpacking a model/dataset upload (a tar, optionally compressed) from a file on disk into a
folder, streaming each member, refusing anything unsafe (the rules of :mod:`.tarsafe`).

Unlike a space upload, a hub upload can be many GiB, so nothing is held in memory: members are
copied chunk by chunk into *dest*, which the caller then hands to
:meth:`~spacehost.store.hub.HubStore.push` (and removes).
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from spacehost.errors import UploadRejected, UploadTooLarge
from spacehost.folderwalk import MAX_REPO_FILES, check_repo_path
from spacehost.store.tarsafe import link_file, open_tar, safe_members


def _too_large(max_bytes: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the upload unpacks to more than {max_bytes / (1 << 30):.1f} GiB (files, the copies "
        "links make and tar headers all count)",
        hint="push a smaller repo, or raise SPACEHOST_MAX_HUB_UPLOAD_BYTES on the server",
    )


def unpack_hub_archive(archive: Path, dest: Path, *, max_bytes: int) -> int:
    """Extract the regular files of *archive* under *dest* (which must exist and be empty).

    Links that stay inside the upload become hard links to their target; directories are
    implied by file paths.

    Returns:
        The number of files.

    Raises:
        UploadRejected: not a tar archive; a member is absolute, has '..', is a link leaving the
            upload or to nothing, a device, fifo or sparse file; a name is both a file and a
            folder; an oversized extended header; more than
            :data:`~spacehost.folderwalk.MAX_REPO_FILES` entries (see :mod:`.tarsafe`).
        UploadTooLarge: the files, the links' targets and the tar headers add up to more than
            *max_bytes*.
    """
    tar = open_tar(name=archive)
    links: dict[str, str] = {}
    files: set[str] = set()
    with tar:
        for path, member, target in safe_members(
            tar,
            max_bytes=max_bytes,
            too_large=lambda: _too_large(max_bytes),
            many_hint="pack many small files into archives (parquet)",
            max_files=MAX_REPO_FILES,
        ):
            check_repo_path(path)
            if target is not None:
                links[path] = target
            else:
                try:
                    _extract(tar, member, dest, path)
                except (tarfile.TarError, EOFError) as exc:  # a member cut short
                    raise UploadRejected(
                        f"the upload archive is cut short ({exc})",
                        hint="pack the folder again and retry",
                    ) from exc
                files.add(path)
    _link_all(dest, files, links)
    return len(files) + len(links)


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, path: str) -> None:
    target = dest.joinpath(*path.split("/"))
    if target.is_dir():
        raise UploadRejected(
            f"{path!r} is both a file and a folder in the upload",
            hint="rename one of them and push again",
        )
    if target.exists() or target.is_symlink():
        raise UploadRejected(f"the upload contains {path!r} twice", hint="pack the folder again")
    _make_parents(dest, target)
    src = tar.extractfile(member)
    if src is None:
        raise UploadRejected(f"cannot read {path!r} from the upload", hint="pack it again")
    with src, open(target, "xb") as out:
        shutil.copyfileobj(src, out, 1 << 20)


def _make_parents(dest: Path, target: Path) -> None:
    """Create *target*'s folders, refusing when a file already stands where one must go."""
    for folder in reversed(target.relative_to(dest).parents[:-1]):  # top down
        if (dest / folder).is_file() or (dest / folder).is_symlink():
            raise UploadRejected(
                f"{folder.as_posix()!r} is both a file and a folder in the upload",
                hint="rename one of them and push again",
            )
    target.parent.mkdir(parents=True, exist_ok=True)


def _link_all(dest: Path, files: set[str], links: dict[str, str]) -> None:
    for path in links:
        target = link_file(path, links, files)
        link = dest.joinpath(*path.split("/"))
        if link.exists():
            raise UploadRejected(
                f"the upload contains {path!r} twice", hint="pack the folder again"
            )
        _make_parents(dest, link)
        os.link(dest.joinpath(*target.split("/")), link)
