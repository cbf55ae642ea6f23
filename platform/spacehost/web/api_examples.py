"""Example files for the Use-via-API snippets, served by the platform itself
(``/static/api-examples/{name}``). Gradio's ``/gradio_api/info`` names files on the Internet
(``bus.png`` on GitHub); a snippet that needs them fails on a machine without Internet, so the
snippets fetch these instead (issue 11, C16). Made here, in a few bytes each: a PNG image, a
WAV sound and a text file."""

from __future__ import annotations

import io
import struct
import wave
import zlib
from pathlib import PurePosixPath

from aiohttp import web

PREFIX = "/static/api-examples/"
_IMAGE = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ico")
_AUDIO = (".wav", ".mp3", ".ogg", ".flac", ".m4a", ".aac", ".opus")


def _png(width: int = 32, height: int = 24) -> bytes:
    """An RGB PNG: a red-to-blue gradient."""
    rows = b"".join(
        b"\0" + b"".join(bytes((255 - 8 * x % 256, 40, 8 * x % 256)) for x in range(width))
        for _ in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _wav(seconds: float = 0.25, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV: a quiet square wave."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", 2000 if (i // 20) % 2 else -2000)
                for i in range(int(seconds * rate))
            )
        )
    return out.getvalue()


FILES: dict[str, tuple[str, bytes]] = {
    "image.png": ("image/png", _png()),
    "audio.wav": ("audio/wav", _wav()),
    "file.txt": ("text/plain; charset=utf-8", b"An example file from spacehost.\n"),
}


def example_file(name: str) -> str:
    """The example file that stands in for a file named *name* (by its suffix)."""
    suffix = PurePosixPath(name.split("?", 1)[0]).suffix.lower()
    if suffix in _IMAGE:
        return "image.png"
    return "audio.wav" if suffix in _AUDIO else "file.txt"


async def _example(request: web.Request) -> web.Response:
    found = FILES.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(text=f"no example file; there are {', '.join(FILES)}")
    kind, body = found
    return web.Response(
        body=body, headers={"Content-Type": kind, "Cache-Control": "public, max-age=86400"}
    )


def add_example_routes(app: web.Application) -> None:
    """Serve :data:`FILES` under :data:`PREFIX`."""
    app.router.add_get(PREFIX + "{name}", _example)
