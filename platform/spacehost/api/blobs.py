"""Sending a stored file over HTTP: single byte ranges (206/416), conditional requests, and
``sendfile`` from the blob store, so a multi-GiB weight file never passes through Python memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from aiohttp import web

from spacehost.handoff import FILE_HEADER, REQUEST_HEADER, REQUEST_VALUE, file_header

CHUNK = 1 << 20
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Unsatisfiable(Exception):
    """The Range asks for bytes past the end of the file (answer 416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)`` of a single ``bytes=`` range, or None for the whole file.

    A header that is not one well-formed byte range (several ranges, another unit, ``5-2``) is
    ignored, as RFC 9110 allows; a well-formed one that selects nothing raises
    :class:`Unsatisfiable`.
    """
    m = _RANGE.match((header or "").strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if not first:  # suffix: the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - n), size
    start = int(first)
    end = size if not last else int(last) + 1
    if last and end <= start:
        return None
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size)


def _etag_matches(header: str, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or f'"{etag}"' in tags


async def send_blob(
    request: web.Request, path: Path, size: int, etag: str, headers: Mapping[str, str]
) -> web.StreamResponse:
    """Answer *request* (GET or HEAD) with the file at *path* (*size* bytes, entity tag *etag*),
    plus *headers*; honours ``If-None-Match`` and one ``Range``."""
    resp = web.StreamResponse(headers=headers)
    resp.headers["ETag"] = f'"{etag}"'
    resp.headers["Accept-Ranges"] = "bytes"
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        resp.set_status(304)
        await resp.prepare(request)
        return resp
    try:
        rng = parse_range(request.headers.get("Range"), size)
    except Unsatisfiable:
        resp.set_status(416)
        resp.headers["Content-Range"] = f"bytes */{size}"
        resp.content_length = 0
        await resp.prepare(request)
        return resp
    if rng is not None and request.headers.get("If-Range", f'"{etag}"') != f'"{etag}"':
        rng = None  # the client's copy is another version: send it whole
    start, end = rng if rng is not None else (0, size)
    if rng is not None:
        resp.set_status(206)
        resp.headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    resp.content_length = end - start
    if request.method == "HEAD" or end == start:
        await resp.prepare(request)
        return resp
    if request.headers.get(REQUEST_HEADER) == REQUEST_VALUE:
        return await _hand_off(request, resp, path, start, end - start)
    fh: BinaryIO = await asyncio.to_thread(open, path, "rb")
    try:
        await resp.prepare(request)
        await _send(request, resp, fh, start, end - start)
    finally:
        fh.close()
    await resp.write_eof()
    return resp


async def _hand_off(
    request: web.Request, resp: web.StreamResponse, path: Path, offset: int, count: int
) -> web.StreamResponse:
    """Let the router send the bytes itself (spacehost.handoff): the head, no body."""
    resp.headers[FILE_HEADER] = file_header(os.path.abspath(path), offset, count)
    resp.content_length = 0
    await resp.prepare(request)
    await resp.write_eof()
    return resp


async def _send(
    request: web.Request, resp: web.StreamResponse, fh: BinaryIO, offset: int, count: int
) -> None:
    """Write *count* bytes of *fh* from *offset*: kernel ``sendfile`` when the transport
    allows it, else 1 MiB reads in a thread."""
    transport = request.transport
    if transport is not None and not transport.is_closing():
        with contextlib.suppress(NotImplementedError):
            await asyncio.get_running_loop().sendfile(transport, fh, offset, count)
            return
    fd = fh.fileno()
    while count > 0:
        chunk = await asyncio.to_thread(os.pread, fd, min(CHUNK, count), offset)
        if not chunk:
            raise ConnectionResetError("file shorter than recorded")
        await resp.write(chunk)
        offset += len(chunk)
        count -= len(chunk)
