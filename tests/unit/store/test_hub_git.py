"""HubStore over git: every hub commit is a git commit (same sha), LFS files are pointers in git,
commits git received are adopted, and a crash never leaves git ahead of the hub. Checked with the
git CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import RepoKind
from spacehost.errors import CommitConflict, UploadRejected
from spacehost.store import HubStore
from spacehost.store.gitrepos import EXEC_MODE, FILE_MODE
from spacehost.store.hubchanges import PutContent
from spacehost.store.hubfiles import lfs_pointer

M = RepoKind.MODEL
REPO = "alice/tiny"


def git(store: HubStore, *args: str) -> str:
    repo = store.git.path("model", REPO)
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HubStore]:
    s = HubStore(tmp_path / "hub")
    yield s
    s.close()


def folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "f"
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_a_push_is_a_git_commit_with_the_same_sha_and_lfs_pointers(
    store: HubStore, tmp_path: Path
) -> None:
    weights = os.urandom(50_000)
    first = store.push(
        M,
        REPO,
        folder(tmp_path, {"README.md": b"# tiny\n", "model.safetensors": weights}),
        "first",
        author="alice",
    )
    assert git(store, "rev-parse", "main").strip() == first.sha
    assert git(store, "show", "main:README.md") == "# tiny\n"
    sha256 = hashlib.sha256(weights).hexdigest()
    assert git(store, "show", "main:model.safetensors").encode() == lfs_pointer(sha256, 50_000)
    assert git(store, "log", "-1", "--format=%an %s", "main").strip() == "alice first"
    cache = store.cache_dir(M, REPO)
    assert (cache / "refs" / "main").read_text() == first.sha
    assert (cache / "snapshots" / first.sha / "model.safetensors").read_bytes() == weights

    work = tmp_path / "change"
    work.mkdir()
    (work / "config.json").write_bytes(b"{}")
    second = store.commit(M, REPO, [PutContent("config.json", work / "config.json")], "two")
    assert git(store, "rev-list", "main").split() == [second.sha, first.sha]
    assert store.resolve(M, REPO, second.sha[:10]) == second
    assert git(store, "fsck", "--strict") == ""


def _pushed(store: HubStore, files: dict[str, tuple[int, bytes]], parent: str | None) -> str:
    """A commit as git would receive it: objects written, main moved (not through the hub)."""
    g = store.git
    entries = [(p, mode, g.add_blob("model", REPO, data)) for p, (mode, data) in files.items()]
    sha = g.write_commit("model", REPO, entries, "pushed by git\n", [parent] if parent else [])
    g.set_ref("model", REPO, "main", sha, parent)
    return sha


def test_adopt_records_a_commit_git_received_with_its_sha_and_the_trees_lfs_say(
    store: HubStore, tmp_path: Path
) -> None:
    head = store.push(M, REPO, folder(tmp_path, {"README.md": b"# tiny\n"}))
    big = os.urandom(20_000)
    sha256 = hashlib.sha256(big).hexdigest()
    blob = tmp_path / "upload"
    blob.write_bytes(big)
    store.add_blob(blob, sha256)  # what the LFS batch upload does before the push
    sha = _pushed(
        store,
        {
            "README.md": (FILE_MODE, b"# tiny\n"),
            "notes.txt": (FILE_MODE, lfs_pointer(sha256, len(big))),  # LFS though a .txt
            "weights.bin": (FILE_MODE, b"small and regular"),  # regular though a .bin
            "run.sh": (EXEC_MODE, b"#!/bin/sh\n"),
        },
        head.sha,
    )
    adopted = store.adopt(M, REPO, sha)
    assert store.resolve(M, REPO) == adopted and adopted.sha == sha
    assert adopted.parent == head.sha and adopted.message == "pushed by git"
    assert adopted.file("notes.txt").lfs and adopted.file("notes.txt").size == len(big)
    assert not adopted.file("weights.bin").lfs
    assert adopted.file("run.sh").mode == EXEC_MODE
    snap = store.cache_dir(M, REPO) / "snapshots" / sha
    assert (snap / "notes.txt").read_bytes() == big
    assert (snap / "weights.bin").read_bytes() == b"small and regular"
    # an API commit on top keeps the tree's choices: the same blobs in git
    work = tmp_path / "w"
    work.mkdir()
    (work / "x.json").write_bytes(b"1")
    after = store.commit(M, REPO, [PutContent("x.json", work / "x.json")])
    for path in ("notes.txt", "weights.bin", "run.sh"):
        assert git(store, "rev-parse", f"{after.sha}:{path}") == git(
            store, "rev-parse", f"{sha}:{path}"
        )
    assert git(store, "ls-tree", after.sha, "run.sh").startswith("100755")


def test_adopt_refuses_an_lfs_pointer_whose_object_was_not_uploaded(
    store: HubStore, tmp_path: Path
) -> None:
    head = store.push(M, REPO, folder(tmp_path, {"README.md": b"# tiny\n"}))
    sha = _pushed(store, {"w.bin": (FILE_MODE, lfs_pointer("ab" * 32, 5))}, head.sha)
    with pytest.raises(UploadRejected, match=r"'w\.bin'") as info:
        store.adopt(M, REPO, sha)
    assert "git lfs push --all" in (info.value.hint or "")
    assert store.resolve(M, REPO) == head


def test_an_api_commit_after_git_moved_main_is_a_conflict(store: HubStore, tmp_path: Path) -> None:
    head = store.push(M, REPO, folder(tmp_path, {"README.md": b"# tiny\n"}))
    _pushed(store, {"README.md": (FILE_MODE, b"other")}, head.sha)  # not yet adopted
    work = tmp_path / "w"
    work.mkdir()
    (work / "x").write_bytes(b"1")
    with pytest.raises(CommitConflict):
        store.commit(M, REPO, [PutContent("x", work / "x")])
    assert store.resolve(M, REPO) == head


def test_a_crash_before_the_hub_recorded_a_commit_puts_git_back_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = HubStore(tmp_path / "hub")
    head = s.push(M, REPO, folder(tmp_path, {"README.md": b"# tiny\n"}))

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(s._db, "add_commit", crash)
    (tmp_path / "f" / "README.md").write_bytes(b"changed")
    with pytest.raises(KeyboardInterrupt):
        s.push(M, REPO, tmp_path / "f")
    with pytest.raises(KeyboardInterrupt):
        s.push(M, "alice/new", tmp_path / "f")
    assert git(s, "rev-parse", "main").strip() != head.sha
    s.close()
    reopened = HubStore(tmp_path / "hub")
    try:
        assert git(reopened, "rev-parse", "main").strip() == head.sha
        assert not reopened.git.exists("model", "alice/new")
    finally:
        reopened.close()


def test_delete_removes_the_git_repository(store: HubStore, tmp_path: Path) -> None:
    store.push(M, REPO, folder(tmp_path, {"README.md": b"# tiny\n"}))
    assert store.git.exists("model", REPO)
    store.delete(M, REPO)
    assert not store.git.exists("model", REPO)
