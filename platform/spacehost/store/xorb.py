"""A blob seen as Xet xorbs, so that huggingface_hub's Rust downloader (``hf_xet``) can fetch it
(docs/hub.md, "Xet downloads").

Xet stores a file as chunks packed into *xorbs*; a xorb is the chunks one after another, each
behind an 8-byte header (version 0, compressed size, scheme, uncompressed size; sizes are
3-byte little-endian). Spacehost does not deduplicate: it cuts a blob into fixed 64 KiB chunks,
stores each uncompressed (scheme 0, "none"), and groups ``CHUNKS_PER_XORB`` of them per xorb so
that no xorb passes the protocol's 64 MiB. All xorbs of one blob live in one *xorb file*
(``xorb_path``): the blob with a header before every chunk, written once, lazily, and then sent
with ``sendfile`` and byte ranges like the blob itself.

Ids: the file id is the blob's sha256; xorb ``k`` of a blob is named by sha256 of
``"<file id>/<k>"``. ``hf_xet`` does not check chunk or xorb hashes on download (it cannot: the
reconstruction carries no chunk hashes), so these ids only need to be stable and 64 hex digits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacehost.atomicfile import replacing

CHUNK = 64 << 10
HEADER = 8
CHUNKS_PER_XORB = 1000  # 1000 * (64 KiB + 8) stays under Xet's 64 MiB per xorb
_READ = 8 << 20


def chunk_count(size: int) -> int:
    """How many chunks a blob of *size* bytes is cut into."""
    return -(-size // CHUNK)


def xorb_file_size(size: int) -> int:
    """The size of the xorb file of a blob of *size* bytes."""
    return size + HEADER * chunk_count(size)


def chunk_header(length: int) -> bytes:
    """The 8-byte header of an uncompressed chunk of *length* bytes."""
    n = length.to_bytes(3, "little")
    return b"\x00" + n + b"\x00" + n


def xorb_hash(file_id: str, index: int) -> str:
    """The id of xorb *index* of the file *file_id*."""
    return hashlib.sha256(f"{file_id}/{index}".encode()).hexdigest()


def write_xorb_file(blob: Path, dest: Path, tmp_dir: Path) -> None:
    """Write *blob*'s xorb file at *dest* (through a temp file and a rename, so a reader never
    sees half of one)."""
    with open(blob, "rb") as src, replacing(dest, tmp_dir=tmp_dir) as out:
        while data := src.read(_READ):
            parts = []
            for i in range(0, len(data), CHUNK):
                piece = data[i : i + CHUNK]
                parts.append(chunk_header(len(piece)))
                parts.append(piece)
            out.write(b"".join(parts))


def ensure_xorb_file(blob: Path, dest: Path, tmp_dir: Path) -> Path:
    """*dest*, written from *blob* first if it is missing."""
    if not dest.exists():
        write_xorb_file(blob, dest, tmp_dir)
    return dest


@dataclass(frozen=True)
class ByteRange:
    """File bytes ``first`` to ``last``, both inclusive."""

    first: int
    last: int


def reconstruction(
    file_id: str, size: int, url: str, wanted: ByteRange | None = None
) -> dict[str, Any]:
    """The CAS ``QueryReconstructionResponse`` for a file of *size* bytes whose xorb file is at
    *url*: one term per xorb that holds part of *wanted* (default: the whole file), each with
    one fetch entry whose ``url_range`` (inclusive) selects those chunks in the xorb file."""
    rng = wanted or ByteRange(0, size - 1)
    first_chunk, last_chunk = rng.first // CHUNK, min(rng.last, size - 1) // CHUNK
    terms: list[dict[str, Any]] = []
    fetch: dict[str, list[dict[str, Any]]] = {}
    chunk = first_chunk
    while chunk <= last_chunk:
        xorb = chunk // CHUNKS_PER_XORB
        base = xorb * CHUNKS_PER_XORB
        stop = min(last_chunk + 1, base + CHUNKS_PER_XORB)
        data_start, data_end = chunk * CHUNK, min(stop * CHUNK, size)
        name = xorb_hash(file_id, xorb)
        span = {"start": chunk - base, "end": stop - base}
        terms.append({"hash": name, "unpacked_length": data_end - data_start, "range": span})
        fetch.setdefault(name, []).append(
            {
                "range": span,
                "url": url,
                "url_range": {
                    "start": data_start + HEADER * chunk,
                    "end": data_end + HEADER * stop - 1,
                },
            }
        )
        chunk = stop
    return {
        "offset_into_first_range": rng.first - first_chunk * CHUNK,
        "terms": terms,
        "fetch_info": fetch,
    }
