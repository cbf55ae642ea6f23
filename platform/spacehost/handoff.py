"""File hand-off: the control plane lets the router send a stored file itself. Pure, no I/O.

A hub download through the router would otherwise cross two Python processes: the control plane
writes the bytes to its socket and the router copies them to the client. Instead the router marks
each request it forwards to the control plane (:data:`REQUEST_HEADER`); for those, the control
plane answers a file's GET with the final status and headers, an empty body and
:data:`FILE_HEADER` naming the file and the byte range, and the router sends those bytes straight
from the file (the way nginx's ``X-Accel-Redirect`` works).

The router strips both headers from everything a client sends or receives, honours the hand-off
from the control plane only, and only for files under the hub's directory.
"""

from __future__ import annotations

from typing import NamedTuple

REQUEST_HEADER = "X-Spacehost-Handoff"
REQUEST_VALUE = "file"
FILE_HEADER = "X-Spacehost-File"


class FileRange(NamedTuple):
    """``length`` bytes of the file at ``path`` from ``offset``."""

    path: str
    offset: int
    length: int


def file_header(path: str, offset: int, count: int) -> str:
    """The :data:`FILE_HEADER` value for *count* bytes of *path* from *offset*."""
    return f"{offset} {count} {path}"


def parse_file_header(value: str) -> FileRange | None:
    """The range a :data:`FILE_HEADER` value names, or None when it is malformed."""
    parts = value.split(" ", 2)
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    path = parts[2]
    if not path.startswith("/") or "\x00" in path:
        return None
    return FileRange(path, int(parts[0]), int(parts[1]))
