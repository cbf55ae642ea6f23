"""read_folder: a real folder on disk -> files, with .git, ignore rules and symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spacehost.errors import InvalidRequest, ManifestInvalid
from spacehost.manifest import load_space, read_folder

README = b"---\nsdk: gradio\n---\n"


def make(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make(tmp_path / "space", {"README.md": README, "app.py": b"print(1)\n"})


def test_reads_every_file_with_posix_paths(folder: Path) -> None:
    make(folder, {"src/pkg/mod.py": b"x", "data/a.csv": b"1,2"})
    assert read_folder(folder) == {
        "README.md": README,
        "app.py": b"print(1)\n",
        "data/a.csv": b"1,2",
        "src/pkg/mod.py": b"x",
    }


def test_round_trip_through_load_space(folder: Path) -> None:
    source = load_space(read_folder(folder))
    assert sorted(source.files) == ["README.md", "app.py"]


def test_git_is_skipped_at_any_depth(folder: Path) -> None:
    make(folder, {".git/config": b"secret", "sub/.git": b"gitdir: x", "sub/ok.txt": b"ok"})
    assert sorted(read_folder(folder)) == ["README.md", "app.py", "sub/ok.txt"]


def test_ignore_rules_apply_and_excluded_folders_are_not_entered(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(
        folder,
        {
            ".spacehostignore": b"venv/\n*.log\n",
            ".dockerignore": b"cache\n",
            "venv/lib/site.py": b"x",
            "run.log": b"x",
            "cache/blob": b"x",
        },
    )
    os.mkfifo(folder / "debug.log")  # excluded, so never opened (it would block)
    entered: list[str] = []
    real_scandir = os.scandir

    def spy(path: str | os.PathLike[str]) -> object:
        entered.append(Path(path).relative_to(folder.resolve()).as_posix())
        return real_scandir(path)

    monkeypatch.setattr("spacehost.manifest.folder.os.scandir", spy)
    files = read_folder(folder)
    assert sorted(files) == [".dockerignore", ".spacehostignore", "README.md", "app.py"]
    assert sorted(entered) == ["."]


def test_dockerignore_is_not_applied_for_docker_spaces(folder: Path) -> None:
    make(folder, {"README.md": b"---\nsdk: docker\n---\n", ".dockerignore": b"cache\n"})
    make(folder, {"cache/blob": b"x"})
    assert "cache/blob" in read_folder(folder)


def test_negation_keeps_a_file_inside_an_excluded_folder(folder: Path) -> None:
    make(folder, {".spacehostignore": b"data\n!data/keep.txt\n", "data/keep.txt": b"k"})
    make(folder, {"data/drop.txt": b"d"})
    files = read_folder(folder)
    assert "data/keep.txt" in files and "data/drop.txt" not in files


def test_readme_is_read_even_if_ignored(folder: Path) -> None:
    make(folder, {".spacehostignore": b"*.md\n", "NOTES.md": b"n"})
    files = read_folder(folder)
    assert "README.md" in files and "NOTES.md" not in files


def test_invalid_ignore_file_prunes_nothing_and_load_space_reports_it(folder: Path) -> None:
    make(folder, {".spacehostignore": b"[bad\n", "x.txt": b"x"})
    files = read_folder(folder)
    assert "x.txt" in files
    with pytest.raises(ManifestInvalid, match=r"\.spacehostignore: line 1"):
        load_space(files)


def test_symlink_inside_the_folder_is_read_as_its_target(folder: Path) -> None:
    make(folder, {"real/data.txt": b"d"})
    (folder / "alias.txt").symlink_to("real/data.txt")
    (folder / "linked").symlink_to("real", target_is_directory=True)
    files = read_folder(folder)
    assert files["alias.txt"] == b"d"
    assert files["linked/data.txt"] == b"d"
    assert files["real/data.txt"] == b"d"


def test_symlink_outside_the_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"s")
    (folder / "leak.txt").symlink_to(secret)
    with pytest.raises(ManifestInvalid) as info:
        read_folder(folder)
    assert info.value.message == f"leak.txt is a symlink to {secret}, outside the space folder"
    assert ".spacehostignore" in info.value.hint


def test_symlinked_folder_outside_is_refused(folder: Path) -> None:
    (folder / "etc").symlink_to("/etc", target_is_directory=True)
    with pytest.raises(ManifestInvalid, match="etc is a symlink to /etc, outside"):
        read_folder(folder)


def test_excluded_symlink_is_not_followed(folder: Path) -> None:
    (folder / "leak").symlink_to("/etc", target_is_directory=True)
    make(folder, {".spacehostignore": b"leak\n"})
    assert "leak" not in "".join(read_folder(folder))


def test_symlink_into_git_is_refused(folder: Path) -> None:
    make(folder, {".git/config": b"token"})
    (folder / "config").symlink_to(".git/config")
    with pytest.raises(ManifestInvalid, match=r"symlink into \.git"):
        read_folder(folder)


def test_broken_symlink_is_refused(folder: Path) -> None:
    (folder / "gone.txt").symlink_to("nowhere.txt")
    with pytest.raises(ManifestInvalid, match=r"gone\.txt is a broken symlink"):
        read_folder(folder)


def test_symlink_loop_is_refused(folder: Path) -> None:
    make(folder, {"sub/x.txt": b"x"})
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    with pytest.raises(ManifestInvalid, match="sub/up: symlink loop"):
        read_folder(folder)


def test_the_folder_itself_may_be_a_symlink(folder: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(folder, target_is_directory=True)
    assert sorted(read_folder(link)) == ["README.md", "app.py"]


def test_special_files_are_refused(folder: Path) -> None:
    os.mkfifo(folder / "pipe")
    with pytest.raises(ManifestInvalid, match="pipe is not a regular file or folder"):
        read_folder(folder)


def test_unreadable_file_is_reported(folder: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    locked = folder / "locked.txt"
    locked.write_bytes(b"x")
    locked.chmod(0)
    try:
        with pytest.raises(ManifestInvalid, match=r"cannot read locked\.txt"):
            read_folder(folder)
    finally:
        locked.chmod(0o644)


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="is not a folder"):
        read_folder(tmp_path / "missing")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(InvalidRequest, match="is not a folder"):
        read_folder(tmp_path / "file")
