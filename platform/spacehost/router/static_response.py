"""The response a static space gives: what :func:`static.resolve_static` found, as HTTP/1.1.

A pure decision plus, for a small file, one read: the exchange gets complete response bytes to
write, a :class:`Problem` to answer, or a :class:`StaticStream` (a head and a file too large for
one write, which it streams with backpressure). Files carry validators (``ETag``,
``Last-Modified``) and ``Cache-Control: no-cache``; ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass

from spacehost.router.match import Match
from spacehost.router.pages import Problem, redirect_response, simple_response
from spacehost.router.static import StaticFile, StaticRedirect, resolve_static

# Static files up to this size go out in one write; larger ones are streamed with backpressure.
STATIC_CHUNK = 256 * 1024

NOT_FOUND = Problem(404, "not_found", "No such file in this space.", "Check the URL.")
CHANGED = Problem(404, "not_found", "The file changed while read.", "Retry.")


@dataclass(frozen=True, slots=True)
class StaticStream:
    """A file larger than :data:`STATIC_CHUNK`: write *head*, then stream *file*'s bytes.

    Attributes:
        head: the complete response head (``200``, with its ``Content-Length``).
        file: the file to send.
    """

    head: bytes
    file: StaticFile


def static_answer(
    root: str, m: Match, method: bytes, if_none_match: str, *, close: bool, extra: bytes
) -> bytes | Problem | StaticStream:
    """The answer of the static space in folder *root* to a request routed as *m*.

    Args:
        root: the space's folder.
        m: the route match (its target and path prefix).
        method: the request method; only GET and HEAD are allowed (else 405).
        if_none_match: the request's ``If-None-Match`` value, "" when absent.
        close: the response carries ``Connection: close``.
        extra: the space's own response header lines (``SpaceHeaders.extra``).

    Returns:
        Complete response bytes, a :class:`Problem` (404) for the caller to render, or a
        :class:`StaticStream` for a large file.
    """
    if method not in (b"GET", b"HEAD"):
        return simple_response(405, b"", "", close=close, extra=b"allow: GET, HEAD\r\n")
    found = resolve_static(root, m.target)
    if found is None:
        return NOT_FOUND
    if isinstance(found, StaticRedirect):
        query = m.target.partition("?")[2]
        location = m.prefix + found.path + (f"?{query}" if query else "")
        return redirect_response(location, close=close, head_only=method == b"HEAD")
    return _file_answer(found, method, if_none_match, close=close, extra=extra)


def _not_modified(f: StaticFile, if_none_match: str) -> bool:
    inm = if_none_match
    return bool(inm) and (inm.strip() == "*" or f.etag in (t.strip() for t in inm.split(",")))


def _file_answer(
    f: StaticFile, method: bytes, if_none_match: str, *, close: bool, extra: bytes
) -> bytes | Problem | StaticStream:
    validators = (
        f"etag: {f.etag}\r\nlast-modified: {email.utils.formatdate(f.mtime, usegmt=True)}\r\n"
        "cache-control: no-cache\r\n"
    ).encode("latin-1")
    connection = b"connection: close\r\n" if close else b""
    if _not_modified(f, if_none_match):
        return b"HTTP/1.1 304 Not Modified\r\n" + validators + extra + connection + b"\r\n"
    head = b"".join(
        [
            b"HTTP/1.1 200 OK\r\n",
            f"content-type: {f.content_type}\r\ncontent-length: {f.size}\r\n".encode(),
            validators,
            extra,
            connection,
            b"\r\n",
        ]
    )
    if method == b"HEAD":
        return head
    if f.size <= STATIC_CHUNK:
        return _small_file(f, head)
    return StaticStream(head, f)


def _small_file(f: StaticFile, head: bytes) -> bytes | Problem:
    """*head* and the whole file in one piece, or :data:`CHANGED` when its size changed."""
    try:
        with open(f.path, "rb") as fh:
            data = fh.read(f.size + 1)
    except OSError:
        data = b""
    if len(data) != f.size:
        return CHANGED
    return head + data
