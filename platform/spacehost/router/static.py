"""Finding the file a request names in a static space's folder, safely.

The request path is percent-decoded, split into segments and joined under the folder; ``..``
segments, NUL bytes, backslashes and dot-files (but ``.well-known``) are refused outright, and
the resolved real path must stay inside the folder's real path, so neither ``../`` tricks nor
symbolic links reach outside it. Only ``stat`` here; the connection code does the reading.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from dataclasses import dataclass
from urllib.parse import quote, unquote

INDEX = "index.html"

# Ahead of mimetypes, whose answers depend on the host's /etc/mime.types.
_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".glb": "model/gltf-binary",
}
_TEXTUAL = ("text/", "application/json", "application/xml", "image/svg+xml")


@dataclass(frozen=True, slots=True)
class StaticFile:
    """A regular file to send.

    Attributes:
        path: its real path.
        size: its size in bytes.
        content_type: the ``Content-Type`` value.
        etag: a validator from mtime and size (quoted).
        mtime: modification time, seconds since the epoch.
    """

    path: str
    size: int
    content_type: str
    etag: str
    mtime: float


@dataclass(frozen=True, slots=True)
class StaticRedirect:
    """The path names a folder without the trailing slash: redirect so relative links work.

    Attributes:
        path: the path to redirect to, relative to the space root, percent-encoded.
    """

    path: str


def content_type(filename: str) -> str:
    """The ``Content-Type`` for *filename*, with ``charset=utf-8`` for textual types."""
    ext = os.path.splitext(filename)[1].lower()
    ctype = _TYPES.get(ext) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if ctype.startswith(_TEXTUAL):
        ctype += "; charset=utf-8"
    return ctype


def _segments(path: str) -> list[str] | None:
    decoded = unquote(path, errors="strict")
    if "\x00" in decoded or "\\" in decoded:
        return None
    segments = [s for s in decoded.split("/") if s not in ("", ".")]
    for seg in segments:
        if seg == ".." or (seg.startswith(".") and seg != ".well-known"):
            return None
    return segments


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _file(path: str, st: os.stat_result) -> StaticFile:
    etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    return StaticFile(path, st.st_size, content_type(path), etag, st.st_mtime)


def resolve_static(root: str, target: str) -> StaticFile | StaticRedirect | None:
    """The file that *target* names under *root*.

    Args:
        root: the static space's folder (absolute).
        target: the request-target relative to the space (path and query, percent-encoded).

    Returns:
        The :class:`StaticFile` (a folder's ``index.html`` for a folder path ending in ``/``),
        a :class:`StaticRedirect` for a folder path without the slash, or None when nothing may
        be served (missing, outside the folder, refused name, not a regular file).
    """
    path = target.partition("?")[0].partition("#")[0]
    try:
        segments = _segments(path)
    except UnicodeDecodeError:
        return None
    if segments is None:
        return None
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, *segments))
    if not _inside(real, real_root):
        return None
    try:
        st = os.stat(real)
        if stat.S_ISDIR(st.st_mode):
            if not path.endswith("/"):
                return StaticRedirect(quote("/" + "/".join(segments) + "/"))
            real = os.path.realpath(os.path.join(real, INDEX))
            if not _inside(real, real_root):
                return None
            st = os.stat(real)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _file(real, st)
