"""Xet uploads taken into the hub's blob store (docs/hub.md, "Xet uploads").

``hf_xet`` sends a file as xorbs (chunks, compressed) and then a shard that says which chunks of
which xorbs make each file, with the file's sha256. Each xorb is kept under the hub's data
directory by its hash (``xet/xorbs/HH/HASH``: the client may name it again in a later session,
from its own cache, without uploading it again). For each file of a shard, its bytes are
rebuilt from the xorbs' chunks into a temp file, one chunk in memory at a time, checked against
the sha256 the shard gives, and added to the blob store, where a commit's ``lfsFile`` line finds
them. A bucket upload (huggingface_hub's ``batch_bucket_files``) has hf_xet skip the sha256: the
file's sha256 is then computed while it is rebuilt, and each file's Xet hash is recorded
(``xet/files/HH/XETHASH``: its sha256 and size), where a bucket's ``addFile`` line finds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from spacehost.errors import InvalidRequest, UploadRejected
from spacehost.store.hub import HubStore
from spacehost.store.xetchunks import chunk_range, count_chunks
from spacehost.store.xetshard import ShardFile, shard_files

_HASH = re.compile(r"^[0-9a-f]{64}$")


def check_hash(xorb_hash: str) -> str:
    """*xorb_hash*, if it is 64 lowercase hex digits (as hf_xet prints a hash)."""
    if not _HASH.match(xorb_hash):
        raise InvalidRequest(
            f"invalid xorb hash {xorb_hash!r}", hint="name a xorb by its hash (64 hex digits)"
        )
    return xorb_hash


class XetUploads:
    """The xorbs uploaded to the hub, and the files rebuilt from them."""

    def __init__(self, hub: HubStore) -> None:
        self.hub = hub
        self._xorbs = hub.root / "xet" / "xorbs"
        self._files = hub.root / "xet" / "files"

    def xorb_path(self, xorb_hash: str) -> Path:
        """Where the uploaded xorb *xorb_hash* is kept."""
        return self._xorbs / check_hash(xorb_hash)[:2] / xorb_hash

    def _file_record(self, xet_hash: str) -> Path:
        return self._files / check_hash(xet_hash)[:2] / xet_hash

    def file_by_xet_hash(self, xet_hash: str) -> tuple[str, int] | None:
        """The sha256 and size of the uploaded file whose Xet hash is *xet_hash* (None when no
        shard named it, or its blob is gone)."""
        try:
            sha256, size = self._file_record(xet_hash).read_text().split()
        except (FileNotFoundError, ValueError):
            return None
        if not self.hub.has_blob(sha256, int(size)):
            return None
        return sha256, int(size)

    def _remember(self, file: ShardFile, sha256: str) -> None:
        if not file.xet_hash or not _HASH.match(file.xet_hash):
            return
        record = self._file_record(file.xet_hash)
        record.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.temp_path("record")
        tmp.write_text(f"{sha256} {file.size}\n")
        os.replace(tmp, record)

    def temp_path(self, what: str) -> Path:
        """A new temp file name in the hub's temp folder (same file system as the stores)."""
        return self.hub.tmp_dir / f"xet-{what}-{uuid.uuid4().hex}"

    def add_xorb(self, source: Path, xorb_hash: str) -> int:
        """Check that *source* (a temp file) is a xorb and keep it as *xorb_hash*, replacing any
        copy before (the hash is the client's word: a later upload of the same hash wins); its
        number of chunks."""
        with open(source, "rb") as f:
            count = count_chunks(f)
        if count == 0:
            raise InvalidRequest("the xorb holds no chunks", hint="upload it with hf_xet unchanged")
        dest = self.xorb_path(xorb_hash)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, dest)
        return count

    def add_shard(self, shard: Path) -> list[str]:
        """Rebuild and store every file the shard at *shard* describes, in its order; their
        sha256s. A bad file stops it (those before stay stored: unnamed blobs are swept)."""
        stored = []
        with open(shard, "rb") as f:
            for file in shard_files(f):  # one file's segments in memory at a time
                stored.append(self._add_file(file))
        return stored

    def _add_file(self, file: ShardFile) -> str:
        if file.sha256 is not None and self.hub.has_blob(file.sha256, file.size):
            self._remember(file, file.sha256)
            return file.sha256
        tmp = self.temp_path("file")
        try:
            digest = hashlib.sha256()
            git = hashlib.sha1(b"blob %d\0" % file.size, usedforsecurity=False)  # spares the commit
            with open(tmp, "wb") as out:
                for chunk in self._file_chunks(file):
                    digest.update(chunk)
                    git.update(chunk)
                    out.write(chunk)
            sha256 = digest.hexdigest()
            if file.sha256 is not None and sha256 != file.sha256:
                raise UploadRejected(
                    f"the chunks of file {file.sha256} hash to {sha256}",
                    hint="upload the file again (its xorbs may have been replaced meanwhile)",
                )
            self.hub.add_blob(tmp, sha256, git.hexdigest())
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._remember(file, sha256)
        return sha256

    def _file_chunks(self, file: ShardFile) -> Iterable[bytes]:
        for seg in file.segments:
            try:
                f = open(self.xorb_path(seg.xorb), "rb")  # noqa: SIM115 (closed below)
            except FileNotFoundError:
                raise InvalidRequest(
                    f"the shard names xorb {seg.xorb}, which was not uploaded",
                    hint="upload the xorbs before the shard (hf_xet does), or clear hf_xet's "
                    "cache (HF_HOME/xet) if it remembers xorbs of another server",
                ) from None
            with f:
                got = 0
                for chunk in chunk_range(f, seg.start, seg.end):
                    got += len(chunk)
                    yield chunk
            if got != seg.size:
                raise UploadRejected(
                    f"chunks {seg.start}-{seg.end - 1} of xorb {seg.xorb} are {got} bytes, "
                    f"the shard says {seg.size}",
                    hint="upload the file again with hf_xet unchanged",
                )
