"""The xorb view of a blob (store/xorb.py): chunk headers, chunk and xorb boundaries, and the
reconstruction a CAS client follows to rebuild the file or a byte range of it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from spacehost.store.xorb import (
    CHUNK,
    CHUNKS_PER_XORB,
    HEADER,
    ByteRange,
    chunk_count,
    chunk_header,
    reconstruction,
    write_xorb_file,
    xorb_file_size,
    xorb_hash,
)

FILE_ID = "ab" * 32


def rebuild(xorb_bytes: bytes, recon: dict[str, Any]) -> bytes:
    """What a Xet client does with a reconstruction (docs: download protocol, stage 3)."""
    out = bytearray()
    for term in recon["terms"]:
        fetch = next(
            f
            for f in recon["fetch_info"][term["hash"]]
            if f["range"]["start"] <= term["range"]["start"]
            and f["range"]["end"] >= term["range"]["end"]
        )
        data = xorb_bytes[fetch["url_range"]["start"] : fetch["url_range"]["end"] + 1]
        chunks, pos = {}, 0
        for index in range(fetch["range"]["start"], fetch["range"]["end"]):
            header = data[pos : pos + HEADER]
            assert header[0] == 0 and header[4] == 0  # version 0, scheme none
            size = int.from_bytes(header[1:4], "little")
            assert size == int.from_bytes(header[5:8], "little")
            chunks[index] = data[pos + HEADER : pos + HEADER + size]
            pos += HEADER + size
        assert pos == len(data)
        piece = b"".join(chunks[i] for i in range(term["range"]["start"], term["range"]["end"]))
        assert len(piece) == term["unpacked_length"]
        out += piece
    return bytes(out[recon["offset_into_first_range"] :])


@pytest.fixture
def blob(tmp_path: Path) -> tuple[bytes, bytes]:
    """A blob of two xorbs and a short last chunk, and its xorb file."""
    data = os.urandom(CHUNK * (CHUNKS_PER_XORB + 2) + 1234)
    src, dest = tmp_path / "blob", tmp_path / "xorbs" / "x"
    src.write_bytes(data)
    write_xorb_file(src, dest, tmp_path)
    return data, dest.read_bytes()


def test_chunk_header_is_version_sizes_and_scheme_none() -> None:
    assert chunk_header(65536) == bytes([0, 0, 0, 1, 0, 0, 0, 1])
    assert chunk_header(5) == bytes([0, 5, 0, 0, 0, 5, 0, 0])


def test_xorb_file_is_the_blob_with_a_header_before_each_chunk(blob: tuple[bytes, bytes]) -> None:
    data, xorbs = blob
    assert chunk_count(len(data)) == CHUNKS_PER_XORB + 3
    assert len(xorbs) == xorb_file_size(len(data)) == len(data) + HEADER * (CHUNKS_PER_XORB + 3)
    assert xorbs[:HEADER] == chunk_header(CHUNK)
    assert xorbs[HEADER : HEADER + CHUNK] == data[:CHUNK]
    last = (CHUNKS_PER_XORB + 2) * (CHUNK + HEADER)
    assert xorbs[last : last + HEADER] == chunk_header(1234)
    assert xorbs[last + HEADER :] == data[-1234:]


def test_whole_file_reconstruction_has_one_term_per_xorb(blob: tuple[bytes, bytes]) -> None:
    data, xorbs = blob
    recon = reconstruction(FILE_ID, len(data), "http://h/x")
    assert recon["offset_into_first_range"] == 0
    assert [t["hash"] for t in recon["terms"]] == [xorb_hash(FILE_ID, 0), xorb_hash(FILE_ID, 1)]
    assert [t["range"] for t in recon["terms"]] == [
        {"start": 0, "end": CHUNKS_PER_XORB},
        {"start": 0, "end": 3},
    ]
    assert recon["terms"][0]["unpacked_length"] == CHUNK * CHUNKS_PER_XORB
    fetch = recon["fetch_info"][xorb_hash(FILE_ID, 1)][0]
    assert fetch["url"] == "http://h/x"
    assert fetch["url_range"] == {
        "start": CHUNKS_PER_XORB * (CHUNK + HEADER),
        "end": len(xorbs) - 1,
    }
    assert rebuild(xorbs, recon) == data


@pytest.mark.parametrize(
    "first,last",
    [
        (0, 0),
        (70000, 70009),
        (CHUNK - 1, CHUNK),
        (CHUNK * CHUNKS_PER_XORB - 5, CHUNK * CHUNKS_PER_XORB + 5),
        (CHUNK * (CHUNKS_PER_XORB + 2), CHUNK * (CHUNKS_PER_XORB + 2) + 1233),
    ],
)
def test_range_reconstruction_covers_exactly_the_chunks_needed(
    blob: tuple[bytes, bytes], first: int, last: int
) -> None:
    data, xorbs = blob
    recon = reconstruction(FILE_ID, len(data), "u", ByteRange(first, last))
    assert recon["offset_into_first_range"] == first % CHUNK
    got = rebuild(xorbs, recon)
    assert got[: last - first + 1] == data[first : last + 1]
    chunks = sum(t["range"]["end"] - t["range"]["start"] for t in recon["terms"])
    assert chunks == last // CHUNK - first // CHUNK + 1


def test_a_range_past_the_end_is_clipped_to_the_file(blob: tuple[bytes, bytes]) -> None:
    data, xorbs = blob
    recon = reconstruction(FILE_ID, len(data), "u", ByteRange(len(data) - 10, len(data) + 99))
    assert rebuild(xorbs, recon) == data[-10:]


def test_xorb_ids_are_stable_64_hex_and_distinct() -> None:
    ids = {xorb_hash(FILE_ID, k) for k in range(3)}
    assert len(ids) == 3 and all(len(i) == 64 and int(i, 16) >= 0 for i in ids)
    assert xorb_hash(FILE_ID, 0) == xorb_hash(FILE_ID, 0)
