"""HubStore: pushes, revisions, the huggingface_hub cache layout, dedup, deletion, safety and
crash recovery, on a real filesystem."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import RepoKind
from spacehost.errors import (
    EntryNotFound,
    InvalidSpaceName,
    RepoNotFound,
    RevisionNotFound,
    UploadRejected,
)
from spacehost.store import HubStore
from spacehost.store import hub as hub_module

M, D = RepoKind.MODEL, RepoKind.DATASET


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return folder


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HubStore]:
    s = HubStore(tmp_path / "hub")
    yield s
    s.close()


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    return write(
        tmp_path / "model",
        {
            "README.md": b"---\nlicense: mit\n---\n# tiny\n",
            "config.json": b'{"a": 1}',
            "model.safetensors": os.urandom(300_000),
            "sub/dir/vocab.txt": b"hello\nworld\n",
        },
    )


def blob_inodes(store: HubStore) -> set[int]:
    return {p.stat().st_ino for p in (store.root / "blobs").rglob("*") if p.is_file()}


def test_push_records_files_hashes_and_head(store: HubStore, model_dir: Path) -> None:
    commit = store.push(M, "alice/tiny", model_dir, "first")
    assert len(commit.sha) == 40 and commit.parent is None and commit.message == "first"
    assert [f.path for f in commit.files] == [
        "README.md",
        "config.json",
        "model.safetensors",
        "sub/dir/vocab.txt",
    ]
    for f in commit.files:
        data = (model_dir / f.path).read_bytes()
        assert (f.size, f.sha256, f.blob_id) == (
            len(data),
            hashlib.sha256(data).hexdigest(),
            git_blob_id(data),
        )
        assert store.blob_path(f.sha256).read_bytes() == data
    repo = store.repo(M, "alice/tiny")
    assert repo.head == commit and repo.total_size == commit.total_size
    assert store.resolve(M, "alice/tiny") == commit
    assert [r.repo_id for r in store.repos()] == ["alice/tiny"]
    assert store.repos(D) == []


def test_lfs_files_are_etagged_by_sha256_others_by_git_blob_id(
    store: HubStore, model_dir: Path
) -> None:
    commit = store.push(M, "alice/tiny", model_dir)
    weights, readme = commit.file("model.safetensors"), commit.file("README.md")
    assert weights.lfs and weights.etag == weights.sha256
    assert not readme.lfs and readme.etag == readme.blob_id
    with pytest.raises(EntryNotFound, match=r"nope\.bin"):
        commit.file("nope.bin")


def test_same_content_twice_is_the_same_commit_and_writes_nothing(
    store: HubStore, model_dir: Path
) -> None:
    first = store.push(M, "alice/tiny", model_dir)
    before = sorted(
        (p, p.stat().st_mtime_ns)
        for p in store.root.rglob("*")
        if p.name not in ("hub.db", "hub.db-wal", "hub.db-shm", ".lock")
    )
    assert store.push(M, "alice/tiny", model_dir, "again") == first
    after = sorted(
        (p, p.stat().st_mtime_ns)
        for p in store.root.rglob("*")
        if p.name not in ("hub.db", "hub.db-wal", "hub.db-shm", ".lock")
    )
    assert before == after
    assert len(store.commits(M, "alice/tiny")) == 1


def test_revisions_by_main_full_sha_and_prefix(store: HubStore, model_dir: Path) -> None:
    first = store.push(M, "alice/tiny", model_dir, "one")
    (model_dir / "config.json").write_bytes(b'{"a": 2}')
    second = store.push(M, "alice/tiny", model_dir, "two")
    assert second.parent == first.sha and second.sha != first.sha
    assert store.commits(M, "alice/tiny") == [second, first]
    assert store.resolve(M, "alice/tiny", "main") == second
    assert store.resolve(M, "alice/tiny", first.sha) == first
    assert store.resolve(M, "alice/tiny", first.sha[:7]) == first
    assert store.resolve(M, "alice/tiny", first.sha.upper()) == first
    for bad in ("dev", first.sha[:6], "0" * 40, "../../etc"):
        with pytest.raises(RevisionNotFound):
            store.resolve(M, "alice/tiny", bad)
    with pytest.raises(RepoNotFound, match="alice/other") as err:
        store.resolve(M, "alice/other")
    assert "spacehost push DIR --type model" in err.value.hint


def test_cache_dir_is_huggingface_hubs_layout_for_every_commit(
    store: HubStore, model_dir: Path
) -> None:
    from huggingface_hub import get_cached_repo_tree, hf_hub_download, snapshot_download
    from huggingface_hub.errors import IncompleteSnapshotError

    first = store.push(M, "alice/tiny", model_dir)
    (model_dir / "sub/dir/vocab.txt").write_bytes(b"changed\n")
    second = store.push(M, "alice/tiny", model_dir)
    cache = store.cache_dir(M, "alice/tiny")
    assert cache.name == "models--alice--tiny"
    assert (cache / "refs" / "main").read_text() == second.sha
    link = cache / "snapshots" / first.sha / "sub" / "dir" / "vocab.txt"
    assert link.is_symlink() and not os.readlink(link).startswith("/")
    assert link.read_bytes() == b"hello\nworld\n"
    for commit in (first, second):
        for f in commit.files:
            assert (cache / "snapshots" / commit.sha / f.path).resolve() == (
                cache / "blobs" / f.etag
            ).resolve()
    # huggingface_hub itself, offline, reads both commits from the store's cache root
    root = str(store.root / "cache")
    path = hf_hub_download("alice/tiny", "sub/dir/vocab.txt", cache_dir=root, local_files_only=True)
    assert Path(path).read_bytes() == b"changed\n"
    old = hf_hub_download(
        "alice/tiny", "sub/dir/vocab.txt", revision=first.sha, cache_dir=root, local_files_only=True
    )
    assert Path(old).read_bytes() == b"hello\nworld\n"
    snap = snapshot_download("alice/tiny", cache_dir=root, local_files_only=True)
    assert (Path(snap) / "model.safetensors").read_bytes() == (
        model_dir / "model.safetensors"
    ).read_bytes()
    # the tree listings let huggingface_hub check, offline, that a snapshot is complete
    listing = get_cached_repo_tree("alice/tiny", revision=first.sha, cache_dir=root)
    by_path = {f.path: f for f in listing}
    assert sorted(by_path) == [f.path for f in first.files]
    weights = first.file("model.safetensors")
    assert by_path["model.safetensors"].blob_id == weights.git_oid != weights.blob_id
    assert by_path["README.md"].blob_id == first.file("README.md").blob_id
    (cache / "snapshots" / first.sha / "config.json").unlink()  # what a partial copy would be
    with pytest.raises(IncompleteSnapshotError):
        snapshot_download("alice/tiny", revision=first.sha, cache_dir=root, local_files_only=True)


def test_same_folder_under_two_names_and_kinds_is_stored_once(
    store: HubStore, tmp_path: Path
) -> None:
    big = os.urandom(4 << 20)
    folder = write(tmp_path / "f", {"README.md": b"# x\n", "weights.bin": big, "copy.bin": big})
    store.push(M, "alice/a", folder)
    store.push(M, "bob/b", folder)
    store.push(D, "carol/c", folder)
    blobs = [p for p in (store.root / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 2  # README and the 4 MiB content, whatever the names
    digest = hashlib.sha256(big).hexdigest()
    inodes = {
        (store.cache_dir(k, r) / "blobs" / digest).stat().st_ino
        for k, r in ((M, "alice/a"), (M, "bob/b"), (D, "carol/c"))
    }
    assert inodes == {store.blob_path(digest).stat().st_ino}
    assert store.blob_path(digest).stat().st_nlink == 4  # global + three repo caches
    # disk usage of every file under the hub, counting each inode once: one copy of 4 MiB
    seen: dict[int, int] = {}
    for p in store.root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            seen[st.st_ino] = st.st_blocks * 512
    assert sum(seen.values()) < (4 << 20) + (1 << 20)


def test_delete_removes_repo_and_only_unshared_blobs(store: HubStore, tmp_path: Path) -> None:
    shared = write(tmp_path / "s", {"README.md": b"# shared\n"})
    own = write(tmp_path / "o", {"README.md": b"# shared\n", "only.bin": b"mine"})
    store.push(M, "alice/a", own)
    store.push(D, "bob/b", shared)
    cache = store.cache_dir(M, "alice/a")
    only = hashlib.sha256(b"mine").hexdigest()
    readme = hashlib.sha256(b"# shared\n").hexdigest()
    store.delete(M, "alice/a")
    assert not cache.exists() and not store.exists(M, "alice/a")
    assert not store.blob_path(only).exists() and store.blob_path(readme).exists()
    with pytest.raises(RepoNotFound):
        store.repo(M, "alice/a")
    with pytest.raises(RepoNotFound):
        store.delete(M, "alice/a")
    store.delete(D, "bob/b")
    assert not any(p.is_file() for p in (store.root / "blobs").rglob("*"))


def test_metadata_and_files_survive_a_restart(tmp_path: Path, model_dir: Path) -> None:
    s = HubStore(tmp_path / "hub")
    commit = s.push(D, "alice/data", model_dir)
    s.close()
    again = HubStore(tmp_path / "hub")
    try:
        assert again.resolve(D, "alice/data", commit.sha[:8]) == commit
        assert again.cache_dir(D, "alice/data").name == "datasets--alice--data"
    finally:
        again.close()


@pytest.mark.parametrize(
    "repo_id", ["api/x", "spaces/x", "datasets/x", "Models/x", "docs/x", "static/x"]
)
def test_reserved_owners_rejected_for_models_only(
    store: HubStore, model_dir: Path, repo_id: str
) -> None:
    with pytest.raises(InvalidSpaceName, match="reserved"):
        store.push(M, repo_id, model_dir)
    store.push(D, repo_id, model_dir)


@pytest.mark.parametrize("repo_id", ["noslash", "a/b/c", "-a/b", "a/b..c", "a/", "../x", "a/b.git"])
def test_invalid_repo_ids(store: HubStore, model_dir: Path, repo_id: str) -> None:
    with pytest.raises(InvalidSpaceName):
        store.push(M, repo_id, model_dir)


def test_unsafe_folders_are_rejected_and_leave_nothing(store: HubStore, tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret": b"s"})
    cases: dict[str, Path] = {}
    f = write(tmp_path / "filelink", {"README.md": b"x"})
    (f / "leak").symlink_to(outside / "secret")
    cases["leak"] = f
    d = write(tmp_path / "dirlink", {"README.md": b"x"})
    (d / "out").symlink_to(outside)
    cases["out"] = d
    fifo = write(tmp_path / "fifo", {"README.md": b"x"})
    os.mkfifo(fifo / "pipe")
    cases["pipe"] = fifo
    for name, folder in cases.items():
        with pytest.raises(UploadRejected, match=name):
            store.push(M, "alice/bad", folder)
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(UploadRejected, match="no files") as err:
        store.push(M, "alice/bad", tmp_path / "empty")
    assert "README.md" in err.value.hint
    with pytest.raises(UploadRejected, match="not a folder"):
        store.push(M, "alice/bad", tmp_path / "missing")
    assert store.repos() == [] and not any((store.root / "blobs").rglob("*/*"))


def test_git_and_hf_cache_folders_are_not_pushed(store: HubStore, tmp_path: Path) -> None:
    folder = write(
        tmp_path / "g",
        {
            "README.md": b"x",
            ".git/HEAD": b"ref",
            ".cache/huggingface/upload/x": b"y",
            "a/.git/keep": b"z",
        },
    )
    commit = store.push(M, "alice/g", folder)
    assert [f.path for f in commit.files] == ["README.md", "a/.git/keep"]


def test_move_takes_the_files_instead_of_copying(store: HubStore, model_dir: Path) -> None:
    inode = (model_dir / "model.safetensors").stat().st_ino
    commit = store.push(M, "alice/tiny", model_dir, move=True)
    assert store.blob_path(commit.file("model.safetensors").sha256).stat().st_ino == inode
    assert not (model_dir / "model.safetensors").exists()


def test_large_files_stream_through_a_small_buffer(store: HubStore, tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    with open(folder / "weights.bin", "wb") as fh:
        for _ in range(32):
            fh.write(os.urandom(1 << 20))
    tracemalloc.start()
    try:
        commit = store.push(M, "alice/big", folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert commit.file("weights.bin").size == 32 << 20
    assert peak < 8 << 20, f"push held {peak >> 20} MiB in memory"


def test_interrupted_push_is_invisible_and_swept_on_open(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = HubStore(tmp_path / "hub")
    kept = s.push(M, "alice/kept", write(tmp_path / "k", {"README.md": b"kept"}))

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies after blobs and snapshot, before the commit

    monkeypatch.setattr(s._db, "add_commit", crash)
    with pytest.raises(KeyboardInterrupt):
        s.push(M, "alice/tiny", model_dir)
    (model_dir / "README.md").write_bytes(b"new card")
    with pytest.raises(KeyboardInterrupt):
        s.push(M, "alice/kept", model_dir)
    assert not s.exists(M, "alice/tiny") and s.resolve(M, "alice/kept") == kept
    s.close()
    reopened = HubStore(tmp_path / "hub")
    try:
        assert [r.repo_id for r in reopened.repos()] == ["alice/kept"]
        assert not (reopened.root / "cache" / "models--alice--tiny").exists()
        assert [p.name for p in (reopened.cache_dir(M, "alice/kept") / "snapshots").iterdir()] == [
            kept.sha
        ]
        assert [p.name for p in (reopened.cache_dir(M, "alice/kept") / "trees").iterdir()] == [
            f"{kept.sha}.json"
        ]
        blobs = [p for p in (reopened.root / "blobs").rglob("*") if p.is_file()]
        assert [b.read_bytes() for b in blobs] == [b"kept"]
        assert not any(reopened.tmp_dir.iterdir())
    finally:
        reopened.close()


def test_crash_while_copying_blobs_leaves_no_partial_blob(
    store: HubStore, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = hub_module.store_blob

    def flaky(*args: object, **kwargs: object) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hub_module, "store_blob", flaky)
    with pytest.raises(OSError, match="disk full"):
        store.push(M, "alice/tiny", model_dir)
    assert not store.exists(M, "alice/tiny")
    assert not any(store.tmp_dir.iterdir())
    monkeypatch.setattr(hub_module, "store_blob", real)
    commit = store.push(M, "alice/tiny", model_dir)
    assert store.resolve(M, "alice/tiny") == commit


def test_file_changing_during_push_is_rejected(
    store: HubStore, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = hub_module.hash_file

    def then_change(path: Path, size: int) -> object:
        digest = real(path, size)
        path.write_bytes(b"changed after hashing!")
        return digest

    monkeypatch.setattr(hub_module, "hash_file", then_change)
    with pytest.raises(UploadRejected, match="changed while"):
        store.push(M, "alice/tiny", model_dir)
    assert not store.exists(M, "alice/tiny")
