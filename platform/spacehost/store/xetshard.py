"""The files an MDB shard describes, as ``hf_xet`` uploads it (``POST /v1/shards``) after the
xorbs that hold their bytes (docs/hub.md, "Xet uploads"; xet-core ``metadata_shard``).

A shard is a 48-byte header (a 32-byte tag, version 2, the footer's size), then the *file info*
section: per file a 48-byte header (file hash, flags, number of segments, 8 unused bytes), that
many 48-byte segments (xorb hash, xorb flags, unpacked bytes, first chunk, end chunk -- the
chunks ``[first, end)`` of that xorb), a 48-byte verification entry per segment when flag bit 31
is set, and a 48-byte metadata extension (the file's sha256, then 16 unused bytes) when bit 30
is set. A header whose file hash is all ``0xff`` ends the section; the xorb and lookup sections
after it are not needed here. Integers are little-endian; every hash, the sha256 included, is
stored as xet-core keeps a hash (four u64 words: :func:`~spacehost.store.xetchunks.hash_hex`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from spacehost.errors import InvalidRequest
from spacehost.store.xetchunks import hash_hex

TAG = bytes(
    [
        72, 70, 82, 101, 112, 111, 77, 101, 116, 97, 68, 97, 116, 97, 0, 85,
        105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169,
    ]
)  # fmt: skip
VERSION = 2
ENTRY = 48
WITH_VERIFICATION = 1 << 31
WITH_METADATA_EXT = 1 << 30
BOOKEND = b"\xff" * 32
MAX_SEGMENTS = 1 << 20


@dataclass(frozen=True)
class Segment:
    """Chunks ``[start, end)`` of xorb ``xorb`` (its hex as in the xorb's URL): ``size`` bytes."""

    xorb: str
    size: int
    start: int
    end: int


@dataclass(frozen=True)
class ShardFile:
    """A file of a shard: its sha256 (hex; None when the shard does not say, as for a bucket
    upload), its bytes' segments, in order, and its Xet file hash (the client's word)."""

    sha256: str | None
    segments: tuple[Segment, ...]
    xet_hash: str = ""

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)


def _bad(why: str) -> InvalidRequest:
    return InvalidRequest(
        f"the shard is not a valid Xet shard: {why}",
        hint="upload it with hf_xet (huggingface_hub's Xet client) unchanged",
    )


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise _bad("it ends inside its file section")
    return data


def _segment(raw: bytes) -> Segment:
    _flags, size, start, end = struct.unpack_from("<4I", raw, 32)
    if end <= start:
        raise _bad(f"a segment names chunks {start} to {end}")
    return Segment(hash_hex(raw[:32]), size, start, end)


def _file(f: BinaryIO, file_hash: bytes, flags: int, count: int) -> ShardFile:
    if count > MAX_SEGMENTS:
        raise _bad(f"a file of {count} segments")
    segments = tuple(_segment(_read(f, ENTRY)) for _ in range(count))
    if flags & WITH_VERIFICATION:
        _read(f, ENTRY * count)
    sha256 = hash_hex(_read(f, ENTRY)[:32]) if flags & WITH_METADATA_EXT else None
    return ShardFile(sha256, segments, hash_hex(file_hash))


def shard_files(f: BinaryIO) -> Iterator[ShardFile]:
    """The files the shard *f* describes, in its order."""
    head = f.read(ENTRY)
    if len(head) != ENTRY or head[:32] != TAG:
        raise _bad("it does not start with the MDB shard tag")
    (version,) = struct.unpack_from("<Q", head, 32)
    if version != VERSION:
        raise _bad(f"version {version}, not {VERSION}")
    while True:
        header = _read(f, ENTRY)
        if header[:32] == BOOKEND:
            return
        flags, count = struct.unpack_from("<2I", header, 32)
        yield _file(f, header[:32], flags, count)
