"""Reading an uploaded space (a tar or tar.gz) into memory, refusing anything unsafe.

Nothing touches the disk here: the files are checked first and written by :mod:`.files` only
when the whole upload is acceptable, so a bad upload leaves no trace.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Container, Iterator, Mapping
from pathlib import PurePosixPath

from spacehost.errors import UploadRejected, UploadTooLarge

MAX_FILES = 20_000


def _member_path(name: str) -> str:
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UploadRejected(
            f"upload contains an absolute path {name!r}",
            hint="pack the space with paths relative to its folder (spacehost push does this)",
        )
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise UploadRejected(
            f"upload contains a path that leaves the space folder: {name!r}",
            hint="remove '..' from the archive's paths",
        )
    return "/".join(parts)


def _link_target(member: tarfile.TarInfo, path: str) -> str:
    """The in-archive path a (sym|hard)link points to; raises when it escapes the space."""
    if member.issym():
        raw = PurePosixPath(path).parent / member.linkname
        if member.linkname.startswith("/"):
            raise UploadRejected(f"symlink {path!r} points outside the space ({member.linkname!r})",
                                 hint="replace the link with the file it points to")
    else:
        raw = PurePosixPath(member.linkname)
    resolved: list[str] = []
    for part in raw.parts:
        if part == "..":
            if not resolved:
                raise UploadRejected(
                    f"link {path!r} points outside the space ({member.linkname!r})",
                    hint="replace the link with the file it points to",
                )
            resolved.pop()
        elif part not in ("", "."):
            resolved.append(part)
    return "/".join(resolved)


def safe_members(tar: tarfile.TarFile, *, max_bytes: int,
                 too_large: Callable[[], UploadTooLarge], many_hint: str,
                 max_files: int = MAX_FILES,
                 ) -> Iterator[tuple[str, tarfile.TarInfo, str | None]]:
    """The files and links of *tar* that are safe to unpack, in archive order.

    Yields ``(path, member, link_target)``: *link_target* is the in-archive path a link points
    to, None for a regular file. Folders are skipped (file paths imply them).

    Raises:
        UploadRejected: a member is absolute, has '..', is a link leaving the upload, a device
            or fifo; more than *max_files* entries; the archive is corrupt or cut short.
        UploadTooLarge: (from *too_large*) the regular files add up to more than *max_bytes*.
    """
    total = 0
    try:
        for count, member in enumerate(tar, start=1):
            if count > max_files:
                raise UploadRejected(f"upload has more than {max_files} entries", hint=many_hint)
            path = _member_path(member.name)
            if not path or member.isdir():
                continue
            if member.issym() or member.islnk():
                yield path, member, _link_target(member, path)
            elif member.isfile():
                total += member.size
                if total > max_bytes:
                    raise too_large()
                yield path, member, None
            else:
                raise UploadRejected(
                    f"upload contains {path!r}, which is not a regular file, folder or link "
                    "(device files and fifos are not allowed)",
                    hint="remove it from the folder",
                )
    except (tarfile.TarError, EOFError) as exc:
        raise UploadRejected(f"upload archive is corrupt or cut short ({exc})",
                             hint="pack the folder again and retry") from exc


def read_archive(data: bytes, *, max_bytes: int) -> dict[str, bytes]:
    """The regular files of a tar/tar.gz upload, by relative POSIX path.

    Links that stay inside the space are replaced by copies of their target; directories are
    implied by file paths.

    Raises:
        UploadTooLarge: the unpacked files exceed *max_bytes*.
        UploadRejected: not a tar archive, or a member is absolute, contains '..', is a link
            leaving the space, or a device/fifo.
    """
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UploadRejected(
            f"upload is not a tar or tar.gz archive ({exc})",
            hint="send the space folder packed with `tar czf` (spacehost push does this)",
        ) from exc
    too_large = UploadTooLarge(
        f"upload unpacks to more than {max_bytes // (1 << 20)} MiB",
        hint="make the space smaller (exclude files with .spacehostignore), "
        "or raise SPACEHOST_MAX_UPLOAD on the server",
    )
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}
    with tar:
        try:
            for path, member, target in safe_members(
                    tar, max_bytes=max_bytes, too_large=lambda: too_large,
                    many_hint="exclude generated files with .spacehostignore"):
                if target is not None:
                    links[path] = target
                else:
                    fh = tar.extractfile(member)
                    files[path] = fh.read() if fh else b""
        except (tarfile.TarError, EOFError, OSError) as exc:  # a member cut short
            raise UploadRejected(f"upload archive is corrupt ({exc})",
                                 hint="pack the folder again") from exc
    _resolve_links(files, links)
    return files


def link_file(path: str, links: Mapping[str, str], files: Container[str]) -> str:
    """The regular file the link at *path* ends on, following links to links.

    Raises:
        UploadRejected: it ends on nothing in the upload (or loops).
    """
    target, seen = links[path], {path}
    while target in links and target not in seen:
        seen.add(target)
        target = links[target]
    if target not in files:
        raise UploadRejected(
            f"link {path!r} points to {target!r}, which is not a file in the upload",
            hint="replace the link with the file it points to",
        )
    return target


def _resolve_links(files: dict[str, bytes], links: dict[str, str]) -> None:
    for path in links:
        files[path] = files[link_file(path, links, files)]
