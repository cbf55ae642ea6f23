"""Reading an uploaded space (a tar or tar.gz) into memory, refusing anything unsafe.

Nothing touches the disk here: the files are checked first and written by :mod:`.files` only
when the whole upload is acceptable, so a bad upload leaves no trace.
"""

from __future__ import annotations

import io
import tarfile
from typing import IO

from spacehost.errors import UploadRejected, UploadTooLarge
from spacehost.store.tarsafe import link_file, open_tar, safe_members


def read_archive(data: bytes | IO[bytes], *, max_bytes: int) -> dict[str, bytes]:
    """The regular files of a tar/tar.gz upload (its bytes, or a file positioned at its start),
    by relative POSIX path.

    Links that stay inside the space are replaced by copies of their target; directories are
    implied by file paths. Limits and what is refused: :mod:`.tarsafe`.

    Raises:
        UploadTooLarge: the files, link copies and tar headers add up to more than *max_bytes*.
        UploadRejected: not a tar archive, or a member is absolute, contains '..', is a link
            leaving the space or to nothing, a device/fifo/sparse file, both a file and a
            folder, or an oversized extended header.
    """
    tar = open_tar(fileobj=io.BytesIO(data) if isinstance(data, bytes) else data)
    too_large = UploadTooLarge(
        f"upload unpacks to more than {max_bytes // (1 << 20)} MiB (files, the copies links "
        "make and tar headers all count)",
        hint="make the space smaller (exclude files with .spacehostignore), "
        "or raise SPACEHOST_MAX_UPLOAD on the server",
    )
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}
    with tar:
        try:
            for path, member, target in safe_members(
                tar,
                max_bytes=max_bytes,
                too_large=lambda: too_large,
                many_hint="exclude generated files with .spacehostignore",
            ):
                if target is not None:
                    links[path] = target
                else:
                    fh = tar.extractfile(member)
                    files[path] = fh.read() if fh else b""
        except (tarfile.TarError, EOFError, OSError) as exc:  # a member cut short
            raise UploadRejected(
                f"upload archive is corrupt ({exc})", hint="pack the folder again"
            ) from exc
    _resolve_links(files, links)
    return files


def _resolve_links(files: dict[str, bytes], links: dict[str, str]) -> None:
    for path in links:
        files[path] = files[link_file(path, links, files)]
