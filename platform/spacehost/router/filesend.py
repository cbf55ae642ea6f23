"""Sending a byte range of a local file to a client, with backpressure: the bodies of static
spaces and of the files the control plane hands off (spacehost.handoff)."""

from __future__ import annotations

import os
from typing import Protocol

from spacehost.handoff import parse_file_header

# Bytes read and written per step: large enough that a 1 GB file costs few loop turns, small
# enough that a stalled client holds little (the client's write buffer pauses the loop).
FILE_CHUNK = 512 * 1024


class Sink(Protocol):
    """The client side of a connection, as far as sending a file goes."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...


class OpenFile:
    """An open file descriptor and the range of it to send."""

    __slots__ = ("count", "fd", "offset")

    def __init__(self, fd: int, offset: int, count: int) -> None:
        self.fd, self.offset, self.count = fd, offset, count

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def open_range(path: str, offset: int, count: int) -> OpenFile | None:
    """*path* opened for reading *count* bytes from *offset*; None when it cannot be opened or
    is too short (it changed since it was described)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
    except OSError:
        size = -1
    if size < offset + count:
        os.close(fd)
        return None
    return OpenFile(fd, offset, count)


def open_handoff(value: bytes, root: str) -> OpenFile | None:
    """The file range a control plane's hand-off header names, opened; None when the header is
    malformed, names a file outside *root* (a real path, ending in a separator), or the file
    cannot be opened."""
    rng = parse_file_header(value.decode("latin-1"))
    if rng is None:
        return None
    real = os.path.realpath(rng.path)  # opened as checked: a link swapped in later is not followed
    return open_range(real, rng.offset, rng.length) if real.startswith(root) else None


async def send_file(sink: Sink, f: OpenFile) -> bool:
    """Write *f*'s range to *sink*, waiting for the client to take each piece; False when the
    file ended early (the client must not take the body as whole). Closes *f*."""
    try:
        offset, left = f.offset, f.count
        while left > 0:
            chunk = os.pread(f.fd, min(FILE_CHUNK, left), offset)
            if not chunk:
                return False
            offset += len(chunk)
            left -= len(chunk)
            sink.write(chunk)
            await sink.drain()
        return True
    finally:
        f.close()
