"""Xet uploads taken into the blob store (store/xetchunks.py, xetshard.py, xetuploads.py), read
from the bytes the real hf_xet sends (recorded once per module from a fresh process)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pytest

from spacehost.errors import InvalidRequest, UploadRejected
from spacehost.store import HubStore
from spacehost.store.xetchunks import (
    BG4_LZ4,
    LZ4,
    NONE,
    chunk_range,
    chunks,
    hash_bytes,
    hash_hex,
    regroup_bg4,
)
from spacehost.store.xetshard import shard_files
from spacehost.store.xetuploads import XetUploads
from tests.support.xet_recorder import Recorded, record_upload


def _contents() -> list[bytes]:
    """Files that hf_xet stores with each of its schemes (it picks one per xorb): random bytes
    (none) then text (LZ4); float32 weights (byte grouping 4 + LZ4)."""
    weights = np.random.default_rng(7).normal(0, 0.02, 120_000).astype(np.float32).tobytes()
    text = b"".join(b"line %d of a text file\n" % i for i in range(12_000))
    return [os.urandom(150_000) + text, weights + b"end"]


Upload = tuple[Recorded, bytes]


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> list[Upload]:
    """Each file uploaded by hf_xet in its own session: what it sent, and the file."""
    root = tmp_path_factory.mktemp("xetrec")
    out = []
    for i, data in enumerate(_contents()):
        (root / f"f{i}.bin").write_bytes(data)
        rec, shas = record_upload([root / f"f{i}.bin"], root / f"home{i}")
        assert shas == [hashlib.sha256(data).hexdigest()]
        out.append((rec, data))
    return out


@pytest.fixture
def upload(uploads: list[Upload]) -> Upload:
    return uploads[0]


def _stored(tmp_path: Path, rec: Recorded) -> XetUploads:
    uploads = XetUploads(HubStore(tmp_path / "hub"))
    for xorb_hash, body in rec.xorbs.items():
        src = uploads.temp_path("test")
        src.write_bytes(body)
        uploads.add_xorb(src, xorb_hash)
    return uploads


def _shard(tmp_path: Path, rec: Recorded) -> Path:
    (path := tmp_path / "shard").write_bytes(rec.shards[0])
    return path


def test_the_shard_names_each_file_by_its_sha256_and_its_chunks_rebuild_it(
    uploads: list[Upload],
) -> None:
    schemes = set()
    for rec, data in uploads:
        assert len(rec.shards) == 1
        (file,) = list(shard_files(io.BytesIO(rec.shards[0])))
        assert file.sha256 == hashlib.sha256(data).hexdigest() and file.size == len(data)
        out = b""
        for seg in file.segments:
            f = io.BytesIO(rec.xorbs[seg.xorb])
            schemes |= {h.scheme for h, _ in chunks(f)}
            f.seek(0)
            out += b"".join(chunk_range(f, seg.start, seg.end))
        assert out == data
    assert schemes == {NONE, LZ4, BG4_LZ4}


def test_a_shard_adds_its_file_to_the_blob_store(uploads: list[Upload], tmp_path: Path) -> None:
    for i, (rec, data) in enumerate(uploads):
        store = _stored(tmp_path / str(i), rec)
        sha = hashlib.sha256(data).hexdigest()
        assert store.add_shard(_shard(tmp_path, rec)) == [sha]
        assert store.hub.blob_path(sha).read_bytes() == data
        assert list(store.hub.tmp_dir.iterdir()) == []


def test_a_xorb_whose_bytes_changed_is_refused_at_the_shard_and_nothing_is_stored(
    upload: Upload, tmp_path: Path
) -> None:
    rec, data = upload
    xorb_hash, body = next(iter(rec.xorbs.items()))
    first = next(chunks(io.BytesIO(body)))[1]  # chunk 0 is random bytes: stored as is
    forged = Recorded({xorb_hash: body[:first] + bytes([body[first] ^ 1]) + body[first + 1 :]})
    uploads = _stored(tmp_path, forged)
    with pytest.raises(UploadRejected, match="hash to"):
        uploads.add_shard(_shard(tmp_path, rec))
    assert not uploads.hub.has_blob(hashlib.sha256(data).hexdigest(), len(data))


def test_a_shard_naming_a_xorb_never_uploaded_says_so(upload: Upload, tmp_path: Path) -> None:
    rec, _ = upload
    uploads = XetUploads(HubStore(tmp_path / "hub"))
    with pytest.raises(InvalidRequest, match="was not uploaded") as err:
        uploads.add_shard(_shard(tmp_path, rec))
    assert "upload the xorbs before the shard" in (err.value.hint or "")


def test_a_truncated_xorb_or_a_bad_shard_is_refused(upload: Upload, tmp_path: Path) -> None:
    rec, _ = upload
    xorb_hash, body = next(iter(rec.xorbs.items()))
    uploads = XetUploads(HubStore(tmp_path / "hub"))
    src = uploads.temp_path("t")
    src.write_bytes(body[:100])
    with pytest.raises(InvalidRequest, match="not a valid Xet xorb"):
        uploads.add_xorb(src, xorb_hash)
    (bad := tmp_path / "bad").write_bytes(b"not a shard" * 10)
    with pytest.raises(InvalidRequest, match="not a valid Xet shard"):
        uploads.add_shard(bad)


def test_byte_grouping_and_hash_words_round_trip() -> None:
    data = bytes(range(23))
    grouped = b"".join(data[g::4] for g in range(4))
    assert regroup_bg4(grouped) == data
    h = hashlib.sha256(b"x").hexdigest()
    assert hash_hex(hash_bytes(h)) == h
    assert hash_bytes(h)[:8] == bytes.fromhex(h[:16])[::-1]
