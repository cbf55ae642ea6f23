"""Hugging Face Buckets: each bucket a folder of plain files (docs/hub.md, "Buckets").

Layout under the buckets root (``SPACEHOST_DATA_DIR/hub/buckets``, beside the hub's blob store so
that a file moves in with a rename)::

    NAMESPACE/NAME/bucket.json   {"private": bool, "createdAt": ISO time}
    NAMESPACE/NAME/hashes.json   {path: {"xetHash", "size", "mtimeNs", "uploadedAt"}} for the
                                 files written through the API (``xetHash``: the sha256 that
                                 listings show, api/bucketfiles.py)
    NAMESPACE/NAME/files/PATH    the files themselves

``files/`` is what a space mounts as a volume, so a file there is the truth: its size and time
come from the file system, and its hash from ``hashes.json`` only while the file is unchanged
(same size and modification time). A file a space wrote is listed with its sha256 too (it never
went through Xet), computed once per size and modification time (remembered in memory). Files
are copies, never links to the blob store: a read-write volume may change them in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from spacehost.errors import InvalidRequest, RepoNotFound
from spacehost.store.hub import HubStore

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_META = "bucket.json"
_HASHES = "hashes.json"
FILES = "files"
_MAX_SUMS = 100_000  # sha256s of files spaces wrote, remembered


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def check_bucket_id(namespace: str, name: str) -> str:
    """``namespace/name`` if both parts are valid names; else InvalidRequest."""
    for part in (namespace, name):
        if not _NAME.match(part) or ".." in part or part.endswith(".git"):
            raise InvalidRequest(
                f"invalid bucket id {namespace}/{name!r}",
                hint="name a bucket NAMESPACE/NAME with letters, digits, '-', '_' and '.'",
            )
    return f"{namespace}/{name}"


def check_path(path: str) -> str:
    """*path* as a relative POSIX path inside a bucket; else InvalidRequest."""
    parts = PurePosixPath(path).parts
    if (
        not path
        or path.startswith("/")
        or "\0" in path
        or any(p in ("..", ".") for p in parts)
        or path.endswith("/")
    ):
        raise InvalidRequest(
            f"invalid path {path!r} in a bucket",
            hint="use a relative path such as 'dir/file.txt' (no '..', no leading '/')",
        )
    return "/".join(parts)


@dataclass(frozen=True)
class BucketMeta:
    """A bucket's settings."""

    bucket_id: str
    private: bool
    created_at: str


@dataclass(frozen=True)
class BucketEntry:
    """A file (``xet_hash`` set) or a directory of a bucket."""

    path: str
    is_dir: bool
    size: int = 0
    xet_hash: str = ""
    mtime: str = ""
    uploaded_at: str = ""

    def as_json(self) -> dict[str, Any]:
        """The entry as the Hub lists it (huggingface_hub's BucketFile / BucketFolder)."""
        if self.is_dir:
            return {"type": "directory", "path": self.path, "uploadedAt": self.uploaded_at}
        return {
            "type": "file",
            "path": self.path,
            "size": self.size,
            "xetHash": self.xet_hash,
            "mtime": self.mtime,
            "uploadedAt": self.uploaded_at,
        }


