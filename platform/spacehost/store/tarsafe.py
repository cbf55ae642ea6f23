"""Reading an uploaded tar within a budget: what every upload (space or hub repo) goes through.

Every byte the upload makes the platform write, and every header byte it makes it read, is
charged to one budget (``SPACEHOST_MAX_UPLOAD`` for a space): a file's size, the size of the
file a link ends on (a link is written as a copy, or pinned as a second name of the same
content), and each member's headers (its 512-byte block and any PAX or GNU long-name blocks).

Memory stays bounded whatever the archive says. :mod:`tarfile` reads an extended header (PAX,
GNU long name or link) whole, parses it into a dict, copies the archive's global PAX headers
into every member and keeps every member it has read; so an extended header is refused above
:data:`MAX_EXTENDED_HEADER` bytes before it is read, a chain of them above
:data:`MAX_HEADER_CHAIN`, global ones above :data:`MAX_EXTENDED_HEADER` in all, sparse members
(whose maps tarfile also reads unbounded) are refused, and members are let go once handled
(issue 11, A3: a 522 KB upload with one PAX header took the control plane to 1.6 GiB).
"""

from __future__ import annotations

import itertools
import tarfile
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, cast

from spacehost.errors import UploadRejected, UploadTooLarge
from spacehost.folderwalk import MAX_NAME_BYTES, MAX_PATH_BYTES, MAX_SPACE_FILES, path_too_long

MAX_FILES = MAX_SPACE_FILES
MAX_EXTENDED_HEADER = 64 << 10  # a PAX/GNU long-name header: a path is at most 4 KiB
MAX_HEADER_CHAIN = 4  # extended headers before one member (PAX + long name + long link: 3)
_EXTENDED = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
             tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)  # fmt: skip
_PACK_AGAIN = "pack the folder with a plain tar (spacehost push does this)"


@dataclass
class _HeaderState:
    chain: int = 0
    global_bytes: int = 0


def _header_state(tar: Any) -> _HeaderState:
    state = getattr(tar, "_spacehost_headers", None)
    if state is None:
        state = _HeaderState()
        tar._spacehost_headers = state
    return state


def _refuse_sparse(*_args: Any) -> None:
    raise UploadRejected(
        "the upload contains a sparse file (tar -S), which is not supported",
        hint=f"{_PACK_AGAIN}, without --sparse",
    )


class _CappedTarInfo(tarfile.TarInfo):
    """A :class:`tarfile.TarInfo` that refuses oversized or chained extended headers and
    sparse members before tarfile reads them (``_proc_member`` is tarfile's documented hook
    for subclasses)."""

    def _proc_member(self, tar: Any) -> Any:
        if self.type == tarfile.GNUTYPE_SPARSE:
            _refuse_sparse()
        if self.type not in _EXTENDED:
            return super()._proc_member(tar)  # type: ignore[misc]
        if self.size > MAX_EXTENDED_HEADER:
            raise UploadRejected(
                f"the upload has a tar extended header (PAX or GNU long name) of {self.size} "
                f"bytes; at most {MAX_EXTENDED_HEADER >> 10} KiB is allowed",
                hint=_PACK_AGAIN,
            )
        state = _header_state(tar)
        if self.type == tarfile.XGLTYPE:
            state.global_bytes += self.size
            if state.global_bytes > MAX_EXTENDED_HEADER:
                raise UploadRejected(
                    f"the upload's global PAX headers are over {MAX_EXTENDED_HEADER >> 10} KiB",
                    hint=_PACK_AGAIN,
                )
        state.chain += 1
        try:
            if state.chain > MAX_HEADER_CHAIN:
                raise UploadRejected(
                    f"the upload has more than {MAX_HEADER_CHAIN} extended headers in a row "
                    "before one member",
                    hint=_PACK_AGAIN,
                )
            return super()._proc_member(tar)  # type: ignore[misc]
        finally:
            state.chain -= 1

    # the sparse maps of PAX sparse formats 0.0, 0.1 and 1.0 are read unbounded too
    _proc_gnusparse_00 = _refuse_sparse
    _proc_gnusparse_01 = _refuse_sparse
    _proc_gnusparse_10 = _refuse_sparse


