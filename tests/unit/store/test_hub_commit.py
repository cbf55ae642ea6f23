"""HubStore.commit: a new head from the head's files and huggingface_hub's operations (adds,
LFS blobs uploaded before, deletes of files and folders), the parent check, dedup of bytes,
and the cache layout huggingface_hub reads, on a real filesystem."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import RepoKind
from spacehost.errors import CommitConflict, EntryNotFound, RepoNotFound, UploadRejected
from spacehost.store import HubStore
from spacehost.store.hubchanges import DeleteFile, DeleteFolder, PutBlob, PutContent

M = RepoKind.MODEL


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HubStore]:
    s = HubStore(tmp_path / "hub")
    folder = tmp_path / "first"
    (folder / "sub").mkdir(parents=True)
    (folder / "README.md").write_bytes(b"# card\n")
    (folder / "sub" / "a.txt").write_bytes(b"a")
    (folder / "sub" / "b.txt").write_bytes(b"b")
    s.push(M, "alice/m", folder, "first")
    yield s
    s.close()


def content(store: HubStore, name: str, data: bytes) -> PutContent:
    path = store.tmp_dir / f"upload-{name.replace('/', '_')}"
    path.write_bytes(data)
    return PutContent(name, path)


def read(store: HubStore, path: str) -> bytes:
    f = store.repo(M, "alice/m").head.file(path)
    return store.blob_path(f.sha256).read_bytes()


def test_a_commit_adds_replaces_and_deletes_on_top_of_the_head(store: HubStore) -> None:
    before = store.repo(M, "alice/m").head
    made = store.commit(
        M,
        "alice/m",
        [
            content(store, "README.md", b"# new card\n"),
            content(store, "new.txt", b"new"),
            DeleteFile("sub/a.txt"),
        ],
        "second",
        parent=before.sha,
    )
    assert made.parent == before.sha and made.message == "second"
    assert [f.path for f in made.files] == ["README.md", "new.txt", "sub/b.txt"]
    assert read(store, "README.md") == b"# new card\n"
    assert read(store, "new.txt") == b"new"
    snapshot = store.cache_dir(M, "alice/m") / "snapshots" / made.sha
    assert (snapshot / "new.txt").read_bytes() == b"new"
    assert (store.cache_dir(M, "alice/m") / "refs" / "main").read_text() == made.sha


def test_deleting_a_folder_removes_every_file_under_it(store: HubStore) -> None:
    made = store.commit(M, "alice/m", [DeleteFolder("sub/")])
    assert [f.path for f in made.files] == ["README.md"]


def test_a_commit_on_an_older_parent_is_a_conflict(store: HubStore) -> None:
    first = store.repo(M, "alice/m").head.sha
    store.commit(M, "alice/m", [content(store, "x.txt", b"x")])
    with pytest.raises(CommitConflict, match="a commit has happened since"):
        store.commit(M, "alice/m", [content(store, "y.txt", b"y")], parent=first)


def test_an_lfs_file_must_be_uploaded_before_and_is_stored_once(store: HubStore) -> None:
    data = b"weights" * 1000
    sha = hashlib.sha256(data).hexdigest()
    with pytest.raises(UploadRejected, match="was not uploaded"):
        store.commit(M, "alice/m", [PutBlob("w.bin", sha, len(data))])
    upload = store.tmp_dir / "lfs-upload"
    upload.write_bytes(data)
    assert store.add_blob(upload, sha)
    made = store.commit(M, "alice/m", [PutBlob("w.bin", sha, len(data))])
    f = made.file("w.bin")
    assert f.lfs and f.sha256 == sha
    assert f.blob_id == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    again = store.commit(M, "alice/m", [PutBlob("copy.bin", sha, len(data))])
    assert store.blob_path(sha).stat().st_nlink == 2  # the store's blob + the repo cache's link
    assert again.file("copy.bin").sha256 == sha


def test_bad_changes_are_refused_naming_the_path(store: HubStore) -> None:
    with pytest.raises(EntryNotFound, match=r"cannot delete file 'nope\.txt'"):
        store.commit(M, "alice/m", [DeleteFile("nope.txt")])
    with pytest.raises(UploadRejected, match=r"\.\./x"):
        store.commit(M, "alice/m", [content(store, "../x", b"x")])
    with pytest.raises(UploadRejected, match=r"\.git"):
        store.commit(M, "alice/m", [content(store, ".git/config", b"x")])
    with pytest.raises(UploadRejected, match="no files"):
        store.commit(M, "alice/m", [DeleteFolder("sub"), DeleteFile("README.md")])
    with pytest.raises(RepoNotFound):
        store.commit(M, "alice/none", [content(store, "x.txt", b"x")])


def test_the_same_files_again_give_the_head_back(store: HubStore) -> None:
    head = store.repo(M, "alice/m").head
    assert store.commit(M, "alice/m", [content(store, "sub/a.txt", b"a")]) == head
