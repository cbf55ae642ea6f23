"""Tarballs built in memory, the way an uploader (or an attacker) would send them."""

from __future__ import annotations

import io
import tarfile

Member = tarfile.TarInfo | tuple[str, bytes]


def make_tar(members: list[Member], gz: bool = True, *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A tar (gzipped unless *gz* is false) of *members*: ``(name, bytes)`` pairs become regular
    files; a :class:`tarfile.TarInfo` is added as it is (links, folders, odd headers)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w", format=fmt) as tar:
        for m in members:
            if isinstance(m, tuple):
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
            else:
                tar.addfile(m)
    return buf.getvalue()