class BucketStore:
    """The buckets under *root*; *tmp_dir* is on the same file system (files arrive by rename)."""

    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.tmp_dir = tmp_dir
        self._lock = threading.Lock()
        self._sums: dict[Path, tuple[int, int, str]] = {}  # file -> size, mtime_ns, sha256

    def folder(self, bucket_id: str) -> Path:
        """The folder of bucket *bucket_id* (``namespace/name``, checked)."""
        namespace, _, name = bucket_id.partition("/")
        return self.root / check_bucket_id(namespace, name)

    def files_dir(self, bucket_id: str) -> Path:
        """The folder holding the bucket's files (what a space mounts)."""
        return self.folder(bucket_id) / FILES

    def exists(self, bucket_id: str) -> bool:
        return (self.folder(bucket_id) / _META).is_file()

    def create(self, bucket_id: str, *, private: bool, now: float) -> bool:
        """Create the bucket; False when it already exists (nothing changes then)."""
        folder = self.folder(bucket_id)
        with self._lock:
            if self.exists(bucket_id):
                return False
            (folder / FILES).mkdir(parents=True, exist_ok=True)
            self._write_json(folder / _HASHES, {})
            self._write_json(folder / _META, {"private": private, "createdAt": _iso(now)})
        return True

    def meta(self, bucket_id: str) -> BucketMeta:
        """The bucket's settings.

        Raises:
            RepoNotFound: no such bucket.
        """
        try:
            data = json.loads((self.folder(bucket_id) / _META).read_text())
        except FileNotFoundError:
            raise bucket_not_found(bucket_id) from None
        return BucketMeta(bucket_id, bool(data["private"]), str(data["createdAt"]))

    def set_private(self, bucket_id: str, private: bool) -> None:
        meta = self.meta(bucket_id)
        with self._lock:
            self._write_json(
                self.folder(bucket_id) / _META, {"private": private, "createdAt": meta.created_at}
            )

    def delete(self, bucket_id: str) -> None:
        """Remove the bucket and its files (RepoNotFound when there is none)."""
        self.meta(bucket_id)
        folder = self.folder(bucket_id)
        with self._lock:
            trash = self.tmp_dir / f"bucket-{uuid.uuid4().hex}"
            os.rename(folder, trash)  # gone at once for readers; removed after
        shutil.rmtree(trash, ignore_errors=True)

    def ids(self, namespace: str) -> list[str]:
        """The ids of the buckets of *namespace*, sorted."""
        ns = self.root / namespace
        if not _NAME.match(namespace) or not ns.is_dir():
            return []
        return sorted(f"{namespace}/{d.name}" for d in ns.iterdir() if (d / _META).is_file())

    def usage(self, bucket_id: str) -> tuple[int, int]:
        """Total bytes and number of files."""
        files = [e for e in self.tree(bucket_id, "", recursive=True, hashes=False)]
        return sum(e.size for e in files), len(files)

    def add_file(
        self, bucket_id: str, path: str, source: Path, xet_hash: str, mtime_ms: int
    ) -> None:
        """Put a copy of *source* at *path* in the bucket, with *xet_hash* recorded for it."""
        path = check_path(path)
        self.meta(bucket_id)
        folder = self.folder(bucket_id)
        dest = folder / FILES / path
        self._check_inside(folder / FILES, dest)
        if dest.is_dir():
            raise InvalidRequest(f"{path!r} is a folder in the bucket", hint="pick another path")
        tmp = self.tmp_dir / f"bucket-file-{uuid.uuid4().hex}"
        try:
            shutil.copyfile(source, tmp)
            os.chmod(tmp, 0o666)  # a read-write volume's space (uid 1000) may change it
            if mtime_ms > 0:
                os.utime(tmp, ns=(mtime_ms * 1_000_000, mtime_ms * 1_000_000))
            _make_dirs(folder / FILES, dest.parent)
            os.replace(tmp, dest)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        st = dest.stat()
        with self._lock:
            hashes = self._hashes(folder)
            hashes[path] = {
                "xetHash": xet_hash,
                "size": st.st_size,
                "mtimeNs": st.st_mtime_ns,
                "uploadedAt": _iso(st.st_ctime),
            }
            self._write_json(folder / _HASHES, hashes)

    def delete_file(self, bucket_id: str, path: str) -> bool:
        """Remove the file at *path*; False when there is none."""
        path = check_path(path)
        folder = self.folder(bucket_id)
        dest = folder / FILES / path
        self._check_inside(folder / FILES, dest)
        try:
            dest.unlink()
        except (FileNotFoundError, IsADirectoryError):
            return False
        with self._lock:
            hashes = self._hashes(folder)
            hashes.pop(path, None)
            self._write_json(folder / _HASHES, hashes)
        return True

    def file_path(self, bucket_id: str, path: str) -> Path | None:
        """The file at *path* in the bucket, None when there is none."""
        files = self.files_dir(bucket_id)
        dest = files / check_path(path)
        self._check_inside(files, dest.parent)
        return dest if dest.is_file() and not dest.is_symlink() else None

    def entry(self, bucket_id: str, path: str) -> BucketEntry | None:
        """The file at *path* (None when there is none)."""
        found = self.file_path(bucket_id, path)
        if found is None:
            return None
        return self._file_entry(self._hashes(self.folder(bucket_id)), check_path(path), found)

    def tree(
        self, bucket_id: str, prefix: str, *, recursive: bool, hashes: bool = True
    ) -> list[BucketEntry]:
        """The entries under folder *prefix* (all files below it when *recursive*; the files
        and folders right in it otherwise), sorted by path."""
        files = self.files_dir(bucket_id)
        prefix = prefix.strip("/")
        start = files / check_path(prefix) if prefix else files
        self._check_inside(files, start)
        known = self._hashes(self.folder(bucket_id)) if hashes else {}
        if not start.is_dir():
            return []
        walk = self._walk(start, files) if recursive else self._children(start, files)
        out = []
        for rel, p, is_dir in walk:
            if is_dir:
                out.append(BucketEntry(rel, True, uploaded_at=_iso(p.stat().st_mtime)))
            else:
                out.append(self._file_entry(known, rel, p) if hashes else self._sized(rel, p))
        return sorted(out, key=lambda e: e.path)

    @staticmethod
    def _children(start: Path, files: Path) -> Iterator[tuple[str, Path, bool]]:
        for p in start.iterdir():
            if p.is_symlink():
                continue
            yield p.relative_to(files).as_posix(), p, p.is_dir()

    @staticmethod
    def _walk(start: Path, files: Path) -> Iterator[tuple[str, Path, bool]]:
        for dirpath, _dirs, names in os.walk(start):
            for n in names:
                p = Path(dirpath) / n
                if p.is_file() and not p.is_symlink():
                    yield p.relative_to(files).as_posix(), p, False

    @staticmethod
    def _sized(rel: str, p: Path) -> BucketEntry:
        return BucketEntry(rel, False, size=p.stat().st_size)

    def _file_entry(self, known: dict[str, Any], rel: str, p: Path) -> BucketEntry:
        st = p.stat()
        rec = known.get(rel)
        if rec and rec.get("size") == st.st_size and rec.get("mtimeNs") == st.st_mtime_ns:
            xet_hash, uploaded = str(rec["xetHash"]), str(rec["uploadedAt"])
        else:  # written by a space through its volume: no Xet hash, its sha256 instead
            xet_hash, uploaded = self._sum(p, st.st_size, st.st_mtime_ns), _iso(st.st_mtime)
        return BucketEntry(
            rel, False, st.st_size, xet_hash, mtime=_iso(st.st_mtime), uploaded_at=uploaded
        )

    def _sum(self, p: Path, size: int, mtime_ns: int) -> str:
        seen = self._sums.get(p)
        if seen is not None and seen[:2] == (size, mtime_ns):
            return seen[2]
        digest = _sha256(p)
        if len(self._sums) >= _MAX_SUMS:
            self._sums.pop(next(iter(self._sums)))
        self._sums[p] = (size, mtime_ns, digest)
        return digest

    @staticmethod
    def _check_inside(base: Path, dest: Path) -> None:
        # a space may have put a symlink into its read-write volume: never follow it out
        real_base = base.resolve()
        real = dest.resolve()
        if real != real_base and real_base not in real.parents:
            raise InvalidRequest(
                f"path {dest.relative_to(base).as_posix()!r} leads out of the bucket",
                hint="remove the symbolic link in the bucket",
            )

    def _hashes(self, folder: Path) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((folder / _HASHES).read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return data

    def _write_json(self, dest: Path, data: dict[str, Any]) -> None:
        tmp = self.tmp_dir / f"bucket-json-{uuid.uuid4().hex}"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, sort_keys=True))
        os.replace(tmp, dest)


