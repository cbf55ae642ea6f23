"""The platform's icon: ``/favicon.ico`` (where browsers look by default) and the ``<link
rel=icon>`` every platform page carries. Drawn here at import (a 32x32 PNG in an ICO
container: the brand's blue-to-purple gradient with a white dot), so no binary file ships."""

from __future__ import annotations

import struct
import zlib

from aiohttp import web

SIZE = 32
ROUTE = "/favicon.ico"
LINK = "<link rel=icon type='image/x-icon' href='/favicon.ico'>"
CACHE_CONTROL = "public, max-age=86400"


def _pixel(x: int, y: int) -> bytes:
    cx = cy = (SIZE - 1) / 2
    dx, dy = x - cx, y - cy
    if (dx * dx + dy * dy) ** 0.5 <= SIZE * 0.2:
        return b"\xff\xff\xff\xff"
    # rounded corners: transparent outside a radius-6 corner arc
    r = 6
    qx, qy = min(x, SIZE - 1 - x), min(y, SIZE - 1 - y)
    if qx < r and qy < r and (r - qx - 0.5) ** 2 + (r - qy - 0.5) ** 2 > r * r:
        return b"\x00\x00\x00\x00"
    t = (x + y) / (2 * (SIZE - 1))  # blue #3b82f6 -> purple #a855f7, corner to corner
    rgb = [round(a + (b - a) * t) for a, b in ((0x3B, 0xA8), (0x82, 0x55), (0xF6, 0xF7))]
    return bytes([*rgb, 255])


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png() -> bytes:
    """The icon as a 32x32 RGBA PNG."""
    rows = b"".join(b"\x00" + b"".join(_pixel(x, y) for x in range(SIZE)) for y in range(SIZE))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def ico() -> bytes:
    """The icon as an ICO file holding the PNG (a format every browser reads)."""
    image = png()
    directory = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + directory + image


ICO = ico()


async def favicon(request: web.Request) -> web.Response:
    """``GET /favicon.ico``."""
    return web.Response(
        body=ICO, content_type="image/x-icon", headers={"Cache-Control": CACHE_CONTROL}
    )


def add_favicon_routes(app: web.Application) -> None:
    """Serve :data:`ROUTE` (GET and HEAD)."""
    app.router.add_get(ROUTE, favicon)
