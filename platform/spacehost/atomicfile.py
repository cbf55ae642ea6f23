"""Replace a file whole: write a temp file, then rename it over the target. The one copy.

Readers in other processes (the router reading the route table, the control plane reading the
activity file, a container reading a pinned ``refs/main``) see the old content or the new one,
never a part: ``os.replace`` is atomic within one filesystem, so the temp file is made in the
target's folder unless the caller names another folder on the same filesystem.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def replacing(
    path: Path, *, mode: int | None = None, tmp_dir: Path | None = None
) -> Iterator[BinaryIO]:
    """A binary file to write *path*'s new content into; it replaces *path* when the block ends
    without an exception, and is removed otherwise (*path* is left as it was).

    Args:
        path: the file to replace (its folder is created when missing).
        mode: the new file's permission bits, exactly (not filtered by the umask); None gives
            what a plain ``open(path, "w")`` gives (0o666 less the umask).
        tmp_dir: where the temp file is made: a folder on *path*'s filesystem whose left-overs
            its owner sweeps (default: *path*'s folder, the temp file named ``.{name}.<hex>``).

    Raises:
        OSError: the folder, the temp file or the rename failed; the temp file is gone then.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = path.parent if tmp_dir is None else tmp_dir
    tmp = folder / f".{path.name}.{uuid.uuid4().hex}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(
    path: Path, data: str | bytes, *, mode: int | None = None, tmp_dir: Path | None = None
) -> None:
    """Replace *path* with *data* (text is written as UTF-8), atomically: :func:`replacing`
    with the same arguments.

    Raises:
        OSError: the folder, the temp file or the rename failed; *path* is left as it was.
    """
    with replacing(path, mode=mode, tmp_dir=tmp_dir) as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