def ensure_blobs(
    hub: HubStore, store: BucketStore, bucket_id: str, entries: Iterable[BucketEntry]
) -> None:
    """Put each file of *entries* whose sha256 (its listed ``xet_hash``) the hub's blob store
    lacks into it, a copy, so that the Xet CAS can serve it by that hash (api/bucketfiles.py)."""
    files = store.files_dir(bucket_id)
    for entry in entries:
        if entry.is_dir or hub.has_blob(entry.xet_hash, entry.size):
            continue
        tmp = hub.tmp_dir / f"bucket-blob-{uuid.uuid4().hex}"
        try:
            shutil.copyfile(files / entry.path, tmp)
            if _sha256(tmp) == entry.xet_hash:  # else it changed since: the next listing adds it
                hub.add_blob(tmp, entry.xet_hash)
        except FileNotFoundError:
            pass  # removed since it was listed
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _make_dirs(files: Path, folder: Path) -> None:
    """Make *folder* (inside *files*), each new folder one the space of a read-write volume
    (another uid) may write in too: trackio's dashboard removes the fragments it imported."""
    missing = []
    while not folder.exists() and folder != files:
        missing.append(folder)
        folder = folder.parent
    for d in reversed(missing):
        d.mkdir(exist_ok=True)
        os.chmod(d, 0o777)


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def bucket_not_found(bucket_id: str) -> RepoNotFound:
    """The error for a missing bucket (and a private one the caller may not read)."""
    return RepoNotFound(
        f"no bucket {bucket_id!r} on this platform",
        hint="create it with: hf buckets create " + bucket_id,
    )
