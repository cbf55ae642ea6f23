"""Build contexts: tar archives made in memory from file contents. Pure."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Collection, Mapping

# Files a dependency layer is built from get this fixed mtime so that only their content can
# decide whether Docker's cache is hit (2020-01-01T00:00:00Z).
FIXED_MTIME = 1577836800


def make_context(
    files: Mapping[str, bytes], *, fixed: Collection[str] = (), mtime: float = FIXED_MTIME
) -> bytes:
    """A build context holding *files*.

    Args:
        files: context path (POSIX, relative) -> content.
        fixed: paths that get :data:`FIXED_MTIME` whatever *mtime* says.
        mtime: modification time of the other files. Giving app files the build time keeps
            HTTP validators (``Last-Modified``, size-mtime ETags) honest when their content
            changes at the same size.

    Returns:
        An uncompressed tar: owner root, mode 0644, or 0755 for files starting with ``#!``
        (contents carry no modes, and a script that was executable should stay so).
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            data = files[path]
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o755 if data.startswith(b"#!") else 0o644
            info.mtime = int(FIXED_MTIME if path in fixed else mtime)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
