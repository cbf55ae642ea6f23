"""A bucket is a folder of plain files (store/buckets.py): what a space writes into it through
its volume is listed like an uploaded file, and nothing leads out of the folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from spacehost.errors import InvalidRequest
from spacehost.store.buckets import BucketStore, check_path


def made(tmp_path: Path) -> BucketStore:
    (tmp_path / "tmp").mkdir()
    store = BucketStore(tmp_path / "buckets", tmp_path / "tmp")
    assert store.create("alice/runs", private=False, now=0.0)
    assert not store.create("alice/runs", private=True, now=0.0)
    return store


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../x", "a/../../x", "dir/", "a\0b"])
def test_a_path_must_stay_inside_the_bucket(bad: str) -> None:
    with pytest.raises(InvalidRequest, match="invalid path"):
        check_path(bad)


def test_uploaded_and_space_written_files_are_listed_alike(tmp_path: Path) -> None:
    store = made(tmp_path)
    src = tmp_path / "src"
    src.write_bytes(b"uploaded")
    store.add_file("alice/runs", "logs/a.txt", src, "ab" * 32, 1_700_000_000_000)
    written = store.files_dir("alice/runs") / "logs" / "b.txt"
    written.write_bytes(b"by the space")  # as a space writes through a read-write volume
    files = {e.path: e for e in store.tree("alice/runs", "", recursive=True)}
    assert files["logs/a.txt"].xet_hash == "ab" * 32
    assert files["logs/a.txt"].mtime.startswith("2023-11-14T22:13:20")
    assert files["logs/b.txt"].xet_hash == hashlib.sha256(b"by the space").hexdigest()
    top = store.tree("alice/runs", "", recursive=False)
    assert [(e.path, e.is_dir) for e in top] == [("logs", True)]
    assert store.usage("alice/runs") == (len(b"uploaded") + len(b"by the space"), 2)
    written.write_bytes(b"changed")  # a changed file's recorded hash no longer counts
    src.write_bytes(b"other")
    (store.files_dir("alice/runs") / "logs" / "a.txt").write_bytes(b"changed too")
    entry = store.entry("alice/runs", "logs/a.txt")
    assert entry is not None and entry.xet_hash == hashlib.sha256(b"changed too").hexdigest()


def test_a_symlink_a_space_left_in_its_volume_is_not_followed(tmp_path: Path) -> None:
    store = made(tmp_path)
    outside = tmp_path / "secret"
    outside.write_text("s")
    (store.files_dir("alice/runs") / "link").symlink_to(outside)
    (store.files_dir("alice/runs") / "dirlink").symlink_to(tmp_path)
    assert store.tree("alice/runs", "", recursive=True) == []
    assert store.entry("alice/runs", "link") is None
    with pytest.raises(InvalidRequest, match="leads out of the bucket"):
        store.add_file("alice/runs", "dirlink/x", outside, "ab" * 32, 0)


def test_delete_removes_the_bucket(tmp_path: Path) -> None:
    store = made(tmp_path)
    store.delete("alice/runs")
    assert not store.exists("alice/runs") and store.ids("alice") == []