def open_tar(**kwargs: Any) -> tarfile.TarFile:
    """``tarfile.open(mode="r:*", **kwargs)`` reading headers with the caps above.

    Raises:
        UploadRejected: not a tar (or tar.gz/bz2/xz) archive, or its first header is refused.
    """
    try:
        return tarfile.open(mode="r:*", tarinfo=_CappedTarInfo, **kwargs)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UploadRejected(
            f"the upload is not a tar or tar.gz archive ({exc})",
            hint="send the folder packed with `tar czf` (spacehost push does this)",
        ) from exc


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
    path = "/".join(parts)
    if "\0" in path:
        raise UploadRejected(
            f"upload contains a path with a NUL character: {path!r}", hint="rename the file"
        )
    if path_too_long(path):  # the same limits as a local folder's walk (folderwalk)
        raise UploadRejected(
            f"upload contains a path longer than {MAX_PATH_BYTES} bytes, or with a name longer "
            f"than {MAX_NAME_BYTES} bytes: {path[:80]!r}...",
            hint="shorten the file's path (Linux refuses such names)",
        )
    return path


def _link_target(member: tarfile.TarInfo, path: str) -> str:
    """The in-archive path a (sym|hard)link points to; raises when it escapes the space."""
    if member.issym():
        raw = PurePosixPath(path).parent / member.linkname
        if member.linkname.startswith("/"):
            raise UploadRejected(
                f"symlink {path!r} points outside the space ({member.linkname!r})",
                hint="replace the link with the file it points to",
            )
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


def check_layout(entries: list[tuple[str, bool]]) -> None:
    """Refuse a name that is both a file and a folder (``x`` and ``x/y``, or a folder entry
    ``x`` and a file ``x``): a revision cannot hold both, and a deploy of it would fail.

    *entries* are ``(path, is_folder)``. Sorted with "/" as the lowest character, a file's
    path is followed directly by the paths below it, so neighbours are all that need comparing
    (no set of every parent folder, which a deep path would make quadratic).
    """
    ordered = sorted(entries, key=lambda e: e[0].replace("/", "\0"))
    for (path, folder), (after, after_folder) in itertools.pairwise(ordered):
        if (not folder and after.startswith(path + "/")) or (
            path == after and folder != after_folder
        ):
            raise UploadRejected(
                f"{path!r} is both a file and a folder in the upload",
                hint="rename one of them and push again",
            )


class _Budget:
    def __init__(self, max_bytes: int, too_large: Callable[[], UploadTooLarge]) -> None:
        self.left = max_bytes
        self._too_large = too_large

    def charge(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise self._too_large()


def safe_members(
    tar: tarfile.TarFile,
    *,
    max_bytes: int,
    too_large: Callable[[], UploadTooLarge],
    many_hint: str,
    max_files: int = MAX_FILES,
) -> Iterator[tuple[str, tarfile.TarInfo, str | None]]:
    """The files and links of *tar* (opened with :func:`open_tar`) that are safe to unpack, in
    archive order.

    Yields ``(path, member, link_target)``: *link_target* is the in-archive path a link points
    to, None for a regular file. Folders are skipped (file paths imply them). A regular file
    must be read before the next one is asked for. Once the last member has been yielded, the
    links are charged (the size of the file each ends on) before the iteration ends.

    Raises:
        UploadRejected: a member is absolute, has '..', is a link leaving the upload or to
            nothing, a device, fifo or sparse file; a name is both a file and a folder; an
            extended header is refused (see the module); more than *max_files* entries; the
            archive is corrupt or cut short.
        UploadTooLarge: (from *too_large*) files, link copies and headers add up to more than
            *max_bytes*.
    """
    budget = _Budget(max_bytes, too_large)
    entries: list[tuple[str, bool]] = []  # (path, is a folder), for check_layout
    sizes: dict[str, int] = {}
    links: dict[str, str] = {}
    try:
        for count, member in enumerate(_members(tar), start=1):
            if count > max_files:
                raise UploadRejected(f"upload has more than {max_files} entries", hint=many_hint)
            budget.charge(member.offset_data - member.offset)  # its header blocks
            path = _member_path(member.name)
            if not path:
                continue
            entries.append((path, member.isdir()))
            if member.isdir():
                continue
            if member.issym() or member.islnk():
                links[path] = _link_target(member, path)
                yield path, member, links[path]
            elif member.isfile():
                budget.charge(member.size)
                sizes[path] = member.size
                yield path, member, None
            else:
                raise UploadRejected(
                    f"upload contains {path!r}, which is not a regular file, folder or link "
                    "(device files and fifos are not allowed)",
                    hint="remove it from the folder",
                )
    except (tarfile.TarError, EOFError) as exc:
        raise UploadRejected(
            f"upload archive is corrupt or cut short ({exc})",
            hint="pack the folder again and retry",
        ) from exc
    check_layout(entries)
    for path in links:  # each link is written as a copy of the file it ends on
        budget.charge(sizes[link_file(path, links, sizes)])


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Members one by one, each let go of by *tar* once read (tarfile keeps them all, with their
    PAX headers, for ``getmembers``, which an upload never needs)."""
    while (member := tar.next()) is not None:
        cast(Any, tar).members.clear()
        yield member
