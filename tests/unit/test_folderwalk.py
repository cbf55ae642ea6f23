"""folderwalk: the one policy for walking a local folder, from real folders on disk.

Each row of the module's policy table has a test here; the last tests check that what the walk
accepts, the upload side (store/tarsafe.py) accepts too, for a space and for a hub repo.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spacehost.cli.hub import TarStream, scan
from spacehost.cli.main import pack_folder
from spacehost.errors import UploadRejected
from spacehost.folderwalk import (
    MAX_NAME_BYTES,
    MAX_PATH_BYTES,
    WalkPolicy,
    path_too_long,
    repo_policy,
    walk_folder,
)
from spacehost.manifest import read_folder
from spacehost.store.archive import read_archive
from spacehost.store.hubarchive import unpack_hub_archive

PLAIN = WalkPolicy(error=UploadRejected, leave_out="remove {path}")


def write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def walked(root: Path, policy: WalkPolicy = PLAIN) -> dict[str, bytes]:
    return {f.path: f.source.read_bytes() for f in walk_folder(root, policy)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write(tmp_path / "f", {"README.md": b"card", "real/data.txt": b"d"})


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    return write(tmp_path / "outside", {"secret.txt": b"s", "sub/x.txt": b"x"})


def test_files_come_sorted_by_path_with_their_sizes(folder: Path) -> None:
    write(folder, {"a.txt": b"12", "a/b.txt": b"123", "Z.txt": b""})
    found = walk_folder(folder, PLAIN)
    assert [(f.path, f.size) for f in found] == [
        ("README.md", 4),
        ("Z.txt", 0),
        ("a.txt", 2),
        ("a/b.txt", 3),
        ("real/data.txt", 1),
    ]


def test_links_inside_are_followed_under_their_own_names(folder: Path) -> None:
    (folder / "alias.txt").symlink_to("real/data.txt")
    (folder / "linked").symlink_to("real", target_is_directory=True)
    found = {f.path: f.source for f in walk_folder(folder, PLAIN)}
    assert found["alias.txt"] == found["real/data.txt"] == folder / "real" / "data.txt"
    assert found["linked/data.txt"] == folder / "real" / "data.txt"


def test_a_link_to_a_file_outside_is_refused_unless_the_policy_follows_them(
    folder: Path, outside: Path
) -> None:
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(
        UploadRejected, match=r"leak\.txt is a symlink to .*, outside the folder"
    ) as err:
        walk_folder(folder, PLAIN)
    assert err.value.hint == "copy the file into the folder instead, or remove leak.txt"
    assert walked(folder, repo_policy(outside_file_links=True))["leak.txt"] == b"s"


def test_a_link_to_a_folder_outside_is_refused_even_when_file_links_are_followed(
    folder: Path, outside: Path
) -> None:
    (folder / "more").symlink_to(outside / "sub", target_is_directory=True)
    for policy in (PLAIN, repo_policy(outside_file_links=True)):
        with pytest.raises(UploadRejected, match=r"more is a symlink to .*, outside"):
            walk_folder(folder, policy)


def test_a_link_into_a_skipped_folder_is_refused(folder: Path) -> None:
    write(folder, {".git/config": b"[core]"})
    (folder / "config").symlink_to(".git/config")
    with pytest.raises(UploadRejected, match=r"config is a symlink into \.git"):
        walk_folder(folder, repo_policy())
    (folder / "config").unlink()
    assert ".git/config" not in walked(folder, repo_policy())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: (f / "gone.txt").symlink_to("nowhere.txt"), r"gone\.txt is a broken symlink"),
        (
            lambda f: (f / "real" / "up").symlink_to("..", target_is_directory=True),
            "real/up: symlink loop",
        ),
        (lambda f: os.mkfifo(f / "pipe"), "pipe is not a regular file or folder"),
    ],
)
def test_broken_links_loops_and_special_files_are_refused(
    folder: Path, make: object, message: str
) -> None:
    make(folder)  # type: ignore[operator]
    with pytest.raises(UploadRejected, match=message):
        walk_folder(folder, PLAIN)


def test_skipped_excluded_and_pruned_entries_are_never_looked_at(folder: Path) -> None:
    write(folder, {"cache/big.bin": b"b", "keep/a.txt": b"a"})
    os.mkfifo(folder / "cache" / "pipe")  # refused, were the folder entered
    (folder / "keep" / "gone").symlink_to("/nowhere")  # refused, were the link followed
    (folder / "skipme").symlink_to("/etc", target_is_directory=True)
    policy = WalkPolicy(
        error=UploadRejected,
        leave_out="remove {path}",
        skipped=lambda rel: rel == "skipme",
        excluded=lambda rel: rel.endswith("gone"),
        pruned=lambda rel: rel == "cache",
    )
    assert sorted(walked(folder, policy)) == ["README.md", "keep/a.txt", "real/data.txt"]


def test_an_excluded_file_inside_an_entered_folder_is_left_out(folder: Path) -> None:
    policy = WalkPolicy(
        error=UploadRejected, leave_out="remove {path}", excluded=lambda rel: rel.endswith(".txt")
    )
    assert sorted(walked(folder, policy)) == ["README.md"]


def test_the_callers_name_rule_and_file_limit(folder: Path) -> None:
    write(folder, {"bad\\name.bin": b"w"})  # a backslash: a hub repo cannot hold it
    assert "bad\\name.bin" in walked(folder)
    with pytest.raises(UploadRejected, match="backslash"):
        walk_folder(folder, repo_policy())
    few = WalkPolicy(
        error=UploadRejected, leave_out="remove {path}", max_files=2, many_hint="fewer"
    )
    with pytest.raises(UploadRejected, match="more than 2 files") as err:
        walk_folder(folder, few)
    assert err.value.hint == "fewer"


def test_the_root_may_be_a_link_and_names_follow_its_own_entries(
    folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "link").symlink_to(folder, target_is_directory=True)
    assert sorted(walked(tmp_path / "link")) == ["README.md", "real/data.txt"]


def test_path_limits_are_linuxs_in_bytes() -> None:
    assert not path_too_long("a" * MAX_NAME_BYTES)
    assert path_too_long("a" * (MAX_NAME_BYTES + 1))
    assert path_too_long("é" * (MAX_NAME_BYTES // 2 + 1))  # two bytes each
    assert not path_too_long("/".join(["a" * 200] * 20))  # 4019 bytes
    assert path_too_long("/".join(["a" * 200] * 21))
    assert MAX_PATH_BYTES == 4096


def test_the_upload_side_accepts_what_a_space_walk_accepts(tmp_path: Path) -> None:
    space = write(
        tmp_path / "space",
        {
            "README.md": b"---\nsdk: gradio\n---\n",
            "app.py": b"print(1)\n",
            "deep/" + "n" * 200 + "/x.py": b"x",
            "data/a.csv": b"1,2",
        },
    )
    (space / "alias.py").symlink_to("app.py")
    (space / "more").symlink_to("data", target_is_directory=True)
    files = read_folder(space)
    assert read_archive(pack_folder(files), max_bytes=1 << 20) == files


def test_the_upload_side_accepts_what_the_hub_clis_walk_accepts(tmp_path: Path) -> None:
    blobs = write(tmp_path / "blobs", {"abc": b"weights"})
    repo = write(
        tmp_path / "repo", {"README.md": b"card", "x" * 200 + "/y.json": b"{}", ".git/HEAD": b"ref"}
    )
    (repo / "model.bin").symlink_to(blobs / "abc")  # a snapshot of huggingface_hub's cache
    (repo / "same").symlink_to("x" * 200, target_is_directory=True)
    stream = TarStream(scan(repo))
    archive = tmp_path / "upload.tar"
    archive.write_bytes(b"".join(stream))
    dest = tmp_path / "unpacked"
    dest.mkdir()
    assert unpack_hub_archive(archive, dest, max_bytes=len(stream)) == len(stream.files)
    assert walked(dest, repo_policy()) == {f.path: f.source.read_bytes() for f in stream.files}
    assert sorted(f.path for f in stream.files) == [
        "README.md",
        "model.bin",
        "same/y.json",
        "x" * 200 + "/y.json",
    ]
