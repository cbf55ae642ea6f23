"""The chunks of a xorb as ``hf_xet`` uploads it (``POST /v1/xorbs/default/{hash}``), read back
one at a time (docs/hub.md, "Xet uploads").

A serialized xorb is its chunks one after another, then a footer that starts with ``XETBLOB``.
Each chunk is an 8-byte header -- version (0), compressed length (3 bytes, little-endian),
compression scheme, uncompressed length (3 bytes) -- and the compressed bytes. The schemes
(xet-core ``xorb_object/compression_scheme.rs``): 0 none, 1 an LZ4 *frame*, 2 byte grouping 4
then an LZ4 frame (byte ``i`` of the chunk went to group ``i % 4``; the four groups are stored
one after another, the first ones one byte longer when the length is not a multiple of 4).

Hashes: xet-core prints a 32-byte hash as four little-endian u64 words in hex, so the hex in a
URL is the stored bytes with each 8-byte word reversed (:func:`hash_bytes`, :func:`hash_hex`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import lz4.frame

from spacehost.errors import InvalidRequest

HEADER = 8
FOOTER_IDENT = b"XETBLOB"
MAX_CHUNK = 128 << 10  # xet-core's MAX_CHUNK_SIZE: no chunk unpacks to more
NONE, LZ4, BG4_LZ4 = 0, 1, 2


def hash_bytes(hex_hash: str) -> bytes:
    """The 32 stored bytes of the hash xet-core prints as *hex_hash*."""
    raw = bytes.fromhex(hex_hash)
    return b"".join(raw[i : i + 8][::-1] for i in range(0, 32, 8))


def hash_hex(raw: bytes) -> str:
    """How xet-core prints the 32-byte hash *raw* (the inverse of :func:`hash_bytes`)."""
    return b"".join(raw[i : i + 8][::-1] for i in range(0, 32, 8)).hex()


@dataclass(frozen=True)
class ChunkHeader:
    """One chunk's header: how it is compressed and its sizes before and after."""

    scheme: int
    compressed: int
    size: int


def _bad(why: str) -> InvalidRequest:
    return InvalidRequest(
        f"the xorb is not a valid Xet xorb: {why}",
        hint="upload it with hf_xet (huggingface_hub's Xet client) unchanged",
    )


def parse_header(raw: bytes) -> ChunkHeader | None:
    """The chunk header in *raw* (8 bytes), or None where the footer starts."""
    if raw[: len(FOOTER_IDENT)] == FOOTER_IDENT:
        return None
    if len(raw) < HEADER:
        raise _bad("it ends inside a chunk header")
    header = ChunkHeader(
        raw[4], int.from_bytes(raw[1:4], "little"), int.from_bytes(raw[5:8], "little")
    )
    if raw[0] != 0 or header.scheme not in (NONE, LZ4, BG4_LZ4):
        raise _bad(f"chunk version {raw[0]}, compression scheme {header.scheme}")
    if header.size > MAX_CHUNK or header.compressed > 2 * MAX_CHUNK:
        raise _bad(f"a chunk of {header.size} bytes ({header.compressed} compressed)")
    return header


def regroup_bg4(grouped: bytes) -> bytes:
    """Undo byte grouping 4: the chunk whose byte ``i`` is in group ``i % 4``."""
    n = len(grouped)
    out = bytearray(n)
    start = 0
    for g in range(4):
        length = len(range(g, n, 4))
        out[g::4] = grouped[start : start + length]
        start += length
    return bytes(out)


def unpack(header: ChunkHeader, data: bytes) -> bytes:
    """The chunk's bytes from its stored *data*; raises when they do not unpack to its size."""
    try:
        if header.scheme == NONE:
            out = data
        else:
            out = lz4.frame.decompress(data)
            if header.scheme == BG4_LZ4:
                out = regroup_bg4(out)
    except RuntimeError as exc:
        raise _bad(f"a chunk does not decompress ({exc})") from None
    if len(out) != header.size:
        raise _bad(f"a chunk unpacks to {len(out)} bytes, its header says {header.size}")
    return out


def _read_exact(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise _bad("it ends inside a chunk")
    return data


def chunks(f: BinaryIO, stop: int | None = None) -> Iterator[tuple[ChunkHeader, int]]:
    """The chunk headers of the xorb *f* (from its start), each with the offset of its data;
    *f* is left at that data, which the caller may read or not. Ends at the footer, the end of
    the file, or after *stop* chunks."""
    index = 0
    while stop is None or index < stop:
        raw = f.read(HEADER)
        if not raw:
            return
        header = parse_header(raw)
        if header is None:
            return
        at = f.tell()
        yield header, at
        f.seek(at + header.compressed)
        index += 1


def chunk_range(f: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    """The unpacked chunks ``start`` to ``end - 1`` of the xorb *f*, one at a time."""
    seen = 0
    for header, at in chunks(f, end):
        if seen >= start:
            f.seek(at)
            yield unpack(header, _read_exact(f, header.compressed))
        seen += 1
    if seen < end:
        raise _bad(f"it has {seen} chunks, a file needs chunks {start} to {end - 1}")


def count_chunks(f: BinaryIO) -> int:
    """How many chunks the xorb *f* holds (checking each header and that its data is there)."""
    size = f.seek(0, 2)
    f.seek(0)
    n = 0
    for header, at in chunks(f):
        if at + header.compressed > size:
            raise _bad("it ends inside a chunk")
        n += 1
    return n
